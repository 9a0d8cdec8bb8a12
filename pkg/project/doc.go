// Package project is the driver of jml's front end: it finds a repository's
// jml.yaml, reads the config and every flow file, runs the phases in order
// (load → schema → decode → compile), stops between phases when there are
// errors, and returns the compiled graph with every diagnostic.
//
// project is the only package besides the CLI that chains the phases.
package project
