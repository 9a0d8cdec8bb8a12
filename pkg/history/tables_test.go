package history

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestTableRows: the table store's rows on each back end — a second
// insert of an id adds nothing, rows listed oldest first per instance and
// table, an update merges in one transaction (and writes nothing when the
// merge fails), deletes and clears count what they removed.
func TestTableRows(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ins := func(inst, tbl, id, data string, min int) bool {
			t.Helper()
			at := t0.Add(timeMinutes(min))
			added, err := s.InsertTableRow(ctx, inst, tbl, TableRow{ID: id, Data: data, Created: at, Updated: at})
			if err != nil {
				t.Fatal(err)
			}
			return added
		}
		if !ins("state", "Members", "b", `{"n":1}`, 2) || !ins("state", "Members", "a", `{"n":2}`, 3) || !ins("state", "Other", "a", `{}`, 1) || !ins("other", "Members", "a", `{}`, 1) {
			t.Fatal("a first insert added nothing")
		}
		if ins("state", "Members", "b", `{"n":9}`, 9) {
			t.Error("a second insert of id b added a row")
		}
		ids := func() string {
			rows, err := s.TableRows(ctx, "state", "Members")
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range rows {
				out = append(out, r.ID+"="+r.Data)
			}
			return strings.Join(out, " ")
		}
		if got := ids(); got != `b={"n":1} a={"n":2}` {
			t.Fatalf("rows %s", got)
		}
		found, err := s.UpdateTableRow(ctx, "state", "Members", "a", t0.Add(timeMinutes(10)), func(old string) (string, error) { return old[:len(old)-1] + `,"m":3}`, nil })
		if err != nil || !found {
			t.Fatalf("update: %v %v", found, err)
		}
		r, err := s.TableRow(ctx, "state", "Members", "a")
		if err != nil || r == nil || r.Data != `{"n":2,"m":3}` || !r.Updated.Equal(t0.Add(timeMinutes(10))) || !r.Created.Equal(t0.Add(timeMinutes(3))) {
			t.Fatalf("after update: %+v %v", r, err)
		}
		bad := errors.New("bad value")
		if _, err := s.UpdateTableRow(ctx, "state", "Members", "a", t0, func(string) (string, error) { return "", bad }); err != bad {
			t.Errorf("a failing merge: %v, want its error", err)
		}
		if r, _ := s.TableRow(ctx, "state", "Members", "a"); r.Data != `{"n":2,"m":3}` {
			t.Errorf("a failing merge wrote %s", r.Data)
		}
		if found, err := s.UpdateTableRow(ctx, "state", "Members", "zz", t0, func(string) (string, error) { t.Error("merge called"); return "", nil }); found || err != nil {
			t.Errorf("update of a missing row: %v %v", found, err)
		}
		if r, err := s.TableRow(ctx, "state", "Members", "zz"); r != nil || err != nil {
			t.Errorf("missing row: %v %v", r, err)
		}
		if d, err := s.DeleteTableRow(ctx, "state", "Members", "b"); !d || err != nil {
			t.Errorf("delete: %v %v", d, err)
		}
		if d, err := s.DeleteTableRow(ctx, "state", "Members", "b"); d || err != nil {
			t.Errorf("delete again: %v %v", d, err)
		}
		if n, err := s.ClearTable(ctx, "state", "Members"); n != 1 || err != nil {
			t.Errorf("clear: %d %v", n, err)
		}
		if got := ids(); got != "" {
			t.Errorf("rows after clear: %s", got)
		}
		if rows, _ := s.TableRows(ctx, "other", "Members"); len(rows) != 1 {
			t.Errorf("another instance's table: %d rows, want 1", len(rows))
		}
	})
}

func timeMinutes(n int) time.Duration { return time.Duration(n) * time.Minute }
