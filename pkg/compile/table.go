package compile

import (
	"fmt"
	"strings"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/table"
)

// checkTable checks a table action's with: against the tables the
// instance declares in jml.yaml: a literal table: must be one of them,
// and the columns a literal row:, where: or orderBy: names must be its
// (the table store answers 400 or 404 to anything else).
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
	if row, ok := with.Lookup("row"); ok && row.Kind == ast.Map {
		for _, e := range row.Map {
			column(e.Key, false)
		}
	}
	if where, ok := with.Lookup("where"); ok && where.Kind == ast.Map {
		for _, e := range where.Map {
			column(e.Key, true)
		}
	}
	if ob, ok := with.Lookup("orderBy"); ok {
		if s, lit := literal(ob); lit {
			column(ast.String{Value: s, Range: ob.Range}, true)
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
