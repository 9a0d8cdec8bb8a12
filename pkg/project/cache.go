package project

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jml-dev/jml/pkg/diag"
)

// CacheDir is where validate keeps its answers, relative to the repository
// root (the directory of jml.yaml); jml init git-ignores .jml/.
const CacheDir = ".jml/cache/validate"

// cacheFormat changes when the shape or the meaning of an entry does.
const cacheFormat = "jml-validate-cache/1"

// MinCacheEntries is the least number of entries the cache keeps; it keeps
// up to four per file of the repository when that is more (see prune).
const MinCacheEntries = 2048

// cache is validate's content-addressed cache. An entry is a file named by
// the sha256 of everything its answer depends on: jml's build, the embedded
// schemas, the file's display path and bytes (a file entry), or those of
// jml.yaml and every flow file (a repository entry). An entry is only ever
// a function of its key, so a hit gives the answer a cold run would, and a
// missing, unreadable or corrupt entry is a miss: the answer is worked out
// again and the entry rewritten. Entries are written whole to a temporary
// file and renamed, so concurrent jml processes never read half of one.
type cache struct {
	dir  string
	salt string

	mu    sync.Mutex
	used  map[string]bool
	wrote bool
	// hits and misses count lookups by kind ("flow", "repo"): what the
	// tests check a warm run against.
	hits, misses map[string]int
}

// openCache returns the cache of the repository at root; build identifies
// the jml binary (its version and build) and schemas the JSON Schemas
// (schema.Digest): both are part of every key.
func openCache(root, build, schemas string) *cache {
	dir := filepath.Join(root, filepath.FromSlash(CacheDir))
	// A repository is someone else's input: a .jml, cache or validate that
	// is a symbolic link (or not a directory) could point the writes and
	// the pruning at any directory of the user's. Then there is no cache.
	for _, p := range []string{filepath.Join(root, ".jml"), filepath.Join(root, ".jml", "cache"), dir} {
		if st, err := os.Lstat(p); err == nil && !st.IsDir() {
			dir = ""
			break
		}
	}
	return &cache{
		dir:  dir,
		salt: cacheFormat + "\x00" + build + "\x00" + schemas,
		used: map[string]bool{}, hits: map[string]int{}, misses: map[string]int{},
	}
}

// key hashes the salt and parts, each length-prefixed so that no two lists
// of parts hash alike.
func (c *cache) key(kind string, parts ...[]byte) string {
	h := sha256.New()
	for _, p := range append([][]byte{[]byte(c.salt), []byte(kind)}, parts...) {
		var n [8]byte
		for i, l := 0, len(p); i < 8; i, l = i+1, l>>8 {
			n[i] = byte(l)
		}
		h.Write(n[:])
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// entry is the file an answer is stored in; Key is checked on reading, so
// that a file renamed or written over by anything else is not believed.
type entry struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

func (c *cache) path(key string) string { return filepath.Join(c.dir, key+".json") }

// get reads the entry of key (made by c.key(kind, …)) into v; false on
// any failure (a miss).
func (c *cache) get(kind, key string, v any) bool {
	ok := c.read(key, v)
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok {
		c.used[key] = true
		c.hits[kind]++
	} else {
		c.misses[kind]++
	}
	return ok
}

func (c *cache) read(key string, v any) bool {
	if c.dir == "" {
		return false
	}
	data, err := os.ReadFile(c.path(key))
	if err != nil {
		return false
	}
	var e entry
	if json.Unmarshal(data, &e) != nil || e.Key != key {
		return false
	}
	// A value of another shape (a field this version does not write) is
	// no answer: read strictly, it is a miss and is written again.
	d := json.NewDecoder(bytes.NewReader(e.Value))
	d.DisallowUnknownFields()
	return d.Decode(v) == nil
}

// put writes the entry of key. Failures are silent: the cache only ever
// saves time, and a repository on a read-only disk still validates.
func (c *cache) put(key string, v any) {
	if c.dir == "" {
		return
	}
	c.mu.Lock()
	c.used[key] = true
	c.wrote = true
	c.mu.Unlock()
	// .jml holds the Flow History too: the owner's alone.
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return
	}
	f, err := os.CreateTemp(c.dir, "."+key[:16]+"-*.tmp") // 0600
	if err != nil {
		return
	}
	// The entry is encoded straight into the file, the value once: an
	// answer of 10,000 diagnostics is not held twice more in memory.
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "{\"key\":%q,\"value\":", key)
	err = json.NewEncoder(w).Encode(v)
	if err == nil {
		w.WriteString("}\n")
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), c.path(key))
	}
	if err != nil {
		os.Remove(f.Name())
	}
}

// prune bounds the cache after a run that wrote to it: when it holds more
// than max(MinCacheEntries, 4 × files) entries, those this run did not use
// go, oldest first, until it holds that many; temporary files of writes
// that died (older than an hour) go too. A run that only read (nothing
// changed) leaves the cache alone and costs nothing.
func (c *cache) prune(files int) {
	if !c.wrote || c.dir == "" {
		return
	}
	limit := max(MinCacheEntries, 4*files)
	des, err := os.ReadDir(c.dir)
	if err != nil {
		return
	}
	type old struct {
		name string
		mod  time.Time
	}
	var stale []old
	n := 0
	for _, de := range des {
		name := de.Name()
		// Only what put writes is ever removed.
		if !de.Type().IsRegular() || !entryName.MatchString(name) {
			continue
		}
		if strings.HasSuffix(name, ".tmp") {
			if info, err := de.Info(); err == nil && time.Since(info.ModTime()) > time.Hour {
				os.Remove(filepath.Join(c.dir, name))
			}
			continue
		}
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		n++
		if c.used[strings.TrimSuffix(name, ".json")] {
			continue
		}
		if info, err := de.Info(); err == nil {
			stale = append(stale, old{name, info.ModTime()})
		}
	}
	sort.Slice(stale, func(i, j int) bool { return stale[i].mod.Before(stale[j].mod) })
	for _, s := range stale {
		if n <= limit {
			break
		}
		if os.Remove(filepath.Join(c.dir, s.name)) == nil {
			n--
		}
	}
}

// entryName matches the names put writes: KEY.json, and .KEY[:16]-N.tmp
// while it writes.
var entryName = regexp.MustCompile(`^(?:[0-9a-f]{64}\.json|\.[0-9a-f]{16}-[0-9]+\.tmp)$`)

// fileAnswer is what one flow file's own checks found: the load phase
// (YAML, duplicate keys, limits) and, when it parsed, the schema phase and
// the literal-secret check. It depends on the file's bytes and display
// path alone.
type fileAnswer struct {
	Parsed bool             `json:"parsed"`
	Load   diag.Diagnostics `json:"load,omitempty"`
	Check  diag.Diagnostics `json:"check,omitempty"`
}

// repoAnswer is what the phases after loading found for a whole
// repository (config schema, every flow's checks, compile and lint: the
// cross-file checks), with the counts of validate's summary. Its key
// covers jml.yaml and every flow file, by display path and bytes.
type repoAnswer struct {
	// Load holds the flow files' load diagnostics (YAML errors), which do
	// not stop the phases after; Diags the diagnostics of those phases.
	Load  diag.Diagnostics `json:"load,omitempty"`
	Diags diag.Diagnostics `json:"diags,omitempty"`
	Flows int              `json:"flows"`
	Cards int              `json:"cards"`
	// Scopes are the OAuth scopes the flows need, per instance
	// (compile.Graph.Scopes), which validate prints.
	Scopes map[string][]string `json:"scopes,omitempty"`
	// Zones are the schedule time zones compile looked up, and whether
	// each loaded: the answer holds only while each still does.
	Zones map[string]bool `json:"zones,omitempty"`
}
