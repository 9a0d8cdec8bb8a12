package catalog

const serviceNowTableDocs = "https://www.servicenow.com/docs/r/api-reference/rest-apis/c_TableAPI.html"

func serviceNow() Connector {
	table := reqIn("table", String, "Table name, e.g. incident, sc_task or sys_user.")
	sysID := reqIn("sysId", String, "sys_id of the record.")
	return Connector{
		Type:        "servicenow",
		Vendor:      "ServiceNow",
		Description: "ServiceNow Table API: read, create and update records in any table.",
		Auth:        []string{"basic", "oauth2", "bearer"},
		DefaultRate: 10,
		Error:       &ErrorShape{Body: `{"error": {"message": "{message}", "detail": "{jmlCode}"}, "status": "failure"}`},
		Unverified:  "ServiceNow publishes no machine-readable description of its Table API",
		Actions: []Action{
			{
				Name:        "getRecord",
				Description: "Fetch one record from a table.",
				Effect:      Read,
				Idempotent:  true,
				Inputs:      []Field{table, sysID},
				Outputs: []Field{
					out("sys_id", String, "sys_id of the record."),
					out("number", String, "Record number, e.g. INC0010001 (task tables)."),
					out("fields", Object, "All field values of the record, keyed by field name."),
				},
				Call: Call{Protocol: "http", Method: "GET", Path: "/api/now/table/{table}/{sysId}?sysparm_exclude_reference_link=true", Docs: serviceNowTableDocs},
			},
			{
				Name:        "createRecord",
				Description: "Insert a record into a table, e.g. open an incident or task.",
				Effect:      Write,
				Idempotent:  false,
				Dedupe:      "correlation_id = the idempotency key; a GET by correlation_id before the POST returns the record an earlier try made (unless fields sets correlation_id)",
				Inputs: []Field{
					table,
					reqIn("fields", Object, "Field values of the new record, e.g. {short_description: ..., assignment_group: ...}."),
				},
				Outputs: []Field{
					out("sys_id", String, "sys_id of the created record."),
					out("number", String, "Number of the created record, e.g. INC0010001."),
				},
				Call: Call{Protocol: "http", Method: "POST", Path: "/api/now/table/{table}", Docs: serviceNowTableDocs},
			},
			{
				Name:        "updateRecord",
				Description: "Update fields of an existing record; other fields keep their value.",
				Effect:      Write,
				Idempotent:  true,
				Inputs: []Field{
					table,
					sysID,
					reqIn("fields", Object, "Field values to set, keyed by field name."),
				},
				Outputs: []Field{
					out("sys_id", String, "sys_id of the updated record."),
					out("number", String, "Number of the updated record."),
				},
				Call: Call{Protocol: "http", Method: "PATCH", Path: "/api/now/table/{table}/{sysId}", Docs: serviceNowTableDocs},
			},
		},
	}
}
