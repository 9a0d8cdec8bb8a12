package event_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/jml-dev/jml/pkg/event"
)

// FuzzDecode checks that no input makes the decoder panic or loop: Next
// ends, in every mode, within a number of calls bounded by the input size,
// and what it returns is well formed.
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(eventsDir, "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, seed := range []string{
		"",
		"\x00\xff\xfe garbage",
		"{",
		"[",
		"[[[[[[[[[[",
		"}]",
		`{"uuid":"1","eventType":"t"}` + "\n" + `{"uuid":"1","eventType":"t"}`,
		`[{"uuid":"1","eventType":"t"},{"uuid":"2"},3,]`,
		`{"eventType":"com.okta.event_hook","data":{"events":[{"uuid":"1","eventType":"t","published":"x"},null]}}`,
		"{\"uuid\":\"a\n\",\"eventType\":\"t\"}\n{\"uuid\":\"b\",\"eventType\":\"t\"}",
		`{"uuid":"1","eventType":"t","n":1e999}`,
		"\xEF\xBB\xBF[\r\n]",
		`"just a string" 12 true null`,
		`{"uuid":"1","eventType":"t","a":{"k":1,"k":2}}` + "\n" + `[{"uuid":"2","eventType":"t","\u0061":1,"a":2}]`,
		`{"uuid":"1","eventType":"t","k:":"x:y","e":{}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range []string{"x.ndjson", "x.json"} {
			for _, keepGoing := range []bool{false, true} {
				s, err := event.Decode(bytes.NewReader(data), name, event.Options{KeepGoing: keepGoing})
				if err != nil {
					t.Fatal(err)
				}
				calls := 0
				for {
					calls++
					if calls > len(data)+2 {
						t.Fatalf("%s, KeepGoing %v: Next called %d times on %d bytes without the end", name, keepGoing, calls, len(data))
					}
					e, err := s.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						var de *event.DecodeError
						if !errors.As(err, &de) {
							t.Fatalf("err = %v (%T), want a *DecodeError", err, err)
						}
						if keepGoing {
							t.Fatalf("KeepGoing: Next returned %v", err)
						}
						if de.File != name || de.Line < 1 || de.Column < 0 {
							t.Fatalf("bad position in %#v", de)
						}
						break
					}
					if e.UUID == "" || e.EventType == "" || e.Raw == nil || e.Source == "" {
						t.Fatalf("incomplete event %#v", e)
					}
					// The accessors must not panic on any shape either.
					e.Target("User")
					e.Actor()
					e.Changed()
					e.Users()
					e.PublishedTime()
				}
				st := s.Stats()
				if st.Read+st.Duplicates+st.Skipped > len(data) {
					t.Fatalf("Stats() = %+v for %d bytes", st, len(data))
				}
				for _, de := range s.Skipped() {
					if de.File != name || de.Line < 1 || de.Column < 0 {
						t.Fatalf("bad position in skipped %#v", de)
					}
				}
			}
		}
	})
}
