package event_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/event"
)

// one decodes a single event from JSON text.
func one(t *testing.T, text string) *event.Event {
	t.Helper()
	s, err := event.Decode(strings.NewReader(text), "test.json", event.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.Next()
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return e
}

func TestTargetActorUsers(t *testing.T) {
	user := func(id string) map[string]any {
		return map[string]any{"id": id, "type": "User", "alternateId": id + "@example.com"}
	}
	tests := []struct {
		name      string
		event     string
		wantUser  map[string]any // Target("User")
		wantGroup map[string]any // Target("UserGroup")
		wantActor map[string]any
		wantUsers []map[string]any
	}{
		{
			name:      "target missing",
			event:     `{"uuid":"1","eventType":"t","actor":{"id":"a","type":"User","alternateId":"a@example.com"}}`,
			wantActor: user("a"),
			wantUsers: []map[string]any{user("a")},
		},
		{
			name:      "target null",
			event:     `{"uuid":"1","eventType":"t","target":null,"actor":{"id":"a","type":"User","alternateId":"a@example.com"}}`,
			wantActor: user("a"),
			wantUsers: []map[string]any{user("a")},
		},
		{
			name:      "target empty",
			event:     `{"uuid":"1","eventType":"t","target":[],"actor":{"id":"a","type":"User","alternateId":"a@example.com"}}`,
			wantActor: user("a"),
			wantUsers: []map[string]any{user("a")},
		},
		{
			name:  "target not an array, actor not an object",
			event: `{"uuid":"1","eventType":"t","target":{"id":"x","type":"User"},"actor":"system"}`,
		},
		{
			name:      "actor is not a User",
			event:     `{"uuid":"1","eventType":"t","actor":{"id":"0oa1","type":"PublicClientApp"},"target":[null,7,{"id":"b","type":"User","alternateId":"b@example.com"}]}`,
			wantUser:  user("b"),
			wantActor: map[string]any{"id": "0oa1", "type": "PublicClientApp"},
			wantUsers: []map[string]any{user("b")},
		},
		{
			name: "group membership: first of each type, users deduplicated by id in order",
			event: `{"uuid":"1","eventType":"group.user_membership.add",
				"actor":{"id":"a","type":"User","alternateId":"a@example.com"},
				"target":[{"id":"g","type":"UserGroup"},{"id":"b","type":"User","alternateId":"b@example.com"},
				{"id":"g2","type":"UserGroup"},{"id":"a","type":"User","alternateId":"a@example.com"},
				{"id":"b","type":"User","alternateId":"b@example.com"}]}`,
			wantUser:  user("b"),
			wantGroup: map[string]any{"id": "g", "type": "UserGroup"},
			wantActor: user("a"),
			wantUsers: []map[string]any{user("b"), user("a")},
		},
		{
			name:      "users without an id are kept",
			event:     `{"uuid":"1","eventType":"t","target":[{"type":"User"},{"type":"User"}],"actor":{"type":"User"}}`,
			wantUser:  map[string]any{"type": "User"},
			wantActor: map[string]any{"type": "User"},
			wantUsers: []map[string]any{{"type": "User"}, {"type": "User"}, {"type": "User"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := one(t, tt.event)
			if got := e.Target("User"); !reflect.DeepEqual(got, tt.wantUser) {
				t.Errorf("Target(User) = %v, want %v", got, tt.wantUser)
			}
			if got := e.Target("UserGroup"); !reflect.DeepEqual(got, tt.wantGroup) {
				t.Errorf("Target(UserGroup) = %v, want %v", got, tt.wantGroup)
			}
			if got := e.Target("AppInstance"); got != nil {
				t.Errorf("Target(AppInstance) = %v, want nil", got)
			}
			if got := e.Actor(); !reflect.DeepEqual(got, tt.wantActor) {
				t.Errorf("Actor() = %v, want %v", got, tt.wantActor)
			}
			if got := e.Users(); !reflect.DeepEqual(got, tt.wantUsers) {
				t.Errorf("Users() = %v, want %v", got, tt.wantUsers)
			}
		})
	}
}

func TestChanged(t *testing.T) {
	tests := []struct {
		name  string
		debug string // the debugContext value
		want  []string
	}{
		{name: "comma-separated as recorded", debug: `{"debugData":{"changedAttributes":"login,email"}}`, want: []string{"login", "email"}},
		{name: "one attribute", debug: `{"debugData":{"changedAttributes":"login"}}`, want: []string{"login"}},
		{name: "spaces and empty parts", debug: `{"debugData":{"changedAttributes":" login , ,email,"}}`, want: []string{"login", "email"}},
		{name: "array of strings", debug: `{"debugData":{"changedAttributes":["department", " title ", 3, ""]}}`, want: []string{"department", "title"}},
		{name: "present but empty", debug: `{"debugData":{"changedAttributes":""}}`, want: []string{}},
		{name: "absent", debug: `{"debugData":{"requestId":"x"}}`, want: nil},
		{name: "null", debug: `{"debugData":{"changedAttributes":null}}`, want: nil},
		{name: "not text", debug: `{"debugData":{"changedAttributes":{"login":true}}}`, want: nil},
		{name: "no debugData", debug: `{}`, want: nil},
		{name: "debugContext null", debug: `null`, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := one(t, `{"uuid":"1","eventType":"user.account.update_profile","debugContext":`+tt.debug+`}`)
			got := e.Changed()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Changed() = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestPublishedTime(t *testing.T) {
	tests := []struct {
		name      string
		published string
		want      time.Time
		wantOK    bool
	}{
		{name: "milliseconds", published: "2020-11-16T18:15:12.862Z", want: time.Date(2020, 11, 16, 18, 15, 12, 862e6, time.UTC), wantOK: true},
		{name: "no fraction", published: "2020-11-16T18:15:12Z", want: time.Date(2020, 11, 16, 18, 15, 12, 0, time.UTC), wantOK: true},
		{name: "offset", published: "2020-11-16T19:15:12+01:00", want: time.Date(2020, 11, 16, 18, 15, 12, 0, time.UTC), wantOK: true},
		{name: "empty", published: ""},
		{name: "not a timestamp", published: "yesterday"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &event.Event{Published: tt.published}
			got, ok := e.PublishedTime()
			if ok != tt.wantOK || !got.Equal(tt.want) {
				t.Errorf("PublishedTime() = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestNilEvent(t *testing.T) {
	var e *event.Event
	if e.Target("User") != nil || e.Actor() != nil || e.Changed() != nil || e.Users() != nil {
		t.Error("methods of a nil *Event should return nil")
	}
	if _, ok := e.PublishedTime(); ok {
		t.Error("PublishedTime of a nil *Event should report false")
	}
}
