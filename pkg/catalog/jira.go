package catalog

func jira() Connector {
	return Connector{
		Type:        "jira",
		Vendor:      "Jira",
		Description: "Jira Cloud platform REST API v3: issues.",
		Auth:        []string{"basic", "bearer", "oauth2"},
		DefaultRate: 5,
		Error:       &ErrorShape{Body: `{"errorMessages": ["{message}"], "errors": {}}`},
		Unverified:  "Atlassian publishes its Jira Cloud OpenAPI description on its site only, not in a repository the contract test can take it from",
		Actions: []Action{
			{
				Name:        "createIssue",
				Description: "Create a Jira issue.",
				Effect:      Write,
				Idempotent:  false,
				Dedupe:      "a jml-… label and a jml.idempotency issue property from the idempotency key; a JQL search for the label before the POST returns the issue an earlier try made",
				Inputs: []Field{
					reqIn("project", String, "Project key or ID, e.g. IT."),
					reqIn("issueType", String, "Issue type name, e.g. Task or Bug."),
					reqIn("summary", String, "Issue summary (title)."),
					optIn("description", String, "Issue description as plain text; sent as Atlassian Document Format."),
					optIn("fields", Object, "Further issue fields keyed by field ID, e.g. {labels: [offboarding]}."),
				},
				Outputs: []Field{
					out("key", String, "Key of the created issue, e.g. IT-123."),
					out("id", String, "ID of the created issue."),
					out("self", String, "REST URL of the created issue."),
				},
				Call: Call{Protocol: "http", Method: "POST", Path: "/rest/api/3/issue",
					Docs: "https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-post"},
			},
		},
	}
}
