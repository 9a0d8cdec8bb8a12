package testrun

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/source"
)

// Discover lists the test files of paths, in order: a file is taken as
// given; a directory is walked (sorted, hidden entries skipped) for .yaml
// and .yml files, leaving out those whose top-level kind is something
// other than Test (world files kept beside the tests, flows). A file that
// does not parse, or has no kind, is kept: loading it reports why.
func Discover(paths []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		key := filepath.Clean(p)
		if abs, err := filepath.Abs(p); err == nil {
			key = abs
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, pathErr(err))
		}
		if !st.IsDir() {
			add(p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if path != p && strings.HasPrefix(name, ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			ext := strings.ToLower(filepath.Ext(name))
			if ext != ".yaml" && ext != ".yml" {
				return nil
			}
			if isOtherKind(path) {
				return nil
			}
			add(path)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, pathErr(err))
		}
	}
	return out, nil
}

// isOtherKind reports whether a YAML file says kind: X with X not Test.
func isOtherKind(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil || len(b) > source.MaxFileSize {
		return false
	}
	var head struct {
		Kind any `yaml:"kind"`
	}
	if yaml.Unmarshal(b, &head) != nil {
		return false
	}
	k, ok := head.Kind.(string)
	return ok && k != "" && k != "Test"
}

// Job is one test file to load and run against a repository.
type Job struct {
	// Path is the file to read; Display how it is shown.
	Path, Display string
	// Graph is the compiled repository the test belongs to.
	Graph *compile.Graph
	// WorkDir is the directory paths in messages are relative to.
	WorkDir string
}

// RunAll loads and runs jobs on up to parallel goroutines and calls emit
// with each result in the order of jobs, as soon as it and every result
// before it are done: parallel execution, deterministic output.
func RunAll(ctx context.Context, jobs []Job, parallel int, emit func(*Result)) {
	if parallel < 1 {
		parallel = 1
	}
	results := make([]*Result, len(jobs))
	done := make([]chan struct{}, len(jobs))
	for i := range done {
		done[i] = make(chan struct{})
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < parallel && w < len(jobs); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = RunJob(ctx, jobs[i])
				close(done[i])
			}
		}()
	}
	go func() {
		for i := range jobs {
			next <- i
		}
		close(next)
	}()
	for i := range jobs {
		<-done[i]
		emit(results[i])
	}
	wg.Wait()
}

// RunJob loads one test file and runs it.
func RunJob(ctx context.Context, j Job) (res *Result) {
	defer func() {
		// A bug in one test's run must not take the others down.
		if r := recover(); r != nil {
			res = &Result{Path: j.Display, Name: j.Display, Line: 1, Outcome: Error, Err: fmt.Sprintf("internal error in jml (please report it): %v", r)}
		}
	}()
	l := Load(j.Path, j.Display, LoadOptions{Graph: j.Graph, WorkDir: j.WorkDir})
	if l.Test == nil {
		return Invalid(l, j.Display)
	}
	res = Run(ctx, l.Test, j.Graph)
	res.Sources = l.Sources
	res.Diagnostics = l.Diagnostics // warnings, if any
	return res
}
