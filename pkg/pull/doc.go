// Package pull reads Okta's System Log (GET /api/v1/logs) through the okta
// connector's instance — its auth, rate limiter and X-Rate-Limit handling —
// for `jml events pull` (to an NDJSON file, resumable with --append) and
// for the okta:SINCE[..UNTIL] event source of dry-run, plan and apply (an
// NDJSON stream decoded as the pages come).
//
// Failed calls are retried by the engine's one retry rule
// (engine.RetryWait) and waited out on an injected clock. Events come out
// as the API sent them, one a line; an event whose uuid was already
// written (the overlap of a resumed pull, or of two polls) is dropped.
//
// pull depends on connector, engine, compile, effect and clock; it knows
// nothing of terminals (progress goes to a callback).
package pull
