package world

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// snPrefixes are the number prefixes of the task tables; other tables
// number their records REC….
var snPrefixes = map[string]string{
	"incident":       "INC",
	"sc_task":        "SCTASK",
	"sc_req_item":    "RITM",
	"sc_request":     "REQ",
	"change_request": "CHG",
	"change_task":    "CTASK",
	"problem":        "PRB",
	"task":           "TASK",
}

// snFirstNumber is the first number ServiceNow gives in a fresh instance.
const snFirstNumber = 10001

var snTableRE = regexp.MustCompile(`^[a-z0-9_]+$`)

// snRecord is a record. A replay keeps every record a run creates, so its
// ids are kept compact (issue #12): a sys_id of the generated shape (32
// lower-case hex digits) as its 16 bytes, a number of the generated shape
// packed as the model's taken set packs it (idset.go), and any other
// spelling (a world file's) as itself, in odd; the table is the model's
// (64 bytes a record in all, with its fields spooled).
type snRecord struct {
	tab *snTable
	sys [16]byte
	num uint64
	odd *snOdd
	// fields are in the model's spool (spool.go).
	fields storedMap
}

// snOdd holds a record's ids that are not of the generated shape; an empty
// one is of it.
type snOdd struct{ sysID, number string }

// snTable holds a table's records by sys_id: those of the generated shape
// by their 16 bytes — in a slice sorted by them (8 bytes a record, binary
// search), the newest in a small map merged into it once it holds a 32nd
// as many (a map of them all cost about 36 bytes a record) — and the
// others as spelt.
type snTable struct {
	name   string
	sorted []*snRecord
	recent map[[16]byte]*snRecord
	odd    map[string]*snRecord
}

func newSNTable(name string) *snTable {
	return &snTable{name: name, recent: map[[16]byte]*snRecord{}, odd: map[string]*snRecord{}}
}

func (t *snTable) get(sysID string) *snRecord {
	if t == nil {
		return nil
	}
	if k, ok := packSysID(sysID); ok {
		return t.byKey(k)
	}
	return t.odd[sysID]
}

func (t *snTable) byKey(k [16]byte) *snRecord {
	if r := t.recent[k]; r != nil {
		return r
	}
	if i, found := slices.BinarySearchFunc(t.sorted, k, func(r *snRecord, k [16]byte) int { return bytes.Compare(r.sys[:], k[:]) }); found {
		return t.sorted[i]
	}
	return nil
}

// put adds r, whose sys_id no record of the table has.
func (t *snTable) put(r *snRecord) {
	if r.odd != nil && r.odd.sysID != "" {
		t.odd[r.odd.sysID] = r
		return
	}
	t.recent[r.sys] = r
	if len(t.recent) >= max(idSetMinMerge, len(t.sorted)/32) {
		t.merge()
	}
}

// merge moves recent into a new sorted slice.
func (t *snTable) merge() {
	add := make([]*snRecord, 0, len(t.recent))
	for _, r := range t.recent {
		add = append(add, r)
	}
	cmp := func(a, b *snRecord) int { return bytes.Compare(a.sys[:], b.sys[:]) }
	slices.SortFunc(add, cmp)
	t.sorted = mergeSorted(t.sorted, add, cmp)
	clear(t.recent)
}

func (t *snTable) each(f func(*snRecord)) {
	for _, r := range t.sorted {
		f(r)
	}
	for _, r := range t.recent {
		f(r)
	}
	for _, r := range t.odd {
		f(r)
	}
}

// packSysID returns the 16 bytes of a sys_id of the generated shape.
func packSysID(id string) (k [16]byte, ok bool) {
	if len(id) != 32 {
		return k, false
	}
	for i := 0; i < 32; i++ {
		if c := id[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return k, false
		}
	}
	_, err := hex.Decode(k[:], []byte(id))
	return k, err == nil
}

// newRecord makes a record of table with the ids given.
func (m *serviceNowModel) newRecord(table, sysID, number string) *snRecord {
	t := m.records[table]
	if t == nil {
		t = newSNTable(strings.Clone(table))
		m.records[t.name] = t
	}
	r := &snRecord{tab: t}
	var odd snOdd
	if k, ok := packSysID(sysID); ok {
		r.sys = k
	} else {
		odd.sysID = sysID
	}
	if key, ok := m.taken.pack(number, true); ok {
		r.num = key
	} else {
		odd.number = number
	}
	if odd != (snOdd{}) {
		r.odd = &odd
	}
	return r
}

// sysID is r's sys_id as spelt.
func (r *snRecord) sysID() string {
	if r.odd != nil && r.odd.sysID != "" {
		return r.odd.sysID
	}
	return hex.EncodeToString(r.sys[:])
}

// number is r's number as spelt.
func (m *serviceNowModel) number(r *snRecord) string {
	if r.odd != nil && r.odd.number != "" {
		return r.odd.number
	}
	return m.taken.unpack(r.num)
}

// serviceNowModel is a ServiceNow instance: records per table, numbered per
// prefix.
type serviceNowModel struct {
	// seq and numbers are the fallback counters of records made without an
	// idempotency key (see ids.go).
	seq     int
	numbers map[string]int // prefix → last number given
	records map[string]*snTable
	// taken holds every record number.
	taken idSet
	// sp holds the records' fields.
	sp *spool
	// index holds, per field a query has named (World.Records), the
	// records by that field's value as the query compares it
	// (fmt.Sprint): built by the first such query, kept by every write
	// after it, dropped by clone. Only `jml sandbox` queries, so a plan
	// never pays for it.
	index map[string]map[string][]*snRecord
}

func newServiceNow(sp *spool) *serviceNowModel {
	return &serviceNowModel{numbers: map[string]int{}, records: map[string]*snTable{}, taken: newIDSet(kindNumber), sp: sp}
}

func (m *serviceNowModel) clone() model {
	c := &serviceNowModel{seq: m.seq, numbers: make(map[string]int, len(m.numbers)), records: make(map[string]*snTable, len(m.records)),
		taken: m.taken.clone(), sp: m.sp}
	for k, v := range m.numbers {
		c.numbers[k] = v
	}
	for t, recs := range m.records {
		ct := &snTable{name: recs.name, sorted: make([]*snRecord, len(recs.sorted)), recent: make(map[[16]byte]*snRecord, len(recs.recent)),
			odd: make(map[string]*snRecord, len(recs.odd))}
		cp := func(r *snRecord) *snRecord {
			cp := *r // what the spool holds, and odd, are never changed
			cp.tab = ct
			if cp.fields.at.n < 0 {
				cp.fields.mem = copyMap(r.fields.mem)
			}
			return &cp
		}
		for i, r := range recs.sorted {
			ct.sorted[i] = cp(r)
		}
		for id, r := range recs.recent {
			ct.recent[id] = cp(r)
		}
		for id, r := range recs.odd {
			ct.odd[id] = cp(r)
		}
		c.records[t] = ct
	}
	return c
}

func (m *serviceNowModel) seed(User) {}

// newSysID returns 32 lower-case hex digits derived from the idempotency
// key of the call that creates the record, or from a counter without one.
func (m *serviceNowModel) newSysID(key string) string {
	taken := func(id string) bool { return m.lookup(id) != nil }
	if key != "" {
		return newID("servicenow sys_id", key, func(h idHash) string { return h.hex(32) }, taken)
	}
	for {
		m.seq++
		sum := sha256.Sum256([]byte("sys_id:" + strconv.Itoa(m.seq)))
		if id := hex.EncodeToString(sum[:16]); !taken(id) {
			return id
		}
	}
}

func (m *serviceNowModel) lookup(sysID string) *snRecord {
	for _, recs := range m.records {
		if r := recs.get(sysID); r != nil {
			return r
		}
	}
	return nil
}

func snPrefix(table string) string {
	if p, ok := snPrefixes[table]; ok {
		return p
	}
	return "REC"
}

// snLastNumber bounds the numbers: a prefix and seven digits.
const snLastNumber = 9999999

// newNumber returns the number of a new record of table: the table's prefix
// and seven digits derived from the idempotency key of the call that
// creates it, or the prefix's next number without one.
func (m *serviceNowModel) newNumber(table, key string) string {
	p := snPrefix(table)
	if key != "" {
		return newID("servicenow number "+p, key, func(h idHash) string {
			return fmt.Sprintf("%s%07d", p, h.number(snFirstNumber, snLastNumber+1))
		}, m.taken.has)
	}
	for {
		n := m.numbers[p] + 1
		if n < snFirstNumber {
			n = snFirstNumber
		}
		m.numbers[p] = n
		if num := fmt.Sprintf("%s%07d", p, n); !m.taken.has(num) {
			return num
		}
	}
}

// noteNumber keeps later numbers after a seeded one.
func (m *serviceNowModel) noteNumber(number string) {
	i := strings.IndexFunc(number, func(r rune) bool { return r >= '0' && r <= '9' })
	if i <= 0 {
		return
	}
	if n, err := strconv.Atoi(number[i:]); err == nil && n > m.numbers[number[:i]] {
		m.numbers[number[:i]] = n
	}
}

// add adds r with fields, which it takes.
func (m *serviceNowModel) add(r *snRecord, fields map[string]any) {
	t := r.tab
	sysID, number := r.sysID(), m.number(r)
	fields["sys_id"], fields["number"] = sysID, number
	r.fields = storeMap(m.sp, fields)
	t.put(r)
	m.taken.add(number)
	m.indexRecord(r, nil, fields)
}

// indexRecord moves r in every index from its old fields' values to its
// new ones (old is nil for a new record).
func (m *serviceNowModel) indexRecord(r *snRecord, old, fields map[string]any) {
	for field, byValue := range m.index {
		if v := old[field]; v != nil {
			k := fmt.Sprint(v)
			byValue[k] = slices.DeleteFunc(byValue[k], func(x *snRecord) bool { return x == r })
		}
		if v := fields[field]; v != nil {
			k := fmt.Sprint(v)
			byValue[k] = append(byValue[k], r)
		}
	}
}

// indexed returns the records whose field, as a query compares it, is
// value, building the field's index on first use.
func (m *serviceNowModel) indexed(field, value string) []*snRecord {
	if m.index[field] == nil {
		if m.index == nil {
			m.index = map[string]map[string][]*snRecord{}
		}
		byValue := map[string][]*snRecord{}
		for _, recs := range m.records {
			recs.each(func(r *snRecord) {
				if v := r.fields.load(m.sp)[field]; v != nil {
					k := fmt.Sprint(v)
					byValue[k] = append(byValue[k], r)
				}
			})
		}
		m.index[field] = byValue
	}
	return m.index[field][value]
}

func (m *serviceNowModel) load(o obj) {
	items := o.list("records")
	// Seeded numbers first, so that generated ones come after them.
	for _, ro := range items {
		if n, ok := ro.m["number"].(string); ok {
			m.noteNumber(n)
		}
	}
	for _, ro := range items {
		ro.allow("a servicenow record", "table", "sys_id", "number", "fields", "correlation_id")
		table, sysID, number := ro.reqStr("table"), ro.str("sys_id"), ro.str("number")
		fields := ro.object("fields")
		if table == "" {
			continue
		}
		if !snTableRE.MatchString(table) {
			ro.errf("table", "invalid-value", "%q is not a ServiceNow table name", table)
			continue
		}
		if fields == nil {
			fields = map[string]any{}
		}
		if cid := ro.str("correlation_id"); cid != "" {
			fields["correlation_id"] = cid
		}
		if sysID == "" {
			sysID = m.newSysID("")
		} else if m.lookup(sysID) != nil {
			ro.errf("sys_id", "duplicate", "sys_id %s is listed twice", sysID)
		}
		if number == "" {
			number = m.newNumber(table, "")
		}
		m.add(m.newRecord(table, sysID, number), fields)
	}
}

func snNotFound() error {
	return notFound("No Record found: Record doesn't exist or ACL restricts the record retrieval")
}

func (m *serviceNowModel) do(c *call) (map[string]any, error) {
	table := strings.TrimSpace(c.str("table"))
	if !snTableRE.MatchString(table) {
		return nil, badRequest("Invalid table %s", table)
	}
	stamp := c.now.UTC().Format("2006-01-02 15:04:05")
	switch c.action {
	case "createRecord":
		fields, _ := deepCopy(c.in["fields"]).(map[string]any)
		delete(fields, "sys_id")
		delete(fields, "number")
		// The ids derive from the call's idempotency key (see ids.go).
		r := m.newRecord(table, m.newSysID(c.key()), m.newNumber(table, c.key()))
		if _, set := fields["correlation_id"]; !set && c.req.IdempotencyKey != "" {
			// The real connector looks records up by it before creating.
			fields["correlation_id"] = c.req.IdempotencyKey
		}
		fields["sys_created_on"], fields["sys_updated_on"] = stamp, stamp
		m.add(r, fields)
		return map[string]any{"sys_id": r.sysID(), "number": m.number(r)}, nil
	}
	r := m.records[table].get(strings.TrimSpace(c.str("sysId")))
	if r == nil {
		return nil, snNotFound()
	}
	switch c.action {
	case "getRecord":
		return map[string]any{"sys_id": r.sysID(), "number": m.number(r), "fields": r.fields.load(m.sp)}, nil
	case "updateRecord":
		upd, _ := c.in["fields"].(map[string]any)
		fields := r.fields.load(m.sp)
		for k, v := range upd {
			if k == "sys_id" || k == "number" {
				continue
			}
			fields[k] = deepCopy(v)
		}
		fields["sys_updated_on"] = stamp
		if m.index != nil {
			m.indexRecord(r, r.fields.load(m.sp), fields)
		}
		r.fields = storeMap(m.sp, fields)
		return map[string]any{"sys_id": r.sysID(), "number": m.number(r)}, nil
	}
	return nil, notImplemented("servicenow", c.action)
}

// sorted returns the records in table, number, sys_id order.
func (m *serviceNowModel) sorted() []*snRecord {
	var out []*snRecord
	for _, recs := range m.records {
		recs.each(func(r *snRecord) { out = append(out, r) })
	}
	m.sortRecords(out)
	return out
}

// sortRecords sorts records in table, number, sys_id order (as spelt).
func (m *serviceNowModel) sortRecords(out []*snRecord) {
	type key struct {
		r             *snRecord
		number, sysID string
	}
	keys := make([]key, len(out))
	for i, r := range out {
		keys[i] = key{r, m.number(r), r.sysID()}
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.r.tab.name != b.r.tab.name {
			return a.r.tab.name < b.r.tab.name
		}
		if a.number != b.number {
			return a.number < b.number
		}
		return a.sysID < b.sysID
	})
	for i, k := range keys {
		out[i] = k.r
	}
}

func (m *serviceNowModel) state() map[string]any {
	recs := m.sorted()
	out := make([]any, len(recs))
	for i, r := range recs {
		out[i] = map[string]any{"table": r.tab.name, "sys_id": r.sysID(), "number": m.number(r), "fields": r.fields.load(m.sp)}
	}
	return map[string]any{"records": out}
}
