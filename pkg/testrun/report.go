package testrun

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/jml-dev/jml/pkg/view"
)

// Summary counts results.
type Summary struct {
	Passed, Failed, Errors, Skipped int
}

// Add counts one result.
func (s *Summary) Add(r *Result) {
	switch r.Outcome {
	case Pass:
		s.Passed++
	case Fail:
		s.Failed++
	case Error:
		s.Errors++
	case Skipped:
		s.Skipped++
	}
}

// Total is the number of tests counted.
func (s Summary) Total() int { return s.Passed + s.Failed + s.Errors + s.Skipped }

// OK reports whether no test failed or errored.
func (s Summary) OK() bool { return s.Failed == 0 && s.Errors == 0 }

// WriteText writes one result like go test: "ok", "FAIL" or "skip", the
// file and the test's name; under a failure, each expectation that did not
// hold at its place in the test file, then the diff of expected (-) and
// actual (+); under an invalid test file, its diagnostics with snippets.
func WriteText(w io.Writer, r *Result, st view.Styles) {
	label := st.OK.Render("ok  ")
	switch r.Outcome {
	case Fail, Error:
		label = st.Error.Render("FAIL")
	case Skipped:
		label = st.Warning.Render("skip")
	}
	name := ""
	if r.Name != "" && r.Name != r.Path {
		name = "  " + r.Name
	}
	if r.Outcome == Skipped {
		name += st.Dim.Render(" (" + r.Skip + ")")
	}
	fmt.Fprintf(w, "%s  %s%s\n", label, st.Path.Render(r.Path), name)
	for _, line := range bodyLines(r, st) {
		fmt.Fprintf(w, "    %s\n", line)
	}
}

// bodyLines are the lines under a result's header (without indentation).
func bodyLines(r *Result, st view.Styles) []string {
	var lines []string
	if len(r.Diagnostics) > 0 && (r.Outcome == Error || r.Outcome == Fail) {
		var b bytes.Buffer
		view.DiagnosticsText(&b, r.Diagnostics, func(p string) []byte { return r.Sources[p] }, st)
		lines = append(lines, strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")...)
	}
	if r.Err != "" {
		lines = append(lines, st.Error.Render("error:")+" "+r.Err)
	}
	for _, f := range r.Failures {
		lines = append(lines, fmt.Sprintf("%s: %s %s", st.Path.Render(f.At.String()), f.Message, st.Code.Render("["+f.Code+"]")))
	}
	if len(r.Diff) > 0 {
		lines = append(lines, st.Dim.Render("diff (- expected, + actual):"))
		for _, d := range r.Diff {
			text := fmt.Sprintf("%c %s%s", d.Op, strings.Repeat("  ", d.Indent+1), d.Text)
			switch d.Op {
			case '-':
				text = st.Error.Render(text)
			case '+':
				text = st.OK.Render(text)
			}
			lines = append(lines, text)
		}
	}
	return lines
}

// WriteSummary writes the last line: "ok: N tests passed" or
// "FAIL: N of M tests failed".
func WriteSummary(w io.Writer, s Summary, st view.Styles) {
	skipped := ""
	if s.Skipped > 0 {
		skipped = fmt.Sprintf(", %d skipped", s.Skipped)
	}
	if s.OK() {
		fmt.Fprintf(w, "%s %s passed%s\n", st.OK.Render("ok:"), plural(s.Passed, "test"), skipped)
		return
	}
	bad := s.Failed + s.Errors
	invalid := ""
	if s.Errors > 0 {
		invalid = fmt.Sprintf(" (%d could not run)", s.Errors)
	}
	fmt.Fprintf(w, "%s %d of %s failed%s, %d passed%s\n", st.Error.Render("FAIL:"), bad, plural(s.Total(), "test"), invalid, s.Passed, skipped)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// JUnit XML, as CI dashboards read it (GitLab, Jenkins, the GitHub
// test-report actions): one suite, one case per test file.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr"`
	Line      int           `xml:"line,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",cdata"`
}

// WriteJUnit writes the results as JUnit XML. Times are the virtual
// durations of the runs, so the document is the same on every run.
func WriteJUnit(w io.Writer, results []*Result) error {
	var s Summary
	suite := junitSuite{Name: "jml test"}
	var total float64
	for _, r := range results {
		s.Add(r)
		secs := r.Duration.Seconds()
		total += secs
		c := junitCase{Name: r.Name, Classname: r.Path, File: r.Path, Line: r.Line, Time: fmt.Sprintf("%.3f", secs)}
		body := strings.Join(bodyLines(r, view.Styles{}), "\n")
		switch r.Outcome {
		case Fail:
			c.Failure = &junitMessage{Message: firstMessage(r), Type: r.Failures[0].Code, Text: body}
		case Error:
			c.Error = &junitMessage{Message: firstMessage(r), Type: "invalid-test", Text: body}
		case Skipped:
			c.Skipped = &junitMessage{Message: r.Skip}
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Tests, suite.Failures, suite.Errors, suite.Skipped = s.Total(), s.Failed, s.Errors, s.Skipped
	suite.Time = fmt.Sprintf("%.3f", total)
	doc := junitSuites{Name: "jml test", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors,
		Skipped: suite.Skipped, Time: suite.Time, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func firstMessage(r *Result) string {
	switch {
	case len(r.Failures) > 0:
		if len(r.Failures) == 1 {
			return r.Failures[0].Message
		}
		return fmt.Sprintf("%s (and %d more)", r.Failures[0].Message, len(r.Failures)-1)
	case r.Err != "":
		return r.Err
	case len(r.Diagnostics) > 0:
		d := r.Diagnostics[0]
		return fmt.Sprintf("%s: %s [%s]", d.Range, d.Message, d.Code)
	}
	return "failed"
}
