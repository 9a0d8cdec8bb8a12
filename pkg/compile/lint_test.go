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
			name: "retries on a write that is not idempotent; idempotent ones are fine",
			flows: map[string]string{"ticket": flowHead + `name: ticket
trigger: {event: user.lifecycle.create}
steps:
  - action: itsm.createRecord
    with: {table: sc_task, fields: {}}
    retry: {attempts: 3, interval: 1s}
  - action: okta.suspendUser
    with: {userId: "${{ user.id }}"}
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
  - action: itsm.createRecord
    with: {table: sc_task, fields: {}}
    # jml:ignore retry-non-idempotent, unreachable-card
    retry: {attempts: 3, interval: 1s}
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
