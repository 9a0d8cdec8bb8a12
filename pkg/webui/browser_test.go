package webui_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/audits"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/jml-dev/jml/pkg/webui"
)

// The browser tests drive the web view in a real Chromium, headless, through
// the DevTools protocol (chromedp). They need a Chromium: JML_TEST_CHROMIUM
// names it, else the first of chromiumNames on PATH. Without one they are
// skipped, but in CI (CI set, or JML_TEST_CHROMIUM set) they fail: .ci/run
// installs Chromium from Debian's packages and sets JML_TEST_CHROMIUM.
//
// Every page visited is screenshotted (PNG) into JML_SCREENSHOTS when it is
// set, else into a temporary directory: the screenshots are for people to
// look at, never compared (fonts render differently between machines).

// chromiumNames are the executables looked for on PATH, in order.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// noChromium is why the browser tests do not run.
const noChromium = "no Chromium found: apt-get install chromium, or set JML_TEST_CHROMIUM"

// browserBudget bounds a whole browser test: a hung page fails the test
// after it instead of hanging go test. The tests take a few seconds; the
// bounds are far above that, so that a loaded machine (go test ./... on
// two cores beside other builds) is not a failure: a step took over 10 s
// there once.
const browserBudget = 3 * time.Minute

// findChromium returns the browser to drive, or why there is none and
// whether that is a failure (in CI, or when JML_TEST_CHROMIUM names
// something that is not there) rather than a reason to skip.
func findChromium(getenv func(string) string, lookPath func(string) (string, error)) (path, problem string, required bool) {
	if p := getenv("JML_TEST_CHROMIUM"); p != "" {
		found, err := lookPath(p)
		if err != nil {
			return "", fmt.Sprintf("JML_TEST_CHROMIUM=%s: %v", p, err), true
		}
		return found, "", true
	}
	for _, name := range chromiumNames {
		if found, err := lookPath(name); err == nil {
			return found, "", false
		}
	}
	ci := getenv("CI")
	return "", noChromium, ci != "" && ci != "false" && ci != "0"
}

func TestFindChromium(t *testing.T) {
	onPath := func(names ...string) func(string) (string, error) {
		return func(name string) (string, error) {
			if slices.Contains(names, name) {
				return "/usr/bin/" + filepath.Base(name), nil
			}
			return "", exec.ErrNotFound
		}
	}
	tests := []struct {
		name     string
		env      map[string]string
		lookPath func(string) (string, error)
		path     string
		problem  string
		required bool
	}{
		{name: "on PATH", lookPath: onPath("chromium"), path: "/usr/bin/chromium"},
		{name: "chromium first", lookPath: onPath("google-chrome", "chromium"), path: "/usr/bin/chromium"},
		{name: "chrome", lookPath: onPath("google-chrome"), path: "/usr/bin/google-chrome"},
		{name: "none: skipped", lookPath: onPath(), problem: noChromium},
		{name: "none in CI: failed", env: map[string]string{"CI": "true"}, lookPath: onPath(), problem: noChromium, required: true},
		{name: "CI=false is not CI", env: map[string]string{"CI": "false"}, lookPath: onPath(), problem: noChromium},
		{name: "the variable wins", env: map[string]string{"JML_TEST_CHROMIUM": "/opt/chrome/chrome"}, lookPath: onPath("chromium", "/opt/chrome/chrome"),
			path: "/usr/bin/chrome", required: true},
		{name: "the variable names nothing: failed", env: map[string]string{"JML_TEST_CHROMIUM": "/nowhere/chromium"}, lookPath: onPath("chromium"),
			problem: "JML_TEST_CHROMIUM=/nowhere/chromium: executable file not found in $PATH", required: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, problem, required := findChromium(func(k string) string { return tt.env[k] }, tt.lookPath)
			if path != tt.path || problem != tt.problem || required != tt.required {
				t.Errorf("findChromium = %q, %q, %v; want %q, %q, %v", path, problem, required, tt.path, tt.problem, tt.required)
			}
		})
	}
}

// chromium returns the browser to drive, skipping the test (or failing it,
// in CI) when there is none.
func chromium(t *testing.T) string {
	t.Helper()
	path, problem, required := findChromium(os.Getenv, exec.LookPath)
	switch {
	case path != "":
		return path
	case required:
		t.Fatal(problem)
	default:
		t.Skip(problem)
	}
	return ""
}

// tab is one headless Chromium tab, with what went wrong on the pages it
// showed: console errors, uncaught exceptions, Content-Security-Policy
// violations and dialogs (an alert would be an injected script that ran).
type tab struct {
	t   *testing.T
	ctx context.Context
	// shots is the directory of the screenshots.
	shots string

	mu sync.Mutex
	// page is the page being shown, for the problems' messages.
	page     string
	problems []string
	// output is the browser's own standard output and error, shown when
	// the test fails.
	output lockedBuffer
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// tail is the last n lines of the buffer, but those about D-Bus, which a
// headless browser in a container always writes.
func (b *lockedBuffer) tail(n int) string {
	var lines []string
	for l := range strings.Lines(b.String()) {
		if !strings.Contains(l, "dbus") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines[max(0, len(lines)-n):], "")
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newTab starts Chromium headless with a fresh profile; it stops when the
// test ends, or after browserBudget.
func newTab(t *testing.T, exe string) *tab {
	t.Helper()
	tb := &tab{t: t, shots: os.Getenv("JML_SCREENSHOTS")}
	if tb.shots == "" {
		tb.shots = t.TempDir()
	} else if err := os.MkdirAll(tb.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	// The profile directory is created before the cancels are registered,
	// so that it is removed after the browser has exited.
	profile := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), browserBudget)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		// /dev/shm is small in containers.
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(&tb.output),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx, chromedp.WithListener(tb.listen))
	t.Cleanup(cancelTab)
	tb.ctx = ctx
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Chromium's output (D-Bus complaints left out):\n%s", tb.output.tail(30))
		}
	})
	if _, err := chromedp.Call(ctx, audits.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("starting %s: %v\n%s", exe, err, tb.output.String())
	}
	return tb
}

// listen records the problems the tab reports. It runs in the tab's
// message loop: it only appends.
func (tb *tab) listen(ev any) {
	var problem string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			problem = fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		problem = fmt.Sprintf("uncaught exception: %s", d.Text)
		if d.Exception != nil {
			problem += " " + d.Exception.Description
		}
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError {
			problem = fmt.Sprintf("%s error: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
		}
	case *audits.EventIssueAdded:
		if ev.Issue.Code == audits.InspectorIssueCodeContentSecurityPolicyIssue {
			problem = "Content-Security-Policy violation"
			if d := ev.Issue.Details; d != nil && d.ContentSecurityPolicyIssueDetails != nil {
				c := d.ContentSecurityPolicyIssueDetails
				problem += fmt.Sprintf(": %s blocked (%s %s)", c.ViolatedDirective, c.ContentSecurityPolicyViolationType, c.BlockedURL)
			}
		}
	case *cdppage.EventJavascriptDialogOpening:
		problem = fmt.Sprintf("a %s dialog opened: %q", ev.Type, ev.Message)
	}
	if problem == "" {
		return
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.problems = append(tb.problems, tb.page+": "+problem)
}

// takeProblems returns the problems reported since the last call.
func (tb *tab) takeProblems() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	p := tb.problems
	tb.problems = nil
	return p
}

// clean fails the test for every problem the pages reported.
func (tb *tab) clean() {
	tb.t.Helper()
	for _, p := range tb.takeProblems() {
		tb.t.Error(p)
	}
}

func (tb *tab) setPage(name string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.page = name
}

// stepTimeout bounds one step (a navigation, a wait for an element): a
// page that never shows what is awaited fails that step, not the whole
// browser.
const stepTimeout = time.Minute

// step is the context of one step.
func (tb *tab) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(tb.ctx, stepTimeout)
}

// do runs actions, failing the test with what was being done.
func (tb *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := tb.step()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %v", what, err)
	}
}

// run runs one action and returns its value.
func run[T any](tb *tab, what string, a chromedp.Action[T]) T {
	tb.t.Helper()
	ctx, cancel := tb.step()
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tb.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// open navigates to rawURL, waits until sel is visible, and checks the
// answer was a 200 with no problem on the page.
func (tb *tab) open(rawURL, sel string) *network.Response {
	tb.t.Helper()
	tb.setPage(rawURL)
	resp := run(tb, "opening "+rawURL, chromedp.NavigateResponse(rawURL))
	return tb.loaded(resp, sel)
}

// follow runs an action that navigates (a click on a link or a submit
// button) and waits for the new page as open does.
func (tb *tab) follow(what, sel string, action chromedp.Action[chromedp.Void]) *network.Response {
	tb.t.Helper()
	tb.setPage(what)
	ctx, cancel := tb.step()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, action)
	if err != nil {
		tb.t.Fatalf("%s: %v", what, err)
	}
	return tb.loaded(resp, sel)
}

func (tb *tab) loaded(resp *network.Response, sel string) *network.Response {
	tb.t.Helper()
	if resp == nil {
		tb.t.Fatalf("%s: no response", tb.page)
	}
	tb.setPage(resp.URL)
	if resp.Status != http.StatusOK {
		tb.t.Fatalf("%s: status %d %s", resp.URL, resp.Status, resp.StatusText)
	}
	tb.do("waiting for "+sel+" on "+resp.URL, chromedp.WaitVisible(chromedp.CSS(sel)))
	tb.clean()
	// A style meant for something else can undo a table's layout.
	if bad := run(tb, "checking the tables' rows", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("table tr"),
		tr => getComputedStyle(tr).display === "table-row" ? "" : tr.closest("table").id + " tr." + tr.className.replaceAll(" ", ".") + ": display " + getComputedStyle(tr).display).filter(s => s)`)); len(bad) > 0 {
		tb.t.Errorf("%s: table rows not laid out as rows: %q", resp.URL, bad)
	}
	return resp
}

// text is the visible text of the first element matching sel (the page
// is rendered on the server: it must be there).
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	if tb.count(sel) == 0 {
		tb.t.Fatalf("no %s on %s", sel, tb.page)
	}
	return strings.TrimSpace(run(tb, "reading "+sel, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible)))
}

// textContent is the text of sel, shown or not.
func (tb *tab) textContent(sel string) string {
	tb.t.Helper()
	if tb.count(sel) == 0 {
		tb.t.Fatalf("no %s on %s", sel, tb.page)
	}
	return run(tb, "reading "+sel, chromedp.TextContent(chromedp.CSS(sel), chromedp.NodeReady))
}

// count is the number of elements matching sel on the page as it is.
func (tb *tab) count(sel string) int {
	tb.t.Helper()
	return run(tb, "counting "+sel, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
}

// isOpen says whether the details element sel is open.
func (tb *tab) isOpen(sel string) bool {
	tb.t.Helper()
	return run(tb, "reading "+sel+".open", chromedp.Evaluate[bool](fmt.Sprintf("document.querySelector(%q).open", sel)))
}

// expand opens the details element sel as a reader does: by clicking the
// summary of every closed details around it, outermost first, then its
// own. (The summaries to click are marked with data-expand for the
// clicks, then unmarked.)
func (tb *tab) expand(sel string) {
	tb.t.Helper()
	n := run(tb, "finding the closed details around "+sel, chromedp.Evaluate[int](fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		if (!el) return -1;
		let n = 0;
		for (let d = el; d; d = d.parentElement && d.parentElement.closest("details")) {
			const s = d.querySelector(":scope > summary");
			if (!d.open && s) { s.dataset.expand = ""; n++; }
		}
		return n;
	})()`, sel)))
	if n < 0 {
		tb.t.Fatalf("no %s on %s", sel, tb.page)
	}
	if n > 0 {
		summaries := run(tb, "finding the summaries to click", chromedp.Nodes(chromedp.CSSAll("summary[data-expand]")))
		for _, s := range summaries {
			tb.do("clicking a summary to open "+sel, chromedp.MouseClickNode(s))
		}
		tb.do("unmarking the summaries", chromedp.Evaluate[chromedp.Void](
			`document.querySelectorAll("summary[data-expand]").forEach(s => delete s.dataset.expand)`))
	}
	if !tb.isOpen(sel) {
		tb.t.Fatalf("%s does not open", sel)
	}
}

// screenshot writes the page as NAME.png into the screenshots directory.
func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	png := run(tb, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(tb.shots, name+".png"), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// colorJS defines, in the page, rgb(c, under): the CSS colour c as
// [r, g, b], whatever form it was written in, painted over the colour
// under (white when omitted) — a canvas converts it — and
// background(el): the first background colour at or above el that is not
// transparent.
const colorJS = `
	const canvas = document.createElement("canvas").getContext("2d", {willReadFrequently: true});
	const rgb = (c, under) => {
		canvas.fillStyle = under || "#fff"; canvas.fillRect(0, 0, 1, 1);
		canvas.fillStyle = c; canvas.fillRect(0, 0, 1, 1);
		const d = canvas.getImageData(0, 0, 1, 1).data;
		return [d[0], d[1], d[2]];
	};
	const css = c => "rgb(" + c.join(",") + ")";
	const background = el => {
		for (let e = el; e; e = e.parentElement) {
			const c = getComputedStyle(e).backgroundColor;
			if (c !== "transparent" && !/^rgba\(.*,\s*0\)$/.test(c)) return rgb(c);
		}
		return rgb("white");
	};
`

// colors are the page's background and text colours.
func (tb *tab) colors() (bg, fg [3]float64) {
	tb.t.Helper()
	v := run(tb, "reading the page's colours", chromedp.Evaluate[[][3]float64](`(() => {`+colorJS+`
		const bg = background(document.body);
		return [bg, rgb(getComputedStyle(document.body).color, css(bg))];
	})()`))
	return v[0], v[1]
}

// graphLabel is a node of the flow graph: its label's colour and its
// shape's (what is behind the shape when it has no fill).
type graphLabel struct {
	Node         string
	Label, Shape [3]float64
}

// graphLabels reads every node of the flow graph on the page.
func (tb *tab) graphLabels() []graphLabel {
	tb.t.Helper()
	return run(tb, "reading the graph's colours", chromedp.Evaluate[[]graphLabel](`(() => {`+colorJS+`
		const svg = document.querySelector("svg.flow-graph");
		const under = background(svg);
		return Array.from(svg.querySelectorAll("g.node, g.pseudo"), g => {
			const shape = g.querySelector(".shape") || g.querySelector("rect, path, polygon, ellipse, circle");
			const fill = shape ? getComputedStyle(shape).fill : "none";
			const behind = fill === "none" || fill.startsWith("url") ? under : rgb(fill, css(under));
			return {
				Node: g.dataset.card || g.dataset.node || g.getAttribute("class"),
				Label: rgb(getComputedStyle(g.querySelector("text")).fill, css(behind)),
				Shape: behind,
			};
		});
	})()`))
}

// readableGraph fails the test for a node label of the flow graph that
// does not stand out from its shape (3:1, WCAG's floor for graphics).
func (tb *tab) readableGraph() {
	tb.t.Helper()
	for _, n := range tb.graphLabels() {
		if c := contrast(n.Label, n.Shape); c < 3 {
			tb.t.Errorf("%s: the graph's node %s has its label %v on %v: contrast %.1f:1, under 3:1", tb.page, n.Node, n.Label, n.Shape, c)
		}
	}
}

// luminance is the relative luminance of an sRGB colour (WCAG).
func luminance(c [3]float64) float64 {
	lin := func(v float64) float64 {
		v /= 255
		if v <= 0.03928 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c[0]) + 0.7152*lin(c[1]) + 0.0722*lin(c[2])
}

// contrast is the WCAG contrast ratio of two colours.
func contrast(a, b [3]float64) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// browserBase is the URL prefix the browser test serves the pages under,
// as `jml serve` does: every link must carry it.
const browserBase = "/ui"

// TestBrowser: in a real browser, a reviewer finds the failed run (and
// then the halted ones) with the filter form, opens it, expands its cards
// to the vendor's error and copies the resume command, opens a helper
// call's cards, and looks at the
// flow's graph, the overview and a user — in light and dark mode, with no
// console error and no Content-Security-Policy violation on any page,
// event and vendor markup shown as text, and without JavaScript too.
func TestBrowser(t *testing.T) {
	exe := chromium(t)
	fx := getFixture(t, "sqlite")
	h, err := webui.New(fx.Store, webui.Options{Graph: fx.Graph, Base: browserBase})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	base := srv.URL + browserBase
	runLink := func(id string) string {
		return `table#runs tr.run a.run-link[href="` + browserBase + "/runs/" + id + `"]`
	}

	tb := newTab(t, exe)
	t.Logf("screenshots in %s", tb.shots)

	// The detector works: a page that breaks the web view's own policy is
	// reported (else a clean run below would prove nothing).
	resp := tb.open(base+"/runs", "table#runs")
	var csp string
	for k, v := range resp.Headers {
		if strings.EqualFold(k, "Content-Security-Policy") {
			csp, _ = v.(string)
		}
	}
	if csp == "" {
		t.Fatalf("the runs page has no Content-Security-Policy header: %v", resp.Headers)
	}
	probe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		fmt.Fprint(w, `<!doctype html><title>probe</title><link rel="icon" href="data:,"><p>probe</p><script>document.title = "ran"</script>`)
	}))
	t.Cleanup(probe.Close)
	tb.setPage("the CSP probe")
	run(tb, "opening the CSP probe", chromedp.NavigateResponse(probe.URL))
	if title := run(tb, "reading the probe's title", chromedp.Title()); title != "probe" {
		t.Errorf("the probe's inline script ran under %q (title %q)", csp, title)
	}
	if p := tb.takeProblems(); !slices.ContainsFunc(p, func(s string) bool { return strings.Contains(s, "Content-Security-Policy violation") }) {
		t.Fatalf("an inline script blocked by %q was not reported as a violation; reported: %q", csp, p)
	}

	t.Run("runs", func(t *testing.T) {
		tb.t = t
		tb.open(base+"/runs", "table#runs")
		if n := tb.count("table#runs tr.run"); n != 4 {
			t.Errorf("%d runs listed, want 4", n)
		}
		// A login that is markup is shown as text.
		if got := tb.textContent("table#runs"); !strings.Contains(got, xssLogin) {
			t.Errorf("the runs table does not show the login %q as text:\n%s", xssLogin, got)
		}
		if n := tb.count(`img, table#runs script`); n != 0 {
			t.Errorf("markup from an event became %d elements", n)
		}
		tb.screenshot("runs")
	})

	t.Run("failed run", func(t *testing.T) {
		tb.t = t
		tb.open(base+"/runs", "form#run-filters")
		tb.do("choosing status failed", chromedp.SetValue(chromedp.CSS(`form#run-filters select[name="status"]`), "failed"))
		resp := tb.follow("submitting the filters", "table#runs", chromedp.Click(chromedp.CSS(`form#run-filters [type="submit"]`)))
		if u, err := url.Parse(resp.URL); err != nil || u.Query().Get("status") != "failed" {
			t.Errorf("the filtered page's URL %q does not hold status=failed", resp.URL)
		}
		if n, failed := tb.count("table#runs tr.run"), tb.count("table#runs tr.run.failed"); n != 1 || failed != 1 {
			t.Errorf("%d runs listed (%d failed), want Ann's failed run", n, failed)
		}
		tb.screenshot("runs-failed")

		resp = tb.follow("opening Ann's run", "section#run", chromedp.Click(chromedp.CSS(runLink(fx.Ann))))
		if want := browserBase + "/runs/" + fx.Ann; !strings.HasSuffix(resp.URL, want) {
			t.Errorf("the run link led to %s, want …%s", resp.URL, want)
		}
		// Where and why, at the top: the forEach that had no list to go
		// over.
		if got := tb.text("#failure"); !strings.Contains(got, "failed at each_group") || !strings.Contains(got, "no such key: groups") {
			t.Errorf("#failure says %q, want the run failed at each_group, no such key: groups", got)
		}
		if got, want := tb.text("#failure #resume-command"), "jml resume "+fx.Ann; got != want {
			t.Errorf("the resume command is %q, want %q", got, want)
		}
		if n := tb.count("#failure button.copy-button"); n != 1 {
			t.Errorf("%d copy buttons beside the resume command, want 1", n)
		}
		// The card Okta refused shows the vendor's error.
		groups := `details.card.failed[data-card="groups"]`
		tb.expand(groups)
		if got := tb.text(groups + " > .card-body > .error"); !strings.Contains(got, "You do not have permission to perform the requested action") || !strings.Contains(got, "403") {
			t.Errorf("the groups card's error %q does not show Okta's 403 and its message", got)
		}
		tb.clean()
		tb.screenshot("run-failed")
	})

	t.Run("halted run", func(t *testing.T) {
		tb.t = t
		tb.open(base+"/runs", "form#run-filters")
		tb.do("choosing status halted", chromedp.SetValue(chromedp.CSS(`form#run-filters select[name="status"]`), "halted"))
		resp := tb.follow("submitting the filters", "table#runs", chromedp.Click(chromedp.CSS(`form#run-filters [type="submit"]`)))
		if u, err := url.Parse(resp.URL); err != nil || u.Query().Get("status") != "halted" {
			t.Errorf("the filtered page's URL %q does not hold status=halted", resp.URL)
		}
		if n, halted := tb.count("table#runs tr.run"), tb.count("table#runs tr.run.halted"); n != 2 || halted != 2 {
			t.Errorf("%d runs listed (%d halted), want Bob's and Mallory's halted runs", n, halted)
		}
		tb.screenshot("runs-halted")

		resp = tb.follow("opening Bob's run", "section#run", chromedp.Click(chromedp.CSS(runLink(fx.Bob))))
		if want := browserBase + "/runs/" + fx.Bob; !strings.HasSuffix(resp.URL, want) {
			t.Errorf("the run link led to %s, want …%s", resp.URL, want)
		}
		if got := tb.text("#failure"); !strings.Contains(got, "Backend Error") || !strings.Contains(got, "500") {
			t.Errorf("#failure says %q, want Slack's 500 Backend Error", got)
		}
		if got, want := tb.text("#failure #resume-command"), "jml resume "+fx.Bob; got != want {
			t.Errorf("the resume command is %q, want %q", got, want)
		}
		// app.js adds a copy button beside it.
		if n := tb.count("#failure button.copy-button"); n != 1 {
			t.Errorf("%d copy buttons beside the resume command, want 1", n)
		}

		// A card that succeeded starts closed; a click on its summary
		// shows its inputs.
		sessions := `details.card[data-card="sessions"]`
		if tb.isOpen(sessions) {
			t.Errorf("%s is open before it is clicked", sessions)
		}
		tb.expand(sessions)
		if got := tb.text(sessions + " > .card-body > .inputs"); !strings.Contains(got, "00u2bob00002") {
			t.Errorf("the sessions card's inputs %q do not show Bob's Okta id", got)
		}
		// The card that halted the run shows the vendor's error and its
		// two attempts.
		slack := `details.card[data-card="slack"]`
		tb.expand(slack)
		if got := tb.text(slack + " > .card-body > .error"); !strings.Contains(got, "Backend Error") || !strings.Contains(got, "500") {
			t.Errorf("the slack card's error %q does not show the 500 and Backend Error", got)
		}
		if got := tb.text(slack + " > .card-body > .attempts"); !strings.Contains(got, "Attempts: 2") {
			t.Errorf("the slack card's attempts %q, want 2", got)
		}
		tb.clean()
		tb.screenshot("run-halted")
	})

	t.Run("vendor error with markup", func(t *testing.T) {
		tb.t = t
		tb.open(base+"/runs/"+fx.Mal, "section#run")
		sessions := `details.card[data-card="sessions"]`
		tb.expand(sessions)
		if got := tb.text(sessions + " > .card-body > .error"); !strings.Contains(got, xssMessage) {
			t.Errorf("the error %q does not show Okta's message %q as text", got, xssMessage)
		}
		if n := tb.count(`img, section#run script`); n != 0 {
			t.Errorf("markup from a vendor became %d elements", n)
		}
		tb.screenshot("run-markup")
	})

	t.Run("helper call", func(t *testing.T) {
		tb.t = t
		tb.open(base+"/runs/"+fx.Jane, "section#run")
		// The helper's card is nested in the call card, both closed: a
		// reader opens the call, then the card.
		record := `details.card[data-card="ticket"] details.card[data-card="record"]`
		if tb.count(record) != 1 {
			t.Fatalf("no %s on Jane's run", record)
		}
		tb.expand(record)
		if got := tb.text(record + " > .card-body > .outputs"); !strings.Contains(got, "SCTASK") {
			t.Errorf("the helper's record card outputs %q, want the ticket number", got)
		}
		tb.screenshot("run-success")
	})

	t.Run("flow", func(t *testing.T) {
		tb.t = t
		tb.open(base+"/flows/leaver", "section#flow svg.flow-graph")
		// One g.node per card of the compiled flow, named as a run's
		// trace names it: its step id, else its path.
		cards := run(tb, "reading the graph's cards", chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll("section#flow svg.flow-graph g.node"), g => g.dataset.card || "")`))
		f := fx.Graph.Flows["leaver"]
		for _, n := range f.Nodes {
			ref := n.StepID
			if ref == "" {
				ref = n.Path
			}
			if c := countOf(cards, ref); c != 1 {
				t.Errorf("card %s is drawn %d times, want once (g.node data-card values: %q)", ref, c, cards)
			}
		}
		if len(cards) != len(f.Nodes) {
			t.Errorf("the SVG has %d g.node, the flow %d cards: %q", len(cards), len(f.Nodes), cards)
		}
		tb.readableGraph()
		if got := tb.textContent("table#flow-runs"); !strings.Contains(got, fx.Bob) {
			t.Errorf("the flow's runs do not list %s:\n%s", fx.Bob, got)
		}
		tb.screenshot("flow-leaver")
	})

	t.Run("overview and user", func(t *testing.T) {
		tb.t = t
		tb.open(base+"/", "section#overview svg#runs-per-day")
		if got := tb.textContent("table#rate-limited"); !strings.Contains(got, "slack") {
			t.Errorf("the 429 Slack answered Jane is not listed:\n%s", got)
		}
		tb.screenshot("overview")
		tb.open(base+"/users/"+url.PathEscape(janeLogin), "table#user-runs")
		if got := tb.textContent("table#user-runs"); !strings.Contains(got, fx.Jane) {
			t.Errorf("Jane's page does not list her run %s:\n%s", fx.Jane, got)
		}
		tb.do("waiting for Jane's verify matrix", chromedp.WaitVisible(chromedp.CSS("section#verify")))
		tb.screenshot("user")
	})

	t.Run("dark mode", func(t *testing.T) {
		tb.t = t
		runPage := base + "/runs/" + fx.Bob
		tb.open(runPage, "section#run")
		lightBg, lightFg := tb.colors()
		if c := contrast(lightBg, lightFg); c < 4.5 {
			t.Errorf("light mode's text contrast is %.1f:1, under 4.5:1", c)
		}
		dark := []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}
		if _, err := chromedp.Call(tb.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: dark}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { chromedp.Call(tb.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}) })
		for _, p := range []struct {
			url, sel, expand, name string
			graph                  bool
		}{
			{url: runPage, sel: "section#run", expand: `details.card[data-card="sessions"]`, name: "run-halted-dark"},
			{url: base + "/runs", sel: "table#runs", name: "runs-dark"},
			{url: base + "/flows/leaver", sel: "section#flow svg.flow-graph", name: "flow-leaver-dark", graph: true},
			{url: base + "/", sel: "section#overview", name: "overview-dark"},
		} {
			tb.open(p.url, p.sel)
			if p.expand != "" {
				tb.expand(p.expand)
			}
			if !run(tb, "matching the dark scheme", chromedp.Evaluate[bool](`matchMedia("(prefers-color-scheme: dark)").matches`)) {
				t.Fatal("the dark colour scheme is not emulated")
			}
			bg, fg := tb.colors()
			if luminance(bg) >= luminance(fg) || luminance(bg) >= luminance(lightBg) {
				t.Errorf("%s: dark mode draws text %v on %v (light mode: %v on %v)", p.url, fg, bg, lightFg, lightBg)
			}
			if c := contrast(bg, fg); c < 4.5 {
				t.Errorf("%s: dark mode's text contrast is %.1f:1, under 4.5:1", p.url, c)
			}
			if p.graph {
				tb.readableGraph()
			}
			tb.screenshot(p.name)
		}
	})

	// Every page works without JavaScript: the filter form is a plain GET
	// form, cards and the event are <details>.
	t.Run("without JavaScript", func(t *testing.T) {
		tb.t = t
		if _, err := chromedp.Call(tb.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			chromedp.Call(tb.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false})
		})
		tb.open(base+"/runs", "form#run-filters")
		tb.do("typing Bob's login", chromedp.SendKeys(chromedp.CSS(`form#run-filters input[name="user"]`), bobLogin))
		resp := tb.follow("submitting the filters", "table#runs", chromedp.Click(chromedp.CSS(`form#run-filters [type="submit"]`)))
		if u, err := url.Parse(resp.URL); err != nil || u.Query().Get("user") != bobLogin {
			t.Errorf("the filtered page's URL %q does not hold user=%s", resp.URL, bobLogin)
		}
		if n := tb.count("table#runs tr.run"); n != 1 {
			t.Fatalf("%d runs listed, want Bob's alone", n)
		}
		tb.follow("opening Bob's run", "section#run", chromedp.Click(chromedp.CSS(runLink(fx.Bob))))
		if got, want := tb.text("#failure #resume-command"), "jml resume "+fx.Bob; got != want {
			t.Errorf("the resume command is %q, want %q", got, want)
		}
		if n := tb.count("button.copy-button"); n != 0 {
			t.Errorf("%d copy buttons with JavaScript off", n)
		}
		tb.expand("details#event")
		if got := tb.text("details#event pre"); !strings.Contains(got, bobLogin) {
			t.Errorf("the event does not show Bob's login:\n%s", got)
		}
		tb.screenshot("run-halted-nojs")
	})
	tb.t = t
	tb.clean()
}

func countOf(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}
