package diag

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func at(file string, line, col int) Range {
	return Range{File: file, Start: Pos{Line: line, Column: col}}
}

func d(sev Severity, r Range, code, msg string) Diagnostic {
	return Diagnostic{Severity: sev, Code: code, Message: msg, Range: r}
}

func TestNormalize(t *testing.T) {
	cases := []struct {
		name        string
		in          Diagnostics
		max         int
		want        Diagnostics
		wantDropped int
	}{
		{name: "empty", in: nil, want: Diagnostics{}},
		{
			name: "sorted by file, line, column",
			in: Diagnostics{
				d(Error, at("b.yaml", 1, 1), "x", "m"),
				d(Error, at("a.yaml", 2, 1), "x", "m"),
				d(Error, at("a.yaml", 1, 5), "x", "m"),
				d(Error, at("a.yaml", 1, 2), "x", "m"),
				d(Error, at("a.yaml", 10, 1), "x", "m"),
			},
			want: Diagnostics{
				d(Error, at("a.yaml", 1, 2), "x", "m"),
				d(Error, at("a.yaml", 1, 5), "x", "m"),
				d(Error, at("a.yaml", 2, 1), "x", "m"),
				d(Error, at("a.yaml", 10, 1), "x", "m"),
				d(Error, at("b.yaml", 1, 1), "x", "m"),
			},
		},
		{
			name: "whole-file diagnostics first",
			in: Diagnostics{
				d(Error, at("a.yaml", 3, 1), "x", "m"),
				d(Error, Range{File: "a.yaml"}, "read-error", "m"),
			},
			want: Diagnostics{
				d(Error, Range{File: "a.yaml"}, "read-error", "m"),
				d(Error, at("a.yaml", 3, 1), "x", "m"),
			},
		},
		{
			name: "at one position: errors before warnings, then by code, then message",
			in: Diagnostics{
				d(Warning, at("a.yaml", 1, 1), "a-code", "m"),
				d(Error, at("a.yaml", 1, 1), "z-code", "m"),
				d(Error, at("a.yaml", 1, 1), "b-code", "second"),
				d(Error, at("a.yaml", 1, 1), "b-code", "first"),
			},
			want: Diagnostics{
				d(Error, at("a.yaml", 1, 1), "b-code", "first"),
				d(Error, at("a.yaml", 1, 1), "b-code", "second"),
				d(Error, at("a.yaml", 1, 1), "z-code", "m"),
				d(Warning, at("a.yaml", 1, 1), "a-code", "m"),
			},
		},
		{
			name: "identical diagnostics de-duplicated, even when apart",
			in: Diagnostics{
				d(Error, at("a.yaml", 1, 1), "dup", "same"),
				d(Error, at("a.yaml", 2, 1), "other", "m"),
				d(Error, at("a.yaml", 1, 1), "dup", "same"),
				d(Error, at("a.yaml", 1, 1), "dup", "same"),
			},
			want: Diagnostics{
				d(Error, at("a.yaml", 1, 1), "dup", "same"),
				d(Error, at("a.yaml", 2, 1), "other", "m"),
			},
		},
		{
			name: "same message elsewhere or with another code is kept",
			in: Diagnostics{
				d(Error, at("a.yaml", 1, 1), "dup", "same"),
				d(Error, at("a.yaml", 1, 2), "dup", "same"),
				d(Error, at("b.yaml", 1, 1), "dup", "same"),
				d(Error, at("a.yaml", 1, 1), "dup2", "same"),
				d(Error, at("a.yaml", 1, 1), "dup", "different"),
			},
			want: Diagnostics{
				d(Error, at("a.yaml", 1, 1), "dup", "different"),
				d(Error, at("a.yaml", 1, 1), "dup", "same"),
				d(Error, at("a.yaml", 1, 1), "dup2", "same"),
				d(Error, at("a.yaml", 1, 2), "dup", "same"),
				d(Error, at("b.yaml", 1, 1), "dup", "same"),
			},
		},
		{
			name: "capped: the first max kept, the rest counted",
			in: Diagnostics{
				d(Error, at("a.yaml", 5, 1), "x", "m"),
				d(Error, at("a.yaml", 4, 1), "x", "m"),
				d(Error, at("a.yaml", 3, 1), "x", "m"),
				d(Error, at("a.yaml", 2, 1), "x", "m"),
				d(Error, at("a.yaml", 1, 1), "x", "m"),
			},
			max: 2,
			want: Diagnostics{
				d(Error, at("a.yaml", 1, 1), "x", "m"),
				d(Error, at("a.yaml", 2, 1), "x", "m"),
			},
			wantDropped: 3,
		},
		{
			name: "duplicates do not count against the cap",
			in: Diagnostics{
				d(Error, at("a.yaml", 1, 1), "x", "m"),
				d(Error, at("a.yaml", 1, 1), "x", "m"),
				d(Error, at("a.yaml", 1, 1), "x", "m"),
				d(Error, at("a.yaml", 2, 1), "x", "m"),
			},
			max: 2,
			want: Diagnostics{
				d(Error, at("a.yaml", 1, 1), "x", "m"),
				d(Error, at("a.yaml", 2, 1), "x", "m"),
			},
		},
		{
			name: "cap at exactly the count drops nothing",
			in:   Diagnostics{d(Error, at("a.yaml", 2, 1), "x", "m"), d(Error, at("a.yaml", 1, 1), "x", "m")},
			max:  2,
			want: Diagnostics{d(Error, at("a.yaml", 1, 1), "x", "m"), d(Error, at("a.yaml", 2, 1), "x", "m")},
		},
		{
			name: "negative cap keeps all",
			in:   Diagnostics{d(Error, at("a.yaml", 2, 1), "x", "m"), d(Error, at("a.yaml", 1, 1), "x", "m")},
			max:  -1,
			want: Diagnostics{d(Error, at("a.yaml", 1, 1), "x", "m"), d(Error, at("a.yaml", 2, 1), "x", "m")},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			orig := append(Diagnostics(nil), tc.in...)
			got, dropped := tc.in.Normalize(tc.max)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Normalize =\n%v\nwant\n%v", got, tc.want)
			}
			if dropped != tc.wantDropped {
				t.Errorf("dropped %d, want %d", dropped, tc.wantDropped)
			}
			if !reflect.DeepEqual(tc.in, orig) {
				t.Errorf("Normalize changed its receiver: %v", tc.in)
			}
		})
	}
}

func TestNormalizeIsStableAndIdempotent(t *testing.T) {
	in := Diagnostics{
		d(Warning, at("b.yaml", 3, 4), "w", "warn"),
		d(Error, at("a.yaml", 1, 1), "e", "err"),
		d(Error, at("a.yaml", 1, 1), "e", "err"),
		d(Error, Range{}, "x", "no file"),
	}
	once, _ := in.Normalize(0)
	twice, dropped := once.Normalize(0)
	if !reflect.DeepEqual(once, twice) || dropped != 0 {
		t.Errorf("second Normalize changed the list:\n%v\n%v", once, twice)
	}
	if len(once) != 3 {
		t.Errorf("got %d diagnostics, want 3: %v", len(once), once)
	}
}

func TestRangeString(t *testing.T) {
	cases := []struct {
		name string
		r    Range
		want string
	}{
		{name: "file, line and column", r: at("flows/a.yaml", 3, 7), want: "flows/a.yaml:3:7"},
		{name: "line only", r: Range{File: "a.yaml", Start: Pos{Line: 3}}, want: "a.yaml:3"},
		{name: "whole file", r: Range{File: "a.yaml"}, want: "a.yaml"},
		{name: "no file", r: Range{Start: Pos{Line: 3, Column: 1}}, want: "<unknown>"},
		{name: "end is not shown", r: Range{File: "a.yaml", Start: Pos{Line: 1, Column: 2}, End: Pos{Line: 1, Column: 9}}, want: "a.yaml:1:2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCountAndHasErrors(t *testing.T) {
	cases := []struct {
		name           string
		ds             Diagnostics
		errs, warnings int
	}{
		{name: "none", ds: nil},
		{name: "warnings only", ds: Diagnostics{d(Warning, Range{}, "w", "m"), d(Warning, Range{}, "w", "m")}, warnings: 2},
		{name: "errors only", ds: Diagnostics{d(Error, Range{}, "e", "m")}, errs: 1},
		{name: "mixed", ds: Diagnostics{d(Warning, Range{}, "w", "m"), d(Error, Range{}, "e", "m"), d(Error, Range{}, "e", "m")}, errs: 2, warnings: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, w := tc.ds.Count()
			if e != tc.errs || w != tc.warnings {
				t.Errorf("Count = %d, %d; want %d, %d", e, w, tc.errs, tc.warnings)
			}
			if got := tc.ds.HasErrors(); got != (tc.errs > 0) {
				t.Errorf("HasErrors = %v, want %v", got, tc.errs > 0)
			}
			err := tc.ds.Err()
			if (err != nil) != (tc.errs > 0) {
				t.Fatalf("Err = %v, want an error only when there are errors", err)
			}
			if err != nil {
				var el ErrorList
				if !errors.As(err, &el) || len(el) != len(tc.ds) {
					t.Errorf("Err = %#v, want an ErrorList of all %d diagnostics", err, len(tc.ds))
				}
			}
		})
	}
}

func TestBuilders(t *testing.T) {
	var ds Diagnostics
	ds.Errorf(at("a.yaml", 1, 2), "bad-thing", "bad %s at %d", "x", 3)
	ds.Warnf(at("a.yaml", 4, 5), "odd-thing", "odd %q", "y")
	ds.Add(d(Error, at("b.yaml", 1, 1), "c", "m1"), d(Warning, at("b.yaml", 2, 1), "c", "m2"))
	want := Diagnostics{
		d(Error, at("a.yaml", 1, 2), "bad-thing", "bad x at 3"),
		d(Warning, at("a.yaml", 4, 5), "odd-thing", `odd "y"`),
		d(Error, at("b.yaml", 1, 1), "c", "m1"),
		d(Warning, at("b.yaml", 2, 1), "c", "m2"),
	}
	if !reflect.DeepEqual(ds, want) {
		t.Errorf("got\n%v\nwant\n%v", ds, want)
	}
}

func TestErrorStrings(t *testing.T) {
	e := d(Error, at("a.yaml", 1, 2), "bad-thing", "it is bad")
	w := d(Warning, Range{File: "b.yaml"}, "odd-thing", "it is odd")
	cases := []struct {
		name string
		got  string
		want string
	}{
		{name: "error", got: e.Error(), want: "a.yaml:1:2: error: it is bad [bad-thing]"},
		{name: "warning", got: w.Error(), want: "b.yaml: warning: it is odd [odd-thing]"},
		{name: "list", got: ErrorList{e, w}.Error(), want: "a.yaml:1:2: error: it is bad [bad-thing]\nb.yaml: warning: it is odd [odd-thing]"},
		{name: "empty list", got: ErrorList{}.Error(), want: ""},
		{name: "severity error", got: Error.String(), want: "error"},
		{name: "severity warning", got: Warning.String(), want: "warning"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestDiagnosticJSON(t *testing.T) {
	b, err := json.Marshal(Diagnostic{Severity: Warning, Code: "c", Message: "m", Range: at("a.yaml", 1, 2)})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"severity":"warning","code":"c","message":"m","range":{"file":"a.yaml","start":{"line":1,"column":2},"end":{"line":0,"column":0}}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}
