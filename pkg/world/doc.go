// Package world is jml's built-in simulator of the downstream apps (SPEC
// §6): a stateful, in-memory model of each connector instance named in
// jml.yaml — Okta users, profiles, groups and sessions; Slack users and
// messages; Google users, groups and Drive ownership; Microsoft users,
// licences and groups; ServiceNow records; Salesforce users; GitHub
// memberships; Jira issues; canned HTTP answers; Active Directory accounts;
// an email outbox. It answers every catalogue action as the real vendor API
// would in shape and in failure (an unknown user is a 404, deactivating
// twice is idempotent, creating a record twice makes two records), so that
// dry-run, plan, test and `jml sandbox` run flows against something that
// behaves like production without touching it.
//
// A World is an effect.Effector. It is seeded from a world file (Load,
// Apply: the instances the file describes are closed worlds holding exactly
// what it lists) and, for every other instance, from the events as they are
// processed (SeedEvent: every user an event names exists there). Faults from
// the world file add latency, timeouts or error statuses to matching calls,
// on the run's clock, so a virtual clock makes them free.
//
// Everything is deterministic: generated ids (ServiceNow sys_id and number,
// Jira keys, Slack ids and message ts, Google transfer ids…) are counters,
// maps are iterated in sorted order, and the only time source is the clock
// passed to New.
//
// world depends on diag, source, schema, schemas, catalog, effect and clock.
// It must not depend on compile, the interpreter, cli or project: it knows
// connector instances, not flows.
package world
