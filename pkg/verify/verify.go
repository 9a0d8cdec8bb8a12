package verify

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/catalog"
	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/engine"
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
	// Settings are the instance's jml.yaml settings its account read
	// takes as inputs (catalog.Account.Settings: a github org).
	Settings map[string]string
	// AccountIDFrom is the instance's accountIdFrom: the Okta profile
	// attribute holding the user's account id in the app, written
	// user.profile.NAME; "" when not set.
	AccountIDFrom string
}

// ReadAction returns the action verify calls on a connector type, and
// whether the type holds accounts at all (catalog.Account).
func ReadAction(typ string) (string, bool) {
	acc, ok := catalog.AccountOf(typ)
	return acc.Read, ok
}

// KeyedByLogin reports whether verify finds a connector type's account by
// the user's Okta login without accountIdFrom (slack, google, microsoft,
// salesforce); github and activedirectory need accountIdFrom.
func KeyedByLogin(typ string) bool {
	acc, _ := catalog.AccountOf(typ)
	return acc.ByLogin
}

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
		acc, ok := catalog.AccountOf(c.Type.Value)
		if !ok {
			continue
		}
		in := Instance{Name: c.Name.Value, Type: c.Type.Value}
		for _, name := range acc.Settings {
			if n := source.Resolve(source.Get(c.Node, name)); n != nil {
				if in.Settings == nil {
					in.Settings = map[string]string{}
				}
				in.Settings[name] = strings.TrimSpace(n.Value)
			}
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
	// is tried (default 3), waiting between tries by the engine's rule
	// (engine.RetryWait): 1s then 2s, or the vendor's Retry-After up to
	// engine.DefaultMaxRetryAfter; a longer one fails the read.
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
	rd, ok := catalog.AccountOf(in.Type)
	if !ok {
		return nil, &Cell{State: NotChecked, Detail: "connector type " + in.Type + " has no account read"}
	}
	for _, name := range rd.Settings {
		if in.Settings[name] == "" {
			return nil, &Cell{State: NotChecked, Detail: fmt.Sprintf("no %s: in jml.yaml for this %s instance", name, in.Type)}
		}
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
	case !rd.ByLogin:
		return nil, &Cell{State: NotChecked, Detail: fmt.Sprintf("no accountIdFrom: set accountIdFrom: %s%s on the instance (%s cannot be derived from the login)", profilePrefix, rd.IDAttribute, rd.KeyWords)}
	case login == "":
		why := "no login to look the user up by"
		if id != "" {
			why = fmt.Sprintf("no login to look the user up by: Okta did not return user %s", id)
		}
		return nil, &Cell{State: Error, Detail: why}
	default:
		key = login
	}
	input := map[string]any{rd.Key: key}
	for _, name := range rd.Settings {
		input[name] = in.Settings[name]
	}
	return input, nil
}

// read performs one read, retrying retryable failures.
func (r *reader) read(ctx context.Context, in Instance, input map[string]any) (map[string]any, error) {
	req := effect.Request{Instance: in.Name, Type: in.Type, Action: readAction(in.Type), Input: input, Card: "verify"}
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
		// The engine's one retry rule, as for a card's action: its backoff,
		// and a vendor's Retry-After waited for only up to the same cap.
		pol := compile.RetryPolicy{Attempts: r.opts.Attempts, Interval: time.Second, Backoff: 2}
		wait, stop := engine.RetryWait(ctx, pol, attempt, req, e)
		if stop != nil {
			return nil, stop
		}
		if werr := r.opts.Wait(ctx, wait); werr != nil {
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
	acc, ok := catalog.AccountOf(typ)
	if !ok {
		return Cell{State: Error, Detail: "connector type " + typ + " has no account read"}
	}
	var why, fields []string
	answered := false
	for _, sg := range acc.Signals {
		if sg.ActiveWhen == nil {
			return stringCell(typ+"."+acc.Read, sg, out)
		}
		fields = append(fields, sg.Field)
		v, ok := out[sg.Field].(bool)
		if !ok {
			continue
		}
		answered = true
		if v != *sg.ActiveWhen {
			why = append(why, sg.Disabled)
		}
	}
	switch {
	case !answered && len(fields) == 1:
		return Cell{State: Error, Detail: fmt.Sprintf("the answer has no boolean %s", fields[0])}
	case !answered:
		return Cell{State: Error, Detail: fmt.Sprintf("%s.%s answered neither %s", typ, acc.Read, strings.Join(fields, " nor "))}
	case len(why) > 0:
		return Cell{State: Disabled, Detail: strings.Join(why, ", ")}
	}
	return Cell{State: Active}
}

// stringCell classifies an answer by a string output (catalog.Signal):
// a disabled value, else an active one; read names the read in messages.
func stringCell(read string, sg catalog.Signal, out map[string]any) Cell {
	s, _ := out[sg.Field].(string)
	for _, d := range sg.DisabledValues {
		if s == d {
			return Cell{State: Disabled, Detail: s}
		}
	}
	if sg.Active == nil {
		if s == "" {
			return Cell{State: Error, Detail: fmt.Sprintf("%s answered no %s", read, sg.Field)}
		}
		return Cell{State: Active, Detail: s}
	}
	detail, ok := sg.Active[s]
	if !ok {
		return Cell{State: Error, Detail: fmt.Sprintf("%s answered %s %q", read, sg.Field, s)}
	}
	for _, name := range catalog.Placeholders(detail) {
		detail = strings.ReplaceAll(detail, "{"+name+"}", str(out[name]))
	}
	return Cell{State: Active, Detail: detail}
}

// readAction is the account read of a connector type.
func readAction(typ string) string {
	r, _ := ReadAction(typ)
	return r
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
