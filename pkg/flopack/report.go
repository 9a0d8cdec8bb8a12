package flopack

import (
	"fmt"
	"io"
	"sort"
)

// WriteReport prints r as text.
func WriteReport(w io.Writer, r *Report) {
	fmt.Fprintf(w, "%d flows, %d/%d cards translated\n", len(r.Flows), r.Translated, r.Cards)
	for _, f := range r.Flows {
		state := "enabled"
		if !f.Enabled {
			state = "disabled (cards not imported)"
		}
		fmt.Fprintf(w, "\n%s  %q\n  trigger: %s\n  cards: %d/%d translated, %s\n", f.File, f.Name, f.Trigger, f.Translated, f.Cards, state)
		for _, td := range f.Todo {
			fmt.Fprintf(w, "  todo: %s\n", td)
		}
	}
	if len(r.Missing) > 0 {
		fmt.Fprintf(w, "\nnot translated, by card type:\n")
		keys := make([]string, 0, len(r.Missing))
		for k := range r.Missing {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if r.Missing[keys[i]] != r.Missing[keys[j]] {
				return r.Missing[keys[i]] > r.Missing[keys[j]]
			}
			return keys[i] < keys[j]
		})
		for _, k := range keys {
			fmt.Fprintf(w, "  %3d  %s\n", r.Missing[k], k)
		}
	}
	if len(r.Decisions) > 0 {
		fmt.Fprintf(w, "\ndecisions:\n")
		for _, d := range r.Decisions {
			fmt.Fprintf(w, "  - %s\n", d)
		}
	}
}
