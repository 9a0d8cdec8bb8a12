package sandbox_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/clock"
	"github.com/jml-dev/jml/pkg/connector"
	"github.com/jml-dev/jml/pkg/sandbox"
	"github.com/jml-dev/jml/pkg/world"
)

func logsServer(t *testing.T) *httptest.Server {
	t.Helper()
	var logs []map[string]any
	// Seeded out of order: served in published order.
	for _, i := range []int{3, 0, 4, 1, 2} {
		typ := "user.lifecycle.deactivate"
		if i%2 == 1 {
			typ = "user.session.start"
		}
		logs = append(logs, map[string]any{"uuid": fmt.Sprintf("e%d", i), "eventType": typ, "published": fmt.Sprintf("2026-11-01T0%d:00:00.000Z", i)})
	}
	insts := []world.Instance{{Name: "okta", Type: "okta"}}
	srv := httptest.NewServer(sandbox.New(insts, world.New(insts, clock.Real{}), sandbox.Options{Logs: logs}))
	t.Cleanup(srv.Close)
	return srv
}

// TestOktaLogs: GET /api/v1/logs pages the seeded events with Link
// headers, filters on since, until and eventType, and answers a filter it
// cannot read with Okta's 400.
func TestOktaLogs(t *testing.T) {
	srv := logsServer(t)
	get := func(u string) (int, []string, string, string) {
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Authorization", "SSWS x")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var evs []map[string]any
		json.Unmarshal(b, &evs)
		var ids []string
		for _, e := range evs {
			ids = append(ids, e["uuid"].(string))
		}
		return resp.StatusCode, ids, connector.NextLink(resp.Header), string(b)
	}
	base := srv.URL + "/okta/api/v1/logs?"
	// Bounded: pages of 2, a next link while events remain.
	q := url.Values{"since": {"2026-11-01T00:00:00Z"}, "until": {"2026-11-01T04:00:00Z"}, "limit": {"2"}}
	_, ids, next, _ := get(base + q.Encode())
	if strings.Join(ids, ",") != "e0,e1" || next == "" {
		t.Fatalf("page 1: %v next %q", ids, next)
	}
	_, ids, next, _ = get(next)
	if strings.Join(ids, ",") != "e2,e3" || next != "" {
		t.Fatalf("page 2: %v next %q (until is exclusive: e4 is out)", ids, next)
	}
	// Polling (no until): an empty last page still has a next link.
	q = url.Values{"since": {"2026-11-01T03:00:00Z"}, "filter": {`(eventType eq "user.lifecycle.deactivate" or eventType eq "x.y")`}}
	_, ids, next, _ = get(base + q.Encode())
	if strings.Join(ids, ",") != "e4" || next == "" {
		t.Fatalf("polling: %v next %q", ids, next)
	}
	_, ids, next, _ = get(next)
	if len(ids) != 0 || next == "" {
		t.Fatalf("polling, empty page: %v next %q", ids, next)
	}
	status, _, _, body := get(base + url.Values{"filter": {`actor.id eq "x"`}}.Encode())
	if status != 400 || !strings.Contains(body, "Invalid search criteria") || !strings.Contains(body, "E0000") {
		t.Errorf("bad filter: %d %s", status, body)
	}
	status, _, _, _ = get(base + "since=yesterday")
	if status != 400 {
		t.Errorf("bad since: %d", status)
	}
}
