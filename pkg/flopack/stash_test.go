package flopack

import (
	"os"
	"strings"
	"testing"
)

const temporaryGroups = "../../testdata/flopacks/assign_temporary_group_memberships.flopack"

// whereExpr sets the Where Expression of a Search Rows card.
func whereExpr(c *Card, conds ...map[string]any) {
	list := make([]any, len(conds))
	for i, cond := range conds {
		list[i] = cond
	}
	setInput(c, "Where Expression", map[string]any{"expr": list})
}

func TestTableCards(t *testing.T) {
	const inactive = "../../testdata/flopacks/identify_inactive_okta_users.flopack"
	// The first Search Rows of temporaryGroups is Scan users for removal's:
	// all the rows of Users Added to Temporary Groups whose Expiration
	// Timestamp is at most now (UNIX), sorted by User ID, descending.
	tests := []struct {
		name, pack, method string
		edit               func(c *Card)
		want               []string
	}{
		{"all matching rows", temporaryGroups, "searchRows2", func(c *Card) {}, []string{
			"    action: tables.searchRows\n    with:\n      table: Users Added to Temporary Groups\n      where:\n        Expiration Timestamp: {lte: '${{ (int(timestamp(run.startedAt)) * 1000 + timestamp(run.startedAt).getMilliseconds()) }}'}\n      orderBy: User ID\n      direction: desc\n",
			"  - forEach: steps.searchRows.output.rows\n",
			"          rowID: ${{ item.id }}\n",
		}},
		{"first matching row", temporaryGroups, "searchRows2", func(c *Card) { setInput(c, "resultSet", "one") }, []string{
			"      direction: desc\n      limit: 1\n",
			`jml:todo For Each - Ignore Errors (list.asyncEach): input "list" comes from Search Rows (stash.searchRows2) output "Rows", which was not imported`,
		}},
		{"comparisons on one column", temporaryGroups, "searchRows2", func(c *Card) {
			whereExpr(c, map[string]any{"lhs": "Group ID", "op": ">=", "join": "AND", "rhs": "a"},
				map[string]any{"lhs": "Group ID", "op": "<", "join": "AND", "rhs": "m"},
				map[string]any{"lhs": "Row ID", "op": "!=", "join": "AND", "rhs": "r1"},
				map[string]any{"lhs": "User ID", "op": "=", "join": "AND", "rhs": "u1"})
		}, []string{"      where:\n        Group ID: {gte: a, lt: m}\n        User ID: u1\n        id: {ne: r1}\n      orderBy: User ID\n"}},
		{"no condition", temporaryGroups, "searchRows2", func(c *Card) { whereExpr(c) }, []string{"      table: Users Added to Temporary Groups\n      orderBy: User ID\n"}},
		{"a sort column the table lacks is dropped", temporaryGroups, "searchRows2", func(c *Card) { setInput(c, "Column", "Group") }, []string{
			"getMilliseconds()) }}'}\n  # "}}, // no orderBy
		{"OR stays a todo", temporaryGroups, "searchRows2", func(c *Card) {
			whereExpr(c, map[string]any{"lhs": "User ID", "op": "=", "join": "AND", "rhs": "1"}, map[string]any{"lhs": "User ID", "op": "=", "join": "OR", "rhs": "2"})
		}, []string{`jml:todo Search Rows (stash.searchRows2): its Where Expression joins with "OR"; only AND is imported`}},
		{"another operator stays a todo", temporaryGroups, "searchRows2", func(c *Card) {
			whereExpr(c, map[string]any{"lhs": "User ID", "op": "contains", "join": "AND", "rhs": "x"})
		}, []string{`its Where Expression's operator "contains" is not imported`}},
		{"a column the table lacks stays a todo", temporaryGroups, "searchRows2", func(c *Card) {
			whereExpr(c, map[string]any{"lhs": "Owner", "op": "=", "join": "AND", "rhs": "x"})
		}, []string{`its Where Expression tests "Owner", not a column of table "Users Added to Temporary Groups"`}},
		{"another result set stays a todo", temporaryGroups, "searchRows2", func(c *Card) { setInput(c, "resultSet", "stream") }, []string{`result set "stream" is not imported`}},
		{"a table not in the export stays a todo", temporaryGroups, "searchRows2", func(c *Card) { setInput(c, "stash", "nope") }, []string{`its table "nope" is not in the export`}},
		{"delete row", temporaryGroups, "deleteRow", func(c *Card) {}, []string{
			"    action: tables.deleteRow\n    with:\n      table: Users Added to Temporary Groups\n      rowId: ${{ inputs.rowID }}\n"}},
		{"create row", inactive, "createRow", func(c *Card) {}, []string{
			"    action: tables.createRow\n    with:\n      table: Inactive Users\n      row:\n        userId: ${{ inputs.record.id }}\n"}},
		{"create row of a column the table lacks", inactive, "createRow", func(c *Card) {
			c.Inputs = append(c.Inputs, &Field{ID: "x", Group: "Fields", Key: "Owner", Value: "me"})
		}, []string{`input "Owner" is not a column of table "Inactive Users"`}},
		{"clear table", inactive, "clearTable", func(c *Card) {}, []string{"    action: tables.clearTable\n    with:\n      table: Inactive Users\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := withCard(t, tt.pack, "stash", tt.method, tt.edit)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("import lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestTableDeclarations: the pack's tables are the table instance's in
// jml.yaml, their columns typed; an Okta type jml does not know is a
// string, and a decision says so.
func TestTableDeclarations(t *testing.T) {
	data, err := os.ReadFile(temporaryGroups)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	p.Tables[0].Columns = append(p.Tables[0].Columns, Column{Name: "Owner: me", Type: "xyz"}, Column{Name: "Since", Type: "dte"})
	files, rep := Import(p)
	var cfg string
	for _, f := range files {
		if f.Path == "jml.yaml" {
			cfg = string(f.Data)
		}
	}
	want := "  tables:\n    type: table\n    tables:\n      Temporary Groups:\n        columns: {Group Name: string, Duration: number, 'Owner: me': string, Since: timestamp}\n      Users Added to Temporary Groups:\n        columns: {User ID: string, Expiration Timestamp: string, Group ID: string}\n"
	if !strings.Contains(cfg, want) {
		t.Errorf("jml.yaml lacks\n%s\n%s", want, cfg)
	}
	if !strings.Contains(strings.Join(rep.Decisions, "\n"), `table "Temporary Groups": column "Owner: me" of Okta type "xyz" is declared a string`) {
		t.Errorf("decisions %q", rep.Decisions)
	}
}
