// Package view renders jml's results for people and machines: diagnostics
// as text with source snippets, as JSON, and as GitHub workflow commands;
// the connector catalogue as text or JSON. Renderers write to an injected
// writer and take their styles from the caller, so colour is decided once,
// in the CLI.
//
// view depends on diag, source and catalog; not on cobra or the terminal.
package view
