package sandbox

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/jml-dev/jml/pkg/effect"
)

// SMTP is the SMTP side of the sandbox: one listener per email instance,
// each on a free loopback port, turning every message it accepts into the
// world's email.send action (so that /_world shows it in the instance's
// outbox) and every world failure (a fault) into an SMTP reply.
type SMTP struct {
	urls    map[string]string
	servers []*smtp.Server
}

// URLs returns the SMTP URL of each email instance
// (smtp://127.0.0.1:PORT?starttls=false: the sandbox speaks no TLS).
func (m *SMTP) URLs() map[string]string {
	out := make(map[string]string, len(m.urls))
	for k, v := range m.urls {
		out[k] = v
	}
	return out
}

// Names returns the email instances served, sorted.
func (m *SMTP) Names() []string {
	out := make([]string, 0, len(m.urls))
	for k := range m.urls {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Close stops every listener and drops their connections.
func (m *SMTP) Close() error {
	var errs []error
	for _, s := range m.servers {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// StartSMTP serves every email instance over SMTP on a free port of host,
// which must be a loopback address (the sandbox has no real
// authentication), and makes GET /_smtp/INSTANCE answer that instance's
// URL, which the email connector asks for under `jml apply --sandbox`.
// Without email instances it starts nothing.
func (s *Server) StartSMTP(host string) (*SMTP, error) {
	if host == "" {
		host = "127.0.0.1"
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("SMTP on %s: the sandbox only listens on loopback", host)
	}
	m := &SMTP{urls: map[string]string{}}
	for _, name := range s.names() {
		if s.types[name] != "email" {
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			m.Close()
			return nil, err
		}
		in := &Instance{s: s, Name: name, Type: "email"}
		srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{in: in}, nil }))
		srv.Domain = "sandbox.jml.invalid"
		srv.MaxMessageBytes = MaxBody
		srv.MaxRecipients = 100
		srv.AllowInsecureAuth = true // loopback only, and any credentials do
		srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
		srv.ErrorLog = log.New(io.Discard, "", 0)
		go func() { _ = srv.Serve(ln) }()
		m.servers = append(m.servers, srv)
		m.urls[name] = "smtp://" + ln.Addr().String() + "?starttls=false"
	}
	s.mu.Lock()
	s.smtpURLs = m.URLs()
	s.mu.Unlock()
	return m, nil
}

// serveSMTPURL answers GET /_smtp/INSTANCE with {"url": "smtp://…"}.
func (s *Server) serveSMTPURL(w http.ResponseWriter, r *http.Request, name string) {
	if r.Method != http.MethodGet {
		http.Error(w, "use GET", http.StatusMethodNotAllowed)
		return
	}
	s.mu.Lock()
	u, ok := s.smtpURLs[name]
	s.mu.Unlock()
	if !ok {
		msg := fmt.Sprintf("no SMTP listener for %q in this sandbox", name)
		if t, known := s.types[name]; known && t != "email" {
			msg = fmt.Sprintf("%q is a %s instance, not an email one", name, t)
		}
		writeJSON(w, http.StatusNotFound, map[string]any{"message": msg})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"url": u})
}

// smtpSession is one SMTP connection to an email instance. Any
// credentials are accepted, as the HTTP side accepts any Authorization,
// and none are required.
type smtpSession struct {
	in    *Instance
	from  string
	rcpts []string
}

func (ss *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, _, _ string) error { return nil }), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

func (ss *smtpSession) Reset()        { ss.from, ss.rcpts = "", nil }
func (ss *smtpSession) Logout() error { return nil }

// Data reads the message, performs email.send with its To, Cc, From,
// Subject and body and the idempotency key its Message-ID carries, and
// answers 250 with the world's message id, derived from the key ("OK:
// queued as <3f0c….jml@world.invalid>"), which the connector reports.
func (ss *smtpSession) Data(r io.Reader) error {
	input, key, err := readMessage(r, ss.from)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: err.Error()}
	}
	if d := ss.in.s.latency; d > 0 {
		time.Sleep(d)
	}
	out, eerr := ss.in.Do(context.Background(), "send", input, key)
	if eerr != nil {
		return smtpReply(eerr)
	}
	// go-smtp answers a nil error with a fixed "OK: queued"; an "error"
	// with code 250 is how a backend words its own success reply.
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: fmt.Sprintf("OK: queued as %v", out["messageId"])}
}

// keyID reads back the idempotency key of a Message-ID <KEY@jml>.
var keyID = regexp.MustCompile(`^<([^<>@\s]+)@jml>$`)

// randomID is the Message-ID the connector makes for a call without an
// idempotency key (or with one too long to carry): 32 hex digits, random.
// It is no key: the world's message id derives from a key, and a random one
// would make the sandbox's answers change from run to run.
var randomID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// readMessage turns a message into email.send's input, and the
// idempotency key its Message-ID carries.
func readMessage(r io.Reader, envelopeFrom string) (map[string]any, string, error) {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return nil, "", fmt.Errorf("the message cannot be parsed: %v", err)
	}
	input := map[string]any{}
	for _, f := range []string{"From", "To", "Cc"} {
		v := msg.Header.Get(f)
		if v == "" {
			continue
		}
		l, err := msg.Header.AddressList(f)
		if err != nil {
			return nil, "", fmt.Errorf("header %s: %v", f, err)
		}
		input[strings.ToLower(f)] = addressString(l)
	}
	if _, ok := input["from"]; !ok && envelopeFrom != "" {
		input["from"] = envelopeFrom
	}
	if _, ok := input["to"]; !ok {
		return nil, "", fmt.Errorf("the message has no To header")
	}
	dec := &mime.WordDecoder{}
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		subject = msg.Header.Get("Subject")
	}
	input["subject"] = subject
	body, err := readBody(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	if err != nil {
		return nil, "", err
	}
	input["body"] = body
	key := ""
	if m := keyID.FindStringSubmatch(strings.TrimSpace(msg.Header.Get("Message-ID"))); m != nil && !randomID.MatchString(m[1]) {
		key = m[1]
	}
	return input, key, nil
}

// addressString writes an address list as a person would type it:
// "jane@acme.com, Bob Smith <bob@acme.com>".
func addressString(l []*mail.Address) string {
	parts := make([]string, len(l))
	for i, a := range l {
		if a.Name != "" {
			parts[i] = a.Name + " <" + a.Address + ">"
		} else {
			parts[i] = a.Address
		}
	}
	return strings.Join(parts, ", ")
}

// readBody decodes a body: text/plain, or the HTML part (else the plain
// one) of a multipart/alternative, in quoted-printable, base64, 7bit or
// 8bit. Line endings become "\n", and the one line break the sender ends
// the body with is dropped: what the connector was given comes back.
func readBody(contentType, encoding string, r io.Reader) (string, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if contentType == "" || err != nil {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(r, params["boundary"])
		var plain, htmlBody *string
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return "", fmt.Errorf("the multipart body cannot be read: %v", err)
			}
			pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
			text, err := readBody(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			if err != nil {
				return "", err
			}
			switch {
			case pt == "text/html" && htmlBody == nil:
				htmlBody = &text
			case (pt == "text/plain" || pt == "") && plain == nil:
				plain = &text
			}
		}
		switch {
		case htmlBody != nil:
			return *htmlBody, nil
		case plain != nil:
			return *plain, nil
		}
		return "", fmt.Errorf("the multipart body has no text/plain or text/html part")
	}
	var dr io.Reader = r
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		dr = quotedprintable.NewReader(r)
	case "base64":
		dr = base64.NewDecoder(base64.StdEncoding, &stripCRLF{r: r})
	}
	b, err := io.ReadAll(dr)
	if err != nil {
		return "", fmt.Errorf("the body cannot be decoded: %v", err)
	}
	s := strings.ReplaceAll(string(b), "\r\n", "\n")
	return strings.TrimSuffix(s, "\n"), nil
}

// stripCRLF drops line breaks, which base64 bodies are folded with.
type stripCRLF struct{ r io.Reader }

func (s *stripCRLF) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	j := 0
	for _, c := range p[:n] {
		if c != '\r' && c != '\n' {
			p[j] = c
			j++
		}
	}
	return j, err
}

// smtpCode is an SMTP reply a world error message may start with
// ("501 5.1.3 Bad recipient address syntax …").
var smtpCode = regexp.MustCompile(`^([45][0-9][0-9]) ([45])\.([0-9]{1,3})\.([0-9]{1,3}) (.*)$`)

// smtpReply words a world failure (a fault, or a refusal) as an SMTP
// server would: a retryable one (429, 5xx, timeout) as a temporary 451,
// which the connector retries; 401 as 535, 403 as 550 5.7.1, 404 as 550
// 5.1.1 and any other as a permanent 5xx.
func smtpReply(e *effect.Error) *smtp.SMTPError {
	msg := strings.ReplaceAll(e.Message, "\n", " ")
	if m := smtpCode.FindStringSubmatch(msg); m != nil {
		var code, a, b, c int
		fmt.Sscan(m[1], &code)
		fmt.Sscan(m[2], &a)
		fmt.Sscan(m[3], &b)
		fmt.Sscan(m[4], &c)
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{a, b, c}, Message: m[5]}
	}
	reply := func(code int, ec smtp.EnhancedCode) *smtp.SMTPError {
		return &smtp.SMTPError{Code: code, EnhancedCode: ec, Message: msg}
	}
	switch {
	case e.Code == "timeout":
		return reply(451, smtp.EnhancedCode{4, 4, 2})
	case e.Status == 429:
		return reply(451, smtp.EnhancedCode{4, 7, 0})
	case e.Retryable:
		return reply(451, smtp.EnhancedCode{4, 3, 0})
	case e.Status == 401:
		return reply(535, smtp.EnhancedCode{5, 7, 8})
	case e.Status == 403:
		return reply(550, smtp.EnhancedCode{5, 7, 1})
	case e.Status == 404:
		return reply(550, smtp.EnhancedCode{5, 1, 1})
	case e.Status == 400 || e.Status == 422:
		return reply(501, smtp.EnhancedCode{5, 5, 4})
	}
	return reply(554, smtp.EnhancedCode{5, 0, 0})
}
