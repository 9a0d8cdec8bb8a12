package project

import (
	"path/filepath"
	"sort"
	"strings"

	"github.com/jml-dev/jml/pkg/source"
)

// Outline is a repository read for shell completion: found and listed as
// Load finds and lists it (configPath, flowFilesOf), each file parsed as
// YAML, but nothing checked or compiled — a TAB stays fast, and works in
// a repository with errors. What does not parse is left out.
type Outline struct {
	// Root is the directory of jml.yaml.
	Root string
	// History is history: of jml.yaml ("" when it has none).
	History string
	// Flows are the flows by name, with their description; Connectors
	// the connector instances in jml.yaml's order, with their type.
	Flows      []Entry
	Connectors []Entry
}

// Entry is a name and what to show beside it.
type Entry struct {
	Name, Detail string
}

// ReadOutline reads the outline of the repository opts names; false when
// there is no jml.yaml to read.
func ReadOutline(opts Options) (*Outline, bool) {
	cfgPath, ds := configPath(opts)
	if ds != nil {
		return nil, false
	}
	cfg, _ := source.ReadFile(cfgPath, cfgPath)
	if cfg == nil || cfg.Root == nil {
		return nil, false
	}
	o := &Outline{Root: filepath.Dir(cfgPath)}
	if n := source.Get(cfg.Root, "history"); n != nil {
		o.History = n.Value
	}
	if m := source.Get(cfg.Root, "connectors"); m != nil {
		for _, kv := range source.Pairs(m) {
			typ := ""
			if t := source.Get(kv[1], "type"); t != nil {
				typ = t.Value
			}
			o.Connectors = append(o.Connectors, Entry{Name: kv[0].Value, Detail: typ})
		}
	}
	paths, _, _ := flowFilesOf(cfg, cfgPath)
	for _, p := range paths {
		f, _ := source.ReadFile(p, p)
		if f == nil || f.Root == nil {
			continue
		}
		name := source.Get(f.Root, "name")
		if name == nil || name.Value == "" {
			continue
		}
		desc := ""
		if d := source.Get(f.Root, "description"); d != nil {
			desc = strings.Join(strings.Fields(d.Value), " ")
		}
		o.Flows = append(o.Flows, Entry{Name: name.Value, Detail: desc})
	}
	sort.Slice(o.Flows, func(i, j int) bool { return o.Flows[i].Name < o.Flows[j].Name })
	return o, true
}
