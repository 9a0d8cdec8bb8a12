// Package table holds the rules of jml's tables (connector type table,
// docs/tables.md): the tables and columns an instance declares in
// jml.yaml, how a value is stored as its column's type, how searchRows'
// where: matches and orders rows, and a created row's id. The simulated
// world (pkg/world) and the SQL store (pkg/connector over pkg/history)
// both answer by these rules, so a dry run and an apply agree.
package table

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/catalog"
	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/source"
)

// Column is one declared column.
type Column struct {
	Name string
	// Type is one of catalog.TableColumnTypes.
	Type string
}

// Table is one declared table.
type Table struct {
	Name    string
	Columns []Column // in jml.yaml's order
}

// Column returns the column named name.
func (t *Table) Column(name string) (Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// Names returns the column names, in jml.yaml's order.
func (t *Table) Names() []string {
	out := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = c.Name
	}
	return out
}

// Schema is the tables of one instance, by name.
type Schema map[string]*Table

// Names returns the table names, sorted.
func (s Schema) Names() []string {
	out := make([]string, 0, len(s))
	for n := range s {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Lookup returns the table named name, or a 404 naming the tables there
// are (with a did-you-mean).
func (s Schema) Lookup(name string) (*Table, error) {
	if t, ok := s[name]; ok {
		return t, nil
	}
	msg := fmt.Sprintf("no table %q", name)
	if c, ok := diag.Closest(name, s.Names()); ok {
		msg += fmt.Sprintf("; did you mean %q?", c)
	} else if len(s) > 0 {
		msg += " (tables: " + strings.Join(s.Names(), ", ") + ")"
	}
	return nil, effect.HTTPError(http.StatusNotFound, msg)
}

// FromNode reads the tables: of a table instance's mapping in jml.yaml
// (tables: {NAME: {columns: {COLUMN: TYPE}}}). What does not fit is left
// out: the config schema reports it at its line and column.
func FromNode(instance *yaml.Node) Schema {
	s := Schema{}
	for _, p := range source.Pairs(source.Get(instance, "tables")) {
		t := &Table{Name: p[0].Value}
		for _, c := range source.Pairs(source.Get(p[1], "columns")) {
			v := source.Resolve(c[1])
			if v == nil || v.Kind != yaml.ScalarNode {
				continue
			}
			t.Columns = append(t.Columns, Column{Name: c[0].Value, Type: v.Value})
		}
		s[t.Name] = t
	}
	return s
}

// Row is one stored row.
type Row struct {
	ID               string
	Created, Updated time.Time
	// Values holds the row's columns by name, each of its column's type
	// (string, int64 or float64, bool, RFC 3339 text) or nil.
	Values map[string]any
}

// Out is the row as the actions answer it: id, created, updated and every
// declared column (null when not set).
func (r *Row) Out(t *Table) map[string]any {
	m := map[string]any{"id": r.ID, "created": Time(r.Created), "updated": Time(r.Updated)}
	for _, c := range t.Columns {
		m[c.Name] = r.Values[c.Name]
	}
	return m
}

// Time is how tables write a time: RFC 3339 in UTC, to the millisecond.
func Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

func bad(format string, args ...any) error {
	return effect.HTTPError(http.StatusBadRequest, fmt.Sprintf(format, args...))
}

// Values checks a createRow or updateRow row: input against the table and
// returns its values stored as their columns' types. An unknown column, or
// a value that is not of its column's type nor converts to it, is a 400.
func (t *Table) Values(in map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(in))
	for _, k := range sortedKeys(in) {
		c, ok := t.Column(k)
		if !ok {
			return nil, unknownColumn(t, k)
		}
		v, err := Convert(in[k], c.Type)
		if err != nil {
			return nil, bad("column %q of table %q: %v", k, t.Name, err)
		}
		out[k] = v
	}
	return out, nil
}

func unknownColumn(t *Table, k string) error {
	msg := fmt.Sprintf("table %q has no column %q", t.Name, k)
	if c, ok := diag.Closest(k, t.Names()); ok {
		msg += fmt.Sprintf("; did you mean %q?", c)
	} else {
		msg += " (columns: " + strings.Join(t.Names(), ", ") + ")"
	}
	return bad("%s", msg)
}

// Convert returns v stored as a column of type typ: a string column takes
// text, numbers (as their decimal text) and booleans (true/false); a
// number column numbers and text that is one; a boolean column booleans
// and the text true/false; a timestamp column RFC 3339 text (kept in UTC).
// null stays null.
func Convert(v any, typ string) (any, error) {
	if n, ok := v.(json.Number); ok {
		v = effect.Number(n)
	}
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "string":
		switch x := v.(type) {
		case string:
			return x, nil
		case bool:
			return strconv.FormatBool(x), nil
		}
		if f, ok := number(v); ok {
			return formatNumber(f), nil
		}
	case "number":
		if f, ok := number(v); ok {
			return numberValue(f), nil
		}
		if s, ok := v.(string); ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
				return numberValue(f), nil
			}
			return nil, fmt.Errorf("%q is not a number", s)
		}
	case "boolean":
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			if b, err := strconv.ParseBool(strings.TrimSpace(x)); err == nil {
				return b, nil
			}
			return nil, fmt.Errorf("%q is not true or false", x)
		}
	case "timestamp":
		if s, ok := v.(string); ok {
			ts, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
			if err != nil {
				return nil, fmt.Errorf("%q is not an RFC 3339 timestamp (2024-01-31T09:00:00Z)", s)
			}
			return Time(ts), nil
		}
	default:
		return nil, fmt.Errorf("unknown column type %q", typ)
	}
	return nil, fmt.Errorf("%s is not a %s", kind(v), typ)
}

// kind names the type of a value, with its article.
func kind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	if _, ok := number(v); ok {
		return "a number"
	}
	return fmt.Sprintf("a %T", v)
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// numberValue is f as flows see numbers: an int64 when it is an integer.
func numberValue(f float64) any {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f)
	}
	return f
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// Condition is one test of a where:.
type Condition struct {
	Column, Op string
	Value      any // of the column's type
}

// Where reads a searchRows where: input ({COLUMN: VALUE} or
// {COLUMN: {OP: VALUE}}) against the table, in column order. id, created
// and updated may be tested too.
func (t *Table) Where(in map[string]any) ([]Condition, error) {
	var out []Condition
	for _, k := range sortedKeys(in) {
		typ, err := t.typeOf(k)
		if err != nil {
			return nil, err
		}
		tests, ok := in[k].(map[string]any)
		if !ok {
			tests = map[string]any{"eq": in[k]}
		}
		for _, op := range sortedKeys(tests) {
			if !validOp(op) {
				return nil, bad("where: %q: unknown operator %q (operators: %s)", k, op, strings.Join(catalog.TableOperators, ", "))
			}
			v, err := Convert(tests[op], typ)
			if err != nil {
				return nil, bad("where: %q: %v", k, err)
			}
			out = append(out, Condition{Column: k, Op: op, Value: v})
		}
	}
	return out, nil
}

func validOp(op string) bool {
	for _, o := range catalog.TableOperators {
		if o == op {
			return true
		}
	}
	return false
}

// typeOf is the type of a column, or of id (string), created and updated
// (timestamp).
func (t *Table) typeOf(k string) (string, error) {
	switch k {
	case "id":
		return "string", nil
	case "created", "updated":
		return "timestamp", nil
	}
	c, ok := t.Column(k)
	if !ok {
		return "", unknownColumn(t, k)
	}
	return c.Type, nil
}

func (r *Row) get(k string) any {
	switch k {
	case "id":
		return r.ID
	case "created":
		return Time(r.Created)
	case "updated":
		return Time(r.Updated)
	}
	return r.Values[k]
}

// Matches reports whether the row meets every condition. A null value
// (a column not set) equals only null and is in no order.
func (r *Row) Matches(conds []Condition) bool {
	for _, c := range conds {
		v := r.get(c.Column)
		if v == nil || c.Value == nil {
			eq := v == nil && c.Value == nil
			if (c.Op == "eq" && eq) || (c.Op == "ne" && !eq) {
				continue
			}
			return false
		}
		n := compare(v, c.Value)
		ok := false
		switch c.Op {
		case "eq":
			ok = n == 0
		case "ne":
			ok = n != 0
		case "lt":
			ok = n < 0
		case "lte":
			ok = n <= 0
		case "gt":
			ok = n > 0
		case "gte":
			ok = n >= 0
		}
		if !ok {
			return false
		}
	}
	return true
}

// compare orders two non-null values of one column type: numbers by
// value, booleans false first, text (timestamps included, whose RFC 3339
// UTC text orders as time) byte by byte.
func compare(a, b any) int {
	if x, ok := number(a); ok {
		if y, ok := number(b); ok {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	}
	if x, ok := a.(bool); ok {
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0
			case !x:
				return -1
			}
			return 1
		}
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

// MaxRows is the most rows searchRows returns.
const MaxRows = 1000

// Query is a searchRows input, read.
type Query struct {
	Where         []Condition
	OrderBy       string
	Desc          bool
	Limit, Offset int
}

// ParseQuery reads the inputs of searchRows against the table.
func (t *Table) ParseQuery(in map[string]any) (*Query, error) {
	q := &Query{OrderBy: "created", Limit: MaxRows}
	if w, ok := in["where"].(map[string]any); ok {
		conds, err := t.Where(w)
		if err != nil {
			return nil, err
		}
		q.Where = conds
	}
	if s, _ := in["orderBy"].(string); s != "" {
		if _, err := t.typeOf(s); err != nil {
			return nil, err
		}
		q.OrderBy = s
	}
	switch d, _ := in["direction"].(string); strings.ToLower(d) {
	case "", "asc":
	case "desc":
		q.Desc = true
	default:
		return nil, bad("direction %q: use asc or desc", d)
	}
	for _, k := range []string{"limit", "offset"} {
		v, ok := in[k]
		if !ok || v == nil {
			continue
		}
		f, ok := number(v)
		if !ok || f < 0 || f != math.Trunc(f) {
			return nil, bad("%s must be a whole number of rows, not %v", k, v)
		}
		if k == "limit" {
			if f > 0 && f < MaxRows {
				q.Limit = int(f)
			}
		} else {
			q.Offset = int(math.Min(f, math.MaxInt32))
		}
	}
	return q, nil
}

// Search returns the rows that match q, in its order, paged: the answer
// of searchRows ({rows, count}).
func (t *Table) Search(rows []*Row, q *Query) map[string]any {
	var hit []*Row
	for _, r := range rows {
		if r.Matches(q.Where) {
			hit = append(hit, r)
		}
	}
	sort.SliceStable(hit, func(i, j int) bool {
		a, b := hit[i].get(q.OrderBy), hit[j].get(q.OrderBy)
		var n int
		switch {
		case a == nil && b == nil:
			n = 0
		case a == nil: // nulls first ascending, last descending
			n = -1
		case b == nil:
			n = 1
		default:
			n = compare(a, b)
		}
		if n == 0 { // the store's order: created, then id
			if n = hit[i].Created.Compare(hit[j].Created); n == 0 {
				n = strings.Compare(hit[i].ID, hit[j].ID)
			}
			return n < 0
		}
		if q.Desc {
			return n > 0
		}
		return n < 0
	})
	if q.Offset >= len(hit) {
		hit = nil
	} else {
		hit = hit[q.Offset:]
	}
	if len(hit) > q.Limit {
		hit = hit[:q.Limit]
	}
	out := make([]any, len(hit))
	for i, r := range hit {
		out[i] = r.Out(t)
	}
	return map[string]any{"rows": out, "count": int64(len(out))}
}

// RowFields are every row's own fields: no column may be named as one
// (where: and orderBy: would not know which is meant).
var RowFields = []string{"id", "created", "updated"}

// IsRowField reports whether name is one of RowFields.
func IsRowField(name string) bool { return slices.Contains(RowFields, name) }

// RowID is the id of the row createRow makes under an idempotency key:
// the same key (a retry, a resume, a replay of the same card) gives the
// same row.
func RowID(key string) string {
	h := sha256.Sum256([]byte("table row\x00" + key))
	return "row" + hex.EncodeToString(h[:10])
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
