package webui_test

import (
	"context"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/graph"
	"github.com/jml-dev/jml/pkg/history"
	"github.com/jml-dev/jml/pkg/webui"
)

func newView(t *testing.T, f *fixture, opts webui.Options) http.Handler {
	t.Helper()
	if opts.Graph == nil {
		opts.Graph = f.Graph
	}
	h, err := webui.New(f.Store, opts)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// get makes a request of h; header is pairs of name and value.
func get(h http.Handler, method, target string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// page GETs target and fails the test unless it answers 200.
func page(t *testing.T, h http.Handler, target string) string {
	t.Helper()
	w := get(h, http.MethodGet, target)
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", target, w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("GET %s: Content-Type %q", target, ct)
	}
	return w.Body.String()
}

// has fails the test unless body holds every string.
func has(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func hasNot(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if strings.Contains(body, w) {
			t.Errorf("%s holds %q", what, w)
		}
	}
}

var runLink = regexp.MustCompile(`<a class="run-link" href="([^"]*)/runs/([^"]+)">`)

// listed returns the run ids a page's tables link to, in order.
func listed(body string) []string {
	var out []string
	for _, m := range runLink.FindAllStringSubmatch(body, -1) {
		out = append(out, m[2])
	}
	return out
}

// count returns the number of times sub occurs in s.
func count(s, sub string) int { return strings.Count(s, sub) }

// TestPages: every page, on every back end, with the markup the browser
// tests and a reader rely on.
func TestPages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, f *fixture) {
		h := newView(t, f, webui.Options{})
		jane, bob, mal, ann := f.Jane, f.Bob, f.Mal, f.Ann

		body := page(t, h, "/")
		has(t, "overview", body, `<section id="overview">`, `<svg id="runs-per-day" class="chart"`, `<rect class="bar success"`, `<rect class="bar halted"`, `<rect class="bar failed"`,
			`<table id="slowest-cards">`, `<td>okta.clearUserSessions</td>`, `<td>itsm.createRecord</td>`,
			`<table id="rate-limited">`, "<td>slack</td><td>deactivateUser</td><td class=\"num\">1</td><td class=\"num\">1</td>",
			`<a href="/flows/leaver">leaver</a>`, `<a href="/flows/open-ticket">open-ticket</a>`,
			`<link rel="stylesheet" href="/static/style.css">`, `<link rel="stylesheet" href="/static/graph.css">`, `<script src="/static/app.js" defer></script>`)
		hasNot(t, "overview", body, "No call was answered 429")

		body = page(t, h, "/runs")
		has(t, "runs", body, `<form id="run-filters" method="get" action="/runs">`, `<input name="flow" value=""`, `<select name="status">`,
			`<input name="user" value=""`, `<input name="event" value=""`, `<input name="from" value=""`, `<input name="to" value=""`,
			`<table id="runs">`, `<ul id="status-counts">`, `<li class="success"><a href="/runs?status=success">success <span class="n">1</span></a></li>`,
			`<li class="halted"><a href="/runs?status=halted">halted <span class="n">2</span></a></li>`, `<li class="failed"><a href="/runs?status=failed">failed <span class="n">1</span></a></li>`, "4 runs match.")
		if got := listed(body); strings.Join(got, " ") != strings.Join([]string{ann, mal, bob, jane}, " ") {
			t.Errorf("runs listed %v, want newest first %v", got, []string{ann, mal, bob, jane})
		}
		has(t, "runs", body, `<tr class="run success">`, `<tr class="run halted">`, `<tr class="run failed">`, `<a href="/users/jane.doe@acme.com">jane.doe@acme.com</a>`)
		hasNot(t, "runs", body, `id="next-page"`, `id="first-page"`)

		// Jane: success; Slack retried after a 429; the ticket in the
		// helper, nested in its call card.
		body = page(t, h, "/runs/"+jane)
		has(t, "jane's run", body, `<section id="run">`, `<details id="event"><summary>Event</summary><pre>{`,
			"\n  &#34;uuid&#34;: &#34;"+eventUUID("0001")+"&#34;,\n", // pretty JSON
			`<details class="card success" data-card="sessions">`, `<details class="card success" data-card="slack">`,
			`<h4>Attempts: 2</h4>`, `try 1: failed`, `HTTP 429`, `try 2: success`,
			`<details class="card success" data-card="ticket">`, `<div class="inputs">`, `<div class="outputs">`, `<div class="error">`, `<div class="attempts">`,
			`<table id="calls">`)
		ticket := body[strings.Index(body, `data-card="ticket"`):]
		ticket = ticket[:strings.Index(ticket, "<h2>Calls")]
		has(t, "the ticket card", ticket, `<details class="card success" data-card="record">`, `itsm.createRecord`, `SCTASK`)
		hasNot(t, "jane's run", body, `id="failure"`, `id="resume-command"`)

		// Bob: halted at Slack, with the reason and the command to resume.
		body = page(t, h, "/runs/"+bob)
		has(t, "bob's run", body, `<div id="failure" role="alert">`, `<code id="resume-command" class="copy">jml resume `+bob+`</code>`,
			`Backend Error`, `<details class="card failed" data-card="slack">`, `<span class="code">HTTP 500</span>`,
			`<details class="card skipped" data-card="ticket">`)
		if i, j := strings.Index(body, `id="failure"`), strings.Index(body, `<h1>`); i < 0 || i > j {
			t.Errorf("the failure is not at the top")
		}
		slack := body[strings.Index(body, `data-card="slack"`):]
		slack = slack[:strings.Index(slack, "</details>")]
		has(t, "bob's slack card", slack, `<div class="error"><h4>Error</h4><pre>Backend Error</pre>`, `<h4>Attempts: 2</h4>`)

		// Ann: failed at the forEach over the groups Okta refused to list
		// (403, the card went on): the expression's error at the top, the
		// vendor's in the groups card, the command to resume.
		body = page(t, h, "/runs/"+ann)
		has(t, "ann's run", body, `<div id="failure" role="alert">`, `<code id="resume-command" class="copy">jml resume `+ann+`</code>`,
			`no such key: groups`, `<details class="card failed" data-card="groups">`, `HTTP 403 · code forbidden`,
			`You do not have permission to perform the requested action`, `<details class="card success" data-card="welcome">`)
		if i, j := strings.Index(body, `id="failure"`), strings.Index(body, `<h1>`); i < 0 || i > j {
			t.Errorf("ann's failure is not at the top")
		}

		// The flow: its graph, each card's rate, its runs.
		body = page(t, h, "/flows/leaver")
		has(t, "the flow", body, `<section id="flow">`, `class="flow-graph"`, `<g class="node `, `<table id="flow-runs">`, `<table id="card-rates">`,
			// sessions: Jane and Bob succeeded, Mallory's failed; slack:
			// Jane succeeded, Bob's failed; ticket: Jane's succeeded.
			`<tr class="rate bad" data-card="c0_sessions"><td><code>sessions</code></td><td>deprovision</td><td class="num">2</td><td class="num">1</td><td class="num"><span class="rate bad">66.7%</span>`,
			`<tr class="rate bad" data-card="c1_slack"><td><code>slack</code></td><td>deprovision</td><td class="num">1</td><td class="num">1</td><td class="num"><span class="rate bad">50.0%</span>`,
			`<tr class="rate ok" data-card="c2_ticket"><td><code>ticket</code></td><td>call</td><td class="num">1</td><td class="num">0</td><td class="num"><span class="rate ok">100.0%</span>`,
			`from 3 runs: the runs <span class="rate bad">33.3%</span>`)
		if got := listed(body); strings.Join(got, " ") != strings.Join([]string{mal, bob, jane}, " ") {
			t.Errorf("flow runs %v", got)
		}
		body = page(t, h, "/flows/open-ticket")
		has(t, "a helper", body, `<section id="flow">`, `from 0 runs`, `<span class="rate none">no runs</span>`, `<td colspan="7">No runs.</td>`)
		if w := get(h, "GET", "/flows/nope"); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "no flow &#34;nope&#34;") {
			t.Errorf("an unknown flow: %d %s", w.Code, w.Body)
		}

		// A user: every run, and the latest verify when one was recorded.
		body = page(t, h, "/users/JANE.DOE@acme.com")
		has(t, "jane", body, `<table id="user-runs">`, `<section id="verify">`, `<td>okta</td>`, `<td>slack</td>`, "against sandbox http://127.0.0.1:")
		if got := listed(body); len(got) != 1 || got[0] != jane {
			t.Errorf("jane's runs %v", got)
		}
		body = page(t, h, "/users/00u2bob00002")
		has(t, "bob by Okta id", body, `<table id="user-runs">`, `<p id="no-verify" class="note">No jml verify of this user was recorded.</p>`)
		hasNot(t, "bob", body, `<section id="verify">`)
		if got := listed(body); len(got) != 1 || got[0] != bob {
			t.Errorf("bob's runs %v", got)
		}

		if w := get(h, "GET", "/runs/run-nope"); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "no such run in the history") {
			t.Errorf("an unknown run: %d %s", w.Code, w.Body)
		}
		// A prefix two runs share is the reader's mistake, not the server's.
		common := 0
		for common < min(len(f.Jane), len(f.Bob)) && f.Jane[common] == f.Bob[common] {
			common++
		}
		if w := get(h, "GET", "/runs/"+f.Jane[:common]); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "give more of the id") {
			t.Errorf("an ambiguous run id prefix %q: %d %s", f.Jane[:common], w.Code, w.Body)
		}
		for target, ctype := range map[string]string{"/static/style.css": "text/css; charset=utf-8", "/static/app.js": "text/javascript; charset=utf-8"} {
			w := get(h, "GET", target)
			if w.Code != http.StatusOK || w.Header().Get("Content-Type") != ctype || w.Body.Len() == 0 {
				t.Errorf("%s: %d %q", target, w.Code, w.Header().Get("Content-Type"))
			}
		}
		if w := get(h, "GET", "/static/graph.css"); w.Code != http.StatusOK || w.Body.String() != graph.SVGStyle {
			t.Errorf("/static/graph.css: %d, want graph.SVGStyle, the drawing's one style sheet", w.Code)
		}
		for _, target := range []string{"/static/", "/static/nope.css", "/nope", "/runs/"} {
			if w := get(h, "GET", target); w.Code != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", target, w.Code)
			}
		}
	})
}

// TestRunFilters: each filter of the runs page, from the URL (so that a
// link holds them), the counts under the same filters, and the refusals.
func TestRunFilters(t *testing.T) {
	forEachBackend(t, func(t *testing.T, f *fixture) {
		h := newView(t, f, webui.Options{})
		jane, bob, mal, ann := f.Jane, f.Bob, f.Mal, f.Ann
		r, err := f.Store.Run(context.Background(), jane)
		if err != nil {
			t.Fatal(err)
		}
		day := r.StartedAt.UTC()
		date := func(d int) string { return day.AddDate(0, 0, d).Format("2006-01-02") }
		tests := []struct {
			query  string
			want   []string
			counts string
			form   []string
		}{
			{"flow=leaver", []string{mal, bob, jane}, "success 1, halted 2", []string{`<input name="flow" value="leaver"`}},
			{"flow=joiner", []string{ann}, "failed 1", nil},
			{"status=failed", []string{ann}, "success 1, halted 2, failed 1", []string{`<option value="failed" selected>failed</option>`, `<a href="/runs?status=failed" aria-current="true">`}},
			{"status=halted", []string{mal, bob}, "success 1, halted 2, failed 1", []string{`<option value="halted" selected>halted</option>`, `<a href="/runs?status=halted" aria-current="true">`}},
			{"status=success&flow=leaver", []string{jane}, "success 1, halted 2", nil},
			{"user=BOB.SMITH@acme.com", []string{bob}, "halted 1", []string{`<input name="user" value="BOB.SMITH@acme.com"`}},
			{"user=00u1jane0001", []string{jane}, "success 1", nil},
			{"event=user.lifecycle.create", []string{ann}, "failed 1", []string{`<input name="event" value="user.lifecycle.create"`}},
			{"event=" + eventUUID("0002"), []string{bob}, "halted 1", nil},
			{"from=" + date(0), []string{ann, mal, bob, jane}, "success 1, halted 2, failed 1", []string{`<input name="from" value="` + date(0) + `"`}},
			{"from=" + date(1), nil, "", nil},
			{"to=" + date(0), []string{ann, mal, bob, jane}, "success 1, halted 2, failed 1", []string{`<input name="to" value="` + date(0) + `"`}},
			{"to=" + date(-1), nil, "", nil},
			{"from=" + url.QueryEscape(r.StartedAt.Format(time.RFC3339Nano)) + "&to=" + url.QueryEscape(r.StartedAt.Add(time.Nanosecond).Format(time.RFC3339Nano)), []string{jane}, "success 1", nil},
			{"flow=leaver&status=halted&user=bob.smith@acme.com&event=user.lifecycle.deactivate&from=" + date(-1) + "&to=" + date(1), []string{bob}, "halted 1", nil},
		}
		for _, tt := range tests {
			body := page(t, h, "/runs?"+tt.query)
			if got := listed(body); strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("%s: listed %v, want %v", tt.query, got, tt.want)
			}
			if got := counts(body); got != tt.counts {
				t.Errorf("%s: counts %q, want %q", tt.query, got, tt.counts)
			}
			has(t, tt.query, body, tt.form...)
		}
		for query, want := range map[string]string{
			"status=gone":        "status=&#34;gone&#34;: the statuses are success, filtered, halted, failed, running, interrupted",
			"from=last+tuesday":  "from=&#34;last tuesday&#34;: give a date (2026-11-01)",
			"to=2026-13-01":      "to=&#34;2026-13-01&#34;",
			"after=run-1":        "after=: &#34;run-1&#34; is not a page cursor",
			"n=0":                "n=&#34;0&#34;: a page holds 1 to 500 runs",
			"n=501":              "n=&#34;501&#34;",
			"flow=leaver&n=many": "n=&#34;many&#34;",
		} {
			w := get(h, "GET", "/runs?"+query)
			if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), want) {
				t.Errorf("%s: %d, want 400 with %q:\n%s", query, w.Code, want, w.Body)
			}
		}
		for _, target := range []string{"/?days=3", "/flows/leaver?days=x"} {
			if w := get(h, "GET", target); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "the periods are 1, 7, 30, 90 days") {
				t.Errorf("%s: %d %s", target, w.Code, w.Body)
			}
		}
	})
}

var countItem = regexp.MustCompile(`<li class="([a-z]+)"><a href="[^"]*"(?: aria-current="true")?>[a-z]+ <span class="n">(\d+)</span>`)

// counts reads the status counts of a runs page: "success 2, halted 1".
func counts(body string) string {
	i := strings.Index(body, `<ul id="status-counts">`)
	if i < 0 {
		return "(none)"
	}
	ul := body[i : i+strings.Index(body[i:], "</ul>")]
	var out []string
	for _, m := range countItem.FindAllStringSubmatch(ul, -1) {
		out = append(out, m[1]+" "+m[2])
	}
	return strings.Join(out, ", ")
}

var nextPage = regexp.MustCompile(`<a id="next-page" href="([^"]+)">`)

// TestKeysetPages: following the next-page links lists every run once, in
// order, a page at a time, keeping the filters; the link holds a cursor,
// not an offset.
func TestKeysetPages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, f *fixture) {
		h := newView(t, f, webui.Options{})
		all, _, err := f.Store.RunPage(context.Background(), history.RunQuery{})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			start string
			want  []string
			per   int
		}{
			{"/runs?n=1", ids(all), 1},
			{"/runs?n=3", ids(all), 3},
			{"/runs?flow=leaver&n=2", []string{f.Mal, f.Bob, f.Jane}, 2},
		} {
			var got []string
			target := tc.start
			for pages := 0; target != ""; pages++ {
				if pages > 10 {
					t.Fatalf("%s: no last page", tc.start)
				}
				body := page(t, h, target)
				rows := listed(body)
				if len(rows) == 0 || len(rows) > tc.per {
					t.Errorf("%s: a page of %d runs", target, len(rows))
				}
				got = append(got, rows...)
				target = ""
				if m := nextPage.FindStringSubmatch(body); m != nil {
					target = strings.ReplaceAll(m[1], "&amp;", "&")
					u, _ := url.Parse(target)
					if u.Query().Get("after") == "" || u.Query().Get("n") != tc.start[strings.LastIndex(tc.start, "=")+1:] {
						t.Errorf("next page %q: no cursor, or the page size lost", target)
					}
					if strings.Contains(tc.start, "flow=") && u.Query().Get("flow") != "leaver" {
						t.Errorf("next page %q: the filter lost", target)
					}
					if !strings.Contains(body, `<a id="first-page"`) && pages > 0 {
						t.Errorf("%s: no link to the newest page", target)
					}
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("%s: pages list %v, want %v", tc.start, got, tc.want)
			}
		}
	})
}

func ids(rows []*history.RunRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}

// TestToken: with a token, a request needs it — as a bearer header, or
// once as ?token= (which sets the cookie and redirects without it).
func TestToken(t *testing.T) {
	f := getFixture(t, "sqlite")
	const token = "s3cret-view-token"
	h := newView(t, f, webui.Options{Token: token})
	for _, tc := range []struct {
		name   string
		target string
		header []string
		code   int
	}{
		{"none", "/runs", nil, http.StatusUnauthorized},
		{"static too", "/static/style.css", nil, http.StatusUnauthorized},
		{"wrong bearer", "/runs", []string{"Authorization", "Bearer nope"}, http.StatusUnauthorized},
		{"not bearer", "/runs", []string{"Authorization", token}, http.StatusUnauthorized},
		{"bearer", "/runs", []string{"Authorization", "Bearer " + token}, http.StatusOK},
		{"wrong query token", "/runs?token=nope", nil, http.StatusUnauthorized},
		{"wrong cookie", "/runs", []string{"Cookie", "jml_ui=" + strings.Repeat("0", 64)}, http.StatusUnauthorized},
		{"the token as the cookie", "/runs", []string{"Cookie", "jml_ui=" + token}, http.StatusUnauthorized},
	} {
		w := get(h, "GET", tc.target, tc.header...)
		if w.Code != tc.code {
			t.Errorf("%s: %d, want %d", tc.name, w.Code, tc.code)
		}
		if w.Code == http.StatusUnauthorized {
			has(t, tc.name, w.Body.String(), "this view needs its token")
			if w.Header().Get("WWW-Authenticate") == "" {
				t.Errorf("%s: no WWW-Authenticate", tc.name)
			}
		}
		hasNot(t, tc.name, w.Body.String(), token)
	}
	// ?token= once: a cookie (HttpOnly, SameSite=Strict, not the token),
	// and the same page without the token.
	w := get(h, "GET", "/runs?flow=leaver&token="+token)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/runs?flow=leaver" {
		t.Fatalf("?token=: %d, Location %q", w.Code, w.Header().Get("Location"))
	}
	cookies := w.Result().Cookies()
	if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode || cookies[0].Path != "/" ||
		strings.Contains(cookies[0].Value, token) || cookies[0].Secure {
		t.Fatalf("cookie %+v", cookies)
	}
	w = get(h, "GET", "/runs?flow=leaver", "Cookie", cookies[0].Name+"="+cookies[0].Value)
	if w.Code != http.StatusOK || len(listed(w.Body.String())) != 3 {
		t.Errorf("with the cookie: %d", w.Code)
	}
	// Under a base path, the cookie is the base's.
	hb := newView(t, f, webui.Options{Token: token, Base: "/ui"})
	w = get(hb, "GET", "/ui/?token="+token)
	if c := w.Result().Cookies(); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/ui/" || len(c) != 1 || c[0].Path != "/ui/" {
		t.Errorf("under /ui: %d %q %+v", w.Code, w.Header().Get("Location"), c)
	}
	// The cookie of another token does not open this view.
	other := newView(t, f, webui.Options{Token: "another-token"})
	if w := get(other, "GET", "/runs", "Cookie", cookies[0].Name+"="+cookies[0].Value); w.Code != http.StatusUnauthorized {
		t.Errorf("another view's cookie: %d", w.Code)
	}
}

// TestReadOnly: only GET and HEAD are served.
func TestReadOnly(t *testing.T) {
	f := getFixture(t, "sqlite")
	h := newView(t, f, webui.Options{Token: "tok"})
	for _, m := range []string{"POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"} {
		for _, target := range []string{"/", "/runs", "/runs/" + f.Jane, "/static/style.css"} {
			w := get(h, m, target, "Authorization", "Bearer tok")
			if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
				t.Errorf("%s %s: %d, Allow %q", m, target, w.Code, w.Header().Get("Allow"))
			}
		}
	}
	if w := get(h, "HEAD", "/runs", "Authorization", "Bearer tok"); w.Code != http.StatusOK {
		t.Errorf("HEAD: %d", w.Code)
	}
}

// TestSecurityHeaders: every response — pages, assets, errors, refusals —
// carries the CSP and the other headers; pages are not cached.
func TestSecurityHeaders(t *testing.T) {
	f := getFixture(t, "sqlite")
	open := newView(t, f, webui.Options{})
	locked := newView(t, f, webui.Options{Token: "tok"})
	for _, tc := range []struct {
		name   string
		h      http.Handler
		method string
		target string
		code   int
		cache  string
	}{
		{"overview", open, "GET", "/", 200, "no-store"},
		{"runs", open, "GET", "/runs?flow=leaver", 200, "no-store"},
		{"run", open, "GET", "/runs/" + f.Bob, 200, "no-store"},
		{"flow", open, "GET", "/flows/leaver", 200, "no-store"},
		{"user", open, "GET", "/users/jane.doe@acme.com", 200, "no-store"},
		{"css", open, "GET", "/static/style.css", 200, "private, max-age=3600"},
		{"js", open, "GET", "/static/app.js", 200, "private, max-age=3600"},
		{"404", open, "GET", "/nope", 404, "no-store"},
		{"400", open, "GET", "/runs?status=x", 400, "no-store"},
		{"405", open, "POST", "/runs", 405, "no-store"},
		{"401", locked, "GET", "/runs", 401, "no-store"},
		{"303", locked, "GET", "/runs?token=tok", 303, "no-store"},
	} {
		w := get(tc.h, tc.method, tc.target)
		if w.Code != tc.code {
			t.Errorf("%s: %d, want %d", tc.name, w.Code, tc.code)
		}
		for k, v := range map[string]string{
			"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
			"X-Frame-Options":         "DENY",
			"Cache-Control":           tc.cache,
		} {
			if got := w.Header().Get(k); got != v {
				t.Errorf("%s: %s %q, want %q", tc.name, k, got, v)
			}
		}
		// No inline script or style in a page: the CSP would block it.
		if body := w.Body.String(); strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
			hasNot(t, tc.name, body, "<script>", "style=", "<style", "onclick", "onload")
		}
	}
}

// TestXSS: a login and a vendor error holding markup show as text on
// every page that shows them: the raw markup never appears, its escaped
// form does.
func TestXSS(t *testing.T) {
	forEachBackend(t, func(t *testing.T, f *fixture) {
		h := newView(t, f, webui.Options{})
		mal := f.Mal
		escLogin := template.HTMLEscapeString(xssLogin)
		escMessage := template.HTMLEscapeString(xssMessage)
		for target, wants := range map[string][]string{
			"/runs":               {escLogin},
			"/runs?status=halted": {escLogin},
			"/runs?user=" + url.QueryEscape(xssLogin): {escLogin, `<input name="user" value="` + escLogin + `"`},
			"/runs/" + mal:                       {escLogin, `<p class="reason">` + escMessage, `<pre>` + escMessage + `</pre>`},
			"/users/" + url.PathEscape(xssLogin): {`<span class="login">` + escLogin + `</span>`},
			"/flows/leaver":                      {escLogin},
			"/":                                  nil,
		} {
			body := page(t, h, target)
			hasNot(t, target, body, xssScript, xssImg, "<img", "onerror=alert(1)>")
			has(t, target, body, wants...)
		}
		// Mallory's page lists her run.
		if got := listed(page(t, h, "/users/"+url.PathEscape(xssLogin))); len(got) != 1 || got[0] != mal {
			t.Errorf("mallory's runs %v", got)
		}
	})
}

// TestBase: under /ui (jml serve), the view answers under the prefix
// and links under it.
func TestBase(t *testing.T) {
	f := getFixture(t, "sqlite")
	h := newView(t, f, webui.Options{Base: "/ui"})
	if w := get(h, "GET", "/ui"); w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != "/ui/" {
		t.Errorf("/ui: %d %q", w.Code, w.Header().Get("Location"))
	}
	body := page(t, h, "/ui/")
	has(t, "overview", body, `href="/ui/static/style.css"`, `<a href="/ui/runs"`, `<a href="/ui/flows/leaver">`)
	body = page(t, h, "/ui/runs?flow=leaver")
	has(t, "runs", body, `action="/ui/runs"`, `<a class="run-link" href="/ui/runs/`+f.Jane+`">`, `<a href="/ui/users/jane.doe@acme.com">`)
	page(t, h, "/ui/runs/"+f.Jane)
	if w := get(h, "GET", "/ui/static/app.js"); w.Code != http.StatusOK {
		t.Errorf("asset: %d", w.Code)
	}
	for _, target := range []string{"/runs", "/", "/uix/runs"} {
		if w := get(h, "GET", target); w.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", target, w.Code)
		}
	}
	if _, err := webui.New(f.Store, webui.Options{Base: "ui"}); err == nil {
		t.Errorf("a base without a leading slash was taken")
	}
}

// TestRedactor: the secrets a redactor knows are replaced in what is
// shown.
func TestRedactor(t *testing.T) {
	f := getFixture(t, "sqlite")
	h := newView(t, f, webui.Options{Redactor: effect.NewRedactor([]string{"00u1jane0001", "jane.doe@acme.com"})})
	for _, target := range []string{"/runs/" + f.Jane, "/runs", "/users/00u1jane0001"} {
		body := page(t, h, target)
		hasNot(t, target, body, "00u1jane0001", "jane.doe@acme.com")
		has(t, target, body, "***")
	}
}
