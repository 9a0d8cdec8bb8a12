package cli

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// The canaries of TestApplyCredentialCanaries: every secret of jml.yaml and
// every credential made from them at run time.
const (
	canarySSWS         = "canarySSWStoken0001"
	canaryBearer       = "canaryBEARERtoken0002"
	canaryBasicPass    = "canaryBASICpass0003"
	canaryClientSecret = "canaryOAUTHsecret0004"
	canaryClientID     = "canaryOAUTHclient0005"
	canaryAccess       = "canaryOAUTHaccess0006"
	canaryRefresh      = "canaryOAUTHrefresh0007"
	canarySAAccess     = "canarySAaccess0008"
)

// echoVendor is the worst vendor: its token endpoint hands out canary
// tokens, and every API call fails with a 500 whose body — and response
// headers — reflect every request header; a request may also expect the
// 500, so that the echo lands in the outputs too. It remembers every
// credential it was sent.
type echoVendor struct {
	*httptest.Server
	mu    sync.Mutex
	seen  map[string]bool // credential-bearing values as received
	calls int
}

func newEchoVendor(t *testing.T) *echoVendor {
	v := &echoVendor{seen: map[string]bool{}}
	v.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.mu.Lock()
		defer v.mu.Unlock()
		if a := r.Header.Get("Authorization"); a != "" {
			v.seen[a] = true
		}
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/token") {
			r.ParseForm()
			if a := r.PostForm.Get("assertion"); a != "" {
				v.seen[a] = true
				json.NewEncoder(w).Encode(map[string]any{"access_token": canarySAAccess, "expires_in": 3600})
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"access_token": canaryAccess, "refresh_token": canaryRefresh, "expires_in": 3600})
			return
		}
		v.calls++
		h, _ := json.Marshal(r.Header)
		w.Header().Set("X-Echo-Authorization", r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusInternalServerError)
		json.NewEncoder(w).Encode(map[string]any{"message": "upstream failed for request with headers " + string(h), "headers": r.Header})
	}))
	t.Cleanup(v.Close)
	return v
}

// TestApplyCredentialCanaries: one instance per auth kind against the echo
// vendor; no canary, nor any credential the vendor was sent, nor their
// base64 forms, reaches stdout, stderr (text and --format json), the
// history database's bytes, `jml history --format json`, `jml history show
// --format json` or a plan file.
func TestApplyCredentialCanaries(t *testing.T) {
	t.Parallel()
	v := newEchoVendor(t)
	dir := t.TempDir()

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	sa, _ := json.Marshal(map[string]string{"type": "service_account", "client_email": "jml@acme.iam.gserviceaccount.com",
		"private_key": keyPEM, "token_uri": v.URL + "/sa/token"})

	instances := []string{"ssws", "bearer", "basic", "oauth", "sa"}
	cfg := fmt.Sprintf(`apiVersion: jml/v1
kind: Config
flows: flows/
connectors:
  ssws: {type: http, baseURL: %[1]q, allowInsecure: true, auth: {type: ssws, token: {env: SSWS_TOKEN}}}
  bearer: {type: http, baseURL: %[1]q, allowInsecure: true, auth: {type: bearer, token: {env: BEARER_TOKEN}}}
  basic: {type: http, baseURL: %[1]q, allowInsecure: true, auth: {type: basic, username: jml, password: {env: BASIC_PASSWORD}}}
  oauth: {type: http, baseURL: %[1]q, allowInsecure: true, auth: {type: oauth2, tokenURL: %[2]q, clientID: {env: CLIENT_ID}, clientSecret: {file: client-secret}}}
  sa: {type: http, baseURL: %[1]q, allowInsecure: true, auth: {type: serviceAccount, credentials: {file: sa.json}, subject: admin@acme.com}}
`, v.URL+"/api", v.URL+"/oauth/token")
	var flow strings.Builder
	flow.WriteString("apiVersion: jml/v1\nkind: Flow\nname: leaver\ntrigger: {event: user.lifecycle.deactivate}\nsteps:\n")
	for _, in := range instances {
		// The echo as an output (the 500 expected), then as an error.
		fmt.Fprintf(&flow, "  - id: %s_out\n    action: %s.request\n    with: {method: GET, path: /echo, expect: [500]}\n", in, in)
		fmt.Fprintf(&flow, "  - id: %s_err\n    action: %s.request\n    with: {method: POST, path: /fail, body: {user: \"${{ user.alternateId }}\"}}\n    onError: continue\n", in, in)
	}
	files := map[string]string{"jml.yaml": cfg, "flows/leaver.yaml": flow.String(), "events.ndjson": applyEvent(1),
		"client-secret": canaryClientSecret + "\n", "sa.json": string(sa)}
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	vars := map[string]string{"SSWS_TOKEN": canarySSWS, "BEARER_TOKEN": canaryBearer, "BASIC_PASSWORD": canaryBasicPass, "CLIENT_ID": canaryClientID}
	run := func(args ...string) runResult {
		io, _, out, errOut := Test()
		io.WorkDir = dir
		io.Getenv = func(k string) string { return vars[k] }
		code := Run(io, append([]string{"--color", "never"}, args...), "test")
		return runResult{out.String(), errOut.String(), code}
	}

	var outputs []string // everything jml wrote, by where
	var where []string
	keep := func(name string, r runResult) {
		outputs = append(outputs, r.out, r.errOut)
		where = append(where, name+" stdout", name+" stderr")
	}
	text := run("apply", filepath.Join(dir, "events.ndjson"), "--auto-approve")
	keep("apply", text)
	if text.code == ExitUsage || strings.Contains(text.errOut, "panic") {
		t.Fatalf("apply: exit %d\n%s%s", text.code, text.out, text.errOut)
	}
	js := run("apply", filepath.Join(dir, "events.ndjson"), "--auto-approve", "--force", "--format", "json")
	keep("apply --format json", js)
	hist := run("history", "--format", "json")
	keep("history --format json", hist)
	var rows []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(hist.out), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("history --format json: %v, %d runs\n%s%s", err, len(rows), hist.out, hist.errOut)
	}
	for _, r := range rows {
		keep("history show "+r.ID, run("history", "show", r.ID, "--format", "json"))
	}
	keep("plan", run("plan", filepath.Join(dir, "events.ndjson"), "-o", filepath.Join(dir, "plan.json")))
	dbFiles, _ := filepath.Glob(filepath.Join(dir, ".jml", "*"))
	dbFiles = append(dbFiles, filepath.Join(dir, "plan.json"))
	for _, f := range dbFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, string(b))
		where = append(where, filepath.Base(f))
	}

	// The test proves something only if every instance called the vendor
	// (twice per apply) and the vendor saw every kind of credential.
	v.mu.Lock()
	calls, seen := v.calls, v.seen
	v.mu.Unlock()
	if calls != 4*len(instances) {
		t.Fatalf("the vendor answered %d calls, want %d", calls, 4*len(instances))
	}
	var sent []string
	for s := range seen {
		sent = append(sent, s)
	}
	sort.Strings(sent)
	for _, want := range []string{"SSWS " + canarySSWS, "Bearer " + canaryBearer, "Basic ", "Bearer " + canaryAccess, "Bearer " + canarySAAccess, "eyJ"} {
		found := false
		for _, s := range sent {
			found = found || strings.HasPrefix(s, want)
		}
		if !found {
			t.Fatalf("the vendor never got a credential starting %q: %q", want, sent)
		}
	}
	if !strings.Contains(text.out, "upstream failed for request with headers") || !strings.Contains(text.out, "***") {
		t.Fatalf("the vendor's echo is not in the output (the test proves nothing):\n%s", text.out)
	}

	canaries := []string{canarySSWS, canaryBearer, canaryBasicPass, canaryClientSecret, canaryClientID, canaryAccess, canaryRefresh, canarySAAccess,
		"jml:" + canaryBasicPass, url.QueryEscape(canaryClientID) + ":" + url.QueryEscape(canaryClientSecret), keyPEM}
	for _, l := range strings.Split(strings.TrimSpace(keyPEM), "\n") {
		if !strings.HasPrefix(l, "-----") {
			canaries = append(canaries, l)
		}
	}
	canaries = append(canaries, sent...)
	for _, c := range canaries {
		forms := map[string]string{"raw": c, "base64": base64.StdEncoding.EncodeToString([]byte(c)),
			"base64url": base64.RawURLEncoding.EncodeToString([]byte(c))}
		if j, _ := json.Marshal(c); true {
			forms["json"] = strings.Trim(string(j), `"`)
		}
		for form, f := range forms {
			for i, o := range outputs {
				if strings.Contains(o, f) {
					t.Errorf("%s holds a credential (%s form of %.24q…)", where[i], form, c)
				}
			}
		}
	}
}
