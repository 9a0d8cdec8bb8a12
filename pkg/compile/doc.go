// Package compile turns decoded flows and the repository config into the
// card graph that the interpreter runs: every card a node with its kind,
// position and edges (sequence, then/else, switch cases, forEach body,
// try/catch, helper calls), every expression a checked CEL program, every
// action resolved against the connector catalogue, every call against the
// helper flow it names. It reports, with positions, every problem a run
// would otherwise hit: unknown instances, actions and inputs, undefined or
// not-yet-run steps, call cycles, unknown Okta event types, non-boolean
// conditions, literal secrets in the config and in flows (FlowSecrets), ...
//
// Each flow compiles alone into a Unit, reading of the other flows only
// their Interface; Check runs the checks across flows over the units'
// Summaries. Compile does both; CompileUnits and Check let jml validate's
// cache compile only the flows whose unit it does not hold.
//
// compile depends on diag, source, ast, expr, catalog and eventtypes; it
// knows nothing of files on disk, the CLI or how graphs are run.
package compile
