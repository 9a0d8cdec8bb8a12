package graph

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/project"
	"github.com/jml-dev/jml/pkg/source"
)

const testConfig = `apiVersion: jml/v1
kind: Config
connectors:
  okta: {type: okta}
  slack: {type: slack}
  google: {type: google}
  web: {type: http}
  itsm: {type: servicenow}
`

// compileFlows parses and compiles flows given as sources (schema-valid
// by construction) and fails the test on any compile error.
func compileFlows(t *testing.T, srcs ...string) *compile.Graph {
	t.Helper()
	cf, ds := source.Parse("jml.yaml", []byte(testConfig))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	var fs []*ast.Flow
	for i, src := range srcs {
		f, ds := source.Parse(fmt.Sprintf("flows/f%d.yaml", i), []byte(src))
		if ds.HasErrors() {
			t.Fatal(ds)
		}
		fs = append(fs, ast.DecodeFlow(f))
	}
	g, ds := compile.Compile(ast.DecodeConfig(cf), fs)
	if ds.HasErrors() {
		t.Fatalf("compile: %v", ds)
	}
	return g
}

func flowSrc(name, trigger, steps string) string {
	return "apiVersion: jml/v1\nkind: Flow\nname: " + name + "\ntrigger: " + trigger + "\nsteps:\n" + steps
}

const deactivate = "{event: user.lifecycle.deactivate}"

const helperFlow = `apiVersion: jml/v1
kind: Flow
name: ticket
trigger: {helper: {}}
inputs:
  login: {type: string, required: true}
outputs:
  number: {type: string}
steps:
  - id: record
    action: itsm.createRecord
    with: {table: sc_task, fields: {short_description: "${{ inputs.login }}"}}
    onError: return
  - return:
      number: "${{ steps.record.output.number }}"
`

const handlerFlow = `apiVersion: jml/v1
kind: Flow
name: alert
trigger: {helper: {}}
steps:
  - action: slack.postMessage
    with: {channel: "#it-alerts", text: "${{ error.message }}"}
`

// render draws flow name in both formats.
func render(t *testing.T, g *compile.Graph, name string, opts Options) (mmd, dot string) {
	t.Helper()
	d, err := Build(g, name, opts)
	if err != nil {
		t.Fatal(err)
	}
	var m, o bytes.Buffer
	if err := d.Mermaid(&m); err != nil {
		t.Fatal(err)
	}
	if err := d.Dot(&o); err != nil {
		t.Fatal(err)
	}
	checkMermaid(t, m.String())
	checkDot(t, o.String())
	return m.String(), o.String()
}

// TestCards draws one small flow per card kind and checks the shapes,
// labels and edges each one must have, in Mermaid and in dot.
func TestCards(t *testing.T) {
	tests := []struct {
		name     string
		flows    []string
		expand   bool
		mermaid  []string
		dot      []string
		notInMmd []string
	}{
		{
			name: "trigger event and when",
			flows: []string{flowSrc("f", `{event: [user.lifecycle.deactivate, user.lifecycle.suspend], when: 'user != null && user.alternateId.endsWith("@acme.com")'}`,
				"  - halt: stop\n")},
			mermaid: []string{
				`  trigger(["f<br>event: user.lifecycle.deactivate<br>event: user.lifecycle.suspend<br>when: user != null #amp;#amp;<br>user.alternateId.endsWith(#quot;@acme.com#quot;)"])`,
				"  trigger --> c0",
				"  class trigger jmlTrigger",
			},
			dot: []string{
				`  trigger [label="f\nevent: user.lifecycle.deactivate\nevent: user.lifecycle.suspend\nwhen: user != null &&\nuser.alternateId.endsWith(\"@acme.com\")", shape=box, style="rounded,filled"`,
			},
		},
		{
			name:    "trigger schedule",
			flows:   []string{flowSrc("f", `{schedule: {cron: "0 2 * * *", timezone: UTC}}`, "  - halt: stop\n")},
			mermaid: []string{`trigger(["f<br>schedule: 0 2 * * * (UTC)"])`},
		},
		{
			name:    "trigger helper",
			flows:   []string{helperFlow},
			mermaid: []string{`trigger(["ticket<br>helper flow, inputs: login"])`},
		},
		{
			name: "actions read write deprovision",
			flows: []string{flowSrc("f", deactivate, `  - id: profile
    action: okta.getUser
    with: {userId: "${{ user.id }}"}
  - action: slack.postMessage
    with: {channel: "#x", text: hi}
  - id: sessions
    name: Cut sessions
    action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
`)},
			mermaid: []string{
				`  c0_profile("okta.getUser<br>id: profile · read")`,
				`  c1["slack.postMessage<br>write"]`,
				`  c2_sessions["Cut sessions<br>okta.clearUserSessions<br>id: sessions · deprovision"]`,
				"  c0_profile --> c1",
				"  c1 --> c2_sessions",
				"  c2_sessions --> done",
				`  done(("end"))`,
				"  class c0_profile jmlRead",
				"  class c1 jmlWrite",
				"  class c2_sessions jmlDeprovision",
			},
			dot: []string{
				`  c0_profile [label="okta.getUser\nid: profile · read", shape=box, style="rounded,filled", fillcolor="#e6f4ea"`,
				`  c2_sessions [label="Cut sessions\nokta.clearUserSessions\nid: sessions · deprovision", shape=box, style="filled", fillcolor="#fce8e6", color="#c5221f", fontcolor="#202124", penwidth=2];`,
				"  c0_profile -> c1;",
			},
		},
		{
			name: "http.request effect follows its method",
			flows: []string{flowSrc("f", deactivate, `  - action: web.request
    with: {method: GET, path: /a}
  - action: web.request
    with: {method: POST, path: /a}
`)},
			mermaid: []string{"  class c0 jmlRead", "  class c1 jmlWrite"},
		},
		{
			name: "retry and timeout in the label",
			flows: []string{flowSrc("f", deactivate, `  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
    retry: {attempts: 3, interval: 5s, backoff: 2, maxInterval: 1m, jitter: 1s}
    timeout: 30s
`)},
			mermaid: []string{`c0["slack.deactivateUser<br>deprovision<br>retry: 3 attempts, every 5s x2, max 1m, jitter 1s<br>timeout: 30s"]`},
		},
		{
			name: "if then else",
			flows: []string{flowSrc("f", deactivate, `  - if: user.alternateId != ""
    then:
      - halt: yes
    else:
      - assign: {x: 1}
  - halt: after
`)},
			mermaid: []string{
				`  c0{"if user.alternateId != #quot;#quot;"}`,
				`  c0 -->|"then"| c1`,
				`  c0 -->|"else"| c2`,
				"  c2 --> c3",
				`  c2[/"assign<br>x = 1"/]`,
			},
			dot: []string{`  c0 -> c1 [label="then"];`, `  c0 -> c2 [label="else"];`, "shape=diamond", "shape=parallelogram"},
		},
		{
			name: "if without else goes on",
			flows: []string{flowSrc("f", deactivate, `  - if: user.alternateId != ""
    then:
      - assign: {x: 1}
  - halt: after
`)},
			mermaid: []string{`  c0 -->|"else"| c2`, "  c1 --> c2"},
		},
		{
			name: "switch cases and default",
			flows: []string{flowSrc("f", deactivate, `  - switch: user.profile.department
    cases:
      Sales: [{assign: {x: 1}}]
      '"R&D"': [{assign: {x: 2}}]
    default: [{halt: unknown}]
  - halt: after
`)},
			mermaid: []string{
				`  c0{"switch user.profile.department"}`,
				`  c0 -->|"#quot;Sales#quot;"| c1`,
				`  c0 -->|"#quot;\#quot;R#amp;D\#quot;#quot;"| c2`,
				`  c0 -->|"default"| c3`,
				"  c1 --> c4",
			},
			dot: []string{`  c0 -> c1 [label="\"Sales\""];`, `  c0 -> c3 [label="default"];`},
		},
		{
			name: "switch without default goes on",
			flows: []string{flowSrc("f", deactivate, `  - switch: user.profile.department
    cases:
      Sales: [{assign: {x: 1}}]
`)},
			mermaid: []string{`  c0 -->|"default"| done`},
		},
		{
			name: "forEach loop",
			flows: []string{flowSrc("f", deactivate, `  - forEach: '["a", "b"]'
    as: groupId
    concurrency: 4
    do:
      - action: okta.addUserToGroup
        with: {userId: "${{ user.id }}", groupId: "${{ groupId }}"}
  - halt: after
`)},
			mermaid: []string{
				`  c0{{"forEach #91;#quot;a#quot;, #quot;b#quot;#93;<br>as groupId, concurrency 4"}}`,
				`  subgraph c0_do ["for each groupId"]`,
				`    c1["okta.addUserToGroup<br>write"]`,
				`  c0 -->|"each groupId"| c1`,
				`  c1 -->|"next"| c0`,
				`  c0 -->|"done"| c2`,
			},
			dot: []string{"  subgraph cluster_c0_do {", `    label="for each groupId";`, "shape=hexagon", `  c1 -> c0 [label="next"];`},
		},
		{
			name: "try catch",
			flows: []string{flowSrc("f", deactivate, `  - try:
      - action: google.suspendUser
        with: {userKey: "${{ user.alternateId }}"}
    catch:
      - halt: "failed: ${{ error.message }}"
  - halt: after
`)},
			mermaid: []string{
				`  c0[/"try"\]`,
				`  subgraph c0_try ["try"]`,
				`  subgraph c0_catch ["catch"]`,
				`    c2(["halt: failed: $#123;#123; error.message #125;#125;"])`,
				"  c0 --> c1",
				"  c1 --> c3",
				`  c0 -.->|"on error"| c2`,
				"  class c2,c3 jmlHalt",
				"  linkStyle 3 stroke:#c5221f",
			},
			dot: []string{"shape=trapezium", "  subgraph cluster_c0_try {", "  subgraph cluster_c0_catch {",
				`  c0 -> c2 [label="on error", style=dashed, color="#c5221f", fontcolor="#c5221f"];`,
				`  c2 [label="halt: failed: ${{ error.message }}", shape=octagon`},
		},
		{
			name:  "call, not expanded",
			flows: []string{helperFlow, flowSrc("f", deactivate, "  - id: t\n    call: ticket\n    with: {login: x}\n")},
			mermaid: []string{
				`  c0_t[["call: ticket<br>id: t"]]`,
				"  c0_t --> done",
				"  class c0_t jmlCall",
			},
			dot:      []string{"peripheries=2"},
			notInMmd: []string{"subgraph"},
		},
		{
			name:   "call, expanded",
			flows:  []string{helperFlow, flowSrc("f", deactivate, "  - id: t\n    call: ticket\n    with: {login: x}\n  - halt: after\n")},
			expand: true,
			mermaid: []string{
				`  subgraph c0_t_helper ["helper: ticket"]`,
				`    c0_t__c0_record["itsm.createRecord<br>id: record · write"]`,
				`    c0_t__c1(["return number"])`,
				"  c0_t --> c0_t__c0_record",
				`  c0_t__c1 -->|"return"| c1`,
				`  c0_t__c0_record -.->|"on error"| c0_t__c0_record_onerror`,
			},
		},
		{
			name: "continueIf",
			flows: []string{flowSrc("f", deactivate, `  - continueIf: user.alternateId != ""
  - halt: after
`)},
			mermaid: []string{
				`  c0{"continueIf user.alternateId != #quot;#quot;"}`,
				`  c0_stop(["stop: filtered"])`,
				`  c0 -->|"true"| c1`,
				`  c0 -->|"false"| c0_stop`,
			},
		},
		{
			name:    "halt is a red terminal",
			flows:   []string{flowSrc("f", deactivate, "  - halt: \"Refusing <25> users #now\"\n")},
			mermaid: []string{`  c0(["halt: Refusing #lt;25#gt; users #35;now"])`, "  classDef jmlHalt fill:#c5221f", "  class c0 jmlHalt"},
			dot:     []string{`  c0 [label="halt: Refusing <25> users #now", shape=octagon, style="filled", fillcolor="#c5221f", color="#a50e0e", fontcolor="#ffffff"];`},
			notInMmd: []string{
				"c0 -->", // nothing after a halt
				"done",
			},
		},
		{
			name: "onError paths",
			flows: []string{handlerFlow, flowSrc("f", deactivate, `  - id: a
    action: slack.deactivateUser
    with: {email: x}
    onError: continue
  - id: b
    action: slack.deactivateUser
    with: {email: x}
    onError: {flow: alert}
  - id: c
    action: slack.deactivateUser
    with: {email: x}
    onError: halt
  - id: d
    action: slack.deactivateUser
    with: {email: x}
`)},
			mermaid: []string{
				`  c0_a -.->|"on error: continue"| c1_b`,
				`  c1_b_onerror[["error handler<br>flow: alert"]]`,
				`  c1_b -.->|"on error"| c1_b_onerror`,
				`  c1_b_onerror -.->|"then"| c1_b_halt`,
				`  c2_c_halt(["halt"])`,
				`  c2_c -.->|"on error"| c2_c_halt`,
				"  class c1_b_halt,c2_c_halt jmlHalt",
			},
			notInMmd: []string{"c3_d_halt", "c3_d -.->"},
		},
		{
			name:    "onError return in a helper",
			flows:   []string{helperFlow},
			mermaid: []string{`  c0_record_onerror(["return the error<br>to the caller"])`, `  c0_record -.->|"on error"| c0_record_onerror`, "  c1(["},
		},
		{
			name: "onError flow inside try is caught",
			flows: []string{handlerFlow, flowSrc("f", deactivate, `  - try:
      - action: slack.deactivateUser
        with: {email: x}
        onError: {flow: alert}
    catch:
      - halt: caught
`)},
			mermaid:  []string{`  c1_onerror -.->|"then catch"| c2`},
			notInMmd: []string{"c1_halt"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := compileFlows(t, tt.flows...)
			name := "f"
			if g.Flows[name] == nil {
				name = g.Names[0]
			}
			mmd, dot := render(t, g, name, Options{Expand: tt.expand})
			for _, want := range tt.mermaid {
				if !strings.Contains(mmd, want) {
					t.Errorf("mermaid lacks %q:\n%s", want, mmd)
				}
			}
			for _, no := range tt.notInMmd {
				if strings.Contains(mmd, no) {
					t.Errorf("mermaid has %q:\n%s", no, mmd)
				}
			}
			for _, want := range tt.dot {
				if !strings.Contains(dot, want) {
					t.Errorf("dot lacks %q:\n%s", want, dot)
				}
			}
		})
	}
}

// TestMermaidLabelEscaping: nothing a flow author writes can end a label,
// open a shape, start an entity or a markdown string, or inject HTML.
func TestMermaidLabelEscaping(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want string
	}{
		{"plain", []string{"okta.getUser"}, `"okta.getUser"`},
		{"quotes", []string{`say "hi"`}, `"say #quot;hi#quot;"`},
		{"brackets and braces", []string{"a[0] {b} (c)"}, `"a#91;0#93; #123;b#125; (c)"`},
		{"template", []string{"${{ user.id }}"}, `"$#123;#123; user.id #125;#125;"`},
		{"hash first", []string{"#it-offboarding #35;"}, `"#35;it-offboarding #35;35;"`},
		{"html", []string{"<script>&amp;"}, `"#lt;script#gt;#amp;amp;"`},
		{"pipes and backticks", []string{"a | `b`"}, `"a #124; #96;b#96;"`},
		{"lines", []string{"one", "two"}, `"one<br>two"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mermaidLabel(tt.in); got != tt.want {
				t.Errorf("mermaidLabel(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestDotLabelEscaping(t *testing.T) {
	got := dotLabel([]string{`a "b" \n`, "{c} <d> | #e"})
	want := `"a \"b\" \\n\n{c} <d> | #e"`
	if got != want {
		t.Errorf("dotLabel = %s, want %s", got, want)
	}
}

func TestSafeID(t *testing.T) {
	for in, want := range map[string]string{
		"googleSuspend": "googleSuspend",
		"a-b.c":         "a_b_c",
		"a__b":          "a_b",
		"-x-":           "x",
		"ünï":           "n",
		"":              "",
	} {
		if got := safeID(in); got != want {
			t.Errorf("safeID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWrap(t *testing.T) {
	got := wrap("if " + strings.Repeat("word ", 20))
	for _, l := range got {
		if len(l) > wrapWidth {
			t.Errorf("line %q longer than %d", l, wrapWidth)
		}
	}
	if strings.Join(got, " ") != strings.TrimSpace("if "+strings.Repeat("word ", 20)) {
		t.Errorf("wrap lost words: %q", got)
	}
	tpl := wrap("halt: Salesforce freeze failed for the user: ${{ error.message }} and ${{ vars.login }}")
	for _, l := range tpl {
		if strings.Count(l, "${{") != strings.Count(l, "}}") {
			t.Errorf("wrap split a template: %q", tpl)
		}
	}
	if got := wrap(""); len(got) != 1 || got[0] != "" {
		t.Errorf("wrap(\"\") = %q", got)
	}
}

func TestBuildUnknownFlow(t *testing.T) {
	g := compileFlows(t, helperFlow)
	if _, err := Build(g, "nope", Options{}); err == nil {
		t.Error("Build of an unknown flow: no error")
	}
	if _, err := Build(nil, "nope", Options{}); err == nil {
		t.Error("Build of a nil graph: no error")
	}
}

// TestDeterministic: the same flows, compiled in any order, draw the same
// bytes, every time.
func TestDeterministic(t *testing.T) {
	main := flowSrc("f", deactivate, `  - id: t
    call: ticket
    with: {login: x}
    onError: {flow: alert}
  - forEach: '["a"]'
    do:
      - switch: item
        cases: {a: [{assign: {x: 1}}], b: [{assign: {x: 2}}]}
`)
	var first string
	for i, order := range [][]string{{helperFlow, handlerFlow, main}, {main, handlerFlow, helperFlow}, {handlerFlow, main, helperFlow}} {
		for rep := 0; rep < 3; rep++ {
			g := compileFlows(t, order...)
			m, d := render(t, g, "f", Options{Expand: true})
			got := m + d
			if i == 0 && rep == 0 {
				first = got
				continue
			}
			if got != first {
				t.Fatalf("order %d, repeat %d: output differs", i, rep)
			}
		}
	}
}

// TestLibraryFlows draws every flow of flows/ (the library the goldens in
// pkg/cli cover), expanded and not, and checks the output is well formed;
// with Graphviz installed, dot must accept every drawing.
func TestLibraryFlows(t *testing.T) {
	root, _ := filepath.Abs("../..")
	proj, ds := project.Load(project.Options{Dir: filepath.Join(root, "flows"), WorkDir: root})
	if ds.HasErrors() {
		t.Fatalf("flows/ does not validate: %v", ds)
	}
	dotBin, _ := exec.LookPath("dot")
	for _, name := range proj.Graph.Names {
		for _, expand := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/expand=%v", name, expand), func(t *testing.T) {
				_, dot := render(t, proj.Graph, name, Options{Expand: expand})
				if dotBin == "" {
					return
				}
				cmd := exec.Command(dotBin, "-Tsvg", "-o", os.DevNull)
				cmd.Stdin = strings.NewReader(dot)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("dot rejects the drawing: %v\n%s\n%s", err, out, dot)
				}
			})
		}
	}
}

var (
	mmdNodeRE    = regexp.MustCompile(`^\s*([A-Za-z][A-Za-z0-9_]*)(\(\[|\[\[|\[/|\{\{|\(\(|\[|\(|\{)"(.*)"(\]\)|\]\]|/\]|\\\]|\}\}|\)\)|\]|\)|\})$`)
	mmdSubRE     = regexp.MustCompile(`^\s*subgraph ([A-Za-z][A-Za-z0-9_]*) \["(.*)"\]$`)
	mmdEdgeRE    = regexp.MustCompile(`^\s*([A-Za-z][A-Za-z0-9_]*) (-->|-\.->)(?:\|"(.*)"\|)? ([A-Za-z][A-Za-z0-9_]*)$`)
	mmdEntityRE  = regexp.MustCompile(`#[a-z0-9]+;`)
	mmdReserved  = map[string]bool{"end": true, "graph": true, "flowchart": true, "subgraph": true, "class": true, "classDef": true, "click": true, "style": true, "linkStyle": true, "direction": true, "default": true, "call": true, "callback": true, "href": true}
	dotStmtEnds  = regexp.MustCompile(`(;|\{|\})$`)
	dotNodeRE    = regexp.MustCompile(`^\s*([A-Za-z][A-Za-z0-9_]*) \[label=`)
	dotEdgeRE    = regexp.MustCompile(`^\s*([A-Za-z][A-Za-z0-9_]*) -> ([A-Za-z][A-Za-z0-9_]*)( \[.*\])?;$`)
	dotKeywordRE = regexp.MustCompile(`(?i)^(node|edge|graph|digraph|subgraph|strict)$`)
)

// checkMermaid is a cheap well-formedness check of a flowchart: every line
// is a known statement, labels hold no raw syntax characters, subgraphs
// are closed, ids are not Mermaid keywords, and every edge endpoint is a
// declared node.
func checkMermaid(t *testing.T, src string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(src, "\n"), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "%% ") || lines[1] != "flowchart TD" {
		t.Fatalf("mermaid header: %q", lines[:min(2, len(lines))])
	}
	declared := map[string]bool{}
	depth := 0
	var edges [][2]string
	cleanLabel := func(l string) {
		rest := mmdEntityRE.ReplaceAllString(strings.ReplaceAll(l, "<br>", ""), "")
		if strings.ContainsAny(rest, "\"<>[]{}#|`") {
			t.Errorf("mermaid label has raw syntax characters: %q", l)
		}
	}
	for _, l := range lines[2:] {
		switch {
		case mmdSubRE.MatchString(l):
			m := mmdSubRE.FindStringSubmatch(l)
			cleanLabel(m[2])
			if declared[m[1]] || mmdReserved[m[1]] {
				t.Errorf("subgraph id %q reused or reserved", m[1])
			}
			declared[m[1]] = true
			depth++
		case strings.TrimSpace(l) == "end":
			depth--
			if depth < 0 {
				t.Errorf("unbalanced end")
			}
		case mmdEdgeRE.MatchString(l):
			m := mmdEdgeRE.FindStringSubmatch(l)
			cleanLabel(m[3])
			edges = append(edges, [2]string{m[1], m[4]})
		case mmdNodeRE.MatchString(l):
			m := mmdNodeRE.FindStringSubmatch(l)
			cleanLabel(m[3])
			if declared[m[1]] || mmdReserved[m[1]] {
				t.Errorf("node id %q reused or reserved", m[1])
			}
			declared[m[1]] = true
		case strings.HasPrefix(l, "  classDef "):
			// A class named like a keyword (call, click) breaks the parse.
			if name := strings.Fields(l)[1]; mmdReserved[name] {
				t.Errorf("class name %q is a Mermaid keyword", name)
			}
		case strings.HasPrefix(l, "  class "), strings.HasPrefix(l, "  linkStyle "):
		default:
			t.Errorf("unexpected mermaid line %q", l)
		}
	}
	if depth != 0 {
		t.Errorf("%d subgraphs not closed", depth)
	}
	for _, e := range edges {
		for _, id := range e {
			if !declared[id] {
				t.Errorf("edge %s -> %s: %s is not declared", e[0], e[1], id)
			}
		}
	}
}

// checkDot is a cheap syntax check of a digraph without Graphviz: braces
// and brackets balance outside quoted strings, strings are closed, every
// statement ends, ids are not keywords, and every edge endpoint is a
// declared node.
func checkDot(t *testing.T, src string) {
	t.Helper()
	depth, inStr, esc := 0, false, false
	for _, r := range src {
		switch {
		case esc:
			esc = false
		case inStr && r == '\\':
			esc = true
		case r == '"':
			inStr = !inStr
		case inStr:
		case r == '{':
			depth++
		case r == '}':
			depth--
			if depth < 0 {
				t.Fatalf("dot: unbalanced }")
			}
		}
	}
	if inStr || depth != 0 {
		t.Fatalf("dot: unclosed string (%v) or braces (%d)", inStr, depth)
	}
	declared := map[string]bool{}
	var edges [][2]string
	for _, l := range strings.Split(strings.TrimSuffix(src, "\n"), "\n") {
		if strings.HasPrefix(l, "//") {
			continue
		}
		if !dotStmtEnds.MatchString(l) {
			t.Errorf("dot: statement not ended: %q", l)
		}
		if m := dotEdgeRE.FindStringSubmatch(l); m != nil {
			edges = append(edges, [2]string{m[1], m[2]})
		} else if m := dotNodeRE.FindStringSubmatch(l); m != nil {
			if declared[m[1]] || dotKeywordRE.MatchString(m[1]) {
				t.Errorf("dot: node id %q reused or a keyword", m[1])
			}
			declared[m[1]] = true
		}
	}
	for _, e := range edges {
		for _, id := range e {
			if !declared[id] {
				t.Errorf("dot: edge %s -> %s: %s is not declared", e[0], e[1], id)
			}
		}
	}
}
