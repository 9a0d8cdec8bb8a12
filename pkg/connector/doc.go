// Package connector holds jml's real connectors: for each connector type
// of the catalogue, a client that performs its actions as the vendor's
// documented API calls (Okta Management API, Slack SCIM and Web API, Google
// Directory and Data Transfer, Microsoft Graph, ServiceNow Table API,
// Salesforce REST, GitHub REST, Jira Cloud REST, any REST endpoint), with
// the instance's auth (SSWS, bearer, basic, OAuth 2.0 client credentials,
// Google service-account JWT), a per-instance rate limiter, Retry-After and
// Okta rate-limit headers, timeouts and cancellation.
//
// A Set of clients built from jml.yaml is an effect.Effector: apply hands
// it to the engine. Secrets are resolved from {env:}/{file:} references
// only when a Set is built, into the Set's one effect.Redactor, which also
// receives every credential made from them (a header as sent, a fetched
// token, a signed assertion) before it is sent: output and history redact
// with it. Credentials go only to an instance's own origin, over TLS unless
// jml.yaml says allowInsecure: true; redirects stay within the origin
// (auth_transport.go).
//
// Beyond catalogue actions, an okta instance reads the System Log
// (okta_logs.go: LogPager, GET /api/v1/logs page by page, Link rel="next"
// followed within the instance's origin only) for jml events pull and the
// okta: event source. Rate-limit pauses are told and waited on the
// Options.Clock, so tests wait on a virtual one.
//
// connector depends on ast, source, catalog, effect and clock.
package connector
