package event_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/event"
)

// TestDuplicateKeys: a key twice in one JSON object, at any depth, is bad
// input with the position of the second, as in YAML; with KeepGoing the
// event is skipped and counted like any malformed one.
func TestDuplicateKeys(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		text      string
		wantErr   string
		wantKept  []string
		wantSkips int
	}{
		{
			name:      "top-level key in NDJSON",
			file:      "x.ndjson",
			text:      ev("1") + "\n" + `{"uuid":"2","eventType":"t","uuid":"3"}` + "\n" + ev("4"),
			wantErr:   `x.ndjson:2:29: duplicate key "uuid" (first defined at line 2, column 2)`,
			wantKept:  []string{"1", "4"},
			wantSkips: 1,
		},
		{
			name:      "nested key",
			file:      "x.ndjson",
			text:      `{"uuid":"1","eventType":"t","actor":{"id":"a","type":"User","id":"b"}}` + "\n" + ev("2"),
			wantErr:   `x.ndjson:1:61: duplicate key "id" (first defined at line 1, column 38)`,
			wantKept:  []string{"2"},
			wantSkips: 1,
		},
		{
			name:      "in an object in an array",
			file:      "x.ndjson",
			text:      `{"uuid":"1","eventType":"t","target":[{"id":"a"},{"id":"b","type":"User","type":"x"}]}`,
			wantErr:   `x.ndjson:1:74: duplicate key "type" (first defined at line 1, column 60)`,
			wantSkips: 1,
		},
		{
			// encoding/json unescapes keys: "\u0069d" is "id".
			name:      "the same key escaped",
			file:      "x.ndjson",
			text:      `{"uuid":"1","eventType":"t","id":1,"\u0069d":2}`,
			wantErr:   `x.ndjson:1:36: duplicate key "id" (first defined at line 1, column 29)`,
			wantSkips: 1,
		},
		{
			name:      "array element of a document",
			file:      "x.json",
			text:      "[\n" + ev("1") + ",\n" + `{"uuid":"2",` + "\n" + `"eventType":"t","eventType":"u"}` + ",\n" + ev("3") + "\n]",
			wantErr:   `x.json:4:17: duplicate key "eventType" (first defined at line 4, column 1)`,
			wantKept:  []string{"1", "3"},
			wantSkips: 1,
		},
		{
			name:      "in a hook delivery",
			file:      "hook.json",
			text:      `{"eventType":"com.okta.event_hook","data":{"events":[` + ev("1") + `],"events":[]}}`,
			wantErr:   `hook.json:1:108: duplicate key "events" (first defined at line 1, column 44)`,
			wantSkips: 1,
		},
		{
			name:      "a long key is cut in the message",
			file:      "x.ndjson",
			text:      `{"uuid":"1","eventType":"t","` + strings.Repeat("k", 1000) + `":1,"` + strings.Repeat("k", 1000) + `":2}`,
			wantErr:   `x.ndjson:1:1034: duplicate key "` + strings.Repeat("k", 57) + `..." (first defined at line 1, column 29)`,
			wantSkips: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := decodeAll(t, tt.text, tt.file, event.Options{})
			var de *event.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v (%T), want a *DecodeError", err, err)
			}
			if got := err.Error(); got != tt.wantErr {
				t.Errorf("err = %s\nwant  %s", got, tt.wantErr)
			}
			evs, stats, err := decodeAll(t, tt.text, tt.file, event.Options{KeepGoing: true})
			if err != nil {
				t.Fatalf("KeepGoing: %v", err)
			}
			if got := uuids(evs); !slices.Equal(got, tt.wantKept) {
				t.Errorf("KeepGoing: uuids = %q, want %q", got, tt.wantKept)
			}
			if stats.Skipped != tt.wantSkips || stats.Read != len(tt.wantKept) {
				t.Errorf("KeepGoing: Stats() = %+v, want Skipped %d, Read %d", stats, tt.wantSkips, len(tt.wantKept))
			}
		})
	}
}

// TestNoFalseDuplicates: colons and braces inside strings, the same key in
// different objects, and empty objects are not duplicates.
func TestNoFalseDuplicates(t *testing.T) {
	for _, text := range []string{
		`{"uuid":"1","eventType":"t","published":"2024-01-02T03:04:05Z","url":"https://x:8443/a?b=c:d"}`,
		`{"uuid":"1","eventType":"t","a":{"id":1},"b":{"id":1},"c":[{"id":1},{"id":2}]}`,
		`{"uuid":"1","eventType":"t","k:v":"{\"uuid\":1}","e":{},"l":[],"q":"\\\":"}`,
		`{"uuid":"1","eventType":"t","id":1,"Id":2,"ID":3}`,
	} {
		evs, _, err := decodeAll(t, text, "x.ndjson", event.Options{})
		if err != nil || len(evs) != 1 {
			t.Errorf("%s: %d events, err %v", text, len(evs), err)
		}
	}
}

// TestDuplicateKeyMemory: finding a duplicate key costs a few allocations
// per bad event, not a second decode. (For a valid event the check is two
// counts, from bytes the scanner stops at anyway and from the walk that
// converts numbers: BenchmarkDecodeNDJSON's allocations are unchanged.)
func TestDuplicateKeyMemory(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(eventsDir, "okta-sdk-java__logs-subset.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	// The same events with one key doubled in each.
	dup := bytes.ReplaceAll(data, []byte(`{"actor":`), []byte(`{"dup":1,"dup":2,"actor":`))
	decode := func(b []byte) func() {
		return func() {
			s, _ := event.Decode(bytes.NewReader(b), "x.ndjson", event.Options{KeepGoing: true})
			for {
				if _, err := s.Next(); err != nil {
					break
				}
			}
		}
	}
	s, _ := event.Decode(bytes.NewReader(dup), "x.ndjson", event.Options{KeepGoing: true})
	if evs, err := readAll(t, s); err != nil || len(evs) != 0 || s.Stats().Skipped == 0 {
		t.Fatalf("doubled keys: %d events, %+v, %v", len(evs), s.Stats(), err)
	}
	valid := testing.AllocsPerRun(5, decode(data))
	bad := testing.AllocsPerRun(5, decode(dup))
	events := float64(s.Stats().Skipped)
	// Each bad event: its error, its message and the few maps of the
	// search for the key, and no more than that.
	if bad > valid+30*events {
		t.Errorf("%v allocations with a duplicate key in each of %v events, %v without", bad, events, valid)
	}
}
