package project

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/schema"
	"github.com/jml-dev/jml/pkg/source"
)

// ConfigName is the config file jml looks for.
const ConfigName = "jml.yaml"

// Project is a loaded repository.
type Project struct {
	// Root is the directory of jml.yaml.
	Root string
	// ConfigPath is the path of jml.yaml ("" when there is none).
	ConfigPath string
	Config     *ast.Config
	Flows      []*ast.Flow
	// Files maps a display path to its parsed file, for source snippets.
	Files map[string]*source.File
	// Graph is the compiled repository; nil when an earlier phase failed.
	Graph *compile.Graph
	// FileCount is the number of files read.
	FileCount int
	// Sources holds the raw bytes of jml.yaml and every flow file, keyed by
	// path relative to Root (slash-separated): what a plan digest covers.
	Sources map[string][]byte
}

// Options say where the repository is.
type Options struct {
	// Dir is where to start looking for jml.yaml (default: the working
	// directory). It may also be jml.yaml itself.
	Dir string
	// Config is an explicit jml.yaml path (--config); it wins over Dir.
	Config string
	// WorkDir is the directory paths in messages are relative to.
	WorkDir string
}

// FindConfig returns the path of jml.yaml in dir or its nearest parent.
func FindConfig(dir string) (string, bool) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	for {
		p := filepath.Join(abs, ConfigName)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, true
		}
		parent := filepath.Dir(abs)
		if parent == abs {
			return "", false
		}
		abs = parent
	}
}

// Display renders path relative to the working directory when it is
// inside it (STYLE: paths in messages are relative).
func Display(workDir, path string) string {
	if workDir == "" {
		return path
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	rel, err := filepath.Rel(workDir, abs)
	if err != nil || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || rel == ".." {
		return filepath.ToSlash(path)
	}
	return filepath.ToSlash(rel)
}

// Load reads, checks and compiles a repository. The returned project is
// never nil; its Graph is nil when there are errors before compile.
func Load(opts Options) (*Project, diag.Diagnostics) {
	var ds diag.Diagnostics
	p := &Project{Files: map[string]*source.File{}, Sources: map[string][]byte{}}
	if opts.WorkDir == "" {
		opts.WorkDir, _ = os.Getwd()
	}
	cfgPath := opts.Config
	if cfgPath == "" {
		dir := opts.Dir
		if dir == "" {
			dir = "."
		}
		if st, err := os.Stat(dir); err == nil && !st.IsDir() {
			if filepath.Base(dir) == ConfigName {
				cfgPath = dir
			} else {
				dir = filepath.Dir(dir)
			}
		} else if err != nil {
			ds.Errorf(diag.Range{File: Display(opts.WorkDir, dir)}, "read-error", "cannot read: %s", unwrap(err))
			return p, ds
		}
		if cfgPath == "" {
			found, ok := FindConfig(dir)
			if !ok {
				ds.Errorf(diag.Range{File: Display(opts.WorkDir, dir)}, "no-config", "no %s in %s or any parent directory: a jml repository has one at its root", ConfigName, Display(opts.WorkDir, dir))
				return p, ds
			}
			cfgPath = found
		}
	}
	p.ConfigPath = cfgPath
	p.Root = filepath.Dir(cfgPath)
	disp := func(path string) string { return Display(opts.WorkDir, path) }

	// Phase 1: load every file.
	cfgFile, cds := source.ReadFile(cfgPath, disp(cfgPath))
	ds.Add(cds...)
	p.FileCount++
	if cfgFile != nil {
		p.Files[cfgFile.Path] = cfgFile
		p.Sources[ConfigName] = cfgFile.Src
	}
	flowsDir := "flows"
	if cfgFile != nil && cfgFile.Root != nil {
		if n := source.Get(cfgFile.Root, "flows"); n != nil && n.Value != "" {
			flowsDir = n.Value
		}
	}
	flowsPath := filepath.Join(p.Root, filepath.FromSlash(flowsDir))
	// A flows folder that is the repository root itself is read flat, so
	// that tests/ or events/ beside the flows are not taken for flows.
	paths, err := flowFiles(flowsPath, filepath.Clean(flowsPath) != filepath.Clean(p.Root))
	if err != nil {
		ds.Errorf(diag.Range{File: disp(cfgPath)}, "read-error", "cannot read the flows folder %s: %s", disp(flowsPath), unwrap(err))
	}
	var flowPaths []string
	for _, fp := range paths {
		if filepath.Clean(fp) != filepath.Clean(cfgPath) { // flows: . keeps jml.yaml beside the flows
			flowPaths = append(flowPaths, fp)
		}
	}
	// Files are read and parsed on every core; the results are used in
	// path order.
	read := make([]*source.File, len(flowPaths))
	readDs := make([]diag.Diagnostics, len(flowPaths))
	each(len(flowPaths), func(i int) {
		read[i], readDs[i] = source.ReadFile(flowPaths[i], disp(flowPaths[i]))
	})
	var files []*source.File
	for i, fp := range flowPaths {
		f := read[i]
		ds.Add(readDs[i]...)
		p.FileCount++
		if f != nil {
			p.Files[f.Path] = f
			if rel, err := filepath.Rel(p.Root, fp); err == nil {
				p.Sources[filepath.ToSlash(rel)] = f.Src
			}
			if f.Root != nil {
				files = append(files, f)
			}
		}
	}

	cfg, flows, g, bds := Build(cfgFile, files)
	ds.Add(bds...)
	p.Config, p.Flows, p.Graph = cfg, flows, g
	return p, ds
}

// Build runs the phases after loading — schema, decode, compile — on parsed
// files, stopping after the schema phase when it found errors. cfgFile may
// be nil (no jml.yaml); files without a Root (load errors) are skipped.
// The graph is nil when compile did not run.
func Build(cfgFile *source.File, files []*source.File) (*ast.Config, []*ast.Flow, *compile.Graph, diag.Diagnostics) {
	var ds diag.Diagnostics
	if cfgFile != nil && cfgFile.Root != nil {
		v, err := schema.For("config")
		if err != nil {
			ds.Errorf(diag.Range{}, "internal", "config schema: %v", err)
			return nil, nil, nil, ds
		}
		ds.Add(v.Validate(cfgFile)...)
	}
	fv, err := schema.For("flow")
	if err != nil {
		ds.Errorf(diag.Range{}, "internal", "flow schema: %v", err)
		return nil, nil, nil, ds
	}
	var parsed []*source.File
	for _, f := range files {
		if f != nil && f.Root != nil {
			parsed = append(parsed, f)
		}
	}
	// Files are validated independently: on every core, the diagnostics
	// kept in file order. A literal secret is found here, beside the
	// schema, as it is in jml.yaml: before anything else reads the flow.
	per := make([]diag.Diagnostics, len(parsed))
	each(len(parsed), func(i int) {
		per[i] = fv.Validate(parsed[i])
		per[i].Add(compile.FlowSecrets(parsed[i])...)
	})
	for _, d := range per {
		ds.Add(d...)
	}
	if ds.HasErrors() {
		return nil, nil, nil, ds
	}
	var cfg *ast.Config
	if cfgFile != nil && cfgFile.Root != nil {
		cfg = ast.DecodeConfig(cfgFile)
	}
	var flows []*ast.Flow
	for _, f := range parsed {
		flows = append(flows, ast.DecodeFlow(f))
	}
	g, cds := compile.Compile(cfg, flows)
	ds.Add(cds...)
	return cfg, flows, g, ds
}

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// flowFiles lists the *.yaml and *.yml files of dir (and of its
// sub-folders when recursive), sorted.
func flowFiles(dir string, recursive bool) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != dir && (!recursive || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		ext := strings.ToLower(filepath.Ext(path))
		if ext == ".yaml" || ext == ".yml" {
			out = append(out, path)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// Summary is the one-line account of a successful validate.
func (p *Project) Summary() string {
	flows, cards := 0, 0
	if p.Graph != nil {
		flows, cards = p.Graph.Stats()
	}
	return fmt.Sprintf("%d files, %d flows, %d cards checked", p.FileCount, flows, cards)
}

// each calls f(0) … f(n-1) on GOMAXPROCS goroutines and waits.
func each(n int, f func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < min(runtime.GOMAXPROCS(0), n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}
