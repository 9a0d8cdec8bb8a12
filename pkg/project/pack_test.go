package project

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// packOf returns the path of the repository's one pack.
func packOf(t *testing.T, dir string) string {
	t.Helper()
	packs, _ := filepath.Glob(filepath.Join(dir, CacheDir, "*.pack"))
	if len(packs) != 1 {
		t.Fatalf("%d packs, want 1", len(packs))
	}
	return packs[0]
}

// rehash rewrites a pack's last line for its (edited) body.
func rehash(data []byte) []byte {
	end := bytes.LastIndex(data[:len(data)-1], []byte("\nend "))
	body := data[:end+1]
	return append(append([]byte{}, body...), sealOf(body)...)
}

// TestPackCorrupt: a pack that does not hash to its last line, is of
// another key or is cut short holds nothing; an entry of another shape in
// a pack that hashes is a miss on its own. Never an error, never another
// answer.
func TestPackCorrupt(t *testing.T) {
	t.Parallel()
	dir := cacheRepos(t)["flows"]
	want, _ := loadRaw(t, dir, false)
	loadRaw(t, dir, true)
	pack := packOf(t, dir)
	good, err := os.ReadFile(pack)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(good, []byte("\n"))
	entries := len(lines) - 3 // head, end, and the empty string after the last newline
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0x20
	otherKey := bytes.Replace(good, []byte(filepath.Base(strings.TrimSuffix(pack, ".pack"))), []byte(strings.Repeat("0", 64)), 1)
	// One entry of another shape, the pack's hash right.
	i := bytes.Index(good, []byte(` {"parsed":`))
	shape := rehash(append(append(bytes.Clone(good[:i+1]), `{"parsed":"yes"}`...), good[bytes.IndexByte(good[i:], '\n')+i:]...))
	for _, tc := range []struct {
		name string
		data []byte
		// hits is how many entries answer.
		hits int
	}{
		{"intact", good, entries},
		{"a byte changed", flipped, 0},
		{"another pack's key", rehash(otherKey), 0},
		{"cut short", good[:len(good)-10], 0},
		{"cut at an entry", good[:bytes.LastIndex(good, []byte("\nend "))+1], 0},
		{"empty", nil, 0},
		{"an entry of another shape", shape, entries - 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			writeFile(t, pack, string(tc.data))
			// The repository's own entry would answer before the pack is read.
			repos, _ := filepath.Glob(filepath.Join(dir, CacheDir, "*.json"))
			for _, r := range repos {
				os.Remove(r)
			}
			got, p := loadRaw(t, dir, true)
			if !equalAnswers(got, want) {
				t.Fatalf("answer %+v, want %+v", got, want)
			}
			hits := p.cache.hits["flow"] + p.cache.hits["unit"] + p.cache.hits["config"]
			if hits != tc.hits {
				t.Errorf("%d entries answered from the pack, want %d (hits %v, misses %v)", hits, tc.hits, p.cache.hits, p.cache.misses)
			}
			// Whatever was read, the pack is whole again.
			if data, _ := os.ReadFile(pack); !bytes.Equal(data, good) {
				t.Errorf("the pack was not written again as it was")
			}
		})
	}
}

// TestPackWrittenOnlyWhenItChanges: a run whose entries all come from the
// pack does not write it; a run that compiles a file again does, and the
// pack then holds what that run used (a removed file's entries go).
func TestPackWrittenOnlyWhenItChanges(t *testing.T) {
	t.Parallel()
	dir := cacheRepos(t)["flows"]
	loadRaw(t, dir, true)
	pack := packOf(t, dir)
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	os.Chtimes(pack, old, old)
	repos, _ := filepath.Glob(filepath.Join(dir, CacheDir, "*.json"))
	for _, r := range repos {
		os.Remove(r)
	}
	if _, p := loadRaw(t, dir, true); p.cache.misses["flow"]+p.cache.misses["unit"] != 0 {
		t.Fatalf("misses %v", p.cache.misses)
	}
	if st, _ := os.Stat(pack); !st.ModTime().Equal(old) {
		t.Error("a pack that answered every entry was written again")
	}
	before, _ := os.ReadFile(pack)
	if err := os.Remove(filepath.Join(dir, "mover.yaml")); err != nil {
		t.Fatal(err)
	}
	loadRaw(t, dir, true)
	after, _ := os.ReadFile(pack)
	if n, m := bytes.Count(before, []byte("\n")), bytes.Count(after, []byte("\n")); m != n-2 {
		t.Errorf("a file removed: the pack has %d lines, want %d (its flow entry and its unit gone)", m, n-2)
	}
}

// TestPackPerDirectoryAndPruned: validating from another directory prints
// other paths, so uses a pack of its own, beside the first; packs of
// other builds go, but the newest MaxOtherPacks.
func TestPackPerDirectoryAndPruned(t *testing.T) {
	t.Parallel()
	dir := cacheRepos(t)["flows"]
	cdir := filepath.Join(dir, CacheDir)
	Load(Options{Dir: dir, WorkDir: dir, Cache: true, Build: "test"})
	Load(Options{Dir: dir, WorkDir: filepath.Dir(dir), Cache: true, Build: "test"})
	packs, _ := filepath.Glob(filepath.Join(cdir, "*.pack"))
	if len(packs) != 2 {
		t.Fatalf("%d packs after validating from two directories, want 2", len(packs))
	}
	// Five packs of other builds, older and older.
	for i := 0; i < 5; i++ {
		name := filepath.Join(cdir, fmt.Sprintf("%064x.pack", i+1))
		writeFile(t, name, "old")
		at := time.Now().Add(-time.Duration(i+1) * time.Hour)
		os.Chtimes(name, at, at)
	}
	// A run that writes (another build: every entry new) prunes.
	p, _ := Load(Options{Dir: dir, WorkDir: dir, Cache: true, Build: "other"})
	packs, _ = filepath.Glob(filepath.Join(cdir, "*.pack"))
	if len(packs) != MaxOtherPacks+1 {
		t.Errorf("%d packs after pruning, want this run's and %d others", len(packs), MaxOtherPacks)
	}
	if _, err := os.Stat(filepath.Join(cdir, p.cache.pack+".pack")); err != nil {
		t.Errorf("this run's pack was pruned: %v", err)
	}
	// Kept: the two of the first build (the newest) and the newest old one.
	for i := 1; i <= 5; i++ {
		_, err := os.Stat(filepath.Join(cdir, fmt.Sprintf("%064x.pack", i)))
		if kept := err == nil; kept != (i == 1) {
			t.Errorf("old pack %d: kept %v", i, kept)
		}
	}
}

func equalAnswers(a, b rawAnswer) bool { return fmt.Sprintf("%+v", a) == fmt.Sprintf("%+v", b) }
