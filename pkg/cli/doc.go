// Package cli is jml's command line. Each command is an Options struct,
// newXxxCmd(g, runF) — which only fills the Options from the flags and
// arguments, refuses a bad command line (ExitUsage), and calls runF (tests)
// or xxxRun — and xxxRun, which takes the Options and writes to the
// injected IOStreams. Orchestration that is not about flags or output
// lives below: the engine set-up in replay.Engine, the counting of a trace
// in view.TraceSummary.Add, the guardrail and resumption in apply. Only
// this package imports cobra; it chains the phases through package
// project and renders through package view.
package cli
