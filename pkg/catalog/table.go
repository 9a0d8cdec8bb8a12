package catalog

// TableColumnTypes are the types a table's column may be declared with in
// jml.yaml (tables: {NAME: {columns: {COLUMN: TYPE}}}); a value written
// to a column is stored as its type (see docs/tables.md).
var TableColumnTypes = []string{"string", "number", "boolean", "timestamp"}

// TableOperators are the comparisons a searchRows where: may make
// ({column: {OP: value}}); {column: value} is eq.
var TableOperators = []string{"eq", "ne", "lt", "lte", "gt", "gte"}

// tableRow is the shape of a row in the answers of the table actions.
var tableRow = []Field{
	out("id", String, "The row's id, given by jml when the row was created."),
	out("created", String, "When the row was created (RFC 3339, UTC)."),
	out("updated", String, "When the row was last written (RFC 3339, UTC)."),
}

func table() Connector {
	tableIn := reqIn("table", String, "Name of the table, as declared under tables: of the instance in jml.yaml.")
	rowIDIn := reqIn("rowId", String, "Id of the row (the id createRow returned, or a row's id from searchRows).")
	return Connector{
		Type:        "table",
		Vendor:      "the table store",
		Description: "Tables of rows jml keeps itself (in the history store's database), declared in jml.yaml: state shared between flows and runs, like Okta Workflows Tables.",
		Auth:        []string{"none"},
		Unverified:  "a jml table: no vendor and no published API description; the store is jml's own SQL schema (pkg/history)",
		Actions: []Action{
			{
				Name:        "clearTable",
				Description: "Delete every row of a table.",
				Effect:      Write,
				Idempotent:  true,
				Inputs:      []Field{tableIn},
				Outputs: []Field{
					out("cleared", Number, "Number of rows deleted."),
				},
				Call: Call{Protocol: "sql", Method: "DELETE", Path: "table_rows"},
			},
			{
				Name:        "createRow",
				Description: "Add a row to a table; its columns not given are null.",
				Effect:      Write,
				Idempotent:  false,
				// The row id is derived from the call's idempotency key: a
				// retry, resume or replay of the same card finds the row it
				// made and does not add a second one.
				Dedupe: "the row's id is derived from the idempotency key; a repeat with the same key finds the row made and returns it, adding none",
				Inputs: []Field{
					tableIn,
					reqIn("row", Object, "The row's values by column name."),
				},
				Outputs: []Field{
					out("id", String, "Id of the new row."),
				},
				Call: Call{Protocol: "sql", Method: "INSERT", Path: "table_rows"},
			},
			{
				Name:        "deleteRow",
				Description: "Delete one row of a table. A row that is not there (deleted already) is not an error: deleted is then false.",
				Effect:      Write,
				Idempotent:  true,
				Inputs:      []Field{tableIn, rowIDIn},
				Outputs: []Field{
					out("deleted", Boolean, "Whether the row was there and is deleted now (false when it was not there)."),
				},
				Call: Call{Protocol: "sql", Method: "DELETE", Path: "table_rows"},
			},
			{
				Name:        "getRow",
				Description: "Read one row of a table by its id; an unknown id is a 404.",
				Effect:      Read,
				Idempotent:  true,
				Inputs:      []Field{tableIn, rowIDIn},
				Outputs: []Field{
					out("row", Object, "The row: id, created, updated and its columns by name.", tableRow...),
				},
				Call: Call{Protocol: "sql", Method: "SELECT", Path: "table_rows"},
			},
			{
				Name:        "searchRows",
				Description: "The rows of a table that match where:, in order of orderBy (default: oldest first).",
				Effect:      Read,
				Idempotent:  true,
				Inputs: []Field{
					tableIn,
					optIn("where", Object, "Conditions every row returned meets, by column name: {COLUMN: VALUE} (equal) or {COLUMN: {OP: VALUE}} with OP one of eq, ne, lt, lte, gt, gte. Default: every row."),
					optIn("orderBy", String, "Column to sort by (or id, created, updated; default created)."),
					optIn("direction", String, "asc (default) or desc."),
					optIn("limit", Number, "Most rows returned (default and at most 1000)."),
					optIn("offset", Number, "Rows skipped before the first returned (default 0)."),
				},
				Outputs: []Field{
					out("rows", List, "The matching rows: id, created, updated and their columns by name.", tableRow...),
					out("count", Number, "Number of rows returned."),
				},
				Call: Call{Protocol: "sql", Method: "SELECT", Path: "table_rows"},
			},
			{
				Name:        "updateRow",
				Description: "Set columns of one row; the columns not given keep their values. An unknown id is a 404.",
				Effect:      Write,
				Idempotent:  true,
				Inputs: []Field{
					tableIn, rowIDIn,
					reqIn("row", Object, "The values to set, by column name."),
				},
				Call: Call{Protocol: "sql", Method: "UPDATE", Path: "table_rows"},
			},
		},
	}
}
