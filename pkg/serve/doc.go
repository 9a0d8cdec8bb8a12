// Package serve is jml serve: an Okta Event Hook endpoint that
// acknowledges each delivery once its events are stored in a durable queue
// (the history store's event_queue, de-duplicated by event uuid), and a
// pool of workers that applies the queued events afterwards — through
// pkg/apply's Run and Converge with the engine replay.Engine set up, the
// very path of jml apply, never a copy of it — so that Okta's 3-second
// window never waits for a vendor.
//
// Before an event runs, the hourly guardrail counts the people its runs
// would deprovision (replay.Simulate: the planner's blast radius) together
// with those of the events admitted in the hour before; above
// guardrails.maxDeprovisionsPerHour the event is held for a human (jml
// serve approve).
//
// serve depends on apply, replay, engine, event, history, plan and the
// Prometheus client; it knows nothing about cobra or terminals: the CLI
// builds the engine, opens the store and listens.
package serve
