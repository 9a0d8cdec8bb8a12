// Package history is Flow History (SPEC §9): every run and every connector
// call apply records, in SQLite or PostgreSQL, with the write-ahead journal
// that makes resume and converging applies safe, and the lock one apply
// holds.
//
// What it stores is a contract with every older jml's history: the schema
// changes only by adding migrations (store.go), and the JSON kept in rows
// has types of its own, converted from the engine's in one file (wire.go),
// with the RowFormat of each row recorded beside it.
//
// history depends on engine, effect, event, clock and verify (whose
// matrices it keeps, a row per user); never on the CLI, the views or the
// connectors.
package history
