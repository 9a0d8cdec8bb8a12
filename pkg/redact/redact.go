// Package redact replaces the personal data of Okta System Log events
// (LogEvent objects) with stable pseudonyms, so that a recording can be
// shared and committed and still replays the same way.
//
// Every pseudonym is derived with HMAC-SHA256 under a secret key: the same
// value gives the same pseudonym in every event and every file redacted
// with the key, and without the key a pseudonym cannot be tested against
// a guess. There is no default key.
//
// What is replaced (docs/events.md):
//   - email addresses, anywhere in any string: u-HASH@d-HASH.example.com
//     (local part from the whole address, domain from the domain: two
//     users of one domain stay in one pseudonymous domain);
//   - logins and alternateIds of users that are not emails: u-HASH;
//   - displayName of users (actor and targets of type User) and every
//     firstName, lastName, fullName, name of a person: a pseudonymous
//     name from fixed lists ("Avery Quillon");
//   - IP addresses, anywhere in any string: an address of the
//     documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
//     2001:db8::/32);
//   - geographical context: city, state, country, postalCode, and
//     geolocation lat/lon;
//   - user agents: rawUserAgent (and userAgent strings).
//
// What is kept: uuids, eventTypes, published times, Okta ids (00u…, 00g…,
// 0oa…: opaque, and what flows pass to connectors, so they stay
// consistent as they are), outcomes, group and app names (flows match
// on them), and every other field.
//
// redact depends only on the standard library.
package redact

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// MinKeyLen is the shortest key accepted, in bytes.
const MinKeyLen = 16

// Redactor pseudonymises events under one key. It is safe for concurrent
// use.
type Redactor struct {
	key []byte
}

// New returns a Redactor keyed by key, which must be at least MinKeyLen
// bytes.
func New(key []byte) (*Redactor, error) {
	if len(key) == 0 {
		return nil, errors.New("no key: pseudonyms are keyed, and there is no default key")
	}
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("the key is %d bytes: at least %d are needed (openssl rand -hex 32)", len(key), MinKeyLen)
	}
	return &Redactor{key: append([]byte(nil), key...)}, nil
}

// sum is the keyed hash of a value in a domain (the kind of value), so
// that a city and a name equal as strings get unrelated pseudonyms.
func (r *Redactor) sum(domain, v string) []byte {
	m := hmac.New(sha256.New, r.key)
	m.Write([]byte(domain))
	m.Write([]byte{0})
	m.Write([]byte(v))
	return m.Sum(nil)
}

func (r *Redactor) hexSum(domain, v string, n int) string {
	return hex.EncodeToString(r.sum(domain, v))[:n]
}

// Email pseudonymises an email address (case-insensitively).
func (r *Redactor) Email(addr string) string {
	a := strings.ToLower(addr)
	at := strings.LastIndexByte(a, '@')
	domain := a[at+1:]
	return "u-" + r.hexSum("email", a, 10) + "@d-" + r.hexSum("domain", domain, 6) + ".example.com"
}

// Login pseudonymises a login: an email as Email, anything else u-HASH.
func (r *Redactor) Login(s string) string {
	if isEmail(s) {
		return r.Email(s)
	}
	if s == "" {
		return s
	}
	return "u-" + r.hexSum("email", strings.ToLower(s), 10)
}

// IP maps an address to one of the documentation ranges: an IPv4 address
// (or IPv4-mapped IPv6) to 192.0.2.0/24, 198.51.100.0/24 or
// 203.0.113.0/24, an IPv6 address to 2001:db8::/32.
func (r *Redactor) IP(a netip.Addr) netip.Addr {
	h := r.sum("ip", a.Unmap().String())
	if a.Unmap().Is4() {
		nets := [3][3]byte{{192, 0, 2}, {198, 51, 100}, {203, 0, 113}}
		n := nets[int(h[0])%3]
		return netip.AddrFrom4([4]byte{n[0], n[1], n[2], 1 + h[1]%254})
	}
	var b [16]byte
	b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8
	copy(b[4:], h[2:14])
	return netip.AddrFrom16(b)
}

var firstNames = []string{"Avery", "Blake", "Casey", "Dana", "Emery", "Finley", "Gray", "Harper", "Indigo", "Jules",
	"Kai", "Lane", "Morgan", "Noor", "Oakley", "Parker", "Quinn", "Reese", "Sage", "Tatum", "Umber", "Vale", "Wren", "Yael"}
var lastNames = []string{"Ashdown", "Birchall", "Colvin", "Dunmore", "Ellery", "Farrow", "Galloway", "Hartwell", "Ingram",
	"Jessop", "Kestrel", "Lowther", "Marlow", "Northam", "Orrin", "Pemberton", "Quillon", "Rowntree", "Stanmore", "Thorne",
	"Upworth", "Varley", "Whitlock", "Yarrow"}

// name pseudonyms keep a short hash so that distinct people stay distinct
// (the lists alone would collide).
func (r *Redactor) nameWith(domain, v string, list []string) string {
	h := r.sum(domain, v)
	return list[binary.BigEndian.Uint32(h)%uint32(len(list))] + "-" + hex.EncodeToString(h[4:6])
}

// FirstName, LastName and DisplayName pseudonymise person names.
func (r *Redactor) FirstName(s string) string { return r.nameWith("first", s, firstNames) }

// LastName pseudonymises a family name.
func (r *Redactor) LastName(s string) string { return r.nameWith("last", s, lastNames) }

// DisplayName pseudonymises a full name: "First-xxxx Last-xxxx".
func (r *Redactor) DisplayName(s string) string {
	return r.nameWith("display-first", s, firstNames) + " " + r.nameWith("display-last", s, lastNames)
}

// emailRE finds email addresses: the local part and every domain label
// are taken greedily, so that a replacement leaves no piece of the
// address beside it (isEmailMatch checks the top-level label).
var emailRE = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+`)

// isEmailMatch: the last label of a match's domain has a letter and two
// characters at least (a.b@c.1 is not an address).
func isEmailMatch(m string) bool {
	tld := m[strings.LastIndexByte(m, '.')+1:]
	return len(tld) >= 2 && strings.ContainsAny(strings.ToLower(tld), "abcdefghijklmnopqrstuvwxyz")
}

func isEmail(s string) bool {
	m := emailRE.FindStringIndex(s)
	return m != nil && m[0] == 0 && m[1] == len(s) && isEmailMatch(s)
}

// Emails returns the email addresses in s, as String recognises them.
func Emails(s string) []string {
	var out []string
	for _, m := range emailRE.FindAllString(s, -1) {
		if isEmailMatch(m) {
			out = append(out, m)
		}
	}
	return out
}

// ipToken is a character of a token that may be an IP address (and port).
func ipToken(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.'
}

// ipSpans finds the IP addresses of s: each maximal run of hex digits,
// colons and dots (without trailing dots) that parses as an address, or
// an IPv4 address and port. A run inside a word (x1.2.3.4) is not one.
func ipSpans(s string, f func(start, end int, a netip.Addr, port string)) {
	for i := 0; i < len(s); {
		if !ipToken(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && ipToken(s[j]) {
			j++
		}
		start, end := i, j
		i = j
		for end > start && s[end-1] == '.' {
			end--
		}
		before := start > 0 && isWordByte(s[start-1])
		after := end < len(s) && s[end] != '.' && isWordByte(s[end])
		if before || after || end-start < 2 {
			continue
		}
		tok := s[start:end]
		if !strings.ContainsAny(tok, ".:") || !strings.ContainsAny(tok, "0123456789abcdefABCDEF") {
			continue
		}
		if a, err := netip.ParseAddr(tok); err == nil && a.Zone() == "" {
			f(start, end, a, "")
		} else if ap, err := netip.ParseAddrPort(tok); err == nil && ap.Addr().Zone() == "" && ap.Addr().Is4() {
			f(start, end, ap.Addr(), ":"+strconv.Itoa(int(ap.Port())))
		}
	}
}

// isWordByte: letters and digits glue a token to a word.
func isWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// IPs returns the IP addresses in s, as String recognises them.
func IPs(s string) []netip.Addr {
	var out []netip.Addr
	ipSpans(s, func(_, _ int, a netip.Addr, _ string) { out = append(out, a) })
	return out
}

// Documentation reports whether a is in a documentation range (what IP
// maps every address to).
func Documentation(a netip.Addr) bool {
	for _, p := range docPrefixes {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

var docPrefixes = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32")}

// String replaces every IP address and email address found in s. IPs
// go first: a pseudonymous address next to an @ could otherwise become
// the local part of an address that was not there; a pseudonymous email
// holds nothing that reads as an IP.
func (r *Redactor) String(s string) string {
	if strings.ContainsAny(s, ".:") {
		var b strings.Builder
		last := 0
		ipSpans(s, func(start, end int, a netip.Addr, port string) {
			b.WriteString(s[last:start])
			b.WriteString(r.IP(a).String())
			b.WriteString(port)
			last = end
		})
		if last > 0 {
			b.WriteString(s[last:])
			s = b.String()
		}
	}
	if strings.IndexByte(s, '@') >= 0 {
		s = emailRE.ReplaceAllStringFunc(s, func(m string) string {
			if !isEmailMatch(m) {
				return m
			}
			return r.Email(m)
		})
	}
	return s
}

// Event pseudonymises a LogEvent in place (the Raw of an event.Event:
// objects map[string]any, arrays []any).
func (r *Redactor) Event(ev map[string]any) {
	r.object(ev, false)
}

// object walks an object; person says it is a user (actor or target of
// type User, or a profile), whose displayName and alternateId are personal.
func (r *Redactor) object(m map[string]any, person bool) {
	if t, ok := m["type"].(string); ok && t == "User" {
		person = true
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a fixed order: replaced keys land the same way
	for _, k := range keys {
		v := m[k]
		nk := k
		if strings.ContainsAny(k, "@:.") {
			if s := r.String(k); s != k {
				// A key that holds an email or address: replace it too.
				delete(m, k)
				nk = s
			}
		}
		m[nk] = r.field(strings.ToLower(k), v, person)
	}
}

func (r *Redactor) field(key string, v any, person bool) any {
	switch x := v.(type) {
	case map[string]any:
		r.object(x, person && key == "profile")
		return x
	case []any:
		for i, e := range x {
			x[i] = r.field(key, e, person)
		}
		return x
	case string:
		switch key {
		case "alternateid", "login", "username":
			if person || key != "alternateid" || isEmail(x) {
				return r.Login(x)
			}
		case "email", "secondemail", "primaryemail", "mail":
			return r.Login(x)
		case "displayname":
			if person {
				return r.DisplayName(x)
			}
		case "firstname", "givenname", "nickname":
			return r.FirstName(x)
		case "lastname", "familyname", "surname":
			return r.LastName(x)
		case "fullname", "name":
			if person {
				return r.DisplayName(x)
			}
		case "city":
			return "City-" + r.hexSum("city", x, 6)
		case "state":
			return "State-" + r.hexSum("state", x, 6)
		case "country":
			return "Country-" + r.hexSum("country", x, 6)
		case "postalcode":
			h := r.sum("postal", x)
			return fmt.Sprintf("%05d", binary.BigEndian.Uint32(h)%100000)
		case "rawuseragent", "useragent":
			return "Mozilla/5.0 (redacted " + r.hexSum("ua", x, 8) + ")"
		case "ipaddress", "ip":
			if a, err := netip.ParseAddr(strings.TrimSpace(x)); err == nil {
				return r.IP(a).String()
			}
		}
		return r.String(x)
	case float64, int64:
		switch key {
		case "lat":
			return geo(r.sum("lat", fmt.Sprint(x)), 90)
		case "lon":
			return geo(r.sum("lon", fmt.Sprint(x)), 180)
		}
	}
	return v
}

// geo is a coordinate in [-limit, limit] with four decimals, from a hash.
func geo(h []byte, limit float64) float64 {
	f := float64(binary.BigEndian.Uint32(h)) / math.MaxUint32
	return math.Round((f*2*limit-limit)*1e4) / 1e4
}
