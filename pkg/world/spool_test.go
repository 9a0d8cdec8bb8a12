package world

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/jml-dev/jml/pkg/effect"
)

// TestEncodeValue: what a record keeps in the spool comes back with the
// same types and values; a value of any other type is refused, so that it
// stays in memory.
func TestEncodeValue(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    map[string]any
		ok   bool
	}{
		{"empty", map[string]any{}, true},
		{"scalars", map[string]any{"s": "é\x00x", "t": true, "f": false, "i": int64(-42), "big": int64(1 << 62), "x": 1.5, "n": nil, "e": ""}, true},
		{"nested", map[string]any{"l": []any{int64(1), "a", []any{}, map[string]any{"k": 2.0}}, "m": map[string]any{"in": map[string]any{}}}, true},
		{"int is not int64", map[string]any{"i": 1}, false},
		{"nil map inside", map[string]any{"m": map[string]any(nil)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, ok := encodeValue(nil, tc.v)
			if ok != tc.ok {
				t.Fatalf("encodeValue ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				sp := &spool{}
				if got := storeMap(sp, tc.v).load(sp); !reflect.DeepEqual(got, tc.v) {
					t.Errorf("kept in memory: got %#v, want %#v", got, tc.v)
				}
				return
			}
			got, rest := decodeValue(b)
			if len(rest) != 0 || !reflect.DeepEqual(got, tc.v) {
				t.Errorf("decoded %#v (%d bytes left), want %#v", got, len(rest), tc.v)
			}
		})
	}
}

// TestSpoolChangesNothing: a world whose spool has moved to its temporary
// file answers every call, clone and State exactly as one that holds
// everything in memory — records created, read back and updated, messages
// posted, emails sent, before and after a Clone.
func TestSpoolChangesNothing(t *testing.T) {
	run := func(memory int) (string, *World) {
		t.Helper()
		saved := spoolMemory
		spoolMemory = memory
		defer func() { spoolMemory = saved }()
		w, _ := seeded(t)
		var log []any
		call := func(w *World, name, key string, in map[string]any) map[string]any {
			out, err := doReq(w, effect.Request{Input: in, IdempotencyKey: key}, name)
			if err != nil {
				log = append(log, name+": "+err.Error())
				return nil
			}
			log = append(log, out)
			return out
		}
		var sysIDs []string
		for i := range 40 {
			key := fmt.Sprintf("jml-ev%d-leaver-steps[7]", i)
			rec := call(w, "itsm.createRecord", key, map[string]any{"table": "sc_task", "fields": map[string]any{
				"short_description": fmt.Sprintf("Offboard user%d", i), "description": fmt.Sprintf("%0200d", i),
				"priority": int64(i), "weight": float64(i) / 3, "urgent": i%2 == 0, "tags": []any{"a", int64(i), nil}}})
			sysIDs = append(sysIDs, rec["sys_id"].(string))
			call(w, "slack.postMessage", key, map[string]any{"channel": "#it", "text": fmt.Sprintf("Deprovisioned user%d. %0100d", i, i)})
			call(w, "mail.send", key, map[string]any{"to": "a@acme.com", "subject": fmt.Sprint("s", i), "body": fmt.Sprintf("%0300d", i)})
			call(w, "slack.postMessage", "", map[string]any{"channel": "#it", "text": "keyless", "threadTs": "1.2"})
			call(w, "mail.send", "", map[string]any{"to": "a@acme.com", "cc": "b@acme.com", "subject": "keyless", "body": "b"})
		}
		for i, id := range sysIDs {
			if i%3 == 0 {
				call(w, "itsm.updateRecord", "", map[string]any{"table": "sc_task", "sysId": id, "fields": map[string]any{"state": fmt.Sprint(i), "sys_id": "ignored"}})
			}
			call(w, "itsm.getRecord", "", map[string]any{"table": "sc_task", "sysId": id})
		}
		c := w.Clone()
		call(c, "itsm.updateRecord", "", map[string]any{"table": "sc_task", "sysId": sysIDs[1], "fields": map[string]any{"state": "closed"}})
		call(w, "itsm.getRecord", "", map[string]any{"table": "sc_task", "sysId": sysIDs[1]})
		call(c, "itsm.getRecord", "", map[string]any{"table": "sc_task", "sysId": sysIDs[1]})
		log = append(log, w.State(), c.State(), w.Records("itsm", "sc_task", map[string]string{"correlation_id": "jml-ev3-leaver-steps[7]"}))
		b, err := json.Marshal(log)
		if err != nil {
			t.Fatal(err)
		}
		return string(b), w
	}
	inMemory, w := run(1 << 30)
	if w.spool.f != nil {
		t.Fatal("the spool moved to a file under its limit")
	}
	onDisk, w := run(64)
	if w.spool.f == nil || w.spool.onDisk == 0 {
		t.Fatal("the spool never moved to its file")
	}
	if onDisk != inMemory {
		t.Errorf("with the spool on disk the world answers differently:\n%s\nin memory:\n%s", onDisk, inMemory)
	}
}

// TestIDSetMerges: ids added past several merges of the newest into the
// sorted slice are all held, once each, and nothing else is; a clone
// taken between merges is unchanged by later adds.
func TestIDSetMerges(t *testing.T) {
	s := newIDSet(kindNumber)
	var c idSet
	const n = 5 * idSetMinMerge
	for i := 0; i < n; i++ {
		// Not in order, so that a merge interleaves.
		id := fmt.Sprintf("INC%07d", (i*7919)%n+10001)
		s.add(id)
		s.add(id)
		if i == n/2 {
			c = s.clone()
		}
	}
	if len(s.sorted) == 0 {
		t.Fatalf("no merge after %d ids", n)
	}
	if s.packedLen() != n {
		t.Errorf("%d ids packed, want %d", s.packedLen(), n)
	}
	if !slices.IsSorted(s.sorted) {
		t.Errorf("sorted keys out of order")
	}
	for i := 0; i < n; i++ {
		if id := fmt.Sprintf("INC%07d", i+10001); !s.has(id) {
			t.Errorf("%s added, not held", id)
		}
	}
	for _, id := range []string{"INC0010000", fmt.Sprintf("INC%07d", n+10001), "CHG0010001"} {
		if s.has(id) {
			t.Errorf("%s held, never added", id)
		}
	}
	if c.packedLen() != n/2+1 {
		t.Errorf("clone holds %d ids, want %d", c.packedLen(), n/2+1)
	}
	if id := fmt.Sprintf("INC%07d", ((n-1)*7919)%n+10001); c.has(id) {
		t.Errorf("clone holds %s, added after it", id)
	}
}

// TestIDSet: an id set holds exactly the ids added, whether they pack into
// eight bytes (the shapes the models generate) or are kept as spelt:
// another spelling of a packed id is another id.
func TestIDSet(t *testing.T) {
	for _, tc := range []struct {
		kind      idKind
		added     []string
		notAdded  []string
		packedLen int
	}{
		{kindTS, []string{"1700000000.000001", "1799999999.999999", "0.000000", "1.2", "01700000000.000001", "x"},
			[]string{"1700000000.000002", "1700000000.00001", "1700000000.0000010", "1.200000", "", "18446744073709.551615"}, 3},
		{kindMessageID, []string{"<0123456789abcdef.jml@world.invalid>", "<000001.jml@world.invalid>", "<0123456789ABCDEF.jml@world.invalid>"},
			[]string{"<0123456789abcdee.jml@world.invalid>", "<0123456789abcdef.jml@world.invalid", "<1.jml@world.invalid>"}, 1},
		{kindNumber, []string{"SCTASK0010001", "INC9999999", "REC0000001", "SCTASK10000000", "sctask0010002", "0010003"},
			[]string{"SCTASK0010002", "INC0010001", "REC9999999", "SCTASK010000000", "INC999999", "SCTASK"}, 3},
	} {
		s := newIDSet(tc.kind)
		for _, id := range tc.added {
			s.add(id)
		}
		for _, id := range tc.added {
			if !s.has(id) {
				t.Errorf("kind %d: %q added, not held", tc.kind, id)
			}
		}
		c := s.clone()
		for _, id := range tc.notAdded {
			if s.has(id) || c.has(id) {
				t.Errorf("kind %d: %q held, never added", tc.kind, id)
			}
		}
		if s.packedLen() != tc.packedLen || c.packedLen() != tc.packedLen {
			t.Errorf("kind %d: %d ids packed, want %d", tc.kind, s.packedLen(), tc.packedLen)
		}
	}
}
