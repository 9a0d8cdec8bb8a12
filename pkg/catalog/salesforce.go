package catalog

// salesforceAPI is the REST API version jml targets.
const salesforceAPI = "/services/data/v62.0"

const (
	salesforceQueryDocs     = "https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_query.htm"
	salesforceUpdateDocs    = "https://developer.salesforce.com/docs/platform/api-rest/guide/dome-update-fields.html"
	salesforceUserLoginDocs = "https://developer.salesforce.com/docs/platform/object-reference/references/standard-objects/object-userlogin.html"
)

func salesforceUsername() Field {
	return reqIn("username", String, "Salesforce username, e.g. jane.doe@example.com.")
}

// salesforceUserLookup resolves the User record from a username.
func salesforceUserLookup() LookupCall {
	return LookupCall{
		Method: "GET",
		Path:   salesforceAPI + "/query?q=SELECT Id, IsActive FROM User WHERE Username = '{username}'",
		Yields: []string{"userId", "isActive"},
		Docs:   salesforceQueryDocs,
	}
}

// salesforceUserLoginLookup resolves the UserLogin record of a user.
func salesforceUserLoginLookup() LookupCall {
	return LookupCall{
		Method: "GET",
		Path:   salesforceAPI + "/query?q=SELECT Id, IsFrozen FROM UserLogin WHERE UserId = '{userId}'",
		Yields: []string{"userLoginId", "frozen"},
		Docs:   salesforceUserLoginDocs,
	}
}

func salesforce() Connector {
	return Connector{
		Type:        "salesforce",
		Vendor:      "Salesforce",
		Description: "Salesforce REST API: user lookup, freeze and deactivation.",
		Auth:        []string{"oauth2", "bearer"},
		DefaultRate: 10,
		Account: &Account{Read: "getUser", Key: "username", ByLogin: true,
			// Frozen blocks login while IsActive stays true; either ends access.
			Signals: []Signal{boolSignal("isActive", true, "inactive"), boolSignal("frozen", false, "frozen")}},
		Error:      &ErrorShape{Body: `[{"message": "{message}", "errorCode": "{JMLCODE}"}]`},
		Unverified: "Salesforce publishes no machine-readable description of its REST API's sObject and query resources",
		Actions: []Action{
			{
				Name:        "getUser",
				Description: "Fetch a Salesforce user's ID, active flag and frozen state.",
				Effect:      Read,
				Idempotent:  true,
				Inputs:      []Field{salesforceUsername()},
				Outputs: []Field{
					out("id", String, "User record ID."),
					out("isActive", Boolean, "Whether the user is active."),
					out("frozen", Boolean, "Whether the user's login is frozen (UserLogin.IsFrozen)."),
				},
				Call: Call{
					Protocol: "http", Method: "GET",
					Path:    salesforceAPI + "/query?q=SELECT Id, IsFrozen FROM UserLogin WHERE UserId = '{userId}'",
					Docs:    salesforceQueryDocs,
					Lookups: []LookupCall{salesforceUserLookup()},
				},
			},
			{
				Name:        "freezeUser",
				Deprovision: true,
				Subject:     "username",
				Description: "Freeze the user's login (UserLogin.IsFrozen=true); the user stays active and licensed.",
				Effect:      Write,
				Idempotent:  true,
				Inputs:      []Field{salesforceUsername()},
				Call: Call{
					Protocol: "http", Method: "PATCH", Path: salesforceAPI + "/sobjects/UserLogin/{userLoginId}",
					Docs:    salesforceUserLoginDocs,
					Lookups: []LookupCall{salesforceUserLookup(), salesforceUserLoginLookup()},
				},
			},
			{
				Name:        "unfreezeUser",
				Description: "Unfreeze the user's login (UserLogin.IsFrozen=false).",
				Effect:      Write,
				Idempotent:  true,
				Inputs:      []Field{salesforceUsername()},
				Call: Call{
					Protocol: "http", Method: "PATCH", Path: salesforceAPI + "/sobjects/UserLogin/{userLoginId}",
					Docs:    salesforceUserLoginDocs,
					Lookups: []LookupCall{salesforceUserLookup(), salesforceUserLoginLookup()},
				},
			},
			{
				Name:        "deactivateUser",
				Deprovision: true,
				Subject:     "username",
				Description: "Deactivate the user (User.IsActive=false), freeing the license.",
				Effect:      Write,
				Idempotent:  true,
				Inputs:      []Field{salesforceUsername()},
				Call: Call{
					Protocol: "http", Method: "PATCH", Path: salesforceAPI + "/sobjects/User/{userId}",
					Docs:    salesforceUpdateDocs,
					Lookups: []LookupCall{salesforceUserLookup()},
				},
			},
		},
	}
}
