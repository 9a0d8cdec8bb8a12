package verify

import (
	"strings"

	"github.com/jml-dev/jml/pkg/event"
)

// DeactivateEvent is the Okta event whose users --from takes.
const DeactivateEvent = "user.lifecycle.deactivate"

// FromEvents returns the users of the user.lifecycle.deactivate events:
// each event's first User target, in event order, without repeats. Other
// events are ignored.
func FromEvents(evs []*event.Event) []User {
	var users []User
	for _, ev := range evs {
		if ev == nil || ev.EventType != DeactivateEvent {
			continue
		}
		t := ev.Target("User")
		if t == nil {
			continue
		}
		id, _ := t["id"].(string)
		login, _ := t["alternateId"].(string)
		if id == "" && login == "" {
			continue
		}
		users = append(users, User{ID: strings.TrimSpace(id), Login: strings.TrimSpace(login), Deactivated: true})
	}
	return Dedupe(users)
}

// Dedupe drops the users already listed (same Okta id, or same login
// case-insensitively), keeping the first and merging what the later one
// knows.
func Dedupe(users []User) []User {
	var out []User
	for _, u := range users {
		dup := false
		for i := range out {
			o := &out[i]
			if (u.ID != "" && strings.EqualFold(o.ID, u.ID)) || (u.Login != "" && strings.EqualFold(o.Login, u.Login)) {
				if o.ID == "" {
					o.ID = u.ID
				}
				if o.Login == "" {
					o.Login = u.Login
				}
				o.Deactivated = o.Deactivated || u.Deactivated
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, u)
		}
	}
	return out
}
