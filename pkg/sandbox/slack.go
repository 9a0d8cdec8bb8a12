package sandbox

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
)

// slackRoutes registers the Slack paths the slack connector calls: SCIM v2
// (/scim/v2/Users) and the Web API (/api/METHOD). Actions go through the
// world so that faults apply; the SCIM id and filter lookups, which are no
// catalogue action, read the world's state.
func slackRoutes(in *Instance, mux *http.ServeMux) {
	s := &slackAPI{in: in}
	mux.HandleFunc("GET /scim/v2/Users", s.scimList)
	mux.HandleFunc("GET /scim/v2/Users/{id}", func(w http.ResponseWriter, r *http.Request) {
		if u := s.byID(r.PathValue("id")); u != nil {
			in.JSON(w, http.StatusOK, s.scimUser(r, u))
			return
		}
		in.Error(w, s.noSuchID(r.PathValue("id")))
	})
	mux.HandleFunc("POST /scim/v2/Users", s.scimCreate)
	mux.HandleFunc("DELETE /scim/v2/Users/{id}", func(w http.ResponseWriter, r *http.Request) {
		u := s.byID(r.PathValue("id"))
		if u == nil {
			in.Error(w, s.noSuchID(r.PathValue("id")))
			return
		}
		if _, err := in.Do(r.Context(), "deactivateUser", map[string]any{"email": u["email"]}, ""); err != nil {
			in.Error(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("PATCH /scim/v2/Users/{id}", s.scimPatch)
	for _, m := range []string{"GET", "POST"} {
		mux.HandleFunc(m+" /api/users.lookupByEmail", s.lookupByEmail)
	}
	mux.HandleFunc("POST /api/chat.postMessage", s.postMessage)
	mux.HandleFunc("POST /api/conversations.invite", s.invite)
}

// slackAPI holds the helpers of the Slack routes.
type slackAPI struct{ in *Instance }

// users returns the instance's users from the world's state.
func (s *slackAPI) users() []map[string]any {
	st := s.in.World().InstanceState(s.in.Name)
	list, _ := st["users"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, u := range list {
		if m, ok := u.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func (s *slackAPI) byID(id string) map[string]any {
	u, _ := s.in.World().FindUser(s.in.Name, "id", id)
	return u
}

func (s *slackAPI) noSuchID(id string) *effect.Error {
	return &effect.Error{Status: http.StatusNotFound, Code: "not_found", Message: "user_not_found: no Slack user has the id " + id}
}

// scimUser renders a world user as a SCIM v2 User resource.
func (s *slackAPI) scimUser(r *http.Request, u map[string]any) map[string]any {
	id, _ := u["id"].(string)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return map[string]any{
		"schemas":     []any{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"id":          id,
		"userName":    u["userName"],
		"nickName":    u["userName"],
		"displayName": u["displayName"],
		"active":      u["active"],
		"emails":      []any{map[string]any{"value": u["email"], "primary": true}},
		"meta": map[string]any{"resourceType": "User",
			"location": scheme + "://" + r.Host + "/" + url.PathEscape(s.in.Name) + "/scim/v2/Users/" + url.PathEscape(id)},
	}
}

// slackSCIMFilter is the one filter form served: ATTR eq "VALUE".
var slackSCIMFilter = regexp.MustCompile(`^\s*([A-Za-z][A-Za-z.]*)\s+(?i:eq)\s+"((?:[^"\\]|\\.)*)"\s*$`)

// scimList serves GET /scim/v2/Users, filtered on email, userName or id
// (eq only), with startIndex/count pagination.
func (s *slackAPI) scimList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var users []map[string]any
	if f := q.Get("filter"); f == "" {
		users = s.users()
	} else {
		m := slackSCIMFilter.FindStringSubmatch(f)
		if m == nil {
			s.in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "invalid_filter: the sandbox supports ATTR eq \"VALUE\" on email, userName or id"})
			return
		}
		value := strings.NewReplacer(`\\`, `\`, `\"`, `"`).Replace(m[2])
		var key string
		switch strings.ToLower(m[1]) {
		case "email", "emails", "emails.value":
			key = "email"
		case "username":
			key = "userName"
		case "id":
			key = "id"
		default:
			s.in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "invalid_filter: cannot filter on " + m[1]})
			return
		}
		// id and email are unique: the world's own lookup finds the one
		// user; userNames may repeat, so every user is read.
		if u, indexed := s.in.World().FindUser(s.in.Name, key, value); indexed {
			if u != nil {
				users = []map[string]any{u}
			}
		} else {
			for _, u := range s.users() {
				if v, _ := u[key].(string); strings.EqualFold(strings.TrimSpace(v), strings.TrimSpace(value)) {
					users = append(users, u)
				}
			}
		}
	}
	start, count := 1, 100
	for name, p := range map[string]*int{"startIndex": &start, "count": &count} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				s.in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "invalid_" + name + ": " + v})
				return
			}
			*p = n
		}
	}
	start = max(start, 1)
	from := min(start-1, len(users))
	to := min(from+min(count, 1000), len(users))
	res := make([]any, 0, to-from)
	for _, u := range users[from:to] {
		res = append(res, s.scimUser(r, u))
	}
	s.in.JSON(w, http.StatusOK, map[string]any{
		"schemas":      []any{"urn:ietf:params:scim:api:messages:2.0:ListResponse"},
		"totalResults": len(users), "itemsPerPage": len(res), "startIndex": start, "Resources": res,
	})
}

// scimCreate serves POST /scim/v2/Users as createUser.
func (s *slackAPI) scimCreate(w http.ResponseWriter, r *http.Request) {
	body, ok := s.in.ReadJSON(w, r)
	if !ok {
		return
	}
	input := map[string]any{}
	for _, k := range []string{"userName", "displayName"} {
		if v, ok := body[k].(string); ok {
			input[k] = v
		}
	}
	// The primary email, else the first.
	if emails, ok := body["emails"].([]any); ok {
		for _, e := range emails {
			em, _ := e.(map[string]any)
			v, _ := em["value"].(string)
			if primary, _ := em["primary"].(bool); primary || input["email"] == nil {
				input["email"] = v
			}
		}
	}
	out, err := s.in.Do(r.Context(), "createUser", input, r.Header.Get("Idempotency-Key"))
	if err != nil {
		s.in.Error(w, err)
		return
	}
	id, _ := out["id"].(string)
	u := s.byID(id)
	if u == nil {
		u = map[string]any{"id": id, "email": input["email"], "userName": input["userName"], "displayName": input["displayName"], "active": true}
	}
	s.in.JSON(w, http.StatusCreated, s.scimUser(r, u))
}

// scimPatch serves PATCH /scim/v2/Users/{id} setting active: a PatchOp
// (path "active", or a value object holding active) or a bare
// {"active": BOOL}. active true is reactivateUser, false deactivateUser.
func (s *slackAPI) scimPatch(w http.ResponseWriter, r *http.Request) {
	body, ok := s.in.ReadJSON(w, r)
	if !ok {
		return
	}
	u := s.byID(r.PathValue("id"))
	if u == nil {
		s.in.Error(w, s.noSuchID(r.PathValue("id")))
		return
	}
	active, found := body["active"].(bool)
	if ops, ok := body["Operations"].([]any); ok {
		for _, op := range ops {
			o, _ := op.(map[string]any)
			if kind, _ := o["op"].(string); !strings.EqualFold(kind, "replace") && !strings.EqualFold(kind, "add") {
				continue
			}
			if p, _ := o["path"].(string); strings.EqualFold(p, "active") {
				active, found = o["value"].(bool)
			} else if v, ok := o["value"].(map[string]any); ok && p == "" {
				if b, ok := v["active"].(bool); ok {
					active, found = b, true
				}
			}
		}
	}
	if !found {
		s.in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "invalid_patch: the sandbox only sets active (true or false)"})
		return
	}
	action := "deactivateUser"
	if active {
		action = "reactivateUser"
	}
	if _, err := s.in.Do(r.Context(), action, map[string]any{"email": u["email"]}, ""); err != nil {
		s.in.Error(w, err)
		return
	}
	if nu := s.byID(r.PathValue("id")); nu != nil {
		u = nu
	}
	s.in.JSON(w, http.StatusOK, s.scimUser(r, u))
}

// params reads a Web API method's arguments: a JSON body, or form and
// query values.
func (s *slackAPI) params(w http.ResponseWriter, r *http.Request) (map[string]string, bool) {
	out := map[string]string{}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		body, ok := s.in.ReadJSON(w, r)
		if !ok {
			return nil, false
		}
		for k, v := range body {
			switch x := v.(type) {
			case string:
				out[k] = x
			case nil:
			default:
				out[k] = strings.Trim(strings.TrimSpace(slackText(x)), `"`)
			}
		}
		for k, v := range r.URL.Query() {
			if _, set := out[k]; !set && len(v) > 0 {
				out[k] = v[0]
			}
		}
		return out, true
	}
	if err := r.ParseForm(); err != nil {
		s.webError(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "invalid_form_data: " + err.Error()}, "")
		return nil, false
	}
	for k, v := range r.Form {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out, true
}

// do runs an action for a Web API method, answering ok:false on failure.
func (s *slackAPI) do(w http.ResponseWriter, r *http.Request, action string, input map[string]any, notFound string) (map[string]any, bool) {
	out, err := s.in.Do(r.Context(), action, input, "")
	if err != nil {
		s.webError(w, err, notFound)
		return nil, false
	}
	return out, true
}

func (s *slackAPI) lookupByEmail(w http.ResponseWriter, r *http.Request) {
	p, ok := s.params(w, r)
	if !ok {
		return
	}
	out, ok := s.do(w, r, "lookupUserByEmail", slackOptional(map[string]any{}, "email", p["email"]), "users_not_found")
	if !ok {
		return
	}
	active, _ := out["active"].(bool)
	s.in.JSON(w, http.StatusOK, map[string]any{"ok": true, "user": map[string]any{
		"id": out["id"], "team_id": "T0SANDBOX", "name": out["name"], "deleted": !active, "real_name": out["realName"],
		"profile": map[string]any{"email": out["email"], "real_name": out["realName"], "display_name": out["realName"]},
	}})
}

func (s *slackAPI) postMessage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.params(w, r)
	if !ok {
		return
	}
	input := slackOptional(map[string]any{}, "channel", p["channel"])
	slackOptional(input, "text", p["text"])
	slackOptional(input, "threadTs", p["thread_ts"])
	out, ok := s.do(w, r, "postMessage", input, "channel_not_found")
	if !ok {
		return
	}
	msg := map[string]any{"type": "message", "text": p["text"], "ts": out["ts"]}
	if p["thread_ts"] != "" {
		msg["thread_ts"] = p["thread_ts"]
	}
	s.in.JSON(w, http.StatusOK, map[string]any{"ok": true, "channel": out["channel"], "ts": out["ts"], "message": msg})
}

// invite serves conversations.invite: users is a comma-separated list of
// user IDs, each turned into its email for inviteToChannel.
func (s *slackAPI) invite(w http.ResponseWriter, r *http.Request) {
	p, ok := s.params(w, r)
	if !ok {
		return
	}
	if p["users"] == "" {
		s.webError(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "no_user: no users given"}, "")
		return
	}
	for _, id := range strings.Split(p["users"], ",") {
		u := s.byID(strings.TrimSpace(id))
		if u == nil {
			s.webError(w, s.noSuchID(id), "user_not_found")
			return
		}
		input := slackOptional(map[string]any{"email": u["email"]}, "channel", p["channel"])
		if _, ok := s.do(w, r, "inviteToChannel", input, "channel_not_found"); !ok {
			return
		}
	}
	s.in.JSON(w, http.StatusOK, map[string]any{"ok": true, "channel": map[string]any{"id": p["channel"]}})
}

// slackOptional sets m[k] = v when v is not empty (the world then reports a
// missing required input itself).
func slackOptional(m map[string]any, k, v string) map[string]any {
	if v != "" {
		m[k] = v
	}
	return m
}

// slackCodeRE matches a Slack error code leading a world message
// ("users_not_found: …").
var slackCodeRE = regexp.MustCompile(`^([a-z][a-z0-9_]*):`)

// webError answers a failed Web API method as Slack does: HTTP 200 with
// {"ok": false, "error": CODE} and the message in
// response_metadata.messages, except a rate limit (HTTP 429 with
// Retry-After). A status that no Slack error code conveys (409, 5xx…) is
// sent as the HTTP status, so that the connector reports what the world
// did.
func (s *slackAPI) webError(w http.ResponseWriter, e *effect.Error, notFound string) {
	status := e.Status
	if status == 0 {
		status = http.StatusInternalServerError
		if e.Code == "timeout" {
			status = http.StatusGatewayTimeout
		}
	}
	code := ""
	if m := slackCodeRE.FindStringSubmatch(e.Message); m != nil && slackCodeFits(m[1], status) {
		code = m[1]
	}
	httpStatus := http.StatusOK
	switch {
	case code != "":
	case status == 400:
		code = "invalid_arguments"
	case status == 401:
		code = "invalid_auth"
	case status == 403:
		code = "restricted_action"
	case status == 404 && notFound != "":
		code = notFound
	case status == 429:
		code, httpStatus = "ratelimited", status
	case status >= 500:
		code, httpStatus = "internal_error", status
	default:
		code, httpStatus = "request_failed", status
	}
	if httpStatus == http.StatusTooManyRequests {
		slackRetryAfter(w, e)
	} else if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	s.in.JSON(w, httpStatus, map[string]any{"ok": false, "error": code,
		"response_metadata": map[string]any{"messages": []any{"[ERROR] " + e.Message}}})
}

// slackCodeFits reports whether the connector maps a Slack error code to the
// status (see slackStatus in package connector).
func slackCodeFits(code string, status int) bool {
	switch {
	case strings.HasSuffix(code, "_not_found"):
		return status == 404
	case code == "ratelimited":
		return false // sent with HTTP 429 below
	case status == 400:
		return code == "invalid_email" || code == "invalid_arguments" || code == "no_user" || code == "invalid_form_data"
	}
	return false
}

// slackText is the JSON text of a non-string argument (a number, a bool).
func slackText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// slackRetryAfter sets Retry-After on a 429, which Slack always sends with
// one, in seconds (docs.slack.dev/reference/scim-api/rate-limits: "parse
// the Retry-After header and retry your request after that time"; the Web
// API's rate limits likewise): the fault's retryAfter rounded up, or 1.
func slackRetryAfter(w http.ResponseWriter, e *effect.Error) {
	secs := int((e.RetryAfter + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
}
