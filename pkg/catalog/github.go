package catalog

const githubMembersDocs = "https://docs.github.com/en/rest/orgs/members"

func github() Connector {
	org := reqIn("org", String, "Organization login (not case sensitive).")
	username := reqIn("username", String, "GitHub username (login) of the user.")
	return Connector{
		Type:           "github",
		Vendor:         "GitHub",
		Description:    "GitHub REST API: organization membership.",
		Auth:           []string{"bearer"},
		DefaultRate:    5,
		DefaultBaseURL: "https://api.github.com",
		Account: &Account{Read: "getOrgMembership", Key: "username", IDAttribute: "githubUsername", KeyWords: "a GitHub username",
			Settings: []string{"org"},
			// A pending invitation is still a way in: the person can accept it.
			Signals: []Signal{{Field: "state", Active: map[string]string{"active": "{role}", "pending": "pending invitation"}}}},
		Unverified: "GitHub's REST API description (github/rest-api-description) is not yet in the contract test: too large to bring in whole here",
		Actions: []Action{
			{
				Name:        "getOrgMembership",
				Description: "Get the user's membership of an organization.",
				Effect:      Read,
				Idempotent:  true,
				Inputs:      []Field{org, username},
				Outputs: []Field{
					out("state", String, "Membership state: active or pending."),
					out("role", String, "Membership role: admin or member."),
				},
				Call: Call{Protocol: "http", Method: "GET", Path: "/orgs/{org}/memberships/{username}",
					Docs: githubMembersDocs + "#get-organization-membership-for-a-user"},
			},
			{
				Name:         "removeOrgMember",
				Deprovision:  true,
				RemovesGrant: true,
				Subject:      "username",
				Description:  "Remove the user from the organization and all its teams.",
				Effect:       Write,
				Idempotent:   true,
				Inputs:       []Field{org, username},
				Call: Call{Protocol: "http", Method: "DELETE", Path: "/orgs/{org}/members/{username}",
					Docs: githubMembersDocs + "#remove-an-organization-member"},
			},
		},
	}
}
