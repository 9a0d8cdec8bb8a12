package catalog

func httpConnector() Connector {
	return Connector{
		Type:        "http",
		Description: "Generic HTTP requests to any API reachable from the connection's base URL.",
		Auth:        []string{"none", "basic", "bearer", "oauth2", "ssws"},
		Unverified:  "the generic http connector calls whatever API the user names",
		Actions: []Action{
			{
				Name:        "request",
				Description: "Send an HTTP request; a read for GET and HEAD, a write otherwise.",
				Effect:      Write,
				Idempotent:  false,
				// Idempotency-Key (draft-ietf-httpapi-idempotency-key-header)
				// deduplicates only where the API implements it, which jml
				// cannot know: a write may repeat.
				Repeat:      "a second request, unless the API honours the Idempotency-Key header jml sends on writes (the idempotency key)",
				ReadMethods: []string{"GET", "HEAD"},
				Inputs: []Field{
					reqIn("method", String, "HTTP method: GET, HEAD, POST, PUT, PATCH or DELETE."),
					reqIn("path", String, "Path relative to the connection's base URL, e.g. /api/v1/users (leading slash optional)."),
					optIn("query", Object, "Query parameters, keyed by name."),
					optIn("headers", Object, "Extra request headers, keyed by name."),
					optIn("body", Any, "Request body; objects and lists are sent as JSON."),
					optIn("expect", List, "Status codes that count as success (default any 2xx)."),
				},
				Outputs: []Field{
					out("status", Number, "HTTP status code."),
					out("headers", Object, "Response headers, keyed by canonical name."),
					out("body", Any, "Response body; parsed when JSON, else a string."),
				},
				// The path input is joined to the base URL without doubling
				// its leading slash.
				Call: Call{Protocol: "http", Method: "{method}", Path: "/{path}"},
			},
		},
	}
}
