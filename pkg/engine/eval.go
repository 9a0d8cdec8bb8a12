package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/expr"
)

// baseScope builds the variables every expression of a run sees (SPEC §4):
// event, user, group, app, changed, run.
func (x *exec) baseScope(ctx context.Context, f *compile.Flow) map[string]any {
	s := map[string]any{
		"event": nil, "user": nil, "group": nil, "app": nil,
		"changed": []string{},
		"run":     map[string]any{"id": x.run.ID, "flow": f.Name, "mode": string(x.e.opts.Mode), "startedAt": x.trigger.At},
	}
	ev := x.trigger.Event
	if ev == nil {
		return s
	}
	s["event"] = ev.Raw
	if u := ev.Target("User"); u != nil {
		user := copyMap(u)
		profile := map[string]any{}
		if login, ok := u["alternateId"].(string); ok {
			profile["login"], profile["email"] = login, login
		}
		if id, ok := u["id"].(string); ok && x.e.opts.Profiles != nil {
			if p, ok := x.e.opts.Profiles.UserProfile(ctx, id); ok {
				for k, v := range p {
					profile[k] = v
				}
			}
		}
		user["profile"] = profile
		s["user"] = user
	}
	if g := ev.Target("UserGroup"); g != nil {
		s["group"] = g
	}
	if a := ev.Target("AppInstance"); a != nil {
		s["app"] = a
	}
	if c := ev.Changed(); c != nil {
		s["changed"] = c
	}
	return s
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// scope is the activation of an expression in frame fr.
func (x *exec) scope(fr *frame) map[string]any {
	s := make(map[string]any, len(x.base)+8)
	for k, v := range x.base {
		s[k] = v
	}
	s["vars"] = fr.vars
	s["steps"] = fr.steps
	if fr.flow.IsHelper() {
		s["inputs"] = fr.inputs
	}
	if fr.err != nil {
		s["error"] = fr.err
	}
	if fr.catch != nil {
		s["error"] = fr.catch
	}
	for k, v := range fr.items {
		s[k] = v
	}
	return s
}

func evalBool(p *expr.Program, scope map[string]any) (bool, error) {
	v, err := p.Eval(scope)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("expected a boolean, got %s", typeName(v))
	}
	return b, nil
}

// value evaluates compiled YAML data with templates.
func (x *exec) value(v *compile.Value, fr *frame) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch v.Kind {
	case ast.Map:
		m := make(map[string]any, len(v.Keys))
		for i, k := range v.Keys {
			val, err := x.value(v.Map[i], fr)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			m[k] = val
		}
		return m, nil
	case ast.List:
		l := make([]any, len(v.List))
		for i, el := range v.List {
			val, err := x.value(el, fr)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			l[i] = val
		}
		return l, nil
	case ast.Str:
		if v.Parts == nil {
			return v.Scalar, nil
		}
		scope := x.scope(fr)
		if v.Single {
			return v.Parts[0].Prog.Eval(scope)
		}
		var b strings.Builder
		for _, p := range v.Parts {
			if p.Prog == nil {
				b.WriteString(p.Lit)
				continue
			}
			val, err := p.Prog.Eval(scope)
			if err != nil {
				return nil, fmt.Errorf("${{ %s }}: %w", p.Prog.Src, err)
			}
			b.WriteString(text(val))
		}
		return b.String(), nil
	}
	return v.Scalar, nil
}

// text renders a value inside a string template or a switch key.
func text(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case int64:
		return strconv.FormatInt(t, 10)
	case uint64:
		return strconv.FormatUint(t, 10)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case fmt.Stringer:
		return t.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
