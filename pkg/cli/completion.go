package cli

import (
	"context"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jml-dev/jml/pkg/apply"
	"github.com/jml-dev/jml/pkg/history"
	"github.com/jml-dev/jml/pkg/project"
	"github.com/jml-dev/jml/pkg/view"
)

// Shell completion (jml completion bash|zsh|fish|powershell, cobra's):
// what a TAB offers beyond command and flag names. Each completion reads
// cheaply — the repository's outline (project.ReadOutline: nothing
// checked or compiled), the history's latest runs — creates nothing, and
// offers nothing rather than fail.

// completionRuns is how many of the latest runs a run id completes from.
const completionRuns = 200

// completionWait bounds what a TAB waits for a history (a PostgreSQL
// server that does not answer).
const completionWait = 3 * time.Second

// eventFiles completes EVENTS: the files an event source reads
// (.ndjson, .jsonl, .json — a saved plan too), and directories.
func eventFiles(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return []cobra.Completion{"ndjson", "jsonl", "json"}, cobra.ShellCompDirectiveFilterFileExt
}

// yamlFiles completes a world file.
func yamlFiles(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return []cobra.Completion{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
}

// outline reads the repository's outline: of --config, else found from
// the working directory.
func (g *globals) outline() (*project.Outline, bool) {
	return project.ReadOutline(project.Options{Config: g.config, Dir: g.io.WorkDir, WorkDir: g.io.WorkDir})
}

// completeFlow completes a flow name (--flow, jml graph FLOW), with the
// flow's description.
func completeFlow(g *globals) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		o, ok := g.outline()
		if !ok {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, f := range o.Flows {
			if strings.HasPrefix(f.Name, toComplete) {
				out = append(out, cobra.CompletionWithDesc(f.Name, brief(f.Detail)))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeInstance completes a connector instance of jml.yaml of type typ
// (events pull --instance: an okta instance).
func completeInstance(g *globals, typ string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		o, ok := g.outline()
		if !ok {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, c := range o.Connectors {
			if c.Detail == typ && strings.HasPrefix(c.Name, toComplete) {
				out = append(out, cobra.CompletionWithDesc(c.Name, c.Detail))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeRun completes run ids (history show, history diff, resume) from
// the history of the --history url() gives, else of jml.yaml: the latest
// runs, newest first, each with what it was; for resume (unfinished),
// only the apply runs it can continue. max is how many RUN arguments the
// command takes (0: any number); the ids already given are not offered
// again.
func completeRun(g *globals, url func() string, unfinished bool, max int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		none := cobra.ShellCompDirectiveNoFileComp
		if max > 0 && len(args) >= max {
			return nil, none
		}
		ctx, cancel := context.WithTimeout(context.Background(), completionWait)
		defer cancel()
		s, ok := g.existingHistory(ctx, url())
		if !ok {
			return nil, none
		}
		defer s.Close()
		var rows []*history.RunRow
		var err error
		if unfinished {
			rows, err = apply.Unfinished(ctx, s, completionRuns)
		} else {
			rows, err = s.Runs(ctx, history.Filter{Limit: completionRuns})
		}
		if err != nil {
			return nil, none
		}
		var out []cobra.Completion
		for _, r := range rows {
			if strings.HasPrefix(r.ID, toComplete) && !slices.Contains(args, r.ID) {
				out = append(out, cobra.CompletionWithDesc(r.ID, view.HistoryBrief(r)))
			}
		}
		return out, none | cobra.ShellCompDirectiveKeepOrder
	}
}

// existingHistory opens the history a command would read — url (from the
// working directory), else history: of jml.yaml (from its directory),
// else the default file — but only when it is there: a TAB creates no
// SQLite file.
func (g *globals) existingHistory(ctx context.Context, url string) (*history.Store, bool) {
	base := g.io.WorkDir
	if url == "" {
		o, ok := g.outline()
		if !ok {
			return nil, false
		}
		url, base = o.History, o.Root
	}
	if p, ok := history.SQLiteFile(url, base); ok {
		if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
			return nil, false
		}
	}
	s, err := history.Open(ctx, url, base)
	if err != nil {
		return nil, false
	}
	return s, true
}

// brief is a description cut to what fits beside a completion: its first
// sentence, at most 60 characters.
func brief(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSuffix(s, ".")
	if r := []rune(s); len(r) > 60 {
		s = strings.TrimSpace(string(r[:59])) + "…"
	}
	return s
}

// completeFlag registers the completion of one of cmd's flags; a flag
// that does not exist is a bug, found by any test that builds the
// commands.
func completeFlag(cmd *cobra.Command, flag string, f cobra.CompletionFunc) {
	if err := cmd.RegisterFlagCompletionFunc(flag, f); err != nil {
		panic(err)
	}
}
