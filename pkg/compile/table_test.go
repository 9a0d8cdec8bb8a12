package compile

import (
	"fmt"
	"strings"
	"testing"
)

// TestTableChecks: a table action's literal table:, and the columns of
// its row:, where: and orderBy:, are checked against the tables jml.yaml
// declares, at their place, with a did-you-mean.
func TestTableChecks(t *testing.T) {
	head := "apiVersion: jml/v1\nkind: Flow\nname: a\ntrigger: {event: user.lifecycle.create}\nsteps:\n"
	tests := []struct {
		name, step string
		want       []string // "line:col code message-part"
	}{
		{"declared table and columns", `  - action: state.createRow
    with: {table: Temporary Groups, row: {Group Name: x, Duration: 3}}
  - action: state.searchRows
    with: {table: Temporary Groups, where: {Duration: {gte: 2}, id: x}, orderBy: updated}
`, nil},
		{"unknown table", `  - action: state.clearTable
    with: {table: Temporary Group}
`, []string{`7:19 unknown-table connector instance "state" declares no table "Temporary Group"; did you mean "Temporary Groups"?`}},
		{"unknown column in row", `  - action: state.createRow
    with:
      table: Temporary Groups
      row: {Group Nmae: x}
`, []string{`9:13 unknown-column table "Temporary Groups" has no column "Group Nmae"; did you mean "Group Name"?`}},
		{"unknown column in where and orderBy", `  - action: state.searchRows
    with:
      table: Temporary Groups
      where: {Owner: x}
      orderBy: Durations
`, []string{
			`9:15 unknown-column table "Temporary Groups" has no column "Owner" (columns: Group Name, Duration)`,
			`10:16 unknown-column table "Temporary Groups" has no column "Durations"; did you mean "Duration"?`,
		}},
		{"a table from an expression is not checked", `  - action: state.clearTable
    with: {table: "${{ user.profile.login }}"}
`, nil},
		{"literal values of the columns' types", `  - action: state.createRow
    with:
      table: Temporary Groups
      row: {Group Name: 12, Duration: "30"}
  - action: state.searchRows
    with:
      table: Temporary Groups
      where: {Duration: {gte: "2.5", lt: 90}, created: {gt: "2024-01-01T00:00:00Z"}, Group Name: null}
`, nil},
		{"literal values not of the columns' types", `  - action: state.createRow
    with:
      table: Temporary Groups
      row: {Group Name: [a], Duration: thirty}
  - action: state.searchRows
    with:
      table: Temporary Groups
      where: {Duration: {gte: many, lkie: 1}, updated: {gt: yesterday}}
`, []string{
			`9:25 column-type column "Group Name" of table "Temporary Groups" is a string: a list is not a string`,
			`9:40 column-type column "Duration" of table "Temporary Groups" is a number: "thirty" is not a number`,
			`13:31 column-type column "Duration" of table "Temporary Groups" is a number: "many" is not a number`,
			`13:37 unknown-operator where: "Duration": unknown operator "lkie" (operators: eq, ne, lt, lte, gt, gte)`,
			`13:61 column-type column "updated" of table "Temporary Groups" is a timestamp: "yesterday" is not an RFC 3339 timestamp`,
		}},
		{"created is not a row column", `  - action: state.updateRow
    with: {table: Temporary Groups, rowId: r, row: {created: x}}
`, []string{`7:53 unknown-column table "Temporary Groups" has no column "created"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ds := build(t, map[string]string{"a": head + tt.step})
			ds, _ = ds.Normalize(0)
			var got []string
			for _, d := range ds {
				got = append(got, fmt.Sprintf("%d:%d %s %s", d.Range.Start.Line, d.Range.Start.Column, d.Code, d.Message))
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("got %q, want %q", got[i], tt.want[i])
				}
			}
		})
	}
}
