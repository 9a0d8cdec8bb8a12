package flopack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Pack is one .flopack export.
type Pack struct {
	Version     string
	Created     string
	Flows       []*Flow       // sorted by name, then id
	Connections []*Connection // sorted by name, then id
	Tables      []*Table      // sorted by name, then id
}

// Table is one Okta Workflows table the pack carries (data.tables): its
// name and columns (data.structure).
type Table struct {
	ID, Name string
	Columns  []Column // in Okta's order
}

// Column is one column of a table: its name and Okta's type (str, dec,
// dte, …).
type Column struct{ Name, Type string }

// Connection is one app connection (data.configs) the pack's cards use.
type Connection struct {
	ID, Name, Module string
}

// Flow is one Okta flow.
type Flow struct {
	ID, Name, Description string
	Scheduled             bool
	Cron                  *Cron
	Cards                 []*Card // sorted by id
	Edges                 []Edge  // sorted by id
}

// Cron is a scheduled flow's schedule as Okta stores it.
type Cron struct {
	Seconds, Minutes, Hours, DayOfMonth, Month, DayOfWeek, TimeZone string
}

// Edge is one entry of data.orderings: From runs before To.
type Edge struct{ ID, From, To string }

// Card is one card (method) of a flow.
type Card struct {
	ID      string // the card's uuid, unique in its flow
	Name    string // display name (node.data.name)
	Module  string // "control", "okta", "googledirectory", ...
	Method  string // "if", "suspendUser", ...
	Kernel  bool   // a built-in function card rather than an app action card
	Webhook bool   // an app event card: the flow's trigger
	Config  string // the connection (data.configs key) an app card uses
	OnError string // node.model.policy.error.type ("finish", "retry", ...)
	Policy  map[string]any
	Inputs  []*Field
	Outputs []*Field
	// Branches maps the id of the first card of each branch to its
	// label (true/false for If/Else, a value for If/ElseIf).
	Branches map[string]any
	Pins     []Pin // this card's outputs used by other cards
	Title    string
	Markdown string // a Comment card's text
}

// Field is one input or output of a card.
type Field struct {
	ID, Key, Group, Display string
	Type                    string // "string", "number", "object", "flo", ...; "object" for a typed object
	Collection              bool
	Value                   any // the literal (value.data), json.Number for numbers
	Custom                  bool
	Index                   int
	// Item is, on a For Each card's input, the path into the list item
	// Okta passes (value.proxy.path; "" for the item itself); nil when
	// the input is not taken from the item.
	Item *string
}

// Pin is one connection: output Output of the card that holds the pin
// feeds input Input of card Card.
type Pin struct {
	Output, Card, Input string
	Path                []string // a path into the output (transform), when Okta keeps one
}

// Read parses a .flopack.
func Read(r io.Reader) (*Pack, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return Parse(data)
}

// Parse parses the bytes of a .flopack.
func Parse(data []byte) (*Pack, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := lineCol(data, se.Offset)
			return nil, fmt.Errorf("%d:%d: invalid JSON: %v", line, col, se)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("invalid JSON: unexpected end of input")
		}
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("invalid JSON: more than one value")
	}
	p := &parser{}
	pack := p.pack(root)
	if p.err != nil {
		return nil, p.err
	}
	return pack, nil
}

func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col := 1, 1
	for _, b := range data[:off] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// PathError is a malformed part of a pack.
type PathError struct {
	Path string // "data.flos[\"id\"].data.methods[5].inputs"
	Msg  string
}

func (e *PathError) Error() string { return e.Path + ": " + e.Msg }

// parser walks the decoded JSON; the first error wins.
type parser struct{ err error }

func (p *parser) fail(path, format string, args ...any) {
	if p.err == nil {
		p.err = &PathError{Path: path, Msg: fmt.Sprintf(format, args...)}
	}
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", v)
}

func key(path, k string) string {
	if path == "" {
		return k
	}
	if isIdent(k) {
		return path + "." + k
	}
	return path + "[" + fmt.Sprintf("%q", k) + "]"
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// obj returns v as an object; required says whether null/missing is an error.
func (p *parser) obj(v any, path string, required bool) map[string]any {
	if v == nil && !required {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		p.fail(path, "expected object, got %s", kind(v))
	}
	return m
}

func (p *parser) str(v any, path string) string {
	switch s := v.(type) {
	case nil:
		return ""
	case string:
		return s
	case json.Number:
		return s.String()
	}
	p.fail(path, "expected string, got %s", kind(v))
	return ""
}

func (p *parser) boolean(v any, path string) bool {
	switch b := v.(type) {
	case nil:
		return false
	case bool:
		return b
	}
	p.fail(path, "expected boolean, got %s", kind(v))
	return false
}

// entries returns an object's or array's members in a stable order:
// arrays by index, objects by key.
func (p *parser) entries(v any, path string) (keys []string, vals []any, paths []string) {
	switch c := v.(type) {
	case nil:
	case []any:
		for i, e := range c {
			keys = append(keys, fmt.Sprint(i))
			vals = append(vals, e)
			paths = append(paths, fmt.Sprintf("%s[%d]", path, i))
		}
	case map[string]any:
		ks := make([]string, 0, len(c))
		for k := range c {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for _, k := range ks {
			keys = append(keys, k)
			vals = append(vals, c[k])
			paths = append(paths, key(path, k))
		}
	default:
		p.fail(path, "expected object or array, got %s", kind(v))
	}
	return
}

func (p *parser) pack(root any) *Pack {
	m := p.obj(root, "(root)", true)
	if m == nil {
		return nil
	}
	if t := p.str(m["type"], "type"); t != "flopack" {
		p.fail("type", "expected \"flopack\", got %q", t)
		return nil
	}
	pk := &Pack{Version: p.str(m["version"], "version"), Created: p.str(m["created"], "created")}
	data := p.obj(m["data"], "data", true)
	if data == nil {
		return nil
	}
	_, fs, fpaths := p.entries(p.obj(data["flos"], "data.flos", true), "data.flos")
	for i, f := range fs {
		if fl := p.flow(f, fpaths[i]); fl != nil {
			pk.Flows = append(pk.Flows, fl)
		}
	}
	sort.SliceStable(pk.Flows, func(i, j int) bool {
		a, b := pk.Flows[i], pk.Flows[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	ids, cs, cpaths := p.entries(p.obj(data["configs"], "data.configs", false), "data.configs")
	for i, c := range cs {
		cm := p.obj(c, cpaths[i], true)
		if cm == nil {
			continue
		}
		id := p.str(cm["id"], key(cpaths[i], "id"))
		if id == "" {
			id = ids[i]
		}
		pk.Connections = append(pk.Connections, &Connection{ID: id,
			Name: p.str(cm["name"], key(cpaths[i], "name")), Module: p.str(cm["module"], key(cpaths[i], "module"))})
	}
	sort.SliceStable(pk.Connections, func(i, j int) bool {
		a, b := pk.Connections[i], pk.Connections[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	tids, ts, tpaths := p.entries(p.obj(data["tables"], "data.tables", false), "data.tables")
	for i, tv := range ts {
		tm := p.obj(tv, tpaths[i], true)
		if tm == nil {
			continue
		}
		t := &Table{ID: p.str(tm["id"], key(tpaths[i], "id")), Name: p.str(tm["name"], key(tpaths[i], "name"))}
		if t.ID == "" {
			t.ID = tids[i]
		}
		dpath := key(tpaths[i], "data")
		d := p.obj(tm["data"], dpath, false)
		_, cols, cpaths := p.entries(d["structure"], key(dpath, "structure"))
		for j, cv := range cols {
			cm := p.obj(cv, cpaths[j], true)
			if cm == nil {
				continue
			}
			t.Columns = append(t.Columns, Column{Name: p.str(cm["name"], key(cpaths[j], "name")), Type: p.str(cm["type"], key(cpaths[j], "type"))})
		}
		pk.Tables = append(pk.Tables, t)
	}
	sort.SliceStable(pk.Tables, func(i, j int) bool {
		a, b := pk.Tables[i], pk.Tables[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	if p.err != nil {
		return nil
	}
	return pk
}

func (p *parser) flow(v any, path string) *Flow {
	m := p.obj(v, path, true)
	if m == nil {
		return nil
	}
	fl := &Flow{ID: p.str(m["id"], key(path, "id")), Name: p.str(m["name"], key(path, "name")),
		Description: p.str(m["description"], key(path, "description"))}
	dpath := key(path, "data")
	d := p.obj(m["data"], dpath, true)
	if d == nil {
		return nil
	}
	fl.Scheduled = p.boolean(d["scheduled"], key(dpath, "scheduled"))
	if c := p.obj(d["cron"], key(dpath, "cron"), false); c != nil {
		cp := key(dpath, "cron")
		fl.Cron = &Cron{Seconds: p.str(c["seconds"], key(cp, "seconds")), Minutes: p.str(c["minutes"], key(cp, "minutes")),
			Hours: p.str(c["hours"], key(cp, "hours")), DayOfMonth: p.str(c["dayOfTheMonth"], key(cp, "dayOfTheMonth")),
			Month: p.str(c["month"], key(cp, "month")), DayOfWeek: p.str(c["dayOfTheWeek"], key(cp, "dayOfTheWeek")),
			TimeZone: p.str(c["timeZone"], key(cp, "timeZone"))}
	}
	if !p.body(fl, d, dpath) {
		return nil
	}
	return fl
}

// Inline parses a flow Okta keeps inside a card (an If Error's try or
// handler flow, the value of a "flo" input or of policy.error.flo).
func Inline(v any, path string) (*Flow, error) {
	p := &parser{}
	d := p.obj(v, path, true)
	if d == nil {
		return nil, p.err
	}
	fl := &Flow{ID: p.str(d["id"], key(path, "id"))}
	p.body(fl, d, path)
	if p.err != nil {
		return nil, p.err
	}
	return fl, nil
}

// body reads the cards and orderings of a flow's data.
func (p *parser) body(fl *Flow, d map[string]any, dpath string) bool {
	mpath := key(dpath, "methods")
	if d["methods"] == nil {
		p.fail(mpath, "expected array, got null")
		return false
	}
	seen := map[string]bool{}
	_, ms, mpaths := p.entries(d["methods"], mpath)
	for i, mv := range ms {
		c := p.card(mv, mpaths[i])
		if c == nil {
			continue
		}
		if seen[c.ID] {
			p.fail(key(mpaths[i], "uuid"), "duplicate card id %q", c.ID)
			continue
		}
		seen[c.ID] = true
		fl.Cards = append(fl.Cards, c)
	}
	sort.Slice(fl.Cards, func(i, j int) bool { return fl.Cards[i].ID < fl.Cards[j].ID })
	opath := key(dpath, "orderings")
	eids, es, epaths := p.entries(p.obj(d["orderings"], opath, false), opath)
	for i, e := range es {
		arr, ok := e.([]any)
		if !ok || len(arr) != 2 {
			p.fail(epaths[i], "expected [from, to], got %s", kind(e))
			continue
		}
		from, to := p.str(arr[0], epaths[i]+"[0]"), p.str(arr[1], epaths[i]+"[1]")
		for j, id := range []string{from, to} {
			if !seen[id] {
				p.fail(fmt.Sprintf("%s[%d]", epaths[i], j), "no card with id %q", id)
			}
		}
		fl.Edges = append(fl.Edges, Edge{ID: eids[i], From: from, To: to})
	}
	for _, c := range fl.Cards {
		for _, pin := range c.Pins {
			if !seen[pin.Card] {
				p.fail(fl.Name, "card %q: pin to unknown card %q", c.Name, pin.Card)
			}
		}
	}
	return true
}

// address splits "root:kernel:control:0.0.1:if" and
// "root:channels:http:okta:1.0.297:suspendUser".
func (p *parser) address(a, path string, c *Card) {
	parts := strings.Split(a, ":")
	switch {
	case len(parts) == 5 && parts[0] == "root" && parts[1] == "kernel":
		c.Kernel, c.Module, c.Method = true, parts[2], parts[4]
	case len(parts) >= 5 && parts[0] == "root" && parts[1] == "channels":
		c.Module, c.Method = parts[len(parts)-3], parts[len(parts)-1]
	default:
		p.fail(path, "unrecognised card address %q", a)
	}
}

func (p *parser) card(v any, path string) *Card {
	m := p.obj(v, path, true)
	if m == nil {
		return nil
	}
	c := &Card{ID: p.str(m["uuid"], key(path, "uuid"))}
	if c.ID == "" {
		p.fail(key(path, "uuid"), "missing card id")
		return nil
	}
	p.address(p.str(m["address"], key(path, "address")), key(path, "address"), c)
	npath := key(path, "node")
	node := p.obj(m["node"], npath, true)
	if node == nil {
		return nil
	}
	if nd := p.obj(node["data"], key(npath, "data"), false); nd != nil {
		c.Name = p.str(nd["name"], key(key(npath, "data"), "name"))
	}
	if c.Method == "" {
		c.Method = p.str(node["key"], key(npath, "key"))
	}
	mpath := key(npath, "model")
	model := p.obj(node["model"], mpath, true)
	if model == nil {
		return nil
	}
	c.Config = p.str(model["config"], key(mpath, "config"))
	if pol := p.obj(model["policy"], key(mpath, "policy"), false); pol != nil {
		if e := p.obj(pol["error"], key(key(mpath, "policy"), "error"), false); e != nil {
			c.Policy = e
			c.OnError = p.str(e["type"], key(key(key(mpath, "policy"), "error"), "type"))
		}
	}
	c.Inputs = p.fields(model["inputs"], key(mpath, "inputs"))
	c.Outputs = p.fields(model["outputs"], key(mpath, "outputs"))
	c.Webhook, _ = model["webhook"].(bool)
	switch cm := model["comments"].(type) {
	case string: // a card's note
		c.Markdown = cm
	case nil:
	default:
		if cm := p.obj(cm, key(mpath, "comments"), false); cm != nil {
			c.Title = p.str(cm["title"], key(key(mpath, "comments"), "title"))
			c.Markdown = p.str(cm["markdown"], key(key(mpath, "comments"), "markdown"))
		}
	}
	if br := p.obj(m["branches"], key(path, "branches"), false); len(br) > 0 {
		c.Branches = br
	}
	ppath := key(path, "pins")
	outs, targets, opaths := p.entries(p.obj(m["pins"], ppath, false), ppath)
	for i, t := range targets {
		cards, lists, cpaths := p.entries(p.obj(t, opaths[i], true), opaths[i])
		for j, l := range lists {
			arr, ok := l.([]any)
			if !ok {
				p.fail(cpaths[j], "expected array, got %s", kind(l))
				continue
			}
			for k, e := range arr {
				epath := fmt.Sprintf("%s[%d]", cpaths[j], k)
				em := p.obj(e, epath, true)
				if em == nil {
					continue
				}
				pin := Pin{Output: outs[i], Card: cards[j], Input: p.str(em["input"], key(epath, "input"))}
				if tr, ok := em["transform"].(map[string]any); ok {
					if pp, ok := tr["path"].([]any); ok {
						for _, s := range pp {
							if s, ok := s.(string); ok {
								pin.Path = append(pin.Path, s)
							}
						}
					}
				}
				c.Pins = append(c.Pins, pin)
			}
		}
	}
	return c
}

func (p *parser) fields(v any, path string) []*Field {
	m := p.obj(v, path, false)
	if m == nil {
		return nil
	}
	dpath := key(path, "data")
	ids, vals, paths := p.entries(p.obj(m["data"], dpath, false), dpath)
	var out []*Field
	for i, fv := range vals {
		fm := p.obj(fv, paths[i], true)
		if fm == nil {
			continue
		}
		f := &Field{ID: p.str(fm["id"], key(paths[i], "id")), Key: p.str(fm["key"], key(paths[i], "key")),
			Group: p.str(fm["group"], key(paths[i], "group"))}
		if f.ID == "" {
			f.ID = ids[i]
		}
		if md := p.obj(fm["metadata"], key(paths[i], "metadata"), false); md != nil {
			if s, ok := md["displayname"].(string); ok {
				f.Display = s
			}
			if n, ok := md["index"].(json.Number); ok {
				if k, err := n.Int64(); err == nil {
					f.Index = int(k)
				}
			}
			f.Custom, _ = md["custom"].(bool)
		}
		vpath := key(paths[i], "value")
		if val := p.obj(fm["value"], vpath, false); val != nil {
			switch t := val["type"].(type) {
			case string:
				f.Type = t
			case map[string]any:
				f.Type = "object"
			case nil:
			default:
				p.fail(key(vpath, "type"), "expected string or object, got %s", kind(t))
			}
			f.Collection, _ = val["collection"].(bool)
			f.Value = val["data"]
			if px, ok := val["proxy"].(map[string]any); ok {
				if path, ok := px["path"].(string); ok {
					f.Item = &path
				}
			}
		}
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Index != out[j].Index {
			return out[i].Index < out[j].Index
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// isEventCard reports whether c is an app event card (the trigger of an
// event flow).
func isEventCard(c *Card) bool { return !c.Kernel && c.Webhook }
