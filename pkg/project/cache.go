package project

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
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

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/diag"
)

// CacheDir is where validate keeps its answers, relative to the repository
// root (the directory of jml.yaml); jml init git-ignores .jml/.
const CacheDir = ".jml/cache/validate"

// cacheFormat changes when the shape or the meaning of an entry does.
const cacheFormat = "jml-validate-cache/5"

// MinCacheEntries is the least number of entries the cache keeps; it keeps
// up to four per file of the repository when that is more (see prune).
const MinCacheEntries = 2048

// MaxOtherPacks is how many packs a run keeps besides its own (see prune):
// those of other builds of jml, or of validating from another directory.
const MaxOtherPacks = 3

// packed are the kinds of entry kept in the pack (one a file of the
// repository, or jml.yaml) rather than in a file each.
var packed = map[string]bool{"flow": true, "config": true, "unit": true}

// cache is validate's content-addressed cache. An entry is named by the
// sha256 of everything its answer depends on: jml's build, the embedded
// schemas, the file's display path and bytes (a file entry), or those of
// jml.yaml and every flow file (a repository entry). An entry is only ever
// a function of its key, so a hit gives the answer a cold run would, and a
// missing, unreadable or corrupt entry is a miss: the answer is worked out
// again and the entry rewritten.
//
// A repository entry is a file of its own. The entries of each file (its
// own checks, its compiled unit) are many and small, and a run that checks
// one changed file again needs those of every other: they are kept
// together in one pack, the entries the last run used, read whole and
// written again when a run used other entries (pack.go). Files are
// written whole to a temporary file and renamed, so concurrent jml
// processes never read half of one.
type cache struct {
	dir      string
	salt     string
	saltOnce sync.Once
	saltSum  [sha256.Size]byte

	mu    sync.Mutex
	used  map[string]bool
	wrote bool
	// hits and misses count lookups by kind ("flow", "repo"): what the
	// tests check a warm run against.
	hits, misses map[string]int

	// pack is the key of this run's pack (usePack), read once (packOnce)
	// into packIn; packOut holds the entries this run used or wrote: the
	// next pack.
	pack     string
	packOnce sync.Once
	packIn   map[string][]byte
	packOut  map[string][]byte
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
		packOut: map[string][]byte{},
	}
}

// usePack names this run's pack by jml.yaml's display path: validating
// from another directory prints other paths, so it has other entries.
func (c *cache) usePack(config string) { c.pack = c.key("pack", []byte(config)) }

// key hashes the salt, kind and parts, each length-prefixed so that no
// two lists of parts hash alike. (The salt, jml's build information, is a
// few kilobytes: it is hashed once, and its digest is what each key
// hashes.)
func (c *cache) key(kind string, parts ...[]byte) string {
	c.saltOnce.Do(func() { c.saltSum = sha256.Sum256([]byte(c.salt)) })
	h := sha256.New()
	var n [8]byte
	for _, p := range append([][]byte{c.saltSum[:], []byte(kind)}, parts...) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(p)))
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
	_, ok := c.getValue(kind, key, v)
	return ok
}

// getValue is get, which also returns, of a packed kind, the entry's
// value as it is kept: what a repository's answer by answers hashes.
func (c *cache) getValue(kind, key string, v any) ([]byte, bool) {
	var data []byte
	var ok bool
	if packed[kind] {
		data, ok = c.getPacked(key, v)
	} else {
		ok = c.read(key, v)
	}
	c.count(kind, key, ok)
	return data, ok
}

// getRaw is get of a packed kind without decoding: the entry's value as
// it is kept, which is all a run that only hashes answers needs of it.
func (c *cache) getRaw(kind, key string) ([]byte, bool) {
	data, ok := c.packed(key)
	c.count(kind, key, ok)
	return data, ok
}

func (c *cache) count(kind, key string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok {
		if !packed[kind] { // the pack keeps its own (packOut)
			c.used[key] = true
		}
		c.hits[kind]++
	} else {
		c.misses[kind]++
	}
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
	return decodeValue(e.Value, v)
}

// An entry's value is JSON, encoded and decoded by
// github.com/go-json-experiment/json (the encoding/json/v2 to be), which
// decodes the pack's thousands of small answers in half the time of
// encoding/json (BenchmarkPackDecode): encodeValue and decodeValue are
// the cache's one codec, for the pack and the files alike.
var valueOpts = jsonv2.JoinOptions(
	jsonv2.RejectUnknownMembers(true),
	// A field at its zero value is left out (and read back as zero): the
	// compiled units' many false flags and empty fields were most of the
	// pack's bytes.
	jsonv2.OmitZeroStructFields(true),
	// What encoding/json does with bytes that are not UTF-8, which a
	// diagnostic may quote: written as U+FFFD rather than refused.
	jsontext.AllowInvalidUTF8(true),
)

// encodeValue returns the JSON of v, on one line (JSON strings escape
// newlines).
func encodeValue(v any) ([]byte, error) { return jsonv2.Marshal(v, valueOpts) }

// decodeValue decodes an entry's value strictly: a value of another shape
// (a field this version does not write) is no answer but a miss, and is
// written again.
func decodeValue(data []byte, v any) bool { return jsonv2.Unmarshal(data, v, valueOpts) == nil }

// put writes the entry of key, of the given kind. Failures are silent:
// the cache only ever saves time, and a repository on a read-only disk
// still validates. Of a packed kind, it returns the value as kept.
func (c *cache) put(kind, key string, v any) []byte {
	if c.dir == "" {
		return nil
	}
	if packed[kind] {
		return c.putPacked(key, v)
	}
	c.mu.Lock()
	c.used[key] = true
	c.wrote = true
	c.mu.Unlock()
	c.writeFile(key+".json", func(w *bufio.Writer) error {
		// The entry is encoded straight into the file, the value once: an
		// answer of 10,000 diagnostics is not held twice more in memory.
		fmt.Fprintf(w, "{\"key\":%q,\"value\":", key)
		if err := jsonv2.MarshalWrite(w, v, valueOpts); err != nil {
			return err
		}
		_, err := w.WriteString("}\n")
		return err
	})
	return nil
}

// writeFile writes the cache's file name whole: to a temporary file,
// renamed into place.
func (c *cache) writeFile(name string, write func(w *bufio.Writer) error) {
	// .jml holds the Flow History too: the owner's alone.
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return
	}
	f, err := os.CreateTemp(c.dir, "."+name[:min(16, len(name))]+"-*.tmp") // 0600
	if err != nil {
		return
	}
	w := bufio.NewWriter(f)
	err = write(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(c.dir, name))
	}
	if err != nil {
		os.Remove(f.Name())
	}
}

// prune bounds the cache after a run that wrote to it: when it holds more
// than max(MinCacheEntries, 4 × files) entries, those this run did not use
// go, oldest first, until it holds that many; of the packs other than this
// run's, all but the MaxOtherPacks newest go; temporary files of writes
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
	// The names are read first and a file's time only when something is
	// to be removed: a run under the limits (nearly every run) stats no
	// entry.
	var stale, packs []string
	n := 0
	for _, de := range des {
		name := de.Name()
		// Only what the cache writes is ever removed.
		if !de.Type().IsRegular() || !entryName.MatchString(name) {
			continue
		}
		if strings.HasSuffix(name, ".tmp") {
			if info, err := de.Info(); err == nil && time.Since(info.ModTime()) > time.Hour {
				os.Remove(filepath.Join(c.dir, name))
			}
			continue
		}
		if key, ok := strings.CutSuffix(name, ".pack"); ok {
			if key != c.pack {
				packs = append(packs, name)
			}
			continue
		}
		n++
		if !c.used[strings.TrimSuffix(name, ".json")] {
			stale = append(stale, name)
		}
	}
	// oldestFirst returns the names whose times could be read, oldest
	// first.
	oldestFirst := func(names []string) []string {
		type old struct {
			name string
			mod  time.Time
		}
		l := make([]old, 0, len(names))
		for _, name := range names {
			if info, err := os.Lstat(filepath.Join(c.dir, name)); err == nil {
				l = append(l, old{name, info.ModTime()})
			}
		}
		sort.Slice(l, func(i, j int) bool { return l[i].mod.Before(l[j].mod) })
		out := make([]string, len(l))
		for i, o := range l {
			out[i] = o.name
		}
		return out
	}
	if n > limit {
		for _, name := range oldestFirst(stale) {
			if n <= limit {
				break
			}
			if os.Remove(filepath.Join(c.dir, name)) == nil {
				n--
			}
		}
	}
	if len(packs) > MaxOtherPacks {
		packs = oldestFirst(packs)
		for i := 0; i < len(packs)-MaxOtherPacks; i++ {
			os.Remove(filepath.Join(c.dir, packs[i]))
		}
	}
}

// entryName matches the names the cache writes: KEY.json, KEY.pack, and
// .KEY[:16]-N.tmp while it writes them (.stat.index-N.tmp for the stat
// index, which is never pruned).
var entryName = regexp.MustCompile(`^(?:[0-9a-f]{64}\.(?:json|pack)|\.(?:[0-9a-f]{16}|stat\.index)-[0-9]+\.tmp)$`)

// fileAnswer is what one flow file's own checks found: the load phase
// (YAML, duplicate keys, limits) and, when it parsed, the schema phase and
// the literal-secret check. It depends on the file's bytes and display
// path alone.
type fileAnswer struct {
	Parsed bool             `json:"parsed"`
	Load   diag.Diagnostics `json:"load,omitempty"`
	Check  diag.Diagnostics `json:"check,omitempty"`
	// Interface is the flow's interface (compile.Interface), when the
	// checks found no error: what other flows' compile reads of it.
	Interface *compile.Interface `json:"interface,omitempty"`
}

// configAnswerEntry is jml.yaml's schema diagnostics; its key covers
// jml.yaml's display path and bytes.
type configAnswerEntry struct {
	Diags diag.Diagnostics `json:"diags,omitempty"`
}

// unitEntry is one flow's compile.Unit. Its key covers the flow file's
// display path and bytes, jml.yaml's display path and bytes, and the
// digest of every flow's interface (compile.InterfacesDigest): all a unit
// depends on but the time zone it looked up, which Zones records.
type unitEntry struct {
	Unit  compile.Unit    `json:"unit"`
	Zones map[string]bool `json:"zones,omitempty"`
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
	// (compile.Graph.Scopes), which validate prints: none (nil) and
	// none needed (empty) kept apart, as the run that worked them out had
	// them.
	Scopes map[string][]string `json:"scopes,omitzero"`
	// Zones are the schedule time zones compile looked up, and whether
	// each loaded: the answer holds only while each still does.
	Zones map[string]bool `json:"zones,omitempty"`
}
