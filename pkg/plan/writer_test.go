package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/engine"
)

// streamed writes p through a Writer (with its inputs when it has some).
func streamed(t *testing.T, p *Plan) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	defer w.Close()
	if p.Inputs != nil {
		w.KeepInputs(p.Inputs.Flow, p.Inputs.At, t.TempDir())
	}
	if err := p.Stream(w); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestWriterWritesTheDocument: the streamed document is byte for byte the
// document encoded whole — the v1 fixture, and plans with no event, no
// inputs, a --flow and an --at, and characters the encoder escapes.
func TestWriterWritesTheDocument(t *testing.T) {
	fixture, err := Read(v1Fixture)
	if err != nil {
		t.Fatal(err)
	}
	withoutInputs := *fixture
	withoutInputs.Inputs = nil
	empty := New("sha256:e", nil)
	empty.Summary.BlastRadius = NewBlastRadius(25)
	emptyInputs := New("sha256:e", map[string]string{"jml.yaml": "sha256:j"})
	emptyInputs.Inputs = &Inputs{Events: []map[string]any{}, At: "2026-01-05T02:00:00Z"}
	odd := New("sha256:o", map[string]string{"flows/<a&b>.yaml": "sha256:x"})
	odd.Add("e<1>", "user.lifecycle.deactivate", "", []*engine.Run{{Flow: "b", Status: engine.StatusSuccess,
		Changes: []engine.Change{{Card: "c", Action: "slack.postMessage", With: map[string]any{"text": "a & b <i>\u2028 é \x01", "n": json.Number("1.50")}, Via: []string{}}}},
		{Flow: "a", Status: engine.StatusFiltered}}, []string{"z", "y"})
	odd.Add("schedule@2026-01-05T02:00:00Z", "schedule", "2026-01-05T02:00:00Z", nil, nil)
	odd.Inputs = &Inputs{Events: []map[string]any{{"uuid": "e<1>", "n": int64(3), "x": []any{map[string]any{}, nil, 1.5}}}, Flow: "b"}
	tests := []struct {
		name string
		p    *Plan
	}{
		{"the v1 fixture", fixture},
		{"the v1 fixture without inputs", &withoutInputs},
		{"no event", empty},
		{"no event, inputs", emptyInputs},
		{"escapes, a schedule instant, --flow", odd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := encode(t, tt.p)
			if got := streamed(t, tt.p); !bytes.Equal(got, want) {
				t.Errorf("streamed document differs: %s", diffLines(got, want))
			}
			// --format json encodes with json.Encoder: the same bytes.
			var enc bytes.Buffer
			e := json.NewEncoder(&enc)
			e.SetIndent("", "  ")
			if err := e.Encode(tt.p); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(enc.Bytes(), want) {
				t.Errorf("json.Encoder and MarshalIndent differ: %s", diffLines(enc.Bytes(), want))
			}
		})
	}
}

// TestWriterSpoolsToDisk: inputs larger than the spool's memory go to a
// temporary file, come back whole and in order, and Close removes it.
func TestWriterSpoolsToDisk(t *testing.T) {
	p := New("sha256:big", nil)
	p.Inputs = &Inputs{Events: []map[string]any{}}
	long := strings.Repeat("é", 300)
	for i := 0; i < 3000; i++ {
		p.Add(fmt.Sprintf("e%05d", i), "user.session.start", "", nil, nil)
		p.Inputs.Events = append(p.Inputs.Events, map[string]any{"uuid": fmt.Sprintf("e%05d", i), "pad": long})
	}
	dir := t.TempDir()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.KeepInputs("", "", dir)
	if err := p.Stream(w); err != nil {
		t.Fatal(err)
	}
	if w.spool.f == nil {
		t.Fatalf("%d bytes of inputs stayed in memory", w.spool.Len())
	}
	if files, _ := os.ReadDir(dir); len(files) != 1 {
		t.Fatalf("spool directory holds %d files, want 1", len(files))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("Close left %d files", len(files))
	}
	if want := encode(t, p); !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("streamed document differs: %s", diffLines(buf.Bytes(), want))
	}
}

// lineWriter records every Write and fails the test on one that does not
// end at a newline, except the last.
type lineWriter struct {
	writes [][]byte
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.writes = append(l.writes, append([]byte{}, p...))
	return len(p), nil
}

// TestSpoolCopiesWholeLines: what a spool gives back reaches the writer in
// pieces that end at a newline, so a multi-byte character or a colour
// sequence is never cut in two (view.SafeWriter, the secret redactor).
func TestSpoolCopiesWholeLines(t *testing.T) {
	for _, size := range []int{10, 200 << 10, 3 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			var s Spool
			s.Dir = t.TempDir()
			defer s.Close()
			var want bytes.Buffer
			line := strings.Repeat("✓ é ", 37) + "\n"
			for want.Len() < size {
				want.WriteString(line)
			}
			want.WriteString("no newline at the end")
			if _, err := s.Write(want.Bytes()); err != nil {
				t.Fatal(err)
			}
			var lw lineWriter
			if err := s.CopyTo(&lw); err != nil {
				t.Fatal(err)
			}
			got := bytes.Join(lw.writes, nil)
			if !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("copied %d bytes, want %d", len(got), want.Len())
			}
			for i, w := range lw.writes[:len(lw.writes)-1] {
				if !bytes.HasSuffix(w, []byte("\n")) {
					t.Fatalf("write %d of %d does not end at a newline", i+1, len(lw.writes))
				}
			}
		})
	}
}

// TestWriterOrder: the Writer refuses an event before Begin or after End.
func TestWriterOrder(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.Event(Event{}); err == nil {
		t.Error("an event before Begin was written")
	}
	if err := w.Begin("", nil); err != nil {
		t.Fatal(err)
	}
	if err := w.End(NewSummary()); err != nil {
		t.Fatal(err)
	}
	if err := w.Event(Event{}); err == nil {
		t.Error("an event after End was written")
	}
}
