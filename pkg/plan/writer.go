package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// Writer is the Sink that writes the plan document (SPEC §7) as the plan
// is made: the head (formatVersion, digest, files) at Begin, each event of
// the `events` array as it finishes, the summary at End. What it writes is
// byte for byte the document encoded whole (json.MarshalIndent with two
// spaces and a final newline), in the same field order: formatVersion,
// digest, files, events, summary, inputs.
//
// With KeepInputs (jml plan -o), the document ends with the inputs: every
// raw event, heard as it is read but written after the summary, so they
// wait in a Spool (a temporary file past 1 MiB) rather than in memory.
// Close removes it.
type Writer struct {
	w      io.Writer
	inputs *Inputs // Flow and At; nil: no inputs
	spool  Spool
	nin    int // inputs spooled
	n      int // events written
	state  int // 0 new, 1 begun, 2 ended
	buf    bytes.Buffer
}

// NewWriter returns a Writer of the document to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// KeepInputs makes the document end with its inputs (a saved plan): the
// events heard by Input, and what selected the flows (--flow, --at).
// spoolDir is where the events wait ("": the system's temporary
// directory).
func (w *Writer) KeepInputs(flow, at, spoolDir string) {
	w.inputs = &Inputs{Flow: flow, At: at}
	w.spool.Dir = spoolDir
}

var errWriterOrder = errors.New("plan.Writer: Begin, Event…, End, in that order")

// Begin writes the head of the document.
func (w *Writer) Begin(digest string, files map[string]string) error {
	if w.state != 0 {
		return errWriterOrder
	}
	w.state = 1
	if files == nil {
		files = map[string]string{}
	}
	w.buf.Reset()
	w.buf.WriteString("{\n  \"formatVersion\": ")
	if err := w.value(FormatVersion, "  "); err != nil {
		return err
	}
	w.buf.WriteString(",\n  \"digest\": ")
	if err := w.value(digest, "  "); err != nil {
		return err
	}
	w.buf.WriteString(",\n  \"files\": ")
	if err := w.value(files, "  "); err != nil {
		return err
	}
	w.buf.WriteString(",\n  \"events\": [")
	_, err := w.w.Write(w.buf.Bytes())
	return err
}

// Event writes one element of the events array.
func (w *Writer) Event(ev Event) error {
	if w.state != 1 {
		return errWriterOrder
	}
	w.buf.Reset()
	if w.n > 0 {
		w.buf.WriteByte(',')
	}
	w.buf.WriteString("\n    ")
	if err := w.value(eventJSON(ev), "    "); err != nil {
		return err
	}
	w.n++
	_, err := w.w.Write(w.buf.Bytes())
	return err
}

// Input spools one raw event of the inputs (with KeepInputs; otherwise it
// does nothing).
func (w *Writer) Input(raw map[string]any) error {
	if w.inputs == nil {
		return nil
	}
	w.buf.Reset()
	if w.nin > 0 {
		w.buf.WriteByte(',')
	}
	w.buf.WriteString("\n      ")
	if err := w.value(raw, "      "); err != nil {
		return err
	}
	w.nin++
	_, err := w.spool.Write(w.buf.Bytes())
	return err
}

// End closes the events array and writes the summary, then the inputs.
func (w *Writer) End(s Summary) error {
	if w.state != 1 {
		return errWriterOrder
	}
	w.state = 2
	w.buf.Reset()
	if w.n > 0 {
		w.buf.WriteString("\n  ")
	}
	w.buf.WriteString("],\n  \"summary\": ")
	if err := w.value(summaryJSON(s), "  "); err != nil {
		return err
	}
	if w.inputs == nil {
		w.buf.WriteString("\n}\n")
		_, err := w.w.Write(w.buf.Bytes())
		return err
	}
	w.buf.WriteString(",\n  \"inputs\": {\n    \"events\": [")
	if _, err := w.w.Write(w.buf.Bytes()); err != nil {
		return err
	}
	if err := w.spool.CopyTo(w.w); err != nil {
		return err
	}
	w.buf.Reset()
	if w.nin > 0 {
		w.buf.WriteString("\n    ")
	}
	w.buf.WriteByte(']')
	if w.inputs.Flow != "" {
		w.buf.WriteString(",\n    \"flow\": ")
		if err := w.value(w.inputs.Flow, "    "); err != nil {
			return err
		}
	}
	if w.inputs.At != "" {
		w.buf.WriteString(",\n    \"at\": ")
		if err := w.value(w.inputs.At, "    "); err != nil {
			return err
		}
	}
	w.buf.WriteString("\n  }\n}\n")
	_, err := w.w.Write(w.buf.Bytes())
	return err
}

// Close removes the spooled inputs.
func (w *Writer) Close() error { return w.spool.Close() }

// value appends v as the document encodes it at that depth (prefix).
func (w *Writer) value(v any, prefix string) error {
	b, err := json.MarshalIndent(v, prefix, "  ")
	if err != nil {
		return err
	}
	w.buf.Write(b)
	return nil
}

var _ InputSink = (*Writer)(nil)
