package cli

import (
	"io"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/jml-dev/jml/pkg/connector"
	"github.com/jml-dev/jml/pkg/history"
)

// flagCase is one command line of a flag-level test: the options runF
// must be given, or (want nil) the exit code of the refusal.
type flagCase[O any] struct {
	name string
	args []string
	env  map[string]string
	want *O
	code int
}

// testFlags runs each command line through a command made with a runF, as
// jml runs it after the global flags (--color never, --config jml.yaml),
// and compares the options runF got — field by field, the streams
// included — or the exit code the refusal maps to.
func testFlags[O any](t *testing.T, newCmd func(*globals, func(*O) error) *cobra.Command, cases []flagCase[O]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, _, _ := Test()
			ios.Getenv = func(k string) string { return tc.env[k] }
			g := &globals{io: ios, color: "never", config: "jml.yaml", version: "1.2.3"}
			var got *O
			cmd := newCmd(g, func(o *O) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			err := cmd.Execute()
			if tc.want == nil {
				if code := exitCode(err); err == nil || code != tc.code {
					t.Fatalf("%v: exit %d (%v), want %d", tc.args, code, err, tc.code)
				}
				if got != nil {
					t.Errorf("runF was called on a refused command line")
				}
				return
			}
			if err != nil {
				t.Fatalf("%v: %v", tc.args, err)
			}
			if got == nil {
				t.Fatalf("runF was not called")
			}
			// The streams are the invocation's; the rest is compared whole.
			v := reflect.ValueOf(got).Elem()
			if f := v.FieldByName("IO"); f.IsValid() {
				if f.Interface() != ios {
					t.Errorf("IO is not the invocation's streams")
				}
				f.Set(reflect.Zero(f.Type()))
			}
			// No arguments is no arguments, whether cobra says nil or [].
			emptyToNil(v)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%v:\n got %+v\nwant %+v", tc.args, *got, *tc.want)
			}
		})
	}
}

// emptyToNil sets the empty slices of a struct (and of the structs it
// embeds) to nil.
func emptyToNil(v reflect.Value) {
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		switch {
		case f.Kind() == reflect.Slice && f.Len() == 0 && f.CanSet():
			f.Set(reflect.Zero(f.Type()))
		case f.Kind() == reflect.Struct && v.Type().Field(i).Anonymous:
			emptyToNil(f)
		}
	}
}

const (
	at0  = "2026-01-05T02:00:00Z"
	win0 = "2026-01-05T00:00:00Z..2026-01-05T01:00:00Z"
)

var sandboxEnv = map[string]string{"JML_SANDBOX_URL": "http://127.0.0.1:1"}

func TestNewCmdValidate(t *testing.T) {
	base := ValidateOptions{Color: "never", Config: "jml.yaml", Format: "text", Build: buildID("1.2.3")}
	with := func(f func(*ValidateOptions)) *ValidateOptions { o := base; f(&o); return &o }
	testFlags(t, newValidateCmd, []flagCase[ValidateOptions]{
		{name: "defaults", want: with(func(o *ValidateOptions) {})},
		{name: "paths and flags", args: []string{"a", "b", "--format", "github", "--strict", "--no-cache"},
			want: with(func(o *ValidateOptions) {
				o.Paths, o.Format, o.Strict, o.NoCache = []string{"a", "b"}, "github", true, true
			})},
		{name: "bad format", args: []string{"--format", "sarif"}, code: ExitUsage},
		{name: "unknown flag", args: []string{"--strcit"}, code: ExitUsage},
	})
}

func TestNewCmdDryRun(t *testing.T) {
	base := DryRunOptions{Color: "never", Config: "jml.yaml", ReplayFlags: ReplayFlags{Format: "text"}}
	with := func(f func(*DryRunOptions)) *DryRunOptions { o := base; f(&o); return &o }
	testFlags(t, newDryRunCmd, []flagCase[DryRunOptions]{
		{name: "events", args: []string{"events/", "-"}, want: with(func(o *DryRunOptions) { o.Events = []string{"events/", "-"} })},
		{name: "every flag", args: []string{"e.ndjson", "--world", "w.yaml", "--flow", "leaver", "--format", "markdown", "--keep-going", "--sandbox", "http://s", "--history=sqlite://h.db"},
			want: with(func(o *DryRunOptions) {
				o.Events, o.World, o.Flow, o.Format, o.KeepGoing, o.Sandbox, o.History = []string{"e.ndjson"}, "w.yaml", "leaver", "markdown", true, "http://s", "sqlite://h.db"
			})},
		{name: "history without a value", args: []string{"e.ndjson", "--history"}, want: with(func(o *DryRunOptions) { o.Events, o.History = []string{"e.ndjson"}, "default" })},
		{name: "sandbox from the environment", args: []string{"e.ndjson"}, env: sandboxEnv,
			want: with(func(o *DryRunOptions) { o.Events, o.Sandbox = []string{"e.ndjson"}, "http://127.0.0.1:1" })},
		{name: "schedule only", args: []string{"--at", at0}, want: with(func(o *DryRunOptions) { o.At = at0 })},
		{name: "window", args: []string{"--window", win0}, want: with(func(o *DryRunOptions) { o.Window = win0 })},
		{name: "nothing to replay", code: ExitUsage},
		{name: "at and window", args: []string{"--at", at0, "--window", win0}, code: ExitUsage},
		{name: "bad at", args: []string{"--at", "monday"}, code: ExitUsage},
		{name: "bad format", args: []string{"e.ndjson", "--format", "junit"}, code: ExitUsage},
	})
}

func TestNewCmdPlan(t *testing.T) {
	base := PlanOptions{Color: "never", Config: "jml.yaml", ReplayFlags: ReplayFlags{Format: "text", Events: []string{"events/"}}}
	with := func(f func(*PlanOptions)) *PlanOptions { o := base; f(&o); return &o }
	testFlags(t, newPlanCmd, []flagCase[PlanOptions]{
		{name: "events", args: []string{"events/"}, want: with(func(o *PlanOptions) {})},
		{name: "saved", args: []string{"events/", "-o", "plan.json", "--detailed-exitcode", "--format", "json"},
			want: with(func(o *PlanOptions) { o.Out, o.DetailedExitcode, o.Format = "plan.json", true, "json" })},
		{name: "compare", args: []string{"events/", "--compare", "origin/main", "--format", "markdown"},
			want: with(func(o *PlanOptions) { o.Compare, o.Format = "origin/main", "markdown" })},
		{name: "window", args: []string{"--window", win0, "--flow", "sweep"},
			want: with(func(o *PlanOptions) { o.Events, o.Window, o.Flow = nil, win0, "sweep" })},
		{name: "compare cannot be saved", args: []string{"events/", "--compare", "main", "-o", "p.json"}, code: ExitUsage},
		{name: "nothing to plan", code: ExitUsage},
		{name: "window not a range", args: []string{"--window", at0}, code: ExitUsage},
		{name: "bad format", args: []string{"events/", "--format", "dot"}, code: ExitUsage},
	})
}

func TestNewCmdGraph(t *testing.T) {
	testFlags(t, newGraphCmd, []flagCase[GraphOptions]{
		{name: "flow", args: []string{"leaver", "--expand", "--format", "dot"},
			want: &GraphOptions{Color: "never", Config: "jml.yaml", Flow: "leaver", Format: "dot", Expand: true}},
		{name: "no flow (the run lists them)", want: &GraphOptions{Color: "never", Config: "jml.yaml", Format: "mermaid"}},
		{name: "two flows", args: []string{"a", "b"}, code: ExitUsage},
		{name: "svg", args: []string{"leaver", "--format", "svg"},
			want: &GraphOptions{Color: "never", Config: "jml.yaml", Flow: "leaver", Format: "svg"}},
		{name: "bad format", args: []string{"leaver", "--format", "png"}, code: ExitUsage},
	})
}

func TestNewCmdInit(t *testing.T) {
	testFlags(t, newInitCmd, []flagCase[InitOptions]{
		{name: "here", want: &InitOptions{Color: "never", Dir: ".", Version: "1.2.3"}},
		{name: "dir", args: []string{"flows", "--force"}, want: &InitOptions{Color: "never", Dir: "flows", Force: true, Version: "1.2.3"}},
		{name: "two dirs", args: []string{"a", "b"}, code: ExitUsage},
	})
}

func TestNewCmdTest(t *testing.T) {
	n := runtime.GOMAXPROCS(0)
	testFlags(t, newTestCmd, []flagCase[TestOptions]{
		{name: "defaults", want: &TestOptions{Color: "never", Config: "jml.yaml", Format: "text", Parallel: n}},
		{name: "flags", args: []string{"tests/", "--run", "leaver", "--format", "junit", "--parallelism", "2"},
			want: &TestOptions{Color: "never", Config: "jml.yaml", Paths: []string{"tests/"}, Format: "junit", Run: "leaver", Parallel: 2}},
		{name: "old --parallel", args: []string{"--parallel", "3"}, want: &TestOptions{Color: "never", Config: "jml.yaml", Format: "text", Parallel: 3}},
		{name: "no parallelism", args: []string{"--parallelism", "0"}, code: ExitUsage},
		{name: "bad format", args: []string{"--format", "tap"}, code: ExitUsage},
	})
}

func TestNewCmdApply(t *testing.T) {
	base := ApplyOptions{Color: "never", Config: "jml.yaml", Args: []string{"events/"}, ApplyFlags: ApplyFlags{Format: "text", Parallelism: 4}}
	with := func(f func(*ApplyOptions)) *ApplyOptions { o := base; f(&o); return &o }
	testFlags(t, newApplyCmd, []flagCase[ApplyOptions]{
		{name: "events", args: []string{"events/"}, want: with(func(o *ApplyOptions) {})},
		{name: "every flag", args: []string{"events/", "--flow", "leaver", "--format", "json", "--auto-approve", "--allow-mass-deprovision",
			"--parallelism", "8", "--sandbox", "http://s", "--keep-going", "--history", "sqlite://h.db", "--force"},
			want: with(func(o *ApplyOptions) {
				o.Flow, o.Format, o.AutoApprove, o.AllowMassDeprovision, o.Parallelism, o.Sandbox, o.KeepGoing, o.History, o.Force =
					"leaver", "json", true, true, 8, "http://s", true, "sqlite://h.db", true
			})},
		{name: "sandbox from the environment", args: []string{"events/"}, env: sandboxEnv, want: with(func(o *ApplyOptions) { o.Sandbox = "http://127.0.0.1:1" })},
		{name: "sandbox flag wins", args: []string{"events/", "--sandbox", "http://s"}, env: sandboxEnv, want: with(func(o *ApplyOptions) { o.Sandbox = "http://s" })},
		{name: "schedule", args: []string{"--at", at0}, want: with(func(o *ApplyOptions) { o.Args, o.At = nil, at0 })},
		{name: "nothing to apply", code: ExitUsage},
		{name: "at and window", args: []string{"--at", at0, "--window", win0}, code: ExitUsage},
		{name: "markdown", args: []string{"events/", "--format", "markdown"}, code: ExitUsage},
	})
}

func TestNewCmdResume(t *testing.T) {
	base := ResumeOptions{Color: "never", Config: "jml.yaml", ApplyFlags: ApplyFlags{Format: "text", Parallelism: 4}}
	with := func(f func(*ResumeOptions)) *ResumeOptions { o := base; f(&o); return &o }
	testFlags(t, newResumeCmd, []flagCase[ResumeOptions]{
		{name: "runs", args: []string{"run-1", "run-2", "--auto-approve"}, want: with(func(o *ResumeOptions) { o.Runs, o.AutoApprove = []string{"run-1", "run-2"}, true })},
		{name: "all", args: []string{"--all", "--format", "json", "--parallelism", "2", "--history", "sqlite://h.db", "--allow-mass-deprovision"},
			want: with(func(o *ResumeOptions) {
				o.Runs, o.All, o.Format, o.Parallelism, o.History, o.AllowMassDeprovision = nil, true, "json", 2, "sqlite://h.db", true
			})},
		{name: "sandbox from the environment", args: []string{"--all"}, env: sandboxEnv,
			want: with(func(o *ResumeOptions) { o.Runs, o.All, o.Sandbox = nil, true, "http://127.0.0.1:1" })},
		{name: "neither runs nor all", code: ExitUsage},
		{name: "runs and all", args: []string{"run-1", "--all"}, code: ExitUsage},
		{name: "bad format", args: []string{"--all", "--format", "markdown"}, code: ExitUsage},
	})
}

func TestNewCmdVerify(t *testing.T) {
	base := VerifyOptions{Color: "never", Config: "jml.yaml", Format: "text", Parallelism: 4}
	with := func(f func(*VerifyOptions)) *VerifyOptions { o := base; f(&o); return &o }
	testFlags(t, newVerifyCmd, []flagCase[VerifyOptions]{
		{name: "users", args: []string{"jane@acme.com", "00u1"}, want: with(func(o *VerifyOptions) { o.Users = []string{"jane@acme.com", "00u1"} })},
		{name: "from, live", args: []string{"--from", "a.json", "--from", "b/"}, env: sandboxEnv,
			want: with(func(o *VerifyOptions) {
				o.Users, o.From, o.Sandbox = nil, []string{"a.json", "b/"}, "http://127.0.0.1:1"
			})},
		{name: "replay implies simulated, no sandbox from the environment", args: []string{"--from", "e/", "--replay", "--format", "json"}, env: sandboxEnv,
			want: with(func(o *VerifyOptions) {
				o.Users, o.From, o.Replay, o.Simulated, o.Format = nil, []string{"e/"}, true, true, "json"
			})},
		{name: "history", args: []string{"u@acme.com", "--history", "sqlite://h.db"},
			want: with(func(o *VerifyOptions) { o.Users, o.History = []string{"u@acme.com"}, "sqlite://h.db" })},
		{name: "world implies simulated", args: []string{"u@acme.com", "--world", "w.yaml"},
			want: with(func(o *VerifyOptions) { o.Users, o.World, o.Simulated = []string{"u@acme.com"}, "w.yaml", true })},
		{name: "no user", code: ExitUsage},
		{name: "sandbox and simulated", args: []string{"u@acme.com", "--simulated", "--sandbox", "http://s"}, code: ExitUsage},
		{name: "replay without from", args: []string{"u@acme.com", "--replay"}, code: ExitUsage},
		{name: "no parallelism", args: []string{"u@acme.com", "--parallelism", "0"}, code: ExitUsage},
	})
}

func TestNewCmdSandbox(t *testing.T) {
	testFlags(t, newSandboxCmd, []flagCase[SandboxOptions]{
		{name: "defaults", want: &SandboxOptions{Color: "never", Config: "jml.yaml", Addr: "127.0.0.1:8787"}},
		{name: "flags", args: []string{"--addr", "127.0.0.1:0", "--world", "w.yaml", "--seed", "a/,b.json", "--latency", "20ms", "--ready-file", "ready"},
			want: &SandboxOptions{Color: "never", Config: "jml.yaml", Addr: "127.0.0.1:0", World: "w.yaml", Seed: []string{"a/", "b.json"}, Latency: 20 * time.Millisecond, ReadyFile: "ready"}},
		{name: "an argument", args: []string{"events/"}, code: ExitUsage},
	})
}

func TestNewCmdServe(t *testing.T) {
	base := ServeOptions{Color: "never", Config: "jml.yaml", Addr: "127.0.0.1:8080", LogFormat: "text", DrainTimeout: 30 * time.Second}
	with := func(f func(*ServeOptions)) *ServeOptions { o := base; f(&o); return &o }
	testFlags(t, newServeCmd, []flagCase[ServeOptions]{
		{name: "defaults", want: with(func(o *ServeOptions) {})},
		{name: "flags", args: []string{"--addr", "0.0.0.0:8443", "--tls-cert", "c.pem", "--tls-key", "k.pem", "--log-format", "json", "--history", "sqlite://h.db",
			"--ready-file", "r", "--drain-timeout", "5s", "--insecure-listen"}, env: sandboxEnv,
			want: with(func(o *ServeOptions) {
				o.Addr, o.TLSCert, o.TLSKey, o.LogFormat, o.History, o.ReadyFile, o.DrainTimeout, o.InsecureListen, o.Sandbox =
					"0.0.0.0:8443", "c.pem", "k.pem", "json", "sqlite://h.db", "r", 5*time.Second, true, "http://127.0.0.1:1"
			})},
		{name: "bad log format", args: []string{"--log-format", "yaml"}, code: ExitUsage},
		{name: "an argument", args: []string{"x"}, code: ExitUsage},
	})
}

func TestNewCmdServeQueue(t *testing.T) {
	testFlags(t, newServeQueueCmd, []flagCase[ServeQueueOptions]{
		{name: "defaults", want: &ServeQueueOptions{Color: "never", Config: "jml.yaml", Format: "text"}},
		{name: "flags", args: []string{"--status", "held", "--format", "json", "--history", "sqlite://h.db"},
			want: &ServeQueueOptions{Color: "never", Config: "jml.yaml", Format: "json", Status: "held", History: "sqlite://h.db"}},
		{name: "bad status", args: []string{"--status", "gone"}, code: ExitUsage},
		{name: "bad format", args: []string{"--format", "markdown"}, code: ExitUsage},
	})
}

func TestNewCmdServeApprove(t *testing.T) {
	testFlags(t, newServeApproveCmd, []flagCase[ServeApproveOptions]{
		{name: "uuids", args: []string{"u1", "u2"}, want: &ServeApproveOptions{Color: "never", Config: "jml.yaml", UUIDs: []string{"u1", "u2"}}},
		{name: "all", args: []string{"--all", "--history", "sqlite://h.db"}, want: &ServeApproveOptions{Color: "never", Config: "jml.yaml", All: true, History: "sqlite://h.db"}},
		{name: "neither", code: ExitUsage},
		{name: "both", args: []string{"u1", "--all"}, code: ExitUsage},
	})
}

// historySub is a history subcommand under a parent that defines
// --history, as jml history does.
func historySub[O any](sub func(*globals, *historyFlags, func(*O) error) *cobra.Command) func(*globals, func(*O) error) *cobra.Command {
	return func(g *globals, runF func(*O) error) *cobra.Command {
		hf := &historyFlags{}
		parent := &cobra.Command{Use: "history"}
		hf.add(parent)
		parent.AddCommand(sub(g, hf, runF))
		return parent
	}
}

func TestNewCmdHistory(t *testing.T) {
	testFlags(t, newHistoryCmd, []flagCase[HistoryOptions]{
		{name: "defaults", want: &HistoryOptions{Color: "never", Config: "jml.yaml", Format: "text"}},
		{name: "filters", args: []string{"--history", "sqlite://h.db", "--flow", "leaver", "--status", "interrupted", "--event", "e1", "--user", "u@acme.com",
			"--mode", "apply", "--since", "7d", "--limit", "5", "--format", "json"},
			want: &HistoryOptions{Color: "never", Config: "jml.yaml", History: "sqlite://h.db", Format: "json", Since: "7d",
				Filter: history.Filter{Flow: "leaver", Status: "interrupted", Event: "e1", User: "u@acme.com", Mode: "apply", Limit: 5}}},
		{name: "bad status", args: []string{"--status", "gone"}, code: ExitUsage},
		{name: "bad since", args: []string{"--since", "last tuesday"}, code: ExitUsage},
		{name: "an argument", args: []string{"run-1"}, code: ExitUsage},
	})
}

func TestNewCmdHistoryShow(t *testing.T) {
	testFlags(t, historySub(newHistoryShowCmd), []flagCase[HistoryShowOptions]{
		{name: "run", args: []string{"show", "run-1", "--history", "sqlite://h.db", "--format", "json"},
			want: &HistoryShowOptions{Color: "never", Config: "jml.yaml", History: "sqlite://h.db", Run: "run-1", Format: "json"}},
		{name: "no run", args: []string{"show"}, code: ExitUsage},
		{name: "bad format", args: []string{"show", "run-1", "--format", "markdown"}, code: ExitUsage},
	})
}

func TestNewCmdHistoryPrune(t *testing.T) {
	testFlags(t, historySub(newHistoryPruneCmd), []flagCase[HistoryPruneOptions]{
		{name: "days", args: []string{"prune", "--older-than", "400d"}, want: &HistoryPruneOptions{Config: "jml.yaml", OlderThan: 400 * 24 * time.Hour}},
		{name: "hours", args: []string{"prune", "--older-than", "36h", "--history", "sqlite://h.db"}, want: &HistoryPruneOptions{Config: "jml.yaml", History: "sqlite://h.db", OlderThan: 36 * time.Hour}},
		{name: "no age", args: []string{"prune"}, code: ExitUsage},
		{name: "bad age", args: []string{"prune", "--older-than", "a year"}, code: ExitUsage},
	})
}

func TestNewCmdHistoryDiff(t *testing.T) {
	testFlags(t, historySub(newHistoryDiffCmd), []flagCase[HistoryDiffOptions]{
		{name: "run", args: []string{"diff", "run-1"}, want: &HistoryDiffOptions{Color: "never", Config: "jml.yaml", Run: "run-1", Format: "text"}},
		{name: "refresh", args: []string{"--history", "sqlite://h.db", "diff", "run-1", "--refresh", "--world", "w.yaml", "--detailed-exitcode", "--format", "markdown"}, env: sandboxEnv,
			want: &HistoryDiffOptions{Color: "never", Config: "jml.yaml", History: "sqlite://h.db", Run: "run-1", Refresh: true, World: "w.yaml", DetailedExitcode: true, Format: "markdown", Sandbox: "http://127.0.0.1:1"}},
		{name: "no run", args: []string{"diff"}, code: ExitUsage},
		{name: "bad format", args: []string{"diff", "run-1", "--format", "dot"}, code: ExitUsage},
	})
}

func TestNewCmdHistoryServe(t *testing.T) {
	base := HistoryServeOptions{Color: "never", Config: "jml.yaml", Addr: "127.0.0.1:8081"}
	with := func(f func(*HistoryServeOptions)) *HistoryServeOptions { o := base; f(&o); return &o }
	testFlags(t, historySub(newHistoryServeCmd), []flagCase[HistoryServeOptions]{
		{name: "defaults", args: []string{"serve"}, want: with(func(o *HistoryServeOptions) {})},
		{name: "flags", args: []string{"--history", "sqlite://h.db", "serve", "--addr", "127.0.0.1:0", "--ready-file", "r", "--token-env", "T"},
			want: with(func(o *HistoryServeOptions) {
				o.History, o.Addr, o.ReadyFile, o.TokenEnv = "sqlite://h.db", "127.0.0.1:0", "r", "T"
			})},
		{name: "beyond loopback with a token file", args: []string{"serve", "--addr", "0.0.0.0:8081", "--token-file", "tok"},
			want: with(func(o *HistoryServeOptions) { o.Addr, o.TokenFile = "0.0.0.0:8081", "tok" })},
		{name: "localhost and ::1", args: []string{"serve", "--addr", "[::1]:8081"}, want: with(func(o *HistoryServeOptions) { o.Addr = "[::1]:8081" })},
		{name: "beyond loopback without a token", args: []string{"serve", "--addr", "0.0.0.0:8081"}, code: ExitUsage},
		{name: "a host name without a token", args: []string{"serve", "--addr", "jml.acme.com:8081"}, code: ExitUsage},
		{name: "two tokens", args: []string{"serve", "--token-env", "T", "--token-file", "f"}, code: ExitUsage},
		{name: "bad addr", args: []string{"serve", "--addr", "8081"}, code: ExitUsage},
		{name: "an argument", args: []string{"serve", "x"}, code: ExitUsage},
	})
}

func TestNewCmdSchema(t *testing.T) {
	testFlags(t, newSchemaCmd, []flagCase[SchemaOptions]{
		{name: "flow", args: []string{"flow"}, want: &SchemaOptions{Name: "flow"}},
		{name: "none", code: ExitUsage},
		{name: "two", args: []string{"flow", "config"}, code: ExitUsage},
	})
}

func TestNewCmdConnectors(t *testing.T) {
	testFlags(t, newConnectorsCmd, []flagCase[ConnectorsOptions]{
		{name: "all", want: &ConnectorsOptions{Color: "never", Format: "text"}},
		{name: "one", args: []string{"slack", "--format", "json"}, want: &ConnectorsOptions{Color: "never", Type: "slack", Format: "json"}},
		{name: "two", args: []string{"slack", "okta"}, code: ExitUsage},
		{name: "bad format", args: []string{"--format", "markdown"}, code: ExitUsage},
	})
}

func TestNewCmdEventsPull(t *testing.T) {
	base := EventsPullOptions{Color: "never", Config: "jml.yaml", Since: at0, Out: "e.ndjson", Limit: connector.LogsMaxLimit, Poll: connector.PollWait}
	with := func(f func(*EventsPullOptions)) *EventsPullOptions { o := base; f(&o); return &o }
	testFlags(t, newEventsPullCmd, []flagCase[EventsPullOptions]{
		{name: "since", args: []string{"--since", at0, "-o", "e.ndjson"}, want: with(func(o *EventsPullOptions) {})},
		{name: "append without since", args: []string{"-o", "e.ndjson", "--append", "--follow", "--poll-interval", "1m"}, env: sandboxEnv,
			want: with(func(o *EventsPullOptions) {
				o.Since, o.Append, o.Follow, o.Poll, o.Sandbox = "", true, true, time.Minute, "http://127.0.0.1:1"
			})},
		{name: "no file", args: []string{"--since", at0}, code: ExitUsage},
		{name: "standard output", args: []string{"--since", at0, "-o", "-"}, code: ExitUsage},
		{name: "no since", args: []string{"-o", "e.ndjson"}, code: ExitUsage},
		{name: "until before since", args: []string{"--since", at0, "--until", "2026-01-01T00:00:00Z", "-o", "e.ndjson"}, code: ExitUsage},
		{name: "limit too large", args: []string{"--since", at0, "-o", "e.ndjson", "--limit", "1001"}, code: ExitUsage},
		{name: "an argument", args: []string{"x", "--since", at0, "-o", "e.ndjson"}, code: ExitUsage},
	})
}

func TestNewCmdEventsRedact(t *testing.T) {
	testFlags(t, newEventsRedactCmd, []flagCase[EventsRedactOptions]{
		{name: "to a file", args: []string{"a.ndjson", "b/", "--key-env", "K", "-o", "out.ndjson"}, want: &EventsRedactOptions{Events: []string{"a.ndjson", "b/"}, KeyEnv: "K", Out: "out.ndjson"}},
		{name: "no key", args: []string{"a.ndjson"}, code: ExitUsage},
		{name: "no events", args: []string{"--key-env", "K"}, code: ExitUsage},
	})
}

func TestNewCmdVersion(t *testing.T) {
	testFlags(t, newVersionCmd, []flagCase[VersionOptions]{
		{name: "version", want: &VersionOptions{Version: "1.2.3"}},
		{name: "an argument", args: []string{"x"}, code: ExitUsage},
	})
}

func TestNewCmdImportFlopack(t *testing.T) {
	testFlags(t, newImportFlopackCmd, []flagCase[ImportFlopackOptions]{
		{name: "file", args: []string{"a.flopack"}, want: &ImportFlopackOptions{Color: "never", File: "a.flopack", Dir: ".", Format: "text"}},
		{name: "all", args: []string{"a.flopack", "-o", "out", "--format", "json", "--force"},
			want: &ImportFlopackOptions{Color: "never", File: "a.flopack", Dir: "out", Format: "json", Force: true}},
		{name: "no file", code: ExitUsage},
		{name: "two files", args: []string{"a.flopack", "b.flopack"}, code: ExitUsage},
		{name: "bad format", args: []string{"a.flopack", "--format", "yaml"}, code: ExitUsage},
	})
}
