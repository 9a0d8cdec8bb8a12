package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/expr"
)

// baseScope builds the variables every expression of a run sees (SPEC §4):
// event, user, group, app, changed, run.
func (x *exec) baseScope(f *compile.Flow) map[string]any {
	s := map[string]any{
		"event": nil, "user": nil, "group": nil, "app": nil,
		"changed": []string{},
		"run":     map[string]any{"id": x.run.ID, "flow": f.Name, "mode": string(x.e.opts.Mode), "startedAt": x.trigger.At},
		"request": nil,
	}
	if x.trigger.Request != nil {
		s["request"] = x.trigger.Request
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

// ProfileCard is the path of the profile read in a run's trace and
// journal.
const ProfileCard = "trigger.profile"

// ProfileRetry is the retry policy of the profile read: a read is safe to
// repeat, and a run should not halt on one 429.
var ProfileRetry = compile.RetryPolicy{Attempts: 3, Interval: time.Second, Backoff: 2, MaxInterval: 30 * time.Second}

// profileUser returns the Okta id of the user whose profile run of f must
// read, or "" when it reads none: the flow does not read user.profile
// beyond login and email, the trigger is not an event about a user with
// an id, or there is no okta instance.
func (x *exec) profileUser(f *compile.Flow) string {
	if !f.ReadsProfile || x.e.opts.ProfileFrom == "" || x.trigger.Event == nil {
		return ""
	}
	u := x.trigger.Event.Target("User")
	if u == nil {
		return ""
	}
	id, _ := u["id"].(string)
	return id
}

// readProfile reads the event user's Okta profile with okta.getUser, as a
// card of the run (traced, journaled, retried like any read), and puts it
// at user.profile. In every mode it goes through the effector: the
// simulated world in dry-run, plan and test (the card says so), Okta in
// apply. A failed read halts the run: its flow reads the profile, and a
// guess would decide the wrong thing.
func (x *exec) readProfile(ctx context.Context, f *compile.Flow, userID string) *ErrorInfo {
	inst := x.e.opts.ProfileFrom
	action := inst + ".getUser"
	input := map[string]any{"userId": userID}
	ct := &CardTrace{Path: ProfileCard, Name: "user.profile", Kind: "action", Flow: f.Name, Action: action, Input: input,
		StartedAt: x.e.opts.Clock.Now()}
	x.run.Cards = append(x.run.Cards, ct)
	obs := x.e.opts.Observer
	obs.CardStarted(x.run, ct)
	sum := sha256.Sum256([]byte(x.key + "\x00" + x.run.Flow + "\x00" + ProfileCard))
	req := effect.Request{Instance: inst, Type: "okta", Action: "getUser", Input: input,
		IdempotencyKey: "jml-" + hex.EncodeToString(sum[:16]), RunID: x.run.ID, Card: ProfileCard}
	ci := &effect.CallInfo{}
	out, eerr, attempts := x.callWithRetry(effect.WithCallInfo(ctx, ci), ProfileRetry, req)
	ct.Attempts, ct.ReusedFrom = attempts, ci.ReusedFrom
	defer func() {
		ct.Duration = x.e.opts.Clock.Now().Sub(ct.StartedAt)
		obs.CardFinished(x.run, ct)
	}()
	if eerr != nil {
		ct.Status = CardFailed
		ct.Error = &ErrorInfo{Card: ProfileCard, Action: action, Message: "reading user.profile: " + eerr.Message, Status: eerr.Status,
			Code: eerr.Code, Retryable: eerr.Retryable, Attempts: attempts}
		return ct.Error
	}
	ct.Status, ct.Output = CardSuccess, out
	if ci.Simulated {
		ct.Message = SimulatedProfile
		x.run.Simulated = append(x.run.Simulated, SimulatedProfile)
	}
	p, _ := out["profile"].(map[string]any)
	user, _ := x.base["user"].(map[string]any)
	if user == nil {
		return nil
	}
	profile, _ := user["profile"].(map[string]any)
	merged := make(map[string]any, len(profile)+len(p))
	for k, v := range profile {
		merged[k] = v
	}
	for k, v := range p {
		merged[k] = v
	}
	user["profile"] = merged
	return nil
}

// SimulatedProfile marks a run whose user.profile came from the simulated
// world, not from Okta: apply reads Okta, which may hold other values.
const SimulatedProfile = "user.profile from the simulated world (apply reads it from Okta)"

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
