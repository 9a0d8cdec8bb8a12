// Package webui is the read-only web view of Flow History: the runs
// (filtered, a page at a time), one run card by card, a flow's card graph
// coloured by each card's success rate, a user's runs and latest jml
// verify, and an overview (runs per day, the slowest cards, the vendors
// answering 429). `jml history serve` serves it alone, `jml serve` under
// /ui/.
//
// Pages are rendered on the server with html/template: every value from
// the history (events, vendor answers and errors, logins) is escaped by
// the template, never marked safe. The one piece of markup not written by
// a template is the flow's SVG from pkg/graph (drawn from the compiled
// flows, not from the history), and it is checked before it is embedded
// (svgcheck.go). The CSS and the one small script (a copy button) are
// embedded in the binary; every response carries a strict
// Content-Security-Policy, and the pages work without the script.
//
// webui depends on history, graph, compile, engine (a trace's cards),
// view (how times, durations and verify cells read) and effect (the
// secret redactor); never on the CLI.
package webui
