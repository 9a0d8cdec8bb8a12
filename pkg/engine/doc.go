// Package engine is jml's interpreter: it runs the compiled card graph of
// package compile for one trigger (an Okta event, a schedule instant) with
// the semantics of SPEC §3 and §8 — every card kind, retries with backoff
// and Retry-After, onError halt / continue / return / {flow}, try/catch,
// helper calls — against an effect.Effector (the simulated world for
// dry-run and plan, real connectors for apply) and a clock.Clock (virtual
// outside apply).
//
// The engine never prints: it reports through an Observer, and returns each
// run as a Run with its trace (every card, its inputs, outputs, error,
// attempts) and its change set (every write that succeeded). It knows
// nothing of terminals, files or the CLI.
//
// engine depends on compile, expr, catalog, effect, clock and event.
package engine
