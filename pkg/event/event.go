package event

import (
	"strings"
	"time"
)

// Event is one Okta System Log LogEvent.
type Event struct {
	// UUID is the event's uuid, an opaque non-empty string (not always
	// RFC 4122 in real recordings).
	UUID string
	// EventType is the event's eventType, e.g. "user.lifecycle.deactivate".
	EventType string
	// Published is the published timestamp as recorded
	// ("2020-11-16T18:15:12.862Z"); "" when absent or not a string.
	Published string
	// Raw is the whole LogEvent with unknown fields kept: objects are
	// map[string]any, arrays []any, numbers int64 when written as an
	// integer that fits and float64 otherwise, plus string, bool and nil.
	Raw map[string]any
	// Source says where the event came from, for messages:
	// "events/x.ndjson:12" (file:line), "events/x.json" (the file's first
	// or only value) or "events/hook.json (event 2)" (the second event of a
	// hook delivery).
	Source string
	// Partial marks an event Options.Want turned down, which was not
	// decoded in full: Raw holds only its uuid, eventType and published
	// (when a string), its actor and the elements of its target of type
	// "User", each with only the string fields among id, type, alternateId
	// and displayName — what a replay reads of an event no flow takes
	// (Users, Target("User"), seeding the world).
	Partial bool
}

// PublishedTime parses Published as RFC 3339 (with or without fractional
// seconds). It reports false when Published is empty or not a timestamp.
func (e *Event) PublishedTime() (time.Time, bool) {
	if e == nil || e.Published == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, e.Published)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// Target returns the first element of the event's target array whose
// "type" is typ ("User", "UserGroup", "AppInstance", …), or nil when there
// is none; real events have target missing, null or empty.
func (e *Event) Target(typ string) map[string]any {
	if e == nil {
		return nil
	}
	targets, _ := e.Raw["target"].([]any)
	for _, t := range targets {
		if m, ok := t.(map[string]any); ok && m["type"] == typ {
			return m
		}
	}
	return nil
}

// Actor returns the event's actor object, or nil when it has none.
func (e *Event) Actor() map[string]any {
	if e == nil {
		return nil
	}
	a, _ := e.Raw["actor"].(map[string]any)
	return a
}

// Changed returns the profile attribute names that
// debugContext.debugData.changedAttributes lists (set on
// user.account.update_profile). Okta records them as one comma-separated
// string ("login,email"); a JSON array of strings is accepted too. Names
// are trimmed and empty ones dropped. Changed returns nil when the field
// is absent and an empty, non-nil slice when it is present but lists
// nothing.
func (e *Event) Changed() []string {
	if e == nil {
		return nil
	}
	dc, _ := e.Raw["debugContext"].(map[string]any)
	dd, _ := dc["debugData"].(map[string]any)
	var parts []string
	switch v := dd["changedAttributes"].(type) {
	case string:
		parts = strings.Split(v, ",")
	case []any:
		for _, p := range v {
			if s, ok := p.(string); ok {
				parts = append(parts, s)
			}
		}
	default:
		return nil
	}
	out := []string{}
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Users returns every User the event names: the targets of type "User",
// then the actor when its type is "User", in that order and without
// repeating an id (an admin who deactivates themself is one user).
// Entries without a string id are kept as they are.
func (e *Event) Users() []map[string]any {
	if e == nil {
		return nil
	}
	var users []map[string]any
	add := func(m map[string]any) {
		if m == nil || m["type"] != "User" {
			return
		}
		if id, ok := m["id"].(string); ok {
			// An event names a handful of users: a scan beats a map.
			for _, u := range users {
				if uid, ok := u["id"].(string); ok && uid == id {
					return
				}
			}
		}
		users = append(users, m)
	}
	targets, _ := e.Raw["target"].([]any)
	for _, t := range targets {
		m, _ := t.(map[string]any)
		add(m)
	}
	add(e.Actor())
	return users
}
