package expr

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"

	"github.com/jml-dev/jml/pkg/diag"
)

// CostLimit bounds the work one evaluation may do (SPEC §10), so that a
// flow cannot spin on an expression.
const CostLimit = 1_000_000

// Scope says which variables are declared where an expression stands.
type Scope struct {
	// Inputs declares `inputs` (helper flows).
	Inputs bool
	// Error declares `error` (catch blocks and error-handler flows).
	Error bool
	// Items are the forEach item names in scope, innermost last; each also
	// declares NAME_index.
	Items []string
}

func (s Scope) key() string {
	return fmt.Sprintf("%t/%t/%s", s.Inputs, s.Error, strings.Join(s.Items, ","))
}

// Env compiles expressions; it is safe for concurrent use.
type Env struct {
	base *cel.Env
	mu   sync.Mutex
	envs map[string]*cel.Env
	// funcs are the function names for an unknown function's did-you-mean.
	funcs []string
	// macros are the macro names among funcs: they bind a variable
	// (exists(g, …)), which a misspelt one leaves undeclared.
	macros map[string]bool
	// compiled caches Compile by scope and source: a repository repeats
	// the same expressions (${{ user.id }}, vars.login) across cards and
	// flows, and the result depends on nothing else.
	compiled map[string]compiled
	// objects are the types of event, user, group and app, by CEL name.
	objects map[string]*objectType
}

type compiled struct {
	p      *Program
	issues []Issue
}

// Globals lists the variables always in scope.
func Globals() []string {
	return []string{"event", "user", "group", "app", "changed", "vars", "steps", "run", "request"}
}

// NewEnv builds the base CEL environment of SPEC §4.
func NewEnv() (*Env, error) {
	dyn := cel.DynType
	typed, objs, err := typedVariables()
	if err != nil {
		return nil, err
	}
	base, err := cel.NewEnv(append(typed,
		cel.Variable("changed", cel.ListType(cel.StringType)),
		cel.Variable("vars", cel.MapType(cel.StringType, dyn)),
		cel.Variable("steps", cel.MapType(cel.StringType, dyn)),
		cel.Variable("run", cel.MapType(cel.StringType, dyn)),
		// request: the HTTP request of an http: trigger flow (jml serve),
		// null in every other flow.
		cel.Variable("request", dyn),
		ext.Strings(),
		ext.Lists(),
		ext.Math(),
		ext.Encoders(),
		cel.OptionalTypes(),
	)...)
	if err != nil {
		return nil, err
	}
	macros := map[string]bool{}
	for _, m := range base.Macros() {
		macros[m.Function()] = true
	}
	return &Env{base: base, envs: map[string]*cel.Env{}, compiled: map[string]compiled{}, funcs: functionNames(base), macros: macros, objects: objs}, nil
}

func (e *Env) env(s Scope) (*cel.Env, error) {
	k := s.key()
	e.mu.Lock()
	defer e.mu.Unlock()
	if env, ok := e.envs[k]; ok {
		return env, nil
	}
	var opts []cel.EnvOption
	if s.Inputs {
		opts = append(opts, cel.Variable("inputs", cel.MapType(cel.StringType, cel.DynType)))
	}
	if s.Error {
		opts = append(opts, cel.Variable("error", cel.MapType(cel.StringType, cel.DynType)))
	}
	seen := map[string]bool{}
	for _, it := range s.Items {
		if seen[it] {
			continue
		}
		seen[it] = true
		opts = append(opts, cel.Variable(it, cel.DynType), cel.Variable(it+"_index", cel.IntType))
	}
	env, err := e.base.Extend(opts...)
	if err != nil {
		return nil, err
	}
	e.envs[k] = env
	return env, nil
}

// Issue is one problem in an expression, at a byte offset of its source.
type Issue struct {
	Offset int
	Code   string
	Msg    string
}

// Ref is a reference to steps.ID, vars.NAME or inputs.NAME found in an
// expression, with the field path that follows it.
type Ref struct {
	Root   string // "steps", "vars" or "inputs"
	Name   string
	Path   []string // fields selected after the name (steps.x.output.id → output, id)
	Offset int
}

// Program is a compiled, checked expression.
type Program struct {
	Src  string
	Type *cel.Type
	Refs []Ref
	// ReadsProfile is set when the expression may read the event user's
	// Okta profile beyond what the event itself carries: user.profile as a
	// whole or any field of it but login and email, or user as a whole
	// (handed on, it can be read anywhere).
	ReadsProfile bool
	prg          cel.Program
}

// macroVarRE matches the variable a macro call binds: exists(g, …).
var macroVarRE = regexp.MustCompile(`^\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,`)

// listNullRE matches comparing a list with null, which CEL's types reject
// (event.target != null).
var listNullRE = regexp.MustCompile(`no matching overload for '_[!=]=_' applied to '\((list\(.*\), null|null, list\(.*\))\)'`)

var undeclaredRE = regexp.MustCompile(`undeclared reference to '([^']+)'`)

// Compile parses and checks src in scope s. The result is shared: callers
// must not modify the Program or the issues.
func (e *Env) Compile(src string, s Scope) (*Program, []Issue) {
	k := s.key() + "\x00" + src
	e.mu.Lock()
	c, ok := e.compiled[k]
	e.mu.Unlock()
	if ok {
		return c.p, c.issues
	}
	p, issues := e.compile(src, s)
	e.mu.Lock()
	e.compiled[k] = compiled{p, issues}
	e.mu.Unlock()
	return p, issues
}

func (e *Env) compile(src string, s Scope) (*Program, []Issue) {
	env, err := e.env(s)
	if err != nil {
		return nil, []Issue{{Code: "expr-type", Msg: err.Error()}}
	}
	parsed, iss := env.Parse(src)
	if iss != nil && iss.Err() != nil {
		if hs := syntaxHints(src); len(hs) > 0 {
			return nil, hintIssues(env, src, hs)
		}
		return nil, issues(src, iss, "expr-syntax", nil, nil)
	}
	checked, iss := env.Check(parsed)
	if iss != nil && iss.Err() != nil {
		return nil, issues(src, iss, "expr-type", e, parsed.NativeRep())
	}
	prg, err := program(env, checked)
	if err != nil {
		return nil, []Issue{{Code: "expr-type", Msg: err.Error()}}
	}
	p := &Program{Src: src, Type: checked.OutputType(), prg: prg}
	p.Refs, p.ReadsProfile = refs(checked.NativeRep(), src)
	return p, nil
}

// program plans a checked expression. cel-go panics while folding some
// constants (a map literal with a bytes key, found by FuzzCompile), and
// bad input must never panic (SPEC §10).
func program(env *cel.Env, checked *cel.Ast) (prg cel.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			prg, err = nil, fmt.Errorf("invalid expression: %v", r)
		}
	}()
	return env.Program(checked, cel.CostLimit(CostLimit), cel.EvalOptions(cel.OptOptimize))
}

// issues converts CEL's errors; e, when not nil, names the functions an
// unknown function is matched against, and the fields an undefined field
// of parsed is.
func issues(src string, iss *cel.Issues, code string, e *Env, parsed *ast.AST) []Issue {
	var funcs []string
	if e != nil {
		funcs = e.funcs
	}
	var out []Issue
	var bound []string // variables a misspelt macro would have bound
	for _, er := range iss.Errors() {
		c := code
		msg := er.Message
		off := offsetOf(src, er.Location.Line(), er.Location.Column())
		if m := undeclaredRE.FindStringSubmatch(msg); m != nil && strings.HasPrefix(src[off:], "(") {
			// CEL places a call at its "(": report the name before it.
			c = "undefined-function"
			msg = fmt.Sprintf("undefined function %q", m[1])
			if cand, ok := diag.Closest(m[1], funcs); ok {
				msg += fmt.Sprintf("; did you mean %q?", cand)
				if v := macroVarRE.FindStringSubmatch(src[off:]); v != nil && e.macros[cand] {
					bound = append(bound, v[1])
				}
			}
			if before := strings.TrimRight(src[:off], " \t\r\n"); strings.HasSuffix(before, m[1]) {
				off = len(before) - len(m[1])
			}
		} else if f := undefinedFieldRE.FindStringSubmatch(msg); f != nil && e != nil {
			c, msg = "undefined-field", e.undefinedField(parsed, er.Location, f[1])
			// CEL places a selection at its ".": report the field.
			if rest := strings.TrimLeft(src[off:], ".? \t\r\n"); strings.HasPrefix(rest, f[1]) {
				off = len(src) - len(rest)
			}
		} else if m != nil && slices.Contains(bound, m[1]) {
			continue
		} else if m != nil {
			c = "undefined-variable"
			msg = fmt.Sprintf("undefined variable %q", m[1])
			if cand, ok := diag.Closest(m[1], Globals()); ok {
				msg += fmt.Sprintf("; did you mean %q?", cand)
			}
		}
		if c == "expr-syntax" {
			msg = "CEL syntax error: " + strings.TrimPrefix(msg, "Syntax error: ")
		}
		if c == "expr-type" {
			// A nullable field of the event is named by its type.
			msg = wrapperRE.ReplaceAllString(msg, "$1")
			if listNullRE.MatchString(msg) {
				msg += "; a list is not compared with null: test it with size(...) > 0, or write dyn(...) != null for a JSON null"
			}
		}
		out = append(out, Issue{Offset: off, Code: c, Msg: msg})
	}
	return dropNamespaces(src, out)
}

// dropNamespaces drops an undefined variable that is only the namespace of
// an undefined function (math in math.gretest(…)): one mistake, one issue.
func dropNamespaces(src string, in []Issue) []Issue {
	out := in[:0:0]
	for _, is := range in {
		ns := false
		if is.Code == "undefined-variable" {
			for _, f := range in {
				if f.Code == "undefined-function" && f.Offset > is.Offset && strings.HasSuffix(strings.TrimSpace(src[is.Offset:f.Offset]), ".") {
					ns = true
				}
			}
		}
		if !ns {
			out = append(out, is)
		}
	}
	return out
}

// offsetOf converts a CEL location (1-based line, 0-based rune column) to
// a byte offset in src.
func offsetOf(src string, line, col int) int {
	if line < 1 {
		return 0
	}
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(src[off:], '\n')
		if i < 0 {
			return len(src)
		}
		off += i + 1
	}
	for c := 0; c < col && off < len(src); c++ {
		_, size := decodeRune(src[off:])
		off += size
	}
	return off
}

func decodeRune(s string) (rune, int) {
	// Not len(string(r)): an invalid byte decodes to U+FFFD, 3 bytes long.
	return utf8.DecodeRuneInString(s)
}

// refs walks a checked AST for steps./vars./inputs. selections, as field
// selects (steps.x.output) or constant-string indexes (steps["x"]), and
// tells whether it may read the user's profile (see Program.ReadsProfile).
func refs(a *ast.AST, src string) ([]Ref, bool) {
	if a == nil {
		return nil, false
	}
	profile := false
	info := a.SourceInfo()
	var out []Ref
	var visit func(e ast.Expr)
	// chain returns the root identifier and the path of a select/index chain.
	var chain func(e ast.Expr) (string, []string, int64, bool)
	chain = func(e ast.Expr) (string, []string, int64, bool) {
		switch e.Kind() {
		case ast.IdentKind:
			return e.AsIdent(), nil, e.ID(), true
		case ast.SelectKind:
			sel := e.AsSelect()
			if sel.IsTestOnly() {
				return "", nil, 0, false
			}
			root, path, id, ok := chain(sel.Operand())
			if !ok {
				return "", nil, 0, false
			}
			return root, append(path, sel.FieldName()), id, true
		case ast.CallKind:
			call := e.AsCall()
			if (call.FunctionName() == "_[_]" || call.FunctionName() == "_[?_]") && len(call.Args()) == 2 {
				k := call.Args()[1]
				if k.Kind() == ast.LiteralKind {
					if sv, ok := k.AsLiteral().(types.String); ok {
						root, path, id, ok := chain(call.Args()[0])
						if !ok {
							return "", nil, 0, false
						}
						return root, append(path, string(sv)), id, true
					}
				}
			}
		}
		return "", nil, 0, false
	}
	visit = func(e ast.Expr) {
		if root, path, _, ok := chain(e); ok && root == "user" {
			// user.id, user.alternateId, user.profile.login and
			// user.profile.email come from the event; anything else of the
			// profile, or the whole user, needs the profile read.
			if len(path) == 0 || path[0] == "profile" && (len(path) == 1 || path[1] != "login" && path[1] != "email") {
				profile = true
			}
			return
		}
		if root, path, id, ok := chain(e); ok && len(path) > 0 && (root == "steps" || root == "vars" || root == "inputs") {
			off := 0
			if r, ok := info.GetOffsetRange(id); ok {
				// CEL offsets count runes; Ref.Offset is a byte offset.
				off = offsetOf(src, 1, int(r.Start))
			}
			out = append(out, Ref{Root: root, Name: path[0], Path: path[1:], Offset: off})
			return
		}
		switch e.Kind() {
		case ast.SelectKind:
			visit(e.AsSelect().Operand())
		case ast.CallKind:
			c := e.AsCall()
			if c.IsMemberFunction() {
				visit(c.Target())
			}
			for _, a := range c.Args() {
				if isNullCheck(c, a) {
					continue // user != null reads no profile
				}
				visit(a)
			}
		case ast.ListKind:
			for _, el := range e.AsList().Elements() {
				visit(el)
			}
		case ast.MapKind:
			for _, en := range e.AsMap().Entries() {
				me := en.AsMapEntry()
				visit(me.Key())
				visit(me.Value())
			}
		case ast.StructKind:
			for _, f := range e.AsStruct().Fields() {
				visit(f.AsStructField().Value())
			}
		case ast.ComprehensionKind:
			c := e.AsComprehension()
			visit(c.IterRange())
			visit(c.AccuInit())
			visit(c.LoopCondition())
			visit(c.LoopStep())
			visit(c.Result())
		}
	}
	visit(a.Expr())
	// Keep only the longest chain per offset (a.b.c also yields a.b via
	// macros); order by offset.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Offset < out[j].Offset })
	return out, profile
}

// isNullCheck reports whether arg is a bare identifier compared with null
// by call (user != null, null == user).
func isNullCheck(call ast.CallExpr, arg ast.Expr) bool {
	if fn := call.FunctionName(); fn != "_==_" && fn != "_!=_" || len(call.Args()) != 2 || arg.Kind() != ast.IdentKind {
		return false
	}
	for _, a := range call.Args() {
		if a.Kind() == ast.LiteralKind && a.AsLiteral() == types.NullValue {
			return true
		}
	}
	return false
}

// Eval evaluates the program with the given variables, returning a plain
// Go value (map[string]any, []any, string, int64, float64, bool, nil...).
func (p *Program) Eval(vars map[string]any) (any, error) {
	out, _, err := p.prg.Eval(vars)
	if err != nil {
		return nil, err
	}
	return toNative(out.Value()), nil
}

// IsDyn reports whether t is dyn (its type is only known at run time).
func IsDyn(t *cel.Type) bool {
	return t == nil || t.Kind() == types.DynKind || t.Kind() == types.AnyKind || t.Kind() == types.ErrorKind
}

// IsBool reports whether t is bool or dyn.
func IsBool(t *cel.Type) bool { return IsDyn(t) || t.Kind() == types.BoolKind }

// IsObject reports whether t is one of the object types of the event
// (okta.LogEvent, okta.LogTarget, jml.User, ...).
func IsObject(t *cel.Type) bool { return t != nil && t.Kind() == types.StructKind }

// IsList reports whether t is a list or dyn.
func IsList(t *cel.Type) bool { return IsDyn(t) || t.Kind() == types.ListKind }
