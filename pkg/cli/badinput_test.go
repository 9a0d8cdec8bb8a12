package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestBadInputBounded: hostile input gets one clear error with its
// position, in memory linear in the input (SPEC §10; issue #11.5 and
// #11.10). Memory, not time, is asserted: each case once took minutes
// (800 nested cards in the JSON Schema step, a line lookup that copied the
// rest of the file per line) and allocated far beyond these bounds.
func TestBadInputBounded(t *testing.T) {
	// Not parallel: it measures the process's allocations.
	const header = "apiVersion: jml/v1\nkind: Flow\nname: bad\ntrigger: {event: user.lifecycle.deactivate}\n"
	nested := func(n int) string {
		return header + "steps: " + strings.Repeat("[{catch: [{halt: c}], try: ", n) + "[{halt: x}]" + strings.Repeat("}]", n) + "\n"
	}
	cases := []struct {
		name  string
		file  string // written under the repository
		src   string
		args  []string // default: validate
		want  []string // regexps, each matching a line of the output
		never []string // substrings the output must not hold
	}{
		{
			name: "800 nested try cards",
			file: "flows/deep.yaml",
			src:  nested(800),
			// The halt under the 64th try's catch is the first card 65 deep.
			want: []string{`^flows/deep\.yaml:5:1719: error: cards nest more than 64 deep here .* \[too-deep\]$`, `^failed: 1 error, 0 warnings$`},
		},
		{
			name: "200,000 comment lines, an error at the end",
			file: "flows/comments.yaml",
			src:  header + "steps: [{halt: x}]\n" + strings.Repeat("#\n", 200_000) + "bogus: 1\n",
			want: []string{`^flows/comments\.yaml:200006:1: error: unknown key "bogus" in the document \[unknown-key\]$`, `^ 200006 \| bogus: 1$`},
		},
		{
			name: "a 600 KB line with an error in it",
			file: "flows/long.yaml",
			src:  "{apiVersion: jml/v1, kind: Flow, name: bad, trigger: {event: user.lifecycle.deactivate}, steps: [{halt: x}], description: \"" + strings.Repeat("x", 600_000) + "\", bogus: 1}\n",
			want: []string{`^flows/long\.yaml:1:600127: error: unknown key "bogus" in the document \[unknown-key\]$`, `^ 1 \| …x{140,160}", bogus: 1}$`},
		},
		{
			name: "a 600 KB key",
			file: "flows/key.yaml",
			// An explicit key (?): a plain key is at most 1024 characters.
			src:  header + "steps: [{halt: x}]\n? " + strings.Repeat("k", 600_000) + "\n: 1\n",
			want: []string{`^flows/key\.yaml:6:3: error: unknown key "k{80}…" in the document \[unknown-key\]$`},
		},
		{
			name: "deep plain nesting",
			file: "flows/plain.yaml",
			src:  header + "steps:\n  - action: slack.postMessage\n    with: {text: " + strings.Repeat("[", 9000) + strings.Repeat("]", 9000) + "}\n",
			want: []string{`^flows/plain\.yaml:7:\d+: error: mappings and lists nest more than 256 levels deep here; .* \[too-deep\]$`},
		},
		{
			name:  "NUL byte mid-file",
			file:  "flows/nul.yaml",
			src:   header + "steps:\n  - halt: \"before\x00after\"\n",
			want:  []string{`^flows/nul\.yaml:6:18: error: invalid YAML: a NUL byte \(U\+0000\) is not allowed \[yaml-syntax\]$`},
			never: []string{"\x00"},
		},
		{
			name: "10,000 unknown keys",
			file: "flows/keys.yaml",
			src: header + "steps: [{halt: x}]\n" + func() string {
				var b strings.Builder
				for i := 0; i < 10_000; i++ {
					fmt.Fprintf(&b, "k%d: 1\n", i)
				}
				return b.String()
			}(),
			want: []string{`^flows/keys\.yaml:6:1: error: unknown key "k0" in the document \[unknown-key\]$`, `^failed: 10000 errors, 0 warnings$`},
		},
		{
			name: "duplicate JSON keys in an event",
			file: "dup.ndjson",
			src:  `{"uuid":"1","eventType":"user.lifecycle.deactivate","target":[{"type":"User","id":"a","id":"b"}]}` + "\n",
			args: []string{"plan", "dup.ndjson"},
			want: []string{`dup\.ndjson:1:87: duplicate key "id" \(first defined at line 1, column 78\)`},
		},
		{
			name: "duplicate JSON keys skipped with --keep-going",
			file: "dup.ndjson",
			src:  `{"uuid":"1","eventType":"t","uuid":"2"}` + "\n" + `{"uuid":"3","eventType":"t"}` + "\n",
			args: []string{"plan", "--keep-going", "dup.ndjson"},
			want: []string{`^Plan: 1 event, 0 runs, 0 changes; 1 malformed event skipped\.$`, `^  dup\.ndjson:1:29: duplicate key "uuid" \(first defined at line 1, column 2\)$`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			copyDir(t, filepath.Join(validateData, "base"), dir)
			if err := os.WriteFile(filepath.Join(dir, tc.file), []byte(tc.src), 0o644); err != nil {
				t.Fatal(err)
			}
			args := tc.args
			if args == nil {
				args = []string{"validate"}
			}
			var r runResult
			alloc := allocated(func() { r = runIn(dir, "", false, args...) })
			out := r.out + r.errOut
			if r.code == 0 && !strings.Contains(strings.Join(args, " "), "--keep-going") {
				t.Errorf("exit code 0, want an error")
			}
			for _, w := range tc.want {
				if !regexp.MustCompile("(?m)" + w).MatchString(out) {
					t.Errorf("output does not match %s:\n%.3000s", w, out)
				}
			}
			for _, n := range tc.never {
				if strings.Contains(out, n) {
					t.Errorf("output holds %q", n)
				}
			}
			if strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") {
				t.Errorf("output shows a panic:\n%.3000s", out)
			}
			// A clean validate of the base repository allocates some
			// 30 MB (the CEL environment, the schemas); the input may
			// cost 100 bytes a byte on top (yaml.v3 nodes, one JSON value
			// per node for the schema step, the diagnostics).
			if limit := uint64(64<<20 + 100*len(tc.src)); alloc > limit {
				t.Errorf("allocated %d MB for %d KB of input, want at most %d MB", alloc>>20, len(tc.src)>>10, limit>>20)
			}
			t.Logf("%d KB of input, %d MB allocated", len(tc.src)>>10, alloc>>20)
		})
	}
}

// allocated returns the bytes f allocates, on every goroutine.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
