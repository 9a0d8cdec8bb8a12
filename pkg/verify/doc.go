// Package verify proves that a leaver is gone everywhere: for each user it
// calls the read action of every connector instance that holds accounts
// (okta.getUser, slack.lookupUserByEmail, google.getUser, …) through an
// effect.Effector — the real connectors, `jml sandbox` or the simulated
// world, the same reads for all three — and classifies each answer as
// active, disabled (suspended, deactivated, frozen…), absent or error. A
// user deactivated in Okta who is still active in an app holds an orphaned
// account. An account verify cannot name for sure — a GitHub username or a
// sAMAccountName without the instance's accountIdFrom, taken from the
// user's Okta profile — is not checked, never guessed: a wrong guess
// answers 404, which would read as gone.
//
// verify never writes. It depends on effect, event, ast, catalog and
// source, and on engine for its one retry rule (engine.RetryWait);
// it knows nothing about terminals (pkg/view renders a Matrix) or about
// which effector it is given.
package verify
