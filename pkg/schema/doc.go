// Package schema validates jml documents against the JSON Schemas of the
// top-level schemas/ folder and maps every violation back to the YAML node
// it concerns, through the validator's instance location, as a diag
// diagnostic with its own check id (unknown-key, missing-key, wrong-type,
// invalid-value, card-kind, trigger-kind, literal-secret, ...).
//
// schema depends on diag, source and the schemas folder; not on ast or
// anything above it.
package schema
