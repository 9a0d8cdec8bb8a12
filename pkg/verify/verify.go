package verify

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/source"
)

// State is what an app says about one user's account.
type State string

const (
	// Active is an account the user can sign in with.
	Active State = "active"
	// Disabled is an account that exists but is suspended, deactivated,
	// frozen or disabled; Cell.Detail says which.
	Disabled State = "disabled"
	// Absent is no account at all (the read answered 404).
	Absent State = "absent"
	// Error is a read that failed otherwise; Cell.Detail is the message.
	Error State = "error"
	// NotChecked is an account verify did not ask about, and so never
	// shows as gone: which account is the user's is not known (a github
	// or activedirectory instance without accountIdFrom, a user whose Okta
	// profile lacks the attribute) or the app cannot be asked (a github
	// instance without org:). Cell.Detail says why.
	NotChecked State = "notChecked"
)

// Cell is one user in one app.
type Cell struct {
	State State `json:"state"`
	// Detail says which kind of disabled (DEPROVISIONED, suspended,
	// accountEnabled false, frozen…), the Okta status of an active Okta
	// user, the error message, or why the account was not checked.
	Detail string `json:"detail,omitempty"`
	// Orphan marks an account still active for a user deactivated in Okta.
	Orphan bool `json:"orphan,omitempty"`
}

// Instance is a connector instance of jml.yaml that holds accounts.
type Instance struct {
	// Name is the instance name (the key under connectors:).
	Name string
	// Type is the connector type.
	Type string
	// Org is the github instance's org: setting.
	Org string
	// AccountIDFrom is the instance's accountIdFrom: the Okta profile
	// attribute holding the user's account id in the app, written
	// user.profile.NAME; "" when not set.
	AccountIDFrom string
}

// accountRead is how verify asks a connector type about a user's account.
type accountRead struct {
	// action is the read.
	action string
	// key is the read's input that names the account.
	key string
	// byLogin is set when the account is keyed by the Okta login (the
	// email-keyed apps; Okta itself). The other keys cannot be derived
	// from the login — a GitHub username is the person's own choice, a
	// sAMAccountName is often jdoe for jane.doe@ — so without accountIdFrom
	// such an account is not checked rather than guessed: a wrong guess
	// answers 404, which would read as a green "absent".
	byLogin bool
	// attr is the profile attribute a message suggests for accountIdFrom.
	attr string
	// what names the key in a message.
	what string
}

// reads are the account reads per connector type; types without one
// (servicenow, jira, http, email) hold no accounts.
var reads = map[string]accountRead{
	"okta":            {action: "getUser", key: "userId", byLogin: true},
	"slack":           {action: "lookupUserByEmail", key: "email", byLogin: true},
	"google":          {action: "getUser", key: "userKey", byLogin: true},
	"microsoft":       {action: "getUser", key: "userId", byLogin: true},
	"salesforce":      {action: "getUser", key: "username", byLogin: true},
	"github":          {action: "getOrgMembership", key: "username", attr: "githubUsername", what: "a GitHub username"},
	"activedirectory": {action: "getUser", key: "sAMAccountName", attr: "samAccountName", what: "a sAMAccountName"},
}

// ReadAction returns the action verify calls on a connector type, and
// whether the type holds accounts at all.
func ReadAction(typ string) (string, bool) {
	r, ok := reads[typ]
	return r.action, ok
}

// KeyedByLogin reports whether verify finds a connector type's account by
// the user's Okta login without accountIdFrom (slack, google, microsoft,
// salesforce); github and activedirectory need accountIdFrom.
func KeyedByLogin(typ string) bool { return reads[typ].byLogin }

// profilePrefix starts every accountIdFrom.
const profilePrefix = "user.profile."

// Instances returns the instances of cfg that hold accounts, in jml.yaml
// order.
func Instances(cfg *ast.Config) []Instance {
	if cfg == nil {
		return nil
	}
	var out []Instance
	for _, c := range cfg.Connectors {
		if _, ok := reads[c.Type.Value]; !ok {
			continue
		}
		in := Instance{Name: c.Name.Value, Type: c.Type.Value}
		if n := source.Resolve(source.Get(c.Node, "org")); n != nil {
			in.Org = strings.TrimSpace(n.Value)
		}
		if c.Type.Value != "okta" {
			in.AccountIDFrom = strings.TrimSpace(c.AccountIDFrom.Value)
		}
		out = append(out, in)
	}
	return out
}

// User is one user to verify.
type User struct {
	// Login is the Okta login (an email address), when known.
	Login string
	// ID is the Okta user id, when known.
	ID string
	// Deactivated is set for a user taken from a user.lifecycle.deactivate
	// event: without an Okta instance to ask, it makes the user a leaver.
	Deactivated bool
}

// ParseUser reads a USER argument: an email-like login, or an Okta user id
// (or any other key Okta's /users/{id} accepts, such as a login short name).
func ParseUser(arg string) User {
	arg = strings.TrimSpace(arg)
	if strings.Contains(arg, "@") {
		return User{Login: arg}
	}
	return User{ID: arg}
}

// Row is the verification of one user.
type Row struct {
	// User is the login, else the key given.
	User string `json:"user"`
	// ID is the Okta user id, when known.
	ID string `json:"id,omitempty"`
	// Okta is the user in the Okta instance; nil without one.
	Okta *Cell `json:"okta,omitempty"`
	// Leaver is set when Okta has the user DEPROVISIONED or SUSPENDED or
	// not at all (or, without Okta, for a user of a deactivation event).
	Leaver bool `json:"leaver"`
	// Cells are the user in each app of Matrix.Apps, in that order.
	Cells []Cell `json:"-"`
}

// Matrix is the result of a verification: users × apps.
type Matrix struct {
	// Okta is the Okta instance asked about each user's status ("" when
	// jml.yaml has none).
	Okta string
	// Apps are the other account-holding instances, in jml.yaml order.
	Apps []Instance
	// Rows are the users, in input order.
	Rows []Row
	// Orphans counts the accounts still active for leavers.
	Orphans int
	// Errors counts the reads that failed (Okta's included).
	Errors int
	// NotChecked counts the cells verify did not ask about.
	NotChecked int
}

// Options configure Build.
type Options struct {
	// Instances are the account-holding instances (Instances(cfg)). The
	// first okta instance is the one whose status decides who is a leaver;
	// any other is an app like the rest.
	Instances []Instance
	// Effector performs the reads.
	Effector effect.Effector
	// Parallelism bounds the reads in flight (default 4).
	Parallelism int
	// Attempts is how many times a retryable failure (429, 5xx, timeout)
	// is tried (default 3).
	Attempts int
	// Wait sleeps between tries (default: real time, honouring ctx).
	Wait func(ctx context.Context, d time.Duration) error
}

// Build reads every user in every instance and classifies the answers.
// Users are verified concurrently; the matrix is in input order.
func Build(ctx context.Context, opts Options, users []User) *Matrix {
	if opts.Parallelism <= 0 {
		opts.Parallelism = 4
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	if opts.Wait == nil {
		opts.Wait = sleep
	}
	m := &Matrix{Apps: []Instance{}, Rows: make([]Row, len(users))}
	var okta *Instance
	for i := range opts.Instances {
		in := opts.Instances[i]
		if in.Type == "okta" && okta == nil {
			okta = &opts.Instances[i]
			m.Okta = in.Name
			continue
		}
		m.Apps = append(m.Apps, in)
	}
	r := &reader{opts: opts, sem: make(chan struct{}, opts.Parallelism)}
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.Rows[i] = r.row(ctx, okta, m.Apps, u)
		}()
	}
	wg.Wait()
	for _, row := range m.Rows {
		if row.Okta != nil && row.Okta.State == Error {
			m.Errors++
		}
		for _, c := range row.Cells {
			if c.Orphan {
				m.Orphans++
			}
			switch c.State {
			case Error:
				m.Errors++
			case NotChecked:
				m.NotChecked++
			}
		}
	}
	return m
}

type reader struct {
	opts Options
	sem  chan struct{}
}

func (r *reader) row(ctx context.Context, okta *Instance, apps []Instance, u User) Row {
	row := Row{User: u.Login, ID: u.ID, Cells: make([]Cell, len(apps))}
	if row.User == "" {
		row.User = u.ID
	}
	login := u.Login
	// The user's Okta profile, whence accountIdFrom reads; noProfile says
	// why there is none.
	var profile map[string]any
	noProfile := "jml.yaml has no okta instance"
	if okta != nil {
		key := u.ID
		if key == "" {
			key = u.Login
		}
		out, err := r.read(ctx, *okta, map[string]any{"userId": key})
		c := Classify(okta.Type, out, err)
		row.Okta = &c
		switch c.State {
		case Absent:
			noProfile = "the user is not in " + okta.Name
		case Error:
			noProfile = okta.Name + " could not be read"
		}
		if err == nil {
			profile, _ = out["profile"].(map[string]any)
			if profile == nil {
				noProfile = okta.Name + " answered no profile"
			}
			if id, _ := out["id"].(string); id != "" {
				row.ID = id
			}
			if login == "" {
				login = profileLogin(out)
				if login != "" {
					row.User = login
				}
			}
		}
		// An Okta that cannot be read says nothing: fall back on the event.
		row.Leaver = c.State == Disabled || c.State == Absent || (c.State == Error && u.Deactivated)
	} else {
		row.Leaver = u.Deactivated
	}
	var wg sync.WaitGroup
	for i, in := range apps {
		input, skip := inputFor(in, login, u.ID, profile, noProfile)
		if skip != nil {
			row.Cells[i] = *skip
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := r.read(ctx, in, input)
			row.Cells[i] = Classify(in.Type, out, err)
		}()
	}
	wg.Wait()
	for i := range row.Cells {
		if row.Leaver && row.Cells[i].State == Active {
			row.Cells[i].Orphan = true
		}
	}
	return row
}

// profileLogin is the login of an Okta user: profile.login when it is an
// email address, else profile.email.
func profileLogin(out map[string]any) string {
	p, _ := out["profile"].(map[string]any)
	l, _ := p["login"].(string)
	if strings.Contains(l, "@") {
		return l
	}
	if e, _ := p["email"].(string); strings.Contains(e, "@") {
		return e
	}
	return l
}

// inputFor builds the read's input for a user: the account id from the
// Okta profile attribute accountIdFrom names, else the login for the apps
// keyed by it. It returns a cell instead when the app cannot be asked:
// not checked when which account is the user's is not known, an error
// when the user has no login.
func inputFor(in Instance, login, id string, profile map[string]any, noProfile string) (map[string]any, *Cell) {
	rd, ok := reads[in.Type]
	if !ok {
		return nil, &Cell{State: NotChecked, Detail: "connector type " + in.Type + " has no account read"}
	}
	if in.Type == "github" && in.Org == "" {
		return nil, &Cell{State: NotChecked, Detail: "no org: in jml.yaml for this github instance"}
	}
	var key string
	switch {
	case in.AccountIDFrom != "":
		attr, ok := strings.CutPrefix(in.AccountIDFrom, profilePrefix)
		if !ok || attr == "" {
			return nil, &Cell{State: NotChecked, Detail: fmt.Sprintf("accountIdFrom %q is not user.profile.NAME", in.AccountIDFrom)}
		}
		if profile == nil {
			return nil, &Cell{State: NotChecked, Detail: fmt.Sprintf("%s: no %s to look the account up by", noProfile, in.AccountIDFrom)}
		}
		v, _ := profile[attr].(string)
		if key = strings.TrimSpace(v); key == "" {
			return nil, &Cell{State: NotChecked, Detail: fmt.Sprintf("the user's Okta profile has no %s", in.AccountIDFrom)}
		}
	case !rd.byLogin:
		return nil, &Cell{State: NotChecked, Detail: fmt.Sprintf("no accountIdFrom: set accountIdFrom: %s%s on the instance (%s cannot be derived from the login)", profilePrefix, rd.attr, rd.what)}
	case login == "":
		why := "no login to look the user up by"
		if id != "" {
			why = fmt.Sprintf("no login to look the user up by: Okta did not return user %s", id)
		}
		return nil, &Cell{State: Error, Detail: why}
	default:
		key = login
	}
	input := map[string]any{rd.key: key}
	if in.Type == "github" {
		input["org"] = in.Org
	}
	return input, nil
}

// read performs one read, retrying retryable failures.
func (r *reader) read(ctx context.Context, in Instance, input map[string]any) (map[string]any, error) {
	req := effect.Request{Instance: in.Name, Type: in.Type, Action: reads[in.Type].action, Input: input, Card: "verify"}
	for attempt := 1; ; attempt++ {
		req.Attempt = attempt
		select {
		case r.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, effect.AsError(ctx.Err())
		}
		out, err := r.opts.Effector.Do(ctx, req)
		<-r.sem
		if err == nil {
			return out, nil
		}
		e := effect.AsError(err)
		if !e.Retryable || attempt >= r.opts.Attempts {
			return nil, e
		}
		d := e.RetryAfter
		if d <= 0 {
			d = time.Duration(attempt) * time.Second
		}
		if werr := r.opts.Wait(ctx, d); werr != nil {
			return nil, e
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Classify turns the answer of a connector type's read into a cell: a 404
// is absent, any other failure an error; otherwise the outputs the
// catalogue documents for the type decide between active and disabled.
func Classify(typ string, out map[string]any, err error) Cell {
	if err != nil {
		e := effect.AsError(err)
		if e.Status == 404 || e.Code == "not_found" {
			return Cell{State: Absent}
		}
		return Cell{State: Error, Detail: e.Error()}
	}
	switch typ {
	case "okta":
		// Okta's lifecycle: STAGED, PROVISIONED, ACTIVE, RECOVERY,
		// PASSWORD_EXPIRED and LOCKED_OUT users still exist as people who
		// can (or soon can) sign in; only DEPROVISIONED and SUSPENDED end
		// access.
		s, _ := out["status"].(string)
		switch s {
		case "DEPROVISIONED", "SUSPENDED":
			return Cell{State: Disabled, Detail: s}
		case "":
			return Cell{State: Error, Detail: "okta.getUser answered no status"}
		}
		return Cell{State: Active, Detail: s}
	case "slack":
		return boolCell(out, "active", true, "deactivated")
	case "google":
		return boolCell(out, "suspended", false, "suspended")
	case "microsoft":
		return boolCell(out, "accountEnabled", true, "accountEnabled false")
	case "activedirectory":
		return boolCell(out, "disabled", false, "disabled")
	case "salesforce":
		// Frozen blocks login while IsActive stays true; either ends access.
		active, ok1 := out["isActive"].(bool)
		frozen, ok2 := out["frozen"].(bool)
		if !ok1 && !ok2 {
			return Cell{State: Error, Detail: "salesforce.getUser answered neither isActive nor frozen"}
		}
		var why []string
		if ok1 && !active {
			why = append(why, "inactive")
		}
		if ok2 && frozen {
			why = append(why, "frozen")
		}
		if len(why) > 0 {
			return Cell{State: Disabled, Detail: strings.Join(why, ", ")}
		}
		return Cell{State: Active}
	case "github":
		// A pending invitation is still a way in: the person can accept it.
		s, _ := out["state"].(string)
		switch s {
		case "active":
			return Cell{State: Active, Detail: str(out["role"])}
		case "pending":
			return Cell{State: Active, Detail: "pending invitation"}
		}
		return Cell{State: Error, Detail: fmt.Sprintf("github.getOrgMembership answered state %q", s)}
	}
	return Cell{State: Error, Detail: "connector type " + typ + " has no account read"}
}

// boolCell classifies an answer by one boolean output: activeWhen is the
// value of an active account; the other value is disabled, said as why.
func boolCell(out map[string]any, field string, activeWhen bool, why string) Cell {
	v, ok := out[field].(bool)
	if !ok {
		return Cell{State: Error, Detail: fmt.Sprintf("the answer has no boolean %s", field)}
	}
	if v == activeWhen {
		return Cell{State: Active}
	}
	return Cell{State: Disabled, Detail: why}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
