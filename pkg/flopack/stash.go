package flopack

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/table"
)

// Okta Workflows Tables (the stash module) become jml's table connector
// (docs/tables.md): the pack's tables are the tables of one instance in
// jml.yaml, and the Search Rows, Create Row, Update Row, Delete Row and
// Clear Table cards its actions.

// tableColumnType maps the column types of Okta's tables to jml's.
var tableColumnType = map[string]string{
	"str": "string", "dec": "number", "int": "number", "num": "number",
	"bool": "boolean", "boolean": "boolean", "dte": "timestamp", "date": "timestamp",
}

// rowField maps the fields Okta's table cards give every row to jml's
// (Created is the user record's created too: userField).
var rowField = map[string]string{"Row ID": "id", "Updated": "updated"}

// tableInstanceName is the instance the pack's tables are declared on.
const tableInstanceName = "tables"

// tableInstance declares, when the pack carries tables, the table
// instance that holds them.
func (im *importer) tableInstance(used map[string]bool) {
	if len(im.pack.Tables) == 0 {
		return
	}
	im.tableInst = unique(tableInstanceName, used)
	im.conns = append(im.conns, instanceDecl{name: im.tableInst, typ: "table", okta: "the pack's tables"})
	im.decide("the pack's Okta Workflows tables are the tables of the table instance %q in jml.yaml, kept in the history store by jml apply (docs/tables.md)", im.tableInst)
	for _, tb := range im.pack.Tables {
		for _, c := range tb.Columns {
			if _, ok := tableColumnType[c.Type]; !ok {
				im.decide("table %q: column %q of Okta type %q is declared a string", tb.Name, c.Name, c.Type)
			}
		}
	}
}

// tablesYAML is the tables: of the table instance, indented for
// jml.yaml's connector.
func (im *importer) tablesYAML() string {
	tables := mapping()
	seen := map[string]bool{}
	for _, tb := range im.pack.Tables {
		if seen[tb.Name] {
			continue // two tables of one name: the first (sorted by id) holds it
		}
		seen[tb.Name] = true
		cols := mapping()
		for _, c := range tb.Columns {
			typ := tableColumnType[c.Type]
			if typ == "" {
				typ = "string"
			}
			if colName(c.Name) != c.Name {
				im.decide("table %q: column %q is declared %q (jml's rows have their own %s)", tb.Name, c.Name, colName(c.Name), c.Name)
			}
			set(cols, colName(c.Name), str(typ))
		}
		cols.Style = yaml.FlowStyle
		set(tables, tb.Name, mapping("columns", cols))
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	_ = enc.Encode(mapping("tables", tables))
	b := buf.Bytes()
	var out strings.Builder
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		out.WriteString("    " + l + "\n")
	}
	return out.String()
}

// colName is the jml column of an Okta table's column: its name, but for
// a column named as a row's own field (id, created, updated: Okta's
// are Row ID, Created, Updated), which is okta_NAME.
func colName(name string) string {
	if table.IsRowField(name) {
		return "okta_" + name
	}
	return name
}

// table is the pack's table a stash card names (its Table parameter).
func (t *ftr) table(c *Card) (*Table, string) {
	f := t.input(c, "stash")
	if f == nil {
		return nil, "no table"
	}
	if isPinned(t, c, f) {
		return nil, "its table is connected; only a literal table is imported"
	}
	id, _ := f.Value.(string)
	for _, tb := range t.im.pack.Tables {
		if tb.ID == id {
			return tb, ""
		}
	}
	return nil, fmt.Sprintf("its table %q is not in the export", id)
}

func (tb *Table) column(name string) bool {
	for _, c := range tb.Columns {
		if c.Name == name {
			return true
		}
	}
	return false
}

// tableOps maps the operators of Search Rows' Where Expression to
// searchRows' where: ones.
var tableOps = map[string]string{"=": "eq", "==": "eq", "!=": "ne", "<>": "ne", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}

// stash translates a table card.
func (t *ftr) stash(c *Card) (*yaml.Node, string) {
	tb, why := t.table(c)
	if why != "" {
		return nil, why
	}
	id := t.stepID(c)
	with := mapping("table", str(tb.Name))
	handled := map[*Field]bool{}
	// rowValues sets row: from the Fields group (the columns).
	rowValues := func() string {
		row := mapping()
		for _, f := range c.Inputs {
			if f.Group != "Fields" {
				continue
			}
			handled[f] = true
			if !tb.column(f.Key) {
				return fmt.Sprintf("input %q is not a column of table %q", f.Key, tb.Name)
			}
			if !isPinned(t, c, f) && emptyLiteral(f.Value) {
				continue
			}
			v, why := t.value(c, f, "")
			if why != "" {
				return why
			}
			set(row, colName(f.Key), v)
		}
		set(with, "row", row)
		return ""
	}
	rowID := func(group string) string {
		f := t.input(c, "Row ID")
		if f == nil || f.Group != group {
			return "no Row ID"
		}
		handled[f] = true
		v, why := t.value(c, f, "")
		if why != "" {
			return why
		}
		set(with, "rowId", v)
		return ""
	}
	var action string
	outputs := map[string]string{} // Okta output key → CEL, STEP standing for steps.ID.output
	switch c.Method {
	case "createRow":
		action = "createRow"
		if why := rowValues(); why != "" {
			return nil, why
		}
		outputs["Row ID"] = "STEP.id"
	case "updateRow":
		action = "updateRow"
		if why := rowID("Update By"); why != "" {
			return nil, why
		}
		if why := rowValues(); why != "" {
			return nil, why
		}
	case "deleteRow":
		action = "deleteRow"
		if why := rowID("Delete By"); why != "" {
			return nil, why
		}
	case "clearTable":
		action = "clearTable"
		outputs["Cleared Rows"] = "STEP.cleared"
	case "searchRows2":
		action = "searchRows"
		var why string
		if outputs, why = t.searchRows(c, tb, with, handled); why != "" {
			return nil, why
		}
	default:
		return nil, "jml's table connector has no action for it"
	}
	for _, f := range c.Inputs {
		if handled[f] || f.Group == "parameters" || f.Group == "_expr" {
			continue
		}
		if isPinned(t, c, f) || !emptyLiteral(f.Value) {
			return nil, fmt.Sprintf("input %q has no table.%s equivalent", f.Key, action)
		}
	}
	for _, o := range c.Outputs {
		if p, ok := outputs[o.Key]; ok {
			t.outExpr[c.ID+"/"+o.ID] = strings.ReplaceAll(p, "STEP", "steps."+id+".output")
		}
	}
	return mapping("id", id, "action", t.im.tableInst+"."+action, "with", with), ""
}

// searchRows reads Search Rows' Result Set, Where Expression and Sort
// into with:, and returns its outputs.
func (t *ftr) searchRows(c *Card, tb *Table, with *yaml.Node, handled map[*Field]bool) (map[string]string, string) {
	outputs := map[string]string{}
	rs, _ := t.input(c, "resultSet").Value.(string)
	one := false
	switch rs {
	case "all":
		outputs["Rows"] = "STEP.rows"
	case "all-new":
		outputs["Rows"] = "STEP.rows"
		t.im.decide("Search Rows' result set \"all-new\" (all matching rows) is searchRows' rows, at most 1000")
	case "one":
		one = true
		// The first matching row's fields; when none matches, Okta's
		// outputs are empty: "" for text, null for the others.
		empty := func(typ string) string {
			if typ == "string" {
				return `""`
			}
			return "dyn(null)"
		}
		outputs["Row ID"] = `STEP.rows[?0].id.orValue("")`
		outputs["Created"], outputs["Updated"] = "STEP.rows[?0].created.orValue(dyn(null))", "STEP.rows[?0].updated.orValue(dyn(null))"
		for _, col := range tb.Columns {
			outputs[col.Name] = "STEP.rows[?0][" + strconv.Quote(colName(col.Name)) + "].orValue(" + empty(tableColumnType[col.Type]) + ")"
		}
		t.im.decide("Search Rows with the first matching row is searchRows with limit: 1; its outputs read rows[?0], and are empty (\"\" for text, null for the others) when no row matches, as Okta's")
	default:
		return nil, fmt.Sprintf("result set %q is not imported", rs)
	}
	if f := t.input(c, "Where Expression"); f != nil {
		handled[f] = true
		if isPinned(t, c, f) {
			return nil, "its Where Expression is connected; only a literal one is imported"
		}
		where, why := t.where(c, tb, f.Value)
		if why != "" {
			return nil, why
		}
		if where != nil {
			set(with, "where", where)
		}
	}
	var column, direction string
	for _, f := range c.Inputs {
		if f.Group != "Sort" {
			continue
		}
		handled[f] = true
		if isPinned(t, c, f) {
			return nil, fmt.Sprintf("its Sort %s is connected; only a literal one is imported", f.Key)
		}
		switch f.Key {
		case "Column":
			column, _ = f.Value.(string)
		case "Direction":
			direction, _ = f.Value.(string)
		case "Limit", "Offset":
			if emptyLiteral(f.Value) || f.Value == nil {
				continue
			}
			if s := fmt.Sprint(f.Value); s != "0" && !(one && f.Key == "Limit") {
				set(with, strings.ToLower(f.Key), literal(f.Value))
			}
		default:
			if !emptyLiteral(f.Value) {
				return nil, fmt.Sprintf("input %q has no table.searchRows equivalent", f.Key)
			}
		}
	}
	if column != "" {
		by, ok := rowField[column]
		switch {
		case ok, column == "Created":
			if !ok {
				by = "created"
			}
			set(with, "orderBy", str(by))
		case tb.column(column):
			set(with, "orderBy", str(colName(column)))
		default:
			t.im.decide("Search Rows sorted by %q, which is not a column of table %q: not imported (the rows come oldest first)", column, tb.Name)
			column = ""
		}
		if column != "" && (direction == "asc" || direction == "desc") {
			set(with, "direction", str(direction))
		}
	}
	if one {
		set(with, "limit", plain("1", "!!int"))
	}
	return outputs, ""
}

// where is searchRows' where: of a Where Expression ({expr: [{lhs, op,
// join, rhs | rhd}]}), nil when it has no condition.
func (t *ftr) where(c *Card, tb *Table, v any) (*yaml.Node, string) {
	m, _ := v.(map[string]any)
	list, _ := m["expr"].([]any)
	if len(list) == 0 {
		return nil, ""
	}
	type test struct {
		op string
		v  *yaml.Node
	}
	byCol := map[string][]test{}
	var cols []string
	for i, e := range list {
		cond, _ := e.(map[string]any)
		lhs, _ := cond["lhs"].(string)
		op, _ := cond["op"].(string)
		join, _ := cond["join"].(string)
		if i > 0 && !strings.EqualFold(join, "AND") {
			return nil, fmt.Sprintf("its Where Expression joins with %q; only AND is imported", join)
		}
		col := lhs
		if f, ok := rowField[lhs]; ok {
			col = f
		} else if lhs == "Created" {
			col = "created"
		} else if !tb.column(lhs) {
			return nil, fmt.Sprintf("its Where Expression tests %q, not a column of table %q", lhs, tb.Name)
		} else {
			col = colName(lhs)
		}
		jop, ok := tableOps[op]
		if !ok {
			return nil, fmt.Sprintf("its Where Expression's operator %q is not imported", op)
		}
		var val *yaml.Node
		if rhd, ok := cond["rhd"].(map[string]any); ok {
			out, _ := rhd["outputId"].(string)
			var f *Field
			for _, in := range c.Inputs {
				if in.Group == "_expr" && in.Key == out {
					f = in
				}
			}
			if f == nil {
				return nil, fmt.Sprintf("its Where Expression's value for %q is connected to nothing", lhs)
			}
			var why string
			if val, why = t.value(c, f, ""); why != "" {
				return nil, why
			}
		} else {
			val = literal(cond["rhs"])
		}
		for _, x := range byCol[col] {
			if x.op == jop {
				return nil, fmt.Sprintf("its Where Expression tests %q %s twice", lhs, op)
			}
		}
		if _, seen := byCol[col]; !seen {
			cols = append(cols, col)
		}
		byCol[col] = append(byCol[col], test{jop, val})
	}
	sort.Strings(cols)
	where := mapping()
	for _, col := range cols {
		tests := byCol[col]
		if len(tests) == 1 && tests[0].op == "eq" {
			set(where, col, tests[0].v)
			continue
		}
		ops := mapping()
		for _, x := range tests {
			set(ops, x.op, x.v)
		}
		ops.Style = yaml.FlowStyle
		set(where, col, ops)
	}
	return where, ""
}
