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
	var ds diag.Diagnostics
	fh, err := os.Open(path)
	if err != nil {
		ds.Errorf(diag.Range{File: display}, "read-error", "cannot read file: %s", unwrapPathError(err))
		return nil, ds
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, MaxFileSize+1))
	if err != nil {
		ds.Errorf(diag.Range{File: display}, "read-error", "cannot read file: %s", unwrapPathError(err))
		return nil, ds
	}
	if len(data) > MaxFileSize {
		ds.Errorf(diag.Range{File: display, Start: diag.Pos{Line: 1, Column: 1}}, "file-too-large",
			"file is larger than the %d KiB limit for flow, config, test and world files", MaxFileSize>>10)
		return nil, ds
	}
	return Parse(display, data)
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
	f := &File{Path: path, Src: data}
	if len(data) > MaxFileSize {
		ds.Errorf(f.At(1, 1), "file-too-large", "file is larger than the %d KiB limit for flow, config, test and world files", MaxFileSize>>10)
		return f, ds
	}
	if !utf8.Valid(data) {
		line, col := invalidUTF8Pos(data)
		ds.Errorf(f.At(line, col), "invalid-utf8", "file is not valid UTF-8")
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
	return diag.Diagnostic{Severity: diag.Error, Code: "yaml-syntax", Message: "invalid YAML: " + msg, Range: f.At(line, firstColumn(f.Src, line))}
}

// firstColumn returns the column of the first non-blank character of a line.
func firstColumn(src []byte, line int) int {
	l := Line(src, line)
	for i, r := range l {
		if r != ' ' && r != '\t' {
			return utf8.RuneCountInString(l[:i]) + 1
		}
	}
	return 1
}

// Line returns line n (1-based) of src without its newline, or "".
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

func invalidUTF8Pos(data []byte) (line, col int) {
	line, col = 1, 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return line, col
		}
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
		data = data[size:]
	}
	return line, col
}

// checkTree reports duplicate keys and bounds alias expansion.
func (f *File) checkTree(root *yaml.Node) diag.Diagnostics {
	var ds diag.Diagnostics
	// Duplicate keys: walk the tree as written (aliases are not followed, so
	// each mapping is checked once).
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			seen := make(map[string]*yaml.Node, len(n.Content)/2)
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
					continue
				}
				if prev, ok := seen[k.Value]; ok {
					ds.Errorf(f.Range(k), "duplicate-key", "duplicate key %q (first defined at line %d)", k.Value, prev.Line)
					continue
				}
				seen[k.Value] = k
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	if n, bomb := expansionBomb(root); bomb {
		ds.Errorf(f.Range(n), "alias-limit", "aliases expand to more than %d nodes (an alias bomb?); refusing to expand", MaxExpansion)
	}
	return ds
}

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
	var out [][2]*yaml.Node
	index := map[string]int{}
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
		index[k.Value] = len(out)
		out = append(out, [2]*yaml.Node{k, v})
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
	for _, p := range Pairs(n) {
		if p[0].Value == key {
			return Resolve(p[1])
		}
	}
	return nil
}

// Key returns the key node for key in a mapping, or nil.
func Key(n *yaml.Node, key string) *yaml.Node {
	for _, p := range Pairs(n) {
		if p[0].Value == key {
			return p[0]
		}
	}
	return nil
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
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int":
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

// NodeAt returns the node that a JSON pointer (RFC 6901, as the schema
// validator reports instance locations) designates, and the key node when
// the last step is a mapping key. It returns the deepest node it reached
// when the pointer goes further than the tree.
func NodeAt(root *yaml.Node, pointer string) (value, key *yaml.Node) {
	n := Resolve(root)
	if pointer == "" || pointer == "/" {
		return n, nil
	}
	for _, tok := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch n.Kind {
		case yaml.MappingNode:
			found := false
			for _, p := range Pairs(n) {
				if p[0].Value == tok {
					key, n, found = p[0], Resolve(p[1]), true
					break
				}
			}
			if !found {
				return n, key
			}
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
