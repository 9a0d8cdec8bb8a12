package compile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/catalog"
	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/source"
	"github.com/jml-dev/jml/pkg/table"
)

// checkTable checks a table action's with: against the tables the
// instance declares in jml.yaml: a literal table: must be one of them,
// the columns a row:, where: or orderBy: names must be its, a where:
// operator one of catalog.TableOperators, and a literal value of its
// column's type or convertible to it (table.Convert) — the table store
// answers 400 or 404 to anything else.
func (fc *flowCtx) checkTable(with *ast.Value, con *ast.Connector, inst string) {
	if with == nil {
		return
	}
	tv, ok := with.Lookup("table")
	name, lit := literal(tv)
	if !ok || !lit {
		return
	}
	schema := table.FromNode(con.Node)
	t, ok := schema[name]
	if !ok {
		d := diag.Diagnostic{Severity: diag.Error, Code: "unknown-table", Range: tv.Range,
			Message: fmt.Sprintf("connector instance %q declares no table %q", inst, name)}
		if s, ok := diag.Closest(name, schema.Names()); ok {
			d.Message += fmt.Sprintf("; did you mean %q?", s)
		} else if len(schema) > 0 {
			d.Message += " (tables: " + strings.Join(schema.Names(), ", ") + ")"
		}
		d.Detail = "declare it in jml.yaml: connectors." + inst + ".tables"
		fc.c.ds.Add(d)
		return
	}
	column := func(k ast.String, meta bool) {
		if _, ok := t.Column(k.Value); ok || (meta && (k.Value == "id" || k.Value == "created" || k.Value == "updated")) {
			return
		}
		d := diag.Diagnostic{Severity: diag.Error, Code: "unknown-column", Range: k.Range,
			Message: fmt.Sprintf("table %q has no column %q", name, k.Value)}
		if s, ok := diag.Closest(k.Value, t.Names()); ok {
			d.Message += fmt.Sprintf("; did you mean %q?", s)
		} else {
			d.Message += " (columns: " + strings.Join(t.Names(), ", ") + ")"
		}
		fc.c.ds.Add(d)
	}
	// value reports a literal that is not of its column's type and does
	// not convert to it (a template is checked when the call is made).
	value := func(col string, v *ast.Value, meta bool) {
		typ := ""
		switch {
		case meta && col == "id":
			typ = "string"
		case meta && (col == "created" || col == "updated"):
			typ = "timestamp"
		default:
			c, ok := t.Column(col)
			if !ok {
				return
			}
			typ = c.Type
		}
		var x any
		switch v.Kind {
		case ast.Str:
			s, lit := literal(v)
			if !lit {
				return
			}
			x = s
		case ast.Number, ast.Bool:
			x = v.Scalar
		case ast.Null:
			return
		default:
			x = map[string]any{} // a list or a mapping: never a column's value
			if v.Kind == ast.List {
				x = []any{}
			}
		}
		if _, err := table.Convert(x, typ); err != nil {
			fc.c.ds.Errorf(v.Range, "column-type", "column %q of table %q is a %s: %v", col, name, typ, err)
		}
	}
	if row, ok := with.Lookup("row"); ok && row.Kind == ast.Map {
		for _, e := range row.Map {
			column(e.Key, false)
			value(e.Key.Value, e.Value, false)
		}
	}
	if where, ok := with.Lookup("where"); ok && where.Kind == ast.Map {
		for _, e := range where.Map {
			column(e.Key, true)
			if e.Value.Kind != ast.Map {
				value(e.Key.Value, e.Value, true)
				continue
			}
			for _, op := range e.Value.Map {
				if !slices.Contains(catalog.TableOperators, op.Key.Value) {
					d := diag.Diagnostic{Severity: diag.Error, Code: "unknown-operator", Range: op.Key.Range,
						Message: fmt.Sprintf("where: %q: unknown operator %q (operators: %s)", e.Key.Value, op.Key.Value, strings.Join(catalog.TableOperators, ", "))}
					if s, ok := diag.Closest(op.Key.Value, catalog.TableOperators); ok {
						d.Message = fmt.Sprintf("where: %q: unknown operator %q; did you mean %q?", e.Key.Value, op.Key.Value, s)
					}
					fc.c.ds.Add(d)
					continue
				}
				value(e.Key.Value, op.Value, true)
			}
		}
	}
	if ob, ok := with.Lookup("orderBy"); ok {
		if s, lit := literal(ob); lit {
			column(ast.String{Value: s, Range: ob.Range}, true)
		}
	}
}

// checkTables reports, on a table instance of jml.yaml, a password in its
// database: URL, and a column named as a row's own fields are (id,
// created, updated: where: and orderBy: would not know which is meant).
func (c *compiler) checkTables(con ast.Connector) {
	if con.Type.Value != "table" {
		return
	}
	if db := source.Get(con.Node, "database"); db != nil && source.URLPassword(db.Value) {
		c.ds.Errorf(c.cfg.File.Range(db), "literal-secret", "connector %q: database holds a password, and jml.yaml is committed: give PostgreSQL the password through PGPASSWORD or ~/.pgpass", con.Name.Value)
	}
	for _, tp := range source.Pairs(source.Get(con.Node, "tables")) {
		for _, cp := range source.Pairs(source.Get(tp[1], "columns")) {
			if table.IsRowField(cp[0].Value) {
				c.ds.Errorf(c.cfg.File.Range(cp[0]), "reserved-column", "connector %q, table %q: %s is every row's own field; name the column otherwise", con.Name.Value, tp[0].Value, cp[0].Value)
			}
		}
	}
}

// literal returns a string value that holds no ${{ }} expression.
func literal(v *ast.Value) (string, bool) {
	if v == nil || v.Kind != ast.Str {
		return "", false
	}
	s, ok := v.Scalar.(string)
	return s, ok && !strings.Contains(s, "${{")
}
