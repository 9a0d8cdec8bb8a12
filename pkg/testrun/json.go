package testrun

import (
	"encoding/json"
	"io"
)

// JSONReport is `jml test --format json`: one document, its field names a
// contract like the plan's.
type JSONReport struct {
	Tests   []JSONTest  `json:"tests"`
	Summary JSONSummary `json:"summary"`
}

// JSONTest is one test's result.
type JSONTest struct {
	Path string `json:"path"`
	Name string `json:"name"`
	Line int    `json:"line"`
	// Outcome is pass, fail, error or skip.
	Outcome  string        `json:"outcome"`
	Skip     string        `json:"skip,omitempty"`
	Error    string        `json:"error,omitempty"`
	Problems []JSONProblem `json:"problems"`
	Runs     int           `json:"runs"`
}

// JSONProblem is a failed expectation, or a diagnostic of an invalid test
// file, at its place.
type JSONProblem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// JSONSummary counts the tests.
type JSONSummary struct {
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Errors  int `json:"errors"`
	Skipped int `json:"skipped"`
}

var outcomeNames = map[Outcome]string{Pass: "pass", Fail: "fail", Error: "error", Skipped: "skip"}

// WriteJSON writes the results as a JSONReport.
func WriteJSON(w io.Writer, results []*Result) error {
	rep := JSONReport{Tests: []JSONTest{}}
	var sum Summary
	for _, r := range results {
		sum.Add(r)
		t := JSONTest{Path: r.Path, Name: r.Name, Line: r.Line, Outcome: outcomeNames[r.Outcome], Skip: r.Skip, Error: r.Err,
			Problems: []JSONProblem{}, Runs: r.Runs}
		for _, f := range r.Failures {
			t.Problems = append(t.Problems, JSONProblem{File: f.At.File, Line: f.At.Start.Line, Column: f.At.Start.Column, Code: f.Code, Message: f.Message})
		}
		for _, d := range r.Diagnostics {
			t.Problems = append(t.Problems, JSONProblem{File: d.Range.File, Line: d.Range.Start.Line, Column: d.Range.Start.Column, Code: d.Code, Message: d.Message})
		}
		rep.Tests = append(rep.Tests, t)
	}
	rep.Summary = JSONSummary{Passed: sum.Passed, Failed: sum.Failed, Errors: sum.Errors, Skipped: sum.Skipped}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
