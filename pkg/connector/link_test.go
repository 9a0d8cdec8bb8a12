package connector

import (
	"net/http"
	"strings"
	"testing"
)

func TestNextLink(t *testing.T) {
	cases := []struct {
		name   string
		values []string
		want   string
	}{
		{name: "none"},
		{name: "okta self and next", values: []string{`<https://acme.okta.com/api/v1/logs?limit=2>; rel="self"`, `<https://acme.okta.com/api/v1/logs?after=1&limit=2>; rel="next"`},
			want: "https://acme.okta.com/api/v1/logs?after=1&limit=2"},
		{name: "one header, comma separated", values: []string{`<https://a/x?p=1>; rel="self", <https://a/x?p=2>; rel="next"`}, want: "https://a/x?p=2"},
		{name: "comma inside the target", values: []string{`<https://a/logs?filter=eventType eq "a,b">; rel="next"`}, want: `https://a/logs?filter=eventType eq "a,b"`},
		{name: "unquoted rel, other case", values: []string{`<https://a/n>; REL=Next`}, want: "https://a/n"},
		{name: "several rels", values: []string{`<https://a/n>; rel="prev next"`}, want: "https://a/n"},
		{name: "other params first", values: []string{`<https://a/n>; title="a, b; c"; rel="next"`}, want: "https://a/n"},
		{name: "escaped quote in a param", values: []string{`<https://a/s>; title="x\"; rel=next", <https://a/n>; rel=next`}, want: "https://a/n"},
		{name: "no next", values: []string{`<https://a/s>; rel="self"`}},
		{name: "relative target", values: []string{`</api/v1/logs?after=9>; rel="next"`}, want: "/api/v1/logs?after=9"},
		{name: "unclosed target", values: []string{`<https://a/n; rel="next"`}},
		{name: "junk then a link", values: []string{`garbage, <https://a/n>; rel="next"`}, want: "https://a/n"},
		{name: "rel without a value", values: []string{`<https://a/n>; rel`}},
		{name: "empty value", values: []string{``}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range c.values {
				h.Add("Link", v)
			}
			if got := NextLink(h); got != c.want {
				t.Errorf("NextLink = %q, want %q", got, c.want)
			}
		})
	}
}

// FuzzNextLink: no Link header makes the parser panic, and a next link
// written after any junk entry is found.
func FuzzNextLink(f *testing.F) {
	for _, s := range []string{``, `<a>; rel=next`, `<a>; rel="self", <b>; rel="next"`, `<`, `>;;;,,"`, `<a>; t="\`, `<a>;rel=`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		h := http.Header{}
		h.Add("Link", v)
		_ = NextLink(h)
		// A well-formed next entry after v (which may be any junk but an
		// unclosed quote or target, which swallow what follows) is found
		// unless v holds a next link of its own.
		if strings.ContainsAny(v, `"<>\`) || strings.Contains(strings.ToLower(v), "next") {
			return
		}
		h2 := http.Header{}
		h2.Add("Link", v+`, <https://a/next>; rel="next"`)
		if got := NextLink(h2); got != "https://a/next" {
			t.Errorf("after %q: NextLink = %q", v, got)
		}
	})
}
