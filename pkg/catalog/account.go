package catalog

// Account is how jml verify asks a connector type about a person's
// account and tells from the answer whether it still lets them in. A type
// whose actions deprovision someone holds accounts and has one (the test
// holds the two together); servicenow, jira, http and email hold none.
type Account struct {
	// Read is the read action verify calls.
	Read string `json:"read"`
	// Key is the read's input that names the account.
	Key string `json:"key"`
	// ByLogin is set when the account is keyed by the person's Okta login
	// (the email-keyed apps; Okta itself). The other keys cannot be
	// derived from the login — a GitHub username is the person's own
	// choice, a sAMAccountName is often jdoe for jane.doe@ — so without
	// accountIdFrom such an account is not checked rather than guessed: a
	// wrong guess answers 404, which would read as a green "absent".
	ByLogin bool `json:"byLogin"`
	// IDAttribute is, for a key not by login, the Okta profile attribute
	// a message suggests for accountIdFrom (githubUsername).
	IDAttribute string `json:"idAttribute,omitempty"`
	// KeyWords names such a key in a message ("a GitHub username").
	KeyWords string `json:"keyWords,omitempty"`
	// Settings are settings of the instance in jml.yaml that the read
	// takes as inputs of the same name (github: org); an instance without
	// one cannot be asked.
	Settings []string `json:"settings,omitempty"`
	// Signals are the outputs of the read that tell an account that lets
	// the person in (active) from one that does not (disabled).
	Signals []Signal `json:"signals"`
}

// Signal is one output of an account read that says whether the account
// is active. A boolean output has ActiveWhen; a string output has
// DisabledValues or Active. A string signal decides alone; boolean ones
// together: any disabled one disables the account (Salesforce's frozen
// blocks login while isActive stays true).
type Signal struct {
	// Field is the output.
	Field string `json:"field"`
	// ActiveWhen is, for a boolean output, its value on an active
	// account; the other value is disabled, said as Disabled.
	ActiveWhen *bool `json:"activeWhen,omitempty"`
	// Disabled is what a disabled boolean output is called
	// ("deactivated", "accountEnabled false").
	Disabled string `json:"disabled,omitempty"`
	// DisabledValues are, for a string output, the values that end
	// access, each said as itself (DEPROVISIONED, SUSPENDED).
	DisabledValues []string `json:"disabledValues,omitempty"`
	// Active lists, when set, the only values of a string output on an
	// active account, each with what to say ({name} is the output name);
	// any other value is an unexpected answer. When nil, any non-empty
	// value not in DisabledValues is active, said as itself.
	Active map[string]string `json:"active,omitempty"`
}

// AccountOf returns how verify reads accounts of a connector type (a
// copy), and whether the type holds accounts at all.
func AccountOf(typ string) (Account, bool) {
	c, ok := catalogue[typ]
	if !ok || c.Account == nil {
		return Account{}, false
	}
	return copyAccount(*c.Account), true
}

func copyAccount(a Account) Account {
	a.Settings = copyStrings(a.Settings)
	sigs := make([]Signal, len(a.Signals))
	for i, s := range a.Signals {
		if s.ActiveWhen != nil {
			v := *s.ActiveWhen
			s.ActiveWhen = &v
		}
		s.DisabledValues = copyStrings(s.DisabledValues)
		if s.Active != nil {
			m := make(map[string]string, len(s.Active))
			for k, v := range s.Active {
				m[k] = v
			}
			s.Active = m
		}
		sigs[i] = s
	}
	a.Signals = sigs
	return a
}

// activeWhen is a boolean Signal's ActiveWhen.
func activeWhen(v bool) *bool { return &v }

// boolSignal is a boolean output whose value activeWhen is an active
// account and whose other value is disabled, said as disabled.
func boolSignal(field string, active bool, disabled string) Signal {
	return Signal{Field: field, ActiveWhen: activeWhen(active), Disabled: disabled}
}
