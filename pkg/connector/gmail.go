package connector

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
)

// gmailDefaultURL is the Gmail API root; gmailUsers the users collection.
const (
	gmailDefaultURL = "https://gmail.googleapis.com"
	gmailUsers      = "/gmail/v1/users/"
)

// gmailActions are the google actions served by the Gmail API.
var gmailActions = map[string]bool{"sendGmail": true, "addDelegate": true, "removeDelegate": true, "setAutoForwarding": true, "setVacation": true}

// gmailAPI calls the Gmail API of the google instance's domain. Its root
// is the gmailURL setting, else https://gmail.googleapis.com when baseURL
// is the default https://admin.googleapis.com, else baseURL (a proxy
// serving both); against `jml sandbox` the instance's URL. With a service
// account, each mailbox is reached with a token whose subject is the
// mailbox's user (domain-wide delegation): Gmail acts only as the user.
type gmailAPI struct {
	in  *Instance
	err error

	mu     sync.Mutex
	byUser map[string]*Instance
}

func newGmailAPI(in *Instance) *gmailAPI {
	g := &gmailAPI{byUser: map[string]*Instance{}}
	g.in, g.err = googleAPI(in, "gmailURL", gmailDefaultURL)
	return g
}

// googleAPI is the instance that calls one of Google's APIs on a host of
// its own (Gmail, Enterprise License Manager): its root is the setting,
// else def when baseURL is the default https://admin.googleapis.com,
// else baseURL (a proxy serving them all); against `jml sandbox` the
// instance's URL.
func googleAPI(in *Instance, setting, def string) (*Instance, error) {
	if in.Sandbox {
		return in, nil
	}
	root := in.Settings[setting]
	if root == "" && in.BaseURL != nil && strings.EqualFold(in.BaseURL.Host, "admin.googleapis.com") {
		root = def
	}
	if root == "" {
		return in, nil
	}
	u, err := url.Parse(root)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return in, &effect.Error{Status: 400, Code: "invalid_input", Message: fmt.Sprintf("connector %q: %s %q is not an http(s) URL", in.Name, setting, root)}
	}
	cp := *in
	cp.BaseURL = u
	return &cp, nil
}

// as returns the instance that calls the mailbox of user: with a service
// account, one whose tokens have the user as subject (kept for the
// client's life, each with its token cache); else the instance.
func (g *gmailAPI) as(user string) *Instance {
	sa, ok := g.in.Auth.(*ServiceAccount)
	if !ok || user == "" || strings.EqualFold(user, sa.Subject) {
		return g.in
	}
	key := strings.ToLower(user)
	g.mu.Lock()
	defer g.mu.Unlock()
	if in := g.byUser[key]; in != nil {
		return in
	}
	cp := *g.in
	cp.Auth = &ServiceAccount{ClientEmail: sa.ClientEmail, PrivateKey: sa.PrivateKey, TokenURL: sa.TokenURL, Subject: user,
		Scopes: sa.Scopes, HTTP: sa.HTTP, pem: sa.pem, red: sa.red}
	g.byUser[key] = &cp
	return &cp
}

// do performs one Gmail action.
func (g *gmailAPI) do(ctx context.Context, req effect.Request) (map[string]any, error) {
	if g.err != nil {
		return nil, g.err
	}
	in := req.Input
	if req.Action == "sendGmail" {
		return g.send(ctx, in)
	}
	keys, err := Require(in, "userKey")
	if err != nil {
		return nil, err
	}
	user := keys[0]
	api, settings := g.as(user), gmailUsers+Seg(user)+"/settings"
	switch req.Action {
	case "addDelegate", "removeDelegate":
		d, err := Require(in, "delegateEmail")
		if err != nil {
			return nil, err
		}
		if req.Action == "addDelegate" {
			// Gmail answers 409 for a delegate already there: the
			// idempotent success the action promises.
			_, err = api.Call(ctx, "POST", settings+"/delegates", nil, map[string]any{"delegateEmail": d[0]}, nil)
			if e := effect.AsError(err); e != nil && e.Status != 409 {
				return nil, err
			}
			return map[string]any{}, nil
		}
		// 404 for one who is not a delegate (done), unless it is the
		// mailbox that is unknown.
		_, err = api.Call(ctx, "DELETE", settings+"/delegates/"+Seg(d[0]), nil, nil, nil)
		if e := effect.AsError(err); e != nil && (e.Status != 404 || strings.Contains(e.Message, "userKey")) {
			return nil, err
		}
		return map[string]any{}, nil
	case "setAutoForwarding":
		a, err := Require(in, "emailAddress")
		if err != nil {
			return nil, err
		}
		disp := "leaveInInbox"
		if s, _ := in["disposition"].(string); s != "" {
			disp = s
		}
		switch disp {
		case "leaveInInbox", "archive", "trash", "markRead":
		default:
			return nil, &effect.Error{Status: 400, Code: "invalid_input", Message: fmt.Sprintf(`input "disposition": %q is not leaveInInbox, archive, trash or markRead`, disp)}
		}
		_, err = api.Call(ctx, "POST", settings+"/forwardingAddresses", nil, map[string]any{"forwardingEmail": a[0]}, nil)
		if e := effect.AsError(err); e != nil && e.Status != 409 {
			return nil, err
		}
		body := map[string]any{"enabled": true, "emailAddress": a[0], "disposition": disp}
		if _, err := api.Call(ctx, "PUT", settings+"/autoForwarding", nil, body, nil); err != nil {
			return nil, err
		}
		return map[string]any{}, nil
	case "setVacation":
		body, err := gmailVacation(in)
		if err != nil {
			return nil, err
		}
		if _, err := api.Call(ctx, "PUT", settings+"/vacation", nil, body, nil); err != nil {
			return nil, err
		}
		return map[string]any{}, nil
	}
	return nil, Unsupported(g.in.Type, req.Action)
}

// gmailHTML reads the contentType input: Text (default) or HTML.
func gmailHTML(in map[string]any) (bool, error) {
	switch ct, _ := in["contentType"].(string); strings.ToLower(ct) {
	case "", "text":
		return false, nil
	case "html":
		return true, nil
	default:
		return false, &effect.Error{Status: 400, Code: "invalid_input", Message: fmt.Sprintf(`input "contentType": %q is not Text or HTML`, ct)}
	}
}

// gmailVacation builds the VacationSettings of setVacation.
func gmailVacation(in map[string]any) (map[string]any, error) {
	v, err := Require(in, "subject", "message")
	if err != nil {
		return nil, err
	}
	html, err := gmailHTML(in)
	if err != nil {
		return nil, err
	}
	body := map[string]any{"enableAutoReply": true, "responseSubject": v[0]}
	if html {
		body["responseBodyHtml"] = v[1]
	} else {
		body["responseBodyPlainText"] = v[1]
	}
	for _, k := range []string{"restrictToDomain", "restrictToContacts"} {
		if b, ok := in[k].(bool); ok {
			body[k] = b
		}
	}
	for input, field := range map[string]string{"start": "startTime", "end": "endTime"} {
		s, _ := in[input].(string)
		if s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, &effect.Error{Status: 400, Code: "invalid_input", Message: fmt.Sprintf("input %q: %q is not an RFC 3339 time", input, s)}
		}
		// Gmail's int64 fields are JSON strings: milliseconds since the epoch.
		body[field] = fmt.Sprint(t.UnixMilli())
	}
	return body, nil
}

// send sends an RFC 2822 message, base64url-encoded in Message.raw; with
// no userKey, from the mailbox of the user the instance acts as ("me").
func (g *gmailAPI) send(ctx context.Context, in map[string]any) (map[string]any, error) {
	v, err := Require(in, "to", "subject", "body")
	if err != nil {
		return nil, err
	}
	html, err := gmailHTML(in)
	if err != nil {
		return nil, err
	}
	user, _ := in["userKey"].(string)
	cc, _ := in["cc"].(string)
	bcc, _ := in["bcc"].(string)
	raw, err := gmailMessage(user, v[0], cc, bcc, v[1], v[2], html)
	if err != nil {
		return nil, err
	}
	who := user
	if who == "" {
		who = "me"
	}
	resp, err := g.as(user).Call(ctx, "POST", gmailUsers+Seg(who)+"/messages/send", nil, map[string]any{"raw": raw}, nil)
	if err != nil {
		return nil, err
	}
	m, err := resp.Object()
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": String(m, "id"), "threadId": String(m, "threadId")}, nil
}

// gmailMessage renders the message (RFC 2822 with a MIME body) and
// encodes it as Message.raw wants: base64url. A header value with a line
// break is refused: it would add headers of its own.
func gmailMessage(from, to, cc, bcc, subject, body string, html bool) (string, error) {
	var b bytes.Buffer
	header := func(name, value string) error {
		if strings.ContainsAny(value, "\r\n") {
			return &effect.Error{Status: 400, Code: "invalid_input", Message: fmt.Sprintf("the %s header may not contain a line break", name)}
		}
		fmt.Fprintf(&b, "%s: %s\r\n", name, value)
		return nil
	}
	if strings.ContainsAny(subject, "\r\n") {
		return "", &effect.Error{Status: 400, Code: "invalid_input", Message: "the Subject header may not contain a line break"}
	}
	ct := "text/plain"
	if html {
		ct = "text/html"
	}
	for _, h := range [][2]string{{"From", from}, {"To", to}, {"Cc", cc}, {"Bcc", bcc}, {"Subject", mime.QEncoding.Encode("utf-8", subject)},
		{"MIME-Version", "1.0"}, {"Content-Type", ct + "; charset=UTF-8"}, {"Content-Transfer-Encoding", "base64"}} {
		if h[1] == "" {
			continue
		}
		if err := header(h[0], h[1]); err != nil {
			return "", err
		}
	}
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(body))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return base64.URLEncoding.EncodeToString(b.Bytes()), nil
}
