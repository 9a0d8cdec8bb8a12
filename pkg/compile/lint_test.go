package compile

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/diag"
)

// warnings returns the warnings of a compile as "CHECK@file:line", sorted.
func warnings(t *testing.T, ds diag.Diagnostics) []string {
	t.Helper()
	var out []string
	for _, d := range ds {
		if d.Severity == diag.Error {
			t.Fatalf("unexpected error: %v", d)
		}
		out = append(out, fmt.Sprintf("%s@%s:%d", d.Code, strings.TrimPrefix(d.Range.File, "flows/"), d.Range.Start.Line))
	}
	sort.Strings(out)
	return out
}

const flowHead = "apiVersion: jml/v1\nkind: Flow\n"

func TestLint(t *testing.T) {
	tests := []struct {
		name  string
		flows map[string]string
		want  []string
	}{
		{
			name: "a complete leaver is clean",
			flows: map[string]string{"leaver": flowHead + `name: leaver
trigger: {event: user.lifecycle.deactivate}
steps:
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
  - action: slack.postMessage
    with: {channel: "#it", text: done}
    onError: continue
`},
		},
		{
			name: "leaver coverage names the apps it misses",
			flows: map[string]string{"leaver": flowHead + `name: leaver
trigger: {event: user.lifecycle.deactivate}
steps:
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
`},
			want: []string{"leaver-coverage@leaver.yaml:4"},
		},
		{
			name: "coverage through a helper counts",
			flows: map[string]string{
				"leaver": flowHead + `name: leaver
trigger: {event: user.lifecycle.deactivate}
steps:
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
  - call: cut-slack
    with: {email: "${{ user.alternateId }}"}
`,
				"cut-slack": flowHead + `name: cut-slack
trigger: {helper: {}}
inputs: {email: {type: string, required: true}}
steps:
  - action: slack.deactivateUser
    with: {email: "${{ inputs.email }}"}
`},
		},
		{
			name: "disabling before revoking the Okta sessions",
			flows: map[string]string{"leaver": flowHead + `name: leaver
trigger: {event: user.lifecycle.deactivate}
steps:
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
`},
			want: []string{"leaver-order@leaver.yaml:6"},
		},
		{
			name: "a notification that can halt the leaver, and one in a try",
			flows: map[string]string{"leaver": flowHead + `name: leaver
trigger: {event: user.lifecycle.deactivate}
steps:
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
  - action: slack.postMessage
    with: {channel: "#it", text: done}
  - try:
      - action: slack.postMessage
        with: {channel: "#it", text: done}
    catch:
      - assign: {failed: true}
`},
			want: []string{"notify-no-continue@leaver.yaml:10"},
		},
		{
			name: "a mover on every profile edit",
			flows: map[string]string{"mover": flowHead + `name: mover
trigger: {event: user.account.update_profile}
steps:
  - action: okta.getUser
    with: {userId: "${{ user.id }}"}
`, "mover-filtered": flowHead + `name: mover-filtered
trigger: {event: user.account.update_profile, when: '"department" in changed'}
steps:
  - action: okta.getUser
    with: {userId: "${{ user.id }}"}
`},
			want: []string{"mover-unfiltered@mover.yaml:4"},
		},
		{
			name: "retries on a write that may repeat; idempotent and deduplicated ones are fine",
			flows: map[string]string{"ticket": flowHead + `name: ticket
trigger: {event: user.lifecycle.create}
steps:
  - action: slack.postMessage
    with: {channel: "#it", text: hi}
    retry: {attempts: 3, interval: 1s}
  - action: okta.suspendUser
    with: {userId: "${{ user.id }}"}
    retry: {attempts: 3, interval: 1s}
  - action: itsm.createRecord
    with: {table: sc_task, fields: {}}
    retry: {attempts: 3, interval: 1s}
`},
			want: []string{"retry-non-idempotent@ticket.yaml:8"},
		},
		{
			name: "unreachable cards after halt and return",
			flows: map[string]string{"f": flowHead + `name: f
trigger: {event: user.lifecycle.create}
steps:
  - if: user == null
    then:
      - halt: no user
      - action: okta.getUser
        with: {userId: x}
`, "h": flowHead + `name: h
trigger: {helper: {}}
inputs: {a: {type: string}, unused: {type: string}}
steps:
  - return: {}
  - action: okta.getUser
    with: {userId: "${{ inputs.a }}"}
`},
			want: []string{"unreachable-card@f.yaml:9", "unreachable-card@h.yaml:8", "unused-input@h.yaml:5"},
		},
		{
			name: "silenced by comments on the card and on the flow",
			flows: map[string]string{"leaver": flowHead + `name: leaver
# jml:ignore leaver-coverage (Slack is offboarded by HR's own tool)
trigger: {event: user.lifecycle.deactivate}
steps:
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
  - action: slack.postMessage  # jml:ignore notify-no-continue
    with: {channel: "#it", text: done}
  - action: slack.postMessage
    with: {channel: "#it", text: again}
    onError: continue
    # jml:ignore retry-non-idempotent, unreachable-card
    retry: {attempts: 3, interval: 1s}
`},
		},
		{
			name: "a leaver filtered by when: and the excluded users covered nowhere",
			flows: map[string]string{"leaver": flowHead + `name: leaver
trigger:
  event: user.lifecycle.deactivate
  when: 'user != null && !user.alternateId.endsWith("@contractor.example.com")'
steps:
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
`},
			want: []string{"leaver-coverage@leaver.yaml:6"},
		},
		{
			name: "the negated when: covers the excluded users",
			flows: map[string]string{"leaver": flowHead + `name: leaver
trigger:
  event: user.lifecycle.deactivate
  when: 'user != null && !user.alternateId.endsWith("@contractor.example.com")'
steps:
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
`, "contractor-leaver": flowHead + `name: contractor-leaver
trigger:
  event: user.lifecycle.deactivate
  when: user.alternateId.endsWith( "@contractor.example.com" )
steps:
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
`},
		},
		{
			name: "an unfiltered leaver covers everyone",
			flows: map[string]string{"leaver": flowHead + `name: leaver
trigger:
  event: user.lifecycle.deactivate
  when: user.profile.department == "Sales"
steps:
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
`, "everyone": flowHead + `name: everyone
trigger: {event: user.lifecycle.deactivate}
steps:
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
`},
		},
		{
			name: "the negation that misses an app",
			flows: map[string]string{"leaver": flowHead + `name: leaver
trigger:
  event: user.lifecycle.deactivate
  when: '!(user.profile.userType == "contractor")'
steps:
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
`, "contractors": flowHead + `name: contractors
trigger:
  event: user.lifecycle.deactivate
  when: user.profile.userType == "contractor"
steps:
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
`},
			want: []string{"leaver-coverage@leaver.yaml:6"},
		},
		{
			name: "when: user != null excludes no one",
			flows: map[string]string{"leaver": flowHead + `name: leaver
trigger: {event: user.lifecycle.deactivate, when: user != null}
steps:
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
`},
		},
		{
			name: "the only leaver is disabled",
			flows: map[string]string{"leaver": flowHead + `name: leaver
enabled: false
trigger: {event: user.lifecycle.deactivate}
steps:
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
`},
			want: []string{"leaver-coverage@leaver.yaml:4"},
		},
		{
			name: "a disabled leaver beside an enabled one covers nothing",
			flows: map[string]string{"old": flowHead + `name: old
enabled: false
trigger: {event: user.lifecycle.deactivate}
steps:
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
`, "leaver": flowHead + `name: leaver
trigger: {event: user.lifecycle.deactivate}
steps:
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
`},
			want: []string{"leaver-coverage@leaver.yaml:4"},
		},
		{
			name: "a continueIf before the deprovisioning; one after it is fine",
			flows: map[string]string{"leaver": flowHead + `name: leaver
trigger: {event: user.lifecycle.deactivate}
steps:
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
  - continueIf: '!user.alternateId.endsWith("@svc.example.com")'
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
  - continueIf: user.profile.department == "Sales"
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
`},
			want: []string{"leaver-coverage@leaver.yaml:8"},
		},
		{
			name: "a continueIf in a helper; its negation as another leaver's when",
			flows: map[string]string{"leaver": flowHead + `name: leaver
trigger: {event: user.lifecycle.deactivate}
steps:
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
  - call: cut-slack
`, "cut-slack": flowHead + `name: cut-slack
trigger: {helper: {}}
steps:
  - continueIf: user.profile.department != "Board"
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
`, "board": flowHead + `name: board
trigger: {event: user.lifecycle.deactivate, when: '!(user.profile.department != "Board")'}
steps:
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
`},
		},
		{
			name: "a continueIf on a step's output is not the negation of anything",
			flows: map[string]string{"leaver": flowHead + `name: leaver
trigger: {event: user.lifecycle.deactivate}
steps:
  - id: u
    action: okta.getUser
    with: {userId: "${{ user.id }}"}
  - continueIf: steps.u.output.status != "DEPROVISIONED"
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
`, "other": flowHead + `name: other
trigger: {event: user.lifecycle.deactivate}
steps:
  - id: u
    action: okta.getUser
    with: {userId: "${{ user.id }}"}
  - continueIf: '!(steps.u.output.status != "DEPROVISIONED")'
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
`},
			want: []string{"leaver-coverage@leaver.yaml:9", "leaver-coverage@other.yaml:9"},
		},
		{
			name: "filters silenced on the when: and on the continueIf",
			flows: map[string]string{"leaver": flowHead + `name: leaver
trigger:
  event: user.lifecycle.deactivate
  # Service accounts are retired by their owners. jml:ignore leaver-coverage
  when: '!user.alternateId.endsWith("@svc.example.com")'
steps:
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
  - continueIf: user.profile.department != "Board"  # jml:ignore leaver-coverage
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
`},
		},
		{
			name: "other ids do not silence",
			flows: map[string]string{"leaver": flowHead + `name: leaver
trigger: {event: user.lifecycle.deactivate}  # jml:ignore leaver-order
steps:
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
`},
			want: []string{"leaver-coverage@leaver.yaml:4"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ds := build(t, tt.flows)
			got := warnings(t, ds)
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Fatalf("warnings\n got %v\nwant %v\n%v", got, tt.want, ds)
			}
		})
	}
}

func TestLeaverFilterMessages(t *testing.T) {
	_, ds := build(t, map[string]string{"leaver": flowHead + `name: leaver
trigger:
  event: user.lifecycle.deactivate
  when: 'user != null && !user.alternateId.endsWith("@contractor.example.com")'
steps:
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
  - continueIf: user.profile.department != "Board"
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
`, "old": flowHead + `name: old
enabled: false
trigger: {event: user.lifecycle.deactivate}
steps:
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
`})
	var got []string
	for _, d := range ds {
		got = append(got, d.Range.String()+": "+d.Message)
	}
	advice := "; a deactivated user there keeps those accounts; cover them in another leaver (when: the negation, or no when:), or silence with # jml:ignore leaver-coverage"
	want := []string{
		`flows/leaver.yaml:6:9: leaver "leaver" skips users where user.alternateId.endsWith("@contractor.example.com") (its when:), and no other flow triggered by user.lifecycle.deactivate deprovisions them from okta (okta), slack (slack)` + advice,
		`flows/leaver.yaml:10:17: leaver "leaver" stops at this continueIf for users where !(user.profile.department != "Board"), and no other flow triggered by user.lifecycle.deactivate deprovisions them from slack (slack)` + advice,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestNegates(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{`!user.alternateId.endsWith("@c.example.com")`, `user.alternateId.endsWith( "@c.example.com" )`, true},
		{`!(a == 1)`, `a == 1`, true},
		{`!(a == 1)`, `(a == 1)`, true},
		{`a == 1`, `!(a==1)`, true},
		{`!a && b`, `a && b`, false},
		{`!a && b`, `!(!a && b)`, true},
		{`!(a) || (b)`, `(a) || (b)`, false},
		{`a == 1`, `a != 1`, false}, // not recognised: warned, never wrongly silent
		{`x.f("a b")`, `!x.f("a  b")`, false},
		{`a`, `a`, false},
	}
	for _, tt := range tests {
		if got := negates(tt.a, tt.b); got != tt.want {
			t.Errorf("negates(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
	if got := filterText(`user != null && (a || b) && user!=null`); got != `(a || b)` {
		t.Errorf("filterText = %q", got)
	}
	if got := filterText(`user != null`); got != "" {
		t.Errorf("filterText(user != null) = %q, want none", got)
	}
}
