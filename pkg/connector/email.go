package connector

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/jml-dev/jml/pkg/effect"
)

// emailClient performs email actions over SMTP (RFC 5321): smtp://HOST:587
// with STARTTLS (required, so that neither the credentials nor the mail
// cross the network in clear text), or smtps://HOST:465 with implicit TLS;
// AUTH PLAIN with auth: {type: smtp, username, password}. Against `jml
// sandbox` the SMTP address is asked of the sandbox (GET /_smtp/INSTANCE).
type emailClient struct {
	in *Instance
	// now stamps the Date header (time.Now; tests fix it).
	now func() time.Time

	mu      sync.Mutex
	sandbox *url.URL // the sandbox's SMTP URL, once asked
}

func newEmail(in *Instance) Client { return &emailClient{in: in, now: time.Now} }

// Do performs one action.
func (c *emailClient) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	if req.Action != "send" {
		return nil, Unsupported(c.in.Type, req.Action)
	}
	m, err := buildMessage(req, c.in.Settings["from"], c.now())
	if err != nil {
		return nil, err
	}
	target, err := c.target(ctx)
	if err != nil {
		return nil, err
	}
	// rateLimit: in jml.yaml paces messages (relays cap them: Microsoft
	// 365 at 30 a minute); there is no default.
	if err := c.in.Limiter.Wait(ctx); err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			return nil, ctxError(ctx, "waiting for the rate limit")
		}
		// The deadline came, or would come, before the limit lets it go.
		return nil, &effect.Error{Code: "timeout", Message: "waiting for the rate limit: " + err.Error(), Retryable: true}
	}
	id, err := c.send(ctx, target, m)
	if err != nil {
		return nil, err
	}
	return map[string]any{"messageId": id}, nil
}

// smtpTarget is where and how to connect.
type smtpTarget struct {
	addr, host string
	// implicitTLS is smtps://; startTLS is smtp:// unless ?starttls=false.
	implicitTLS, startTLS bool
}

// target parses the instance's URL, or asks the sandbox for its SMTP URL.
func (c *emailClient) target(ctx context.Context) (*smtpTarget, error) {
	u := c.in.BaseURL
	if u == nil {
		return nil, configError("no baseURL: give smtp://HOST:587 or smtps://HOST:465")
	}
	if c.in.Sandbox && (u.Scheme == "http" || u.Scheme == "https") {
		var err error
		if u, err = c.sandboxURL(ctx); err != nil {
			return nil, err
		}
	}
	return parseSMTPURL(u)
}

// parseSMTPURL reads smtp://HOST[:587][?starttls=false] or smtps://HOST[:465].
func parseSMTPURL(u *url.URL) (*smtpTarget, error) {
	t := &smtpTarget{host: u.Hostname()}
	port := u.Port()
	switch u.Scheme {
	case "smtp":
		t.startTLS = true
		if port == "" {
			port = "587"
		}
	case "smtps":
		t.implicitTLS = true
		if port == "" {
			port = "465"
		}
	default:
		return nil, configError(fmt.Sprintf("baseURL %s: the email connector speaks smtp:// (STARTTLS) or smtps:// (implicit TLS)", redactURL(*u)))
	}
	if t.host == "" {
		return nil, configError(fmt.Sprintf("baseURL %s has no host", redactURL(*u)))
	}
	switch v := u.Query().Get("starttls"); v {
	case "", "true":
	case "false":
		if t.implicitTLS {
			return nil, configError("baseURL: ?starttls=false makes no sense with smtps://, which is TLS from the start")
		}
		if !isLoopback(t.host) {
			return nil, configError(fmt.Sprintf("baseURL: ?starttls=false is allowed only on loopback (127.0.0.1, ::1, localhost), not %s: mail and credentials would cross the network in clear text", t.host))
		}
		t.startTLS = false
	default:
		return nil, configError(fmt.Sprintf("baseURL: starttls=%q: use true or false", v))
	}
	t.addr = net.JoinHostPort(t.host, port)
	return t, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// configError is a misconfigured instance: no retry can help.
func configError(msg string) *effect.Error {
	return &effect.Error{Code: "invalid_input", Message: msg}
}

// sandboxURL asks `jml sandbox` (GET /_smtp/INSTANCE, beside /_world) for
// the SMTP URL of this instance, once.
func (c *emailClient) sandboxURL(ctx context.Context) (*url.URL, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sandbox != nil {
		return c.sandbox, nil
	}
	root := *c.in.BaseURL
	root.Path = strings.TrimSuffix(strings.TrimRight(root.Path, "/"), "/"+c.in.Name) + "/_smtp/" + c.in.Name
	root.RawPath, root.RawQuery = "", ""
	req, err := http.NewRequestWithContext(ctx, "GET", root.String(), nil)
	if err != nil {
		return nil, configError(err.Error())
	}
	hc := c.in.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctxError(ctx, "asking the sandbox for its SMTP address")
		}
		return nil, &effect.Error{Code: "connection", Message: fmt.Sprintf("asking the sandbox for its SMTP address: %v", unwrapURL(err)), Retryable: true}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	var v struct {
		URL string `json:"url"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &v) != nil || v.URL == "" {
		return nil, &effect.Error{Status: resp.StatusCode, Code: "connection", Message: fmt.Sprintf(
			"the sandbox serves no SMTP for %q (GET %s: %s): start it with a config that has this email instance", c.in.Name, redactURL(root), resp.Status)}
	}
	u, err := url.Parse(v.URL)
	if err != nil {
		return nil, &effect.Error{Code: "bad_response", Message: fmt.Sprintf("the sandbox's SMTP URL %q: %v", v.URL, err)}
	}
	c.sandbox = u
	return u, nil
}

// tlsConfig is the TLS client config for host: that of the instance's
// HTTP transport when it has one (custom root CAs apply to SMTP as to
// HTTP), else the system's roots; TLS 1.2 at least.
func (c *emailClient) tlsConfig(host string) *tls.Config {
	cfg := &tls.Config{}
	if c.in.HTTP != nil {
		if t, ok := c.in.HTTP.Transport.(*http.Transport); ok && t.TLSClientConfig != nil {
			cfg = t.TLSClientConfig.Clone()
		}
	}
	cfg.ServerName = host
	if cfg.MinVersion < tls.VersionTLS12 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg
}

// credentials returns the AUTH PLAIN username and password, if any.
func (c *emailClient) credentials() (user, pass string, err error) {
	if c.in.Sandbox {
		return "", "", nil // the sandbox asks for no credentials
	}
	switch a := c.in.Auth.(type) {
	case nil, None:
		return "", "", nil
	case Basic:
		return a.Username, a.Password, nil
	case *Basic:
		return a.Username, a.Password, nil
	}
	return "", "", configError("the email connector authenticates with auth: {type: smtp, username, password} or {type: none}")
}

// send makes one SMTP transaction and returns the message's id.
func (c *emailClient) send(ctx context.Context, t *smtpTarget, m *message) (string, error) {
	user, pass, err := c.credentials()
	if err != nil {
		return "", err
	}
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	raw, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return "", c.fail(ctx, t, "connecting", err)
	}
	// go-smtp takes no context: closing the connection when ctx ends
	// (cancelled, or the card's timeout) unblocks whatever it waits for.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	defer raw.Close()
	conn := raw
	if t.implicitTLS {
		tc := tls.Client(raw, c.tlsConfig(t.host))
		if err := tc.HandshakeContext(ctx); err != nil {
			return "", c.fail(ctx, t, "TLS handshake", err)
		}
		conn = tc
	}
	var cl *smtp.Client
	if t.startTLS {
		cl, err = smtp.NewClientStartTLS(conn, c.tlsConfig(t.host))
		if err != nil {
			if strings.Contains(err.Error(), "doesn't support STARTTLS") {
				return "", &effect.Error{Code: "connection", Message: fmt.Sprintf(
					"SMTP %s does not offer STARTTLS: jml does not send mail or credentials in clear text (use smtps:// if the server has implicit TLS)", t.addr)}
			}
			return "", c.fail(ctx, t, "STARTTLS", err)
		}
	} else {
		cl = smtp.NewClient(conn)
	}
	defer cl.Close()
	if dl, ok := ctx.Deadline(); ok {
		cl.CommandTimeout = max(time.Until(dl), time.Millisecond)
		cl.SubmissionTimeout = cl.CommandTimeout
	}
	if user != "" || pass != "" {
		if err := cl.Hello("localhost"); err != nil {
			return "", c.fail(ctx, t, "EHLO", err)
		}
		if !cl.SupportsAuth(sasl.Plain) {
			return "", &effect.Error{Code: "unauthorized", Message: fmt.Sprintf("SMTP %s does not offer AUTH PLAIN", t.addr)}
		}
		if err := cl.Auth(sasl.NewPlainClient("", user, pass)); err != nil {
			return "", c.fail(ctx, t, "AUTH PLAIN", err)
		}
	}
	var opts *smtp.MailOptions
	if m.utf8 {
		opts = &smtp.MailOptions{UTF8: true}
	}
	if err := cl.Mail(m.from, opts); err != nil {
		return "", c.fail(ctx, t, "MAIL FROM:<"+m.from+">", err)
	}
	for _, r := range m.rcpts {
		if err := cl.Rcpt(r, nil); err != nil {
			return "", c.fail(ctx, t, "RCPT TO:<"+r+">", err)
		}
	}
	w, err := cl.Data()
	if err != nil {
		return "", c.fail(ctx, t, "DATA", err)
	}
	// The DATA writer dot-stuffs and ends the message with <CRLF>.<CRLF>.
	if _, err := w.Write(m.data); err != nil {
		return "", c.fail(ctx, t, "sending the message", err)
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return "", c.fail(ctx, t, "end of DATA", err)
	}
	_ = cl.Quit() // the message is accepted: a failed QUIT changes nothing
	return queuedID(resp.StatusText, m.id), nil
}

// queuedAs is a 250 reply that names the Message-ID the server gave the
// message ("250 2.0.0 OK: queued as <000001.jml@world.invalid>", as `jml
// sandbox` answers). Real MTAs name a queue id without angle brackets
// ("queued as 4Xk2"), which is not a Message-ID: ours stays.
var queuedAs = regexp.MustCompile(`queued as (<[^<>\s]+@[^<>\s]+>)`)

func queuedID(reply, ours string) string {
	if m := queuedAs.FindStringSubmatch(reply); m != nil {
		return m[1]
	}
	return ours
}

// fail turns an SMTP, TLS or network failure into an effect error.
func (c *emailClient) fail(ctx context.Context, t *smtpTarget, stage string, err error) *effect.Error {
	if ctx.Err() != nil {
		return ctxError(ctx, fmt.Sprintf("SMTP %s: %s", t.addr, stage))
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return smtpReplyError(se, fmt.Sprintf("SMTP %s: %s", t.addr, stage))
	}
	var (
		cv *tls.CertificateVerificationError
		ua x509.UnknownAuthorityError
		he x509.HostnameError
		ci x509.CertificateInvalidError
	)
	if errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) {
		// A certificate that does not verify will not verify on a retry.
		return &effect.Error{Code: "connection", Message: fmt.Sprintf("SMTP %s: %s: %v", t.addr, stage, err)}
	}
	if isTimeout(err) {
		return &effect.Error{Code: "timeout", Message: fmt.Sprintf("SMTP %s: %s: no answer in time", t.addr, stage), Retryable: true}
	}
	return &effect.Error{Code: "connection", Message: fmt.Sprintf("SMTP %s: %s: %v", t.addr, stage, err), Retryable: true}
}

func ctxError(ctx context.Context, what string) *effect.Error {
	if ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &effect.Error{Code: "timeout", Message: what + ": no answer in time", Retryable: true}
	}
	return &effect.Error{Code: "canceled", Message: what + ": " + ctx.Err().Error()}
}

// smtpReplyError maps an SMTP reply to an effect error whose status is the
// reply code: 4xx (temporary) is retryable ("server_error"); 5xx is not:
// "unauthorized" for authentication (530, 534, 535, 538, 5.7.8),
// "forbidden" for other policy refusals (5.7.x), "not_found" for an
// unknown mailbox (5.1.1, 5.1.10) and "invalid_input" for the rest.
func smtpReplyError(se *smtp.SMTPError, what string) *effect.Error {
	ec := se.EnhancedCode
	reply := fmt.Sprint(se.Code)
	if ec != smtp.EnhancedCodeNotSet && ec != smtp.NoEnhancedCode {
		reply += fmt.Sprintf(" %d.%d.%d", ec[0], ec[1], ec[2])
	}
	e := &effect.Error{Status: se.Code, Message: fmt.Sprintf("%s: %s %s", what, reply, strings.ReplaceAll(se.Message, "\n", " "))}
	switch {
	case se.Code >= 400 && se.Code < 500:
		e.Code, e.Retryable = "server_error", true
	case se.Code < 500 || se.Code > 599:
		e.Code = "bad_response"
	case se.Code == 530 || se.Code == 534 || se.Code == 535 || se.Code == 538 || ec == smtp.EnhancedCode{5, 7, 8}:
		e.Code = "unauthorized"
	case ec[0] == 5 && ec[1] == 7:
		e.Code = "forbidden"
	case ec == smtp.EnhancedCode{5, 1, 1} || ec == smtp.EnhancedCode{5, 1, 10}:
		e.Code = "not_found"
	default:
		e.Code = "invalid_input"
	}
	return e
}

// message is one mail ready to send.
type message struct {
	from  string   // envelope sender
	rcpts []string // envelope recipients: To then Cc, each once
	id    string   // Message-ID, with its angle brackets
	data  []byte   // header and body, CRLF line endings
	utf8  bool     // an address is not ASCII (SMTPUTF8)
}

func badInput(format string, args ...any) *effect.Error {
	return &effect.Error{Status: 400, Code: "invalid_input", Message: fmt.Sprintf(format, args...)}
}

// buildMessage checks the inputs and writes the message (RFC 5322, MIME).
func buildMessage(req effect.Request, defaultFrom string, now time.Time) (*message, error) {
	v, err := Require(req.Input, "to", "subject", "body")
	if err != nil {
		return nil, err
	}
	subject, body := v[1], v[2]
	fromIn := String(req.Input, "from")
	if fromIn == "" {
		fromIn = defaultFrom
	}
	if fromIn == "" {
		return nil, badInput("no sender: give the input from, or set from: on the connector in jml.yaml")
	}
	from, err := mail.ParseAddress(fromIn)
	if err != nil {
		return nil, badInput("input from: %q is not an address: %v", fromIn, err)
	}
	to, err := addressList("to", v[0])
	if err != nil {
		return nil, err
	}
	var cc []*mail.Address
	if s := String(req.Input, "cc"); s != "" {
		if cc, err = addressList("cc", s); err != nil {
			return nil, err
		}
	}
	if strings.ContainsAny(subject, "\r\n") {
		return nil, badInput("input subject: a subject is one line (it has a line break)")
	}
	m := &message{from: from.Address, id: messageID(req.IdempotencyKey), utf8: !isASCII(from.Address)}
	seen := map[string]bool{}
	for _, a := range append(append([]*mail.Address{}, to...), cc...) {
		if k := strings.ToLower(a.Address); !seen[k] {
			seen[k] = true
			m.rcpts = append(m.rcpts, a.Address)
			m.utf8 = m.utf8 || !isASCII(a.Address)
		}
	}
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("Date", now.Format(time.RFC1123Z))
	header("From", from.String())
	header("To", foldAddresses(to))
	if len(cc) > 0 {
		header("Cc", foldAddresses(cc))
	}
	header("Subject", mime.QEncoding.Encode("utf-8", subject))
	header("Message-ID", m.id)
	// RFC 3834: automated mail; out-of-office replies should not answer.
	header("Auto-Submitted", "auto-generated")
	header("MIME-Version", "1.0")
	if looksHTML(body) {
		mw := multipart.NewWriter(&b)
		header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
		b.WriteString("\r\n")
		for _, p := range []struct{ typ, text string }{{"text/plain", htmlText(body)}, {"text/html", body}} {
			pw, err := mw.CreatePart(textproto.MIMEHeader{
				"Content-Type":              {p.typ + "; charset=utf-8"},
				"Content-Transfer-Encoding": {"quoted-printable"},
			})
			if err != nil {
				return nil, err
			}
			writeQP(pw, p.text)
		}
		if err := mw.Close(); err != nil {
			return nil, err
		}
	} else {
		header("Content-Type", "text/plain; charset=utf-8")
		header("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		writeQP(&b, body)
	}
	m.data = b.Bytes()
	return m, nil
}

// writeQP writes text quoted-printable with CRLF line endings, ending it
// with a line break of its own: a reader strips exactly one to get the
// text back (`jml sandbox` does).
func writeQP(w io.Writer, text string) {
	qp := quotedprintable.NewWriter(w)
	text = strings.ReplaceAll(text, "\r\n", "\n")
	_, _ = io.WriteString(qp, text+"\n")
	_ = qp.Close()
}

// addressList parses a comma-separated list of addresses (RFC 5322:
// "a@x.com, Jane Doe <jane@x.com>").
func addressList(field, s string) ([]*mail.Address, error) {
	l, err := mail.ParseAddressList(s)
	if err != nil {
		return nil, badInput("input %s: %q is not a list of addresses: %v", field, s, err)
	}
	for _, a := range l {
		if at := strings.LastIndexByte(a.Address, '@'); at <= 0 || at == len(a.Address)-1 {
			return nil, badInput("input %s: %q is not a full address (user@domain)", field, a.Address)
		}
	}
	return l, nil
}

// foldAddresses formats an address header's value, folding it so that no
// line grows past about 78 characters (RFC 5322 §2.1.1).
func foldAddresses(l []*mail.Address) string {
	var b strings.Builder
	line := 4 // "To: "
	for i, a := range l {
		s := a.String()
		if i > 0 {
			b.WriteString(",")
			if line+len(s)+2 > 78 {
				b.WriteString("\r\n")
				line = 0
			}
			b.WriteString(" ")
			line += 2
		}
		b.WriteString(s)
		line += len(s)
	}
	return b.String()
}

// messageID is <KEY@jml> for an idempotency key, so that a resend of the
// same card is recognisable as the same message (and mail systems that
// de-duplicate by Message-ID drop it); characters a Message-ID cannot hold
// become "_", and a long key its SHA-256. Without a key, a random id.
func messageID(key string) string {
	if key == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		return "<" + hex.EncodeToString(b) + "@jml>"
	}
	var b strings.Builder
	for _, r := range key {
		if r < 128 && (r == '.' || strings.ContainsRune(atext, r) ||
			'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	s := b.String()
	// dot-atom-text: no leading, trailing or doubled dot.
	for strings.Contains(s, "..") {
		s = strings.ReplaceAll(s, "..", "._")
	}
	s = strings.TrimPrefix(strings.TrimSuffix(s, "."), ".")
	if s == "" || len(s) > 200 {
		sum := sha256.Sum256([]byte(key))
		s = hex.EncodeToString(sum[:16])
	}
	return "<" + s + "@jml>"
}

// atext are the symbols RFC 5322 allows in an atom, beside letters and digits.
const atext = "!#$%&'*+-/=?^_`{|}~"

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// A body that starts with an HTML tag is sent as HTML, with a plain-text
// alternative (multipart/alternative).
var htmlStart = regexp.MustCompile(`(?i)^\s*(<!doctype\s+html|<!--|<(html|head|body|p|div|br|h[1-6]|table|ul|ol|a|b|i|strong|em|span|img|center|font)[\s/>])`)

func looksHTML(body string) bool { return htmlStart.MatchString(body) }

var (
	htmlDrop   = regexp.MustCompile(`(?is)<(head|style|script)\b.*?</(head|style|script)\s*>|<!--.*?-->`)
	htmlLink   = regexp.MustCompile(`(?is)<a\s[^>]*?href\s*=\s*"([^"]*)"[^>]*>(.*?)</a\s*>`)
	htmlItem   = regexp.MustCompile(`(?i)<li\b[^>]*>`)
	htmlBreak  = regexp.MustCompile(`(?i)<br\s*/?>|</(div|tr)\s*>`)
	htmlPara   = regexp.MustCompile(`(?i)</(p|h[1-6]|table|ul|ol|blockquote)\s*>`)
	htmlTag    = regexp.MustCompile(`(?s)<[^>]*>`)
	htmlSpaces = regexp.MustCompile(`[ \t\r\n]+`)
	blankLines = regexp.MustCompile(`\n{3,}`)
)

// htmlText is the plain-text alternative of a simple HTML body: tags go,
// breaks and blocks become line breaks, list items "- ", links "text
// (URL)", entities are decoded.
func htmlText(s string) string {
	s = htmlDrop.ReplaceAllString(s, "")
	// Whitespace in HTML is a space; only tags break lines.
	s = htmlSpaces.ReplaceAllString(s, " ")
	s = htmlLink.ReplaceAllStringFunc(s, func(a string) string {
		m := htmlLink.FindStringSubmatch(a)
		text := strings.TrimSpace(htmlTag.ReplaceAllString(m[2], ""))
		href := html.UnescapeString(m[1])
		if text == "" || html.UnescapeString(text) == href {
			return href
		}
		return text + " (" + href + ")"
	})
	s = htmlItem.ReplaceAllString(s, "\n- ")
	s = htmlBreak.ReplaceAllString(s, "\n")
	s = htmlPara.ReplaceAllString(s, "\n\n")
	s = htmlTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	s = blankLines.ReplaceAllString(strings.Join(lines, "\n"), "\n\n")
	return strings.TrimSpace(s)
}
