package event

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// TestUUIDSetExact: the compact set answers exactly as a set of strings
// does — canonical uuids, their upper-case twins (a different uuid),
// near misses and other strings, each added again later — across many
// merges of its recent keys into the sorted ones.
func TestUUIDSetExact(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	hex := func(n int) string {
		const digits = "0123456789abcdef"
		b := make([]byte, n)
		for i := range b {
			b[i] = digits[r.Intn(16)]
		}
		return string(b)
	}
	var all []string
	for i := 0; i < 30000; i++ {
		u := hex(8) + "-" + hex(4) + "-" + hex(4) + "-" + hex(4) + "-" + hex(12)
		switch i % 10 {
		case 0:
			u = strings.ToUpper(u)
		case 1:
			u = u[:35] + "g" // not hex
		case 2:
			u = fmt.Sprintf("bench-%08d", i)
		case 3:
			u = strings.ReplaceAll(u, "-", "") + "----"
		}
		all = append(all, u)
	}
	all = append(all, "", "ab62c0bc-2837-11eb-9823-9fb8f750c5a9", "AB62C0BC-2837-11EB-9823-9FB8F750C5A9")
	var s uuidSet
	want := map[string]bool{}
	for i := 0; i < 3*len(all); i++ {
		u := all[r.Intn(len(all))]
		if i < len(all) {
			u = all[i] // every one added at least once
		}
		if got := s.add(u); got != want[u] {
			t.Fatalf("add(%q) #%d: duplicate %v, want %v", u, i, got, want[u])
		}
		want[u] = true
	}
	if len(s.sorted) == 0 {
		t.Error("no merge happened: the test does not cover the sorted keys")
	}
	if len(s.otherEnd) == 0 || len(s.other) == 0 {
		t.Error("the other uuids were not both merged and recent: the test does not cover their arena")
	}
}

func TestParseUUID(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"ab62c0bc-2837-11eb-9823-9fb8f750c5a9", true},
		{"AB62c0bc-2837-11eb-9823-9fb8f750c5a9", false},
		{"ab62c0bc-2837-11eb-9823-9fb8f750c5a", false},
		{"ab62c0bc-2837-11eb-9823-9fb8f750c5a9 ", false},
		{"ab62c0bc2-837-11eb-9823-9fb8f750c5a9", false},
		{"", false},
	} {
		k, ok := parseUUID(tc.in)
		if ok != tc.ok {
			t.Errorf("parseUUID(%q) ok %v, want %v", tc.in, ok, tc.ok)
		}
		if ok && fmt.Sprintf("%x-%x-%x-%x-%x", k[:4], k[4:6], k[6:8], k[8:10], k[10:]) != tc.in {
			t.Errorf("parseUUID(%q) = %x", tc.in, k)
		}
	}
}
