package expr

import (
	"fmt"
	"regexp"
	"strconv"

	"cel.dev/cel-go/common"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"

	"github.com/jml-dev/jml/pkg/diag"
)

var undefinedFieldRE = regexp.MustCompile(`^undefined field '([^']+)'$`)

// undefinedField explains CEL's "undefined field" at loc: what lacks the
// field (event.outcome, of type okta.LogOutcome) and the field meant — the
// nearest of its fields by diag.Closest, user.profile.NAME for an
// attribute of the user's profile, or else how to read a field Okta's
// description does not list. When the select at loc is not found, or its
// operand's type is not known without the checker (the result of a
// function), it says only which field is undefined.
func (e *Env) undefinedField(a *ast.AST, loc common.Location, field string) string {
	plain := fmt.Sprintf("undefined field %q", field)
	if a == nil {
		return plain
	}
	info := a.SourceInfo()
	var operand ast.Expr
	var typ *types.Type
	var visit func(x ast.Expr, vars map[string]*types.Type)
	visit = func(x ast.Expr, vars map[string]*types.Type) {
		if operand != nil {
			return
		}
		if op, name, ok := selection(x); ok && name == field {
			if l := info.GetStartLocation(x.ID()); l.Line() == loc.Line() && l.Column() == loc.Column() {
				operand, typ = op, e.staticType(op, vars)
				return
			}
		}
		switch x.Kind() {
		case ast.SelectKind:
			visit(x.AsSelect().Operand(), vars)
		case ast.CallKind:
			c := x.AsCall()
			if c.IsMemberFunction() {
				visit(c.Target(), vars)
			}
			for _, arg := range c.Args() {
				visit(arg, vars)
			}
		case ast.ListKind:
			for _, el := range x.AsList().Elements() {
				visit(el, vars)
			}
		case ast.MapKind:
			for _, en := range x.AsMap().Entries() {
				visit(en.AsMapEntry().Key(), vars)
				visit(en.AsMapEntry().Value(), vars)
			}
		case ast.StructKind:
			for _, f := range x.AsStruct().Fields() {
				visit(f.AsStructField().Value(), vars)
			}
		case ast.ComprehensionKind:
			c := x.AsComprehension()
			visit(c.IterRange(), vars)
			visit(c.AccuInit(), vars)
			inner := make(map[string]*types.Type, len(vars)+3)
			for k, v := range vars {
				inner[k] = v
			}
			inner[c.AccuVar()] = nil
			if c.HasIterVar2() {
				inner[c.IterVar()], inner[c.IterVar2()] = nil, nil
			} else if rt := e.staticType(c.IterRange(), vars); rt != nil && rt.Kind() == types.ListKind {
				inner[c.IterVar()] = rt.Parameters()[0]
			} else {
				inner[c.IterVar()] = nil
			}
			visit(c.LoopCondition(), inner)
			visit(c.LoopStep(), inner)
			delete(inner, c.IterVar())
			visit(c.Result(), inner)
		}
	}
	visit(a.Expr(), nil)
	ot := e.objectOf(typ)
	if ot == nil {
		return plain
	}
	what := typ.TypeName()
	path, rendered := render(operand)
	if rendered {
		what = fmt.Sprintf("%s (%s)", path, typ.TypeName())
	}
	msg := fmt.Sprintf("%s has no field %q", what, field)
	switch cand, ok := diag.Closest(field, ot.names); {
	case ok:
		return msg + fmt.Sprintf("; did you mean %q?", cand)
	case ot.name == userType && rendered:
		return msg + fmt.Sprintf(": the attributes of the user's Okta profile are read as %s.profile.%s", path, field)
	case rendered:
		return msg + fmt.Sprintf(": Okta's System Log description lists none by that name (to read it anyway: dyn(%s).%s)", path, field)
	}
	return msg
}

// selection returns the operand and field of a field selection, plain
// (a.b) or optional (a.?b).
func selection(x ast.Expr) (ast.Expr, string, bool) {
	switch x.Kind() {
	case ast.SelectKind:
		s := x.AsSelect()
		return s.Operand(), s.FieldName(), true
	case ast.CallKind:
		c := x.AsCall()
		if c.FunctionName() == "_?._" && len(c.Args()) == 2 && c.Args()[1].Kind() == ast.LiteralKind {
			if f, ok := c.Args()[1].AsLiteral().(types.String); ok {
				return c.Args()[0], string(f), true
			}
		}
	}
	return nil, "", false
}

// staticType is the type of x as far as the declarations of event, user,
// group and app tell it without the checker: identifiers, field
// selections and list indexes; vars are the comprehension variables in
// scope (nil: not known). It returns nil when it cannot tell.
func (e *Env) staticType(x ast.Expr, vars map[string]*types.Type) *types.Type {
	switch x.Kind() {
	case ast.IdentKind:
		if t, ok := vars[x.AsIdent()]; ok {
			return t
		}
		switch x.AsIdent() {
		case "event":
			return types.NewObjectType(eventType)
		case "user":
			return types.NewObjectType(userType)
		case "group", "app":
			return types.NewObjectType(targetType)
		}
	case ast.SelectKind, ast.CallKind:
		if op, f, ok := selection(x); ok {
			if ot := e.objectOf(e.staticType(op, vars)); ot != nil {
				return ot.fields[f]
			}
			return nil
		}
		if c := x.AsCall(); (c.FunctionName() == "_[_]" || c.FunctionName() == "_[?_]") && len(c.Args()) == 2 {
			if t := e.staticType(c.Args()[0], vars); t != nil && t.Kind() == types.ListKind {
				return t.Parameters()[0]
			}
		}
	}
	return nil
}

func (e *Env) objectOf(t *types.Type) *objectType {
	if t == nil || t.Kind() != types.StructKind {
		return nil
	}
	return e.objects[t.TypeName()]
}

// render writes a chain of identifiers, selections and constant indexes
// back as source (event.target[0]); it reports false for anything else.
func render(x ast.Expr) (string, bool) {
	switch x.Kind() {
	case ast.IdentKind:
		return x.AsIdent(), true
	case ast.SelectKind:
		s := x.AsSelect()
		if s.IsTestOnly() {
			return "", false
		}
		op, ok := render(s.Operand())
		return op + "." + s.FieldName(), ok
	case ast.CallKind:
		c := x.AsCall()
		if op, f, ok := selection(x); ok {
			r, ok := render(op)
			return r + ".?" + f, ok
		}
		if c.FunctionName() == "_[_]" && len(c.Args()) == 2 && c.Args()[1].Kind() == ast.LiteralKind {
			if i, ok := c.Args()[1].AsLiteral().(types.Int); ok {
				op, ok := render(c.Args()[0])
				return op + "[" + strconv.FormatInt(int64(i), 10) + "]", ok
			}
		}
	}
	return "", false
}
