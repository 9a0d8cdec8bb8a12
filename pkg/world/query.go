package world

import (
	"fmt"
	"slices"
	"sort"

	"github.com/jml-dev/jml/pkg/effect"
)

// Records returns copies of the records of a ServiceNow instance's table
// whose fields equal every value of where (compared as text: correlation_id,
// number, …), in number order, as getRecord answers them ({sys_id, number,
// fields}). It serves the lookups idempotency needs (`sysparm_query` on
// correlation_id in `jml sandbox`).
func (w *World) Records(instance, table string, where map[string]string) []map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	in := w.instances[instance]
	if in == nil {
		return nil
	}
	m, ok := in.m.(*serviceNowModel)
	if !ok {
		return nil
	}
	// The records to compare: those the first field of where selects
	// through the model's index, or every record.
	var recs []*snRecord
	if keys := sortedKeys(where); len(keys) > 0 {
		recs = slices.Clone(m.indexed(keys[0], where[keys[0]]))
		m.sortRecords(recs)
	} else {
		recs = m.sorted()
	}
	var out []map[string]any
	for _, r := range recs {
		if r.tab.name != table {
			continue
		}
		fields := r.fields.load(m.sp)
		match := true
		for _, k := range sortedKeys(where) {
			v, ok := fields[k]
			match = match && ok && v != nil && fmt.Sprint(v) == where[k]
		}
		if match {
			out = append(out, map[string]any{"sys_id": r.sysID(), "number": m.number(r), "fields": fields})
		}
	}
	return out
}

// IssueKeys returns the keys of a Jira instance's issues that carry label,
// in project and number order (`labels = X` JQL in `jml sandbox`). An
// issue created with an idempotency key also carries its JiraLabel, which
// the world keeps as the key itself.
func (w *World) IssueKeys(instance, label string) []string {
	refs := w.Issues(instance, label)
	keys := make([]string, len(refs))
	for i, r := range refs {
		keys[i] = r["key"].(string)
	}
	return keys
}

// Issues is IssueKeys with each issue's id and self as createIssue answers
// them: [{key, id, self}].
func (w *World) Issues(instance, label string) []map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	in := w.instances[instance]
	if in == nil {
		return nil
	}
	m, ok := in.m.(*jiraModel)
	if !ok {
		return nil
	}
	var issues []*jiraIssue
	for _, is := range m.issues {
		if indexOf(is.labels, label, false) >= 0 || (is.idempotencyKey != "" && effect.JiraLabel(is.idempotencyKey) == label) {
			issues = append(issues, is)
		}
	}
	sort.Slice(issues, func(i, j int) bool {
		if issues[i].project != issues[j].project {
			return issues[i].project < issues[j].project
		}
		return issues[i].num < issues[j].num
	})
	out := make([]map[string]any, len(issues))
	for i, is := range issues {
		out[i] = is.ref()
	}
	return out
}
