package sandbox_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/connector"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/sandbox"
	"github.com/jml-dev/jml/pkg/source"
	"github.com/jml-dev/jml/pkg/world"
)

// TestOktaDPoPAgainstTheSandbox: under --sandbox an okta instance with
// auth dpop: true gets a DPoP-bound token from the sandbox — which
// demands a nonce first — and calls the API with Authorization: DPoP and
// a proof, the API demanding its own nonce once.
func TestOktaDPoPAgainstTheSandbox(t *testing.T) {
	w := world.New(instances(), clock.NewVirtual(epoch))
	w.SeedEvent([]world.User{jane}, "user.session.start", "")
	sb := sandbox.New(instances(), w, sandbox.Options{})
	var mu sync.Mutex
	var seen []string // method path scheme status
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		sb.ServeHTTP(rec, r)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" "+strings.SplitN(r.Header.Get("Authorization"), " ", 2)[0]+" "+http.StatusText(rec.Code))
		mu.Unlock()
		for k, v := range rec.Header() {
			rw.Header()[k] = v
		}
		rw.WriteHeader(rec.Code)
		rw.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)
	f, ds := source.Parse("jml.yaml", []byte(`apiVersion: jml/v1
kind: Config
connectors:
  okta:
    type: okta
    baseURL: https://acme.okta.com
    auth: {type: oauth2, clientID: 0oa1svc, privateKey: {file: /nonexistent/okta.pem}, dpop: true}
`))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	set, err := connector.New(ast.DecodeConfig(f), connector.Options{SandboxURL: srv.URL, Scopes: map[string][]string{"okta": {"okta.users.read"}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if out, err := set.Do(t.Context(), effect.Request{Instance: "okta", Type: "okta", Action: "getUser", Input: map[string]any{"userId": jane.ID}}); err != nil || out["id"] != jane.ID {
			t.Fatalf("getUser = %v, %v (requests: %q)", out, err, seen)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	u := "/okta/api/v1/users/" + jane.ID
	want := []string{"POST /okta/oauth2/v1/token  Bad Request", "POST /okta/oauth2/v1/token  OK",
		"GET " + u + " DPoP Unauthorized", "GET " + u + " DPoP OK", "GET " + u + " DPoP OK"}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
}

// TestOktaDPoPRefusals: the sandbox's token endpoint and API refuse a
// proof that is replayed, of another method or URL, without the token's
// hash, or by another key, and a DPoP-bound token sent as a bearer token.
func TestOktaDPoPRefusals(t *testing.T) {
	srv := serve(t)
	tokenURL := srv.URL + "/okta/oauth2/v1/token"
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	client := &connector.PrivateKeyJWT{TokenURL: tokenURL, ClientID: "0oa1svc", Key: key}
	d, _ := connector.NewDPoP()
	other, _ := connector.NewDPoP()
	post := func(proof string) (int, http.Header, map[string]any) {
		a, err := client.Assertion(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{"grant_type": {"client_credentials"}, "scope": {"okta.users.read"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}}
		req, _ := http.NewRequest("POST", tokenURL, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("DPoP", proof)
		return send(t, req)
	}
	tu, _ := url.Parse(tokenURL)
	p, _ := d.Proof("POST", tu, "", "")
	status, h, body := post(p)
	nonce := h.Get("DPoP-Nonce")
	if status != 400 || body["error"] != "use_dpop_nonce" || nonce == "" {
		t.Fatalf("a proof without a nonce: %d %v %q", status, body, nonce)
	}
	p, _ = d.Proof("POST", tu, "", nonce)
	status, _, body = post(p)
	at, _ := body["access_token"].(string)
	if status != 200 || body["token_type"] != "DPoP" || at == "" {
		t.Fatalf("token: %d %v", status, body)
	}
	if status, _, body = post(p); status != 400 || !strings.Contains(body["error_description"].(string), "jti has already been used") {
		t.Errorf("a replayed token proof: %d %v", status, body)
	}
	wrongURL, _ := url.Parse(srv.URL + "/okta/oauth2/v1/tokens")
	if p, _ := d.Proof("POST", wrongURL, "", nonce); true {
		if status, _, body = post(p); status != 400 || !strings.Contains(body["error_description"].(string), "htu") {
			t.Errorf("a proof of another URL: %d %v", status, body)
		}
	}

	api, _ := url.Parse(srv.URL + "/okta/api/v1/users/" + jane.ID)
	get := func(auth, proof string) (int, http.Header, map[string]any) {
		req, _ := http.NewRequest("GET", api.String()+"?x=1", nil)
		req.Header.Set("Authorization", auth)
		if proof != "" {
			req.Header.Set("DPoP", proof)
		}
		return send(t, req)
	}
	p, _ = d.Proof("GET", api, at, "")
	status, h, _ = get("DPoP "+at, p)
	rsNonce := h.Get("DPoP-Nonce")
	if status != 401 || !strings.Contains(h.Get("WWW-Authenticate"), `error="use_dpop_nonce"`) || rsNonce == "" {
		t.Fatalf("an API proof without a nonce: %d %v", status, h)
	}
	good, _ := d.Proof("GET", api, at, rsNonce)
	if status, _, body = get("DPoP "+at, good); status != 200 || body["id"] != jane.ID {
		t.Fatalf("a good API proof: %d %v", status, body)
	}
	for name, c := range map[string]struct{ auth, proof string }{
		"replayed":          {"DPoP " + at, good},
		"as a bearer":       {"Bearer " + at, must(d.Proof("GET", api, at, rsNonce))},
		"no proof":          {"DPoP " + at, ""},
		"another method":    {"DPoP " + at, must(d.Proof("DELETE", api, at, rsNonce))},
		"no ath":            {"DPoP " + at, must(d.Proof("GET", api, "", rsNonce))},
		"another token":     {"DPoP " + at, must(d.Proof("GET", api, at+"x", rsNonce))},
		"another key":       {"DPoP " + at, must(other.Proof("GET", api, at, rsNonce))},
		"the token's nonce": {"DPoP " + at, must(d.Proof("GET", api, at, nonce))},
	} {
		if status, h, body := get(c.auth, c.proof); status != 401 || (name != "the token's nonce" && !strings.Contains(h.Get("WWW-Authenticate"), "invalid_dpop_proof")) {
			t.Errorf("%s: %d %v %v", name, status, h.Get("WWW-Authenticate"), body)
		}
	}
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}

func send(t *testing.T, req *http.Request) (int, http.Header, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, resp.Header, m
}
