package flopack

import (
	"os"
	"strings"
	"testing"
)

// withCard imports a reference pack after edit changed its first card of
// module.method, and returns every flow file the import wrote.
func withCard(t *testing.T, file, module, method string, edit func(c *Card)) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range p.Flows {
		for _, c := range f.Cards {
			if !found && c.Module == module && c.Method == method {
				edit(c)
				found = true
			}
		}
	}
	if !found {
		t.Fatalf("%s has no %s.%s card", file, module, method)
	}
	files, _ := Import(p)
	var b strings.Builder
	for _, f := range files {
		b.Write(f.Data)
	}
	return b.String()
}

func setInput(c *Card, key string, v any) {
	for _, f := range c.Inputs {
		if f.Key == key {
			f.Value = v
		}
	}
}

func TestListUsersWithSearch(t *testing.T) {
	const pack = "../../testdata/flopacks/identify_inactive_okta_users.flopack"
	tests := []struct {
		name string
		edit func(c *Card)
		want string
	}{
		{"streamed records stay a todo", func(c *Card) {}, `todo List Users with Search (okta.listUsersWithSearch): result set Stream Matching Records`},
		{"a literal status becomes a search", func(c *Card) {
			setInput(c, "resultSet", "All Matching Records")
			setInput(c, "Flow", "")
			setInput(c, "timeWindowDays", nil)
		}, `search: status eq "ACTIVE"`},
		{"custom criteria are and-ed", func(c *Card) {
			setInput(c, "resultSet", "All Matching Records")
			setInput(c, "Flow", "")
			setInput(c, "timeWindowDays", nil)
			setInput(c, "Custom Search Criteria", `profile.department eq "Sales"`)
		}, `search: status eq "ACTIVE" and profile.department eq "Sales"`},
		{"a streaming option without streaming is a todo", func(c *Card) {
			setInput(c, "resultSet", "All Matching Records")
		}, `input "Flow" has no okta.listUsers equivalent`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := withCard(t, pack, "okta", "listUsersWithSearch", tt.edit)
			if !strings.Contains(out, tt.want) {
				t.Errorf("import lacks %q:\n%s", tt.want, out)
			}
		})
	}
}
