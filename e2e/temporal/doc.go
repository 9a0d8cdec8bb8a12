// Package temporal holds jml's end-to-end tests against a real Temporal
// server (go.temporal.io/server, SQLite persistence, started in-process on
// loopback by the tests themselves). It is a separate Go module so that the
// jml binary never links the server; run it with
//
//	cd e2e/temporal && go test ./...
package temporal
