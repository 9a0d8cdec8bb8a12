package connector

// factory builds the client of one instance.
type factory func(inst *Instance) Client

// factoryFor returns the client constructor of a connector type, or nil.
// activedirectory (LDAP) and email (SMTP) are not HTTP connectors and come
// with their own issue.
func factoryFor(typ string) factory {
	switch typ {
	case "okta":
		return newOkta
	case "slack":
		return newSlack
	case "google":
		return newGoogle
	case "microsoft":
		return newMicrosoft
	case "servicenow":
		return newServiceNow
	case "salesforce":
		return newSalesforce
	case "github":
		return newGitHub
	case "jira":
		return newJira
	case "http":
		return newHTTP
	}
	return nil
}
