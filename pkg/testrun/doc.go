// Package testrun runs flow tests (kind: Test, SPEC §7): it finds test
// files, decodes and checks them with positions (JSON Schema, then the
// flows, instances and actions they name against the compiled repository),
// replays each test's events through the flows against its own simulated
// world, compares the runs with the test's expectations, and renders the
// results as text (like go test) or JUnit XML.
//
// Tests are independent: each gets a fresh world and engine, so they run in
// parallel, and results come back in file order, so the output is the same
// byte for byte on every run.
//
// testrun depends on source, schema, diag, compile, engine, event, replay,
// world and view (for styles and diagnostic snippets); it must not depend on
// cli or cobra.
package testrun
