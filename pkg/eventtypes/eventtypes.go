package eventtypes

import (
	"bytes"
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"

	jsonv2 "github.com/go-json-experiment/json"
)

//go:embed event-types.json
var catalogueJSON []byte

// EventType describes one Okta System Log event type.
type EventType struct {
	// ID is the event type, e.g. "user.lifecycle.deactivate".
	ID string `json:"id"`
	// Description is Okta's one-line description of the event.
	Description string `json:"description"`
	// Category is Okta's catalogue category, e.g. "ud-core".
	Category string `json:"category"`
	// HookEligible reports whether an Okta event hook can deliver the
	// event (the catalogue's "event-hook-eligible" tag).
	HookEligible bool `json:"hookEligible"`
	// Beta reports whether Okta marks the event type as beta.
	Beta bool `json:"beta"`
	// Internal reports whether Okta marks the event type as internal.
	Internal bool `json:"internal"`
}

// catalogue is the parsed form of event-types.json.
type catalogue struct {
	Source     string      `json:"source"`
	Release    string      `json:"release"`
	EventTypes []EventType `json:"eventTypes"`

	byID  map[string]int // index into EventTypes
	lower []string       // lower-cased IDs, parallel to EventTypes
	segs  [][]string     // lower-cased IDs split at '.', parallel to EventTypes
}

var (
	loadOnce sync.Once
	loaded   *catalogue
)

// cat returns the parsed embedded catalogue. The file is generated and
// checked by the package tests, so a parse failure is a build defect and
// panics.
func cat() *catalogue {
	loadOnce.Do(func() {
		c, err := parse(catalogueJSON)
		if err != nil {
			panic(fmt.Sprintf("eventtypes: embedded event-types.json: %v", err))
		}
		loaded = c
	})
	return loaded
}

// parse decodes and indexes a generated catalogue file.
func parse(data []byte) (*catalogue, error) {
	var c catalogue
	// go-json-experiment/json (the encoding/json/v2 to be) decodes the
	// 400 kB in half encoding/json's time: every command that compiles a
	// flow with an event trigger pays it once.
	if err := jsonv2.Unmarshal(data, &c); err != nil {
		return nil, err
	}
	slices.SortFunc(c.EventTypes, func(a, b EventType) int { return strings.Compare(a.ID, b.ID) })
	c.byID = make(map[string]int, len(c.EventTypes))
	c.lower = make([]string, len(c.EventTypes))
	c.segs = make([][]string, len(c.EventTypes))
	for i, t := range c.EventTypes {
		if t.ID == "" {
			return nil, fmt.Errorf("event type #%d has no id", i)
		}
		if _, dup := c.byID[t.ID]; dup {
			return nil, fmt.Errorf("duplicate event type %q", t.ID)
		}
		c.byID[t.ID] = i
		c.lower[i] = asciiLower(t.ID)
		c.segs[i] = strings.Split(c.lower[i], ".")
	}
	return &c, nil
}

// Release returns the Okta release the embedded catalogue was taken from,
// e.g. "2026.08.1".
func Release() string { return cat().Release }

// Source returns the provenance of the embedded catalogue: the repository,
// commit and path it was generated from.
func Source() string { return cat().Source }

// All returns every known event type, sorted by ID. The slice is a copy
// and may be modified by the caller.
func All() []EventType { return slices.Clone(cat().EventTypes) }

// Lookup returns the event type with exactly the given ID. IDs are
// case-sensitive, as in the Okta System Log.
func Lookup(id string) (EventType, bool) {
	if t, ok := lookupLine(id); ok {
		return t, true
	}
	c := cat()
	i, ok := c.byID[id]
	if !ok {
		return EventType{}, false
	}
	return c.EventTypes[i], true
}

// lookupLine finds the event type id in the embedded file without
// decoding the rest of it: the generator writes one event type a line,
// starting {"id":"ID", — so a compile that looks up its trigger's one event
// type does not decode 400 kB (~4 ms). Not found there (or an id that JSON
// would escape), Lookup asks the decoded catalogue, which also answers
// everything else; TestLookupLineAgrees holds the two to the same answer
// for every event type.
func lookupLine(id string) (EventType, bool) {
	if id == "" || strings.ContainsAny(id, "\"\\") || strings.ContainsFunc(id, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
		return EventType{}, false
	}
	head := "\n{\"id\":\"" + id + "\","
	i := bytes.Index(catalogueJSON, []byte(head))
	if i < 0 {
		return EventType{}, false
	}
	line := catalogueJSON[i+1:]
	if j := bytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	line = bytes.TrimSuffix(line, []byte{','})
	var t EventType
	if jsonv2.Unmarshal(line, &t) != nil || t.ID != id {
		return EventType{}, false
	}
	return t, true
}

// IsGlob reports whether pattern is a glob, that is, contains '*'.
func IsGlob(pattern string) bool { return strings.Contains(pattern, "*") }

// Match returns the known event types that pattern selects, sorted by ID.
//
// In a glob, '*' matches any run of characters, including dots, so
// "user.*" matches "user.lifecycle.create"; every other character matches
// itself. A pattern without '*' returns the single exact event type if it
// is known. Match returns nil when nothing matches.
func Match(pattern string) []EventType {
	if !IsGlob(pattern) {
		if t, ok := Lookup(pattern); ok {
			return []EventType{t}
		}
		return nil
	}
	var out []EventType
	for _, t := range cat().EventTypes {
		if globMatch(pattern, t.ID) {
			out = append(out, t)
		}
	}
	return out
}

// globMatch reports whether s matches pattern, where '*' matches any
// (possibly empty) run of bytes and every other byte matches itself. It
// runs in O(len(pattern)*len(s)) time in the worst case.
func globMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0 // position of the last '*' in pattern, and of s when it was seen
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			// Let the last '*' absorb one more byte and retry.
			mark++
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
