// Command trim cuts vendors' published API descriptions down to the
// operations jml's catalogue calls, and the schemas those operations
// reference, for pkg/contract's test (issue #13).
//
// Every source is named by repository, commit and path in the table
// below and in ../SOURCES.md; trim reads it from a snapshot of that
// repository (a bare git directory, -mirror/OWNER+NAME/repo) or from a
// local copy (-local), and writes the trimmed description to -out, where
// pkg/contract's test looks for it (JML_VENDOR_SPECS, or
// ../shared/reference/vendor-specs beside the repository). To refresh: get
// the new snapshot, set its commit in the table, run
//
//	go run ./testdata/vendor-specs/trim -out DIR
//
// and run `go test ./pkg/contract`.
package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// source is one vendor description and what of it the catalogue uses.
type source struct {
	// Out is the trimmed file's name under -out.
	Out string
	// Repo, Commit and Path say where the description is published.
	Repo, Commit, Path string
	// Local is a copy of the file relative to the repository's parent
	// directory (the steering repo's shared/), used when no snapshot is.
	Local string
	// Format is "openapi" (2 or 3), "discovery" or "csdl".
	Format string
	// Keep lists what to keep: "METHOD /path" (openapi), method ids
	// (discovery), or entity-set, type and action names (csdl).
	Keep []string
	// DropParams names parameters removed from every kept operation, with
	// the reason in SOURCES.md.
	DropParams []string
	// JSONSchemaisms rewrites what is JSON Schema but not OpenAPI 2 (Slack:
	// items as a list of alternatives, a list of types) to OpenAPI's anyOf
	// and x-nullable, so that an OpenAPI reader can read it.
	JSONSchemaisms bool
}

var sources = []source{
	{
		Out: "okta-management.json", Repo: "okta/okta-management-openapi-spec", Commit: "",
		Path: "dist/current/management-minimal.yaml", Local: "shared/reference/okta/management-minimal.yaml",
		Format: "openapi",
		Keep: []string{
			"GET /api/v1/users", "GET /api/v1/users/{id}", "POST /api/v1/users/{id}", "DELETE /api/v1/users/{id}",
			"GET /api/v1/users/{id}/groups",
			"POST /api/v1/users/{id}/lifecycle/deactivate", "POST /api/v1/users/{id}/lifecycle/suspend",
			"POST /api/v1/users/{id}/lifecycle/unsuspend",
			"GET /api/v1/users/{userIdOrLogin}/linkedObjects/{relationshipName}",
			"DELETE /api/v1/users/{userId}/sessions",
			"PUT /api/v1/groups/{groupId}/users/{userId}", "DELETE /api/v1/groups/{groupId}/users/{userId}",
			// jml events pull and okta: sources (issue #14).
			"GET /api/v1/logs",
		},
	},
	{
		Out: "slack-web.json", Repo: "slackapi/slack-api-specs", Commit: "bc08db49625630e3585bf2f1322128ea04f2a7f3",
		Path: "web-api/slack_web_openapi_v2_without_examples.json", Format: "openapi",
		Keep:       []string{"GET /users.lookupByEmail", "POST /chat.postMessage", "POST /conversations.invite"},
		DropParams: []string{"token"}, JSONSchemaisms: true,
	},
	{
		Out: "graph-v1.0.xml", Repo: "microsoftgraph/msgraph-metadata", Commit: "f54f11b60956ea7b185ca0447b2b80805836ec7b",
		Path: "clean_v10_metadata/cleanMetadata.xml", Format: "csdl",
		Keep: []string{"users", "groups", "members", "assignLicense", "revokeSignInSessions", "licenseDetails", "subscribedSkus", "sendMail"},
	},
	{
		// A copy of googleapis/google-api-nodejs-client (its fork
		// semihcebrail/googleapis at upstream's release 113.0.0): Google's
		// own repositories holding the documents are over the snapshot size.
		Out: "google-directory.json", Repo: "semihcebrail/googleapis", Commit: "cf77c9077e5c666fca49664c5bc303a5658451c5",
		Path: "discovery/admin-directory_v1.json", Format: "discovery",
		Keep: []string{"directory.users.get", "directory.users.update", "directory.users.signOut",
			"directory.members.insert", "directory.members.delete",
			// A leaver's credentials (issue #17).
			"directory.asps.list", "directory.asps.delete", "directory.tokens.list", "directory.tokens.delete",
			"directory.mobiledevices.list", "directory.mobiledevices.delete"},
	},
	{
		Out: "google-datatransfer.json", Repo: "semihcebrail/googleapis", Commit: "cf77c9077e5c666fca49664c5bc303a5658451c5",
		Path: "discovery/admin-datatransfer_v1.json", Format: "discovery",
		Keep: []string{"datatransfer.applications.list", "datatransfer.transfers.insert"},
	},
	{
		// The Gmail actions of the google type (issue #17).
		Out: "google-gmail.json", Repo: "semihcebrail/googleapis", Commit: "cf77c9077e5c666fca49664c5bc303a5658451c5",
		Path: "discovery/gmail-v1.json", Format: "discovery",
		Keep: []string{"gmail.users.messages.send", "gmail.users.settings.delegates.create", "gmail.users.settings.delegates.delete",
			"gmail.users.settings.forwardingAddresses.create", "gmail.users.settings.updateAutoForwarding", "gmail.users.settings.updateVacation"},
	},
	{
		// The licence actions of the google type (issue #17).
		Out: "google-licensing.json", Repo: "semihcebrail/googleapis", Commit: "cf77c9077e5c666fca49664c5bc303a5658451c5",
		Path: "discovery/licensing-v1.json", Format: "discovery",
		Keep: []string{"licensing.licenseAssignments.listForProduct", "licensing.licenseAssignments.get", "licensing.licenseAssignments.delete"},
	},
}

func main() {
	mirror := flag.String("mirror", "/work/.mirror", "directory of repository snapshots (OWNER+NAME/repo)")
	local := flag.String("local", "..", "directory that holds the Local copies (the repository's parent)")
	out := flag.String("out", "", "directory to write the trimmed descriptions to")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "trim: -out is required")
		os.Exit(2)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "trim:", err)
		os.Exit(1)
	}
	failed := false
	for _, s := range sources {
		if err := trimOne(s, *mirror, *local, *out); err != nil {
			fmt.Fprintf(os.Stderr, "trim: %s: %v\n", s.Out, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

func trimOne(s source, mirror, local, out string) error {
	src, err := read(s, mirror, local)
	if err != nil {
		return err
	}
	var trimmed []byte
	switch s.Format {
	case "openapi":
		trimmed, err = trimOpenAPI(src, s.Keep, s.DropParams, s.JSONSchemaisms)
	case "csdl":
		trimmed, err = trimCSDL(src, s.Keep)
	case "discovery":
		trimmed, err = trimDiscovery(src, s.Keep)
	default:
		err = fmt.Errorf("unknown format %q", s.Format)
	}
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d bytes (from %d)\n", s.Out, len(trimmed), len(src))
	return os.WriteFile(filepath.Join(out, s.Out), trimmed, 0o644)
}

func read(s source, mirror, local string) ([]byte, error) {
	if s.Commit != "" {
		dir := filepath.Join(mirror, strings.ReplaceAll(s.Repo, "/", "+"), "repo")
		b, err := exec.Command("git", "--git-dir", dir, "show", s.Commit+":"+s.Path).Output()
		if err == nil {
			return b, nil
		}
		if s.Local == "" {
			return nil, fmt.Errorf("git show %s:%s in %s: %v", s.Commit, s.Path, dir, err)
		}
	}
	if s.Local == "" {
		return nil, errors.New("no commit and no local copy")
	}
	return os.ReadFile(filepath.Join(local, s.Local))
}

// trimOpenAPI keeps the listed operations of an OpenAPI 2 or 3 document,
// and every part of it they reference, transitively.
func trimOpenAPI(src []byte, keep, dropParams []string, schemaisms bool) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	paths, _ := doc["paths"].(map[string]any)
	outPaths := map[string]any{}
	for _, k := range keep {
		method, p, _ := strings.Cut(k, " ")
		item, ok := paths[p].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("no path %s", p)
		}
		op, ok := item[strings.ToLower(method)].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("no operation %s", k)
		}
		op["parameters"] = dropNamed(op["parameters"], dropParams)
		dst, _ := outPaths[p].(map[string]any)
		if dst == nil {
			dst = map[string]any{}
			if ps, ok := item["parameters"]; ok {
				dst["parameters"] = dropNamed(ps, dropParams)
			}
			outPaths[p] = dst
		}
		dst[strings.ToLower(method)] = op
	}
	out := map[string]any{}
	for k, v := range doc {
		switch k {
		case "paths", "components", "definitions", "parameters", "responses", "tags", "x-tagGroups":
		default:
			out[k] = v
		}
	}
	out["paths"] = outPaths
	// Security schemes are referenced by name, not by $ref.
	if c, ok := doc["components"].(map[string]any); ok {
		if ss, ok := c["securitySchemes"]; ok {
			out["components"] = map[string]any{"securitySchemes": ss}
		}
	}
	// Copy every referenced node, until no new reference turns up.
	done := map[string]bool{}
	for {
		var refs []string
		collectRefs(out, &refs)
		added := false
		for _, r := range refs {
			if done[r] || !strings.HasPrefix(r, "#/") {
				continue
			}
			done[r] = true
			keys := strings.Split(strings.TrimPrefix(r, "#/"), "/")
			for i := range keys {
				keys[i] = strings.ReplaceAll(strings.ReplaceAll(keys[i], "~1", "/"), "~0", "~")
			}
			v, ok := lookup(doc, keys)
			if !ok {
				return nil, fmt.Errorf("dangling $ref %s", r)
			}
			set(out, keys, v)
			added = true
		}
		if !added {
			break
		}
	}
	if schemaisms {
		openAPIify(out)
	}
	return json.MarshalIndent(out, "", " ")
}

// trimDiscovery keeps, of a Google API discovery document, the listed
// methods (by id, e.g. directory.users.get) in their resources, the
// schemas they reference ($ref by schema id), transitively, and the rest
// of the document (root URL, service path, global parameters, OAuth
// scopes) as it is.
func trimDiscovery(src []byte, keep []string) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	found := map[string]bool{}
	var walk func(resources map[string]any) map[string]any
	walk = func(resources map[string]any) map[string]any {
		out := map[string]any{}
		for name, r := range resources {
			res, _ := r.(map[string]any)
			kept := map[string]any{}
			methods, _ := res["methods"].(map[string]any)
			ms := map[string]any{}
			for mname, m := range methods {
				id, _ := m.(map[string]any)["id"].(string)
				if contains(keep, id) {
					ms[mname] = m
					found[id] = true
				}
			}
			if len(ms) > 0 {
				kept["methods"] = ms
			}
			if sub, ok := res["resources"].(map[string]any); ok {
				if s := walk(sub); len(s) > 0 {
					kept["resources"] = s
				}
			}
			if len(kept) > 0 {
				out[name] = kept
			}
		}
		return out
	}
	resources, _ := doc["resources"].(map[string]any)
	out := map[string]any{}
	for k, v := range doc {
		if k != "resources" && k != "schemas" {
			out[k] = v
		}
	}
	out["resources"] = walk(resources)
	for _, k := range keep {
		if !found[k] {
			return nil, fmt.Errorf("no method %s", k)
		}
	}
	schemas, _ := doc["schemas"].(map[string]any)
	kept := map[string]any{}
	out["schemas"] = kept
	for {
		var refs []string
		collectRefs(out, &refs)
		added := false
		for _, r := range refs {
			if _, ok := kept[r]; ok {
				continue
			}
			s, ok := schemas[r]
			if !ok {
				return nil, fmt.Errorf("dangling $ref %s", r)
			}
			kept[r] = s
			added = true
		}
		if !added {
			break
		}
	}
	return json.MarshalIndent(out, "", " ")
}

// openAPIify rewrites, in place, items given as a list to anyOf and a
// type given as a list to its one non-null type with x-nullable (or no
// type, when it allows several).
func openAPIify(v any) {
	switch x := v.(type) {
	case map[string]any:
		if list, ok := x["items"].([]any); ok {
			delete(x, "items")
			if x["type"] == "array" {
				x["items"] = map[string]any{"anyOf": list}
			} else {
				x["anyOf"] = list
			}
		}
		if types, ok := x["type"].([]any); ok {
			var kept []any
			for _, t := range types {
				if t == "null" {
					x["x-nullable"] = true
				} else {
					kept = append(kept, t)
				}
			}
			delete(x, "type")
			if len(kept) == 1 {
				x["type"] = kept[0]
			}
		}
		if x["type"] == "null" {
			delete(x, "type")
			x["x-nullable"] = true
		}
		for _, e := range x {
			openAPIify(e)
		}
	case []any:
		for _, e := range x {
			openAPIify(e)
		}
	}
}

func dropNamed(params any, names []string) any {
	list, ok := params.([]any)
	if !ok || len(names) == 0 {
		return params
	}
	var kept []any
	for _, p := range list {
		if m, ok := p.(map[string]any); ok {
			if n, _ := m["name"].(string); contains(names, n) {
				continue
			}
		}
		kept = append(kept, p)
	}
	return kept
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func collectRefs(v any, refs *[]string) {
	switch x := v.(type) {
	case map[string]any:
		if r, ok := x["$ref"].(string); ok {
			*refs = append(*refs, r)
		}
		for _, e := range x {
			collectRefs(e, refs)
		}
	case []any:
		for _, e := range x {
			collectRefs(e, refs)
		}
	}
}

func lookup(v any, keys []string) (any, bool) {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

func set(m map[string]any, keys []string, v any) {
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
}

// node is one XML element, kept whole.
type node struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []node     `xml:",any"`
}

// trimCSDL keeps, of a CSDL (OData $metadata) document, the listed entity
// sets, bound actions and navigation targets, the types they name (with
// their base types and the types of their properties), and nothing else.
func trimCSDL(src []byte, keep []string) ([]byte, error) {
	var root node
	if err := xml.Unmarshal(src, &root); err != nil {
		return nil, err
	}
	schema := find(&root, "Schema")
	if schema == nil {
		return nil, errors.New("no Schema element")
	}
	byName := map[string][]*node{}
	var container *node
	for i := range schema.Children {
		c := &schema.Children[i]
		if c.XMLName.Local == "EntityContainer" {
			container = c
			continue
		}
		n := attr(c, "Name")
		byName[n] = append(byName[n], c)
	}
	if container == nil {
		return nil, errors.New("no EntityContainer")
	}
	wanted := map[string]bool{}
	var queue []string
	want := func(typ string) {
		typ = strings.TrimSuffix(strings.TrimPrefix(typ, "Collection("), ")")
		name, ok := strings.CutPrefix(typ, "microsoft.graph.")
		if !ok {
			name, ok = strings.CutPrefix(typ, "graph.")
		}
		if ok && !wanted[name] {
			wanted[name] = true
			queue = append(queue, name)
		}
	}
	var sets []node
	for _, k := range keep {
		for _, c := range container.Children {
			if attr(&c, "Name") == k {
				sets = append(sets, node{XMLName: c.XMLName, Attrs: c.Attrs})
				want(attr(&c, "EntityType"))
			}
		}
		if _, ok := byName[k]; ok {
			want("microsoft.graph." + k)
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, el := range byName[n] {
			want(attr(el, "BaseType"))
			for _, c := range el.Children {
				// Navigation properties lead to most of Graph: only those
				// named in Keep are followed.
				if c.XMLName.Local == "NavigationProperty" && !contains(keep, attr(&c, "Name")) {
					continue
				}
				want(attr(&c, "Type"))
			}
		}
	}
	names := make([]string, 0, len(wanted))
	for n := range wanted {
		names = append(names, n)
	}
	sort.Strings(names)
	kept := []node{}
	for _, n := range names {
		for _, el := range byName[n] {
			// Only actions and functions bound to a kept type, named in Keep.
			if k := el.XMLName.Local; (k == "Action" || k == "Function") && !contains(keep, n) {
				continue
			}
			kept = append(kept, *el)
		}
	}
	schema.Children = append(kept, node{XMLName: container.XMLName, Attrs: container.Attrs, Children: sets})
	// The other schemas (callRecords, security, …) are not used.
	if ds := find(&root, "DataServices"); ds != nil {
		ds.Children = []node{*schema}
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	writeNode(&buf, &root, 0)
	return buf.Bytes(), nil
}

// writeNode writes n without the namespace prefixes encoding/xml would
// invent: CSDL readers here go by local names.
func writeNode(w *bytes.Buffer, n *node, depth int) {
	indent := strings.Repeat(" ", depth)
	fmt.Fprintf(w, "%s<%s", indent, n.XMLName.Local)
	for _, a := range n.Attrs {
		name := a.Name.Local
		if a.Name.Space == "xmlns" {
			name = "xmlns:" + name
		} else if a.Name.Space != "" {
			continue
		}
		var v bytes.Buffer
		_ = xml.EscapeText(&v, []byte(a.Value))
		fmt.Fprintf(w, " %s=\"%s\"", name, v.String())
	}
	if len(n.Children) == 0 {
		w.WriteString("/>\n")
		return
	}
	w.WriteString(">\n")
	for i := range n.Children {
		writeNode(w, &n.Children[i], depth+1)
	}
	fmt.Fprintf(w, "%s</%s>\n", indent, n.XMLName.Local)
}

func find(n *node, local string) *node {
	if n.XMLName.Local == local {
		return n
	}
	for i := range n.Children {
		if f := find(&n.Children[i], local); f != nil {
			return f
		}
	}
	return nil
}

func attr(n *node, name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}
