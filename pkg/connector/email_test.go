package connector

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/jml-dev/jml/pkg/effect"
)

// selfSigned makes a certificate for 127.0.0.1 and localhost, and a pool
// that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "jml test SMTP"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// mailed is one transaction the fake SMTP server saw.
type mailed struct {
	TLS        bool
	Auth       []string // identity, username, password
	From       string
	Rcpts      []string
	Data       []byte
	Identities int
}

// smtpFake is an in-process SMTP server (go-smtp) that records every
// message, with hooks to refuse a command.
type smtpFake struct {
	addr string
	pool *x509.CertPool

	mu       sync.Mutex
	mails    []mailed
	authSeen [][]string
	// onRcpt, onData and onAuth may refuse (return an *smtp.SMTPError).
	onRcpt func(to string) error
	onData func() error
	onAuth func(user, pass string) error
	// hold blocks DATA until closed.
	hold chan struct{}
}

type fakeMode int

const (
	modeStartTLS fakeMode = iota // STARTTLS offered
	modeTLS                      // implicit TLS (smtps)
	modePlain                    // no TLS at all
)

func newSMTPFake(t *testing.T, mode fakeMode) *smtpFake {
	t.Helper()
	cert, pool := selfSigned(t)
	f := &smtpFake{pool: pool}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &fakeSession{f: f, c: c, tls: isTLS}, nil
	}))
	srv.Domain = "mx.test"
	srv.AllowInsecureAuth = mode == modePlain
	srv.ErrorLog = discardLog{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	switch mode {
	case modeStartTLS:
		srv.TLSConfig = cfg
	case modeTLS:
		ln = tls.NewListener(ln, cfg)
		srv.TLSConfig = cfg
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	f.addr = ln.Addr().String()
	return f
}

type discardLog struct{}

func (discardLog) Printf(string, ...any) {}
func (discardLog) Println(...any)        {}

func (f *smtpFake) sent() []mailed {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]mailed{}, f.mails...)
}

type fakeSession struct {
	f    *smtpFake
	c    *smtp.Conn
	tls  bool
	auth []string
	cur  mailed
}

func (s *fakeSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *fakeSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		s.f.mu.Lock()
		s.f.authSeen = append(s.f.authSeen, []string{identity, user, pass})
		hook := s.f.onAuth
		s.f.mu.Unlock()
		if hook != nil {
			if err := hook(user, pass); err != nil {
				return err
			}
		}
		s.auth = []string{identity, user, pass}
		return nil
	}), nil
}
func (s *fakeSession) Mail(from string, _ *smtp.MailOptions) error {
	_, isTLS := s.c.TLSConnectionState()
	s.cur = mailed{From: from, TLS: isTLS, Auth: s.auth}
	return nil
}
func (s *fakeSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.f.onRcpt != nil {
		if err := s.f.onRcpt(to); err != nil {
			return err
		}
	}
	s.cur.Rcpts = append(s.cur.Rcpts, to)
	return nil
}
func (s *fakeSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.f.hold != nil {
		<-s.f.hold
	}
	if s.f.onData != nil {
		if err := s.f.onData(); err != nil {
			return err
		}
	}
	s.cur.Data = b
	s.f.mu.Lock()
	s.f.mails = append(s.f.mails, s.cur)
	s.f.mu.Unlock()
	return nil
}
func (s *fakeSession) Reset()        {}
func (s *fakeSession) Logout() error { return nil }

// emailTo builds an email client for the fake, as New would.
func emailTo(t *testing.T, f *smtpFake, rawURL string, auth Authorizer) (Client, *emailClient) {
	t.Helper()
	u, err := url.Parse(strings.ReplaceAll(rawURL, "ADDR", f.addr))
	if err != nil {
		t.Fatal(err)
	}
	inst := &Instance{Name: "mail", Type: "email", BaseURL: u, Auth: auth, Timeout: 5 * time.Second,
		HTTP:     &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: f.pool}}},
		Settings: map[string]string{"from": "IT <it@acme.com>"}}
	c, err := NewClient(inst)
	if err != nil {
		t.Fatal(err)
	}
	ec := c.(timed).c.(*emailClient)
	ec.now = func() time.Time { return time.Date(2024, 3, 1, 9, 30, 0, 0, time.UTC) }
	return c, ec
}

func send(ctx context.Context, c Client, key string, in map[string]any) (map[string]any, error) {
	return c.Do(ctx, effect.Request{Instance: "mail", Type: "email", Action: "send", Input: in, IdempotencyKey: key, Attempt: 1})
}

const password = "smtp-password-do-not-leak"

var creds = Basic{Username: "jml@acme.com", Password: password}

// parse reads a message as a mail client would, checking that every line
// ends with CRLF.
func parse(t *testing.T, data []byte) *mail.Message {
	t.Helper()
	if bytes.Contains(bytes.ReplaceAll(data, []byte("\r\n"), nil), []byte("\n")) {
		t.Errorf("a line does not end with CRLF:\n%q", data)
	}
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestEmailSendStartTLS(t *testing.T) {
	f := newSMTPFake(t, modeStartTLS)
	c, _ := emailTo(t, f, "smtp://ADDR", creds)
	body := "Hello Jane,\n.\n..two dots, and a line that is only a dot above\nWelcome = aboard.  \n"
	out, err := send(t.Context(), c, "evt-1/joiner/welcome", map[string]any{
		"to": "jane@acme.com, Bob Smith <bob@acme.com>", "cc": "boss@acme.com", "subject": "Welcome, Jane", "body": body})
	if err != nil {
		t.Fatal(err)
	}
	if want := "<evt-1/joiner/welcome@jml>"; out["messageId"] != want {
		t.Errorf("messageId %v, want %s", out["messageId"], want)
	}
	sent := f.sent()
	if len(sent) != 1 {
		t.Fatalf("%d messages", len(sent))
	}
	got := sent[0]
	if !got.TLS {
		t.Error("the message went in clear text, not after STARTTLS")
	}
	if !reflect.DeepEqual(got.Auth, []string{"", "jml@acme.com", password}) {
		t.Errorf("AUTH PLAIN %q", got.Auth)
	}
	if got.From != "it@acme.com" {
		t.Errorf("MAIL FROM %q", got.From)
	}
	if want := []string{"jane@acme.com", "bob@acme.com", "boss@acme.com"}; !reflect.DeepEqual(got.Rcpts, want) {
		t.Errorf("RCPT TO %q, want %q", got.Rcpts, want)
	}
	m := parse(t, got.Data)
	wantHeaders := map[string]string{
		"Date":                      "Fri, 01 Mar 2024 09:30:00 +0000",
		"From":                      `"IT" <it@acme.com>`,
		"To":                        `<jane@acme.com>, "Bob Smith" <bob@acme.com>`,
		"Cc":                        "<boss@acme.com>",
		"Subject":                   "Welcome, Jane",
		"Message-Id":                "<evt-1/joiner/welcome@jml>",
		"Mime-Version":              "1.0",
		"Content-Type":              "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "quoted-printable",
		"Auto-Submitted":            "auto-generated",
	}
	for k, want := range wantHeaders {
		if v := m.Header.Get(k); v != want {
			t.Errorf("%s: %q, want %q", k, v, want)
		}
	}
	if _, err := m.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	raw, _ := io.ReadAll(m.Body)
	if !bytes.Contains(raw, []byte("\r\n.\r\n..two dots")) || !bytes.Contains(raw, []byte("Welcome =3D aboard. =20")) {
		t.Errorf("raw body:\n%q", raw)
	}
	dec, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
	if string(dec) != strings.ReplaceAll(body+"\n", "\n", "\r\n") {
		t.Errorf("body %q, want %q and a line break", dec, body)
	}
}

func TestEmailImplicitTLS(t *testing.T) {
	f := newSMTPFake(t, modeTLS)
	c, _ := emailTo(t, f, "smtps://ADDR", creds)
	if _, err := send(t.Context(), c, "", map[string]any{"to": "jane@acme.com", "subject": "s", "body": "b", "from": "hr@acme.com"}); err != nil {
		t.Fatal(err)
	}
	got := f.sent()[0]
	if !got.TLS || got.From != "hr@acme.com" || len(got.Auth) != 3 {
		t.Errorf("TLS %v, MAIL FROM %q, auth %q", got.TLS, got.From, got.Auth)
	}
	id := parse(t, got.Data).Header.Get("Message-ID")
	if !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@jml>") || len(id) != len("<@jml>")+32 {
		t.Errorf("random Message-ID %q", id)
	}
}

func TestEmailUntrustedCertificate(t *testing.T) {
	f := newSMTPFake(t, modeStartTLS)
	c, ec := emailTo(t, f, "smtp://ADDR", creds)
	ec.in.HTTP = &http.Client{} // the system roots do not know the test CA
	_, err := send(t.Context(), c, "", map[string]any{"to": "jane@acme.com", "subject": "s", "body": "b"})
	e := effect.AsError(err)
	if e == nil || e.Code != "connection" || e.Retryable || !strings.Contains(e.Message, "certificate") {
		t.Fatalf("error %v", err)
	}
	if len(f.authSeen) != 0 || len(f.sent()) != 0 {
		t.Error("credentials or mail went to a server whose certificate does not verify")
	}
}

func TestEmailNonASCIIAndHTML(t *testing.T) {
	f := newSMTPFake(t, modeStartTLS)
	c, _ := emailTo(t, f, "smtp://ADDR", None{})
	body := `<p>Bienvenue, Zoë &amp; co!</p><ul><li>Read <a href="https://wiki.acme.com/start">the wiki</a></li><li>Meet the team</li></ul>`
	if _, err := send(t.Context(), c, "k", map[string]any{"to": "Zoë Durand <zoe@acme.com>", "subject": "Bienvenue chez Acme, Zoë ✓", "body": body}); err != nil {
		t.Fatal(err)
	}
	got := f.sent()[0]
	if got.Auth != nil {
		t.Errorf("auth: none sent AUTH %q", got.Auth)
	}
	m := parse(t, got.Data)
	rawSubject := m.Header.Get("Subject")
	if !strings.HasPrefix(rawSubject, "=?utf-8?q?") {
		t.Errorf("Subject not RFC 2047-encoded: %q", rawSubject)
	}
	if s, _ := new(mime.WordDecoder).DecodeHeader(rawSubject); s != "Bienvenue chez Acme, Zoë ✓" {
		t.Errorf("Subject decodes to %q", s)
	}
	to, err := m.Header.AddressList("To")
	if err != nil || to[0].Name != "Zoë Durand" || to[0].Address != "zoe@acme.com" {
		t.Errorf("To %v %v", to, err)
	}
	mt, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q", m.Header.Get("Content-Type"))
	}
	parts := map[string]string{}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err != nil {
			break
		}
		b, _ := io.ReadAll(p)
		parts[p.Header.Get("Content-Type")] = string(b)
	}
	if want := body + "\r\n"; parts["text/html; charset=utf-8"] != want {
		t.Errorf("HTML part %q", parts["text/html; charset=utf-8"])
	}
	if want := "Bienvenue, Zoë & co!\r\n\r\n- Read the wiki (https://wiki.acme.com/start)\r\n- Meet the team\r\n"; parts["text/plain; charset=utf-8"] != want {
		t.Errorf("text part %q, want %q", parts["text/plain; charset=utf-8"], want)
	}
}

func TestEmailPlainOnLoopback(t *testing.T) {
	f := newSMTPFake(t, modePlain)
	c, _ := emailTo(t, f, "smtp://ADDR?starttls=false", None{})
	if _, err := send(t.Context(), c, "", map[string]any{"to": "jane@acme.com", "subject": "s", "body": "b"}); err != nil {
		t.Fatal(err)
	}
	if got := f.sent(); len(got) != 1 || got[0].TLS {
		t.Fatalf("%+v", got)
	}
}

func TestEmailRefusesClearText(t *testing.T) {
	f := newSMTPFake(t, modePlain) // offers no STARTTLS
	c, _ := emailTo(t, f, "smtp://ADDR", creds)
	_, err := send(t.Context(), c, "", map[string]any{"to": "jane@acme.com", "subject": "s", "body": "b"})
	e := effect.AsError(err)
	if e == nil || e.Retryable || !strings.Contains(e.Message, "does not offer STARTTLS") {
		t.Fatalf("error %v", err)
	}
	if len(f.authSeen) != 0 || len(f.sent()) != 0 {
		t.Error("credentials or mail went in clear text")
	}
}

func TestParseSMTPURL(t *testing.T) {
	tests := []struct {
		url, addr, err  string
		implicit, start bool
	}{
		{url: "smtp://mail.acme.com", addr: "mail.acme.com:587", start: true},
		{url: "smtp://mail.acme.com:25", addr: "mail.acme.com:25", start: true},
		{url: "smtps://mail.acme.com", addr: "mail.acme.com:465", implicit: true},
		{url: "smtp://127.0.0.1:2525?starttls=false", addr: "127.0.0.1:2525"},
		{url: "smtp://[::1]:2525?starttls=false", addr: "[::1]:2525"},
		{url: "smtp://localhost:2525?starttls=false", addr: "localhost:2525"},
		{url: "smtp://mail.acme.com?starttls=false", err: "only on loopback"},
		{url: "smtps://127.0.0.1?starttls=false", err: "makes no sense"},
		{url: "smtp://mail.acme.com?starttls=maybe", err: "use true or false"},
		{url: "https://mail.acme.com", err: "speaks smtp://"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			u, _ := url.Parse(tt.url)
			got, err := parseSMTPURL(u)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || effect.AsError(err).Retryable {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.addr != tt.addr || got.implicitTLS != tt.implicit || got.startTLS != tt.start {
				t.Errorf("%+v", got)
			}
		})
	}
}

func TestEmailBadInput(t *testing.T) {
	f := newSMTPFake(t, modeStartTLS)
	c, ec := emailTo(t, f, "smtp://ADDR", creds)
	tests := []struct {
		name string
		in   map[string]any
		want string
	}{
		{"no to", map[string]any{"subject": "s", "body": "b"}, `input "to" is required`},
		{"bad to", map[string]any{"to": "jane at acme", "subject": "s", "body": "b"}, "input to"},
		{"bad cc", map[string]any{"to": "jane@acme.com", "cc": "boss@", "subject": "s", "body": "b"}, "input cc"},
		{"bad from", map[string]any{"to": "jane@acme.com", "from": "it", "subject": "s", "body": "b"}, "input from"},
		{"header injection", map[string]any{"to": "jane@acme.com", "subject": "hi\r\nBcc: all@acme.com", "body": "b"}, "one line"},
		{"recipient injection", map[string]any{"to": "jane@acme.com\r\nRCPT TO:<all@acme.com>", "subject": "s", "body": "b"}, "input to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := send(t.Context(), c, "", tt.in)
			e := effect.AsError(err)
			if e == nil || e.Status != 400 || e.Code != "invalid_input" || e.Retryable || !strings.Contains(e.Message, tt.want) {
				t.Fatalf("error %v, want a 400 containing %q", err, tt.want)
			}
		})
	}
	delete(ec.in.Settings, "from")
	_, err := send(t.Context(), c, "", map[string]any{"to": "jane@acme.com", "subject": "s", "body": "b"})
	if e := effect.AsError(err); e == nil || !strings.Contains(e.Message, "no sender") {
		t.Fatalf("without from: %v", err)
	}
	if n := len(f.sent()); n != 0 {
		t.Errorf("%d messages sent", n)
	}
}

func TestEmailReplyErrors(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(f *smtpFake)
		status    int
		code      string
		retryable bool
	}{
		{"temporary failure on RCPT", func(f *smtpFake) {
			f.onRcpt = func(string) error {
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
			}
		}, 451, "server_error", true},
		{"greylisted at DATA", func(f *smtpFake) {
			f.onData = func() error {
				return &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 0}, Message: "Greylisted"}
			}
		}, 450, "server_error", true},
		{"unknown mailbox", func(f *smtpFake) {
			f.onRcpt = func(string) error {
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
			}
		}, 550, "not_found", false},
		{"relay denied", func(f *smtpFake) {
			f.onRcpt = func(string) error {
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Relaying denied"}
			}
		}, 550, "forbidden", false},
		{"message refused", func(f *smtpFake) {
			f.onData = func() error {
				return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Content rejected"}
			}
		}, 554, "invalid_input", false},
		{"bad credentials", func(f *smtpFake) {
			f.onAuth = func(string, string) error { return smtp.ErrAuthFailed }
		}, 535, "unauthorized", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSMTPFake(t, modeStartTLS)
			tt.setup(f)
			c, _ := emailTo(t, f, "smtp://ADDR", creds)
			_, err := send(t.Context(), c, "k", map[string]any{"to": "jane@acme.com", "subject": "s", "body": "b"})
			e := effect.AsError(err)
			if e == nil || e.Status != tt.status || e.Code != tt.code || e.Retryable != tt.retryable {
				t.Fatalf("error %v (status %d, code %s, retryable %v), want status %d, code %s, retryable %v",
					err, e.Status, e.Code, e.Retryable, tt.status, tt.code, tt.retryable)
			}
			if !strings.Contains(e.Message, strconv.Itoa(tt.status)+" ") {
				t.Errorf("the message does not name the reply: %s", e.Message)
			}
			plain := base64.StdEncoding.EncodeToString([]byte("\x00jml@acme.com\x00" + password))
			if strings.Contains(e.Error(), password) || strings.Contains(e.Error(), plain) {
				t.Errorf("the password is in the error: %v", e)
			}
		})
	}
}

// A 4xx is retryable: the engine tries again, and the retry, with the
// same idempotency key, sends the same Message-ID.
func TestEmailTemporaryFailureThenRetry(t *testing.T) {
	f := newSMTPFake(t, modeStartTLS)
	var mu sync.Mutex
	left := 1
	f.onData = func() error {
		mu.Lock()
		defer mu.Unlock()
		if left > 0 {
			left--
			return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Too many messages, slow down"}
		}
		return nil
	}
	c, _ := emailTo(t, f, "smtp://ADDR", creds)
	in := map[string]any{"to": "jane@acme.com", "subject": "s", "body": "b"}
	_, err := send(t.Context(), c, "evt-9/joiner/mail", in)
	if e := effect.AsError(err); e == nil || !e.Retryable {
		t.Fatalf("first try: %v, want a retryable error", err)
	}
	out, err := send(t.Context(), c, "evt-9/joiner/mail", in)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	sent := f.sent()
	if len(sent) != 1 || parse(t, sent[0].Data).Header.Get("Message-ID") != out["messageId"] || out["messageId"] != "<evt-9/joiner/mail@jml>" {
		t.Fatalf("%d messages, messageId %v", len(sent), out["messageId"])
	}
}

func TestEmailCancelAndTimeout(t *testing.T) {
	f := newSMTPFake(t, modeStartTLS)
	f.hold = make(chan struct{})
	t.Cleanup(func() { close(f.hold) })
	c, ec := emailTo(t, f, "smtp://ADDR", creds)
	in := map[string]any{"to": "jane@acme.com", "subject": "s", "body": "b"}

	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := send(ctx, c, "", in)
	if e := effect.AsError(err); e == nil || e.Code != "canceled" || e.Retryable {
		t.Fatalf("cancelled: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("cancel took %s", d)
	}

	ec.in.Timeout = 0
	_, err = c.Do(t.Context(), effect.Request{Instance: "mail", Action: "send", Input: in, Timeout: 200 * time.Millisecond})
	if e := effect.AsError(err); e == nil || e.Code != "timeout" || !e.Retryable {
		t.Fatalf("timeout: %v", err)
	}
}

func TestEmailConnectionRefused(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	u, _ := url.Parse("smtps://" + addr)
	c, _ := NewClient(&Instance{Name: "mail", Type: "email", BaseURL: u, Auth: creds, Settings: map[string]string{"from": "it@acme.com"}})
	_, err := send(t.Context(), c, "", map[string]any{"to": "jane@acme.com", "subject": "s", "body": "b"})
	e := effect.AsError(err)
	if e == nil || e.Code != "connection" || !e.Retryable {
		t.Fatalf("error %v", err)
	}
}

// Through New: auth {type: smtp} reads the password from a secret
// reference, and the Set knows it for redaction.
func TestEmailThroughNew(t *testing.T) {
	f := newSMTPFake(t, modeStartTLS)
	cfg := loadConfig(t, `connectors:
  mail:
    type: email
    baseURL: smtp://`+f.addr+`
    from: Acme IT <it@acme.com>
    auth: {type: smtp, username: jml@acme.com, password: {env: SMTP_PASSWORD}}
`)
	s, err := New(cfg, Options{Getenv: env(map[string]string{"SMTP_PASSWORD": password}),
		HTTP: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: f.pool}}}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Secrets(), []string{password}) {
		t.Errorf("Secrets() = %q", s.Secrets())
	}
	if _, err := s.Do(t.Context(), effect.Request{Instance: "mail", Type: "email", Action: "send",
		Input: map[string]any{"to": "jane@acme.com", "subject": "s", "body": "b"}}); err != nil {
		t.Fatal(err)
	}
	got := f.sent()[0]
	if !reflect.DeepEqual(got.Auth, []string{"", "jml@acme.com", password}) || got.From != "it@acme.com" {
		t.Errorf("auth %q, from %q", got.Auth, got.From)
	}
	if _, err := New(loadConfig(t, `connectors:
  mail:
    type: email
    baseURL: smtp://`+f.addr+`
    auth: {type: smtp, username: jml@acme.com, password: {env: SMTP_PASSWORD}}
`), Options{Getenv: env(nil)}); err == nil || !strings.Contains(err.Error(), "SMTP_PASSWORD is not set") {
		t.Errorf("missing secret: %v", err)
	}
}

func TestEmailSandboxLookup(t *testing.T) {
	f := newSMTPFake(t, modePlain)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_smtp/mail", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"url": "smtp://`+f.addr+`?starttls=false"}`)
	})
	srv := &http.Server{Handler: mux}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	cfg := loadConfig(t, `connectors:
  mail:
    type: email
    baseURL: smtp://mail.acme.com
    from: it@acme.com
    auth: {type: smtp, username: jml, password: {env: NEVER_READ}}
  other:
    type: email
    baseURL: smtp://mail.acme.com
    from: it@acme.com
`)
	s, err := New(cfg, Options{SandboxURL: "http://" + ln.Addr().String(), Getenv: func(string) string { t.Error("sandbox mode read a secret"); return "" }})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := s.Do(t.Context(), effect.Request{Instance: "mail", Type: "email", Action: "send",
			Input: map[string]any{"to": "jane@acme.com", "subject": "s", "body": "b"}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.sent(); len(got) != 2 || got[0].Auth != nil {
		t.Fatalf("%+v", got)
	}
	_, err = s.Do(t.Context(), effect.Request{Instance: "other", Type: "email", Action: "send",
		Input: map[string]any{"to": "jane@acme.com", "subject": "s", "body": "b"}})
	if e := effect.AsError(err); e == nil || !strings.Contains(e.Message, `serves no SMTP for "other"`) {
		t.Fatalf("unknown instance: %v", err)
	}
}

func TestMessageID(t *testing.T) {
	tests := map[string]string{
		"evt-1/leaver/send":          "<evt-1/leaver/send@jml>",
		"evt 1/joiner/depts[2].mail": "<evt_1/joiner/depts_2_.mail@jml>",
		"a@b<c>":                     "<a_b_c_@jml>",
		".x..y.":                     "<x._y@jml>",
	}
	for key, want := range tests {
		got := messageID(key)
		if got != want {
			t.Errorf("messageID(%q) = %q, want %q", key, got, want)
		}
		if _, err := mail.ParseAddress(strings.Trim(got, "<>")); err != nil {
			t.Errorf("%q is not a valid msg-id: %v", got, err)
		}
	}
	if got := messageID(strings.Repeat("k", 300)); len(got) != len("<@jml>")+32 {
		t.Errorf("long key: %q", got)
	}
	if messageID("k") != messageID("k") || messageID("") == messageID("") {
		t.Error("ids with a key must be stable, without one unique")
	}
}

func TestQueuedID(t *testing.T) {
	if got := queuedID("2.0.0 OK: queued as <000001.jml@world.invalid>", "<k@jml>"); got != "<000001.jml@world.invalid>" {
		t.Error(got)
	}
	if got := queuedID("2.0.0 Ok: queued as 4Xk2Lm0abc", "<k@jml>"); got != "<k@jml>" {
		t.Error(got)
	}
}

func TestLooksHTML(t *testing.T) {
	for body, want := range map[string]bool{
		"<p>Hello</p>": true, "  <!DOCTYPE html><html>…": true, "<html><body>x</body></html>": true, "<b>Bold</b> start": true,
		"Hello <b>Jane</b>": false, "<jane@acme.com> wrote": false, "<a@acme.com> said": false, "plain": false, "a < b > c": false,
	} {
		if got := looksHTML(body); got != want {
			t.Errorf("looksHTML(%q) = %v", body, got)
		}
	}
}
