package world

import (
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

type snRecord struct {
	table, sysID, number string
	// fields are in the model's spool (spool.go).
	fields storedMap
}

// serviceNowModel is a ServiceNow instance: records per table, numbered per
// prefix.
type serviceNowModel struct {
	// seq and numbers are the fallback counters of records made without an
	// idempotency key (see ids.go).
	seq     int
	numbers map[string]int // prefix → last number given
	records map[string]map[string]*snRecord
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
	return &serviceNowModel{numbers: map[string]int{}, records: map[string]map[string]*snRecord{}, taken: newIDSet(kindNumber), sp: sp}
}

func (m *serviceNowModel) clone() model {
	c := &serviceNowModel{seq: m.seq, numbers: make(map[string]int, len(m.numbers)), records: make(map[string]map[string]*snRecord, len(m.records)),
		taken: m.taken.clone(), sp: m.sp}
	for k, v := range m.numbers {
		c.numbers[k] = v
	}
	for t, recs := range m.records {
		cr := make(map[string]*snRecord, len(recs))
		for id, r := range recs {
			cp := *r // what the spool holds is never changed
			if cp.fields.at.n < 0 {
				cp.fields.mem = copyMap(r.fields.mem)
			}
			cr[id] = &cp
		}
		c.records[t] = cr
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
		if r := recs[sysID]; r != nil {
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
	if m.records[r.table] == nil {
		m.records[r.table] = map[string]*snRecord{}
	}
	fields["sys_id"], fields["number"] = r.sysID, r.number
	r.fields = storeMap(m.sp, fields)
	m.records[r.table][r.sysID] = r
	m.taken.add(r.number)
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
			for _, r := range recs {
				if v := r.fields.load(m.sp)[field]; v != nil {
					k := fmt.Sprint(v)
					byValue[k] = append(byValue[k], r)
				}
			}
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
		r := &snRecord{table: ro.reqStr("table"), sysID: ro.str("sys_id"), number: ro.str("number")}
		fields := ro.object("fields")
		if r.table == "" {
			continue
		}
		if !snTableRE.MatchString(r.table) {
			ro.errf("table", "invalid-value", "%q is not a ServiceNow table name", r.table)
			continue
		}
		if fields == nil {
			fields = map[string]any{}
		}
		if cid := ro.str("correlation_id"); cid != "" {
			fields["correlation_id"] = cid
		}
		if r.sysID == "" {
			r.sysID = m.newSysID("")
		} else if m.lookup(r.sysID) != nil {
			ro.errf("sys_id", "duplicate", "sys_id %s is listed twice", r.sysID)
		}
		if r.number == "" {
			r.number = m.newNumber(r.table, "")
		}
		m.add(r, fields)
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
		r := &snRecord{table: table, sysID: m.newSysID(c.key()), number: m.newNumber(table, c.key())}
		if _, set := fields["correlation_id"]; !set && c.req.IdempotencyKey != "" {
			// The real connector looks records up by it before creating.
			fields["correlation_id"] = c.req.IdempotencyKey
		}
		fields["sys_created_on"], fields["sys_updated_on"] = stamp, stamp
		m.add(r, fields)
		return map[string]any{"sys_id": r.sysID, "number": r.number}, nil
	}
	r := m.records[table][strings.TrimSpace(c.str("sysId"))]
	if r == nil {
		return nil, snNotFound()
	}
	switch c.action {
	case "getRecord":
		return map[string]any{"sys_id": r.sysID, "number": r.number, "fields": r.fields.load(m.sp)}, nil
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
		return map[string]any{"sys_id": r.sysID, "number": r.number}, nil
	}
	return nil, notImplemented("servicenow", c.action)
}

// sorted returns the records in table, number, sys_id order.
func (m *serviceNowModel) sorted() []*snRecord {
	var out []*snRecord
	for _, recs := range m.records {
		for _, r := range recs {
			out = append(out, r)
		}
	}
	sortRecords(out)
	return out
}

// sortRecords sorts records in table, number, sys_id order.
func sortRecords(out []*snRecord) {
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.table != b.table {
			return a.table < b.table
		}
		if a.number != b.number {
			return a.number < b.number
		}
		return a.sysID < b.sysID
	})
}

func (m *serviceNowModel) state() map[string]any {
	recs := m.sorted()
	out := make([]any, len(recs))
	for i, r := range recs {
		out[i] = map[string]any{"table": r.table, "sys_id": r.sysID, "number": r.number, "fields": r.fields.load(m.sp)}
	}
	return map[string]any{"records": out}
}
