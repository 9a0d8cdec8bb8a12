package world

import (
	"fmt"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/table"
)

// worldFileRowTime is when the rows a world file lists without created:
// were created.
var worldFileRowTime = time.Unix(0, 0).UTC()

// tableModel is jml's table store (connector type table): the rows of the
// tables the instance declares in jml.yaml, answered by pkg/table's rules
// as the SQL store answers them.
type tableModel struct {
	schema table.Schema
	rows   map[string][]*table.Row // by table, in creation order
}

func newTable(s table.Schema) *tableModel {
	return &tableModel{schema: s, rows: map[string][]*table.Row{}}
}

func (m *tableModel) clone() model {
	c := newTable(m.schema)
	for name, rows := range m.rows {
		cp := make([]*table.Row, len(rows))
		for i, r := range rows {
			rr := *r
			rr.Values = copyMap(r.Values)
			cp[i] = &rr
		}
		c.rows[name] = cp
	}
	return c
}

func (m *tableModel) seed(User) {}

// load reads rows: {TABLE: [{id?, created?, COLUMN: VALUE…}]}.
func (m *tableModel) load(o obj) {
	rows := o.object("rows")
	for _, name := range sortedKeys(rows) {
		t, err := m.schema.Lookup(name)
		if err != nil {
			o.r.errAt(o.child("rows")+"/"+name, true, "unknown-table", "%s", errMessage(err))
			continue
		}
		list := obj{r: o.r, ptr: o.child("rows"), m: rows}.list(name)
		for i, ro := range list {
			vals := map[string]any{}
			for k, v := range ro.m {
				if k != "id" && k != "created" {
					vals[k] = v
				}
			}
			values, err := t.Values(normalizeInput(vals))
			if err != nil {
				ro.errf("", "invalid-value", "%s", errMessage(err))
				continue
			}
			r := &table.Row{ID: ro.str("id"), Created: worldFileRowTime, Values: values}
			if r.ID == "" {
				r.ID = table.RowID(fmt.Sprintf("world file\x00%s\x00%d", name, i))
			}
			if s := ro.str("created"); s != "" {
				ts, err := time.Parse(time.RFC3339Nano, s)
				if err != nil {
					ro.errf("created", "invalid-value", "%q is not an RFC 3339 timestamp (2024-01-31T09:00:00Z)", s)
					continue
				}
				r.Created = ts.UTC()
			}
			r.Updated = r.Created
			if m.find(name, r.ID) != nil {
				ro.errf("id", "duplicate", "a second row with id %q in table %q", r.ID, name)
				continue
			}
			m.rows[name] = append(m.rows[name], r)
		}
	}
}

func errMessage(err error) string {
	if e, ok := err.(*effect.Error); ok {
		return e.Message
	}
	return err.Error()
}

func (m *tableModel) find(tbl, id string) *table.Row {
	for _, r := range m.rows[tbl] {
		if r.ID == id {
			return r
		}
	}
	return nil
}

func (m *tableModel) do(c *call) (map[string]any, error) {
	name := c.str("table")
	t, err := m.schema.Lookup(name)
	if err != nil {
		return nil, err
	}
	switch c.action {
	case "searchRows":
		q, err := t.ParseQuery(c.in)
		if err != nil {
			return nil, err
		}
		return t.Search(m.rows[name], q), nil
	case "getRow":
		r := m.find(name, c.str("rowId"))
		if r == nil {
			return nil, notFound("table %q has no row %q", name, c.str("rowId"))
		}
		return map[string]any{"row": r.Out(t)}, nil
	case "createRow":
		in, _ := c.in["row"].(map[string]any)
		values, err := t.Values(in)
		if err != nil {
			return nil, err
		}
		id := ""
		if k := c.key(); k != "" {
			id = table.RowID(k)
			if m.find(name, id) != nil {
				return map[string]any{"id": id}, nil // a repeat of the same card: its row
			}
		} else {
			for n := len(m.rows[name]) + 1; id == "" || m.find(name, id) != nil; n++ {
				id = fmt.Sprintf("row%06d", n)
			}
		}
		m.rows[name] = append(m.rows[name], &table.Row{ID: id, Created: c.now.UTC(), Updated: c.now.UTC(), Values: values})
		return map[string]any{"id": id}, nil
	case "updateRow":
		r := m.find(name, c.str("rowId"))
		if r == nil {
			return nil, notFound("table %q has no row %q", name, c.str("rowId"))
		}
		in, _ := c.in["row"].(map[string]any)
		values, err := t.Values(in)
		if err != nil {
			return nil, err
		}
		for k, v := range values {
			r.Values[k] = v
		}
		r.Updated = c.now.UTC()
		return map[string]any{}, nil
	case "deleteRow":
		id := c.str("rowId")
		for i, r := range m.rows[name] {
			if r.ID == id {
				m.rows[name] = append(m.rows[name][:i:i], m.rows[name][i+1:]...)
				return map[string]any{"deleted": true}, nil
			}
		}
		return map[string]any{"deleted": false}, nil
	case "clearTable":
		n := len(m.rows[name])
		delete(m.rows, name)
		return map[string]any{"cleared": int64(n)}, nil
	}
	return nil, notImplemented("table", c.action)
}

// state is {rows: {TABLE: [row…]}}, every declared table listed, its rows
// in creation order.
func (m *tableModel) state() map[string]any {
	rows := map[string]any{}
	for _, name := range m.schema.Names() {
		t := m.schema[name]
		list := make([]any, len(m.rows[name]))
		for i, r := range m.rows[name] {
			list[i] = r.Out(t)
		}
		rows[name] = list
	}
	return map[string]any{"rows": rows}
}
