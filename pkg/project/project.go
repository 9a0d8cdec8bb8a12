package project

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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

	// flows and cards are the counts of the compiled graph, or of the
	// cached answer when cached is set (and Graph is nil).
	flows, cards int
	scopes       map[string][]string
	cached       bool
	// streamed: the flows were compiled as their files were read.
	streamed bool
	// cache is the cache Load used, if any (its counts are for tests),
	// and index its stat index.
	cache *cache
	index *fileIndex
	// answersKey is the key of the repository's answer by answers
	// (compileUnits); answered: that answer was found.
	answersKey string
	answered   bool
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
	// Cache turns on the content-addressed cache of .jml/cache/validate
	// (docs/validate.md): the diagnostics, Stats and Scopes are the same,
	// but Config, Flows and Graph stay nil (flows are compiled one by one,
	// each only when its cached answer does not hold) — for validate,
	// which needs only those.
	Cache bool
	// Build identifies the jml binary (version and build); with Cache,
	// every cache key includes it.
	Build string
	// Stream is for a caller that reads only the diagnostics, Stats and
	// Scopes (validate --no-cache): Config, Flows and Graph stay nil, as
	// with Cache, and each flow is compiled as soon as its file is
	// checked, its parsed file dropped then (docs/validate.md), so that
	// the memory does not hold every file's YAML tree at once.
	Stream bool

	// zoneOK says whether a time zone name loads (time.LoadLocation when
	// nil); tests stand in for the system's time-zone database with it.
	zoneOK func(name string) bool
	// now is the clock the stat index stamps files with (time.Now when
	// nil).
	now func() time.Time
}

// zonesOK checks the time zones a cached answer was worked out with: the
// one thing compile reads from outside the repository and jml (the
// system's time-zone database, or $ZONEINFO).
func zonesOK(zones map[string]bool, ok func(string) bool) bool {
	for name, was := range zones {
		if ok(name) != was {
			return false
		}
	}
	return true
}

func loadsZone(name string) bool {
	_, err := time.LoadLocation(name)
	return err == nil
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
	p, ds, stale := loadRepo(opts, true)
	if stale {
		// A file changed while it was being read: again, every file read.
		p, ds, _ = loadRepo(opts, false)
	}
	return p, ds
}

// loadRepo is Load; with the cache and useIndex, the stat index (index.go)
// spares reading the files that did not change (without useIndex, every
// file is read and the index written anew). stale reports a file whose
// bytes were not those the index named: nothing of the run was written,
// and its answer must not be used.
func loadRepo(opts Options, useIndex bool) (*Project, diag.Diagnostics, bool) {
	var ds diag.Diagnostics
	p := &Project{Files: map[string]*source.File{}, Sources: map[string][]byte{}}
	if opts.WorkDir == "" {
		opts.WorkDir, _ = os.Getwd()
	}
	cfgPath, fds := configPath(opts)
	if fds != nil {
		return p, fds, false
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
	flowPaths, flowsPath, readErr := flowFilesOf(cfgFile, cfgPath)
	if readErr != nil {
		ds.Errorf(diag.Range{File: disp(cfgPath)}, "read-error", "cannot read the flows folder %s: %s", disp(flowsPath), unwrap(readErr))
	}
	// The flow schema is compiled when a file needs it: not at all when
	// every answer is in the cache.
	flowSchema := sync.OnceValues(func() (*schema.Validator, error) { return schema.For("flow") })
	if opts.Stream && !opts.Cache {
		// Every file needs it: compile it while the files are read.
		go flowSchema()
	}
	zoneOK := opts.zoneOK
	if zoneOK == nil {
		zoneOK = loadsZone
	}
	var c *cache
	if opts.Cache {
		c = openCache(p.Root, opts.Build, schema.Digest())
		c.usePack(disp(cfgPath))
		p.cache = c
	}
	now := opts.now
	if now == nil {
		now = time.Now
	}
	x := openIndex(c, now, useIndex)
	p.index = x
	// Files are read, parsed and checked on every core (their own checks:
	// YAML, schema, literal secrets), or their answers found in the cache;
	// the results are used in path order.
	if c != nil && len(x.in) > 0 {
		// A file the stat index does not vouch for most likely changed,
		// and checking it needs the flow schema: compiled from the first
		// such file on, on another core, while the others are looked up
		// and the cache's answers read.
		x.unvouched = sync.OnceFunc(func() { go flowSchema() })
	}
	items := make([]flowFile, len(flowPaths))
	each(len(flowPaths), func(i int) {
		items[i] = readFlow(x, flowPaths[i], disp(flowPaths[i]))
	})
	allRead := cfgFile != nil && readErr == nil
	for i := range items {
		if items[i].src == nil && !items[i].lazy {
			allRead = false
		}
	}

	// The repository's answer, when nothing it depends on changed: the
	// phases after loading, cross-file checks included.
	var repoKey string
	if c != nil && allRead {
		parts := [][]byte{[]byte(cfgFile.Path), cfgFile.Src}
		for i := range items {
			parts = append(parts, []byte(items[i].display), items[i].sum[:])
		}
		repoKey = c.key("repo", parts...)
		var ra repoAnswer
		if c.get("repo", repoKey, &ra) && zonesOK(ra.Zones, zoneOK) {
			ds.Add(ra.Load...)
			ds.Add(ra.Diags...)
			quoted(x, ds, items)
			for i := range items {
				p.addFlowFile(flowPaths[i], &items[i])
			}
			p.counts(&ra)
			p.cached = true
			if x.stale.Load() {
				return p, ds, true
			}
			x.flush(c)
			return p, ds, false
		}
	}
	bds := configAnswer(c, cfgFile)
	// With the cache, a run that finds it empty (the first, or the first
	// of another build of jml) has nothing to reuse: it streams too, and
	// writes every answer it works out.
	stream := opts.Stream && (c == nil || c.empty())
	p.streamed = stream
	if stream {
		each(len(items), func(i int) { items[i].read(x) }) // every file is checked
		streamFlowFiles(flowSchema, c, cfgFile, bds.HasErrors(), items)
	} else {
		each(len(items), func(i int) { checkFlowFile(flowSchema, c, x, &items[i]) })
	}
	var loadDs diag.Diagnostics
	for i := range items {
		loadDs.Add(items[i].load...)
	}
	ds.Add(loadDs...)

	for i := range items {
		bds.Add(items[i].check...)
	}
	var zones map[string]bool
	if !bds.HasErrors() {
		if c == nil && !stream {
			var files []*source.File
			for i := range items {
				if it := &items[i]; it.parsed {
					files = append(files, it.file)
				}
			}
			cfg, flows, g, cds := compileFiles(cfgFile, files)
			bds.Add(cds...)
			p.Config, p.Flows, p.Graph = cfg, flows, g
			if g != nil {
				p.flows, p.cards = g.Stats()
				p.scopes = g.Scopes()
			}
		} else {
			cds, zs, ra := p.compileUnits(c, x, cfgFile, items, zoneOK, repoKey != "")
			if ra != nil {
				// Every answer is one it was: so is the repository's.
				bds = ra.Diags
				zones = ra.Zones
				p.counts(ra)
			} else {
				bds.Add(cds...)
				zones = zs
			}
		}
	}
	ds.Add(bds...)
	quoted(x, ds, items)
	for i := range items {
		p.addFlowFile(flowPaths[i], &items[i])
	}
	if x.stale.Load() {
		return p, ds, true
	}
	if repoKey != "" && !hasCode(bds, "internal") {
		ra := repoAnswer{Load: loadDs, Diags: bds, Flows: p.flows, Cards: p.cards, Scopes: p.scopes, Zones: zones}
		c.put("repo", repoKey, ra)
		if p.answersKey != "" && !p.answered {
			c.put("repo", p.answersKey, ra)
		}
	}
	if c != nil {
		c.flushPack()
		x.flush(c)
		c.prune(len(items) + 1)
	}
	return p, ds, false
}

// counts sets the counts and scopes of a repository's answer from the
// cache.
func (p *Project) counts(ra *repoAnswer) { p.flows, p.cards, p.scopes = ra.Flows, ra.Cards, ra.Scopes }

// quoted reads the files the diagnostics quote that the stat index spared
// reading, for their snippets.
func quoted(x *fileIndex, ds diag.Diagnostics, items []flowFile) {
	var files map[string]bool
	for _, d := range ds {
		if files == nil {
			files = map[string]bool{}
		}
		files[d.Range.File] = true
	}
	for i := range items {
		if items[i].lazy && files[items[i].display] {
			items[i].read(x)
		}
	}
}

// flowFile is one flow file as Load reads it.
type flowFile struct {
	path, display string
	// src is nil when the file could not be read (load says why), or when
	// lazy.
	src []byte
	sum [sha256.Size]byte
	// lazy: the stat index vouched for sum, and the bytes have not been
	// read (read reads them).
	lazy bool
	// file is the parsed file; nil when its answer came from the cache
	// (until compile needs it) or when it could not be read.
	file *source.File
	// parsed: the file is YAML jml can decode (its own checks ran).
	parsed      bool
	load, check diag.Diagnostics
	// answer is the file's answer (fileAnswer) as the cache keeps it.
	answer []byte
	// With the cache, of a file whose own checks found no error: its
	// interface (compile.Interface), and the decoded flow once decoded.
	iface *compile.Interface
	flow  *ast.Flow
	// Streaming (Options.Stream): the flow's unit compiled as soon as its
	// file was checked, and what it read of the other flows; it holds
	// when those are the repository's (compile.Final).
	unit  *compile.Unit
	reads compile.Reads
}

// readFlow reads one flow file and hashes it, or takes its hash from the
// stat index when the file did not change since (lazy).
func readFlow(x *fileIndex, path, display string) flowFile {
	it := flowFile{path: path, display: display}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = ""
	}
	if abs != "" {
		if sum, ok := x.lookup(abs); ok {
			it.sum, it.lazy = sum, true
			return it
		}
		if x.unvouched != nil {
			x.unvouched()
		}
	}
	st, at, stamped := x.stamp(abs)
	it.src, it.load = source.ReadBytes(path, display)
	if it.src != nil {
		it.sum = sha256.Sum256(it.src)
		if stamped && abs != "" {
			x.record(abs, st, at, it.sum)
		} else {
			x.reads.Add(1)
		}
	}
	return it
}

// read reads the bytes of a file the stat index vouched for. Bytes that
// are not those the index named (the file changed since its stamp was
// taken) make the run stale (Load validates again); they are used
// meanwhile, with their own hash.
func (it *flowFile) read(x *fileIndex) {
	if !it.lazy {
		return
	}
	it.lazy = false
	x.reads.Add(1)
	src, load := source.ReadBytes(it.path, it.display)
	if src == nil || sha256.Sum256(src) != it.sum {
		x.stale.Store(true)
	}
	it.src, it.load = src, load
	if src != nil {
		it.sum = sha256.Sum256(src)
	}
}

// checkFlowFile parses a flow file that was read and runs its own checks,
// or takes their answer from the cache (c may be nil).
func checkFlowFile(flowSchema func() (*schema.Validator, error), c *cache, x *fileIndex, it *flowFile) {
	if it.src == nil && !it.lazy {
		return
	}
	var key string
	if c != nil {
		key = c.key("flow", []byte(it.display), it.sum[:])
		var fa fileAnswer
		if data, ok := c.getValue("flow", key, &fa); ok {
			it.parsed, it.load, it.check, it.iface, it.answer = fa.Parsed, fa.Load, fa.Check, fa.Interface, data
			return
		}
	}
	if it.read(x); it.src == nil {
		return
	}
	if c != nil {
		key = c.key("flow", []byte(it.display), it.sum[:]) // the bytes read
	}
	it.file, it.load = source.Parse(it.display, it.src)
	if it.file != nil && it.file.Root != nil {
		it.parsed = true
		fv, err := flowSchema()
		if err != nil {
			it.check.Errorf(diag.Range{}, "internal", "flow schema: %v", err)
		} else {
			it.check = checkFlow(fv, it.file)
		}
	}
	if c != nil && !hasCode(it.check, "internal") {
		if it.parsed && !it.check.HasErrors() {
			it.flow = ast.DecodeFlow(it.file)
			in := compile.InterfaceOf(it.flow)
			it.iface = &in
		}
		it.answer = c.put("flow", key, fileAnswer{Parsed: it.parsed, Load: it.load, Check: it.check, Interface: it.iface})
	}
}

// configAnswer checks jml.yaml against the config schema, or takes the
// answer from the cache (c may be nil).
func configAnswer(c *cache, cfgFile *source.File) diag.Diagnostics {
	if c == nil || cfgFile == nil || cfgFile.Root == nil {
		return checkConfig(cfgFile)
	}
	key := c.key("config", []byte(cfgFile.Path), cfgFile.Src)
	var ca configAnswerEntry
	if c.get("config", key, &ca) {
		return ca.Diags
	}
	ds := checkConfig(cfgFile)
	if !hasCode(ds, "internal") {
		c.put("config", key, configAnswerEntry{Diags: ds})
	}
	return ds
}

// compileUnits compiles, with the cache, the flows of files whose own
// checks passed: each flow's unit (compile.Unit) comes from the cache when
// its file, jml.yaml and the interfaces of every flow are those it was
// compiled with, and is compiled otherwise — only those files are parsed
// again; then the checks across flows run over every unit
// (compile.Check), as Compile runs them. It sets the counts and scopes and
// returns the diagnostics and the time zones the units looked up.
//
// With byAnswers (every file read and answered), the repository's answer
// is also looked up by answers (answersKey): jml.yaml and every file's
// own answer and unit, as the cache keeps them. A file changed in a way
// none of those shows (a comment, a text in a card) leaves them all as
// they were, and the repository's answer is the one they made: it is
// returned, and neither the units the cache had nor the checks across
// flows are decoded or run. (An early cutoff, as build systems have.)
func (p *Project) compileUnits(c *cache, x *fileIndex, cfgFile *source.File, items []flowFile, zoneOK func(string) bool, byAnswers bool) (diag.Diagnostics, map[string]bool, *repoAnswer) {
	var cfg *ast.Config
	if cfgFile != nil && cfgFile.Root != nil {
		cfg = ast.DecodeConfig(cfgFile)
	}
	var cfgPath string
	var cfgSrc []byte
	if cfgFile != nil {
		cfgPath, cfgSrc = cfgFile.Path, cfgFile.Src
	}
	var its []*flowFile
	for i := range items {
		if it := &items[i]; it.parsed {
			its = append(its, it)
		}
	}
	ifaces := make([]compile.Interface, len(its))
	for k, it := range its {
		if it.iface == nil { // cannot be: a file without errors has one
			decodeFlow(x, it)
			in := compile.InterfaceOf(it.flow)
			it.iface = &in
		}
		ifaces[k] = *it.iface
	}
	unique := compile.Unique(ifaces)
	units := make([]*compile.Unit, len(its))
	keys := make([]string, len(its))
	fresh := make([]bool, len(its))
	// raws are the units as the cache keeps them, decoded when needed.
	raws := make([][]byte, len(its))
	// Streaming: the units compiled while the files were read hold when
	// what they read of the other flows is what the repository has.
	holds := compile.Final(ifaces)
	for k, it := range its {
		if unique[k] && it.unit != nil && holds(it.reads) {
			units[k], fresh[k] = it.unit, true
		}
		it.unit, it.reads = nil, compile.Reads{}
	}
	if c != nil {
		digest := compile.InterfacesDigest(ifaces)
		// What every unit depends on besides its file, hashed once.
		context := []byte(c.key("unit-context", []byte(cfgPath), cfgSrc, digest[:]))
		each(len(its), func(k int) {
			if !unique[k] {
				return
			}
			it := its[k]
			keys[k] = c.key("unit", []byte(it.display), it.sum[:], context)
			if units[k] == nil { // not streamed
				raws[k], _ = c.getRaw("unit", keys[k])
			}
		})
	}
	// compileNew compiles the units that are neither compiled nor kept,
	// and keeps them.
	compileNew := func() diag.Diagnostics {
		flows := make([]*ast.Flow, len(its))
		each(len(its), func(k int) {
			if unique[k] && units[k] == nil && raws[k] == nil {
				decodeFlow(x, its[k])
				flows[k], fresh[k] = its[k].flow, true
			}
		})
		// The units kept are not compiled (CompileUnits compiles the nil
		// ones); they are decoded after, when needed.
		for k := range units {
			if units[k] == nil && raws[k] != nil {
				units[k] = keptUnit
			}
		}
		ds := compile.CompileUnits(cfg, ifaces, flows, units)
		for k := range units {
			if units[k] == keptUnit {
				units[k] = nil
			}
		}
		if ds != nil {
			return ds
		}
		for k, u := range units {
			if fresh[k] && u != nil && c != nil && raws[k] == nil {
				raws[k] = c.put("unit", keys[k], unitEntry{Unit: *u, Zones: unitZones(u, zoneOK)})
			}
		}
		return nil
	}
	if ds := compileNew(); ds != nil {
		return ds, nil, nil
	}
	if c != nil && byAnswers {
		parts := [][]byte{[]byte(cfgPath), cfgSrc}
		k := 0
		for i := range items {
			var unit []byte
			if k < len(its) && its[k] == &items[i] {
				unit = raws[k]
				k++
			}
			parts = append(parts, []byte(items[i].display), items[i].answer, unit)
		}
		p.answersKey = c.key("answers", parts...)
		var ra repoAnswer
		if c.get("repo", p.answersKey, &ra) && zonesOK(ra.Zones, zoneOK) {
			p.answered = true
			return nil, nil, &ra
		}
	}
	// Decode the units kept; one that does not decode, or whose time zone
	// no longer loads as it did, is compiled again.
	each(len(its), func(k int) {
		if units[k] != nil || raws[k] == nil {
			return
		}
		var ue unitEntry
		if decodeValue(raws[k], &ue) && zonesOK(ue.Zones, zoneOK) {
			units[k] = &ue.Unit
		} else {
			raws[k] = nil
		}
	})
	if ds := compileNew(); ds != nil {
		return ds, nil, nil
	}
	var zones map[string]bool
	for _, u := range units {
		for z, ok := range unitZones(u, zoneOK) {
			if zones == nil {
				zones = map[string]bool{}
			}
			zones[z] = ok
		}
	}
	p.flows, p.cards = compile.UnitStats(units)
	p.scopes = compile.UnitScopes(cfg, units)
	return compile.Check(cfg, ifaces, units), zones, nil
}

// keptUnit stands, while compileUnits compiles, for a unit the cache
// keeps and that is not decoded yet.
var keptUnit = new(compile.Unit)

// unitZones is the time zone a unit looked up, and whether it loads.
func unitZones(u *compile.Unit, zoneOK func(string) bool) map[string]bool {
	if u == nil || u.Summary.Zone == "" {
		return nil
	}
	return map[string]bool{u.Summary.Zone: zoneOK(u.Summary.Zone)}
}

// decodeFlow decodes a flow file whose own checks passed, parsing it
// first when its answer came from the cache.
func decodeFlow(x *fileIndex, it *flowFile) {
	if it.flow != nil {
		return
	}
	if it.file == nil {
		it.read(x)
		if it.file, _ = source.Parse(it.display, it.src); it.file == nil {
			// Unreadable since its answer was cached: the run is stale,
			// and validates again.
			it.file = &source.File{Path: it.display, Src: it.src}
		}
	}
	it.flow = ast.DecodeFlow(it.file)
}

// addFlowFile counts a flow file and keeps its bytes (for snippets and the
// plan digest).
func (p *Project) addFlowFile(path string, it *flowFile) {
	p.FileCount++
	if it.src == nil {
		return
	}
	f := it.file
	if f == nil { // answered from the cache: the bytes are enough for snippets
		f = &source.File{Path: it.display, Src: it.src}
	}
	p.Files[f.Path] = f
	if rel, err := filepath.Rel(p.Root, path); err == nil {
		p.Sources[filepath.ToSlash(rel)] = it.src
	}
}

func hasCode(ds diag.Diagnostics, code string) bool {
	for _, d := range ds {
		if d.Code == code {
			return true
		}
	}
	return false
}

// Build runs the phases after loading — schema, decode, compile — on parsed
// files, stopping after the schema phase when it found errors. cfgFile may
// be nil (no jml.yaml); files without a Root (load errors) are skipped.
// The graph is nil when compile did not run.
func Build(cfgFile *source.File, files []*source.File) (*ast.Config, []*ast.Flow, *compile.Graph, diag.Diagnostics) {
	ds := checkConfig(cfgFile)
	if hasCode(ds, "internal") {
		return nil, nil, nil, ds
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
	// kept in file order.
	per := make([]diag.Diagnostics, len(parsed))
	each(len(parsed), func(i int) {
		per[i] = checkFlow(fv, parsed[i])
	})
	for _, d := range per {
		ds.Add(d...)
	}
	if ds.HasErrors() {
		return nil, nil, nil, ds
	}
	cfg, flows, g, cds := compileFiles(cfgFile, parsed)
	ds.Add(cds...)
	return cfg, flows, g, ds
}

// checkConfig checks jml.yaml against the config schema.
func checkConfig(cfgFile *source.File) diag.Diagnostics {
	var ds diag.Diagnostics
	if cfgFile == nil || cfgFile.Root == nil {
		return nil
	}
	v, err := schema.For("config")
	if err != nil {
		ds.Errorf(diag.Range{}, "internal", "config schema: %v", err)
		return ds
	}
	return v.Validate(cfgFile)
}

// checkFlow runs a parsed flow file's own checks: the schema, and literal
// secrets, found beside the schema as they are in jml.yaml, before
// anything else reads the flow.
func checkFlow(fv *schema.Validator, f *source.File) diag.Diagnostics {
	ds := fv.Validate(f)
	ds.Add(compile.FlowSecrets(f)...)
	return ds
}

// compileFiles decodes and compiles files that passed their checks.
func compileFiles(cfgFile *source.File, parsed []*source.File) (*ast.Config, []*ast.Flow, *compile.Graph, diag.Diagnostics) {
	var cfg *ast.Config
	if cfgFile != nil && cfgFile.Root != nil {
		cfg = ast.DecodeConfig(cfgFile)
	}
	var flows []*ast.Flow
	for _, f := range parsed {
		flows = append(flows, ast.DecodeFlow(f))
	}
	g, ds := compile.Compile(cfg, flows)
	return cfg, flows, g, ds
}

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// configPath finds jml.yaml: opts.Config, else opts.Dir when it is
// jml.yaml, else in opts.Dir (the directory of a file given) or a parent.
// The diagnostics say why there is none.
func configPath(opts Options) (string, diag.Diagnostics) {
	if opts.Config != "" {
		return opts.Config, nil
	}
	var ds diag.Diagnostics
	dir := opts.Dir
	if dir == "" {
		dir = "."
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		if filepath.Base(dir) == ConfigName {
			return dir, nil
		}
		dir = filepath.Dir(dir)
	} else if err != nil {
		ds.Errorf(diag.Range{File: Display(opts.WorkDir, dir)}, "read-error", "cannot read: %s", unwrap(err))
		return "", ds
	}
	found, ok := FindConfig(dir)
	if !ok {
		ds.Errorf(diag.Range{File: Display(opts.WorkDir, dir)}, "no-config", "no %s in %s or any parent directory: a jml repository has one at its root", ConfigName, Display(opts.WorkDir, dir))
		return "", ds
	}
	return found, nil
}

// flowFilesOf lists the flow files of the repository of cfgPath: the
// folder flows: of jml.yaml names (default flows/), and its sub-folders —
// but a flows folder that is the repository root itself is read flat, so
// that tests/ or events/ beside the flows are not taken for flows, and
// jml.yaml is not a flow. It returns the folder too, for messages.
func flowFilesOf(cfgFile *source.File, cfgPath string) (paths []string, flowsPath string, err error) {
	root := filepath.Dir(cfgPath)
	flowsDir := "flows"
	if cfgFile != nil && cfgFile.Root != nil {
		if n := source.Get(cfgFile.Root, "flows"); n != nil && n.Value != "" {
			flowsDir = n.Value
		}
	}
	flowsPath = filepath.Join(root, filepath.FromSlash(flowsDir))
	all, err := flowFiles(flowsPath, filepath.Clean(flowsPath) != filepath.Clean(root))
	for _, fp := range all {
		if filepath.Clean(fp) != filepath.Clean(cfgPath) { // flows: . keeps jml.yaml beside the flows
			paths = append(paths, fp)
		}
	}
	return paths, flowsPath, err
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

// Stats returns the number of flows and cards checked.
func (p *Project) Stats() (flows, cards int) { return p.flows, p.cards }

// Scopes returns the OAuth scopes the flows need, per connector instance
// of a type whose token is scoped (google, okta): what jml requests when
// jml.yaml lists none, and what the instance's app must be granted.
func (p *Project) Scopes() map[string][]string { return p.scopes }

// Cached reports whether the answer came whole from the cache.
func (p *Project) Cached() bool { return p.cached }

// Summary is the one-line account of a successful validate.
func (p *Project) Summary() string {
	flows, cards := p.Stats()
	return fmt.Sprintf("%d files, %d flows, %d cards checked", p.FileCount, flows, cards)
}

// each calls f(0) … f(n-1) on GOMAXPROCS goroutines, this one among
// them, and waits. The goroutines take the next index from a counter: a
// channel handing each index over woke a goroutine per item, which was
// a sixth of a validate that found one file changed of 1,000.
func each(n int, f func(i int)) {
	var next atomic.Int64
	work := func() {
		for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
			f(i)
		}
	}
	var wg sync.WaitGroup
	for w := 1; w < min(runtime.GOMAXPROCS(0), n); w++ {
		wg.Go(work)
	}
	work()
	wg.Wait()
}
