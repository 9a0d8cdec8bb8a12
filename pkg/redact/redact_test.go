package redact

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

var testKey = []byte("0123456789abcdef-test-key")

func newTest(t testing.TB) *Redactor {
	r, err := New(testKey)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestNewNeedsAKey(t *testing.T) {
	for _, k := range []string{"", "short"} {
		if _, err := New([]byte(k)); err == nil {
			t.Errorf("New(%q) accepted", k)
		}
	}
}

var pseudoEmail = regexp.MustCompile(`^u-[0-9a-f]{10}@d-[0-9a-f]{6}\.example\.com$`)

func TestString(t *testing.T) {
	r := newTest(t)
	cases := []struct {
		name, in string
		keep     bool // unchanged
	}{
		{name: "email", in: "john.doe@example.com"},
		{name: "email in a sentence", in: "Deactivated by okta.trainer@okta.com today."},
		{name: "email with a dash after", in: "ab@c.de-f.gh"},
		{name: "ipv4", in: "174.89.174.56"},
		{name: "ipv4 and port", in: "http://10.1.2.3:8080/x"},
		{name: "ipv4 at the end of a sentence", in: "from 10.1.2.3."},
		{name: "ipv6", in: "2a02:8071:b00:1::5"},
		{name: "ipv4-mapped ipv6", in: "::ffff:10.0.0.1"},
		{name: "timestamp", in: "2026-11-01T00:00:00.000Z", keep: true},
		{name: "okta request id with an at sign", in: "X7LBsMxeqO-ADcGcmp0WGQAAB@g", keep: true},
		{name: "version-like inside a word", in: "v1.2.3.4", keep: true},
		{name: "mac address", in: "aa:bb:cc:dd:ee:ff", keep: true},
		{name: "double colon alone", in: "a :: b", keep: true},
		{name: "uuid", in: "ab62c0bc-2837-11eb-9823-9fb8f750c5a9", keep: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := r.String(c.in)
			if c.keep {
				if got != c.in {
					t.Errorf("String(%q) = %q, want it kept", c.in, got)
				}
				return
			}
			if got == c.in {
				t.Fatalf("String(%q) kept it", c.in)
			}
			checkClean(t, c.in, got)
			if again := r.String(c.in); again != got {
				t.Errorf("not stable: %q then %q", got, again)
			}
		})
	}
}

// checkClean: no email or IP of in is left in out, every email of out is
// a pseudonym and every IP of out is in a documentation range.
func checkClean(t *testing.T, in, out string) {
	t.Helper()
	for _, e := range Emails(out) {
		if !pseudoEmail.MatchString(e) {
			t.Errorf("%q -> %q: email %q left", in, out, e)
		}
	}
	for _, a := range IPs(out) {
		if !Documentation(a) {
			t.Errorf("%q -> %q: address %s left", in, out, a)
		}
	}
	for _, e := range Emails(in) {
		if strings.Contains(out, e) && !pseudoEmail.MatchString(e) {
			t.Errorf("%q -> %q: %q still there", in, out, e)
		}
	}
}

func TestKeyed(t *testing.T) {
	a := newTest(t)
	b, _ := New([]byte("another key, long enough"))
	if a.Email("x@y.com") == b.Email("x@y.com") {
		t.Error("two keys give the same pseudonym")
	}
	if a.Email("X@Y.com") != a.Email("x@y.com") {
		t.Error("emails are case-insensitive")
	}
	if got := a.Email("x@y.com"); !pseudoEmail.MatchString(got) {
		t.Errorf("Email = %q", got)
	}
	// One domain, one pseudonymous domain.
	d := func(s string) string { return s[strings.IndexByte(s, '@'):] }
	if d(a.Email("x@acme.com")) != d(a.Email("y@acme.com")) || d(a.Email("x@acme.com")) == d(a.Email("x@other.com")) {
		t.Error("the domain mapping is not one to one")
	}
}

const sample = `{"actor":{"id":"00u2di94bAMSEPvAY1d6","type":"User","alternateId":"okta.trainer@okta.com","displayName":"Okta Trainer"},
"client":{"userAgent":{"rawUserAgent":"Mozilla/5.0 (Macintosh) Chrome/86","os":"Mac OS X","browser":"CHROME"},"zone":"null","ipAddress":"174.89.174.56",
"geographicalContext":{"city":"Toronto","state":"Ontario","country":"Canada","postalCode":"M6B","geolocation":{"lat":43.7114,"lon":-79.4462}}},
"eventType":"user.lifecycle.deactivate","published":"2020-11-16T18:15:12.862Z","uuid":"ab62c0bc-2837-11eb-9823-9fb8f750c5a9",
"debugContext":{"debugData":{"requestUri":"/admin/user/deactivate/00u3m90rxKjGQ0G6L1d6","changedAttributes":"login,email"}},
"request":{"ipChain":[{"ip":"2a02:8071:b00:1::5","version":"V6"}]},
"target":[{"id":"00u3m90rxKjGQ0G6L1d6","type":"User","alternateId":"jdoe","displayName":"John Doe"},
{"id":"00g1vpn00001","type":"UserGroup","alternateId":"unknown","displayName":"vpn-users"}]}`

func TestEvent(t *testing.T) {
	r := newTest(t)
	var ev map[string]any
	if err := json.Unmarshal([]byte(sample), &ev); err != nil {
		t.Fatal(err)
	}
	r.Event(ev)
	b, _ := json.Marshal(ev)
	out := string(b)
	for _, s := range []string{"okta.trainer", "Okta Trainer", "174.89.174.56", "Toronto", "Ontario", "Canada", "M6B", "43.7114", "-79.4462",
		"Macintosh", "2a02:8071", "jdoe", "John Doe"} {
		if strings.Contains(out, s) {
			t.Errorf("%q left in %s", s, out)
		}
	}
	for _, s := range []string{"00u2di94bAMSEPvAY1d6", "00u3m90rxKjGQ0G6L1d6", "vpn-users", "user.lifecycle.deactivate", "2020-11-16T18:15:12.862Z",
		"ab62c0bc-2837-11eb-9823-9fb8f750c5a9", "login,email", `"alternateId":"unknown"`, `"os":"Mac OS X"`} {
		if !strings.Contains(out, s) {
			t.Errorf("%q not kept in %s", s, out)
		}
	}
	actor := ev["actor"].(map[string]any)
	if !pseudoEmail.MatchString(actor["alternateId"].(string)) {
		t.Errorf("actor alternateId %v", actor["alternateId"])
	}
	if !regexp.MustCompile(`^[A-Z][a-z]+-[0-9a-f]{4} [A-Z][a-z]+-[0-9a-f]{4}$`).MatchString(actor["displayName"].(string)) {
		t.Errorf("displayName %v is not name-shaped", actor["displayName"])
	}
	ip := ev["client"].(map[string]any)["ipAddress"].(string)
	if a, err := netip.ParseAddr(ip); err != nil || !Documentation(a) {
		t.Errorf("ipAddress %q", ip)
	}
	// The same input, the same output.
	var ev2 map[string]any
	json.Unmarshal([]byte(sample), &ev2)
	r.Event(ev2)
	if !reflect.DeepEqual(ev, ev2) {
		t.Error("not stable")
	}
}

// FuzzRedact: no input makes the redactor panic, and no email or IP it
// recognises is left.
func FuzzRedact(f *testing.F) {
	f.Add(sample)
	f.Add(`{"a":"x@y.zz 1.2.3.4 ::1 [fe80::1]:80 1.2.3.4:99 a@b.c-d.ef"}`)
	f.Add(`{"actor":{"type":"User","login":"","displayName":null,"geolocation":{"lat":"x"}}}`)
	f.Add(`[{"x@y.com":1, "10.0.0.1": [1, {"ip": "zz"}]}]`)
	r := newTest(f)
	f.Fuzz(func(t *testing.T, in string) {
		var v any
		if json.Unmarshal([]byte(in), &v) != nil {
			checkClean(t, in, r.String(in))
			return
		}
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		r.Event(m)
		walk(m, func(s string) { checkClean(t, "(event)", s) })
	})
}

func walk(v any, f func(string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			f(k)
			walk(e, f)
		}
	case []any:
		for _, e := range x {
			walk(e, f)
		}
	case string:
		f(x)
	}
}
