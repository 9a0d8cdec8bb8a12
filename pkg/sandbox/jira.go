package sandbox

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/jml-dev/jml/pkg/effect"
)

// jiraKeyProperty is the issue property that carries the idempotency key
// of the jira connector's createIssue, as {"key": KEY}.
const jiraKeyProperty = "jml.idempotency"

// jiraLabelJQL is the one JQL shape the sandbox answers: labels = "X".
var jiraLabelJQL = regexp.MustCompile(`(?i)^\s*labels\s*=\s*(?:"([^"\\]*)"|([A-Za-z0-9_.\-]+))\s*$`)

// jiraStandard are the fields createIssue has inputs of.
var jiraStandard = []string{"project", "issuetype", "summary", "description"}

// jiraRoutes registers the Jira Cloud REST API v3: create issue and the
// enhanced JQL search (labels = "X" only).
func jiraRoutes(in *Instance, mux *http.ServeMux) {
	mux.HandleFunc("POST /rest/api/3/issue", func(w http.ResponseWriter, r *http.Request) {
		body, ok := in.ReadJSON(w, r)
		if !ok {
			return
		}
		fields, _ := body["fields"].(map[string]any)
		if fields == nil {
			in.Error(w, &effect.Error{Status: 400, Code: "invalid_input", Message: "the request has no fields"})
			return
		}
		input := map[string]any{"project": jiraName(fields["project"], "key", "id"), "issueType": jiraName(fields["issuetype"], "name", "id"),
			"summary": fields["summary"]}
		if d, ok := fields["description"]; ok && d != nil {
			input["description"] = adfText(d)
		}
		rest := map[string]any{}
		for k, v := range fields {
			rest[k] = v
		}
		for _, k := range jiraStandard {
			delete(rest, k)
		}
		// The connector's label and property stand for the idempotency key,
		// which the world keeps itself (see world.JiraLabel).
		key := jiraKey(body["properties"])
		if ls, ok := rest["labels"].([]any); ok && key != "" {
			kept := []any{}
			for _, l := range ls {
				if l != effect.JiraLabel(key) {
					kept = append(kept, l)
				}
			}
			rest["labels"] = kept
		}
		if len(rest) > 0 {
			input["fields"] = rest
		}
		out, err := in.Do(r.Context(), "createIssue", input, key)
		if err != nil {
			in.Error(w, err)
			return
		}
		in.JSON(w, http.StatusCreated, out)
	})
	search := func(w http.ResponseWriter, r *http.Request, jql string, limit int) {
		m := jiraLabelJQL.FindStringSubmatch(jql)
		if m == nil {
			in.Error(w, effect.HTTPError(400, "the sandbox answers only JQL of the form labels = \"LABEL\", not "+strconv.Quote(jql)))
			return
		}
		label := m[1] + m[2]
		issues := []any{}
		for i, is := range in.World().Issues(in.Name, label) {
			if i == limit {
				break
			}
			issues = append(issues, map[string]any{"id": is["id"], "key": is["key"], "self": is["self"], "fields": map[string]any{}})
		}
		in.JSON(w, http.StatusOK, map[string]any{"issues": issues, "isLast": true})
	}
	mux.HandleFunc("POST /rest/api/3/search/jql", func(w http.ResponseWriter, r *http.Request) {
		body, ok := in.ReadJSON(w, r)
		if !ok {
			return
		}
		jql, _ := body["jql"].(string)
		limit := 50
		if n, ok := body["maxResults"].(int64); ok && n > 0 {
			limit = int(n)
		}
		search(w, r, jql, limit)
	})
	mux.HandleFunc("GET /rest/api/3/search/jql", func(w http.ResponseWriter, r *http.Request) {
		limit := 50
		if n, err := strconv.Atoi(r.URL.Query().Get("maxResults")); err == nil && n > 0 {
			limit = n
		}
		search(w, r, r.URL.Query().Get("jql"), limit)
	})
}

// jiraName returns a {key: …} or {id: …} reference's value (or a plain
// string).
func jiraName(v any, keys ...string) any {
	if s, ok := v.(string); ok {
		return s
	}
	m, _ := v.(map[string]any)
	for _, k := range keys {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return nil
}

// jiraKey returns the idempotency key of a create's properties, or "".
func jiraKey(props any) string {
	l, _ := props.([]any)
	for _, p := range l {
		m, _ := p.(map[string]any)
		if m["key"] != jiraKeyProperty {
			continue
		}
		v, _ := m["value"].(map[string]any)
		if s, ok := v["key"].(string); ok {
			return s
		}
	}
	return ""
}

// adfText returns the plain text of an Atlassian Document Format document:
// its text nodes, with paragraphs and hard breaks as line breaks (the
// connector sends one paragraph per line). A string is returned as is.
func adfText(doc any) string {
	if s, ok := doc.(string); ok {
		return s
	}
	d, _ := doc.(map[string]any)
	blocks, _ := d["content"].([]any)
	lines := make([]string, 0, len(blocks))
	for _, b := range blocks {
		var sb strings.Builder
		adfWrite(&sb, b)
		lines = append(lines, sb.String())
	}
	return strings.Join(lines, "\n")
}

func adfWrite(sb *strings.Builder, n any) {
	m, _ := n.(map[string]any)
	switch m["type"] {
	case "text":
		s, _ := m["text"].(string)
		sb.WriteString(s)
		return
	case "hardBreak":
		sb.WriteString("\n")
		return
	}
	kids, _ := m["content"].([]any)
	for _, k := range kids {
		adfWrite(sb, k)
	}
}
