package connector

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/history"
	"github.com/jml-dev/jml/pkg/history/historytest"
	"github.com/jml-dev/jml/pkg/table"
	"github.com/jml-dev/jml/pkg/world"
)

const tableConfig = `connectors:
  state:
    type: table
    tables:
      Members:
        columns: {User ID: string, Group ID: string, Expires: timestamp, Days: number, Active: boolean}
      Groups:
        columns: {Name: string}
`

// tableStores opens an empty history store on each back end: a SQLite
// file, and PostgreSQL in a schema of its own when JML_TEST_POSTGRES_URL
// names a server.
func tableStores(t *testing.T) map[string]func(t *testing.T) *history.Store {
	open := func(t *testing.T, url string) *history.Store {
		s, err := history.Open(context.Background(), url, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	return map[string]func(t *testing.T) *history.Store{
		"sqlite": func(t *testing.T) *history.Store {
			return open(t, "sqlite://"+filepath.Join(t.TempDir(), "h.db"))
		},
		"postgres": func(t *testing.T) *history.Store {
			return open(t, historytest.PostgresURL(t))
		},
	}
}

func canon(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var x any
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	dec.Decode(&x)
	b, _ = json.Marshal(effect.Numbers(x))
	return string(b)
}

// TestTableStoreAnswersAsTheWorld: the table connector on the history
// store (SQLite, PostgreSQL) answers every call — outputs, and failures'
// status and code — exactly as the simulated world does, so that a plan
// shows what apply does; a createRow made again under its idempotency
// key adds no second row in either.
func TestTableStoreAnswersAsTheWorld(t *testing.T) {
	cfg := loadConfig(t, tableConfig)
	for name, open := range tableStores(t) {
		t.Run(name, func(t *testing.T) {
			store := open(t)
			clk := clock.NewVirtual(time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC))
			set, err := New(cfg, Options{Clock: clk, Getenv: func(string) string { return "" }})
			if err != nil {
				t.Fatal(err)
			}
			set.UseTables(store)
			w := world.New([]world.Instance{{Name: "state", Type: "table", Tables: table.FromNode(cfg.Connectors[0].Node)}}, clk)
			ctx := context.Background()
			ids := map[string]string{} // the id each create's key made
			steps := []struct {
				action, key string
				in          map[string]any
				status      int // of the failure expected, 0 for none
			}{
				{"createRow", "e1/f/0", map[string]any{"table": "Members", "row": map[string]any{"User ID": "u1", "Group ID": "g1", "Expires": "2024-03-02T09:00:00+01:00", "Days": "2"}}, 0},
				{"createRow", "e2/f/0", map[string]any{"table": "Members", "row": map[string]any{"User ID": "u2", "Days": 30.5, "Active": true}}, 0},
				{"createRow", "e1/f/0", map[string]any{"table": "Members", "row": map[string]any{"User ID": "u1"}}, 0}, // a retry: the same row
				{"createRow", "e3/f/0", map[string]any{"table": "Groups", "row": map[string]any{"Name": int64(7)}}, 0},
				{"createRow", "e4/f/0", map[string]any{"table": "Members", "row": map[string]any{"Days": "many"}}, 400},
				{"createRow", "e4/f/0", map[string]any{"table": "Members", "row": map[string]any{"Owner": "x"}}, 400},
				{"searchRows", "", map[string]any{"table": "Members"}, 0},
				{"searchRows", "", map[string]any{"table": "Members", "where": map[string]any{"Expires": map[string]any{"lte": "2024-03-02T09:00:00Z"}}}, 0},
				{"searchRows", "", map[string]any{"table": "Members", "where": map[string]any{"Days": map[string]any{"gt": 1}}, "orderBy": "Days", "direction": "desc", "limit": 1}, 0},
				{"searchRows", "", map[string]any{"table": "Nope"}, 404},
				{"getRow", "", map[string]any{"table": "Members", "rowId": "e1/f/0"}, 0},
				{"getRow", "", map[string]any{"table": "Members", "rowId": "missing"}, 404},
				{"updateRow", "", map[string]any{"table": "Members", "rowId": "e2/f/0", "row": map[string]any{"Active": "false", "Group ID": "g2"}}, 0},
				{"updateRow", "", map[string]any{"table": "Members", "rowId": "e2/f/0", "row": map[string]any{"Days": "x"}}, 400},
				{"updateRow", "", map[string]any{"table": "Members", "rowId": "missing", "row": map[string]any{}}, 404},
				{"getRow", "", map[string]any{"table": "Members", "rowId": "e2/f/0"}, 0},
				{"deleteRow", "", map[string]any{"table": "Members", "rowId": "e1/f/0"}, 0},
				{"deleteRow", "", map[string]any{"table": "Members", "rowId": "e1/f/0"}, 0},
				{"searchRows", "", map[string]any{"table": "Members"}, 0},
				{"clearTable", "", map[string]any{"table": "Groups"}, 0},
				{"searchRows", "", map[string]any{"table": "Groups"}, 0},
			}
			for i, s := range steps {
				in := s.in
				if id, ok := in["rowId"].(string); ok && ids[id] != "" {
					in = map[string]any{}
					for k, v := range s.in {
						in[k] = v
					}
					in["rowId"] = ids[id]
				}
				req := effect.Request{Instance: "state", Type: "table", Action: s.action, Input: in, IdempotencyKey: s.key, Attempt: 1}
				want, werr := w.Do(ctx, req)
				got, gerr := set.Do(ctx, req)
				we, ge := effect.AsError(werr), effect.AsError(gerr)
				switch {
				case s.status != 0:
					if we == nil || ge == nil || we.Status != s.status || ge.Status != s.status || we.Code != ge.Code || ge.Retryable {
						t.Fatalf("step %d %s: world %v, store %v; want both a %d", i, s.action, we, ge, s.status)
					}
				case we != nil || ge != nil:
					t.Fatalf("step %d %s: world %v, store %v", i, s.action, we, ge)
				case canon(t, want) != canon(t, got):
					t.Fatalf("step %d %s:\nworld %s\nstore %s", i, s.action, canon(t, want), canon(t, got))
				}
				if s.action == "createRow" && s.status == 0 {
					ids[s.key] = got["id"].(string)
				}
				clk.Set(clk.Now().Add(time.Minute))
			}
			rows, _ := store.TableRows(ctx, "state", "Members")
			if len(rows) != 1 || rows[0].ID != ids["e2/f/0"] {
				t.Errorf("rows left %+v, want the one of e2", rows)
			}
		})
	}
}

func TestTableWithoutStore(t *testing.T) {
	set, err := New(loadConfig(t, tableConfig), Options{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = set.Do(context.Background(), effect.Request{Instance: "state", Action: "searchRows", Input: map[string]any{"table": "Members"}})
	if e := effect.AsError(err); e == nil || !strings.Contains(e.Message, "history store") || e.Retryable {
		t.Errorf("no store: %v", err)
	}
}
