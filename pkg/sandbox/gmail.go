package sandbox

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
)

// gmailRoutes registers the Gmail API (users.messages.send and the
// delegate, forwarding and vacation settings) of a Google Workspace
// instance: the paths of gmail.googleapis.com, under the instance's URL.
func gmailRoutes(in *Instance, mux *http.ServeMux) {
	const users = "/gmail/v1/users/{userId}"
	mux.HandleFunc("POST "+users+"/messages/send", func(w http.ResponseWriter, r *http.Request) {
		body, ok := in.ReadJSON(w, r)
		if !ok {
			return
		}
		raw, _ := body["raw"].(string)
		input, err := gmailParse(raw)
		if err != nil {
			in.Error(w, err)
			return
		}
		input["userKey"] = r.PathValue("userId")
		out, err := in.Do(r.Context(), "sendGmail", input, "")
		if err != nil {
			in.Error(w, err)
			return
		}
		in.JSON(w, http.StatusOK, map[string]any{"id": out["id"], "threadId": out["threadId"], "labelIds": []any{"SENT"}})
	})
	mux.HandleFunc("POST "+users+"/settings/delegates", func(w http.ResponseWriter, r *http.Request) {
		user := r.PathValue("userId")
		body, ok := in.ReadJSON(w, r)
		if !ok {
			return
		}
		d, _ := body["delegateEmail"].(string)
		if d == "" {
			in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "Missing required field: delegateEmail"})
			return
		}
		was := gmailHas(in, user, "delegates", d)
		if _, err := in.Do(r.Context(), "addDelegate", map[string]any{"userKey": user, "delegateEmail": d}, ""); err != nil {
			in.Error(w, err)
			return
		}
		// The world's add is a no-op for a delegate; Gmail answers 409.
		if was {
			in.Error(w, &effect.Error{Status: 409, Code: "conflict", Message: "Delegate already exists."})
			return
		}
		in.JSON(w, http.StatusOK, map[string]any{"delegateEmail": googleEmailOf(in, d), "verificationStatus": "accepted"})
	})
	mux.HandleFunc("DELETE "+users+"/settings/delegates/{delegateEmail}", func(w http.ResponseWriter, r *http.Request) {
		user, d := r.PathValue("userId"), r.PathValue("delegateEmail")
		was := gmailHas(in, user, "delegates", d)
		if _, err := in.Do(r.Context(), "removeDelegate", map[string]any{"userKey": user, "delegateEmail": d}, ""); err != nil {
			in.Error(w, err)
			return
		}
		// The world's remove is a no-op for one who is not a delegate;
		// Gmail answers 404.
		if !was {
			in.Error(w, &effect.Error{Status: 404, Code: "not_found", Message: "Requested entity was not found."})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST "+users+"/settings/forwardingAddresses", func(w http.ResponseWriter, r *http.Request) {
		user := r.PathValue("userId")
		body, ok := in.ReadJSON(w, r)
		if !ok {
			return
		}
		addr, _ := body["forwardingEmail"].(string)
		u := googleUser(in, user)
		switch {
		case addr == "":
			in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "Missing required field: forwardingEmail"})
			return
		case u == nil:
			in.Error(w, &effect.Error{Status: 404, Code: "not_found", Message: "Resource Not Found: userKey " + user})
			return
		case gmailHas(in, user, "forwardingAddresses", addr):
			in.Error(w, &effect.Error{Status: 409, Code: "conflict", Message: "Forwarding address already exists."})
			return
		}
		// An address of the domain is accepted at once; another waits for
		// its owner to confirm (the world keeps it when auto-forwarding is
		// turned on, which refuses a pending one).
		status := "accepted"
		email, _ := u["primaryEmail"].(string)
		if gmailDomain(addr) != gmailDomain(email) {
			status = "pending"
		}
		in.JSON(w, http.StatusOK, map[string]any{"forwardingEmail": addr, "verificationStatus": status})
	})
	mux.HandleFunc("PUT "+users+"/settings/autoForwarding", func(w http.ResponseWriter, r *http.Request) {
		body, ok := in.ReadJSON(w, r)
		if !ok {
			return
		}
		if on, _ := body["enabled"].(bool); !on {
			in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "Invalid Input: the sandbox only turns auto-forwarding on"})
			return
		}
		input := map[string]any{"userKey": r.PathValue("userId"), "emailAddress": body["emailAddress"]}
		if d, ok := body["disposition"].(string); ok {
			input["disposition"] = d
		}
		if _, err := in.Do(r.Context(), "setAutoForwarding", input, ""); err != nil {
			in.Error(w, err)
			return
		}
		in.JSON(w, http.StatusOK, body)
	})
	mux.HandleFunc("PUT "+users+"/settings/vacation", func(w http.ResponseWriter, r *http.Request) {
		body, ok := in.ReadJSON(w, r)
		if !ok {
			return
		}
		if on, _ := body["enableAutoReply"].(bool); !on {
			in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "Invalid Input: the sandbox only turns the auto-reply on"})
			return
		}
		input := map[string]any{"userKey": r.PathValue("userId"), "subject": body["responseSubject"], "message": body["responseBodyPlainText"]}
		if h, ok := body["responseBodyHtml"].(string); ok && h != "" {
			input["message"], input["contentType"] = h, "HTML"
		}
		for _, k := range []string{"restrictToDomain", "restrictToContacts"} {
			if b, ok := body[k].(bool); ok {
				input[k] = b
			}
		}
		for field, name := range map[string]string{"startTime": "start", "endTime": "end"} {
			s, _ := body[field].(string)
			if s == "" {
				continue
			}
			ms, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "Invalid value at '" + field + "': not an int64"})
				return
			}
			input[name] = time.UnixMilli(ms).UTC().Format(time.RFC3339)
		}
		if _, err := in.Do(r.Context(), "setVacation", input, ""); err != nil {
			in.Error(w, err)
			return
		}
		in.JSON(w, http.StatusOK, body)
	})
}

// gmailDomain is the lower-cased domain of an address.
func gmailDomain(addr string) string {
	_, d, _ := strings.Cut(strings.ToLower(strings.TrimSpace(addr)), "@")
	return d
}

// gmailHas reports whether the user's mailbox lists addr under key
// (delegates, forwardingAddresses) in the world's state.
func gmailHas(in *Instance, user, key, addr string) bool {
	email := strings.ToLower(googleEmailOf(in, user))
	want := strings.ToLower(googleEmailOf(in, addr))
	boxes, _ := in.World().InstanceState(in.Name)["mailboxes"].([]any)
	for _, b := range boxes {
		m, _ := b.(map[string]any)
		if u, _ := m["user"].(string); u != email {
			continue
		}
		list, _ := m[key].([]any)
		for _, x := range list {
			if s, _ := x.(string); s == want {
				return true
			}
		}
	}
	return false
}

// gmailParse reads Message.raw (an RFC 2822 message, base64url) into
// sendGmail's inputs.
func gmailParse(raw string) (map[string]any, *effect.Error) {
	bad := func(why string) (map[string]any, *effect.Error) {
		return nil, &effect.Error{Status: 400, Code: "invalid_input", Message: "Invalid value for ByteString: " + why}
	}
	data, err := base64.URLEncoding.DecodeString(raw)
	if err != nil {
		if data, err = base64.RawURLEncoding.DecodeString(raw); err != nil {
			return bad("raw is not base64url")
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return bad("raw is not an RFC 2822 message: " + err.Error())
	}
	h := msg.Header
	if h.Get("To") == "" {
		return nil, &effect.Error{Status: 400, Code: "invalid_input", Message: "Invalid To header"}
	}
	body, err := io.ReadAll(msg.Body)
	if err != nil {
		return bad(err.Error())
	}
	if strings.EqualFold(h.Get("Content-Transfer-Encoding"), "base64") {
		if body, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(body)), "")); err != nil {
			return bad("the body is not base64")
		}
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil {
		subject = h.Get("Subject")
	}
	input := map[string]any{"to": h.Get("To"), "subject": subject, "body": string(body), "contentType": "Text"}
	if cc := h.Get("Cc"); cc != "" {
		input["cc"] = cc
	}
	if bcc := h.Get("Bcc"); bcc != "" {
		input["bcc"] = bcc
	}
	if mt, _, _ := mime.ParseMediaType(h.Get("Content-Type")); mt == "text/html" {
		input["contentType"] = "HTML"
	}
	return input, nil
}
