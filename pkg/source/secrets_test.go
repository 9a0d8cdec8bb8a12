package source

import (
	"strings"
	"testing"
)

func TestLiteralSecret(t *testing.T) {
	tests := []struct {
		name, key, value string
		keys             bool
		// what is the expected description ("" when no secret is found);
		// at, the text the secret starts with.
		what, at string
	}{
		// Credentials by their shape, anywhere in a string.
		{name: "bearer header", key: "Authorization", value: "Bearer abcdef0123456789abcdef", what: `an authorization header value ("Bearer ***")`, at: "Bearer"},
		{name: "bearer in a sentence", value: "curl -H 'authorization: bearer 9f8e7d6c5b4a39281706'", what: `an authorization header value ("bearer ***")`, at: "bearer"},
		{name: "okta SSWS", value: "SSWS 00abcDEF1234567890xyzXYZ", what: `an authorization header value ("SSWS ***")`, at: "SSWS"},
		{name: "basic credentials", value: "Basic dXNlcjpodW50ZXIy", what: `an authorization header value ("Basic ***")`, at: "Basic"},
		{name: "slack bot token", value: "token xoxb-2048-0123456789-abcdefABCDEF", what: `a Slack token ("xoxb-***")`, at: "xoxb-"},
		{name: "slack app token", value: "xapp-1-A0123-4567890123-abcdef", what: `a Slack token ("xapp-***")`, at: "xapp-"},
		{name: "github token", value: "ghp_0123456789abcdefABCDEF0123456789abcd", what: `a GitHub token ("ghp_***")`, at: "ghp_"},
		{name: "github fine-grained token", value: "github_pat_11ABCDEFG0123456789_abcdefghijklmnop", what: `a GitHub token ("github_pat_***")`, at: "github_pat_"},
		{name: "gitlab token", value: "glpat-0123456789abcdefABCD", what: `a GitLab token ("glpat-***")`, at: "glpat-"},
		{name: "aws access key", value: "AKIA0123456789ABCDEF", what: `an AWS access key ("AKIA***")`, at: "AKIA"},
		{name: "stripe live key", value: "sk_live_0123456789abcdefABCD", what: `a Stripe live key ("sk_live_***")`, at: "sk_live_"},
		{name: "jwt", value: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", what: `a JWT ("eyJ***")`, at: "eyJ"},
		{name: "private key", value: "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n", what: `a private key ("-----BEGIN RSA PRIVATE KEY-----***")`, at: "-----BEGIN"},
		{name: "openssh private key", value: "-----BEGIN OPENSSH PRIVATE KEY-----", what: `a private key ("-----BEGIN OPENSSH PRIVATE KEY-----***")`, at: "-----BEGIN"},
		{name: "password in a URL", value: "https://jml:hunter22@hr.example.com/api", what: `a password in a URL ("https://jml:***@")`, at: "https://"},
		{name: "earliest of two", value: "xoxb-2048-0123456789-abcdef then Bearer abcdef0123456789abcdef", what: `a Slack token ("xoxb-***")`, at: "xoxb-"},
		// Credential-named keys holding a literal.
		{name: "password key", key: "password", value: "hunter22", keys: true, what: `a literal password ("***")`, at: "hunter22"},
		{name: "apiKey key", key: "apiKey", value: "k-1", keys: true},
		{name: "client_secret key", key: "client_secret", value: "s3cr3t-value", keys: true, what: `a literal client_secret ("***")`, at: "s3cr3t"},
		{name: "X-API-Key header", key: "X-API-Key", value: "0123abcd", keys: true, what: `a literal X-API-Key ("***")`, at: "0123abcd"},
		{name: "token key without the key rule", key: "token", value: "s3cr3t-value"},

		// Not secrets.
		{name: "expression", key: "Authorization", value: "Bearer ${{ vars.token }}", keys: true},
		{name: "expression under a secret key", key: "token", value: "${{ steps.auth.output.token }}", keys: true},
		{name: "environment reference", key: "password", value: "$SN_PASSWORD", keys: true},
		{name: "bearer placeholder", value: "Bearer <token>", keys: true},
		{name: "bearer placeholder text", value: "Authorization: Bearer YOUR_TOKEN_HERE_0123"},
		{name: "bearer in prose", value: "Bearer tokens expire after an hour"},
		{name: "basic in prose", value: "Basic information about the leaver"},
		{name: "basic word that is base64", value: "Basic Informations"},
		{name: "slack placeholder", value: "xoxb-your-token-here-0123"},
		{name: "slack word", value: "see xoxb-tokens in the docs"},
		{name: "aws documented example", value: "AKIAIOSFODNN7EXAMPLE"},
		{name: "url without password", value: "https://jml@hr.example.com/api"},
		{name: "url with a templated password", value: "https://jml:${{ vars.p }}@hr.example.com"},
		{name: "private key placeholder text", value: "a PEM public key: -----BEGIN PUBLIC KEY-----"},
		{name: "jwt word", value: "eyJ is how a JWT starts"},
		{name: "masked", key: "token", value: "***", keys: true},
		{name: "short", key: "secret", value: "no", keys: true},
		{name: "ordinary key", key: "email", value: "jane@example.com", keys: true},
		{name: "pageToken is no credential", key: "pageToken", value: "abcdef0123", keys: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			what, off, ok := LiteralSecret(tt.key, tt.value, tt.keys)
			if ok != (tt.what != "") || what != tt.what {
				t.Fatalf("LiteralSecret(%q, %q) = %q, %v; want %q", tt.key, tt.value, what, ok, tt.what)
			}
			if ok && !strings.HasPrefix(tt.value[off:], tt.at) {
				t.Errorf("offset %d points at %q, want %q", off, tt.value[off:], tt.at)
			}
		})
	}
}

func TestFindSecrets(t *testing.T) {
	src := `apiVersion: jml/v1
vars:
  token: steps.auth.output.token
  hook: '"xoxb-2048-0123456789-abcdefABCDEF"'
steps:
  - action: hr.request
    with:
      headers: {Authorization: "Bearer abcdef0123456789abcdef", X-Trace: "1"}
      body:
        password: hunter22
        note: |
          key follows
          -----BEGIN PRIVATE KEY-----
  - halt: "token ghp_0123456789abcdefABCDEF0123456789abcd leaked"
  - if: vars.token == "x"
    then: []
`
	f, ds := Parse("f.yaml", []byte(src))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	var got []string
	for _, s := range f.FindSecrets(f.Root, SecretOptions{Keys: true, ExprKeys: map[string]bool{"vars": true, "if": true}}) {
		got = append(got, s.Range.String()+" "+s.What)
	}
	want := []string{
		`f.yaml:4:11 a Slack token ("xoxb-***")`,
		`f.yaml:8:33 an authorization header value ("Bearer ***")`,
		`f.yaml:10:19 a literal password ("***")`,
		`f.yaml:13:11 a private key ("-----BEGIN PRIVATE KEY-----***")`,
		`f.yaml:14:18 a GitHub token ("ghp_***")`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The key rule alone: a world's data.
	got = nil
	for _, s := range f.FindSecrets(f.Root, SecretOptions{}) {
		got = append(got, s.What)
	}
	if len(got) != 4 {
		t.Fatalf("shape rules only: got %q, want the 4 shaped secrets", got)
	}
}

// TestSecretShapesNeed: a shape's need strings are a true prefilter: on
// every value its regexp matches, mayMatch says it may.
func TestSecretShapesNeed(t *testing.T) {
	values := []string{
		"-----BEGIN RSA PRIVATE KEY-----", "xoxb-1234567890-abcdefghij", "xapp-1-A0123456789-abc",
		"ghp_0123456789abcdefghijABCDEFGHIJ", "github_pat_0123456789abcdefghij_x", "glpat-0123456789abcdefghij",
		"AKIA0123456789ABCDEF", "ASIA0123456789ABCDEF", "sk_live_0123456789abcdef", "rk_live_0123456789abcdef",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
		"Bearer 0123456789abcdef", "BEARER 0123456789abcdef", "SsWs 00abcdefghij0123", "ſſwſ 00abcdefghij0123",
		"bearer\t0123456789abcdef", "BaSiC dXNlcjpwYXNzd29yZA==", "baſic dXNlcjpwYXNzd29yZA==",
		"https://user:hunter2@example.org/", "postgres://jml:s3cret@db:5432/jml",
	}
	hit := 0
	for _, v := range values {
		lower := asciiLower(v)
		for _, s := range secretShapes {
			if s.re.MatchString(v) {
				hit++
				if !mayMatch(v, lower, s.need, s.fold) {
					t.Errorf("%q matches %s but its need %q says it cannot", v, s.re, s.need)
				}
			}
		}
	}
	if hit < len(values)-2 {
		t.Fatalf("only %d matches among %d values: the test proves little", hit, len(values))
	}
}
