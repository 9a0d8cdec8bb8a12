package compile

import (
	"fmt"
	"strings"
	"testing"
)

// TestTypedEvent: event, user, group and app are typed from Okta's
// LogEvent, so validate catches a condition that is not a boolean and a
// field the event does not have, at the expression.
func TestTypedEvent(t *testing.T) {
	flow := func(when, cond string) string {
		return fmt.Sprintf("apiVersion: jml/v1\nkind: Flow\nname: a\ntrigger:\n  event: user.lifecycle.create\n  when: %s\nsteps:\n  - if: %s\n    then: [{halt: x}]\n", when, cond)
	}
	tests := []struct {
		name       string
		when, cond string
		code       string // "" when valid
		at         string // line:column of the diagnostic
		msg        string
	}{
		{name: "when a string", when: `'user.alternateId'`, cond: "true",
			code: "not-boolean", at: "6:9", msg: "trigger.when must be a boolean expression, not string; did you mean `user.alternateId != \"\"`?"},
		{name: "if a list", when: "'user != null'", cond: "event.target",
			code: "not-boolean", at: "8:9", msg: "if: must be a boolean expression, not list(okta.LogTarget); did you mean `size(event.target) > 0`?"},
		{name: "when an object", when: "group", cond: "true",
			code: "not-boolean", at: "6:9", msg: "not okta.LogTarget; did you mean `group != null`?"},
		{name: "unknown event field", when: `'event.eventTyp == "x"'`, cond: "true",
			code: "undefined-field", at: "6:16", msg: `event (okta.LogEvent) has no field "eventTyp"; did you mean "eventType"?`},
		{name: "unknown field of a target", when: "'true'", cond: `event.target[0].alternatId != ""`,
			code: "undefined-field", at: "8:25", msg: `did you mean "alternateId"?`},
		{name: "a profile attribute on user", when: `'user.department == "IT"'`, cond: "true",
			code: "undefined-field", at: "6:15", msg: "user.profile.department"},
		{name: "typed usages", when: `'user != null && event.outcome.result == "SUCCESS" && event.target[0].alternateId != ""'`,
			cond: `has(user.profile.department) && user.profile.anything == 1 && event.?client.?zone.orValue("") != "null"`},
		{name: "a nullable field against null", when: "'user.displayName != null'", cond: `event.debugContext.debugData.x == 1`},
		{name: "dyn condition", when: "'user.profile.active'", cond: "event.transaction.detail.flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ds := build(t, map[string]string{"a": flow(tt.when, tt.cond)})
			if tt.code == "" {
				if len(ds) > 0 {
					t.Fatalf("want no diagnostics, got %v", ds)
				}
				return
			}
			if len(ds) != 1 {
				t.Fatalf("want one %s, got %v", tt.code, ds)
			}
			d := ds[0]
			at := fmt.Sprintf("%d:%d", d.Range.Start.Line, d.Range.Start.Column)
			if d.Code != tt.code || at != tt.at || !strings.Contains(d.Message, tt.msg) {
				t.Errorf("got %s at %s: %s\nwant %s at %s containing %s", d.Code, at, d.Message, tt.code, tt.at, tt.msg)
			}
		})
	}
}

// TestInputTypeOfTypedFields: an action input of a declared type checks a
// typed field of the event as it checks any typed expression.
func TestInputTypeOfTypedFields(t *testing.T) {
	head := "apiVersion: jml/v1\nkind: Flow\nname: a\ntrigger: {event: user.lifecycle.create}\nsteps:\n"
	for _, tt := range []struct{ with, code string }{
		{`{userId: "${{ user.id }}"}`, ""},
		{`{userId: "${{ event.target }}"}`, "input-type"},
		{`{userId: "${{ event.outcome }}"}`, "input-type"},
	} {
		_, ds := build(t, map[string]string{"a": head + "  - action: okta.getUser\n    with: " + tt.with + "\n"})
		var codes []string
		for _, d := range ds {
			codes = append(codes, d.Code)
		}
		if strings.Join(codes, " ") != tt.code {
			t.Errorf("with %s: codes %v, want %q", tt.with, codes, tt.code)
		}
	}
}
