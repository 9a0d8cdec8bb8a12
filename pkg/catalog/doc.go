// Package catalog is jml's connector action catalogue: a read-only, in-memory
// description of every connector type jml knows (okta, slack, google, ...),
// the actions each connector offers, their typed inputs and outputs, whether
// an action reads or writes and is safe to retry, and the real vendor API
// call (protocol, method, path template, documentation URL) it makes.
//
// The catalogue is metadata only: it performs no I/O and holds no
// credentials. It is the single source of truth for
//
//   - flow validation (unknown connector type or action, missing required
//     input, unknown input, input type checks, read/write classification for
//     dry runs and approvals);
//   - the `jml connectors` documentation output (every type is JSON-ready);
//   - the HTTP, LDAP and SMTP connector implementations, which map each
//     action to the Call recorded here.
//
// The catalogue is built once when the package is initialised and never
// changes afterwards. Lookup and All hand out deep copies, so callers may
// modify what they receive without affecting anyone else.
//
// Path templates use {name} placeholders. Each placeholder names either an
// input of the action or a value yielded by one of the Call's Lookups (a
// preliminary read that resolves, say, a Slack user id from an email
// address). A query parameter whose placeholder names an optional input that
// was not given is left out of the request.
//
// This package deliberately depends on nothing but the standard library and
// on no other jml package, so that any part of jml can import it.
package catalog
