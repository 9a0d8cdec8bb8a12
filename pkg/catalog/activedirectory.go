package catalog

const adUACDocs = "https://learn.microsoft.com/en-us/troubleshoot/windows-server/active-directory/useraccountcontrol-manipulate-account-properties"

// adUserFilter finds a user object by sAMAccountName.
const adUserFilter = "(&(objectCategory=person)(objectClass=user)(sAMAccountName={sAMAccountName}))"

func adAccount() Field {
	return reqIn("sAMAccountName", String, "Pre-Windows 2000 logon name of the user, e.g. jdoe.")
}

// adUserLookup resolves the user's DN and userAccountControl.
func adUserLookup() LookupCall {
	return LookupCall{Method: "search", Path: adUserFilter, Yields: []string{"dn", "userAccountControl"}}
}

func activeDirectory() Connector {
	groupDN := reqIn("groupDN", String, "Distinguished name of the group, e.g. CN=VPN Users,OU=Groups,DC=example,DC=com.")
	return Connector{
		Type:        "activedirectory",
		Vendor:      "Active Directory",
		Description: "Microsoft Active Directory over LDAP: user accounts, group membership and OUs.",
		Auth:        []string{"ldapBind"},
		Account: &Account{Read: "getUser", Key: "sAMAccountName", IDAttribute: "samAccountName", KeyWords: "a sAMAccountName",
			Signals: []Signal{boolSignal("disabled", false, "disabled")}},
		Unverified: "LDAP: there is no published API description to check against",
		Actions: []Action{
			{
				Name:        "getUser",
				Description: "Find a user account by sAMAccountName.",
				Effect:      Read,
				Idempotent:  true,
				Inputs:      []Field{adAccount()},
				Outputs: []Field{
					out("dn", String, "Distinguished name of the user object."),
					out("disabled", Boolean, "Whether the ACCOUNTDISABLE flag of userAccountControl is set."),
					out("groups", List, "Distinguished names of the groups the user is a direct member of (memberOf)."),
					out("userAccountControl", Number, "Raw userAccountControl flags."),
					out("mail", String, "Email address."),
					out("displayName", String, "Display name."),
				},
				Call: Call{Protocol: "ldap", Method: "search", Path: adUserFilter},
			},
			{
				Name:        "disableAccount",
				Deprovision: true,
				Subject:     "sAMAccountName",
				Description: "Disable the account by setting ACCOUNTDISABLE in userAccountControl.",
				Effect:      Write,
				Idempotent:  true,
				Inputs:      []Field{adAccount()},
				Call:        Call{Protocol: "ldap", Method: "modify", Path: "{dn}", Docs: adUACDocs, Lookups: []LookupCall{adUserLookup()}},
			},
			{
				Name:        "enableAccount",
				Description: "Enable the account by clearing ACCOUNTDISABLE in userAccountControl.",
				Effect:      Write,
				Idempotent:  true,
				Inputs:      []Field{adAccount()},
				Call:        Call{Protocol: "ldap", Method: "modify", Path: "{dn}", Docs: adUACDocs, Lookups: []LookupCall{adUserLookup()}},
			},
			{
				Name:        "addToGroup",
				Description: "Add the user to a group's member attribute (no-op if already a member).",
				Effect:      Write,
				Idempotent:  true,
				Inputs:      []Field{adAccount(), groupDN},
				Call:        Call{Protocol: "ldap", Method: "modify", Path: "{groupDN}", Lookups: []LookupCall{adUserLookup()}},
			},
			{
				Name:         "removeFromGroup",
				Deprovision:  true,
				RemovesGrant: true,
				Subject:      "sAMAccountName",
				Description:  "Remove the user from a group's member attribute (no-op if not a member).",
				Effect:       Write,
				Idempotent:   true,
				Inputs:       []Field{adAccount(), groupDN},
				Call:         Call{Protocol: "ldap", Method: "modify", Path: "{groupDN}", Lookups: []LookupCall{adUserLookup()}},
			},
			{
				Name:        "moveToOU",
				Description: "Move the user object to another organizational unit, keeping its RDN.",
				Effect:      Write,
				Idempotent:  true,
				Inputs: []Field{
					adAccount(),
					reqIn("ou", String, "Distinguished name of the target OU, e.g. OU=Leavers,DC=example,DC=com."),
				},
				Call: Call{Protocol: "ldap", Method: "modifyDN", Path: "{dn}", Lookups: []LookupCall{adUserLookup()}},
			},
		},
	}
}
