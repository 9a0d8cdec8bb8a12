package project

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/diag"
	"github.com/jml-dev/jml/pkg/schema"
)

const validateData = "../../testdata/validate"

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			if d.Name() == ".jml" {
				return filepath.SkipDir
			}
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// writeFile writes a file of a repository under test and gives it a
// modification time no other write had, so that the stat index sees the
// change even when the write fell in the same tick of the file system's
// clock as the file's last one, with the same size (tests trust the index
// at once: indexClock).
// okRepo is a repository of the ok cases, with no error.
func okRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	copyTree(t, filepath.Join(validateData, "base"), dir)
	copyTree(t, filepath.Join(validateData, "ok"), filepath.Join(dir, "flows"))
	return dir
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(mtimes.Add(1)) * time.Second)
	if err := os.Chtimes(path, at, at); err != nil {
		t.Fatal(err)
	}
}

var mtimes atomic.Int64

// indexClock is the stat index's clock in the cache tests: an hour ahead,
// so that a file written a moment ago is not racy (index.go) and the
// index is trusted on the next run — every cache test then checks the
// answers with files not read. TestIndexRacy checks the real clock's rule.
func indexClock() time.Time { return time.Now().Add(time.Hour) }

// cacheRepos builds the repositories the cache must answer exactly as a
// cold run does: the flow library, every example, the ok cases together,
// every err case on its own, and every flow err case in one repository
// (errors of every kind side by side: YAML, schema, compile, lint).
func cacheRepos(t *testing.T) map[string]string {
	t.Helper()
	repos := map[string]string{}
	add := func(name string) string {
		dir := filepath.Join(t.TempDir(), name)
		repos[name] = dir
		return dir
	}
	copyTree(t, "../../flows", add("flows"))
	examples, _ := filepath.Glob("../../examples/*/jml.yaml")
	for _, e := range examples {
		copyTree(t, filepath.Dir(e), add("examples-"+filepath.Base(filepath.Dir(e))))
	}
	ok := add("ok")
	copyTree(t, filepath.Join(validateData, "base"), ok)
	copyTree(t, filepath.Join(validateData, "ok"), filepath.Join(ok, "flows"))
	all := add("all-errors")
	copyTree(t, filepath.Join(validateData, "base"), all)
	cases, _ := filepath.Glob(filepath.Join(validateData, "err", "*.yaml"))
	if len(cases) < 25 {
		t.Fatalf("only %d err cases", len(cases))
	}
	for _, c := range cases {
		name := filepath.Base(c)
		data, err := os.ReadFile(c)
		if err != nil {
			t.Fatal(err)
		}
		dir := add("err-" + strings.TrimSuffix(name, ".yaml"))
		copyTree(t, filepath.Join(validateData, "base"), dir)
		if strings.HasPrefix(name, "config-") {
			writeFile(t, filepath.Join(dir, "jml.yaml"), string(data))
			continue
		}
		writeFile(t, filepath.Join(dir, "flows", name), string(data))
		writeFile(t, filepath.Join(all, "flows", name), string(data))
	}
	return repos
}

// answer is what validate prints and exits by: every diagnostic (file,
// line, column, id, message, severity, detail), normalised as validate
// does, and the counts of its summary.
type answer struct {
	Diags        diag.Diagnostics
	Errors, Warn int
	Files        int
	Flows, Cards int
}

func load(t *testing.T, dir string, cache bool, build string) (answer, *Project) {
	t.Helper()
	p, ds := Load(Options{Dir: dir, WorkDir: dir, Cache: cache, Build: build, now: indexClock})
	shown, _ := ds.Normalize(1 << 20)
	a := answer{Diags: shown, Files: p.FileCount}
	a.Errors, a.Warn = ds.Count()
	a.Flows, a.Cards = p.Stats()
	return a, p
}

func sameAnswer(t *testing.T, what string, got, want answer) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: the answer differs from a run without the cache\n got: %+v\nwant: %+v", what, got, want)
	}
}

// TestCacheNeverChangesAnAnswer: validate without the cache, with it cold
// (writing), and warm (reading) give the same diagnostics and counts, and
// the warm run is answered from the cache.
func TestCacheNeverChangesAnAnswer(t *testing.T) {
	t.Parallel()
	withErrors := 0
	for name, dir := range cacheRepos(t) {
		t.Run(name, func(t *testing.T) {
			want, _ := load(t, dir, false, "test")
			if _, err := os.Stat(filepath.Join(dir, CacheDir)); err == nil {
				t.Fatal("--no-cache wrote the cache")
			}
			if want.Errors > 0 {
				withErrors++
			}
			cold, p := load(t, dir, true, "test")
			sameAnswer(t, "cold", cold, want)
			if p.Cached() || p.cache.hits["repo"]+p.cache.hits["flow"] != 0 {
				t.Errorf("a cold run found answers in an empty cache: %v", p.cache.hits)
			}
			warm, p := load(t, dir, true, "test")
			sameAnswer(t, "warm", warm, want)
			if !p.Cached() {
				t.Errorf("the warm run was not answered from the cache (hits %v, misses %v)", p.cache.hits, p.cache.misses)
			}
		})
	}
	if withErrors < 25 {
		t.Errorf("only %d repositories with errors: the comparison proves little", withErrors)
	}
}

// TestCacheOneFileChanged: after one flow file changes, only that file is
// checked again (the others' answers come from the cache), the phases after
// run again, and the answer is a cold run's.
func TestCacheOneFileChanged(t *testing.T) {
	t.Parallel()
	dir := okRepo(t)
	flows, _ := filepath.Glob(filepath.Join(dir, "flows", "*.yaml"))
	first, _ := load(t, dir, true, "test")
	if first.Errors != 0 {
		t.Fatalf("the ok repository has errors: %v", first.Diags)
	}
	// A new error in one file: an unknown action.
	leaver := filepath.Join(dir, "flows", "schedule.yaml")
	src, err := os.ReadFile(leaver)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(src), "okta.deactivateUser", "okta.deactivateUsr", 1)
	if changed == string(src) {
		t.Fatal("schedule.yaml has no okta.deactivateUser to change")
	}
	writeFile(t, leaver, changed)
	want, _ := load(t, dir, false, "test")
	if want.Errors == 0 {
		t.Fatal("the change made no error")
	}
	got, p := load(t, dir, true, "test")
	sameAnswer(t, "one file changed", got, want)
	if p.Cached() || p.cache.misses["flow"] != 1 || p.cache.hits["flow"] != len(flows)-1 {
		t.Errorf("want 1 file checked again and %d from the cache; hits %v, misses %v", len(flows)-1, p.cache.hits, p.cache.misses)
	}
	// Back as it was: the first answer, whole from the cache.
	writeFile(t, leaver, string(src))
	back, p := load(t, dir, true, "test")
	sameAnswer(t, "changed back", back, first)
	if !p.Cached() {
		t.Error("the repository as it was is not answered from the cache")
	}
}

// TestCacheInvalidation: another jml build, other schemas or another
// jml.yaml must not take the answers worked out before.
func TestCacheInvalidation(t *testing.T) {
	t.Parallel()
	dir := okRepo(t)
	flows, _ := filepath.Glob(filepath.Join(dir, "flows", "*.yaml"))
	load(t, dir, true, "v1")

	// Another build: nothing is taken.
	_, p := load(t, dir, true, "v2")
	if p.Cached() || p.cache.hits["flow"] != 0 || p.cache.misses["flow"] != len(flows) {
		t.Errorf("another jml build used the cache: hits %v, misses %v", p.cache.hits, p.cache.misses)
	}
	// Other schemas: the same.
	c1, c2 := openCache(dir, "v1", schema.Digest()), openCache(dir, "v1", "other schemas")
	c1.usePack("jml.yaml")
	c2.usePack("jml.yaml")
	for _, kind := range []string{"flow", "repo"} {
		if k1, k2 := c1.key(kind, []byte("a")), c2.key(kind, []byte("a")); k1 == k2 {
			t.Errorf("%s keys do not depend on the schemas", kind)
		}
	}
	if c1.key("flow", []byte("ab"), []byte("c")) == c1.key("flow", []byte("a"), []byte("bc")) {
		t.Error("keys of different parts collide")
	}
	var fa fileAnswer
	for _, f := range flows {
		src, _ := os.ReadFile(f)
		sum := sha256Sum(src)
		display := Display(dir, f)
		if !c1.get("flow", c1.key("flow", []byte(display), sum), &fa) {
			t.Fatalf("no entry for %s under v1", display)
		}
		if c2.get("flow", c2.key("flow", []byte(display), sum), &fa) {
			t.Fatalf("an entry for %s under other schemas", display)
		}
	}

	// Another jml.yaml: the flow files' own checks are still good, the
	// repository's answer is not (an instance renamed: every card that
	// uses it is now an error).
	cfgPath := filepath.Join(dir, "jml.yaml")
	cfg, _ := os.ReadFile(cfgPath)
	renamed := strings.Replace(string(cfg), "  okta:", "  okta2:", 1)
	if renamed == string(cfg) {
		t.Fatal("jml.yaml has no okta instance to rename")
	}
	writeFile(t, cfgPath, renamed)
	want, _ := load(t, dir, false, "v1")
	if want.Errors == 0 {
		t.Fatal("renaming the instance made no error")
	}
	got, p := load(t, dir, true, "v1")
	sameAnswer(t, "jml.yaml changed", got, want)
	if p.Cached() || p.cache.hits["flow"] != len(flows) {
		t.Errorf("want every flow file's own checks from the cache and the repository checked again: hits %v, misses %v", p.cache.hits, p.cache.misses)
	}

	// A file renamed (same bytes, another display path) is checked again:
	// its diagnostics name the path.
	if err := os.Rename(flows[0], flows[0]+".yml"); err != nil {
		t.Fatal(err)
	}
	want, _ = load(t, dir, false, "v1")
	got, p = load(t, dir, true, "v1")
	sameAnswer(t, "file renamed", got, want)
	if p.cache.misses["flow"] != 1 {
		t.Errorf("a renamed file was not checked again: misses %v", p.cache.misses)
	}
}

// TestCacheCorruptEntries: entries cut short, overwritten, moved under
// another key or unreadable are misses, never errors: the answer is a
// cold run's and the entries are written again.
func TestCacheCorruptEntries(t *testing.T) {
	t.Parallel()
	repos := cacheRepos(t)
	for _, name := range []string{"ok", "all-errors"} {
		dir := repos[name]
		t.Run(name, func(t *testing.T) {
			want, _ := load(t, dir, false, "test")
			load(t, dir, true, "test")
			cdir := filepath.Join(dir, CacheDir)
			entries, _ := filepath.Glob(filepath.Join(cdir, "*.json"))
			packs, _ := filepath.Glob(filepath.Join(cdir, "*.pack"))
			if len(packs) != 1 {
				t.Fatalf("%d packs, want 1", len(packs))
			}
			entries = append(entries, packs...)
			if len(entries) < 2 {
				t.Fatalf("only %d cache entries", len(entries))
			}
			for i, e := range entries {
				data, err := os.ReadFile(e)
				if err != nil {
					t.Fatal(err)
				}
				switch i % 4 {
				case 0: // cut short
					data = data[:len(data)/2]
				case 1: // not JSON
					data = []byte("\x00\xff garbage")
				case 2: // another entry's content under this name
					other, _ := os.ReadFile(entries[(i+1)%len(entries)])
					data = other
				case 3: // a valid entry of another shape
					data = []byte(fmt.Sprintf(`{"key":%q,"value":{"parsed":"yes"}}`, strings.TrimSuffix(filepath.Base(e), ".json")))
				}
				writeFile(t, e, string(data))
			}
			got, p := load(t, dir, true, "test")
			sameAnswer(t, "corrupt cache", got, want)
			if p.Cached() || p.cache.hits["flow"] != 0 {
				t.Errorf("a corrupt entry was believed: hits %v", p.cache.hits)
			}
			// Rewritten: the next run is answered from the cache.
			got, p = load(t, dir, true, "test")
			sameAnswer(t, "rewritten cache", got, want)
			if !p.Cached() {
				t.Error("corrupt entries were not rewritten")
			}
			// An unreadable cache directory is no error either.
			if err := os.Chmod(cdir, 0); err != nil {
				t.Fatal(err)
			}
			defer os.Chmod(cdir, 0o700)
			got, _ = load(t, dir, true, "test")
			sameAnswer(t, "unreadable cache", got, want)
		})
	}
}

// TestCacheFileModes: .jml and the cache are the owner's alone, like the
// Flow History beside them.
// Not parallel: it sets the process's umask.
func TestCacheFileModes(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, filepath.Join(validateData, "base"), dir)
	// A umask that would let others read must not.
	old := syscall.Umask(0)
	load(t, dir, true, "test")
	syscall.Umask(old)
	for _, d := range []string{".jml", ".jml/cache", CacheDir} {
		st, err := os.Stat(filepath.Join(dir, d))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v, want 0700", d, st.Mode().Perm())
		}
	}
	entries, _ := filepath.Glob(filepath.Join(dir, CacheDir, "*"))
	if len(entries) == 0 {
		t.Fatal("no cache entries")
	}
	for _, e := range entries {
		st, err := os.Stat(e)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 || !strings.HasSuffix(e, ".json") && !strings.HasSuffix(e, ".pack") && filepath.Base(e) != IndexName {
			t.Errorf("%s: mode %v, want a 0600 .json entry, .pack or the stat index", e, st.Mode().Perm())
		}
	}
}

// TestCachePrune: a run that writes bounds the cache, removing the entries
// it did not use, oldest first, and keeping every entry it used.
func TestCachePrune(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	copyTree(t, filepath.Join(validateData, "base"), dir)
	cdir := filepath.Join(dir, CacheDir)
	if err := os.MkdirAll(cdir, 0o700); err != nil {
		t.Fatal(err)
	}
	stale := MinCacheEntries + 100
	for i := 0; i < stale; i++ {
		writeFile(t, filepath.Join(cdir, fmt.Sprintf("%064x.json", i)), "{}")
	}
	dead := filepath.Join(cdir, ".0123456789abcdef-12345.tmp")
	writeFile(t, dead, "half")
	old := mustTime(t, "2020-01-01T00:00:00Z")
	os.Chtimes(dead, old, old)
	// The oldest go first: the last 200 written are made the oldest
	// (writeFile dates the files in 2001, one a second).
	first := mustTime(t, "1999-01-01T00:00:00Z")
	for i := stale - 200; i < stale; i++ {
		at := first.Add(time.Duration(i) * time.Minute)
		os.Chtimes(filepath.Join(cdir, fmt.Sprintf("%064x.json", i)), at, at)
	}
	// Files put did not write are never removed, however old.
	for _, name := range []string{"notes.json", "README", ".keep.tmp"} {
		writeFile(t, filepath.Join(cdir, name), "mine")
		os.Chtimes(filepath.Join(cdir, name), old, old)
	}
	_, p := load(t, dir, true, "test")
	entries, _ := filepath.Glob(filepath.Join(cdir, "*[0-9a-f].json"))
	if len(entries) != MinCacheEntries {
		t.Errorf("%d entries after pruning, want %d", len(entries), MinCacheEntries)
	}
	for key := range p.cache.used {
		if _, err := os.Stat(p.cache.path(key)); err != nil {
			t.Errorf("an entry this run used was pruned: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(cdir, fmt.Sprintf("%064x.json", stale-200))); err == nil {
		t.Error("the oldest entry was kept")
	}
	for i := 0; i < stale-200; i++ {
		if _, err := os.Stat(filepath.Join(cdir, fmt.Sprintf("%064x.json", i))); err != nil {
			t.Fatalf("entry %d, newer than 200 others, was pruned: %v", i, err)
		}
	}
	if _, err := os.Stat(dead); err == nil {
		t.Error("a temporary file of a dead write was kept")
	}
	for _, name := range []string{"notes.json", "README", ".keep.tmp"} {
		if _, err := os.Stat(filepath.Join(cdir, name)); err != nil {
			t.Errorf("pruning removed %s, which is not an entry", name)
		}
	}
	// A warm run (nothing written) leaves the cache alone.
	writeFile(t, filepath.Join(cdir, fmt.Sprintf("%064x.json", stale+1)), "{}")
	if _, p := load(t, dir, true, "test"); !p.Cached() {
		t.Fatal("not answered from the cache")
	}
	entries, _ = filepath.Glob(filepath.Join(cdir, "*[0-9a-f].json"))
	if len(entries) != MinCacheEntries+1 {
		t.Errorf("a run that wrote nothing pruned: %d entries", len(entries))
	}
}

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// TestCacheConcurrentRuns: validates of one repository at the same time
// (CI jobs, an editor and a terminal) all get a cold run's answer, write
// whole entries only, and leave a cache the next run is answered from.
func TestCacheConcurrentRuns(t *testing.T) {
	t.Parallel()
	dir := cacheRepos(t)["all-errors"]
	want, _ := load(t, dir, false, "test")
	got := make([]answer, 8)
	done := make(chan int)
	for i := range got {
		go func() {
			p, ds := Load(Options{Dir: dir, WorkDir: dir, Cache: true, Build: "test"})
			shown, _ := ds.Normalize(1 << 20)
			a := answer{Diags: shown, Files: p.FileCount}
			a.Errors, a.Warn = ds.Count()
			a.Flows, a.Cards = p.Stats()
			got[i] = a
			done <- i
		}()
	}
	for range got {
		<-done
	}
	for i, a := range got {
		sameAnswer(t, fmt.Sprintf("run %d", i), a, want)
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, CacheDir, "*.tmp")); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
	warm, p := load(t, dir, true, "test")
	sameAnswer(t, "after", warm, want)
	if !p.Cached() {
		t.Error("the cache concurrent runs wrote does not answer")
	}
}

// TestCacheSymlink: a repository whose .jml, .jml/cache or cache directory
// is a symbolic link (a checked-out pull request may hold one) gets no
// cache: nothing is read, written or pruned through the link.
func TestCacheSymlink(t *testing.T) {
	t.Parallel()
	for _, link := range []string{".jml", ".jml/cache", CacheDir} {
		t.Run(strings.ReplaceAll(link, "/", "_"), func(t *testing.T) {
			dir := t.TempDir()
			copyTree(t, filepath.Join(validateData, "base"), dir)
			target := t.TempDir()
			// The user's own files, named as entries would be.
			for i := 0; i < MinCacheEntries+10; i++ {
				writeFile(t, filepath.Join(target, fmt.Sprintf("%064x.json", i)), "precious")
			}
			linkPath := filepath.Join(dir, filepath.FromSlash(link))
			if err := os.MkdirAll(filepath.Dir(linkPath), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, linkPath); err != nil {
				t.Fatal(err)
			}
			want, _ := load(t, dir, false, "test")
			for range 2 {
				got, p := load(t, dir, true, "test")
				sameAnswer(t, "symlinked cache", got, want)
				if p.Cached() {
					t.Error("answered through a symbolic link")
				}
			}
			des, _ := os.ReadDir(target)
			if len(des) != MinCacheEntries+10 {
				t.Errorf("the link's target holds %d files, want the %d it had", len(des), MinCacheEntries+10)
			}
		})
	}
}

// TestCacheTimeZones: a schedule's time zone is checked against the
// system's time-zone database, the one input of compile outside the
// repository and jml: a cached answer is used only while every zone it
// looked up still loads, or still does not.
func TestCacheTimeZones(t *testing.T) {
	t.Parallel()
	dir := okRepo(t)
	sched := filepath.Join(dir, "flows", "schedule.yaml")
	src, _ := os.ReadFile(sched)
	mars := strings.Replace(string(src), "timezone: Europe/Paris", "timezone: Mars/Olympus", 1)
	if mars == string(src) {
		t.Fatal("schedule.yaml has no Europe/Paris to change")
	}
	writeFile(t, sched, mars)
	want, _ := load(t, dir, false, "test")
	if want.Errors == 0 {
		t.Fatal("Mars/Olympus is a time zone here")
	}
	opts := Options{Dir: dir, WorkDir: dir, Cache: true, Build: "test"}
	Load(opts)
	if p, _ := Load(opts); !p.Cached() {
		t.Fatal("not answered from the cache")
	}
	// The database changed: Mars/Olympus now loads (and Europe/Paris
	// still does). The cached answer is not used.
	opts.zoneOK = func(name string) bool { return name == "Mars/Olympus" || name == "Europe/Paris" }
	p, ds := Load(opts)
	if p.Cached() {
		t.Error("a cached answer was used after a time zone it looked up changed")
	}
	shown, _ := ds.Normalize(1 << 20)
	if !reflect.DeepEqual(shown, want.Diags) {
		t.Errorf("answer %v, want %v", shown, want.Diags)
	}
}
