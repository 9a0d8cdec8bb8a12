package sandbox_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/connector"
	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/sandbox"
	"github.com/jml-dev/jml/pkg/world"
)

// credsWorld is a google world file where Jane holds two ASPs, a token,
// three mobile devices and two licences, and Bob a device and a licence.
var credsWorld = map[string]any{"google": map[string]any{"users": []any{
	map[string]any{"primaryEmail": "jane.doe@acme.com",
		"asps": []any{
			map[string]any{"codeId": 123456, "name": "Thunderbird", "creationTime": "1704067200000", "lastTimeUsed": "1706745600000"},
			map[string]any{"codeId": 654321, "name": "iPhone Mail"},
		},
		"tokens": []any{map[string]any{"clientId": "1234.apps.googleusercontent.com", "displayText": "Acme CRM",
			"scopes": []any{"https://www.googleapis.com/auth/calendar"}}},
		"mobileDevices": []any{
			map[string]any{"resourceId": "AFiQxQ1", "deviceId": "SER1", "model": "Pixel 7", "os": "Android 14", "type": "ANDROID"},
			map[string]any{"resourceId": "AFiQxQ2", "deviceId": "SER2", "model": "iPhone 15", "os": "iOS 17.2", "type": "IOS_SYNC"},
			map[string]any{"resourceId": "AFiQxQ3", "deviceId": "SER3"},
		},
		"licenses": []any{
			map[string]any{"productId": "Google-Apps", "skuId": "1010020020", "skuName": "Google Workspace Enterprise Plus"},
			map[string]any{"productId": "Google-Vault", "skuId": "Google-Vault"},
		}},
	map[string]any{"primaryEmail": "bob@acme.com", "mobileDevices": []any{map[string]any{"resourceId": "AFiQxQ9", "deviceId": "SER9"}},
		"licenses": []any{map[string]any{"productId": "Google-Apps", "skuId": "1010020020"}}},
}}}

func credsSpec(t *testing.T) *world.Spec {
	t.Helper()
	spec, ds := world.Decode(credsWorld, diag.Range{})
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	return spec
}

// googleCredentials describes both worlds' google instance by credsWorld.
func googleCredentials(t *testing.T, p *pair, _ map[string]any) {
	t.Helper()
	for _, w := range []*world.World{p.local, p.remote} {
		if err := w.Apply(credsSpec(t)); err != nil {
			t.Fatal(err)
		}
	}
}

func init() {
	worlds["credentials"] = func(t *testing.T) *world.World {
		w := worlds["seeded"](t)
		if err := w.Apply(credsSpec(t)); err != nil {
			t.Fatal(err)
		}
		return w
	}
}

// TestGoogleCredentialRoundTrip: the ASP, token and device actions answer
// through the sandbox as in-process, 404 for what is gone (a second
// delete, a device named by its serial number), 400 for a codeId that is
// not an integer, and injected faults alike.
func TestGoogleCredentialRoundTrip(t *testing.T) {
	jane := func(k string, v any) map[string]any { return map[string]any{"userKey": "jane.doe@acme.com", k: v} }
	runGMSCases(t, "google", []gmsCase{
		{name: "a leaver's credentials, then again", world: "credentials", steps: []gmsStep{
			{"listASPs", map[string]any{"userKey": "jane.doe@acme.com"}, 0},
			{"deleteASP", jane("codeId", int64(123456)), 0},
			{"deleteASP", jane("codeId", "654321"), 0},
			{"deleteASP", jane("codeId", int64(654321)), 404},
			{"listASPs", map[string]any{"userKey": "jane.doe@acme.com"}, 0},
			{"listTokens", map[string]any{"userKey": "jane.doe@acme.com"}, 0},
			{"deleteToken", jane("clientId", "1234.apps.googleusercontent.com"), 0},
			{"deleteToken", jane("clientId", "1234.apps.googleusercontent.com"), 404},
			{"listMobileDevices", map[string]any{"email": "jane.doe@acme.com"}, 0},
			{"deleteMobileDevice", map[string]any{"resourceId": "SER1"}, 404},
			{"deleteMobileDevice", map[string]any{"resourceId": "AFiQxQ1"}, 0},
			{"deleteMobileDevice", map[string]any{"resourceId": "AFiQxQ1", "customerId": "C01abcd"}, 404},
			{"listMobileDevices", map[string]any{"email": "jane.doe@acme.com"}, 0},
		}},
		{name: "a leaver's licences, then again", world: "credentials", steps: []gmsStep{
			{"listUserLicenses", map[string]any{"userKey": "jane.doe@acme.com"}, 0},
			{"listUserLicenses", map[string]any{"userKey": "jane.doe@acme.com", "productId": "Google-Vault"}, 0},
			{"unassignLicense", map[string]any{"userKey": "jane.doe@acme.com", "productId": "Google-Apps", "skuId": "1010020020"}, 0},
			{"unassignLicense", map[string]any{"userKey": "jane.doe@acme.com", "productId": "Google-Apps", "skuId": "1010020020"}, 404},
			{"listUserLicenses", map[string]any{"userKey": "jane.doe@acme.com"}, 0},
			{"listUserLicenses", map[string]any{"userKey": "bob@acme.com"}, 0},
			{"listUserLicenses", map[string]any{"userKey": "jane.doe@acme.com", "customerId": "C0other00"}, 403},
			{"listUserLicenses", map[string]any{"userKey": "nobody@acme.com"}, 404},
		}},
		{name: "unknown user", world: "credentials", steps: []gmsStep{
			{"listASPs", map[string]any{"userKey": "nobody@acme.com"}, 404},
			{"listTokens", map[string]any{"userKey": "nobody@acme.com"}, 404},
			{"deleteASP", map[string]any{"userKey": "nobody@acme.com", "codeId": int64(123456)}, 404},
			{"deleteToken", map[string]any{"userKey": "nobody@acme.com", "clientId": "x"}, 404},
			{"listMobileDevices", map[string]any{"email": "nobody@acme.com"}, 0},
		}},
		{name: "seeded users hold none", world: "seeded", steps: []gmsStep{
			{"listASPs", map[string]any{"userKey": "jane.doe@acme.com"}, 0},
			{"listTokens", map[string]any{"userKey": "jane.doe@acme.com"}, 0},
			{"listMobileDevices", map[string]any{"email": "jane.doe@acme.com"}, 0},
			{"deleteASP", jane("codeId", int64(1)), 404},
		}},
		{name: "injected faults", world: "credentials", faults: []world.Fault{
			{Action: "google.deleteASP", Status: 503, Times: 1},
			{Action: "google.listMobileDevices", Status: 429, Times: 1},
		}, steps: []gmsStep{
			{"deleteASP", jane("codeId", int64(123456)), 503},
			{"deleteASP", jane("codeId", int64(123456)), 0},
			{"listMobileDevices", map[string]any{"email": "jane.doe@acme.com"}, 429},
			{"listMobileDevices", map[string]any{"email": "jane.doe@acme.com"}, 0},
		}},
	})
}

// TestGoogleMobileDevicePages: the sandbox pages mobiledevices.list as
// Google does (maxResults, nextPageToken) and the connector reads every
// page.
func TestGoogleMobileDevicePages(t *testing.T) {
	// The connector asks for Google's default page of 100; a page of 2
	// here makes three devices two pages.
	var pages []string
	c := pagedClient(t, "/devices/mobile", "2", &pages)
	out, err := c.Do(context.Background(), effect.Request{Instance: "google", Action: "listMobileDevices", Input: map[string]any{"email": "jane.doe@acme.com"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range out["mobileDevices"].([]any) {
		got = append(got, d.(map[string]any)["resourceId"].(string))
	}
	if strings.Join(got, ",") != "AFiQxQ1,AFiQxQ2,AFiQxQ3" || strings.Join(pages, "|") != "|2" {
		t.Errorf("devices %v over pages %q, want AFiQxQ1..3 over the first page and the one from 2", got, pages)
	}
}

// TestGoogleLicencePages: the sandbox pages listForProduct as Google does
// and the connector reads every page, keeping the user's assignments.
func TestGoogleLicencePages(t *testing.T) {
	// A page of 1: Jane's and Bob's Google-Apps assignments are two pages.
	var pages []string
	c := pagedClient(t, "/product/Google-Apps/users", "1", &pages)
	for _, user := range []string{"jane.doe@acme.com", "bob@acme.com"} {
		pages = nil
		out, err := c.Do(context.Background(), effect.Request{Instance: "google", Action: "listUserLicenses", Input: map[string]any{"userKey": user, "productId": "Google-Apps"}})
		if err != nil {
			t.Fatal(err)
		}
		l := out["licenses"].([]any)
		if len(l) != 1 || l[0].(map[string]any)["userId"] != user || strings.Join(pages, "|") != "|1" {
			t.Errorf("%s: licences %v over pages %q, want the user's one over the first page and the one from 1", user, l, pages)
		}
	}
}

// pagedClient is a google connector on a sandbox of the credentials world
// that forces maxResults to size on the list requests whose path ends
// with suffix, recording each one's pageToken in pages.
func pagedClient(t *testing.T, suffix, size string, pages *[]string) connector.Client {
	t.Helper()
	h := sandbox.New(instances(), worlds["credentials"](t), sandbox.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, suffix) {
			q := r.URL.Query()
			q.Set("maxResults", size)
			r.URL.RawQuery = q.Encode()
			*pages = append(*pages, q.Get("pageToken"))
		}
		h.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL + "/google")
	c, err := connector.NewClient(&connector.Instance{Name: "google", Type: "google", BaseURL: u,
		Auth: connector.Bearer{Token: "jml-sandbox"}, HTTP: srv.Client(), Timeout: 10 * time.Second, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
