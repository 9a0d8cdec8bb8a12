package source

import (
	"encoding/base64"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/diag"
)

// A literal secret is a credential written into a committed file. The rules
// here are the one place jml recognises one; compile reports them in flow
// files and world in world files (check `literal-secret`, docs/checks.md).
// They look for the shape of real credentials, so that ordinary text, a
// `${{ }}` expression and an example such as `Bearer <token>` pass.

// Secret is a literal secret found in a document.
type Secret struct {
	// Range is where the secret starts, so that a snippet masked from
	// there on (view) does not print it.
	Range diag.Range
	// What names the kind of secret with its value masked, e.g.
	// `a Slack token ("xoxb-***")`; it never holds the secret.
	What string
}

// SecretOptions say how to read a document for secrets.
type SecretOptions struct {
	// Keys: also report any literal string under a key that names a
	// credential (password, token, secret, apiKey, clientSecret, …), not
	// only values shaped like a credential.
	Keys bool
	// ExprKeys are keys whose value is a bare expression, or a mapping of
	// bare expressions (a flow's when, if, vars, assign…): there a value
	// under a credential-named key is an expression, not a literal, and
	// only the shape rules apply.
	ExprKeys map[string]bool
}

// secretShapes are the credentials recognised by their shape, anywhere in
// a string. A match is a secret when ok (if set) accepts the submatches.
var secretShapes = []struct {
	re   *regexp.Regexp
	what string // %s is replaced by the masked match
	mask func(m []string) string
	ok   func(m []string) bool
	// need lists strings one of which every match contains, so that the
	// regexp runs only on a value that holds one (validate reads every
	// scalar of a thousand flows). fold: compared without case, as the
	// (?i) regexp does — on ASCII text; any other text runs the regexp.
	need []string
	fold bool
}{
	{re: regexp.MustCompile(`-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----`), what: "a private key",
		mask: func(m []string) string { return "-----BEGIN " + m[1] + "PRIVATE KEY-----***" }, need: []string{"-----BEGIN "}},
	{re: regexp.MustCompile(`\b(xox[abposr]-|xapp-)[0-9A-Za-z-]{10,}`), what: "a Slack token",
		mask: prefixMask, ok: randomLooking, need: []string{"xox", "xapp-"}},
	{re: regexp.MustCompile(`\b(gh[pousr]_)[0-9A-Za-z]{20,}`), what: "a GitHub token", mask: prefixMask, ok: randomLooking, need: []string{"gh"}},
	{re: regexp.MustCompile(`\b(github_pat_)[0-9A-Za-z_]{20,}`), what: "a GitHub token", mask: prefixMask, ok: randomLooking, need: []string{"github_pat_"}},
	{re: regexp.MustCompile(`\b(glpat-)[0-9A-Za-z_-]{20,}`), what: "a GitLab token", mask: prefixMask, ok: randomLooking, need: []string{"glpat-"}},
	{re: regexp.MustCompile(`\b((?:AKIA|ASIA))[0-9A-Z]{16}\b`), what: "an AWS access key", mask: prefixMask, ok: randomLooking, need: []string{"AKIA", "ASIA"}},
	{re: regexp.MustCompile(`\b([rs]k_live_)[0-9A-Za-z]{16,}`), what: "a Stripe live key", mask: prefixMask, ok: randomLooking, need: []string{"k_live_"}},
	{re: regexp.MustCompile(`\b(eyJ)[0-9A-Za-z_-]{8,}\.eyJ[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{8,}`), what: "a JWT", mask: prefixMask, need: []string{"eyJ"}},
	{re: regexp.MustCompile(`(?i)\b(bearer|ssws)[ \t]+([0-9A-Za-z._~+/=-]{12,})`), what: "an authorization header value",
		mask: func(m []string) string { return m[1] + " ***" },
		ok:   func(m []string) bool { return randomLooking(m[2:]) }, need: []string{"bearer", "ssws"}, fold: true},
	{re: regexp.MustCompile(`(?i)\b(basic)[ \t]+([0-9A-Za-z+/=_-]{8,})`), what: "an authorization header value",
		mask: func(m []string) string { return m[1] + " ***" }, ok: basicCredentials, need: []string{"basic"}, fold: true},
	{re: regexp.MustCompile(`\b([a-zA-Z][a-zA-Z0-9+.-]*://[^\s/:@"']+:)([^\s/@"']+)@`), what: "a password in a URL",
		mask: func(m []string) string { return m[1] + "***@" },
		ok:   func(m []string) bool { return !placeholder(m[2]) }, need: []string{"://"}},
}

// mayMatch reports whether value holds one of need (lower: value in lower
// case when it is ASCII, "" when it is not); false means the shape's
// regexp cannot match.
func mayMatch(value, lower string, need []string, fold bool) bool {
	if fold {
		if lower == "" {
			return true // non-ASCII: (?i) folds more than ToLower
		}
		value = lower
	}
	for _, n := range need {
		if strings.Contains(value, n) {
			return true
		}
	}
	return false
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return ""
		}
	}
	return strings.ToLower(s)
}

// prefixMask keeps a token's well-known prefix (its first submatch), which
// says what it is without saying what it holds.
func prefixMask(m []string) string { return m[1] + "***" }

// randomLooking: the token (the whole match) is not an example and has the
// digits and letters of a generated value.
func randomLooking(m []string) bool {
	tok := m[0]
	if placeholder(tok) {
		return false
	}
	var digit, letter bool
	for _, r := range tok {
		digit = digit || unicode.IsDigit(r)
		letter = letter || unicode.IsLetter(r)
	}
	return digit && letter
}

// basicCredentials: the value of `Basic …` decodes to user:password, as
// HTTP Basic credentials do (the English word "basic" followed by a word
// does not).
func basicCredentials(m []string) bool {
	tok := m[2]
	if placeholder(tok) {
		return false
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(tok); err == nil && utf8.Valid(b) && strings.Contains(string(b), ":") && len(b) >= 3 {
			return true
		}
	}
	return false
}

// placeholders are the words of example values.
var placeholders = []string{"<", ">", "${", "{{", "***", "...", "…", "xxxx", "example", "placeholder", "your", "redacted", "changeme", "change-me", "dummy", "fake"}

// placeholder reports whether s is an example rather than a value:
// `<token>`, `${{ secrets.x }}`, `xoxb-your-token`, `AKIAIOSFODNN7EXAMPLE`.
func placeholder(s string) bool {
	l := strings.ToLower(s)
	for _, p := range placeholders {
		if strings.Contains(l, p) {
			return true
		}
	}
	return false
}

// credentialKeys are key names (lower case, without - _ .) whose values are
// credentials.
var credentialKeys = map[string]bool{
	"password": true, "passwd": true, "secret": true, "token": true, "apikey": true, "xapikey": true,
	"apitoken": true, "authtoken": true, "accesstoken": true, "refreshtoken": true, "bearertoken": true,
	"clientsecret": true, "privatekey": true, "authorization": true, "proxyauthorization": true,
}

// IsCredentialKey reports whether a key (a field or a header name) names a
// credential: password, token, secret, apiKey, client_secret, X-API-Key,
// Authorization, …
func IsCredentialKey(key string) bool {
	k := strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' {
			return -1
		}
		return unicode.ToLower(r)
	}, key)
	return credentialKeys[k]
}

// LiteralSecret reports whether value, found under key (or "" when it is
// not a mapping value), is or holds a literal secret: it returns what it
// is, masked, and the byte offset where the secret starts. keys also
// applies the credential-key rule.
func LiteralSecret(key, value string, keys bool) (what string, off int, ok bool) {
	best := -1
	lower := asciiLower(value)
	for _, s := range secretShapes {
		if !mayMatch(value, lower, s.need, s.fold) {
			continue
		}
		for _, m := range s.re.FindAllStringSubmatchIndex(value, -1) {
			if best >= 0 && m[0] >= best {
				break
			}
			sub := make([]string, len(m)/2)
			for i := range sub {
				if m[2*i] >= 0 {
					sub[i] = value[m[2*i]:m[2*i+1]]
				}
			}
			if s.ok != nil && !s.ok(sub) {
				continue
			}
			best, what = m[0], s.what+` ("`+s.mask(sub)+`")`
			break
		}
	}
	if best >= 0 {
		return what, best, true
	}
	if keys && IsCredentialKey(key) {
		v := strings.TrimSpace(value)
		if len(v) >= 4 && !placeholder(v) && !strings.HasPrefix(v, "$") && !strings.Contains(v, "${{") {
			return `a literal ` + key + ` ("***")`, strings.Index(value, v), true
		}
	}
	return "", 0, false
}

// FindSecrets returns the literal secrets in the string scalars under n (a
// node of f), in document order. Aliases are not followed: the anchored
// value is read where it is written.
func (f *File) FindSecrets(n *yaml.Node, opts SecretOptions) []Secret {
	var out []Secret
	var walk func(n *yaml.Node, key string, expr bool)
	walk = func(n *yaml.Node, key string, expr bool) {
		if n == nil {
			return
		}
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, key, expr)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				walk(n.Content[i+1], k, expr || opts.ExprKeys[k])
			}
		case yaml.ScalarNode:
			if n.ShortTag() != "!!str" {
				return
			}
			if what, off, ok := LiteralSecret(key, n.Value, opts.Keys && !expr); ok {
				out = append(out, Secret{Range: f.PosIn(n, off), What: what})
			}
		}
	}
	walk(n, "", false)
	return out
}
