package event_test

import (
	"io"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/event"
)

// TestRemote: an okta: source is opened by Options.Remote when its turn
// comes, read as NDJSON, and closed; without Remote it is an error.
func TestRemote(t *testing.T) {
	if _, err := event.Open([]string{"okta:2026-11-01T00:00:00Z"}, event.Options{}); err == nil || !strings.Contains(err.Error(), "okta:2026-11-01T00:00:00Z") {
		t.Errorf("without Remote: %v", err)
	}
	var asked []string
	closed := 0
	s, err := event.Open([]string{"../../testdata/events/okta-developer-docs__user.lifecycle.deactivate.ndjson", "okta:2026-11-01T00:00:00Z"}, event.Options{
		Remote: func(src string) (io.ReadCloser, error) {
			asked = append(asked, src)
			return closer{strings.NewReader(`{"uuid":"r1","eventType":"user.session.start","published":"2026-11-01T00:00:01Z"}` + "\n" +
				`{"uuid":"r2","eventType":"user.session.start"}` + "\n"), &closed}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(asked) != 0 {
		t.Error("Remote called by Open")
	}
	evs, err := readAll(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(evs); n < 3 || evs[n-2].UUID != "r1" || evs[n-1].Source != "okta:2026-11-01T00:00:00Z:2" {
		t.Errorf("events %d, last %+v", n, evs[n-1])
	}
	if len(asked) != 1 || closed != 1 {
		t.Errorf("asked %v, closed %d", asked, closed)
	}
}

type closer struct {
	io.Reader
	n *int
}

func (c closer) Close() error { *c.n++; return nil }
