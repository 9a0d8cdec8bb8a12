package event_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/event"
)

const eventsDir = "../../testdata/events"

// readAll reads s to the end. It returns the events read and the error
// that stopped it (nil at io.EOF).
func readAll(t *testing.T, s *event.Stream) ([]*event.Event, error) {
	t.Helper()
	var evs []*event.Event
	for i := 0; ; i++ {
		if i > 1_000_000 {
			t.Fatal("Next does not terminate")
		}
		e, err := s.Next()
		if err == io.EOF {
			return evs, nil
		}
		if err != nil {
			return evs, err
		}
		evs = append(evs, e)
	}
}

func decodeAll(t *testing.T, text, name string, opts event.Options) ([]*event.Event, event.Stats, error) {
	t.Helper()
	s, err := event.Decode(strings.NewReader(text), name, opts)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := readAll(t, s)
	return evs, s.Stats(), err
}

func types(evs []*event.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.EventType)
	}
	return out
}

func uuids(evs []*event.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.UUID)
	}
	return out
}

func sources(evs []*event.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Source)
	}
	return out
}

var sdkJavaTypes = []string{
	"user.lifecycle.deactivate", "user.account.privilege.revoke", "user.lifecycle.delete.initiated", "user.account.update_profile",
	"user.lifecycle.create", "user.account.update_password", "user.lifecycle.activate",
	"user.lifecycle.deactivate", "user.account.privilege.revoke", "user.lifecycle.delete.initiated", "user.account.update_profile",
}

// TestRecordedFiles decodes every recorded file in testdata/events.
func TestRecordedFiles(t *testing.T) {
	tests := []struct {
		file        string
		wantTypes   []string
		wantSources []string // of the first events
	}{
		{
			file:        "okta-sdk-java__logs-subset.ndjson",
			wantTypes:   sdkJavaTypes,
			wantSources: []string{"okta-sdk-java__logs-subset.ndjson:1", "okta-sdk-java__logs-subset.ndjson:2"},
		},
		{
			file:        "okta-developer-docs__user.lifecycle.deactivate.ndjson",
			wantTypes:   []string{"user.lifecycle.deactivate"},
			wantSources: []string{"okta-developer-docs__user.lifecycle.deactivate.ndjson:1"},
		},
		{
			file:        "okta-developer-docs__eventhook-envelope.user.session.start.json",
			wantTypes:   []string{"user.session.start"},
			wantSources: []string{"okta-developer-docs__eventhook-envelope.user.session.start.json (event 1)"},
		},
		{
			file:        "okta-developer-docs__eventhook-envelope.user.session.start.ndjson",
			wantTypes:   []string{"user.session.start"},
			wantSources: []string{"okta-developer-docs__eventhook-envelope.user.session.start.ndjson:1"},
		},
		{
			file:        "myles2007__eventhook-envelope.group.user_membership.add.json",
			wantTypes:   []string{"group.user_membership.add"},
			wantSources: []string{"myles2007__eventhook-envelope.group.user_membership.add.json (event 1)"},
		},
		{
			file:        "myles2007__eventhook-envelope.group.user_membership.remove.json",
			wantTypes:   []string{"group.user_membership.remove"},
			wantSources: []string{"myles2007__eventhook-envelope.group.user_membership.remove.json (event 1)"},
		},
		{
			file:        "myles2007__group.user_membership.add.ndjson",
			wantTypes:   []string{"group.user_membership.add"},
			wantSources: []string{"myles2007__group.user_membership.add.ndjson:1"},
		},
		{
			file:        "myles2007__group.user_membership.remove.ndjson",
			wantTypes:   []string{"group.user_membership.remove"},
			wantSources: []string{"myles2007__group.user_membership.remove.ndjson:1"},
		},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			s, err := event.Open([]string{filepath.Join(eventsDir, tt.file)}, event.Options{WorkDir: eventsDir})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			evs, err := readAll(t, s)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if got := types(evs); !slices.Equal(got, tt.wantTypes) {
				t.Errorf("event types = %q, want %q", got, tt.wantTypes)
			}
			if got := sources(evs)[:len(tt.wantSources)]; !slices.Equal(got, tt.wantSources) {
				t.Errorf("sources = %q, want %q", got, tt.wantSources)
			}
			if got, want := s.Stats(), (event.Stats{Read: len(tt.wantTypes)}); got != want {
				t.Errorf("Stats() = %+v, want %+v", got, want)
			}
			for _, e := range evs {
				if e.UUID == "" || e.Published == "" || e.Raw["uuid"] != e.UUID || e.Raw["eventType"] != e.EventType {
					t.Errorf("%s: incomplete event %+v", e.Source, e)
				}
				if _, ok := e.PublishedTime(); !ok {
					t.Errorf("%s: published %q does not parse", e.Source, e.Published)
				}
			}
		})
	}
	// Every recorded file is covered by the table.
	entries, err := os.ReadDir(eventsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range entries {
		if ent.Name() != "SOURCES.txt" && !covered[ent.Name()] {
			t.Errorf("testdata/events/%s is not in the table", ent.Name())
		}
	}
}

// TestSDKJavaLeavers checks the quirks of the okta-sdk-java recording.
func TestSDKJavaLeavers(t *testing.T) {
	s, err := event.Open([]string{filepath.Join(eventsDir, "okta-sdk-java__logs-subset.ndjson")}, event.Options{})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := readAll(t, s)
	if err != nil {
		t.Fatal(err)
	}
	byType := map[string][]*event.Event{}
	for _, e := range evs {
		byType[e.EventType] = append(byType[e.EventType], e)
	}
	if n := len(byType["user.lifecycle.deactivate"]); n != 2 {
		t.Errorf("%d user.lifecycle.deactivate events, want 2", n)
	}
	for _, e := range byType["user.account.update_profile"] {
		if got := e.Changed(); !slices.Equal(got, []string{"login"}) {
			t.Errorf("%s: Changed() = %q, want [login]", e.Source, got)
		}
	}
	for _, e := range byType["user.lifecycle.create"] {
		if got := e.Changed(); got != nil {
			t.Errorf("%s: Changed() = %q, want nil", e.Source, got)
		}
	}
	// privilege.revoke has "target": null; the actor is the user.
	for _, e := range byType["user.account.privilege.revoke"] {
		if e.Raw["target"] != nil {
			t.Fatalf("%s: target = %v, want null", e.Source, e.Raw["target"])
		}
		if e.Target("User") != nil {
			t.Errorf("%s: Target(User) = %v, want nil", e.Source, e.Target("User"))
		}
		users := e.Users()
		if len(users) != 1 || users[0]["id"] != e.Actor()["id"] {
			t.Errorf("%s: Users() = %v, want the actor only", e.Source, users)
		}
	}
	// deactivate: the target user, then the admin who did it.
	d := byType["user.lifecycle.deactivate"][0]
	users := d.Users()
	if len(users) != 2 || users[0]["id"] != "00ud384zryL1GFAg30h7" || users[1]["id"] != "0000222244448888000" {
		t.Errorf("Users() = %v, want target 00ud384zryL1GFAg30h7 then actor 0000222244448888000", users)
	}
	// "zone":"null" is the string, kept as is.
	if zone := d.Raw["client"].(map[string]any)["zone"]; zone != "null" {
		t.Errorf(`client.zone = %#v, want "null"`, zone)
	}
}

// TestHookEnvelopes checks that each hook delivery gives exactly its
// data.events, the same as the matching NDJSON recording.
func TestHookEnvelopes(t *testing.T) {
	tests := []struct {
		name, hook, ndjson string
	}{
		{"session start", "okta-developer-docs__eventhook-envelope.user.session.start.json", "okta-developer-docs__eventhook-envelope.user.session.start.ndjson"},
		{"membership add", "myles2007__eventhook-envelope.group.user_membership.add.json", "myles2007__group.user_membership.add.ndjson"},
		{"membership remove", "myles2007__eventhook-envelope.group.user_membership.remove.json", "myles2007__group.user_membership.remove.ndjson"},
	}
	read := func(t *testing.T, file string) []*event.Event {
		s, err := event.Open([]string{filepath.Join(eventsDir, file)}, event.Options{})
		if err != nil {
			t.Fatal(err)
		}
		evs, err := readAll(t, s)
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hook, lines := read(t, tt.hook), read(t, tt.ndjson)
			if len(hook) != len(lines) || len(hook) == 0 {
				t.Fatalf("%d events from the hook, %d from the NDJSON", len(hook), len(lines))
			}
			for i := range hook {
				if !reflect.DeepEqual(hook[i].Raw, lines[i].Raw) {
					t.Errorf("event %d differs:\nhook   %v\nndjson %v", i, hook[i].Raw, lines[i].Raw)
				}
				if _, ok := hook[i].Raw["data"]; ok {
					t.Errorf("event %d is the envelope, not its event", i)
				}
			}
		})
	}
}

func TestDirectory(t *testing.T) {
	t.Run("testdata", func(t *testing.T) {
		s, err := event.Open([]string{eventsDir}, event.Options{WorkDir: eventsDir})
		if err != nil {
			t.Fatal(err)
		}
		evs, err := readAll(t, s)
		if err != nil {
			t.Fatal(err)
		}
		// Each hook .json has an .ndjson twin with the same uuid: dropped.
		if got, want := s.Stats(), (event.Stats{Read: 15, Duplicates: 3}); got != want {
			t.Errorf("Stats() = %+v, want %+v", got, want)
		}
		want := []string{
			"myles2007__eventhook-envelope.group.user_membership.add.json (event 1)",
			"myles2007__eventhook-envelope.group.user_membership.remove.json (event 1)",
			"okta-developer-docs__eventhook-envelope.user.session.start.json (event 1)",
			"okta-developer-docs__user.lifecycle.deactivate.ndjson:1",
			"okta-sdk-java__logs-subset.ndjson:1",
		}
		if got := sources(evs)[:len(want)]; !slices.Equal(got, want) {
			t.Errorf("sources = %q, want %q", got, want)
		}
	})

	t.Run("recursive, sorted by path, other files skipped", func(t *testing.T) {
		dir := t.TempDir()
		files := map[string]string{
			"b.json":               ev("b"),
			"a/2.ndjson":           ev("a2") + "\n",
			"a/1.jsonl":            ev("a1") + "\n" + ev("a1b") + "\n",
			"a.json":               ev("a"),
			"c/d/e.NDJSON":         ev("cde") + "\n",
			"README":               "not events",
			"SOURCES.txt":          "x | y",
			"notes.md":             "{}",
			".hidden.json":         ev("hidden"),
			".git/objects/x.json":  ev("git"),
			"empty.ndjson":         "",
			"whitespace.json":      " \n\n",
			"c/events.json.bak":    ev("bak"),
			"c/d/zz.jsonl":         ev("zz"),
			"c/d/zz.jsonl.partial": ev("partial"),
		}
		for name, text := range files {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		s, err := event.Open([]string{dir}, event.Options{WorkDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		evs, err := readAll(t, s)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"a", "a1", "a1b", "a2", "b", "cde", "zz"}
		if got := uuids(evs); !slices.Equal(got, want) {
			t.Errorf("uuids = %q, want %q", got, want)
		}
		wantSrc := []string{"a.json", "a/1.jsonl:1", "a/1.jsonl:2", "a/2.ndjson:1", "b.json", "c/d/e.NDJSON:1", "c/d/zz.jsonl:1"}
		if got := sources(evs); !slices.Equal(got, wantSrc) {
			t.Errorf("sources = %q, want %q", got, wantSrc)
		}
	})
}

// ev is a minimal LogEvent with this uuid.
func ev(uuid string) string {
	return fmt.Sprintf(`{"uuid":%q,"eventType":"user.lifecycle.deactivate"}`, uuid)
}

func TestDuplicates(t *testing.T) {
	sdk := filepath.Join(eventsDir, "okta-sdk-java__logs-subset.ndjson")
	t.Run("same file twice", func(t *testing.T) {
		s, err := event.Open([]string{sdk, sdk}, event.Options{})
		if err != nil {
			t.Fatal(err)
		}
		evs, err := readAll(t, s)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := s.Stats(), (event.Stats{Read: 11, Duplicates: 11}); got != want || len(evs) != 11 {
			t.Errorf("Stats() = %+v (%d events), want %+v", got, len(evs), want)
		}
	})
	t.Run("across a file and stdin, first one wins", func(t *testing.T) {
		stdin := ev("87878abb-e224-4032-bc9f-6d0170284095") + "\n" + ev("new") + "\n"
		s, err := event.Open([]string{sdk, "-"}, event.Options{Stdin: strings.NewReader(stdin)})
		if err != nil {
			t.Fatal(err)
		}
		evs, err := readAll(t, s)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := s.Stats(), (event.Stats{Read: 12, Duplicates: 1}); got != want {
			t.Errorf("Stats() = %+v, want %+v", got, want)
		}
		if last := evs[len(evs)-1]; last.UUID != "new" || last.Source != "<stdin>:2" {
			t.Errorf("last event = %s from %s, want new from <stdin>:2", last.UUID, last.Source)
		}
	})
	t.Run("within a hook delivery and opaque uuids", func(t *testing.T) {
		text := `{"eventType":"com.okta.event_hook","data":{"events":[` + ev("x") + `,` + ev("X") + `,` + ev("x") + `,` + ev("b817b3ac-1234-asdf") + `]}}`
		evs, stats, err := decodeAll(t, text, "hook.json", event.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := uuids(evs), []string{"x", "X", "b817b3ac-1234-asdf"}; !slices.Equal(got, want) {
			t.Errorf("uuids = %q, want %q", got, want)
		}
		if stats.Duplicates != 1 {
			t.Errorf("Duplicates = %d, want 1", stats.Duplicates)
		}
	})
}

func TestStdinAndSniffing(t *testing.T) {
	tests := []struct {
		name        string
		stdin       string
		wantUUIDs   []string
		wantSources []string
	}{
		{
			name:        "NDJSON",
			stdin:       ev("a") + "\n\n" + ev("b") + "\n",
			wantUUIDs:   []string{"a", "b"},
			wantSources: []string{"<stdin>:1", "<stdin>:3"},
		},
		{
			name:        "NDJSON with CRLF, a byte-order mark and no final newline",
			stdin:       "\xEF\xBB\xBF" + ev("a") + "\r\n" + ev("b"),
			wantUUIDs:   []string{"a", "b"},
			wantSources: []string{"<stdin>:1", "<stdin>:2"},
		},
		{
			name:        "one pretty-printed LogEvent",
			stdin:       "\n  {\n    \"uuid\": \"a\",\n    \"eventType\": \"user.lifecycle.create\"\n  }\n",
			wantUUIDs:   []string{"a"},
			wantSources: []string{"<stdin>"},
		},
		{
			name:        "pretty-printed values one after the other",
			stdin:       "{\n \"uuid\": \"a\", \"eventType\": \"t\"\n}\n{\n \"uuid\": \"b\", \"eventType\": \"t\"\n}\n",
			wantUUIDs:   []string{"a", "b"},
			wantSources: []string{"<stdin>", "<stdin>:4"},
		},
		{
			name:        "an array",
			stdin:       "[\n" + ev("a") + ",\n  " + ev("b") + "\n]\n",
			wantUUIDs:   []string{"a", "b"},
			wantSources: []string{"<stdin>:2", "<stdin>:3"},
		},
		{
			name:        "an array on one line",
			stdin:       "[" + ev("a") + "," + ev("b") + "]",
			wantUUIDs:   []string{"a", "b"},
			wantSources: []string{"<stdin>:1", "<stdin>:1"},
		},
		{
			name:        "escapes and brackets inside strings",
			stdin:       `{"uuid":"a\\","eventType":"t","m":"\"}]{[\\\"\n\u005c","n":"x\n"}` + "\n" + `[{"uuid":"b\"","eventType":"t\\"}]` + "\n",
			wantUUIDs:   []string{`a\`, `b"`},
			wantSources: []string{"<stdin>:1", "<stdin>:2"},
		},
		{
			name:        "an empty array",
			stdin:       "[ ]",
			wantUUIDs:   nil,
			wantSources: nil,
		},
		{
			name:        "a hook delivery",
			stdin:       `{"eventType":"com.okta.event_hook","data":{"events":[` + "\n" + ev("a") + "]}}\n",
			wantUUIDs:   []string{"a"},
			wantSources: []string{"<stdin> (event 1)"},
		},
		{
			name:        "nothing",
			stdin:       " \n\t\n",
			wantUUIDs:   nil,
			wantSources: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := event.Open([]string{"-"}, event.Options{Stdin: strings.NewReader(tt.stdin)})
			if err != nil {
				t.Fatal(err)
			}
			evs, err := readAll(t, s)
			if err != nil {
				t.Fatal(err)
			}
			if got := uuids(evs); !slices.Equal(got, tt.wantUUIDs) {
				t.Errorf("uuids = %q, want %q", got, tt.wantUUIDs)
			}
			if got := sources(evs); !slices.Equal(got, tt.wantSources) {
				t.Errorf("sources = %q, want %q", got, tt.wantSources)
			}
		})
	}
}

func TestHookOrder(t *testing.T) {
	text := `{"eventType":"com.okta.event_hook","eventId":"d77d8604","data":{"events":[
		{"uuid":"late","eventType":"t","published":"2020-04-03T04:15:15.000Z"},
		{"uuid":"none","eventType":"t"},
		{"uuid":"early","eventType":"t","published":"2020-04-03T04:15:14.906Z"},
		{"uuid":"same-1","eventType":"t","published":"2020-04-03T05:15:14.906+01:00"},
		{"uuid":"bad","eventType":"t","published":"not a time"}
	]}}`
	evs, _, err := decodeAll(t, text, "hook.json", event.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"early", "same-1", "late", "none", "bad"}
	if got := uuids(evs); !slices.Equal(got, want) {
		t.Errorf("uuids = %q, want %q (published order, stable, untimed last)", got, want)
	}
	if evs[0].Source != "hook.json (event 3)" {
		t.Errorf("Source = %q, want %q", evs[0].Source, "hook.json (event 3)")
	}
}

func TestMalformedNDJSON(t *testing.T) {
	text := ev("1") + "\n" + ev("2") + "\n" + `{"uuid":"3","eventType":}` + "\n" + ev("4") + "\n"
	t.Run("stops at line 3", func(t *testing.T) {
		evs, stats, err := decodeAll(t, text, "events/x.ndjson", event.Options{})
		var de *event.DecodeError
		if !errors.As(err, &de) {
			t.Fatalf("err = %v, want a *DecodeError", err)
		}
		want := &event.DecodeError{File: "events/x.ndjson", Line: 3, Column: 25, Msg: "malformed JSON: invalid character '}' looking for beginning of value"}
		if !reflect.DeepEqual(de, want) {
			t.Errorf("err = %#v\nwant  %#v", de, want)
		}
		if got := de.Error(); got != "events/x.ndjson:3:25: malformed JSON: invalid character '}' looking for beginning of value" {
			t.Errorf("Error() = %q", got)
		}
		if len(evs) != 2 || stats != (event.Stats{Read: 2}) {
			t.Errorf("%d events, Stats() = %+v; want 2 events read before the error", len(evs), stats)
		}
	})
	t.Run("keep going", func(t *testing.T) {
		s, err := event.Decode(strings.NewReader(text), "events/x.ndjson", event.Options{KeepGoing: true})
		if err != nil {
			t.Fatal(err)
		}
		evs, err := readAll(t, s)
		if err != nil {
			t.Fatal(err)
		}
		if got := uuids(evs); !slices.Equal(got, []string{"1", "2", "4"}) {
			t.Errorf("uuids = %q, want [1 2 4]", got)
		}
		if got, want := s.Stats(), (event.Stats{Read: 3, Skipped: 1}); got != want {
			t.Errorf("Stats() = %+v, want %+v", got, want)
		}
		if sk := s.Skipped(); len(sk) != 1 || sk[0].Line != 3 {
			t.Errorf("Skipped() = %v, want the line 3 error", sk)
		}
	})
}

// TestBadInput checks the error, and its position, for each kind of bad
// input, and what KeepGoing still gets out of it.
func TestBadInput(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		text      string
		wantErr   string
		wantKept  []string // uuids returned with KeepGoing
		wantSkips int
	}{
		{
			name:      "missing uuid",
			file:      "x.ndjson",
			text:      ev("1") + "\n" + `{"eventType":"user.lifecycle.deactivate"}` + "\n" + ev("3"),
			wantErr:   `x.ndjson:2: LogEvent without "uuid"`,
			wantKept:  []string{"1", "3"},
			wantSkips: 1,
		},
		{
			name:      "missing eventType",
			file:      "x.ndjson",
			text:      `{"uuid":"1"}`,
			wantErr:   `x.ndjson:1: LogEvent without "eventType"`,
			wantSkips: 1,
		},
		{
			name:      "uuid not a string",
			file:      "x.ndjson",
			text:      `{"uuid":42,"eventType":"t"}`,
			wantErr:   `x.ndjson:1: LogEvent "uuid" is a number, want a non-empty string`,
			wantSkips: 1,
		},
		{
			name:      "empty eventType",
			file:      "x.ndjson",
			text:      `{"uuid":"1","eventType":" "}`,
			wantErr:   `x.ndjson:1: LogEvent "eventType" is empty`,
			wantSkips: 1,
		},
		{
			name:      "not an object",
			file:      "x.ndjson",
			text:      "[1]\n\"text\"\nnull\n" + ev("4"),
			wantErr:   `x.ndjson:1:2: expected a LogEvent object, found a number`,
			wantKept:  []string{"4"},
			wantSkips: 3,
		},
		{
			name:      "line cut short",
			file:      "x.ndjson",
			text:      `{"uuid":"1","eventType":"t"` + "\n" + ev("2"),
			wantErr:   `x.ndjson:1:28: unexpected end of line in a JSON value (NDJSON holds one complete value per line)`,
			wantKept:  []string{"2"},
			wantSkips: 1,
		},
		{
			name:      "unterminated string",
			file:      "x.ndjson",
			text:      `{"uuid":"1","eventType":"t}` + "\n" + ev("2"),
			wantErr:   `x.ndjson:1:28: unexpected end of line in a JSON value (NDJSON holds one complete value per line)`,
			wantKept:  []string{"2"},
			wantSkips: 1,
		},
		{
			name:      "two values on a line",
			file:      "x.jsonl",
			text:      ev("1") + " " + ev("2") + "\n" + ev("3"),
			wantErr:   fmt.Sprintf(`x.jsonl:1:%d: unexpected '{' after the JSON value (NDJSON holds one value per line)`, len(ev("1"))+2),
			wantKept:  []string{"1", "3"},
			wantSkips: 1,
		},
		{
			name:      "garbage line",
			file:      "x.ndjson",
			text:      "hello world\n" + ev("2"),
			wantErr:   `x.ndjson:1:1: malformed JSON: invalid character 'h' looking for beginning of value`,
			wantKept:  []string{"2"},
			wantSkips: 1,
		},
		{
			name:      "invalid UTF-8",
			file:      "x.ndjson",
			text:      `{"uuid":"1","eventType":"é` + "\xff" + `"}` + "\n" + ev("2"),
			wantErr:   `x.ndjson:1:27: invalid UTF-8`,
			wantKept:  []string{"2"},
			wantSkips: 1,
		},
		{
			name:      "number out of range",
			file:      "x.ndjson",
			text:      `{"uuid":"1","eventType":"t","n":1e999}` + "\n" + ev("2"),
			wantErr:   `x.ndjson:1: number 1e999 is out of range`,
			wantKept:  []string{"2"},
			wantSkips: 1,
		},
		{
			name:      "pretty-printed .json: the character",
			file:      "x.json",
			text:      "{\n  \"uuid\": \"1\",\n  \"eventType\": 'single'\n}\n",
			wantErr:   `x.json:3:16: malformed JSON: invalid character '\'' looking for beginning of value`,
			wantSkips: 1,
		},
		{
			name:      "array element without uuid: at its start",
			file:      "x.json",
			text:      "[\n  " + ev("1") + ",\n  {\"eventType\": \"t\"},\n  " + ev("3") + "\n]",
			wantErr:   `x.json:3:3: LogEvent without "uuid"`,
			wantKept:  []string{"1", "3"},
			wantSkips: 1,
		},
		{
			name:      "array element malformed: skipped alone",
			file:      "x.json",
			text:      "[\n  " + ev("1") + ",\n  {\"uuid\": \"2\", \"eventType\": @},\n  " + ev("3") + "\n]",
			wantErr:   `x.json:3:30: malformed JSON: invalid character '@' looking for beginning of value`,
			wantKept:  []string{"1", "3"},
			wantSkips: 1,
		},
		{
			name:      "array missing a comma: the rest of the file is given up",
			file:      "x.json",
			text:      "[\n  " + ev("1") + "\n  " + ev("2") + "\n]",
			wantErr:   `x.json:3:3: expected ',' or ']' after an array element, found '{'`,
			wantKept:  []string{"1"},
			wantSkips: 1,
		},
		{
			name:      "array not closed",
			file:      "x.json",
			text:      "[\n  " + ev("1") + ",\n",
			wantErr:   `x.json:3:1: unexpected end of input in the JSON array that starts at 1:1`,
			wantKept:  []string{"1"},
			wantSkips: 1,
		},
		{
			name:      "object not closed",
			file:      "x.json",
			text:      "{\n  \"uuid\": \"1\",\n",
			wantErr:   `x.json:3:1: unexpected end of input in a JSON value that starts at 1:1`,
			wantSkips: 1,
		},
		{
			name:      "trailing comma",
			file:      "x.json",
			text:      "[" + ev("1") + ",]",
			wantErr:   fmt.Sprintf(`x.json:1:%d: expected an array element after ',', found ']'`, len(ev("1"))+3),
			wantKept:  []string{"1"},
			wantSkips: 1,
		},
		{
			name:      "stray closing bracket",
			file:      "x.json",
			text:      "}",
			wantErr:   `x.json:1:1: unexpected '}'`,
			wantSkips: 1,
		},
		{
			name:      "hook delivery without events",
			file:      "hook.json",
			text:      `{"eventType":"com.okta.event_hook","data":{}}`,
			wantErr:   `hook.json:1: event hook delivery (eventType "com.okta.event_hook") without a data.events array`,
			wantSkips: 1,
		},
		{
			name:      "hook delivery with a bad event",
			file:      "hook.json",
			text:      "{\"eventType\":\"com.okta.event_hook\",\n\"data\":{\"events\":[" + ev("1") + `,{"uuid":"2"},"x"]}}`,
			wantErr:   `hook.json:1:1: event hook delivery, event 2: LogEvent without "eventType"`,
			wantKept:  []string{"1"},
			wantSkips: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := decodeAll(t, tt.text, tt.file, event.Options{})
			var de *event.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v (%T), want a *DecodeError", err, err)
			}
			if got := err.Error(); got != tt.wantErr {
				t.Errorf("err = %s\nwant  %s", got, tt.wantErr)
			}
			if de.File != tt.file {
				t.Errorf("File = %q, want %q", de.File, tt.file)
			}
			evs, stats, err := decodeAll(t, tt.text, tt.file, event.Options{KeepGoing: true})
			if err != nil {
				t.Fatalf("KeepGoing: %v", err)
			}
			if got := uuids(evs); !slices.Equal(got, tt.wantKept) {
				t.Errorf("KeepGoing: uuids = %q, want %q", got, tt.wantKept)
			}
			if stats.Skipped != tt.wantSkips || stats.Read != len(tt.wantKept) {
				t.Errorf("KeepGoing: Stats() = %+v, want Skipped %d, Read %d", stats, tt.wantSkips, len(tt.wantKept))
			}
		})
	}
}

func TestErrorIsSticky(t *testing.T) {
	s, err := event.Decode(strings.NewReader("{\n"), "x.json", event.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err1 := s.Next()
	_, err2 := s.Next()
	if err1 == nil || err1 != err2 {
		t.Errorf("Next after an error = %v, then %v; want the same error", err1, err2)
	}
	s, _ = event.Decode(strings.NewReader(""), "x.json", event.Options{})
	for range 3 {
		if _, err := s.Next(); err != io.EOF {
			t.Errorf("Next at the end = %v, want io.EOF", err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Next(); err == nil || err == io.EOF {
		t.Errorf("Next after Close = %v, want an error", err)
	}
}

func TestSkippedIsCapped(t *testing.T) {
	var b strings.Builder
	for i := range 150 {
		fmt.Fprintf(&b, "{\"uuid\":\"%d\"}\n", i)
	}
	b.WriteString(ev("last") + "\n")
	s, err := event.Decode(strings.NewReader(b.String()), "x.ndjson", event.Options{KeepGoing: true})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := readAll(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || s.Stats().Skipped != 150 {
		t.Errorf("%d events, Stats() = %+v; want 1 event, 150 skipped", len(evs), s.Stats())
	}
	sk := s.Skipped()
	if len(sk) != 100 || sk[0].Line != 1 || sk[99].Line != 100 {
		t.Errorf("Skipped() has %d errors, want the first 100", len(sk))
	}
}

func TestNumbers(t *testing.T) {
	e := one(t, `{"uuid":"1","eventType":"t","authenticationContext":{"authenticationStep":0},
		"securityContext":{"asNumber":577},"geolocation":{"lat":43.7114,"lon":-79.4462},
		"big":12345678901234567890,"neg":-9223372036854775808,"exp":1e2,"point":2.0,"tiny":1e-400,
		"list":[1,2.5,[3]],"zone":"null","id":null,"ok":true}`)
	want := map[string]any{
		"uuid": "1", "eventType": "t",
		"authenticationContext": map[string]any{"authenticationStep": int64(0)},
		"securityContext":       map[string]any{"asNumber": int64(577)},
		"geolocation":           map[string]any{"lat": 43.7114, "lon": -79.4462},
		"big":                   float64(12345678901234567890),
		"neg":                   int64(-9223372036854775808),
		"exp":                   float64(100),
		"point":                 float64(2),
		"tiny":                  float64(0),
		"list":                  []any{int64(1), 2.5, []any{int64(3)}},
		"zone":                  "null",
		"id":                    nil,
		"ok":                    true,
	}
	if !reflect.DeepEqual(e.Raw, want) {
		t.Errorf("Raw =\n%#v\nwant\n%#v", e.Raw, want)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.ndjson")
	tests := []struct {
		name    string
		sources []string
		opts    event.Options
		wantErr string
	}{
		{name: "missing file", sources: []string{missing}, wantErr: "event source " + missing + ": no such file or directory"},
		{name: "missing file shown relative", sources: []string{missing}, opts: event.Options{WorkDir: dir}, wantErr: "event source nope.ndjson: no such file or directory"},
		{name: "missing after a good one", sources: []string{eventsDir, missing}, wantErr: "nope.ndjson"},
		{name: "stdin not available", sources: []string{"-"}, wantErr: "event source -: standard input is not available"},
		{name: "stdin twice", sources: []string{"-", "-"}, opts: event.Options{Stdin: strings.NewReader("")}, wantErr: "event source -: standard input given more than once"},
		{name: "empty path", sources: []string{""}, wantErr: "event source: empty path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := event.Open(tt.sources, tt.opts)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tt.sources)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestNoSources(t *testing.T) {
	s, err := event.Open(nil, event.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Next(); err != io.EOF {
		t.Errorf("Next = %v, want io.EOF", err)
	}
}

// A relative source is opened relative to WorkDir, not the process's
// directory.
func TestWorkDirResolvesRelativePaths(t *testing.T) {
	abs, err := filepath.Abs(eventsDir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := event.Open([]string{"okta-developer-docs__user.lifecycle.deactivate.ndjson"}, event.Options{WorkDir: abs})
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.Next()
	if err != nil || e.Source != "okta-developer-docs__user.lifecycle.deactivate.ndjson:1" {
		t.Fatalf("got %v, %v", e, err)
	}
}

func TestWorkDir(t *testing.T) {
	abs, err := filepath.Abs(eventsDir)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(abs, "okta-developer-docs__user.lifecycle.deactivate.ndjson")
	tests := []struct {
		name, workDir, want string
	}{
		{name: "inside", workDir: filepath.Dir(abs), want: filepath.Join("events", "okta-developer-docs__user.lifecycle.deactivate.ndjson") + ":1"},
		{name: "outside", workDir: t.TempDir(), want: file + ":1"},
		{name: "unset", workDir: "", want: file + ":1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := event.Open([]string{file}, event.Options{WorkDir: tt.workDir})
			if err != nil {
				t.Fatal(err)
			}
			e, err := s.Next()
			if err != nil {
				t.Fatal(err)
			}
			if e.Source != tt.want {
				t.Errorf("Source = %q, want %q", e.Source, tt.want)
			}
		})
	}
}

func TestDecodeErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  event.DecodeError
		want string
	}{
		{name: "line and column", err: event.DecodeError{File: "events/x.json", Line: 3, Column: 7, Msg: "bad"}, want: "events/x.json:3:7: bad"},
		{name: "line only", err: event.DecodeError{File: "events/x.ndjson", Line: 12, Msg: "bad"}, want: "events/x.ndjson:12: bad"},
		{name: "file only", err: event.DecodeError{File: "x.json", Msg: "bad"}, want: "x.json: bad"},
		{name: "no file", err: event.DecodeError{Line: 1, Column: 2, Msg: "bad"}, want: "<input>:1:2: bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

// generator produces n small events lazily, counting the bytes it hands out.
type generator struct {
	n, i   int
	array  bool // a JSON array instead of NDJSON
	buf    []byte
	read   int64
	closed bool
}

func (g *generator) Read(p []byte) (int, error) {
	for len(g.buf) == 0 {
		switch {
		case g.closed:
			return 0, io.EOF
		case g.i == g.n:
			g.closed = true
			if g.array {
				g.buf = append(g.buf, "\n]\n"...)
			}
			continue
		case g.array && g.i == 0:
			g.buf = append(g.buf, "[\n"...)
		case g.array:
			g.buf = append(g.buf, ",\n"...)
		}
		g.buf = fmt.Appendf(g.buf, `{"uuid":"u-%d","eventType":"user.lifecycle.deactivate","n":%d}`, g.i, g.i)
		if !g.array {
			g.buf = append(g.buf, '\n')
		}
		g.i++
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	g.read += int64(n)
	return n, nil
}

// TestStreaming decodes 100,000 generated events and checks that the
// input is consumed as the events are, not read first.
func TestStreaming(t *testing.T) {
	const n = 100_000
	tests := []struct {
		name  string
		file  string
		array bool
	}{
		{name: "NDJSON", file: "big.ndjson"},
		{name: "sniffed NDJSON", file: "-"},
		{name: "JSON array", file: "big.json", array: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			total := func() int64 {
				g := &generator{n: n, array: tt.array}
				b, _ := io.ReadAll(g)
				return int64(len(b))
			}()
			g := &generator{n: n, array: tt.array}
			s, err := event.Decode(g, tt.file, event.Options{})
			if err != nil {
				t.Fatal(err)
			}
			count := 0
			for {
				e, err := s.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if want := fmt.Sprintf("u-%d", count); e.UUID != want || e.Raw["n"] != int64(count) {
					t.Fatalf("event %d: uuid %q n %v", count, e.UUID, e.Raw["n"])
				}
				count++
				switch count {
				case 1, n / 2:
					// What has been read is the events so far plus a buffer.
					if limit := total*int64(count)/n + 256<<10; g.read > limit {
						t.Errorf("after %d events %d of %d bytes read, want at most %d", count, g.read, total, limit)
					}
				}
			}
			if got, want := s.Stats(), (event.Stats{Read: n}); got != want {
				t.Errorf("Stats() = %+v, want %+v", got, want)
			}
			if g.read != total {
				t.Errorf("read %d of %d bytes", g.read, total)
			}
		})
	}
}

// TestLongLine reads an event far longer than any read buffer.
func TestLongLine(t *testing.T) {
	long := strings.Repeat("x", 3<<20)
	text := `{"uuid":"1","eventType":"t","displayMessage":"` + long + `"}` + "\n" + ev("2") + "\n"
	evs, _, err := decodeAll(t, text, "x.ndjson", event.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Raw["displayMessage"] != long || evs[1].Source != "x.ndjson:2" {
		t.Errorf("got %d events", len(evs))
	}
}

func BenchmarkDecodeNDJSON(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(eventsDir, "okta-sdk-java__logs-subset.ndjson"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		s, _ := event.Decode(bytes.NewReader(data), "x.ndjson", event.Options{})
		for {
			if _, err := s.Next(); err != nil {
				break
			}
		}
	}
}
