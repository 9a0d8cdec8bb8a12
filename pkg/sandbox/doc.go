// Package sandbox serves the simulated world of package world over HTTP,
// speaking each vendor's real API: every connector instance of jml.yaml
// under /INSTANCE/ followed by the vendor's path (/okta/api/v1/users/{id}/
// lifecycle/deactivate, /slack/scim/v2/Users/{id}, /itsm/api/now/table/
// sc_task, …), with the vendor's request and response shapes, so that the
// real connectors of package connector work against it unchanged. It also
// serves GET /_world (the whole state, keyed by instance) and POST
// /_world/reset (back to the seeded state). Okta instances also serve
// their System Log, GET /api/v1/logs, from the events of Options.Logs
// (okta_logs.go).
//
// sandbox depends on world and effect; it knows nothing of the CLI.
package sandbox
