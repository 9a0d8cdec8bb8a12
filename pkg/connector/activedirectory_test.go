package connector

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
	"github.com/hashicorp/go-hclog"
	"github.com/jimlambrt/gldap"

	"github.com/jml-dev/jml/pkg/effect"
)

const (
	adBase     = "DC=acme,DC=com"
	adBindDN   = "CN=svc-jml,OU=Service,DC=acme,DC=com"
	adPassword = "s3cret-bind-pw"
	adJaneDN   = "CN=Jane Doe,OU=Users,DC=acme,DC=com"
	adGroupDN  = "CN=VPN Users,OU=Groups,DC=acme,DC=com"
)

// adEntry is a user of the fake directory.
type adEntry struct {
	dn    string
	attrs map[string][]string
}

// adFailure is a result code the fake directory answers an operation with.
type adFailure struct {
	code int
	diag string
}

// fakeAD is an LDAP server (gldap, in process, on a free loopback port)
// that answers bind, search, modify and StartTLS like a domain controller
// and records every request, the bind password included.
type fakeAD struct {
	mu    sync.Mutex
	log   []string
	users map[string]adEntry // sAMAccountName → entry
	// fail makes an operation (bind, search, modify) fail.
	fail map[string]adFailure
	// block, when set, makes a search wait for it to be closed; started
	// is closed when such a search arrives.
	block, started chan struct{}
	addr           string
	tlsServer      *tls.Config
}

// addrSink catches the address gldap logs once it listens: the server
// listens on port 0 and says where only in that log line.
type addrSink chan string

func (s addrSink) Accept(_ string, _ hclog.Level, msg string, args ...any) {
	if msg != "listening" {
		return
	}
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] == "addr" {
			select {
			case s <- fmt.Sprint(args[i+1]):
			default:
			}
		}
	}
}

// startAD starts a fake directory with jdoe (userAccountControl uac);
// ldaps serves TLS from the first byte, otherwise StartTLS is offered.
func startAD(t *testing.T, uac string, ldaps bool) *fakeAD {
	t.Helper()
	f := &fakeAD{fail: map[string]adFailure{}, users: map[string]adEntry{
		"jdoe": {dn: adJaneDN, attrs: map[string][]string{
			"sAMAccountName":     {"jdoe"},
			"userAccountControl": {uac},
			"mail":               {"jane.doe@acme.com"},
			"displayName":        {"Jane Doe"},
			"memberOf":           {"CN=Sales,OU=Groups,DC=acme,DC=com", adGroupDN},
		}},
	}}
	f.tlsServer = testCert(t)
	logger := hclog.NewInterceptLogger(&hclog.LoggerOptions{Output: io.Discard, Level: hclog.Off})
	addrs := make(addrSink, 1)
	logger.RegisterSink(addrs)
	s, err := gldap.NewServer(gldap.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	mux, _ := gldap.NewMux()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(mux.Bind(f.bind))
	must(mux.Search(f.search))
	must(mux.Modify(f.modify))
	must(mux.ExtendedOperation(f.startTLS, gldap.ExtendedOperationStartTLS))
	must(s.Router(mux))
	var opts []gldap.Option
	if ldaps {
		opts = append(opts, gldap.WithTLSConfig(f.tlsServer))
	}
	go func() { _ = s.Run("127.0.0.1:0", opts...) }()
	t.Cleanup(func() { _ = s.Stop() })
	f.addr = <-addrs
	return f
}

func (f *fakeAD) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, fmt.Sprintf(format, args...))
}

func (f *fakeAD) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string{}, f.log...)
}

func (f *fakeAD) failure(op string) (adFailure, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.fail[op]
	return e, ok
}

func (f *fakeAD) bind(w *gldap.ResponseWriter, r *gldap.Request) {
	resp := r.NewBindResponse(gldap.WithResponseCode(gldap.ResultSuccess))
	defer func() { _ = w.Write(resp) }()
	m, err := r.GetSimpleBindMessage()
	if err != nil {
		resp.SetResultCode(gldap.ResultProtocolError)
		return
	}
	f.record("bind %s %s", m.UserName, m.Password)
	if e, ok := f.failure("bind"); ok {
		resp.SetResultCode(e.code)
		resp.SetDiagnosticMessage(e.diag)
	}
}

func (f *fakeAD) search(w *gldap.ResponseWriter, r *gldap.Request) {
	resp := r.NewSearchDoneResponse(gldap.WithResponseCode(gldap.ResultSuccess))
	defer func() { _ = w.Write(resp) }()
	m, err := r.GetSearchMessage()
	if err != nil {
		resp.SetResultCode(gldap.ResultProtocolError)
		return
	}
	f.record("search %s scope=%d %s %v", m.BaseDN, m.Scope, m.Filter, m.Attributes)
	if f.block != nil {
		close(f.started)
		<-f.block
	}
	if e, ok := f.failure("search"); ok {
		resp.SetResultCode(e.code)
		resp.SetDiagnosticMessage(e.diag)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for sam, u := range f.users {
		if m.Filter == "(&(objectCategory=person)(objectClass=user)(sAMAccountName="+ldap.EscapeFilter(sam)+"))" {
			_ = w.Write(r.NewSearchResponseEntry(u.dn, gldap.WithAttributes(u.attrs)))
		}
	}
}

func (f *fakeAD) modify(w *gldap.ResponseWriter, r *gldap.Request) {
	resp := r.NewModifyResponse(gldap.WithResponseCode(gldap.ResultSuccess))
	defer func() { _ = w.Write(resp) }()
	m, err := r.GetModifyMessage()
	if err != nil {
		resp.SetResultCode(gldap.ResultProtocolError)
		return
	}
	ops := map[int64]string{gldap.AddAttribute: "add", gldap.DeleteAttribute: "delete", gldap.ReplaceAttribute: "replace"}
	for _, c := range m.Changes {
		// gldap hands modify values over still BER-encoded.
		vals, err := gldap.ConvertString(c.Modification.Vals...)
		if err != nil {
			resp.SetResultCode(gldap.ResultProtocolError)
			return
		}
		f.record("modify %s %s %s %q", m.DN, ops[c.Operation], c.Modification.Type, vals)
	}
	if e, ok := f.failure("modify"); ok {
		resp.SetResultCode(e.code)
		resp.SetDiagnosticMessage(e.diag)
	}
}

func (f *fakeAD) startTLS(w *gldap.ResponseWriter, r *gldap.Request) {
	f.record("starttls")
	res := r.NewExtendedResponse(gldap.WithResponseCode(gldap.ResultSuccess))
	res.SetResponseName(gldap.ExtendedOperationStartTLS)
	if err := w.Write(res); err != nil {
		return
	}
	_ = r.StartTLS(f.tlsServer)
}

// testCert makes a self-signed certificate for 127.0.0.1 and returns the
// server's config.
func testCert(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "dc1.acme.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"dc1.acme.test"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
}

// adClientFor builds a client of the fake directory, bound as adBindDN.
func adClientFor(t *testing.T, rawURL string, settings map[string]string, roots *tls.Config) *adClient {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	s := map[string]string{"baseDN": adBase}
	for k, v := range settings {
		s[k] = v
	}
	return &adClient{in: &Instance{Name: "ad", Type: "activedirectory", BaseURL: u, Settings: s,
		Auth: LDAPBind{BindDN: adBindDN, Password: adPassword}}, tls: roots}
}

func adDo(c Client, ctx context.Context, action string, in map[string]any) (map[string]any, error) {
	return c.Do(ctx, effect.Request{Instance: "ad", Type: "activedirectory", Action: action, Input: in})
}

const (
	adBindLine   = "bind " + adBindDN + " " + adPassword
	adSearchLine = "search " + adBase + " scope=2 (&(objectCategory=person)(objectClass=user)(sAMAccountName=jdoe)) [sAMAccountName userAccountControl memberOf mail displayName]"
)

// TestADWrites asserts the exact requests each write sends: the bind,
// the escaped search, and the modify with the bit arithmetic preserved.
func TestADWrites(t *testing.T) {
	jane := map[string]any{"sAMAccountName": "jdoe"}
	group := map[string]any{"sAMAccountName": "jdoe", "groupDN": adGroupDN}
	tests := []struct {
		name, action, uac string
		in                map[string]any
		fail              *adFailure
		want              []string
	}{
		{name: "disable normal account", action: "disableAccount", uac: "512", in: jane,
			want: []string{adBindLine, adSearchLine, `modify ` + adJaneDN + ` replace userAccountControl ["514"]`}},
		{name: "disable keeps DONT_EXPIRE_PASSWORD", action: "disableAccount", uac: "66048", in: jane,
			want: []string{adBindLine, adSearchLine, `modify ` + adJaneDN + ` replace userAccountControl ["66050"]`}},
		{name: "disable twice writes nothing", action: "disableAccount", uac: "514", in: jane,
			want: []string{adBindLine, adSearchLine}},
		{name: "enable clears the bit only", action: "enableAccount", uac: "66050", in: jane,
			want: []string{adBindLine, adSearchLine, `modify ` + adJaneDN + ` replace userAccountControl ["66048"]`}},
		{name: "enable an enabled account writes nothing", action: "enableAccount", uac: "512", in: jane,
			want: []string{adBindLine, adSearchLine}},
		{name: "add to group", action: "addToGroup", uac: "512", in: group,
			want: []string{adBindLine, adSearchLine, `modify ` + adGroupDN + ` add member ["` + adJaneDN + `"]`}},
		{name: "add an existing member (RFC 4511)", action: "addToGroup", uac: "512", in: group,
			fail: &adFailure{code: 20, diag: "member exists"},
			want: []string{adBindLine, adSearchLine, `modify ` + adGroupDN + ` add member ["` + adJaneDN + `"]`}},
		{name: "add an existing member (AD)", action: "addToGroup", uac: "512", in: group,
			fail: &adFailure{code: 68, diag: "00000562: UpdErr: DSID-031A11C4, problem 6005 (ENTRY_EXISTS), data 0"},
			want: []string{adBindLine, adSearchLine, `modify ` + adGroupDN + ` add member ["` + adJaneDN + `"]`}},
		{name: "remove from group", action: "removeFromGroup", uac: "512", in: group,
			want: []string{adBindLine, adSearchLine, `modify ` + adGroupDN + ` delete member ["` + adJaneDN + `"]`}},
		{name: "remove a non-member (RFC 4511)", action: "removeFromGroup", uac: "512", in: group,
			fail: &adFailure{code: 16, diag: "no such value"},
			want: []string{adBindLine, adSearchLine, `modify ` + adGroupDN + ` delete member ["` + adJaneDN + `"]`}},
		{name: "remove a non-member (AD)", action: "removeFromGroup", uac: "512", in: group,
			fail: &adFailure{code: 53, diag: "00000561: SvcErr: DSID-031A1254, problem 5003 (WILL_NOT_PERFORM), data 0"},
			want: []string{adBindLine, adSearchLine, `modify ` + adGroupDN + ` delete member ["` + adJaneDN + `"]`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := startAD(t, tc.uac, false)
			if tc.fail != nil {
				f.fail["modify"] = *tc.fail
			}
			out, err := adDo(adClientFor(t, "ldap://"+f.addr, nil, nil), context.Background(), tc.action, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != 0 {
				t.Errorf("outputs = %v, want none", out)
			}
			if got := f.requests(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("requests:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestADGetUser checks the outputs have the world's shape, over ldap://,
// StartTLS and ldaps://.
func TestADGetUser(t *testing.T) {
	want := map[string]any{"dn": adJaneDN, "disabled": true, "userAccountControl": int64(66050),
		"groups": []any{"CN=Sales,OU=Groups,DC=acme,DC=com", adGroupDN}, "mail": "jane.doe@acme.com", "displayName": "Jane Doe"}
	tests := []struct {
		name     string
		ldaps    bool
		settings map[string]string
		first    []string
	}{
		{name: "plain", first: []string{adBindLine}},
		{name: "StartTLS", settings: map[string]string{"startTLS": "true"}, first: []string{"starttls", adBindLine}},
		{name: "ldaps", ldaps: true, first: []string{adBindLine}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := startAD(t, "66050", tc.ldaps)
			// Each fake has its own certificate: trust that one.
			pool := x509.NewCertPool()
			leaf, _ := x509.ParseCertificate(f.tlsServer.Certificates[0].Certificate[0])
			pool.AddCert(leaf)
			roots := &tls.Config{RootCAs: pool}
			scheme := "ldap://"
			if tc.ldaps {
				scheme = "ldaps://"
			}
			out, err := adDo(adClientFor(t, scheme+f.addr, tc.settings, roots), context.Background(), "getUser", map[string]any{"sAMAccountName": "jdoe"})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(out, want) {
				t.Errorf("outputs:\n got %#v\nwant %#v", out, want)
			}
			if got, want := f.requests(), append(tc.first, adSearchLine); !reflect.DeepEqual(got, want) {
				t.Errorf("requests:\n got %q\nwant %q", got, want)
			}
		})
	}
}

// TestADFilterEscaping: a sAMAccountName is a value, never filter syntax.
func TestADFilterEscaping(t *testing.T) {
	f := startAD(t, "512", false)
	_, err := adDo(adClientFor(t, "ldap://"+f.addr, nil, nil), context.Background(), "getUser", map[string]any{"sAMAccountName": "a*)(b"})
	var e *effect.Error
	if !errors.As(err, &e) || e.Status != 404 || e.Code != "not_found" {
		t.Fatalf("err = %#v, want a 404", err)
	}
	want := "search " + adBase + ` scope=2 (&(objectCategory=person)(objectClass=user)(sAMAccountName=a\2a\29\28b)) [sAMAccountName userAccountControl memberOf mail displayName]`
	if got := f.requests(); len(got) != 2 || got[1] != want {
		t.Errorf("requests = %q, want the search %q", got, want)
	}
}

// TestADErrors maps LDAP result codes and network failures like HTTP ones.
func TestADErrors(t *testing.T) {
	tests := []struct {
		name, op   string
		code       int
		action     string
		wantStatus int
		wantCode   string
		retryable  bool
	}{
		{name: "no such object", op: "modify", code: 32, action: "addToGroup", wantStatus: 404, wantCode: "not_found"},
		{name: "invalid credentials", op: "bind", code: 49, action: "getUser", wantStatus: 401, wantCode: "unauthorized"},
		{name: "insufficient access", op: "modify", code: 50, action: "disableAccount", wantStatus: 403, wantCode: "forbidden"},
		{name: "busy", op: "search", code: 51, action: "getUser", wantStatus: 503, wantCode: "server_error", retryable: true},
		{name: "unavailable", op: "bind", code: 52, action: "getUser", wantStatus: 503, wantCode: "server_error", retryable: true},
		{name: "time limit", op: "search", code: 3, action: "getUser", wantCode: "timeout", retryable: true},
		{name: "unwilling to perform", op: "modify", code: 53, action: "addToGroup", wantStatus: 422, wantCode: "invalid_input"},
		{name: "no such object on a search base", op: "search", code: 32, action: "getUser", wantStatus: 404, wantCode: "not_found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := startAD(t, "512", false)
			f.fail[tc.op] = adFailure{code: tc.code, diag: "diagnostic from the DC"}
			_, err := adDo(adClientFor(t, "ldap://"+f.addr, nil, nil), context.Background(), tc.action,
				map[string]any{"sAMAccountName": "jdoe", "groupDN": adGroupDN})
			var e *effect.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want an *effect.Error", err)
			}
			if e.Status != tc.wantStatus || e.Code != tc.wantCode || e.Retryable != tc.retryable {
				t.Errorf("err = %+v, want status %d code %s retryable %v", e, tc.wantStatus, tc.wantCode, tc.retryable)
			}
			if !strings.Contains(e.Message, "diagnostic from the DC") || strings.Contains(e.Message, adPassword) {
				t.Errorf("message %q: want the server's diagnostic and no password", e.Message)
			}
		})
	}
	t.Run("user not found", func(t *testing.T) {
		f := startAD(t, "512", false)
		_, err := adDo(adClientFor(t, "ldap://"+f.addr, nil, nil), context.Background(), "disableAccount", map[string]any{"sAMAccountName": "nobody"})
		var e *effect.Error
		if !errors.As(err, &e) || e.Status != 404 || e.Code != "not_found" || e.Retryable ||
			e.Message != "LDAP search found no user with sAMAccountName nobody" {
			t.Errorf("err = %#v", err)
		}
		if got := f.requests(); len(got) != 2 {
			t.Errorf("requests = %q, want bind and search only", got)
		}
	})
}

// TestADConnectionErrors: a dropped connection and a refused one are
// retryable; a certificate jml does not trust is not.
func TestADConnectionErrors(t *testing.T) {
	dropping, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dropping.Close() })
	go func() {
		for {
			c, err := dropping.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	refused, _ := net.Listen("tcp", "127.0.0.1:0")
	refusedAddr := refused.Addr().String()
	refused.Close()
	untrusted := startAD(t, "512", true)

	tests := []struct {
		name, url string
		retryable bool
	}{
		{name: "closed by the server", url: "ldap://" + dropping.Addr().String(), retryable: true},
		{name: "refused", url: "ldap://" + refusedAddr, retryable: true},
		{name: "untrusted certificate", url: "ldaps://" + untrusted.addr},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := adDo(adClientFor(t, tc.url, nil, nil), context.Background(), "getUser", map[string]any{"sAMAccountName": "jdoe"})
			var e *effect.Error
			if !errors.As(err, &e) || e.Code != "connection" || e.Retryable != tc.retryable || e.Status != 0 {
				t.Errorf("err = %#v, want code connection retryable %v", err, tc.retryable)
			}
		})
	}
}

// TestADContext: a cancelled context and a deadline end a search in flight.
func TestADContext(t *testing.T) {
	tests := []struct {
		name      string
		ctx       func() (context.Context, context.CancelFunc)
		cancelNow bool
		wantCode  string
		retryable bool
	}{
		{name: "cancelled", ctx: func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
			cancelNow: true, wantCode: "canceled"},
		{name: "deadline", ctx: func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, wantCode: "timeout", retryable: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := startAD(t, "512", false)
			f.block, f.started = make(chan struct{}), make(chan struct{})
			t.Cleanup(func() { close(f.block) }) // before the server stops
			ctx, cancel := tc.ctx()
			defer cancel()
			if tc.cancelNow {
				go func() { <-f.started; cancel() }()
			}
			_, err := adDo(adClientFor(t, "ldap://"+f.addr, nil, nil), ctx, "getUser", map[string]any{"sAMAccountName": "jdoe"})
			var e *effect.Error
			if !errors.As(err, &e) || e.Code != tc.wantCode || e.Retryable != tc.retryable {
				t.Errorf("err = %#v, want code %s", err, tc.wantCode)
			}
		})
	}
	t.Run("cancelled before dialling", func(t *testing.T) {
		f := startAD(t, "512", false)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := adDo(adClientFor(t, "ldap://"+f.addr, nil, nil), ctx, "getUser", map[string]any{"sAMAccountName": "jdoe"})
		var e *effect.Error
		if !errors.As(err, &e) || e.Code != "canceled" {
			t.Errorf("err = %#v, want canceled", err)
		}
	})
}

// TestADThroughNew configures the instance from jml.yaml: ldapBind with
// secret references, the password kept for redaction; the timed wrapper's
// deadline reaches the LDAP exchange.
func TestADThroughNew(t *testing.T) {
	f := startAD(t, "512", false)
	cfg := loadConfig(t, `connectors:
  ad:
    type: activedirectory
    baseURL: ldap://`+f.addr+`
    baseDN: `+adBase+`
    timeout: 5s
    auth: {type: ldapBind, bindDN: {env: AD_BIND_DN}, password: {env: AD_BIND_PASSWORD}}
`)
	set, err := New(cfg, Options{Getenv: env(map[string]string{"AD_BIND_DN": adBindDN, "AD_BIND_PASSWORD": adPassword})})
	if err != nil {
		t.Fatal(err)
	}
	out, err := set.Do(context.Background(), effect.Request{Instance: "ad", Type: "activedirectory", Action: "getUser", Input: map[string]any{"sAMAccountName": "jdoe"}})
	if err != nil {
		t.Fatal(err)
	}
	if out["dn"] != adJaneDN || out["disabled"] != false {
		t.Errorf("outputs = %v", out)
	}
	if got := f.requests(); !reflect.DeepEqual(got, []string{adBindLine, adSearchLine}) {
		t.Errorf("requests = %q", got)
	}
	found := false
	for _, s := range set.Secrets() {
		found = found || s == adPassword
	}
	if !found {
		t.Errorf("Secrets() = %d values, want the bind password among them", len(set.Secrets()))
	}
}

// TestADSandboxAndConfigErrors: jml sandbox serves no LDAP, and a
// misconfigured instance says what is missing, before any connection.
func TestADSandboxAndConfigErrors(t *testing.T) {
	cfg := loadConfig(t, `connectors:
  corp-ad:
    type: activedirectory
    baseURL: ldaps://dc1.acme.com
    baseDN: DC=acme,DC=com
    auth: {type: ldapBind, bindDN: "CN=svc,DC=acme,DC=com", password: {env: AD_BIND_PASSWORD}}
`)
	set, err := New(cfg, Options{SandboxURL: "http://127.0.0.1:1", Getenv: env(nil)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = set.Do(context.Background(), effect.Request{Instance: "corp-ad", Type: "activedirectory", Action: "disableAccount", Input: map[string]any{"sAMAccountName": "jdoe"}})
	var e *effect.Error
	if !errors.As(err, &e) || e.Code != "unsupported" || !strings.Contains(e.Message, `"corp-ad"`) || !strings.Contains(e.Message, "jml sandbox") {
		t.Errorf("sandbox: err = %#v", err)
	}

	tests := []struct {
		name, url, baseDN, action string
		in                        map[string]any
		want                      string
	}{
		{name: "no baseDN", url: "ldap://127.0.0.1:1", action: "getUser", in: map[string]any{"sAMAccountName": "jdoe"}, want: "needs baseDN"},
		{name: "https baseURL", url: "https://dc1.acme.com", baseDN: adBase, action: "getUser", in: map[string]any{"sAMAccountName": "jdoe"}, want: "ldap:// or ldaps://"},
		{name: "missing input", url: "ldap://127.0.0.1:1", baseDN: adBase, action: "addToGroup", in: map[string]any{"sAMAccountName": "jdoe"}, want: `input "groupDN" is required`},
		{name: "bad OU", url: "ldap://127.0.0.1:1", baseDN: adBase, action: "moveToOU", in: map[string]any{"sAMAccountName": "jdoe", "ou": "Leavers"}, want: "Invalid DN Syntax"},
		{name: "bind in clear", url: "ldap://dc1.acme.com", baseDN: adBase, action: "getUser", in: map[string]any{"sAMAccountName": "jdoe"}, want: "refusing to send the bind password over ldap:// without TLS"},
		{name: "unknown action", url: "ldap://127.0.0.1:1", baseDN: adBase, action: "deleteUser", in: map[string]any{"sAMAccountName": "jdoe"}, want: "does not implement deleteUser"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := adClientFor(t, tc.url, nil, nil)
			c.in.Settings["baseDN"] = tc.baseDN
			_, err := adDo(c, context.Background(), tc.action, tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// gldap (v0.1.14) does not decode ModifyDN requests, so moveToOU is
// tested against a minimal LDAP responder built on the same BER library:
// it answers bind, search and ModifyDN and records the ModifyDN request.
type modDNServer struct {
	addr string
	mu   sync.Mutex
	log  []string
}

func startModDN(t *testing.T, userDN string) *modDNServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	s := &modDNServer{addr: l.Addr().String()}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go s.serve(c, userDN)
		}
	}()
	return s
}

func (s *modDNServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string{}, s.log...)
}

func ldapMessage(id int64, op *ber.Packet) []byte {
	p := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAP Response")
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, "MessageID"))
	p.AppendChild(op)
	return p.Bytes()
}

func ldapResult(tag ber.Tag) *ber.Packet {
	r := ber.Encode(ber.ClassApplication, ber.TypeConstructed, tag, nil, "Result")
	r.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, 0, "resultCode"))
	r.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", "matchedDN"))
	r.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", "diagnosticMessage"))
	return r
}

func (s *modDNServer) serve(c net.Conn, userDN string) {
	defer c.Close()
	for {
		p, err := ber.ReadPacket(c)
		if err != nil || len(p.Children) < 2 {
			return
		}
		id, _ := p.Children[0].Value.(int64)
		op := p.Children[1]
		var out []byte
		switch op.Tag {
		case ldap.ApplicationBindRequest:
			out = ldapMessage(id, ldapResult(ldap.ApplicationBindResponse))
		case ldap.ApplicationSearchRequest:
			e := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationSearchResultEntry, nil, "Entry")
			e.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, userDN, "DN"))
			attrs := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "Attributes")
			a := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "Attribute")
			a.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "userAccountControl", "type"))
			vals := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSet, nil, "vals")
			vals.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "512", "val"))
			a.AppendChild(vals)
			attrs.AppendChild(a)
			e.AppendChild(attrs)
			out = append(ldapMessage(id, e), ldapMessage(id, ldapResult(ldap.ApplicationSearchResultDone))...)
		case ldap.ApplicationModifyDNRequest:
			var f []string
			for _, ch := range op.Children {
				switch v := ch.Value.(type) {
				case string:
					f = append(f, v)
				case bool:
					f = append(f, fmt.Sprintf("deleteOldRDN=%v", v))
				default:
					f = append(f, "newSuperior="+ch.Data.String())
				}
			}
			s.mu.Lock()
			s.log = append(s.log, "modifyDN "+strings.Join(f, " | "))
			s.mu.Unlock()
			out = ldapMessage(id, ldapResult(ldap.ApplicationModifyDNResponse))
		default:
			return
		}
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

// TestADMoveToOU: ModifyDN keeps the RDN (escapes included) and sets the
// new superior; a user already in the OU is not moved.
func TestADMoveToOU(t *testing.T) {
	tests := []struct {
		name, userDN, ou string
		want             []string
	}{
		{name: "move", userDN: adJaneDN, ou: "OU=Leavers,DC=acme,DC=com",
			want: []string{"modifyDN " + adJaneDN + " | CN=Jane Doe | deleteOldRDN=true | newSuperior=OU=Leavers,DC=acme,DC=com"}},
		{name: "escaped RDN", userDN: `CN=Doe\, Jane,OU=Users,DC=acme,DC=com`, ou: "OU=Leavers,DC=acme,DC=com",
			want: []string{`modifyDN CN=Doe\, Jane,OU=Users,DC=acme,DC=com | CN=Doe\, Jane | deleteOldRDN=true | newSuperior=OU=Leavers,DC=acme,DC=com`}},
		{name: "already there", userDN: adJaneDN, ou: "ou=users,dc=acme,dc=com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startModDN(t, tc.userDN)
			out, err := adDo(adClientFor(t, "ldap://"+s.addr, nil, nil), context.Background(), "moveToOU",
				map[string]any{"sAMAccountName": "jdoe", "ou": tc.ou})
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != 0 {
				t.Errorf("outputs = %v", out)
			}
			if got := s.requests(); len(got)+len(tc.want) > 0 && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("requests:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}
