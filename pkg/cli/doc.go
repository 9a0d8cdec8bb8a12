// Package cli is jml's command line: cobra wiring, flags filled into one
// options struct per verb, and run functions that take that struct and
// write to injected IOStreams. Only this package imports cobra; it chains
// the phases through package project and renders through package view.
package cli
