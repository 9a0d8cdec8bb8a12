package flopack

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Okta's Date & Time cards write and read dates with format codes that
// are moment.js's: Okta's reference lists D/DD day, M/MM month, MMM/MMMM
// its name, Y/YY year, h/hh and H/HH hours, mm, ss, S…, a/A, Z, d/ddd/dddd
// weekday, x and X Unix time (Luxon reads D, DD, d and Z otherwise):
//
//	https://help.okta.com/wf/en-us/Content/Topics/Workflows/function-reference/DateTime/datetime_parse.htm (Text to Date)
//	https://help.okta.com/en/prod/Content/Topics/Workflows/function-reference/Date&Time/datetime_fromiso.htm (Convert)
//
// A date's fields are read in a time zone with CEL's timestamp getters;
// the format is turned into CEL once, at import.

var (
	monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	dayNames   = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

// utcZones are the zone names whose offset is always +00:00.
var utcZones = map[string]bool{"": true, "UTC": true, "Etc/UTC": true, "GMT": true, "Etc/GMT": true, "Z": true, "Zulu": true, "Etc/Zulu": true, "Universal": true, "Etc/Universal": true}

// celList is a CEL list literal of texts.
func celList(ss []string) string {
	items := make([]any, len(ss))
	for i, s := range ss {
		items[i] = s
	}
	l, _ := celLiteral(items)
	return l
}

// pad is the CEL text of the int expression e, zero-filled to n digits
// (moment's zeroFill of a non-negative number).
func pad(e string, n int) string {
	switch n {
	case 2:
		return fmt.Sprintf("(%s < 10 ? \"0\" : \"\") + string(%s)", e, e)
	case 3:
		return fmt.Sprintf("(%s < 10 ? \"00\" : %s < 100 ? \"0\" : \"\") + string(%s)", e, e, e)
	case 4:
		return fmt.Sprintf("(%s < 10 ? \"000\" : %s < 100 ? \"00\" : %s < 1000 ? \"0\" : \"\") + string(%s)", e, e, e, e)
	}
	return "string(" + e + ")"
}

// ordinal is moment's English ordinal of the int expression e: 1st, 2nd,
// 3rd, 4th, 11th, 12th, 13th, 21st.
func ordinal(e string) string {
	return fmt.Sprintf("string(%s) + (%s %% 100 / 10 == 1 ? \"th\" : %s %% 10 == 1 ? \"st\" : %s %% 10 == 2 ? \"nd\" : %s %% 10 == 3 ? \"rd\" : \"th\")", e, e, e, e, e)
}

// formatTokens are moment.js's format tokens, longest first (as its
// tokenizer matches them).
var formatTokens = []string{
	"YYYYYY", "YYYYY", "YYYY", "YY", "yyyy", "yyy", "yy", "yo", "y", "Y",
	"MMMM", "MMM", "MM", "Mo", "M",
	"DDDD", "DDDo", "DDD", "DD", "Do", "D",
	"dddd", "ddd", "dd", "do", "d",
	"HH", "H", "hh", "h", "kk", "k", "mm", "m", "ss", "s",
	"SSSSSSSSS", "SSSSSSSS", "SSSSSSS", "SSSSSS", "SSSSS", "SSSS", "SSS", "SS", "S",
	"a", "A", "ZZ", "Z", "zz", "z", "x", "X",
	"NNNNN", "NNNN", "NNN", "NN", "N", "Qo", "Q", "wo", "ww", "w", "Wo", "WW", "W", "gggg", "ggggg", "GGGG", "GGGGG", "gg", "GG", "e", "E",
}

// momentTokens splits a moment.js format into tokens and literal texts
// ([…] is literal, as is every character that is no token). lit[i] says
// whether part i is literal.
func momentTokens(format string) (parts []string, lit []bool) {
	add := func(s string, l bool) {
		if l && len(parts) > 0 && lit[len(lit)-1] {
			parts[len(parts)-1] += s
			return
		}
		parts, lit = append(parts, s), append(lit, l)
	}
next:
	for i := 0; i < len(format); {
		if format[i] == '[' {
			if j := strings.IndexByte(format[i:], ']'); j > 0 {
				if j > 1 {
					add(format[i+1:i+j], true)
				}
				i += j + 1
				continue
			}
		}
		for _, tok := range formatTokens {
			if strings.HasPrefix(format[i:], tok) {
				add(tok, false)
				i += len(tok)
				continue next
			}
		}
		add(format[i:i+1], true)
		i++
	}
	return parts, lit
}

// literalZone is the CEL text of time zone tz ("" is UTC), and whether it
// is UTC; a name the IANA time zone database lacks is a todo.
func literalZone(tz string) (string, bool, string) {
	if tz == "" {
		tz = "UTC"
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return "", false, fmt.Sprintf("time zone %q is not one of the IANA time zone database", tz)
	}
	return strconv.Quote(tz), utcZones[tz], ""
}

// dateText is the CEL text of the timestamp expression ts in moment.js
// format, in the time zone of the CEL text expression zone; utc says the
// zone is UTC (Z and ZZ are then constants, else computed).
func dateText(ts, format, zone string, utc bool) (string, string) {
	if format == "" {
		return "", "an empty format is not imported"
	}
	const t = "t_"
	get := func(f string) string { return fmt.Sprintf("%s.%s(z_)", t, f) }
	year, month, day, dow := get("getFullYear"), get("getMonth"), get("getDate"), get("getDayOfWeek")
	hours, minutes, seconds, ms := get("getHours"), get("getMinutes"), get("getSeconds"), get("getMilliseconds")
	toks, lit := momentTokens(format)
	var out []string
	for i, tok := range toks {
		if lit[i] {
			out = append(out, strconv.Quote(tok))
			continue
		}
		var e string
		switch tok {
		case "YYYY", "Y", "yyyy":
			// moment's Y is the year zero-filled to four digits up to 9999
			// (as YYYY); yyyy its era year, the year for dates AD. A year
			// before 1000 is not zero-filled here.
			e = pad(year, 1)
		case "YY":
			e = pad("("+year+" % 100)", 2)
		case "M":
			e = pad("("+month+" + 1)", 1)
		case "MM":
			e = pad("("+month+" + 1)", 2)
		case "Mo":
			e = ordinal("(" + month + " + 1)")
		case "MMM", "MMMM":
			names := monthNames
			if tok == "MMM" {
				names = short(names, 3)
			}
			e = celList(names) + "[" + month + "]"
		case "D":
			e = pad(day, 1)
		case "DD":
			e = pad(day, 2)
		case "Do":
			e = ordinal(day)
		case "DDD":
			e = pad("("+get("getDayOfYear")+" + 1)", 1)
		case "DDDD":
			e = pad("("+get("getDayOfYear")+" + 1)", 3)
		case "d":
			e = pad(dow, 1)
		case "E":
			e = fmt.Sprintf("string(%s == 0 ? 7 : %s)", dow, dow)
		case "dd", "ddd", "dddd":
			n := map[string]int{"dd": 2, "ddd": 3, "dddd": 0}[tok]
			e = celList(short(dayNames, n)) + "[" + dow + "]"
		case "H", "HH":
			e = pad(hours, len(tok))
		case "h", "hh":
			e = pad("("+hours+" % 12 == 0 ? 12 : "+hours+" % 12)", len(tok))
		case "k", "kk":
			e = pad("("+hours+" == 0 ? 24 : "+hours+")", len(tok))
		case "m", "mm":
			e = pad(minutes, len(tok))
		case "s", "ss":
			e = pad(seconds, len(tok))
		case "S":
			e = pad("("+ms+" / 100)", 1)
		case "SS":
			e = pad("("+ms+" / 10)", 2)
		case "SSS":
			e = pad(ms, 3)
		case "a", "A":
			am, pm := "am", "pm"
			if tok == "A" {
				am, pm = "AM", "PM"
			}
			e = fmt.Sprintf("(%s < 12 ? %q : %q)", hours, am, pm)
		case "Z", "ZZ":
			sep := map[string]string{"Z": ":", "ZZ": ""}[tok]
			if utc {
				e = strconv.Quote("+00" + sep + "00")
				break
			}
			// CEL gives no zone's offset: it is the zone's wall clock less
			// UTC's, in minutes, a day added or taken when the zone's date
			// is the next or the previous day (offsets are within ±14h).
			dd := fmt.Sprintf("(%s - %s.getDayOfWeek() + 7) %% 7", dow, t)
			off := fmt.Sprintf("%s * 60 + %s - (%s.getHours() * 60 + %s.getMinutes()) + (%s == 1 ? 1440 : %s == 6 ? -1440 : 0)", hours, minutes, t, t, dd, dd)
			e = fmt.Sprintf("[%s].map(o_, (o_ < 0 ? \"-\" : \"+\") + [o_ < 0 ? -o_ : o_].map(a_, %s + %q + %s)[0])[0]", off, pad("(a_ / 60)", 2), sep, pad("(a_ % 60)", 2))
		case "X":
			e = "string(int(" + t + "))"
		case "x":
			e = fmt.Sprintf("string(int(%s) * 1000 + %s.getMilliseconds())", t, t)
		default:
			return "", fmt.Sprintf("format token %q is not imported", tok)
		}
		out = append(out, e)
	}
	return fmt.Sprintf("[%s].map(z_, [%s].map(%s, %s)[0])[0]", zone, ts, t, strings.Join(out, " + ")), ""
}

// short cuts each name to n characters (0: whole).
func short(names []string, n int) []string {
	if n == 0 {
		return names
	}
	out := make([]string, len(names))
	for i, s := range names {
		out[i] = s[:n]
	}
	return out
}

// monthNumber is a CEL map of the months' names and three letters,
// lowercase, to their numbers.
var monthNumber = func() string {
	var kv []string
	for i, m := range monthNames {
		l := strings.ToLower(m)
		kv = append(kv, fmt.Sprintf("%q: %d", l[:3], i+1))
		if len(l) > 3 {
			kv = append(kv, fmt.Sprintf("%q: %d", l, i+1))
		}
	}
	return "{" + strings.Join(kv, ", ") + "}"
}()

// dateParse is the CEL timestamp that Okta's Text to Date makes of the
// text expression s in moment.js format: x and X (Unix milliseconds and
// seconds), or fields (Y, YYYY, YY, M, MM, MMM, MMMM, D, DD, H, HH, h,
// hh with a or A, m, mm, s, ss, SSS; ddd and dddd read past) parted by separators that are no letters or digits, read
// in UTC (Okta's example: 1/2/2016 in D/M/Y is 2016-02-01T00:00:00.000Z).
// The text is split at the format's separators: a text whose separators
// differ from the format's (moment reads "2016-01-05" in Y/MM/DD) makes
// the step fail.
func dateParse(s, format string) (string, string) {
	switch format {
	case "x":
		return fmt.Sprintf("[int(%s)].map(n_, timestamp(n_ / 1000) + duration(string(n_ %% 1000) + \"ms\"))[0]", s), ""
	case "X":
		return fmt.Sprintf("timestamp(int(%s))", s), ""
	case "":
		return "", "an empty format is not imported"
	}
	toks, lit := momentTokens(format)
	fields := map[string]string{}
	var sep string // the format's separator characters, each once
	idx := 0       // the index of the next field in the split text
	for i, tok := range toks {
		if lit[i] {
			for _, r := range tok {
				if r < 128 && (r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
					return "", fmt.Sprintf("format %q: the literal %q is not imported (only separators)", format, string(r))
				}
				if !strings.ContainsRune(sep, r) {
					sep += string(r)
				}
				idx++
			}
			continue
		}
		if i > 0 && !lit[i-1] {
			return "", fmt.Sprintf("format %q: two fields with no separator between them are not imported", format)
		}
		field := map[string]string{"Y": "Y", "YYYY": "Y", "YY": "YY", "M": "M", "MM": "M", "MMM": "M", "MMMM": "M", "D": "D", "DD": "D",
			"H": "H", "HH": "H", "h": "h", "hh": "h", "a": "a", "A": "a", "m": "m", "mm": "m", "s": "s", "ss": "s", "SSS": "S",
			"ddd": "-", "dddd": "-"}[tok]
		if field == "" {
			return "", fmt.Sprintf("format token %q is not imported in Text to Date", tok)
		}
		if fields[field] != "" {
			return "", fmt.Sprintf("format %q reads the %s twice", format, tok)
		}
		p := fmt.Sprintf("p_[%d]", idx)
		switch tok {
		case "MMM", "MMMM":
			// moment reads a month's name or its three letters, in any
			// case, for either code.
			fields[field] = monthNumber + "[" + p + ".lowerAscii()]"
		case "a", "A":
			fields[field] = p + ".lowerAscii()"
		case "ddd", "dddd":
			fields[field] = p // a weekday's name: moment reads past it
		default:
			fields[field] = "int(" + p + ")"
		}
	}
	if len(sep) == 0 && len(fields) > 1 {
		return "", fmt.Sprintf("format %q: fields with no separator between them are not imported", format)
	}
	// A field the format lacks is moment's default: 1970-01-01T00:00:00.000.
	def := func(k string, n int, v string) string {
		if e := fields[k]; e != "" {
			return pad(e, n)
		}
		return strconv.Quote(v)
	}
	if h := fields["h"]; h != "" {
		// A 12-hour clock: 12 am is 0, 12 pm is 12 (moment: am without a or A).
		if fields["H"] != "" {
			return "", fmt.Sprintf("format %q reads the hour twice", format)
		}
		fields["H"] = fmt.Sprintf("(%s %% 12)", h)
		if a := fields["a"]; a != "" {
			fields["H"] = fmt.Sprintf("(%s %% 12 + (%s == \"pm\" ? 12 : 0))", h, a)
		}
	}
	year := def("Y", 1, "1970")
	if yy := fields["YY"]; yy != "" {
		// moment: 69 to 99 are 1969 to 1999, 00 to 68 are 2000 to 2068.
		year = fmt.Sprintf("string((%s > 68 ? 1900 : 2000) + %s)", yy, yy)
	}
	rfc := strings.Join([]string{year, `"-"`, def("M", 2, "01"), `"-"`, def("D", 2, "01"), `"T"`,
		def("H", 2, "00"), `":"`, def("m", 2, "00"), `":"`, def("s", 2, "00"), `"."`, def("S", 3, "000"), `"Z"`}, " + ")
	rfc = strings.ReplaceAll(rfc, `" + "`, "")
	text := "string(" + s + ")"
	var one string
	if len(sep) > 0 {
		one = string([]rune(sep)[0])
		for _, r := range []rune(sep)[1:] {
			text += fmt.Sprintf(".replace(%q, %q)", string(r), one)
		}
		text += fmt.Sprintf(".split(%q)", one)
	} else {
		text = "[" + text + "]"
	}
	return fmt.Sprintf("[%s].map(p_, timestamp(%s))[0]", text, rfc), ""
}

// dateExpr is the CEL timestamp of date input f of card c. A date that is
// the text of a Date to Text card is read back as Okta reads such a text
// in a date input (JavaScript's Date: month first, in UTC): from a
// numeric format of year, month and day in that order (M/D/Y, MM/DD/Y,
// Y-MM-DD); another format stays a todo.
func (t *ftr) dateExpr(c *Card, f *Field) (string, string) {
	e, why := t.expr(c, f, "")
	if why != "" {
		return "", why
	}
	src, ok := t.in[c.ID][f.ID]
	if !ok || !src.card.Kernel || src.card.Module != "date" || src.card.Method != "format" {
		return "timestamp(" + e + ")", ""
	}
	format, start := t.input(src.card, "format"), t.input(src.card, "start")
	fs, _ := format.Value.(string)
	norm := strings.NewReplacer("YYYY", "Y", "MM", "M", "DD", "D").Replace(fs)
	if start == nil || isPinned(t, src.card, format) || (norm != "M/D/Y" && norm != "Y-M-D") {
		return "", fmt.Sprintf("input %q is the text of %s in format %q, which jml does not read back as Okta does (only month/day/year and year-month-day)", f.Key, cardLabel(src.card), fs)
	}
	// The text read back is its date at midnight UTC: the day Date to
	// Text wrote, in its zone.
	d, why := t.dateExpr(src.card, start)
	if why != "" {
		return "", why
	}
	if e, why = t.zoneText(src.card, d, "YYYY-MM-DD[T00:00:00Z]"); why != "" {
		return "", why
	}
	t.im.decide("a date input fed the text of Date to Text (M/D/Y, Y-MM-DD) reads it back as Okta does (JavaScript's Date: month first), the day it names at midnight UTC")
	return "timestamp(" + e + ")", ""
}

// dateCard translates Text to Date (date.parse), Convert (date.fromISO)
// and EPOCH (date.epoch); its outputs become expressions, and it writes
// no card.
func (t *ftr) dateCard(c *Card) (*yaml.Node, string) {
	start := t.input(c, "start")
	if start == nil {
		return nil, "no start"
	}
	switch c.Method {
	case "epoch":
		// Okta's EPOCH: the seconds since 1970-01-01T00:00:00Z (Convert's
		// epoch output; UNIX gives milliseconds).
		d, why := t.dateExpr(c, start)
		if why != "" {
			return nil, why
		}
		for _, o := range c.Outputs {
			t.outExpr[c.ID+"/"+o.ID] = "int(" + d + ")"
		}
		t.im.decide("EPOCH is the timestamp's whole seconds since 1970, int(timestamp(D)), as Convert's epoch")
		return nil, ""
	case "parse":
		// Okta's Text to Date: the date of a text in a format
		// (datetime_parse.htm).
		format := t.input(c, "format")
		if format == nil || isPinned(t, c, format) {
			return nil, "only a literal format is imported"
		}
		fs, _ := format.Value.(string)
		se, why := t.expr(c, start, "")
		if why != "" {
			return nil, why
		}
		e, why := dateParse(se, fs)
		if why != "" {
			return nil, why
		}
		for _, o := range c.Outputs {
			t.outExpr[c.ID+"/"+o.ID] = e
		}
		t.im.decide("Text to Date reads the text in the card's format (moment.js's codes) as a UTC timestamp: x and X are Unix milliseconds and seconds; other formats' fields (numbers, month names, am/pm) are found by splitting the text at the format's separators, and a text with other separators fails the step")
		return nil, ""
	case "fromISO":
		// Okta's Convert (datetime_fromiso.htm): date, iso (UTC, no
		// fraction: 2016-09-07T00:01:25Z), epoch (seconds), unix
		// (milliseconds), human (Wed, September 7th at 12:01 AM, not
		// adjusted to a time zone), custom (Date to Text's format and zone).
		d, why := t.dateExpr(c, start)
		if why != "" {
			return nil, why
		}
		for _, o := range c.Outputs {
			k := c.ID + "/" + o.ID
			var e, why string
			switch o.Key {
			case "date":
				e = d
			case "iso":
				e, why = dateText(d, "YYYY-MM-DD[T]HH:mm:ss[Z]", `"UTC"`, true)
			case "epoch":
				e = "int(" + d + ")"
			case "unix":
				e = fmt.Sprintf("[%s].map(t_, int(t_) * 1000 + t_.getMilliseconds())[0]", d)
			case "human":
				e, why = dateText(d, "ddd, MMMM Do [at] h:mm A", `"UTC"`, true)
			case "custom":
				e, why = t.customDate(c, d)
			default:
				why = fmt.Sprintf("output %q is not one of Convert's", o.Key)
			}
			if why != "" {
				t.outerWhy[k] = fmt.Sprintf("%s output %q is not imported: %s", cardLabel(c), o.Key, why)
				continue
			}
			t.outExpr[k] = e
		}
		t.im.decide("Convert's outputs are CEL of the timestamp: iso is its UTC text without fraction (2016-09-07T00:01:25Z), epoch and unix its seconds and milliseconds since 1970 (ints), human moment's \"ddd, MMMM Do [at] h:mm A\" in UTC, custom Date to Text's format in the card's zone")
		return nil, ""
	}
	return nil, "function card not imported"
}

// customDate is the text of timestamp d in the format and zone of card c
// (Date to Text, Convert's custom): a literal format; a literal zone, or
// a connected one (empty is UTC).
func (t *ftr) customDate(c *Card, d string) (string, string) {
	format := t.input(c, "format")
	if format == nil || isPinned(t, c, format) {
		return "", "only a literal format is imported"
	}
	fs, _ := format.Value.(string)
	return t.zoneText(c, d, fs)
}

// zoneText is the text of timestamp d in format fs and the zone of card
// c's input zone.
func (t *ftr) zoneText(c *Card, d, fs string) (string, string) {
	zone := t.input(c, "zone")
	if zone != nil && isPinned(t, c, zone) {
		ze, why := t.expr(c, zone, "")
		if why != "" {
			return "", why
		}
		return dateText(d, fs, fmt.Sprintf("[dyn(%s)].map(v_, v_ == null || string(v_) == \"\" ? \"UTC\" : string(v_))[0]", ze), false)
	}
	tz := ""
	if zone != nil {
		tz, _ = zone.Value.(string)
	}
	ze, utc, why := literalZone(tz)
	if why != "" {
		return "", why
	}
	return dateText(d, fs, ze, utc)
}

// calendarAdd is timestamp d plus k months (an int expression), in UTC,
// the day of the month clamped to the last of the month reached (Jan 31
// + 1 month is Feb 28 or 29), the time of day kept: moment's add.
func calendarAdd(d, k string) string {
	// n_: months since year 0; l_: days in the month reached.
	day := `[n_ / 12].map(y_, [31, (y_ % 4 == 0 && (y_ % 100 != 0 || y_ % 400 == 0)) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][n_ % 12])[0]`
	ymd := fmt.Sprintf(`%s + "-" + %s + "-" + %s + "T00:00:00Z"`, pad("(n_ / 12)", 4), pad("(n_ % 12 + 1)", 2), pad("(t_.getDate() < l_ ? t_.getDate() : l_)", 2))
	return fmt.Sprintf("[%s].map(t_, [t_.getFullYear() * 12 + t_.getMonth() + (%s)].map(n_, [%s].map(l_, timestamp(%s) + (t_ - timestamp(int(t_) - (int(t_) %% 86400 + 86400) %% 86400)))[0])[0])[0]", d, k, day, ymd)
}

// scaleInt is the int expression of Add/Subtract's scale f: a literal
// whole number, or a connected value read as a number (Okta reads "30"
// as 30).
func (t *ftr) scaleInt(c *Card, f *Field) (string, string) {
	if isPinned(t, c, f) {
		e, why := t.expr(c, f, "")
		if why != "" {
			return "", why
		}
		return "int(double(" + e + "))", ""
	}
	n, ok := f.Value.(json.Number)
	k, err := n.Int64()
	if !ok || err != nil {
		return "", fmt.Sprintf("scale %v is not a whole number", f.Value)
	}
	return strconv.FormatInt(k, 10), ""
}
