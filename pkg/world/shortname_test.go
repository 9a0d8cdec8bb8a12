package world

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
)

// scanFind is find as it was before byShort: by id, by login, then a scan
// of every user, in id order, for the one whose login's short name equals
// key ignoring case (nil when none or more than one).
func scanFind(m *oktaModel, key string) *oktaUser {
	key = strings.TrimSpace(key)
	if u := m.users[key]; u != nil {
		return u
	}
	if id, ok := m.byLogin[lower(key)]; ok {
		return m.users[id]
	}
	if strings.Contains(key, "@") || key == "" {
		return nil
	}
	ids := make([]string, 0, len(m.users))
	for id := range m.users {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var match *oktaUser
	for _, id := range ids {
		if u := m.users[id]; strings.EqualFold(localPart(u.login()), key) {
			if match != nil {
				return nil
			}
			match = u
		}
	}
	return match
}

// TestOktaFindShortName checks the short-name index against the scan it
// replaces, through seeding, world files and login changes.
func TestOktaFindShortName(t *testing.T) {
	names := []string{"jane", "JANE", "Jane", "bob", "kelvin", "\u212aelvin", "stra\u00dfe", "STRASSE", "\u017fam", "Sam", "\u00e9mile", "\u00c9MILE"}
	domains := []string{"@acme.com", "@other.org", ""}
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 50; round++ {
		m := newOkta()
		for i := 0; i < 30; i++ {
			login := names[r.IntN(len(names))] + domains[r.IntN(len(domains))]
			switch r.IntN(3) {
			case 0:
				m.seed(User{ID: fmt.Sprintf("00u%03d", i), Login: login})
			case 1:
				m.seed(User{Login: login})
			default:
				// A login change, as updateUserProfile makes it.
				ids := sortedKeys(m.users)
				if len(ids) == 0 {
					continue
				}
				c := &call{action: "updateUserProfile", in: map[string]any{"userId": ids[r.IntN(len(ids))], "profile": map[string]any{"login": login}}}
				_, _ = m.do(c)
			}
			for _, key := range names {
				if got, want := m.find(key), scanFind(m, key); got != want {
					t.Fatalf("round %d: find(%q) = %v, the scan finds %v", round, key, got, want)
				}
			}
			c := m.clone().(*oktaModel)
			for _, key := range names {
				if got, want := c.find(key), scanFind(c, key); (got == nil) != (want == nil) || got != nil && got.id != want.id {
					t.Fatalf("round %d: clone: find(%q) = %v, the scan finds %v", round, key, got, want)
				}
			}
		}
	}
}

func TestFoldKey(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"jane", "JANE"}, {"kelvin", "\u212aelvin"}, {"sam", "\u017fAM"}, {"\u00e9mile", "\u00c9MILE"}, {"jane", "jake"}, {"ab", "a"}, {"\xff", "\xfe"},
	} {
		if got, want := foldKey(tc.a) == foldKey(tc.b), strings.EqualFold(tc.a, tc.b); got != want {
			t.Errorf("foldKey(%q) == foldKey(%q) is %v, EqualFold says %v", tc.a, tc.b, got, want)
		}
	}
}
