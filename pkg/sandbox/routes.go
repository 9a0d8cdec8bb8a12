package sandbox

import "net/http"

// routesFor returns the function that registers a connector type's vendor
// API routes on an instance's mux (paths without the /INSTANCE prefix).
func routesFor(typ string) func(in *Instance, mux *http.ServeMux) {
	switch typ {
	case "okta":
		return oktaRoutes
	case "slack":
		return slackRoutes
	case "google":
		return googleRoutes
	case "microsoft":
		return microsoftRoutes
	case "servicenow":
		return serviceNowRoutes
	case "salesforce":
		return salesforceRoutes
	case "github":
		return gitHubRoutes
	case "jira":
		return jiraRoutes
	case "http":
		return httpRoutes
	case "table":
		return tableRoutes
	}
	return nil
}
