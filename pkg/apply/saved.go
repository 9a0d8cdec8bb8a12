package apply

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/plan"
)

// SavedPlan reads a plan saved by jml plan -o for apply PLANFILE: it
// refuses a stale plan (jml.yaml or a flow changed since it was made,
// naming the files: sources are their bytes now) and one without inputs,
// and decodes the events it was made with. path names the file in
// messages.
func SavedPlan(data []byte, path string, sources map[string][]byte) (*plan.Plan, []*event.Event, error) {
	p, err := plan.Decode(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", path, err)
	}
	digest, files := plan.Digest(sources)
	if digest != p.Digest {
		changed := plan.Stale(p.Files, files)
		return nil, nil, fmt.Errorf("stale plan %s: changed since it was made: %s; run jml plan again", path, strings.Join(changed, ", "))
	}
	if p.Inputs == nil {
		return nil, nil, fmt.Errorf("%s: the plan has no inputs (save it with jml plan -o)", path)
	}
	evs, err := inputEvents(p.Inputs, path)
	if err != nil {
		return nil, nil, err
	}
	return p, evs, nil
}

// inputEvents decodes a saved plan's events as any other events are.
func inputEvents(in *plan.Inputs, path string) ([]*event.Event, error) {
	var nd bytes.Buffer
	for _, e := range in.Events {
		b, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		nd.Write(b)
		nd.WriteByte('\n')
	}
	s, err := event.Decode(&nd, path+" (inputs)", event.Options{})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var evs []*event.Event
	for {
		ev, err := s.Next()
		if errors.Is(err, io.EOF) {
			return evs, nil
		}
		if err != nil {
			return nil, err
		}
		evs = append(evs, ev)
	}
}
