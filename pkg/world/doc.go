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
// processed (SeedEvent: every user an event names exists there — written
// once to a roster and taken into each instance when something could see
// it, roster.go, with the answers of seeding every instance at once). Faults from
// the world file add latency, timeouts or error statuses to matching calls,
// on the run's clock, so a virtual clock makes them free.
//
// Everything is deterministic: maps are iterated in sorted order, the only
// time source is the clock passed to New, and every generated id is a
// function of what identifies the thing it names (ids.go), never of how
// many things were made before it:
//
//   - what a call creates (ServiceNow sys_id and number, Jira key and id,
//     Slack message ts, Google transfer id, email Message-ID) derives from
//     the request's IdempotencyKey, which the interpreter derives from
//     (event uuid, flow, card path): adding or removing an event never
//     renumbers another event's run. A taken candidate (a collision, or a
//     retried non-idempotent create under the same key) gives way to the
//     key's next candidate, deterministically.
//   - a user the world invents an id for (seeded from an event, listed in
//     a world file without an id, created by Slack createUser) gets one
//     derived from the email, login or username the app keys users by.
//   - a call without an idempotency key falls back to a per-instance
//     counter (SCTASK0010001, 1700000000.000001, IT-1…), as do world file
//     records and issues listed without an id. Over `jml sandbox` only
//     what the vendor's protocol carries arrives: the sandbox takes the key
//     from ServiceNow's correlation_id, the Jira issue property, the email
//     Message-ID and the http Idempotency-Key header; Slack postMessage and
//     Google transferDrive carry none, so there the sandbox's ids are the
//     counter's, not the in-process world's.
//
// world depends on diag, source, schema, schemas, catalog, effect and clock.
// It must not depend on compile, the interpreter, cli or project: it knows
// connector instances, not flows.
package world
