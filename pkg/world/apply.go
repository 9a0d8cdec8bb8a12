package world

import (
	"fmt"
	"strings"

	"github.com/jml-dev/jml/pkg/diag"
)

// instanceKeys are the keys a world file may give an instance of each type.
var instanceKeys = map[string][]string{
	"okta":            {"users", "groups"},
	"slack":           {"users"},
	"google":          {"users", "groups"},
	"microsoft":       {"users", "groups", "skus"},
	"servicenow":      {"records"},
	"salesforce":      {"users"},
	"github":          {"members"},
	"jira":            {"issues"},
	"http":            {"responses"},
	"activedirectory": {"users", "groups"},
	"email":           {},
	"table":           {"rows"},
}

// Apply seeds the world from a world file. Each instance the spec describes
// is replaced by exactly what it lists and becomes "described": a closed
// world (an unknown group there is a 404) that events never seed. The
// spec's faults are added after any the world already has.
//
// Apply reports, as a diag.ErrorList (nil when there is none), the error
// diagnostics of the spec at their place in the world file: instances
// jml.yaml does not define (with a did-you-mean), keys or values that do
// not fit the instance's type, faults naming an unknown instance or action.
// What is wrong is left out; the rest is applied. Check gives the same
// diagnostics without a world.
func (w *World) Apply(s *Spec) error {
	return w.apply(s).Err()
}

// Check checks a spec against the instances of jml.yaml, as Apply would
// (for `jml validate` and test files), and returns its diagnostics.
func (s *Spec) Check(instances []Instance) diag.Diagnostics {
	return New(instances, nil).apply(s)
}

func (w *World) apply(s *Spec) diag.Diagnostics {
	if s == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	clear(w.seeded) // instances described now are seeded no more
	clear(w.roster.joiners)
	r := &reader{spec: s}
	known := sortedKeys(w.instances)
	for _, name := range sortedKeys(s.Instances) {
		ptr := obj{ptr: ""}.child(name)
		inst := w.instances[name]
		if inst == nil {
			r.errAt(ptr, true, "unknown-instance", "%s", unknownInstance(name, known))
			continue
		}
		m := inst.newModel(w.spool)
		if m == nil {
			r.errAt(ptr, true, "unknown-type", "the world has no model of connector type %q", inst.typ)
			continue
		}
		o := obj{r: r, ptr: ptr, m: s.Instances[name]}
		o.allow(fmt.Sprintf("instance %q (type %s)", name, inst.typ), instanceKeys[inst.typ]...)
		m.load(o)
		inst.m = m
		inst.described = true
	}
	for i, f := range s.Faults {
		if w.checkFault(r, f, i, known) {
			w.addFaults([]Fault{f})
		}
	}
	return r.ds
}

func unknownInstance(name string, known []string) string {
	msg := fmt.Sprintf("the world describes instance %q, which jml.yaml does not define", name)
	if s, ok := diag.Closest(name, known); ok {
		return msg + fmt.Sprintf("; did you mean %q?", s)
	}
	if len(known) > 0 {
		return msg + " (its connectors are " + strings.Join(known, ", ") + ")"
	}
	return msg
}

// checkFault reports a fault on an unknown instance or action.
func (w *World) checkFault(r *reader, f Fault, i int, known []string) bool {
	at := f.at
	if at.File == "" && r.spec.file == nil {
		at = r.spec.where
	}
	report := func(code, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if r.spec.root == nil {
			msg = fmt.Sprintf("faults[%d]: %s", i, msg)
		}
		r.ds = append(r.ds, diag.Diagnostic{Severity: diag.Error, Code: code, Message: msg, Range: at})
	}
	dot := strings.LastIndexByte(f.Action, '.')
	if dot < 0 {
		report("invalid-value", "%q is not a fault action: write INSTANCE.ACTION or INSTANCE.*", f.Action)
		return false
	}
	name, action := f.Action[:dot], f.Action[dot+1:]
	inst := w.instances[name]
	if inst == nil {
		report("unknown-instance", "fault on %s: %s", f.Action, unknownInstance(name, known))
		return false
	}
	if action == "*" {
		return true
	}
	if _, ok := catalogAction(inst.typ, action); !ok {
		msg := fmt.Sprintf("fault on %s: a %s connector has no action %q", f.Action, inst.typ, action)
		if c := connectors()[inst.typ]; c != nil {
			if s, ok := diag.Closest(action, c.ActionNames()); ok {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
		}
		report("unknown-action", "%s", msg)
		return false
	}
	return true
}

// lifecycleStatus is the Okta status a lifecycle event leaves its target in.
var lifecycleStatus = map[string]string{
	"user.lifecycle.deactivate": "DEPROVISIONED",
	"user.lifecycle.suspend":    "SUSPENDED",
	"user.lifecycle.unsuspend":  "ACTIVE",
	"user.lifecycle.activate":   "ACTIVE",
	"user.lifecycle.reactivate": "ACTIVE",
}

// SeedEvent seeds the world from one event, as it is processed (SPEC §6).
// users are the users the event names; targetUserID (an Okta id or login)
// is the one the event is about — its first User target — and when it is
// empty every user in users is.
//
// In every instance that no world file describes, each user is made to
// exist and be active: in Okta with its id, login, email and a profile
// (first and last name from the display name, then the event's profile
// fields); in the email-keyed apps (Slack, Google, Microsoft, Salesforce,
// Active Directory, GitHub) under its login. A user that already exists is
// never overwritten. Two exceptions:
//   - the target of user.lifecycle.create is seeded into Okta as STAGED; in
//     the apps whose accounts flows create (a createUser action: Slack) it
//     is not seeded, now or by a later event, until an event ends its access
//     (deactivate, suspend, delete) — the joiner creates that account, and
//     by the time a leaver runs it has it; in the other apps it is seeded,
//     as Okta provisions them (group push, app assignment);
//   - every Okta instance, described or not, reflects the lifecycle the
//     event records: after user.lifecycle.deactivate its target is
//     DEPROVISIONED, after suspend SUSPENDED, after unsuspend, activate or
//     reactivate ACTIVE.
func (w *World) SeedEvent(users []User, eventType, targetUserID string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	isTarget := func(u User) bool {
		return targetUserID == "" || u.ID == targetUserID || (u.Login != "" && strings.EqualFold(u.Login, targetUserID))
	}
	names := w.names
	for _, u := range users {
		if u.ID == "" && u.Login == "" {
			continue
		}
		joiner := eventType == "user.lifecycle.create" && isTarget(u)
		if joiner {
			w.markJoiner(u)
		}
		if endsAccess[eventType] && isTarget(u) {
			w.unmarkJoiner(u)
		}
		// Seeding a user every instance holds changes nothing: no model
		// ever removes a user, and each one's seed returns at once when it
		// finds them (Okta by id, the others by email, which only Okta
		// lets a call change). So a user whose pass below reached every
		// instance (not a joiner: those skip the apps flows create them
		// in) and whom Okta holds by id is remembered and not seeded again.
		key := seedKey{u.ID, u.Login}
		remember := !w.noSeedMemo && u.ID != "" && len(u.Profile) == 0
		if _, done := w.seeded[key]; done && remember {
			continue
		}
		if w.lazy() {
			// The roster takes the user; each instance takes it from
			// there when something could see it (roster.go).
			isJoiner := w.isJoiner(u)
			if remember && isJoiner && w.repeats(u, joiner) {
				w.repeated++
				continue
			}
			w.enroll(u, joiner, isJoiner)
			if remember && !isJoiner {
				w.seeded[key] = struct{}{}
			}
			continue
		}
		joinerKnown, isJoiner := false, false
		held := true // by every okta instance, by id
		for _, name := range names {
			inst := w.instances[name]
			if inst.described || inst.m == nil {
				continue
			}
			if o, ok := inst.m.(*oktaModel); ok {
				status := "ACTIVE"
				if joiner {
					status = "STAGED"
				}
				o.seedStatus(u, status)
				held = held && o.users[u.ID] != nil
				continue
			}
			// A joiner's account is created by the joiner flow in the apps
			// jml creates accounts in (a createUser action: Slack); the
			// others are provisioned by Okta (group push), so it is there.
			if inst.createsAccounts {
				if !joinerKnown {
					joinerKnown, isJoiner = true, w.isJoiner(u)
				}
				if isJoiner {
					continue
				}
			}
			inst.m.seed(u)
		}
		if remember && held && !isJoiner {
			w.seeded[key] = struct{}{}
		}
	}
	status, ok := lifecycleStatus[eventType]
	if !ok {
		return
	}
	var targets []string
	if targetUserID != "" {
		targets = []string{targetUserID}
	} else {
		for _, u := range users {
			if u.ID != "" {
				targets = append(targets, u.ID)
			} else if u.Login != "" {
				targets = append(targets, u.Login)
			}
		}
	}
	for _, name := range names {
		o, ok := w.instances[name].m.(*oktaModel)
		if !ok {
			continue
		}
		for _, t := range targets {
			w.pull(w.instances[name], t)
			if ou := o.find(t); ou != nil {
				o.setStatus(ou, status)
			}
		}
	}
}

// createsAccounts reports whether flows create the accounts of a connector
// type themselves (its catalogue has createUser).
func createsAccounts(typ string) bool {
	_, ok := catalogAction(typ, "createUser")
	return ok
}

func (w *World) markJoiner(u User) {
	if u.ID != "" {
		w.joiners["id:"+u.ID] = true
	}
	if e := userEmail(u); e != "" {
		w.joiners["login:"+lower(e)] = true
	}
}

// endsAccess are the events after which a leaver acts on a user's
// accounts, so a joiner's user is seeded everywhere from then on.
var endsAccess = map[string]bool{
	"user.lifecycle.deactivate":       true,
	"user.lifecycle.suspend":          true,
	"user.lifecycle.delete.initiated": true,
	"user.lifecycle.delete.completed": true,
}

func (w *World) unmarkJoiner(u User) {
	if u.ID != "" {
		delete(w.joiners, "id:"+u.ID)
	}
	if e := userEmail(u); e != "" {
		delete(w.joiners, "login:"+lower(e))
	}
}

func (w *World) isJoiner(u User) bool {
	if len(w.joiners) == 0 {
		return false
	}
	return (u.ID != "" && w.joiners["id:"+u.ID]) || w.joiners["login:"+lower(userEmail(u))]
}

// userEmail is the email a user is known by in the email-keyed apps: its
// login when that is an address, else its profile's email.
func userEmail(u User) string {
	if strings.Contains(u.Login, "@") {
		return strings.TrimSpace(u.Login)
	}
	if e, _ := u.Profile["email"].(string); strings.Contains(e, "@") {
		return strings.TrimSpace(e)
	}
	return strings.TrimSpace(u.Login)
}

// userDisplayName is the user's display name, from the event or its
// profile, else derived from its email.
func userDisplayName(u User) string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	if d, _ := u.Profile["displayName"].(string); d != "" {
		return d
	}
	f, _ := u.Profile["firstName"].(string)
	l, _ := u.Profile["lastName"].(string)
	if n := fullName(f, l); n != "" {
		return n
	}
	f, l = names("", userEmail(u))
	return fullName(f, l)
}
