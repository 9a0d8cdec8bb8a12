package compile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/jml-dev/jml/pkg/ast"
)

// DefaultHookPath is where jml serve takes Okta's event hook deliveries
// when jml.yaml's serve: section names no path.
const DefaultHookPath = "/hooks/okta"

// UIPath is where jml serve serves the web view of the history: it and
// every path under it are the view's.
const UIPath = "/ui"

// HookPath is the event hook's path under cfg: serve.path, else
// DefaultHookPath.
func HookPath(cfg *ast.Config) string {
	if cfg != nil && cfg.Serve.Path.Value != "" {
		return cfg.Serve.Path.Value
	}
	return DefaultHookPath
}

// PathClash is an http: trigger flow's path that jml serve cannot serve.
type PathClash struct {
	// Flow is the flow whose path clashes; Path its trigger's path.
	Flow *Flow
	Path ast.String
	// Why says with what.
	Why string
}

// HTTPPaths maps each path an http: trigger flow is served at to its
// flow, and lists the paths that cannot be served: not starting with /,
// serve's own (the event hook under hook, /healthz, /readyz, /metrics,
// the web view's UIPath and every path under it), or
// a path of an earlier flow (by name). jml validate reports the clashes
// (duplicate-http-path); jml serve serves the map.
func (g *Graph) HTTPPaths(hook string) (map[string]*Flow, []PathClash) {
	var names []string
	for _, name := range g.Names {
		if f := g.Flows[name]; f.AST != nil && f.AST.Trigger.Kind == ast.TriggerHTTP {
			names = append(names, name)
		}
	}
	served, clashes := httpPaths(hook, names, func(name string) string { return g.Flows[name].AST.Trigger.Path.Value })
	out := make(map[string]*Flow, len(served))
	for p, name := range served {
		out[p] = g.Flows[name]
	}
	pcs := make([]PathClash, len(clashes))
	for i, cl := range clashes {
		f := g.Flows[cl.flow]
		pcs[i] = PathClash{Flow: f, Path: f.AST.Trigger.Path, Why: cl.why}
	}
	return out, pcs
}

// clash is a path httpPaths cannot serve: the flow's, and why.
type clash struct{ flow, why string }

// httpPaths is the one rule of HTTPPaths over the http: trigger flows'
// names, sorted, and their paths.
func httpPaths(hook string, names []string, path func(name string) string) (map[string]string, []clash) {
	out := map[string]string{}
	reserved := map[string]string{hook: "the event hook's", "/healthz": "serve's", "/readyz": "serve's", "/metrics": "serve's"}
	var clashes []clash
	for _, name := range names {
		p := path(name)
		switch other, taken := out[p]; {
		case !strings.HasPrefix(p, "/"):
			clashes = append(clashes, clash{name, fmt.Sprintf("flow %q: path %q must start with /", name, p)})
		case reserved[p] != "":
			clashes = append(clashes, clash{name, fmt.Sprintf("flow %q: path %s is %s", name, p, reserved[p])})
		case p == UIPath || strings.HasPrefix(p, UIPath+"/"):
			clashes = append(clashes, clash{name, fmt.Sprintf("flow %q: path %s is under %s/, serve's web view of the history", name, p, UIPath)})
		case taken:
			clashes = append(clashes, clash{name, fmt.Sprintf("flows %q and %q: both at path %s", other, name, p)})
		default:
			out[p] = name
		}
	}
	sort.Slice(clashes, func(i, j int) bool { return clashes[i].why < clashes[j].why })
	return out, clashes
}

// checkHTTPPaths reports every http: trigger path jml serve could not
// serve, at the path.
func (c *compiler) checkHTTPPaths() {
	var names []string
	for _, name := range c.names {
		if c.sums[name].Path != nil {
			names = append(names, name)
		}
	}
	_, clashes := httpPaths(HookPath(c.cfg), names, func(name string) string { return c.sums[name].Path.Text })
	for _, cl := range clashes {
		s := c.sums[cl.flow]
		c.ds.Errorf(s.at(s.Path.At), "duplicate-http-path", "%s: jml serve could not serve it", cl.why)
	}
}
