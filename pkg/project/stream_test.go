package project

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
)

// streamRepos are repositories where streaming must compile some flows
// again: a helper that the early read does not find (its trigger key
// quoted), a helper name given twice where the first is not read early,
// and a call of a flow that no file has.
func streamRepos(t *testing.T) map[string]string {
	t.Helper()
	repos := map[string]string{}
	variant := func(name string, edit func(dir string)) {
		dir := filepath.Join(t.TempDir(), name)
		copyTree(t, "../../flows", dir)
		edit(dir)
		repos[name] = dir
	}
	edit := func(t *testing.T, path, old, new string) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), old) {
			t.Fatalf("%s has no %q", path, old)
		}
		writeFile(t, path, strings.Replace(string(data), old, new, 1))
	}
	variant("helper-not-found-early", func(dir string) {
		edit(t, filepath.Join(dir, "open-offboarding-ticket.yaml"), "  helper: {}", "  \"helper\": {}")
	})
	variant("helper-twice", func(dir string) {
		data, err := os.ReadFile(filepath.Join(dir, "open-offboarding-ticket.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		// a-….yaml comes first in path order and is not read early: it
		// is the helper every caller gets, with an input less.
		src := strings.Replace(string(data), "  helper: {}", "  \"helper\": {}", 1)
		src = strings.Replace(src, "  reason:\n", "  why:\n", 1)
		writeFile(t, filepath.Join(dir, "a-open-offboarding-ticket.yaml"), src)
	})
	variant("undefined-flow", func(dir string) {
		edit(t, filepath.Join(dir, "leaver.yaml"), "call: open-offboarding-ticket", "call: open-offboarding-tickets")
	})
	return repos
}

// TestStreamNeverChangesAnAnswer: validate --no-cache streams (compiles
// each flow as it is read, against the interfaces known then) and gives
// exactly the answer of compiling after reading every file: every
// diagnostic, the counts and the scopes.
func TestStreamNeverChangesAnAnswer(t *testing.T) {
	t.Parallel()
	repos := cacheRepos(t)
	for name, dir := range streamRepos(t) {
		repos[name] = dir
	}
	for name, dir := range repos {
		t.Run(name, func(t *testing.T) {
			want, _ := loadRawOpts(t, Options{Dir: dir, WorkDir: dir})
			got, p := loadRawOpts(t, Options{Dir: dir, WorkDir: dir, Stream: true})
			if !reflect.DeepEqual(got, want) {
				t.Errorf("streaming changed the answer\n got: %+v\nwant: %+v", got, want)
			}
			if p.Graph != nil || p.Flows != nil || p.Config != nil {
				t.Error("streaming kept the graph")
			}
		})
	}
}

// TestStreamDropsTheTrees: once a flow is compiled, its file's YAML tree
// is not kept (but for the helpers, read first and compiled last).
func TestStreamDropsTheTrees(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "flows")
	copyTree(t, "../../flows", dir)
	p, ds := Load(Options{Dir: dir, WorkDir: dir, Stream: true})
	if ds.HasErrors() || p.flows < 8 {
		t.Fatalf("the library does not validate: %d flows, %v", p.flows, ds)
	}
	kept := 0
	for path, f := range p.Files {
		if f.Root != nil && !strings.HasSuffix(path, "jml.yaml") {
			kept++
			if !helperKey(f.Src) {
				t.Errorf("%s: the YAML tree of a flow that is not a helper is kept", path)
			}
		}
	}
	if kept == 0 {
		t.Error("no helper's tree kept: the test proves little")
	}
}

func TestHelperKey(t *testing.T) {
	for src, want := range map[string]bool{
		"trigger:\n  helper: {}\n":     true,
		"trigger: {helper: {}}\n":      true,
		"trigger:\n  helper  :\n":      true,
		"helper:":                      true,
		"  # A helper flow, called\n":  false,
		"myhelper: x\nhelpers: y\n":    false,
		"trigger:\n  \"helper\": {}\n": false,
		"":                             false,
	} {
		if got := helperKey([]byte(src)); got != want {
			t.Errorf("helperKey(%q) = %v, want %v", src, got, want)
		}
	}
}

// TestStreamIntoAnEmptyCache: validate with the cache streams when the
// cache is empty, writing every answer it works out, and gives the answer
// of compiling after reading every file without the cache; then, one flow
// file changed, a run that reads those answers (and does not stream)
// gives that answer too.
func TestStreamIntoAnEmptyCache(t *testing.T) {
	t.Parallel()
	repos := cacheRepos(t)
	for name, dir := range streamRepos(t) {
		repos[name] = dir
	}
	var unitHits atomic.Int64
	t.Run("repos", func(t *testing.T) {
		for name, dir := range repos {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				opts := Options{Dir: dir, WorkDir: dir, Cache: true, Stream: true, Build: "test"}
				want, _ := loadRawOpts(t, Options{Dir: dir, WorkDir: dir})
				got, p := loadRawOpts(t, opts)
				if !p.streamed {
					t.Fatal("a run into an empty cache did not stream")
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("streaming into the cache changed the answer\n got: %+v\nwant: %+v", got, want)
				}
				var flows []string
				for rel := range p.Sources {
					if rel != ConfigName {
						flows = append(flows, rel)
					}
				}
				if len(flows) == 0 {
					return
				}
				sort.Strings(flows)
				path := filepath.Join(p.Root, filepath.FromSlash(flows[0]))
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, path, string(data)+"\n# changed\n")
				want, _ = loadRawOpts(t, Options{Dir: dir, WorkDir: dir})
				got, p = loadRawOpts(t, opts)
				if p.streamed {
					t.Error("a run with answers in the cache streamed")
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("one file changed after streaming into the cache: the answer differs\n got: %#v\nwant: %#v", got, want)
				}
				unitHits.Add(int64(p.cache.hits["unit"]))
			})
		}
	})
	if unitHits.Load() == 0 {
		t.Error("no compiled unit written by a streaming run was read again: the test proves little")
	}
}
