package project

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func indexPath(dir string) string { return filepath.Join(dir, CacheDir, IndexName) }

// quotedFiles is the flow files a run's diagnostics name.
func quotedFiles(a answer) map[string]bool {
	files := map[string]bool{}
	for _, d := range a.Diags {
		if strings.HasSuffix(d.Range.File, ".yaml") && d.Range.File != ConfigName {
			files[d.Range.File] = true
		}
	}
	return files
}

// TestIndexWarmReadsOnlyWhatItQuotes: a warm run reads no flow file but
// those its diagnostics quote, gives a cold run's answer, and has every
// quoted file's bytes for the snippets.
func TestIndexWarmReadsOnlyWhatItQuotes(t *testing.T) {
	if !stampsSupported {
		t.Skip("no stat index on this platform")
	}
	t.Parallel()
	clean := 0
	for name, dir := range cacheRepos(t) {
		t.Run(name, func(t *testing.T) {
			want, _ := load(t, dir, false, "test")
			load(t, dir, true, "test")
			got, p := load(t, dir, true, "test")
			sameAnswer(t, "warm", got, want)
			if !p.Cached() {
				t.Fatal("not answered from the cache")
			}
			quoted := quotedFiles(got)
			if n := p.index.reads.Load(); n != int64(len(quoted)) {
				t.Errorf("a warm run read %d flow files, want %d (those its diagnostics quote: %v)", n, len(quoted), quoted)
			}
			if len(quoted) == 0 {
				clean++
			}
			for f := range quoted {
				disk, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					continue // a diagnostic of a file that cannot be read
				}
				if pf := p.Files[f]; pf == nil || !bytes.Equal(pf.Src, disk) {
					t.Errorf("%s: quoted without its bytes", f)
				}
			}
		})
	}
	if clean < 3 {
		t.Errorf("only %d repositories read no file: the test proves little", clean)
	}
}

// TestIndexSeesEveryChange: a change of a file's bytes is seen whatever
// else stays: the same size and modification time (the change time
// differs), or a new file renamed over it (the inode differs).
func TestIndexSeesEveryChange(t *testing.T) {
	if !stampsSupported {
		t.Skip("no stat index on this platform")
	}
	t.Parallel()
	dir := okRepo(t)
	leaver := filepath.Join(dir, "flows", "schedule.yaml")
	src, err := os.ReadFile(leaver)
	if err != nil {
		t.Fatal(err)
	}
	// The same length: deactivateUser → deactivateUsr + a space.
	broken := strings.Replace(string(src), "okta.deactivateUser", "okta.deactivateUsr ", 1)
	if len(broken) != len(src) || broken == string(src) {
		t.Fatal("schedule.yaml has no okta.deactivateUser to change")
	}
	for _, how := range []string{"in place, same mtime", "renamed over"} {
		t.Run(how, func(t *testing.T) {
			writeFile(t, leaver, string(src))
			load(t, dir, true, "test")
			first, p := load(t, dir, true, "test")
			if p.index.reads.Load() != 0 || first.Errors != 0 {
				t.Fatalf("the warm run read %d files, %d errors", p.index.reads.Load(), first.Errors)
			}
			before, _ := statFile(leaver)
			switch how {
			case "in place, same mtime":
				if err := os.WriteFile(leaver, []byte(broken), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(leaver, time.Unix(0, before.mtime), time.Unix(0, before.mtime)); err != nil {
					t.Fatal(err)
				}
			case "renamed over":
				tmp := leaver + ".tmp"
				if err := os.WriteFile(tmp, []byte(broken), 0o644); err != nil {
					t.Fatal(err)
				}
				os.Chtimes(tmp, time.Unix(0, before.mtime), time.Unix(0, before.mtime))
				if err := os.Rename(tmp, leaver); err != nil {
					t.Fatal(err)
				}
			}
			after, _ := statFile(leaver)
			if after == before {
				t.Fatalf("the change left the file's stamp as it was (%+v): the file system's clock did not move", after)
			}
			want, _ := load(t, dir, false, "test")
			got, p := load(t, dir, true, "test")
			sameAnswer(t, how, got, want)
			if want.Errors == 0 || p.index.reads.Load() != 1 {
				t.Errorf("want the changed file read (1 read, an error): %d reads, %d errors", p.index.reads.Load(), want.Errors)
			}
		})
	}
}

// TestIndexRacy: with the real clock, a file changed within
// IndexRacyWindow of its stamp is read again on every run; once its
// stamp is older than that, it is not.
func TestIndexRacy(t *testing.T) {
	if !stampsSupported {
		t.Skip("no stat index on this platform")
	}
	t.Parallel()
	dir := okRepo(t)
	flows, _ := filepath.Glob(filepath.Join(dir, "flows", "*.yaml"))
	at := time.Now()
	clock := func() time.Time { return at }
	opts := Options{Dir: dir, WorkDir: dir, Cache: true, Build: "test", now: clock}
	for run := 1; run <= 2; run++ {
		p, _ := Load(opts)
		if n := p.index.reads.Load(); n != int64(len(flows)) {
			t.Errorf("run %d, files just written: %d read, want all %d", run, n, len(flows))
		}
	}
	// The same files, stamped IndexRacyWindow after they last changed.
	at = at.Add(IndexRacyWindow + time.Second)
	if p, _ := Load(opts); p.index.reads.Load() != int64(len(flows)) {
		t.Errorf("the run that stamps them again read %d files, want %d", p.index.reads.Load(), len(flows))
	}
	if p, _ := Load(opts); p.index.reads.Load() != 0 {
		t.Errorf("files stamped long after they changed were read again: %d", p.index.reads.Load())
	}
}

// TestIndexWrongOrCorrupt: an index whose hash for a file is not the
// file's (the file changed between its stat and its read) makes the run
// read every file — the answer is a cold run's, and the next index is
// right; an index cut short or altered is no index.
func TestIndexWrongOrCorrupt(t *testing.T) {
	if !stampsSupported {
		t.Skip("no stat index on this platform")
	}
	t.Parallel()
	for _, damage := range []string{"wrong hash", "cut short", "altered"} {
		t.Run(damage, func(t *testing.T) {
			dir := okRepo(t)
			flows, _ := filepath.Glob(filepath.Join(dir, "flows", "*.yaml"))
			want, _ := load(t, dir, false, "test")
			load(t, dir, true, "test")
			data, err := os.ReadFile(indexPath(dir))
			if err != nil {
				t.Fatal(err)
			}
			switch damage {
			case "wrong hash":
				// Every entry names another file's bytes, and the index's
				// own checksum is right.
				body := data[len(indexHead) : len(data)-sealLen]
				var out bytes.Buffer
				out.WriteString(indexHead)
				for _, line := range strings.SplitAfter(string(body), "\n") {
					if line != "" {
						out.WriteString(strings.Repeat("ab", sha256.Size) + line[2*sha256.Size:])
					}
				}
				out.WriteString(sealOf(out.Bytes()))
				data = out.Bytes()
			case "cut short":
				data = data[:len(data)/2]
			case "altered":
				data = bytes.Replace(data, []byte("schedule.yaml"), []byte("schedulx.yaml"), 1)
			}
			if err := os.WriteFile(indexPath(dir), data, 0o600); err != nil {
				t.Fatal(err)
			}
			got, p := load(t, dir, true, "test")
			sameAnswer(t, damage, got, want)
			if n := p.index.reads.Load(); n != int64(len(flows)) {
				t.Errorf("%d files read, want all %d", n, len(flows))
			}
			got, p = load(t, dir, true, "test")
			sameAnswer(t, damage+", the run after", got, want)
			if n := p.index.reads.Load(); n != 0 || !p.Cached() {
				t.Errorf("the run after read %d files (cached %v): the index was not written anew", n, p.Cached())
			}
		})
	}
}

// TestIndexFileChangedWhileRead: a file whose bytes change between its
// stat and its read (the index names its old bytes under its new stamp)
// makes the run stale: its answer is not used and nothing it worked out
// is written — otherwise the new bytes' compile would be cached under the
// old bytes' key, and answer for them once the file is changed back.
func TestIndexFileChangedWhileRead(t *testing.T) {
	if !stampsSupported {
		t.Skip("no stat index on this platform")
	}
	t.Parallel()
	dir := okRepo(t)
	leaver := filepath.Join(dir, "flows", "schedule.yaml")
	a, err := os.ReadFile(leaver)
	if err != nil {
		t.Fatal(err)
	}
	b := strings.Replace(string(a), "okta.deactivateUser", "okta.deactivateUsr", 1)
	cfgPath := filepath.Join(dir, "jml.yaml")
	cfg, _ := os.ReadFile(cfgPath)
	load(t, dir, true, "test") // flow, unit and repository answers of a

	// jml.yaml changes (every unit compiles again) and the leaver becomes
	// b, but the index says a under b's stamp.
	writeFile(t, cfgPath, string(cfg)+"# another jml.yaml\n")
	writeFile(t, leaver, b)
	st, _ := statFile(leaver)
	abs, _ := filepath.Abs(leaver)
	x := openIndex(openCache(dir, "test", ""), indexClock, true)
	e, ok := x.in[abs]
	if !ok {
		t.Fatalf("no index entry for %s", abs)
	}
	x.out, x.changed = x.in, true
	x.out[abs] = indexEntry{sum: sha256.Sum256(a), st: st, stamped: e.stamped}
	x.flush(openCache(dir, "test", ""))

	want, _ := load(t, dir, false, "test")
	got, _ := load(t, dir, true, "test")
	sameAnswer(t, "changed while read", got, want)
	if want.Errors == 0 {
		t.Fatal("b has no error")
	}
	// Back to a: a's answer, not b's compile cached under a's key.
	writeFile(t, leaver, string(a))
	want, _ = load(t, dir, false, "test")
	got, _ = load(t, dir, true, "test")
	sameAnswer(t, "changed back", got, want)
}

// FuzzParseIndex: any bytes read as a stat index give entries or none,
// never a panic; entries read are what writing them gives back.
func FuzzParseIndex(f *testing.F) {
	good := func(lines ...string) []byte {
		b := indexHead + strings.Join(lines, "")
		return []byte(b + sealOf([]byte(b)))
	}
	h := strings.Repeat("0f", sha256.Size)
	f.Add(good(h + " 10 1 2 3 4 33188 99 \"/r/flows/a.yaml\"\n"))
	f.Add(good(h+" 10 -1 2 3 4 33188 99 \"/r/flows/a b\\n.yaml\"\n", h+" 0 0 0 0 0 0 0 \"/x\"\n"))
	f.Add(good(h + " 10 1 2 3 4 33188 99 \"relative.yaml\"\n"))
	f.Add([]byte(indexHead))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := parseIndex(data)
		if len(in) == 0 {
			return
		}
		dir := t.TempDir()
		c := &cache{dir: dir}
		x := &fileIndex{path: filepath.Join(dir, IndexName), in: map[string]indexEntry{}, out: in, changed: true}
		x.flush(c)
		back, err := os.ReadFile(x.path)
		if err != nil {
			t.Fatal(err)
		}
		again := parseIndex(back)
		if len(again) != len(in) {
			t.Fatalf("%d entries read, %d after writing them", len(in), len(again))
		}
		for p, e := range in {
			if !filepath.IsAbs(p) || again[p] != e {
				t.Fatalf("entry %q: %+v, after writing it %+v", p, e, again[p])
			}
		}
	})
}
