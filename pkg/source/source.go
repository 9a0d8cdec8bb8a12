package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/jml-dev/jml/pkg/diag"
)

// MaxFileSize is the largest flow, config, test or world file jml reads.
// Event streams are not read through this package and have no limit.
const MaxFileSize = 1 << 20

// MaxExpansion bounds how many nodes a document may expand to once its
// aliases are followed: a billion-laughs document fails fast instead of
// eating memory.
const MaxExpansion = 100_000

// File is one parsed YAML document.
type File struct {
	// Path is the path as it is shown in messages (relative to the working
	// directory where possible).
	Path string
	// Src is the raw bytes of the file.
	Src []byte
	// Root is the top-level mapping node; nil when the file did not parse.
	Root *yaml.Node

	// lines indexes Src's lines when first needed (PosIn, snippets of
	// syntax errors); nil in a File not made by Parse.
	lines *lazyLines
}

type lazyLines struct {
	once sync.Once
	l    *diag.Lines

	breaksOnce  sync.Once
	otherBreaks bool // see File.otherBreaks
}

// line returns line n (1-based) of the file without its line end, or "".
// Lines are found through an index built once per file: mapping many
// positions stays linear in the file's size.
func (f *File) line(n int) string {
	if f.lines == nil {
		b, _ := diag.NewLines(f.Src).Line(n)
		return string(b)
	}
	f.lines.once.Do(func() { f.lines.l = diag.NewLines(f.Src) })
	b, _ := f.lines.l.Line(n)
	return string(b)
}

// Range returns the diagnostic range of a node of this file.
func (f *File) Range(n *yaml.Node) diag.Range {
	if n == nil {
		return diag.Range{File: f.Path}
	}
	return diag.Range{File: f.Path, Start: diag.Pos{Line: n.Line, Column: n.Column}}
}

// At returns the range of a line and column of this file.
func (f *File) At(line, col int) diag.Range {
	return diag.Range{File: f.Path, Start: diag.Pos{Line: line, Column: col}}
}

// ReadFile reads and parses path; display is the path shown in messages.
func ReadFile(path, display string) (*File, diag.Diagnostics) {
	data, ds := ReadBytes(path, display)
	if data == nil {
		return nil, ds
	}
	return Parse(display, data)
}

// ReadBytes reads path as ReadFile does, within MaxFileSize, without
// parsing it; the bytes are nil when it could not (ds says why).
func ReadBytes(path, display string) ([]byte, diag.Diagnostics) {
	var ds diag.Diagnostics
	fh, err := os.Open(path)
	if err != nil {
		ds.Errorf(diag.Range{File: display}, "read-error", "cannot read file: %s", unwrapPathError(err))
		return nil, ds
	}
	defer fh.Close()
	// io.ReadAll, but sized from the file's length when it has one: one
	// read and one allocation of the right size (validate reads a
	// thousand files and keeps them).
	size := 512
	if st, err := fh.Stat(); err == nil && st.Mode().IsRegular() {
		size = int(min(st.Size(), MaxFileSize)) + 1
	}
	data := make([]byte, 0, size)
	r := io.LimitReader(fh, MaxFileSize+1)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, rerr := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if rerr != nil {
			if rerr != io.EOF {
				err = rerr
			}
			break
		}
	}
	if err != nil {
		ds.Errorf(diag.Range{File: display}, "read-error", "cannot read file: %s", unwrapPathError(err))
		return nil, ds
	}
	if len(data) > MaxFileSize {
		ds.Errorf(diag.Range{File: display, Start: diag.Pos{Line: 1, Column: 1}}, "file-too-large",
			"file is larger than the %d KiB limit for flow, config, test and world files", MaxFileSize>>10)
		return nil, ds
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

var lineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserProblems are the messages of yaml.v3's parser (not scanner) errors.
var parserProblems = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"found undefined tag handle":             true,
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found duplicate %TAG directive":         true,
}

// Parse parses data as one YAML mapping document.
func Parse(path string, data []byte) (*File, diag.Diagnostics) {
	var ds diag.Diagnostics
	f := &File{Path: path, Src: data, lines: &lazyLines{}}
	if len(data) > MaxFileSize {
		ds.Errorf(f.At(1, 1), "file-too-large", "file is larger than the %d KiB limit for flow, config, test and world files", MaxFileSize>>10)
		return f, ds
	}
	if off, r, bad := badChar(data); bad {
		line, col := posOf(data, off)
		switch {
		case r == utf8.RuneError:
			ds.Errorf(f.At(line, col), "invalid-utf8", "file is not valid UTF-8")
		case r == 0:
			ds.Errorf(f.At(line, col), "yaml-syntax", "invalid YAML: a NUL byte (U+0000) is not allowed")
		default:
			ds.Errorf(f.At(line, col), "yaml-syntax", "invalid YAML: control character U+%04X is not allowed", r)
		}
		return f, ds
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			ds.Errorf(f.At(1, 1), "not-a-mapping", "file is empty: expected a YAML mapping")
			return f, ds
		}
		ds.Add(f.syntaxError(err))
		return f, ds
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		ds.Errorf(f.Range(&extra), "multiple-documents", "file holds more than one YAML document; put one document in each file")
		return f, ds
	} else if err != io.EOF {
		ds.Add(f.syntaxError(err))
		return f, ds
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		ds.Errorf(f.Range(root), "not-a-mapping", "document must be a YAML mapping, not %s", KindName(root))
		return f, ds
	}
	f.Root = root
	ds.Add(f.checkTree(root)...)
	if ds.HasErrors() {
		f.Root = nil
	}
	return f, ds
}

func (f *File) syntaxError(err error) diag.Diagnostic {
	msg := err.Error()
	line := 1
	if te, ok := err.(*yaml.TypeError); ok && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	if strings.Contains(msg, "exceeded max depth") {
		// yaml.v3's own bound (10,000 levels) is far past MaxDepth: the
		// same problem, told the same way.
		code, msg := "too-deep", tooDeepMsg
		if m := lineRE.FindStringSubmatch(strings.TrimSpace(err.Error())); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		return diag.Diagnostic{Severity: diag.Error, Code: code, Message: msg, Range: f.At(line, firstColumn(f.line(line)))}
	}
	if m := lineRE.FindStringSubmatch(strings.TrimSpace(err.Error())); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		// yaml.v3 adds 1 to the 0-based mark of scanner errors only; its
		// parser errors name the line before the collection they were
		// parsing.
		if parserProblems[msg] {
			line++
		}
	}
	// That is where the block being read starts: find the line that is
	// wrong, and say what is wrong with it when it is a tab or the
	// indentation.
	line = f.problemLine(err, line)
	text := f.line(line)
	if c := tabIndent(text); c > 0 && tabProblems[msg] {
		return diag.Diagnostic{Severity: diag.Error, Code: "yaml-syntax", Message: tabMessage, Range: f.At(line, c)}
	}
	if m := f.indentMessage(msg, line); m != "" {
		return diag.Diagnostic{Severity: diag.Error, Code: "yaml-syntax", Message: m, Range: f.At(line, firstColumn(text))}
	}
	return diag.Diagnostic{Severity: diag.Error, Code: "yaml-syntax", Message: "invalid YAML: " + msg, Range: f.At(line, firstColumn(text))}
}

// firstColumn returns the column of the first non-blank character of l.
func firstColumn(l string) int {
	for i, r := range l {
		if r != ' ' && r != '\t' {
			return utf8.RuneCountInString(l[:i]) + 1
		}
	}
	return 1
}

// Line returns line n (1-based) of src without its newline, or "". It scans
// src from the top: to look up many lines, index them once (diag.Lines).
func Line(src []byte, n int) string {
	if n < 1 {
		return ""
	}
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(src, '\n')
		if j < 0 {
			return ""
		}
		src = src[j+1:]
	}
	if j := bytes.IndexByte(src, '\n'); j >= 0 {
		src = src[:j]
	}
	return strings.TrimSuffix(string(src), "\r")
}

// badChar finds the first character YAML does not allow: invalid UTF-8
// (r is utf8.RuneError) or a control character (YAML's printable set is
// tab, line feed, carriage return, U+0020–U+007E, U+0085, U+00A0–U+D7FF,
// U+E000–U+FFFD and U+10000 up). yaml.v3 rejects them too, but without a
// position.
func badChar(data []byte) (off int, r rune, bad bool) {
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
				return i, rune(c), true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return i, utf8.RuneError, true
		case r >= 0x80 && r <= 0x9f && r != 0x85, r == 0xfffe, r == 0xffff:
			return i, r, true
		}
		i += size
	}
	return 0, 0, false
}

// posOf returns the line and column (in characters) of byte offset off.
func posOf(data []byte, off int) (line, col int) {
	data = data[:off]
	line = 1 + bytes.Count(data, []byte{'\n'})
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		data = data[i+1:]
	}
	return line, utf8.RuneCount(data) + 1
}

// duplicateKeys reports the keys of mapping n written twice.
func (f *File) duplicateKeys(n *yaml.Node) diag.Diagnostics {
	var ds diag.Diagnostics
	EachDuplicateKey(n, func(first, again *yaml.Node) {
		ds.Errorf(f.Range(again), "duplicate-key", "duplicate key %q (first defined at line %d)", again.Value, first.Line)
	})
	return ds
}

// EachDuplicateKey calls fn, in order, for each scalar key of mapping n
// written again after its first (merge keys aside), with that first. A
// small mapping (most of them) is scanned without a map, a large one with
// one: never quadratic in a file's size.
func EachDuplicateKey(n *yaml.Node, fn func(first, again *yaml.Node)) {
	key := func(i int) *yaml.Node {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Tag != "!!merge" {
			return k
		}
		return nil
	}
	if len(n.Content) <= 32 {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := key(i)
			if k == nil {
				continue
			}
			for j := 0; j < i; j += 2 {
				// The first key of the name, as the map below keeps.
				if prev := key(j); prev != nil && prev.Value == k.Value {
					fn(prev, k)
					break
				}
			}
		}
		return
	}
	seen := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := key(i)
		if k == nil {
			continue
		}
		if prev, ok := seen[k.Value]; ok {
			fn(prev, k)
			continue
		}
		seen[k.Value] = k
	}
}

// checkTree reports duplicate keys and bounds alias expansion.
func (f *File) checkTree(root *yaml.Node) diag.Diagnostics {
	var ds diag.Diagnostics
	// Duplicate keys: walk the tree as written (aliases are not followed, so
	// each mapping is checked once).
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			ds.Add(f.duplicateKeys(n)...)
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	if n, bomb := expansionBomb(root); bomb {
		ds.Errorf(f.Range(n), "alias-limit", "aliases expand to more than %d nodes (an alias bomb?); refusing to expand", MaxExpansion)
		return ds
	}
	// Depth, with aliases followed: bounded now that their expansion is.
	// Cards first: nested cards are nested YAML too, and their own
	// message says what to do.
	if n := cardTooDeep(root); n != nil {
		ds.Errorf(f.Range(n), "too-deep", "cards nest more than %d deep here (a card inside a card inside a card…); no flow needs that many: move the inner cards to a helper flow and call it", MaxCardDepth)
		return ds
	}
	if n := tooDeep(root); n != nil {
		ds.Errorf(f.Range(n), "too-deep", "%s", tooDeepMsg)
	}
	return ds
}

// tooDeepMsg is the message of a document nested past MaxDepth.
var tooDeepMsg = fmt.Sprintf("mappings and lists nest more than %d levels deep here; no flow, config, test or world file needs that many", MaxDepth)

// expansionBomb counts the nodes of the tree with aliases followed and
// reports the alias where the budget ran out. Sizes of anchored subtrees are
// memoised, so this runs in time linear in the document, not in its
// expansion.
func expansionBomb(root *yaml.Node) (*yaml.Node, bool) {
	// Without aliases nothing expands: a large plain document is bounded
	// by the file size limit alone.
	if !hasAlias(root) {
		return nil, false
	}
	memo := map[*yaml.Node]int{}
	var culprit, lastAlias *yaml.Node
	var size func(n *yaml.Node, depth int) int
	size = func(n *yaml.Node, depth int) int {
		if depth > 1000 {
			culprit = n
			return MaxExpansion + 1
		}
		if v, ok := memo[n]; ok {
			return v
		}
		memo[n] = MaxExpansion + 1 // a node that contains itself is unbounded
		total := 1
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			total += size(n.Alias, depth+1)
			if total > MaxExpansion && culprit == nil {
				culprit = n
			}
			lastAlias = n
		}
		for _, c := range n.Content {
			total += size(c, depth+1)
			if total > MaxExpansion {
				if culprit == nil && c.Kind == yaml.AliasNode {
					culprit = c
				}
				break
			}
		}
		if total > MaxExpansion {
			total = MaxExpansion + 1
		}
		memo[n] = total
		return total
	}
	if size(root, 0) > MaxExpansion {
		// When no single alias overflowed (the budget ran out summing
		// siblings), blame the last alias followed, not line 1.
		if culprit == nil {
			culprit = lastAlias
		}
		if culprit == nil {
			culprit = root
		}
		return culprit, true
	}
	return nil, false
}

// Resolve follows aliases to the node they name.
func Resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// KindName names the kind of a node for messages ("a mapping", "a list", "a string"...).
func KindName(n *yaml.Node) string {
	n = Resolve(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!bool":
			return "a boolean"
		case "!!int", "!!float":
			return "a number"
		}
		return "a string"
	}
	return "a document"
}

// Pairs returns the key/value pairs of a mapping node, with merge keys (<<)
// applied: explicit keys win over merged ones. Keys keep their own nodes.
func Pairs(n *yaml.Node) [][2]*yaml.Node {
	n = Resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	out := make([][2]*yaml.Node, 0, len(n.Content)/2)
	var merged [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" {
			src := Resolve(v)
			if src == nil {
				continue
			}
			if src.Kind == yaml.SequenceNode {
				for _, s := range src.Content {
					merged = append(merged, Pairs(s)...)
				}
			} else {
				merged = append(merged, Pairs(src)...)
			}
			continue
		}
		out = append(out, [2]*yaml.Node{k, v})
	}
	if len(merged) == 0 {
		return out
	}
	// The keys written, which merged keys do not override.
	index := make(map[string]int, len(out))
	for i, p := range out {
		index[p[0].Value] = i
	}
	for _, p := range merged {
		if _, ok := index[p[0].Value]; ok {
			continue
		}
		index[p[0].Value] = len(out)
		out = append(out, p)
	}
	return out
}

// Get returns the value node for key in a mapping, or nil.
func Get(n *yaml.Node, key string) *yaml.Node {
	if _, v := lookup(n, key); v != nil {
		return Resolve(v)
	}
	return nil
}

// Key returns the key node for key in a mapping, or nil.
func Key(n *yaml.Node, key string) *yaml.Node {
	k, _ := lookup(n, key)
	return k
}

// lookup finds key in a mapping as Pairs orders it (explicit keys first,
// then merged ones in order) without building the pairs: a lookup per key
// of a large mapping stays linear, and allocates nothing.
func lookup(n *yaml.Node, key string) (k, v *yaml.Node) {
	n = Resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	merges := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Tag == "!!merge" {
			merges = true
			continue
		}
		if n.Content[i].Value == key {
			return n.Content[i], n.Content[i+1]
		}
	}
	if !merges {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Tag != "!!merge" {
			continue
		}
		src := Resolve(n.Content[i+1])
		if src == nil {
			continue
		}
		if src.Kind == yaml.SequenceNode {
			for _, m := range src.Content {
				if k, v := lookup(m, key); k != nil {
					return k, v
				}
			}
			continue
		}
		if k, v := lookup(src, key); k != nil {
			return k, v
		}
	}
	return nil, nil
}

// Value converts a node tree to plain values as encoding/json would decode
// them (map[string]any, []any, string, float64 or int64 via json.Number-like
// types, bool, nil), following aliases. Callers must have parsed the file
// with Parse, which bounds alias expansion.
func Value(n *yaml.Node) any {
	n = Resolve(n)
	if n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		pairs := Pairs(n)
		m := make(map[string]any, len(pairs))
		for _, p := range pairs {
			m[p[0].Value] = Value(p[1])
		}
		return m
	case yaml.SequenceNode:
		l := make([]any, len(n.Content))
		for i, c := range n.Content {
			l[i] = Value(c)
		}
		return l
	case yaml.ScalarNode:
		return Scalar(n)
	}
	return nil
}

// Scalar returns the typed value of a scalar node: nil, bool, int64,
// float64 or string.
func Scalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		// The common spellings without yaml.v3's decoder (a reflection
		// walk and a decoder a call); Node.Decode decides the others.
		switch n.Value {
		case "true":
			return true
		case "false":
			return false
		}
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int":
		if i, ok := plainDecimal(n.Value); ok {
			return i
		}
		var i int64
		if n.Decode(&i) == nil {
			return i
		}
		var f float64
		if n.Decode(&f) == nil {
			return f
		}
	case "!!float":
		var f float64
		if n.Decode(&f) == nil {
			return f
		}
	}
	return n.Value
}

// plainDecimal reads an integer written in decimal digits, no sign but
// '-', no leading zero, no '_', at most 18 digits: what yaml.v3 reads the
// same way (it reads others with strconv.ParseInt's base 0, where a
// leading 0 is octal).
func plainDecimal(s string) (int64, bool) {
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || len(digits) > 18 || len(digits) > 1 && digits[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	i, err := strconv.ParseInt(s, 10, 64)
	return i, err == nil
}

// NodeAt returns the node that a JSON pointer (RFC 6901, as the schema
// validator reports instance locations) designates, and the key node when
// the last step is a mapping key. It returns the deepest node it reached
// when the pointer goes further than the tree.
func NodeAt(root *yaml.Node, pointer string) (value, key *yaml.Node) {
	n := Resolve(root)
	if pointer == "" || pointer == "/" {
		return n, nil
	}
	rest := strings.TrimPrefix(pointer, "/")
	for more := true; more; {
		var tok string
		tok, rest, more = strings.Cut(rest, "/")
		if strings.IndexByte(tok, '~') >= 0 {
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		}
		switch n.Kind {
		case yaml.MappingNode:
			k, v := lookup(n, tok)
			if k == nil {
				return n, key
			}
			key, n = k, Resolve(v)
		case yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.Content) {
				return n, key
			}
			n, key = Resolve(n.Content[i]), nil
		default:
			return n, key
		}
	}
	return n, key
}

// Describe renders a short quoted form of a scalar for messages.
func Describe(n *yaml.Node) string {
	n = Resolve(n)
	if n == nil {
		return "nothing"
	}
	if n.Kind != yaml.ScalarNode {
		return KindName(n)
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:37] + "..."
	}
	if n.ShortTag() != "!!str" {
		return v
	}
	return fmt.Sprintf("%q", v)
}

func hasAlias(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode {
		return true
	}
	for _, c := range n.Content {
		if hasAlias(c) {
			return true
		}
	}
	return false
}
