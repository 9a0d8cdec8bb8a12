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
// serve's own (the event hook under hook, /healthz, /readyz, /metrics), or
// a path of an earlier flow (by name). jml validate reports the clashes
// (duplicate-http-path); jml serve serves the map.
func (g *Graph) HTTPPaths(hook string) (map[string]*Flow, []PathClash) {
	out := map[string]*Flow{}
	reserved := map[string]string{hook: "the event hook's", "/healthz": "serve's", "/readyz": "serve's", "/metrics": "serve's"}
	var clashes []PathClash
	for _, name := range g.Names {
		f := g.Flows[name]
		if f.AST == nil || f.AST.Trigger.Kind != ast.TriggerHTTP {
			continue
		}
		p := f.AST.Trigger.Path
		switch other, taken := out[p.Value]; {
		case !strings.HasPrefix(p.Value, "/"):
			clashes = append(clashes, PathClash{f, p, fmt.Sprintf("flow %q: path %q must start with /", name, p.Value)})
		case reserved[p.Value] != "":
			clashes = append(clashes, PathClash{f, p, fmt.Sprintf("flow %q: path %s is %s", name, p.Value, reserved[p.Value])})
		case taken:
			clashes = append(clashes, PathClash{f, p, fmt.Sprintf("flows %q and %q: both at path %s", other.Name, name, p.Value)})
		default:
			out[p.Value] = f
		}
	}
	sort.Slice(clashes, func(i, j int) bool { return clashes[i].Why < clashes[j].Why })
	return out, clashes
}

// checkHTTPPaths reports every http: trigger path jml serve could not
// serve, at the path.
func (c *compiler) checkHTTPPaths() {
	_, clashes := c.g.HTTPPaths(HookPath(c.cfg))
	for _, cl := range clashes {
		c.ds.Errorf(cl.Path.Range, "duplicate-http-path", "%s: jml serve could not serve it", cl.Why)
	}
}
