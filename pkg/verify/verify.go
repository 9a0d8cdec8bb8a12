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
	// Skipped is an app verify could not ask (a GitHub instance without
	// org:); Cell.Detail says why.
	Skipped State = "skipped"
)

// Cell is one user in one app.
type Cell struct {
	State State `json:"state"`
	// Detail says which kind of disabled (DEPROVISIONED, suspended,
	// accountEnabled false, frozen…), the Okta status of an active Okta
	// user, the error message, or why the app was skipped.
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
}

// readAction is the action that reads a user's account, per connector
// type; types without one (servicenow, jira, http, email) hold no accounts.
var readAction = map[string]string{
	"okta":            "getUser",
	"slack":           "lookupUserByEmail",
	"google":          "getUser",
	"microsoft":       "getUser",
	"salesforce":      "getUser",
	"github":          "getOrgMembership",
	"activedirectory": "getUser",
}

// ReadAction returns the action verify calls on a connector type, and
// whether the type holds accounts at all.
func ReadAction(typ string) (string, bool) {
	a, ok := readAction[typ]
	return a, ok
}

// Instances returns the instances of cfg that hold accounts, in jml.yaml
// order.
func Instances(cfg *ast.Config) []Instance {
	if cfg == nil {
		return nil
	}
	var out []Instance
	for _, c := range cfg.Connectors {
		if _, ok := readAction[c.Type.Value]; !ok {
			continue
		}
		in := Instance{Name: c.Name.Value, Type: c.Type.Value}
		if n := source.Resolve(source.Get(c.Node, "org")); n != nil {
			in.Org = strings.TrimSpace(n.Value)
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
			if c.State == Error {
				m.Errors++
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
	if okta != nil {
		key := u.ID
		if key == "" {
			key = u.Login
		}
		out, err := r.read(ctx, *okta, map[string]any{"userId": key})
		c := Classify(okta.Type, out, err)
		row.Okta = &c
		if err == nil {
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
		input, skip := inputFor(in, login, u.ID)
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

// localPart is the part of an email before the @.
func localPart(login string) string {
	if i := strings.LastIndex(login, "@"); i >= 0 {
		return login[:i]
	}
	return login
}

// inputFor builds the read's input for a user: the login for the
// email-keyed apps, its local part as the GitHub username and the
// sAMAccountName. It returns a cell instead when the app cannot be asked.
func inputFor(in Instance, login, id string) (map[string]any, *Cell) {
	if login == "" {
		why := "no login to look the user up by"
		if id != "" {
			why = fmt.Sprintf("no login to look the user up by: Okta did not return user %s", id)
		}
		return nil, &Cell{State: Error, Detail: why}
	}
	switch in.Type {
	case "slack":
		return map[string]any{"email": login}, nil
	case "google":
		return map[string]any{"userKey": login}, nil
	case "microsoft":
		return map[string]any{"userId": login}, nil
	case "salesforce":
		return map[string]any{"username": login}, nil
	case "okta":
		return map[string]any{"userId": login}, nil
	case "github":
		if in.Org == "" {
			return nil, &Cell{State: Skipped, Detail: "no org: in jml.yaml for this github instance"}
		}
		return map[string]any{"org": in.Org, "username": localPart(login)}, nil
	case "activedirectory":
		return map[string]any{"sAMAccountName": localPart(login)}, nil
	}
	return nil, &Cell{State: Skipped, Detail: "connector type " + in.Type + " has no account read"}
}

// read performs one read, retrying retryable failures.
func (r *reader) read(ctx context.Context, in Instance, input map[string]any) (map[string]any, error) {
	req := effect.Request{Instance: in.Name, Type: in.Type, Action: readAction[in.Type], Input: input, Card: "verify"}
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
