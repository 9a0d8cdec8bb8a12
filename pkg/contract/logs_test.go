package contract_test

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/connector"
	"github.com/jml-dev/jml/pkg/event"
	"github.com/jml-dev/jml/pkg/sandbox"
	"github.com/jml-dev/jml/pkg/world"
)

// TestSystemLogContract: the System Log requests jml events pull and the
// okta: source make (since, until, filter, limit, sortOrder, then the next
// links' after), and the sandbox's answers from real recorded events, are
// what Okta's description of GET /api/v1/logs says (the LogEvent schema).
func TestSystemLogContract(t *testing.T) {
	var path string
	for _, d := range specDirs() {
		if p := filepath.Join(d, "okta-management.json"); fileExists(p) {
			path = p
			break
		}
	}
	if path == "" {
		t.Fatal("okta-management.json not found")
	}
	desc, err := loadOpenAPI(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := event.Open([]string{"../../testdata/events"}, event.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var logs []map[string]any
	for {
		ev, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		dropNulls(ev.Raw)
		logs = append(logs, ev.Raw)
	}
	ins := []world.Instance{{Name: "okta", Type: "okta"}}
	rec := &recorder{next: sandbox.New(ins, world.New(ins, clock.Real{}), sandbox.Options{Logs: logs})}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL + "/okta")
	inst := &connector.Instance{Name: "okta", Type: "okta", BaseURL: u, Auth: connector.SSWS{Token: "x"}, HTTP: srv.Client(),
		Timeout: 10 * time.Second, Limiter: connector.NewLimiter(0, 0, nil), Sandbox: true}
	for _, q := range []connector.LogQuery{
		{Since: "2000-01-01T00:00:00Z", Limit: 2},
		{Since: "2000-01-01T00:00:00Z", Until: "2030-01-01T00:00:00.000Z", Filter: `eventType eq "user.lifecycle.deactivate" or eventType eq "group.user_membership.add"`},
	} {
		p, err := connector.NewLogPager(inst, q)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for {
			page, err := p.Next(context.Background())
			if errors.Is(err, io.EOF) || (err == nil && len(page.Events) == 0) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			n += len(page.Events)
		}
		if n == 0 {
			t.Errorf("%+v: no events", q)
		}
	}
	// A filter the sandbox cannot read is Okta's 400, in Okta's error shape.
	p, _ := connector.NewLogPager(inst, connector.LogQuery{Since: "2000-01-01T00:00:00Z", Filter: `actor.id eq "x"`})
	if _, err := p.Next(context.Background()); err == nil {
		t.Error("a bad filter was not refused")
	}
	exs := rec.take()
	if last := exs[len(exs)-1]; last.Status != 400 {
		t.Errorf("bad filter: status %d", last.Status)
	}
	if len(exs) < 3 {
		t.Fatalf("%d requests", len(exs))
	}
	for _, ex := range exs {
		op, problems := desc.check(ex)
		if op != "GET /api/v1/logs" {
			t.Errorf("%s %s: operation %q", ex.Method, ex.Path, op)
		}
		for _, p := range problems {
			t.Errorf("%s?%s: %s", ex.Path, ex.Query.Encode(), p)
		}
	}
}

// dropNulls removes the members whose value is null, everywhere: Okta's
// real System Log records null for fields its description does not mark
// nullable (actor.detailEntry, authenticationContext.authenticationProvider
// and more, in every recording of testdata/events, Okta's own documentation
// examples among them). Everything else of the recordings must match.
func dropNulls(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			dropNulls(e)
		}
	case []any:
		for _, e := range x {
			dropNulls(e)
		}
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
