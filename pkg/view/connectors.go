package view

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/jml-dev/jml/pkg/catalog"
)

// ConnectorsText writes the catalogue of the given connectors: per action
// its effect, idempotency verdict (idempotent, deduplicated — and how — or
// may repeat on retry — and what a repeat makes), vendor call, OAuth
// scopes (or, for microsoft, Graph application permissions), inputs and
// outputs.
func ConnectorsText(w io.Writer, cons []*catalog.Connector, st Styles) {
	for i, c := range cons {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s — %s\n", st.Bold.Render(c.Type), c.Description)
		if len(c.Auth) > 0 {
			fmt.Fprintf(w, "  %s %s\n", st.Dim.Render("auth:"), strings.Join(c.Auth, ", "))
		}
		for _, a := range c.Actions {
			idem := "idempotent"
			switch a.Verdict() {
			case catalog.VerdictDeduplicated:
				idem = "not idempotent, deduplicated"
			case catalog.VerdictMayRepeat:
				idem = "not idempotent, may repeat on retry"
			}
			eff := string(a.Effect)
			if len(a.ReadMethods) > 0 {
				eff = fmt.Sprintf("read for %s, else write", strings.Join(a.ReadMethods, "/"))
			}
			fmt.Fprintf(w, "\n  %s  %s\n", st.Code.Render(c.Type+"."+a.Name), st.Dim.Render("("+eff+", "+idem+")"))
			fmt.Fprintf(w, "    %s\n", a.Description)
			if a.Dedupe != "" {
				fmt.Fprintf(w, "    %s %s\n", st.Dim.Render("dedupe: "), a.Dedupe)
			}
			if a.Repeat != "" {
				fmt.Fprintf(w, "    %s %s\n", st.Dim.Render("repeat: "), a.Repeat)
			}
			call := strings.TrimSpace(a.Call.Method + " " + a.Call.Path)
			if call == "" {
				call = a.Call.Protocol
			} else if a.Call.Protocol != "http" {
				call = a.Call.Protocol + " " + call
			}
			fmt.Fprintf(w, "    %s %s\n", st.Dim.Render("call:   "), call)
			// What the contract test (pkg/contract) holds the call to.
			if a.Verified != nil {
				fmt.Fprintf(w, "    %s %s\n", st.Dim.Render("checked:"), "verified against "+a.Verified.Title)
			} else {
				fmt.Fprintf(w, "    %s %s\n", st.Dim.Render("checked:"), "unverified: "+a.Unverified)
			}
			if len(a.Scopes) > 0 {
				label := "scopes: "
				if !catalog.RequestsScopes(c.Type) {
					label = "permits:" // Graph application permissions of the app registration
				}
				fmt.Fprintf(w, "    %s %s\n", st.Dim.Render(label), strings.Join(a.Scopes, ", "))
			}
			fmt.Fprintf(w, "    %s %s\n", st.Dim.Render("inputs: "), fieldList(a.Inputs, true))
			fmt.Fprintf(w, "    %s %s\n", st.Dim.Render("outputs:"), fieldList(a.Outputs, false))
		}
	}
}

func fieldList(fs []catalog.Field, inputs bool) string {
	if len(fs) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(fs))
	for _, f := range fs {
		s := f.Name
		if inputs && !f.Required {
			s += "?"
		}
		s += " " + string(f.Type)
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// ConnectorsJSON writes the catalogue as a JSON array of connectors.
func ConnectorsJSON(w io.Writer, cons []*catalog.Connector) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(cons)
}
