package project

import (
	"bytes"
	"runtime"

	"github.com/jml-dev/jml/pkg/ast"
	"github.com/jml-dev/jml/pkg/compile"
	"github.com/jml-dev/jml/pkg/schema"
	"github.com/jml-dev/jml/pkg/source"
)

// helperKey finds the files that may be helper flows: the only flows
// whose interface another flow's compile reads (a call:, an onError:
// flow), by a key "helper:" (the word, maybe spaces, a colon) anywhere in
// the text. It only orders the work; nothing depends on it being right.
// (A regexp, `\bhelper\s*:`, took 100 ms for 1,000 files.)
func helperKey(src []byte) bool {
	const word = "helper"
	for i := 0; ; {
		j := bytes.Index(src[i:], []byte(word))
		if j < 0 {
			return false
		}
		j += i
		i = j + len(word)
		if j > 0 && isWordByte(src[j-1]) {
			continue
		}
		k := i
		for k < len(src) && (src[k] == ' ' || src[k] == '\t') {
			k++
		}
		if k < len(src) && src[k] == ':' {
			return true
		}
	}
}

func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// streamFlowFiles runs every flow file's own checks (checkFlowFile) and,
// when jml.yaml has no error (cfgErrors false), compiles each flow whose
// file passed them as soon as it is decoded, then drops the file's YAML
// tree and decoded flow: memory holds a few files at a time, not all.
// A flow's compile reads, of the other flows, the interfaces of those it
// calls, which are known only once every file is read. So the files that
// look like helpers are read first, and each other flow is compiled
// against the interfaces known then, recording what it read of them; when
// every file is read, compileUnits keeps a unit only if what it read is
// what the repository has (compile.Final), and compiles the others again
// (parsing their file again if it was dropped). The answer is the one of
// compiling every flow after reading all files.
func streamFlowFiles(flowSchema func() (*schema.Validator, error), c *cache, cfgFile *source.File, cfgErrors bool, items []flowFile) {
	var first, rest []int
	for i := range items {
		if helperKey(items[i].src) {
			first = append(first, i)
		} else {
			rest = append(rest, i)
		}
	}
	check := func(it *flowFile) bool {
		checkFlowFile(flowSchema, c, nil, it)
		if !it.parsed || it.check.HasErrors() {
			it.file = nil // no compile: the repository has errors
			return false
		}
		if it.flow == nil { // with the cache, checkFlowFile decoded it
			it.flow = ast.DecodeFlow(it.file)
			in := compile.InterfaceOf(it.flow)
			it.iface = &in
		}
		return true
	}
	each(len(first), func(k int) { check(&items[first[k]]) })
	if cfgErrors {
		each(len(rest), func(k int) {
			check(&items[rest[k]])
			items[rest[k]].file, items[rest[k]].flow = nil, nil
		})
		return
	}
	var cfg *ast.Config
	if cfgFile != nil && cfgFile.Root != nil {
		cfg = ast.DecodeConfig(cfgFile)
	}
	var known []compile.Interface
	for _, i := range first {
		if items[i].iface != nil {
			known = append(known, *items[i].iface)
		}
	}
	// One compiler a worker; without one (an internal error), the flows
	// compile after reading, as without streaming.
	compilers := make(chan *compile.UnitCompiler, runtime.GOMAXPROCS(0))
	for range cap(compilers) {
		uc, ds := compile.NewUnitCompiler(cfg, known)
		if ds != nil {
			break
		}
		compilers <- uc
	}
	if len(compilers) == 0 {
		each(len(rest), func(k int) { check(&items[rest[k]]) })
		return
	}
	each(len(rest), func(k int) {
		it := &items[rest[k]]
		if !check(it) {
			return
		}
		uc := <-compilers
		it.unit, it.reads = uc.Unit(it.flow)
		compilers <- uc
		it.file, it.flow = nil, nil
	})
}
