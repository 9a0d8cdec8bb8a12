// Package event decodes recorded Okta System Log events (LogEvent objects)
// from every source the jml CLI takes as EVENTS, so that plan, dry-run,
// apply and flow tests all see the same events in the same order.
//
// Sources (see [Open] and [Decode]):
//
//   - a .json file: one LogEvent, a JSON array of them, or an Okta Event
//     Hook delivery ({"eventType":"com.okta.event_hook","data":{"events":[…]}});
//   - a .ndjson or .jsonl file: one LogEvent (or hook delivery) a line;
//   - a directory: its .json, .ndjson and .jsonl files, recursively, sorted
//     by path (hidden files and directories and other files are skipped);
//   - "-": standard input, taken from [Options.Stdin].
//
// Any other file named explicitly (a FIFO, events.txt) is read too; its
// format is sniffed from its content like standard input's.
//
// Events come out in input order, except that the events of one hook
// delivery come out in published order, as Okta means them to be
// processed. An event whose uuid was already seen is dropped and counted
// ([Stats.Duplicates]); uuids are opaque strings. Unknown LogEvent fields
// are kept in [Event.Raw]; JSON numbers are int64 when written as integers
// and float64 otherwise.
//
// With [Options.Want] (a replay passes the event types its flows take),
// an event of a type Want turns down is skimmed rather than decoded: one
// pass over its bytes checks them as strictly as the full decode (the
// same errors at the same positions) and keeps its uuid, eventType,
// published and the users it names ([Event.Partial]); whenever the skim
// is not sure, the event is decoded in full (skim.go).
//
// Input is streamed: memory stays flat in the number of events, but for
// the set of uuids seen (about 16 bytes a canonical uuid: uuidset.go) and
// the current event (or hook delivery). Bad
// input is a [*DecodeError] with file, line and column; nothing panics on
// any input. With [Options.KeepGoing] bad events are skipped and counted
// instead.
//
// The package depends on no other jml package (only the standard
// library): the CLI and the interpreter build on it, not the other way
// round. It does not pull events from the Okta API itself: an
// okta:SINCE[..UNTIL] source is opened by [Options.Remote] (the CLI's
// System Log pull, package pull) when its turn comes, and read as NDJSON.
package event
