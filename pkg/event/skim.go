package event

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// The skim is the pre-filter of Options.Want (SPEC §11: events no flow can
// take are not fully decoded). A real System Log is ~98% sign-ins, MFA and
// policy evaluations that no joiner/mover/leaver flow triggers on; building
// a map[string]any of every one of them costs more than everything else a
// replay does. The skim reads one cut value in a single pass over its
// bytes, checking it exactly as the full decode would accept it, and keeps
// only what a replay reads of an event no flow takes: its uuid (duplicates),
// eventType (the flows it matches), published (the clock) and the users its
// actor and targets name (the world is seeded from every event, SPEC §6).
//
// It never decides an outcome the full decode would not: whenever it is not
// sure — the event is wanted, a hook delivery, malformed, lacks its uuid or
// eventType, nests deeper than skimMaxDepth, repeats a key, has an escaped
// key or a number the decoder would refuse — it says so and the value is
// decoded in full, errors and all.

// skimMaxDepth bounds the nesting the skim reads; deeper values (never a
// real LogEvent) are left to the full decode and its own limit.
const skimMaxDepth = 64

// skimmed is what the skim kept of a LogEvent.
type skimmed struct {
	uuid, eventType, published string
	hasPublished               bool // published is a string
	actor                      map[string]any
	hasTarget                  bool  // target is an array
	users                      []any // its elements of type User
}

// event returns the partial Event of a skimmed LogEvent.
func (k *skimmed) event(src string) *Event {
	raw := make(map[string]any, 5)
	raw["uuid"], raw["eventType"] = k.uuid, k.eventType
	if k.hasPublished {
		raw["published"] = k.published
	}
	if k.actor != nil {
		raw["actor"] = k.actor
	}
	if k.hasTarget {
		users := k.users
		if users == nil {
			users = []any{}
		}
		raw["target"] = users
	}
	return &Event{UUID: k.uuid, EventType: k.eventType, Published: k.published, Raw: raw, Source: src, Partial: true}
}

// userRef is an actor or target as the skim reads it: where the string
// fields a replay reads to seed the world are, made strings only for the
// objects kept.
type userRef struct {
	fields [4]strSpan // id, type, alternateId, displayName
}

// strSpan is a string value in the data: its contents, escaped or not.
type strSpan struct {
	start, end int
	esc, ok    bool // ok: the field is there and a string
}

var personKeys = [4]string{"id", "type", "alternateId", "displayName"}

// isUser reports whether the object's type is "User".
func (u *userRef) isUser(d []byte) bool {
	t := u.fields[1]
	switch {
	case !t.ok:
		return false
	case !t.esc:
		return string(d[t.start:t.end]) == "User"
	}
	return unquote(d, t) == "User"
}

func (u *userRef) object(d []byte) map[string]any {
	m := make(map[string]any, 4)
	for i, f := range u.fields {
		if f.ok {
			m[personKeys[i]] = unquote(d, f)
		}
	}
	return m
}

// unquote returns the string a span holds.
func unquote(d []byte, f strSpan) string {
	if !f.esc {
		return string(d[f.start:f.end])
	}
	var v string
	_ = json.Unmarshal(d[f.start-1:f.end+1], &v) // checked by str
	return v
}

// objKind says what an object being skimmed is to the LogEvent.
type objKind int

const (
	objOther  objKind = iota
	objTop            // the LogEvent
	objPerson         // actor, or an element of target
)

type span struct{ start, end int }

// skimState is what the skim of one stream keeps from value to value.
type skimState struct {
	want func(string) bool
	// keys holds the keys of the objects being read, innermost last, for
	// the duplicate check.
	keys []span
	// types holds the event types seen, so that each is allocated once.
	types map[string]string
}

func newSkimState(want func(string) bool) *skimState {
	return &skimState{want: want, types: map[string]string{}}
}

type skimmer struct {
	*skimState
	d []byte
	i int
	k *skimmed
	// uuid and typ record that the LogEvent's uuid and eventType were read.
	uuid, typ bool
}

// skim reads data, a cut JSON value, as a LogEvent that want turns down.
// It reports false when data is anything else, or anything it is not sure
// of: the full decode then decides.
func (st *skimState) skim(data []byte) (skimmed, bool) {
	var k skimmed
	s := skimmer{skimState: st, d: data, k: &k}
	s.keys = s.keys[:0]
	if s.peek() != '{' || !s.object(0, objTop, nil) {
		return k, false
	}
	s.ws()
	if s.i != len(s.d) || !s.uuid || !s.typ {
		return k, false
	}
	return k, true
}

func (s *skimmer) peek() byte {
	if s.i < len(s.d) {
		return s.d[s.i]
	}
	return 0
}

func (s *skimmer) ws() {
	for s.i < len(s.d) {
		switch s.d[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *skimmer) value(depth int) bool {
	if depth > skimMaxDepth {
		return false
	}
	switch c := s.peek(); {
	case c == '{':
		return s.object(depth, objOther, nil)
	case c == '[':
		return s.array(depth, false)
	case c == '"':
		_, _, _, ok := s.str()
		return ok
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	return false
}

func (s *skimmer) literal(lit string) bool {
	if !bytes.HasPrefix(s.d[s.i:], []byte(lit)) {
		return false
	}
	s.i += len(lit)
	return true
}

// object reads an object; for a person (actor, target element) it fills u.
func (s *skimmer) object(depth int, kind objKind, u *userRef) bool {
	if depth > skimMaxDepth {
		return false
	}
	s.i++ // {
	mark := len(s.keys)
	s.ws()
	if s.peek() == '}' {
		s.i++
		return true
	}
	for {
		if s.peek() != '"' {
			return false
		}
		ks, ke, esc, ok := s.str()
		if !ok || esc {
			return false // an escaped key may equal another once unescaped
		}
		key := s.d[ks:ke]
		for _, k := range s.keys[mark:] {
			if bytes.Equal(s.d[k.start:k.end], key) {
				return false // a repeated key: the full decode refuses it (dupkey.go)
			}
		}
		s.keys = append(s.keys, span{ks, ke})
		s.ws()
		if s.peek() != ':' {
			return false
		}
		s.i++
		s.ws()
		switch kind {
		case objTop:
			ok = s.topField(depth, key)
		case objPerson:
			ok = s.personField(depth, key, u)
		default:
			ok = s.value(depth + 1)
		}
		if !ok {
			return false
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
			s.ws()
		case '}':
			s.i++
			s.keys = s.keys[:mark]
			return true
		default:
			return false
		}
	}
}

// topField reads the value of a LogEvent's field.
func (s *skimmer) topField(depth int, key []byte) bool {
	switch string(key) {
	case "uuid":
		v, ok := s.stringValue()
		if !ok || strings.TrimSpace(v) == "" {
			return false // not a LogEvent: the full decode says why
		}
		s.k.uuid, s.uuid = v, true
		return true
	case "eventType":
		v, ok := s.eventType()
		if !ok || strings.TrimSpace(v) == "" || v == hookEventType || s.want(v) {
			return false // decoded in full (and refused, if it must be)
		}
		s.k.eventType, s.typ = v, true
		return true
	case "published":
		if s.peek() == '"' {
			v, ok := s.stringValue()
			s.k.published, s.k.hasPublished = v, ok
			return ok
		}
	case "actor":
		if s.peek() == '{' {
			var u userRef
			if !s.object(depth+1, objPerson, &u) {
				return false
			}
			s.k.actor = u.object(s.d)
			return true
		}
	case "target":
		if s.peek() == '[' {
			s.k.hasTarget = true
			return s.array(depth+1, true)
		}
	}
	return s.value(depth + 1)
}

// personField reads the value of an actor's or target's field.
func (s *skimmer) personField(depth int, key []byte, u *userRef) bool {
	i := 0
	switch string(key) {
	case "id":
		i = 0
	case "type":
		i = 1
	case "alternateId":
		i = 2
	case "displayName":
		i = 3
	default:
		return s.value(depth + 1)
	}
	if s.peek() != '"' {
		return s.value(depth + 1)
	}
	start, end, esc, ok := s.str()
	u.fields[i] = strSpan{start: start, end: end, esc: esc, ok: ok}
	return ok
}

// array reads an array; the target array keeps its elements of type User.
func (s *skimmer) array(depth int, target bool) bool {
	if depth > skimMaxDepth {
		return false
	}
	s.i++ // [
	s.ws()
	if s.peek() == ']' {
		s.i++
		return true
	}
	for {
		if target && s.peek() == '{' {
			var u userRef
			if !s.object(depth+1, objPerson, &u) {
				return false
			}
			if u.isUser(s.d) {
				s.k.users = append(s.k.users, u.object(s.d))
			}
		} else if !s.value(depth + 1) {
			return false
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
			s.ws()
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

// eventType reads the eventType, allocated once per distinct type.
func (s *skimmer) eventType() (string, bool) {
	if s.peek() != '"' {
		return "", false
	}
	start, end, esc, ok := s.str()
	if !ok {
		return "", false
	}
	if esc {
		var v string
		return v, json.Unmarshal(s.d[start-1:end+1], &v) == nil
	}
	if v, ok := s.types[string(s.d[start:end])]; ok {
		return v, true
	}
	v := string(s.d[start:end])
	if len(s.types) < 1000 {
		s.types[v] = v
	}
	return v, true
}

// stringValue reads a string and returns it unescaped.
func (s *skimmer) stringValue() (string, bool) {
	if s.peek() != '"' {
		return "", false
	}
	start, end, esc, ok := s.str()
	if !ok {
		return "", false
	}
	if !esc {
		return string(s.d[start:end]), true
	}
	var v string
	if json.Unmarshal(s.d[start-1:end+1], &v) != nil {
		return "", false
	}
	return v, true
}

// inString marks the bytes that end a string's plain run: the quote, the
// backslash and the control characters JSON does not allow raw.
var inString = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// str reads a string at the quote; start and end bound its contents, and
// esc says whether they hold escapes.
func (s *skimmer) str() (start, end int, esc, ok bool) {
	d := s.d
	i := s.i + 1
	start = i
	for i < len(d) {
		c := d[i]
		if !inString[c] {
			i++
			continue
		}
		switch c {
		case '"':
			s.i = i + 1
			return start, i, esc, true
		case '\\':
			esc = true
			if i+1 >= len(d) {
				return 0, 0, false, false
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) || !isHex(d[i+2]) || !isHex(d[i+3]) || !isHex(d[i+4]) || !isHex(d[i+5]) {
					return 0, 0, false, false
				}
				i += 6
			default:
				return 0, 0, false, false
			}
		default:
			return 0, 0, false, false // a raw control character
		}
	}
	return 0, 0, false, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// number reads a number as JSON writes them, and refuses one that
// convertNumbers would (out of the range of a float64).
func (s *skimmer) number() bool {
	d, start := s.d, s.i
	i := s.i
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && '1' <= d[i] && d[i] <= '9':
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	default:
		return false
	}
	integer := true
	if i < len(d) && d[i] == '.' {
		integer = false
		i++
		if i >= len(d) || !isDigit(d[i]) {
			return false
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	exponent := false
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		integer, exponent = false, true
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || !isDigit(d[i]) {
			return false
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	s.i = i
	if !exponent && i-start <= 300 {
		// An int64, or a float64 well within range: no exponent and at
		// most 300 digits.
		return true
	}
	n := string(d[start:i])
	if integer {
		if _, err := strconv.ParseInt(n, 10, 64); err == nil {
			return true
		}
	}
	_, err := strconv.ParseFloat(n, 64)
	return err == nil
}
