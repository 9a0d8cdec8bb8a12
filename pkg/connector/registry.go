package connector

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
)

// factory builds the client of one instance.
type factory func(inst *Instance) Client

// factoryFor returns the client constructor of a connector type, or nil.
// activedirectory speaks LDAP (activedirectory.go), not HTTP; email
// (SMTP) is not an HTTP connector either and comes with its own client;
// table keeps its rows in the history store (table.go).
func factoryFor(typ string) factory {
	switch typ {
	case "okta":
		return newOkta
	case "slack":
		return newSlack
	case "google":
		return newGoogle
	case "microsoft":
		return newMicrosoft
	case "servicenow":
		return newServiceNow
	case "salesforce":
		return newSalesforce
	case "github":
		return newGitHub
	case "jira":
		return newJira
	case "http":
		return newHTTP
	case "email":
		return newEmail
	case "activedirectory":
		return newActiveDirectory
	case "table":
		return newTable
	}
	return nil
}

// NewClient returns the client of one resolved instance (tests build
// instances by hand, pointing at a fake or at the sandbox).
func NewClient(inst *Instance) (Client, error) {
	f := factoryFor(inst.Type)
	if f == nil {
		return nil, fmt.Errorf("connector type %q has no real connector", inst.Type)
	}
	if inst.Headers == nil {
		inst.Headers = map[string]string{}
	}
	if inst.Settings == nil {
		inst.Settings = map[string]string{}
	}
	if inst.HTTP == nil {
		inst.HTTP = http.DefaultClient
	}
	// Redirects stay within the origin, as for New's instances.
	inst.HTTP = pinRedirects(inst.HTTP)
	if inst.Timeout == 0 {
		inst.Timeout = DefaultTimeout
	}
	return timed{c: f(inst), d: inst.Timeout}, nil
}

// timed bounds every action by the card's timeout, else the instance's
// (DefaultTimeout unless jml.yaml sets one): retries of the action are
// the interpreter's, each with a fresh budget.
type timed struct {
	c Client
	d time.Duration
}

func (t timed) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	d := t.d
	if req.Timeout > 0 {
		d = req.Timeout
	}
	if d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	return t.c.Do(ctx, req)
}
