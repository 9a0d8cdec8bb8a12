package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/history"
	"github.com/jml-dev/jml/pkg/table"
)

// TableStore is where table instances keep their rows: the history store
// the run records into (*history.Store), in its table_rows.
type TableStore interface {
	TableRows(ctx context.Context, instance, table string) ([]history.TableRow, error)
	TableRow(ctx context.Context, instance, table, id string) (*history.TableRow, error)
	InsertTableRow(ctx context.Context, instance, table string, r history.TableRow) (bool, error)
	UpdateTableRow(ctx context.Context, instance, table, id string, now time.Time, merge func(string) (string, error)) (bool, error)
	DeleteTableRow(ctx context.Context, instance, table, id string) (bool, error)
	ClearTable(ctx context.Context, instance, table string) (int64, error)
}

// UseTables has the set's table instances that name no database: keep
// their rows in ts (the history store, once the command has opened it).
// Against the sandbox they call the sandbox instead.
func (s *Set) UseTables(ts TableStore) {
	for _, in := range s.instances {
		if in.Type == "table" && in.Settings["database"] == "" {
			in.TableStore = ts
		}
	}
}

// TableDatabases returns, by instance name, the database: URL of each
// table instance that names one (the command opens them: UseTablesOf).
func (s *Set) TableDatabases() map[string]string {
	out := map[string]string{}
	for name, in := range s.instances {
		if db := in.Settings["database"]; in.Type == "table" && db != "" && !in.Sandbox {
			out[name] = db
		}
	}
	return out
}

// UseTablesOf has the table instance name keep its rows in ts.
func (s *Set) UseTablesOf(name string, ts TableStore) {
	if in, ok := s.instances[name]; ok && in.Type == "table" {
		in.TableStore = ts
	}
}

// tableClient performs the table actions: on the rows of the history
// store's table_rows, by pkg/table's rules (the simulated world's); with
// `jml sandbox`, by POST /INSTANCE/ACTION with the input as the body and
// the idempotency key in an Idempotency-Key header.
type tableClient struct{ in *Instance }

func newTable(in *Instance) Client { return &tableClient{in: in} }

func (c *tableClient) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	if c.in.Sandbox {
		return c.sandbox(ctx, req)
	}
	st := c.in.TableStore
	if st == nil {
		return nil, configError("the table connector keeps its rows in the history store, and this command has none open")
	}
	name := String(req.Input, "table")
	t, err := c.in.Tables.Lookup(name)
	if err != nil {
		return nil, err
	}
	now := c.in.Limiter.now().UTC()
	inst := c.in.Name
	switch req.Action {
	case "searchRows":
		q, err := t.ParseQuery(req.Input)
		if err != nil {
			return nil, err
		}
		stored, err := st.TableRows(ctx, inst, name)
		if err != nil {
			return nil, storeError(err)
		}
		rows := make([]*table.Row, 0, len(stored))
		for _, r := range stored {
			row, err := decodeRow(r)
			if err != nil {
				return nil, err
			}
			rows = append(rows, row)
		}
		return t.Search(rows, q), nil
	case "getRow":
		id := String(req.Input, "rowId")
		r, err := st.TableRow(ctx, inst, name, id)
		if err != nil {
			return nil, storeError(err)
		}
		if r == nil {
			return nil, effect.HTTPError(404, fmt.Sprintf("table %q has no row %q", name, id))
		}
		row, err := decodeRow(*r)
		if err != nil {
			return nil, err
		}
		return map[string]any{"row": row.Out(t)}, nil
	case "createRow":
		in, _ := req.Input["row"].(map[string]any)
		values, err := t.Values(in)
		if err != nil {
			return nil, err
		}
		data, err := json.Marshal(values)
		if err != nil {
			return nil, invalid("row: %v", err)
		}
		// The id is the idempotency key's: a retry, resume or replay of
		// the card finds the row it made (the insert adds nothing).
		key := req.IdempotencyKey
		if key == "" {
			key = fmt.Sprintf("%s\x00%s\x00%d", inst, name, now.UnixNano())
		}
		id := table.RowID(key)
		if _, err := st.InsertTableRow(ctx, inst, name, history.TableRow{ID: id, Data: string(data), Created: now, Updated: now}); err != nil {
			return nil, storeError(err)
		}
		return map[string]any{"id": id}, nil
	case "updateRow":
		id := String(req.Input, "rowId")
		in, _ := req.Input["row"].(map[string]any)
		values, err := t.Values(in)
		if err != nil {
			return nil, err
		}
		found, err := st.UpdateTableRow(ctx, inst, name, id, now, func(old string) (string, error) {
			m, err := decodeValues(old)
			if err != nil {
				return "", err
			}
			for k, v := range values {
				m[k] = v
			}
			b, err := json.Marshal(m)
			return string(b), err
		})
		if err != nil {
			return nil, storeError(err)
		}
		if !found {
			return nil, effect.HTTPError(404, fmt.Sprintf("table %q has no row %q", name, id))
		}
		return map[string]any{}, nil
	case "deleteRow":
		deleted, err := st.DeleteTableRow(ctx, inst, name, String(req.Input, "rowId"))
		if err != nil {
			return nil, storeError(err)
		}
		return map[string]any{"deleted": deleted}, nil
	case "clearTable":
		n, err := st.ClearTable(ctx, inst, name)
		if err != nil {
			return nil, storeError(err)
		}
		return map[string]any{"cleared": n}, nil
	}
	return nil, Unsupported(c.in.Type, req.Action)
}

// storeError is a failure of the database: retryable, as a vendor's 5xx
// is (a locked or unreachable database), but for an *effect.Error.
func storeError(err error) error {
	if e, ok := err.(*effect.Error); ok {
		return e
	}
	return &effect.Error{Code: "server_error", Message: "the table store: " + err.Error(), Retryable: true}
}

func decodeValues(data string) (map[string]any, error) {
	m := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader([]byte(data)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, &effect.Error{Code: "bad_response", Message: "the table store holds a row that is not a JSON object: " + err.Error()}
	}
	return effect.Numbers(m).(map[string]any), nil
}

func decodeRow(r history.TableRow) (*table.Row, error) {
	m, err := decodeValues(r.Data)
	if err != nil {
		return nil, err
	}
	return &table.Row{ID: r.ID, Created: r.Created, Updated: r.Updated, Values: m}, nil
}

// sandbox performs the action on the sandbox's world.
func (c *tableClient) sandbox(ctx context.Context, req effect.Request) (map[string]any, error) {
	var headers map[string]string
	if req.IdempotencyKey != "" {
		headers = map[string]string{"Idempotency-Key": req.IdempotencyKey}
	}
	in := req.Input
	if in == nil {
		in = map[string]any{}
	}
	resp, err := c.in.Call(ctx, "POST", "/"+Seg(req.Action), nil, in, headers)
	if err != nil {
		return nil, err
	}
	return resp.Object()
}
