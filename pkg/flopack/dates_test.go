package flopack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/expr"
)

// dateFormat is the CEL text of timestamp expression ts in moment.js
// format in the literal time zone tz ("" is UTC), as Date to Text and
// Convert's custom output make it.
func dateFormat(ts, format, tz string) (string, string) {
	zone, utc, why := literalZone(tz)
	if why != "" {
		return "", why
	}
	return dateText("timestamp("+ts+")", format, zone, utc)
}

// evalCEL compiles and evaluates src with inputs in scope.
func evalCEL(t *testing.T, src string, inputs map[string]any) any {
	t.Helper()
	env, err := expr.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	p, issues := env.Compile(src, expr.Scope{Inputs: true})
	if len(issues) > 0 {
		t.Fatalf("%s: %v", src, issues)
	}
	got, err := p.Eval(map[string]any{"inputs": inputs})
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return got
}

// Date to Text: the values Okta's card gives (moment.js's format codes,
// https://help.okta.com/wf/en-us/Content/Topics/Workflows/function-reference/DateTime/datetime_parse.htm
// lists them; Convert's example: 2016-09-07T00:01:25.670Z is "Wed,
// September 7th at 12:01 AM").
func TestDateFormatBehaviour(t *testing.T) {
	const at = "2026-01-05T05:30:09.045Z" // a Monday
	tests := []struct {
		at, format, tz, want, why string
	}{
		{format: "M/D/Y", tz: "US/Pacific", want: "1/4/2026"}, // 05:30 UTC is the day before in LA
		{format: "MM/DD/Y", tz: "Etc/UTC", want: "01/05/2026"},
		{format: "MM/DD/YY", tz: "UTC", want: "01/05/26"},
		{format: "YYYY-MM-DD", tz: "UTC", want: "2026-01-05"},
		{format: "yyyy-MM-DD", tz: "", want: "2026-01-05"}, // moment's era year; an empty zone is UTC
		{format: "yyyy-MM-DDTHH:mm:ss.SSS", tz: "", want: "2026-01-05T05:30:09.045"},
		{format: "dddd, MMMM D, Y h:mm a", tz: "US/Pacific", want: "Sunday, January 4, 2026 9:30 pm"},
		{format: "ddd MMM Do, hh:mm A", tz: "Europe/Paris", want: "Mon Jan 5th, 06:30 AM"},
		{format: "[Today is] dddd", tz: "UTC", want: "Today is Monday"},
		{format: "d E dd DDD DDDD", tz: "UTC", want: "1 1 Mo 5 005"},
		{format: "H:m:s S SS k", tz: "UTC", want: "5:30:9 0 04 5"},
		{format: "YYYY-MM-DDTHH:mm:ssZ", tz: "UTC", want: "2026-01-05T05:30:09+00:00"},
		{format: "X x", tz: "UTC", want: "1767591009 1767591009045"},
		{at: "2026-03-01T00:00:00Z", format: "Do MMMM h A", tz: "UTC", want: "1st March 12 AM"},
		{at: "2026-12-22T12:05:00Z", format: "Do MMM h:mm a", tz: "UTC", want: "22nd Dec 12:05 pm"},
		{at: "2026-01-13T00:00:00Z", format: "Do", tz: "UTC", want: "13th"},
		{at: "2026-01-23T00:00:00Z", format: "Do", tz: "UTC", want: "23rd"},
		{at: "2026-01-11T00:00:00Z", format: "Do", tz: "UTC", want: "11th"},
		{format: "h:mm a z", tz: "US/Pacific", why: `format token "z" is not imported`},
		{format: "HH:mm Z", tz: "US/Pacific", want: "21:30 -08:00"},
		{at: "2026-07-05T05:30:00Z", format: "YYYY-MM-DDTHH:mmZZ", tz: "US/Pacific", want: "2026-07-04T22:30-0700"},
		{at: "2026-07-05T22:30:00Z", format: "D HH:mm Z", tz: "Asia/Kolkata", want: "6 04:00 +05:30"},
		{at: "2026-12-31T12:00:00Z", format: "D HH:mm Z", tz: "Pacific/Kiritimati", want: "1 02:00 +14:00"},
		{at: "2026-01-01T11:00:00Z", format: "D HH:mm Z", tz: "Pacific/Pago_Pago", want: "1 00:00 -11:00"},
		{at: "2026-01-01T10:00:00Z", format: "D HH:mm Z", tz: "Pacific/Pago_Pago", want: "31 23:00 -11:00"},
		{format: "HH:mm Z", tz: "Europe/Paris", want: "06:30 +01:00"},
		{format: "M/D/Y", tz: "America/Pacific", why: `time zone "America/Pacific" is not one of the IANA time zone database`},
		{format: "", tz: "UTC", why: "an empty format is not imported"},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			src, why := dateFormat(`inputs.at`, tc.format, tc.tz)
			if why != tc.why {
				t.Fatalf("why = %q, want %q", why, tc.why)
			}
			if why != "" {
				return
			}
			if tc.at == "" {
				tc.at = at
			}
			if got := evalCEL(t, src, map[string]any{"at": tc.at}); got != tc.want {
				t.Errorf("%s = %v, want %q", src, got, tc.want)
			}
		})
	}
}

// Text to Date: Okta's examples (1/2/2016 in D/M/Y is
// 2016-02-01T00:00:00.000Z, in M/D/YY 2016-01-02), and the formats of
// the reference packs (MM/DD/Y, x).
func TestDateParseBehaviour(t *testing.T) {
	tests := []struct {
		start  any
		format string
		want   string
		why    string
	}{
		{start: "1/2/2016", format: "D/M/Y", want: "2016-02-01T00:00:00Z"},
		{start: "1/2/16", format: "M/D/YY", want: "2016-01-02T00:00:00Z"},
		{start: "1/2/69", format: "M/D/YY", want: "1969-01-02T00:00:00Z"},
		{start: "01/05/2026", format: "MM/DD/Y", want: "2026-01-05T00:00:00Z"},
		{start: "2026-01-05 17:04:09.120", format: "YYYY-MM-DD HH:mm:ss.SSS", want: "2026-01-05T17:04:09.12Z"},
		{start: "5, 1 2026", format: "D, M Y", want: "2026-01-05T00:00:00Z"},
		{start: "1473206485670", format: "x", want: "2016-09-07T00:01:25.67Z"},
		{start: int64(1473206485670), format: "x", want: "2016-09-07T00:01:25.67Z"},
		{start: "1473206485", format: "X", want: "2016-09-07T00:01:25Z"},
		{start: "Jan 5, 2026", format: "MMM D, Y", want: "2026-01-05T00:00:00Z"},
		{start: "Monday, SEPTEMBER 7, 2026 12:05 am", format: "dddd, MMMM D, Y h:mm a", want: "2026-09-07T00:05:00Z"},
		{start: "may 31 2026 12:05 PM", format: "MMMM D Y h:mm A", want: "2026-05-31T12:05:00Z"},
		{start: "31/12/2026 11:59 pm", format: "DD/MM/YYYY hh:mm a", want: "2026-12-31T23:59:00Z"},
		{start: "", format: "MMM Do", why: `format token "Do" is not imported in Text to Date`},
		{start: "", format: "YYYYMMDD", why: `format "YYYYMMDD": two fields with no separator between them are not imported`},
		{start: "", format: "H h", why: `format "H h" reads the hour twice`},
		{start: "", format: "", why: "an empty format is not imported"},
	}
	for _, tc := range tests {
		t.Run(tc.format+" "+fmt.Sprint(tc.start), func(t *testing.T) {
			src, why := dateParse("inputs.s", tc.format)
			if why != tc.why {
				t.Fatalf("why = %q, want %q", why, tc.why)
			}
			if why != "" {
				return
			}
			got := evalCEL(t, "string("+src+")", map[string]any{"s": tc.start})
			if got != tc.want {
				t.Errorf("%s = %v, want %q", src, got, tc.want)
			}
		})
	}
}

// Add/Subtract in months and years: calendar arithmetic, the day clamped
// to the month's last (moment's add, which Okta's cards run).
func TestCalendarAddBehaviour(t *testing.T) {
	tests := []struct {
		start string
		k     int
		want  string
	}{
		{"2026-01-31T10:20:30.5Z", 1, "2026-02-28T10:20:30.500Z"},
		{"2024-01-31T00:00:00Z", 1, "2024-02-29T00:00:00Z"},
		{"2024-02-29T23:59:59Z", 12, "2025-02-28T23:59:59Z"},
		{"2026-03-31T08:00:00Z", -1, "2026-02-28T08:00:00Z"},
		{"2026-01-15T08:00:00Z", -13, "2024-12-15T08:00:00Z"},
		{"2026-11-30T00:00:00Z", 3, "2027-02-28T00:00:00Z"},
		{"2000-02-29T00:00:00Z", 48, "2004-02-29T00:00:00Z"},
		{"1900-01-31T00:00:00Z", 1, "1900-02-28T00:00:00Z"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.start, tc.k), func(t *testing.T) {
			src := calendarAdd("timestamp(inputs.s)", fmt.Sprint(tc.k))
			got := evalCEL(t, src, map[string]any{"s": tc.start})
			want, _ := time.Parse(time.RFC3339, tc.want)
			if g, ok := got.(time.Time); !ok || !g.Equal(want) {
				t.Errorf("%s = %v, want %s", src, got, tc.want)
			}
		})
	}
}

// dateCardExpr translates a lone date card c whose inputs named in from
// come from the helper's inputs (inputs.NAME, by the input's key), and
// gives its outputs' expressions by key (or "todo: " and why not).
func dateCardExpr(t *testing.T, c *Card, from map[string]string) (map[string]string, *Report, string) {
	t.Helper()
	helper := &Card{ID: "from", Name: "Helper Flow", Kernel: true, Module: "control", Method: "callable"}
	conn := map[string]source{}
	outs := map[string]string{}
	for _, f := range c.Inputs {
		if name, ok := from[f.Key]; ok {
			o := &Field{ID: "fo-" + name, Key: name}
			helper.Outputs = append(helper.Outputs, o)
			conn[f.ID] = source{card: helper, out: o}
			outs["from/"+o.ID] = "inputs." + name
		}
	}
	im := &importer{rep: &Report{Missing: map[string]int{}}}
	tr := &ftr{im: im, byID: map[string]*Card{c.ID: c, "from": helper}, in: map[string]map[string]source{c.ID: conn},
		outExpr: outs, stepIDs: map[string]bool{}, outerWhy: map[string]string{}}
	_, why := tr.kernel(c)
	got := map[string]string{}
	for _, o := range c.Outputs {
		if e, ok := tr.outExpr[c.ID+"/"+o.ID]; ok {
			got[o.Key] = e
		} else if w, ok := tr.outerWhy[c.ID+"/"+o.ID]; ok {
			got[o.Key] = "todo: " + w
		}
	}
	return got, im.rep, why
}

func dateCardOf(method string, in ...any) *Card {
	c := &Card{ID: "c", Name: method, Module: "date", Method: method, Kernel: true}
	for i := 0; i+1 < len(in); i += 2 {
		c.Inputs = append(c.Inputs, &Field{ID: fmt.Sprint("i", i), Key: in[i].(string), Value: in[i+1]})
	}
	outs := []string{"output"}
	if method == "fromISO" {
		outs = []string{"date", "iso", "epoch", "unix", "human", "custom"}
	}
	for _, k := range outs {
		c.Outputs = append(c.Outputs, &Field{ID: "o-" + k, Key: k})
	}
	return c
}

// Convert: Okta's example — 2016-09-07T00:01:25.670Z is date
// 2016-09-07T00:01:25.670Z, iso "2016-09-07T00:01:25Z", epoch 1473206485,
// unix 1473206485670, human "Wed, September 7th at 12:01 AM"
// (https://help.okta.com/en/prod/Content/Topics/Workflows/function-reference/Date&Time/datetime_fromiso.htm).
func TestConvertBehaviour(t *testing.T) {
	const start = "2016-09-07T00:01:25.670Z"
	tests := []struct {
		name, format, zone string
		zoneIn             bool // the zone comes from the helper's input "zone"
		zoneVal            any
		want               map[string]any
	}{
		{name: "Okta's example", format: "M/D/Y", zone: "US/Pacific", want: map[string]any{
			"date": "2016-09-07T00:01:25.670Z", "iso": "2016-09-07T00:01:25Z", "epoch": int64(1473206485), "unix": int64(1473206485670),
			"human": "Wed, September 7th at 12:01 AM", "custom": "9/6/2016"}},
		{name: "contractor expiry: yyyy-MM-DD in a connected zone", format: "yyyy-MM-DD", zoneIn: true, zoneVal: "Australia/Sydney", want: map[string]any{"custom": "2016-09-07"}},
		{name: "a connected zone that is empty is UTC", format: "yyyy-MM-DD HH:mm", zoneIn: true, zoneVal: "", want: map[string]any{"custom": "2016-09-07 00:01"}},
		{name: "no format: custom is a todo", want: map[string]any{"iso": "2016-09-07T00:01:25Z", "custom": `todo: input "futureDate" comes from Convert (date.fromISO) output "custom", which was not imported`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var zone any = tc.zone
			if tc.zone == "" && !tc.zoneIn {
				zone = nil
			}
			var format any = tc.format
			if tc.format == "" {
				format = nil
			}
			c := dateCardOf("fromISO", "start", nil, "format", format, "zone", zone)
			from := map[string]string{"start": "start"}
			if tc.zoneIn {
				from["zone"] = "zone"
			}
			got, rep, why := dateCardExpr(t, c, from)
			if why != "" {
				t.Fatal(why)
			}
			for k, want := range tc.want {
				src := got[k]
				if w, ok := want.(string); ok && strings.HasPrefix(w, "todo: ") {
					if !strings.HasPrefix(src, "todo: ") {
						t.Errorf("%s = %s, want a todo", k, src)
					}
					continue
				}
				if k == "date" {
					src = "string(" + src + ")"
					want = strings.Replace(want.(string), ".670Z", ".67Z", 1)
				}
				v := evalCEL(t, src, map[string]any{"start": start, "zone": tc.zoneVal})
				if fmt.Sprintf("%v %T", v, v) != fmt.Sprintf("%v %T", want, want) {
					t.Errorf("%s: %s = %v (%T), want %v", k, src, v, v, want)
				}
			}
			if len(rep.Decisions) != 1 {
				t.Errorf("decisions %q, want one", rep.Decisions)
			}
		})
	}
}

// Add and Subtract of months, years and days, literal or connected scale.
func TestAddSubtractBehaviour(t *testing.T) {
	tests := []struct {
		method string
		scale  any
		unit   string
		want   string
		why    string
	}{
		{"add", json.Number("12"), "months", "2027-01-31T10:00:00Z", ""},
		{"add", json.Number("1"), "months", "2026-02-28T10:00:00Z", ""},
		{"subtract", json.Number("2"), "years", "2024-01-31T10:00:00Z", ""},
		{"add", fromInput("n"), "years", "2029-01-31T10:00:00Z", ""},
		{"subtract", fromInput("n"), "days", "2026-01-28T10:00:00Z", ""},
		{"add", json.Number("90"), "minutes", "2026-01-31T11:30:00Z", ""},
		{"add", json.Number("1.5"), "months", "", "scale 1.5 is not a whole number"},
		{"add", json.Number("1"), "fortnights", "", `unit "fortnights" is not imported`},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.method, tc.scale, tc.unit), func(t *testing.T) {
			from := map[string]string{"start": "start"}
			scale := tc.scale
			if _, ok := scale.(fromInput); ok {
				from["scale"], scale = "n", nil
			}
			c := dateCardOf(tc.method, "start", nil, "scale", scale, "unit", tc.unit)
			outs, _, why := dateCardExpr(t, c, from)
			if why != tc.why {
				t.Fatalf("why = %q, want %q", why, tc.why)
			}
			if why != "" {
				return
			}
			v := evalCEL(t, outs["output"], map[string]any{"start": "2026-01-31T10:00:00Z", "n": "3"})
			want, _ := time.Parse(time.RFC3339, tc.want)
			if g, ok := v.(time.Time); !ok || !g.Equal(want) {
				t.Errorf("%s = %v, want %s", outs["output"], v, tc.want)
			}
		})
	}
}

// Convert fed by Text to Date (the datetime-format-converter template:
// Unix milliseconds, format x, then Convert's iso, then Replace of Z by
// +00:00): Text to Date's timestamp is read as Convert's start.
func TestConvertOfTextToDate(t *testing.T) {
	parsed, why := dateParse("inputs.ms", "x")
	if why != "" {
		t.Fatal(why)
	}
	c := dateCardOf("fromISO", "start", nil, "format", nil, "zone", nil)
	outs, _, why := dateCardExpr(t, c, map[string]string{"start": "start"})
	if why != "" {
		t.Fatal(why)
	}
	want := map[string]any{"iso": "2016-09-07T00:01:25Z", "unix": int64(1473206485670), "epoch": int64(1473206485)}
	for k, w := range want {
		src := strings.ReplaceAll(outs[k], "inputs.start", parsed)
		if got := evalCEL(t, src, map[string]any{"ms": "1473206485670"}); got != w {
			t.Errorf("%s: %s = %v (%T), want %v", k, src, got, got, w)
		}
	}
}

// EPOCH: the seconds since 1970 (Okta's Convert example: 1473206485 of
// 2016-09-07T00:01:25.670Z).
func TestEpochBehaviour(t *testing.T) {
	outs, rep, why := dateCardExpr(t, dateCardOf("epoch", "start", nil), map[string]string{"start": "start"})
	if why != "" {
		t.Fatal(why)
	}
	if got := evalCEL(t, outs["output"], map[string]any{"start": "2016-09-07T00:01:25.670Z"}); got != int64(1473206485) {
		t.Errorf("%s = %v (%T), want 1473206485", outs["output"], got, got)
	}
	if len(rep.Decisions) != 1 {
		t.Errorf("decisions %q, want one", rep.Decisions)
	}
}

// Any format either is a todo with a reason or becomes CEL that compiles
// (Date to Text and Text to Date never write an expression jml refuses).
func FuzzDateFormats(f *testing.F) {
	for _, s := range []string{"M/D/Y", "yyyy-MM-DDTHH:mm:ss.SSS", "dddd, MMMM D, Y h:mm a z", "[at] h:mm A Z", "x", "X", "MMM D, Y", "é[", "DD/MM/YYYY hh:mm a", `"\`} {
		f.Add(s)
	}
	env, err := expr.NewEnv()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, format string) {
		for _, zone := range []string{`"UTC"`, `"US/Pacific"`} {
			if src, why := dateText("timestamp(inputs.at)", format, zone, zone == `"UTC"`); why == "" {
				if _, issues := env.Compile(src, expr.Scope{Inputs: true}); len(issues) > 0 {
					t.Fatalf("Date to Text %q: %s: %v", format, src, issues)
				}
			}
		}
		if src, why := dateParse("inputs.s", format); why == "" {
			if _, issues := env.Compile(src, expr.Scope{Inputs: true}); len(issues) > 0 {
				t.Fatalf("Text to Date %q: %s: %v", format, src, issues)
			}
		}
	})
}
