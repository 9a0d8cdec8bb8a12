package expr

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
)

//go:generate go run ./internal/gen -spec ../../testdata/vendor-specs/okta-management.json -out logtypes.go

// logObject and logField are the rows of logtypes.go.
type logObject struct {
	Name   string
	Fields []logField
}

type logField struct{ Name, Type string }

// The CEL names of the typed variables: event is Okta's LogEvent; group
// and app are the event's first target of their type, as Okta writes it;
// user is the first target of type User with the profile jml adds.
const (
	eventType  = "okta.LogEvent"
	targetType = "okta.LogTarget"
	userType   = "jml.User"
)

// objectType is a CEL struct type whose values are the plain maps of
// decoded JSON: it gives the checker field names and types, and leaves
// field selection and has() to CEL's handling of maps, so that a typed
// expression evaluates as it would over dyn.
type objectType struct {
	name   string
	fields map[string]*types.Type
	names  []string // sorted
}

func (o *objectType) HasTrait(t int) bool {
	return t == traits.FieldTesterType || t == traits.IndexerType
}
func (o *objectType) TypeName() string          { return o.name }
func (o *objectType) ReflectType() reflect.Type { return nil }
func (o *objectType) FieldNames() []string      { return o.names }

func (o *objectType) FindFieldType(name string) (*types.FieldType, bool) {
	t, ok := o.fields[name]
	if !ok {
		return nil, false
	}
	// No IsSet/GetFrom: selection falls back to map access.
	return &types.FieldType{Type: t}, true
}

// NewValue builds the map an object literal (okta.LogOutcome{result:
// "SUCCESS"}) stands for.
func (o *objectType) NewValue(a types.Adapter, fields map[string]ref.Val) ref.Val {
	m := make(map[ref.Val]ref.Val, len(fields))
	for k, v := range fields {
		m[types.String(k)] = v
	}
	return types.NewRefValMap(a, m)
}

func (o *objectType) Adapt(types.Adapter, any) ref.Val {
	return types.NewErr("%s has no Go representation", o.name)
}

// objectTypes builds the CEL types of logObjects and of jml.User, by CEL
// name.
func objectTypes() (map[string]*objectType, error) {
	known := map[string]bool{}
	var target []logField
	for _, o := range logObjects {
		known[o.Name] = true
		if o.Name == "LogTarget" {
			target = o.Fields
		}
	}
	if !known["LogEvent"] || target == nil {
		return nil, errors.New("logtypes.go lacks LogEvent or LogTarget")
	}
	out := map[string]*objectType{}
	add := func(name string, fields []logField) error {
		ot := &objectType{name: name, fields: map[string]*types.Type{}}
		for _, f := range fields {
			t, err := celType(f.Type, known, false)
			if err != nil {
				return fmt.Errorf("%s.%s: %w", name, f.Name, err)
			}
			ot.fields[f.Name] = t
			ot.names = append(ot.names, f.Name)
		}
		slices.Sort(ot.names)
		out[name] = ot
		return nil
	}
	for _, o := range logObjects {
		if err := add("okta."+o.Name, o.Fields); err != nil {
			return nil, err
		}
	}
	// user: the target's fields and the Okta profile, free-form.
	if err := add(userType, append(slices.Clip(target), logField{"profile", "dyn"})); err != nil {
		return nil, err
	}
	return out, nil
}

// celType reads a type of logtypes.go. A scalar field is nullable (Okta
// writes null for a field it has no value of: "reason": null), so that
// field != null is well typed; a list's elements are not.
func celType(s string, known map[string]bool, inList bool) (*types.Type, error) {
	var t *types.Type
	switch s {
	case "dyn":
		return types.DynType, nil
	case "string":
		t = types.StringType
	case "int":
		t = types.IntType
	case "double":
		t = types.DoubleType
	case "bool":
		t = types.BoolType
	default:
		if el, ok := strings.CutPrefix(s, "list("); ok && strings.HasSuffix(el, ")") {
			et, err := celType(strings.TrimSuffix(el, ")"), known, true)
			if err != nil {
				return nil, err
			}
			return types.NewListType(et), nil
		}
		if !known[s] {
			return nil, fmt.Errorf("unknown type %q", s)
		}
		return types.NewObjectType("okta." + s), nil
	}
	if inList {
		return t, nil
	}
	return types.NewNullableType(t), nil
}

// typedVariables declares event, user, group and app with their types.
func typedVariables() ([]cel.EnvOption, map[string]*objectType, error) {
	objs, err := objectTypes()
	if err != nil {
		return nil, nil, err
	}
	var ts []any
	for _, n := range sortedNames(objs) {
		ts = append(ts, objs[n])
	}
	return []cel.EnvOption{
		cel.Types(ts...),
		cel.Variable("event", types.NewObjectType(eventType)),
		cel.Variable("user", types.NewObjectType(userType)),
		cel.Variable("group", types.NewObjectType(targetType)),
		cel.Variable("app", types.NewObjectType(targetType)),
	}, objs, nil
}

func sortedNames(m map[string]*objectType) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

var wrapperRE = regexp.MustCompile(`wrapper\(([a-z]+)\)`)

// TypeName renders a CEL type for messages: a nullable field of the event
// is named by its type (string, not wrapper(string)).
func TypeName(t *cel.Type) string {
	if t == nil {
		return "dyn"
	}
	return wrapperRE.ReplaceAllString(t.String(), "$1")
}

// BoolHint suggests a boolean test of src, an expression of type t that is
// not bool, for a "did you mean": src != "" for a string, size(src) > 0
// for a list or map, src != null for an object. It reports false when it
// has none, src spans lines or is a literal.
func BoolHint(src string, t *cel.Type) (string, bool) {
	src = strings.TrimSpace(src)
	if t == nil || src == "" || strings.ContainsAny(src, "\r\n") {
		return "", false
	}
	if c := src[0]; c != '_' && c != '(' && !('a' <= c && c <= 'z') && !('A' <= c && c <= 'Z') {
		return "", false // a literal ("yes", 1, [1]): no test of it was meant
	}
	operand := src
	if strings.ContainsAny(src, "?|&") {
		operand = "(" + src + ")"
	}
	switch t.Kind() {
	case types.StringKind:
		return operand + ` != ""`, true
	case types.IntKind:
		return operand + " != 0", true
	case types.UintKind:
		return operand + " != 0u", true
	case types.DoubleKind:
		return operand + " != 0.0", true
	case types.ListKind, types.MapKind:
		return "size(" + src + ") > 0", true
	case types.StructKind:
		return operand + " != null", true
	}
	return "", false
}
