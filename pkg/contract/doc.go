// Package contract holds the contract test of issue #13, "vendor truth
// comes from the vendor": every catalogue action is performed by its real
// connector against `jml sandbox` through a recorder, and each request the
// connector sends is checked against the vendor's published API
// description (method, path template, path and query parameters, headers,
// body), each answer of the sandbox against the same operation's response,
// and the sequence of calls against the catalogue's documented Call and
// Lookups. Each verified action is also run with the world failing its
// call (404, 400, 429): the error answer is checked against the
// description's response for that status, and the connector's error
// against effect.HTTPError's rule (errors_test.go).
//
// The descriptions are trimmed by ../../testdata/vendor-specs/trim and
// read from JML_VENDOR_SPECS, or from shared/reference/vendor-specs beside
// the repository; their provenance is ../../testdata/vendor-specs/SOURCES.md.
// Which action is checked against which description is a fact of the
// catalogue (catalog.Action.Verified), which `jml connectors` prints.
//
// The package has only tests: kin-openapi, which checks OpenAPI
// descriptions, stays out of the jml binary.
package contract
