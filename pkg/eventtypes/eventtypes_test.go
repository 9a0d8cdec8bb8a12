package eventtypes

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jml-dev/jml/pkg/diag"
)

// wantCount is the number of event types in Okta release 2026.08.1.
const wantCount = 1274

func TestLookup(t *testing.T) {
	tests := []struct {
		name      string
		id        string
		wantFound bool
		wantHook  bool
	}{
		{name: "deactivate", id: "user.lifecycle.deactivate", wantFound: true, wantHook: true},
		{name: "create", id: "user.lifecycle.create", wantFound: true, wantHook: true},
		{name: "update profile", id: "user.account.update_profile", wantFound: true, wantHook: true},
		{name: "group membership add", id: "group.user_membership.add", wantFound: true, wantHook: true},
		{name: "session start", id: "user.session.start", wantFound: true, wantHook: true},
		{name: "not hook eligible", id: "zone.update", wantFound: true, wantHook: false},
		{name: "mixed case id", id: "mim.createEnrollment.IOS", wantFound: true},
		{name: "unknown", id: "user.lifecycle.deactivated"},
		{name: "case sensitive", id: "User.Lifecycle.Deactivate"},
		{name: "glob is not an id", id: "user.lifecycle.*"},
		{name: "empty", id: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Lookup(tt.id)
			if ok != tt.wantFound {
				t.Fatalf("Lookup(%q) found = %v, want %v", tt.id, ok, tt.wantFound)
			}
			if !ok {
				if got != (EventType{}) {
					t.Errorf("Lookup(%q) = %+v, want zero EventType", tt.id, got)
				}
				return
			}
			if got.ID != tt.id {
				t.Errorf("Lookup(%q).ID = %q", tt.id, got.ID)
			}
			if got.HookEligible != tt.wantHook {
				t.Errorf("Lookup(%q).HookEligible = %v, want %v", tt.id, got.HookEligible, tt.wantHook)
			}
			if got.Category == "" { // a few types have no description
				t.Errorf("Lookup(%q) = %+v, want a category", tt.id, got)
			}
		})
	}
}

func TestDeactivateDetails(t *testing.T) {
	got, ok := Lookup("user.lifecycle.deactivate")
	want := EventType{
		ID:           "user.lifecycle.deactivate",
		Description:  "Deactivate Okta user.",
		Category:     "ud-core",
		HookEligible: true,
	}
	if !ok || got != want {
		t.Errorf("Lookup(user.lifecycle.deactivate) = %+v, %v; want %+v, true", got, ok, want)
	}
}

func TestAll(t *testing.T) {
	all := All()
	if len(all) != wantCount {
		t.Errorf("len(All()) = %d, want %d", len(all), wantCount)
	}
	if !slices.IsSortedFunc(all, func(a, b EventType) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("All() is not sorted by ID")
	}
	hook := 0
	for i, e := range all {
		if i > 0 && all[i-1].ID == e.ID {
			t.Errorf("duplicate ID %q", e.ID)
		}
		if strings.Contains(e.ID, "*") {
			t.Errorf("ID %q contains '*'", e.ID)
		}
		if got, ok := Lookup(e.ID); !ok || got != e {
			t.Errorf("Lookup(%q) = %+v, %v; want %+v", e.ID, got, ok, e)
		}
		if e.HookEligible {
			hook++
		}
	}
	if hook == 0 || hook == len(all) {
		t.Errorf("%d of %d types are hook eligible, want some but not all", hook, len(all))
	}

	// All returns a copy.
	all[0].ID = "changed"
	if All()[0].ID == "changed" {
		t.Error("modifying All()'s result changed the catalogue")
	}
}

func TestReleaseAndSource(t *testing.T) {
	if got := Release(); got != "2026.08.1" {
		t.Errorf("Release() = %q, want 2026.08.1", got)
	}
	if !strings.Contains(Source(), "okta/okta-developer-docs") {
		t.Errorf("Source() = %q, want it to name okta/okta-developer-docs", Source())
	}
}

// TestEmbeddedFile checks the embedded file itself, as ./internal/gen writes it.
func TestEmbeddedFile(t *testing.T) {
	var raw struct {
		Source     string            `json:"source"`
		Release    string            `json:"release"`
		EventTypes []json.RawMessage `json:"eventTypes"`
	}
	if err := json.Unmarshal(catalogueJSON, &raw); err != nil {
		t.Fatalf("embedded event-types.json: %v", err)
	}
	if strings.TrimSpace(raw.Source) == "" {
		t.Error(`embedded event-types.json has an empty "source"`)
	}
	if raw.Release == "" {
		t.Error(`embedded event-types.json has an empty "release"`)
	}
	if len(raw.EventTypes) != wantCount {
		t.Errorf("embedded event-types.json has %d event types, want %d", len(raw.EventTypes), wantCount)
	}

	// One event type per line, sorted, so that regenerations diff well.
	lines := bytes.Split(bytes.TrimSuffix(catalogueJSON, []byte("\n")), []byte("\n"))
	if len(lines) != wantCount+2 {
		t.Fatalf("embedded event-types.json has %d lines, want %d (header, one per type, footer)", len(lines), wantCount+2)
	}
	prev := ""
	for i, line := range lines[1 : len(lines)-1] {
		var e EventType
		if err := json.Unmarshal(bytes.TrimSuffix(line, []byte(",")), &e); err != nil {
			t.Fatalf("line %d: %v", i+2, err)
		}
		if e.ID <= prev {
			t.Errorf("line %d: %q is not after %q", i+2, e.ID, prev)
		}
		prev = e.ID
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
	}{
		{"invalid json", `{"eventTypes":[`},
		{"duplicate id", `{"eventTypes":[{"id":"a.b"},{"id":"a.b"}]}`},
		{"empty id", `{"eventTypes":[{"id":""}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parse([]byte(tt.data)); err == nil {
				t.Error("parse succeeded, want error")
			}
		})
	}
}

func TestIsGlob(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		want    bool
	}{
		{"exact", "user.lifecycle.deactivate", false},
		{"trailing star", "user.lifecycle.*", true},
		{"leading star", "*.deactivate", true},
		{"star only", "*", true},
		{"empty", "", false},
		{"question mark is literal", "user.lifecycle.?", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsGlob(tt.pattern); got != tt.want {
				t.Errorf("IsGlob(%q) = %v, want %v", tt.pattern, got, tt.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		name     string
		pattern  string
		include  []string
		exclude  []string
		each     func(id string) bool // every match must satisfy it
		wantLen  int                  // -1: any non-zero number
		wantNone bool
	}{
		{
			name:    "lifecycle glob",
			pattern: "user.lifecycle.*",
			include: []string{"user.lifecycle.deactivate", "user.lifecycle.create", "user.lifecycle.delete.initiated"},
			exclude: []string{"user.account.update_profile", "group.user_membership.add"},
			each:    func(id string) bool { return strings.HasPrefix(id, "user.lifecycle.") },
			wantLen: -1,
		},
		{
			name:    "star crosses dots",
			pattern: "user.*",
			include: []string{"user.lifecycle.create", "user.session.start", "user.account.update_profile"},
			exclude: []string{"group.user_membership.add", "pam.user.create"},
			each:    func(id string) bool { return strings.HasPrefix(id, "user.") },
			wantLen: -1,
		},
		{
			name:    "leading star",
			pattern: "*.deactivate",
			include: []string{"user.lifecycle.deactivate", "user.mfa.factor.deactivate", "zone.deactivate"},
			exclude: []string{"event_hook.deactivated"},
			each:    func(id string) bool { return strings.HasSuffix(id, ".deactivate") },
			wantLen: -1,
		},
		{
			name:    "inner star",
			pattern: "user.*.deactivate",
			include: []string{"user.lifecycle.deactivate", "user.mfa.factor.deactivate"},
			exclude: []string{"zone.deactivate", "device.lifecycle.deactivate"},
			each: func(id string) bool {
				return strings.HasPrefix(id, "user.") && strings.HasSuffix(id, ".deactivate")
			},
			wantLen: -1,
		},
		{name: "star only", pattern: "*", wantLen: wantCount},
		{name: "exact", pattern: "user.lifecycle.deactivate", include: []string{"user.lifecycle.deactivate"}, wantLen: 1},
		{name: "exact unknown", pattern: "user.lifecycle.deactivated", wantNone: true},
		{name: "prefix without star is not a glob", pattern: "user.lifecycle.", wantNone: true},
		{name: "glob matching nothing", pattern: "user.lifecylce.*", wantNone: true},
		{name: "glob is case sensitive", pattern: "USER.*", wantNone: true},
		{name: "empty", pattern: "", wantNone: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Match(tt.pattern)
			if tt.wantNone {
				if got != nil {
					t.Errorf("Match(%q) = %d types, want nil", tt.pattern, len(got))
				}
				return
			}
			if tt.wantLen >= 0 && len(got) != tt.wantLen {
				t.Errorf("len(Match(%q)) = %d, want %d", tt.pattern, len(got), tt.wantLen)
			}
			if len(got) == 0 {
				t.Fatalf("Match(%q) matched nothing", tt.pattern)
			}
			ids := make([]string, len(got))
			for i, e := range got {
				ids[i] = e.ID
			}
			if !slices.IsSorted(ids) {
				t.Errorf("Match(%q) is not sorted", tt.pattern)
			}
			for _, id := range tt.include {
				if !slices.Contains(ids, id) {
					t.Errorf("Match(%q) does not include %q", tt.pattern, id)
				}
			}
			for _, id := range tt.exclude {
				if slices.Contains(ids, id) {
					t.Errorf("Match(%q) includes %q", tt.pattern, id)
				}
			}
			if tt.each != nil {
				for _, id := range ids {
					if !tt.each(id) {
						t.Errorf("Match(%q) includes %q", tt.pattern, id)
					}
				}
			}
		})
	}
}

// TestMatchLifecycleComplete checks that the glob misses nothing in the prefix.
func TestMatchLifecycleComplete(t *testing.T) {
	var want []EventType
	for _, e := range All() {
		if strings.HasPrefix(e.ID, "user.lifecycle.") {
			want = append(want, e)
		}
	}
	if got := Match("user.lifecycle.*"); !slices.Equal(got, want) {
		t.Errorf("Match(user.lifecycle.*) = %v, want %v", got, want)
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		name       string
		pattern, s string
		want       bool
	}{
		{"empty both", "", "", true},
		{"empty pattern", "", "a", false},
		{"star matches empty", "*", "", true},
		{"double star", "**", "a.b", true},
		{"literal", "a.b", "a.b", true},
		{"literal mismatch", "a.b", "a.c", false},
		{"trailing star", "a.*", "a.b.c", true},
		{"trailing star needs prefix", "a.*", "a", false},
		{"backtracking", "a*ab", "aab", true},
		{"backtracking fails", "a*ab", "aba", false},
		{"several stars", "a*b*c", "a.x.b.y.c", true},
		{"several stars order", "a*b*c", "a.c.b", false},
		{"question mark literal", "a?c", "abc", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := globMatch(tt.pattern, tt.s); got != tt.want {
				t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct {
		name   string
		id     string
		want   string
		wantOK bool
	}{
		{"extra suffix", "user.lifecycle.deactivated", "user.lifecycle.deactivate", true},
		{"transposed letters", "user.lifecylce.deactivate", "user.lifecycle.deactivate", true},
		{"missing segment", "user.deactivate", "user.lifecycle.deactivate", true},
		{"missing segment keeps namespace", "user.create", "user.lifecycle.create", true},
		{"extra segment", "user.lifecycle.create.now", "user.lifecycle.create", true},
		{"wrong case", "User.Lifecycle.Deactivate", "user.lifecycle.deactivate", true},
		{"underscores for dots", "user_lifecycle_deactivate", "user.lifecycle.deactivate", true},
		{"misspelt segment", "user.acount.update_profile", "user.account.update_profile", true},
		{"past tense", "group.user_membership.added", "group.user_membership.add", true},
		{"session", "user.session.started", "user.session.start", true},
		{"known returns itself", "user.lifecycle.create", "user.lifecycle.create", true},
		{"garbage", "foo", "", false},
		{"garbage with dots", "foo.bar.baz", "", false},
		{"unknown verb", "user.lifecycle.xyz", "", false},
		{"empty", "", "", false},
		{"glob typo in prefix", "user.lifecylce.*", "user.lifecycle.*", true},
		{"glob typo keeps rest", "usr.lifecycle.de*", "user.lifecycle.de*", true},
		{"glob that matches returns itself", "user.lifecycle.*", "user.lifecycle.*", true},
		{"garbage glob", "foo.*", "", false},
		{"glob without prefix", "*.deactivatd", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Suggest(tt.id)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Suggest(%q) = %q, %v; want %q, %v", tt.id, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestSuggestLimit: close enough is diag.SuggestLimit, the limit of every
// did-you-mean of jml, of the whole name and of each segment.
func TestSuggestLimit(t *testing.T) {
	const id = "user.lifecycle.deactivate"
	if diag.SuggestLimit(len(id)) != 3 || diag.SuggestLimit(len("deactivate")) != 3 {
		t.Fatal("the cases below assume a limit of 3")
	}
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"user.lifecycle.dxxxtivate", true},  // 3 edits, in one segment
		{"user.lifecycle.dxxxxivate", false}, // 4
		{"usxr.lifecycle.dexxtivate", true},  // 3, over two segments
		{"uxxr.lifecycle.dexxtivate", false}, // 4
	} {
		got, ok := Suggest(tt.in)
		if ok != tt.want || ok && got != id {
			t.Errorf("Suggest(%q) = %q, %v; want %v", tt.in, got, ok, tt.want)
		}
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		name  string
		a, b  string
		limit int
		want  int
	}{
		{"equal", "abc", "abc", 5, 0},
		{"empty", "", "abc", 5, 3},
		{"substitution", "abc", "abd", 5, 1},
		{"insertion", "abc", "abxc", 5, 1},
		{"transposition", "lifecycle", "lifecylce", 5, 1},
		{"kitten", "kitten", "sitting", 5, 3},
		{"capped", "kitten", "sitting", 2, 3},
		{"capped by length", "a", "abcdef", 2, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := distance(tt.a, tt.b, tt.limit); got != tt.want {
				t.Errorf("distance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.limit, got, tt.want)
			}
		})
	}
}

// checkSuggestion verifies Suggest's contract for any input.
func checkSuggestion(t *testing.T, id string) {
	t.Helper()
	got, ok := Suggest(id)
	if !ok {
		if got != "" {
			t.Errorf("Suggest(%q) = %q, false; want empty string", id, got)
		}
		return
	}
	if IsGlob(id) {
		if len(Match(got)) == 0 {
			t.Errorf("Suggest(%q) = %q, which matches nothing", id, got)
		}
		return
	}
	if _, known := Lookup(got); !known {
		t.Errorf("Suggest(%q) = %q, which is unknown", id, got)
	}
}

func FuzzSuggest(f *testing.F) {
	for _, s := range []string{
		"user.lifecycle.deactivate", "user.lifecylce.deactivate", "user.deactivate", "foo", "",
		"user.lifecycle.*", "usr.*", "*", "**.*", ".", "..", "ÜSER.lifecycle.create", "\xff.\xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(checkSuggestion)
}

func FuzzMatch(f *testing.F) {
	for _, s := range []string{"user.lifecycle.*", "*", "*.deactivate", "user.*.create", "a*b*c", "", "user.lifecycle.create"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		got := Match(pattern)
		if !IsGlob(pattern) {
			if len(got) > 1 || (len(got) == 1 && got[0].ID != pattern) {
				t.Fatalf("Match(%q) = %v, want at most the exact type", pattern, got)
			}
			return
		}
		// Cross-check against a regular expression for the same glob
		// (regexp requires valid UTF-8; IDs are ASCII).
		if !utf8.ValidString(pattern) {
			return
		}
		parts := strings.Split(pattern, "*")
		for i, p := range parts {
			parts[i] = regexp.QuoteMeta(p)
		}
		re := regexp.MustCompile(`^(?s:` + strings.Join(parts, ".*") + `)$`)
		var want []EventType
		for _, e := range All() {
			if re.MatchString(e.ID) {
				want = append(want, e)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("Match(%q) = %d types, regexp gives %d", pattern, len(got), len(want))
		}
	})
}

func BenchmarkSuggest(b *testing.B) {
	for _, bb := range []struct{ name, id string }{
		{"typo", "user.lifecylce.deactivate"},
		{"missing segment", "user.deactivate"},
		{"garbage", "foo"},
		{"glob", "usr.lifecycle.*"},
		{"long", strings.Repeat("a.b", 40)},
	} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				Suggest(bb.id)
			}
		})
	}
}

// TestLookupLineAgrees: the line scan finds every event type of the
// decoded catalogue, whole and the same; and nothing the catalogue does
// not hold (a prefix, a longer id, an escape).
func TestLookupLineAgrees(t *testing.T) {
	all := All()
	if len(all) < 100 {
		t.Fatalf("%d event types", len(all))
	}
	for _, want := range all {
		got, ok := lookupLine(want.ID)
		if !ok || got != want {
			t.Fatalf("lookupLine(%q) = %+v, %v; want %+v", want.ID, got, ok, want)
		}
	}
	for _, id := range []string{"", "user", "user.lifecycle", "user.lifecycle.deactivate.x", "user.lifecycle.deactivate\"", `user.lifecycle.deactivate\`, "User.Lifecycle.Deactivate", "user.lifecycle.deactivate\n"} {
		if got, ok := lookupLine(id); ok {
			t.Errorf("lookupLine(%q) = %+v, want none", id, got)
		}
	}
}
