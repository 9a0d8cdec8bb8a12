package world

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

type jiraIssue struct {
	key, project, id                        string
	num                                     int
	issueType, summary, description, status string
	labels                                  []string
	fields                                  map[string]any
	idempotencyKey                          string
}

// jiraModel is a Jira site: issues, numbered per project.
type jiraModel struct {
	// idSeq and last are the fallback counters of issues made without an
	// idempotency key and of the issues of a world file (see ids.go).
	idSeq  int
	last   map[string]int // project key → last issue number
	issues map[string]*jiraIssue
}

// jiraFirstID is the id of the first issue of a fresh site.
const jiraFirstID = 10000

// The bounds of the issue numbers and ids derived from an idempotency key.
const (
	jiraFirstNumber = 1000
	jiraLastNumber  = 999999
	jiraLastID      = 99999999
)

func newJira() *jiraModel { return &jiraModel{last: map[string]int{}, issues: map[string]*jiraIssue{}} }

func (m *jiraModel) clone() model {
	c := &jiraModel{idSeq: m.idSeq, last: make(map[string]int, len(m.last)), issues: make(map[string]*jiraIssue, len(m.issues))}
	for k, v := range m.last {
		c.last[k] = v
	}
	for k, is := range m.issues {
		cp := *is
		cp.labels = cloneStrings(is.labels)
		cp.fields = copyMap(is.fields)
		c.issues[k] = &cp
	}
	return c
}

func (m *jiraModel) seed(User) {}

// newID returns the numeric id of a new issue: derived from the idempotency
// key of the call that creates it, or the next id without one.
func (m *jiraModel) newID(key string) string {
	taken := func(id string) bool {
		for _, is := range m.issues {
			if is.id == id {
				return true
			}
		}
		return false
	}
	if key != "" {
		return newID("jira id", key, func(h idHash) string { return strconv.FormatUint(h.number(jiraFirstID+1, jiraLastID+1), 10) }, taken)
	}
	for {
		m.idSeq++
		if id := strconv.Itoa(jiraFirstID + m.idSeq); !taken(id) {
			return id
		}
	}
}

// newNumber returns the number of a new issue of project: derived from the
// idempotency key of the call that creates it, or the project's next
// number without one.
func (m *jiraModel) newNumber(project, key string) int {
	if key != "" {
		n, _ := strconv.Atoi(newID("jira number", key, func(h idHash) string {
			return strconv.FormatUint(h.number(jiraFirstNumber, jiraLastNumber+1), 10)
		}, func(n string) bool { return m.issues[project+"-"+n] != nil }))
		return n
	}
	for {
		m.last[project]++
		if n := m.last[project]; m.issues[fmt.Sprintf("%s-%d", project, n)] == nil {
			return n
		}
	}
}

func (m *jiraModel) load(o obj) {
	for _, io := range o.list("issues") {
		io.allow("a jira issue", "key", "issueType", "summary", "description", "status", "labels", "fields")
		key := strings.ToUpper(io.reqStr("key"))
		dash := strings.LastIndexByte(key, '-')
		n, err := strconv.Atoi(key[dash+1:])
		if dash <= 0 || err != nil || n <= 0 {
			if key != "" {
				io.errf("key", "invalid-value", "%q is not an issue key such as IT-12", key)
			}
			continue
		}
		is := &jiraIssue{key: key, project: key[:dash], num: n, id: m.newID(""), issueType: io.str("issueType"), summary: io.str("summary"),
			description: io.str("description"), status: io.str("status"), labels: io.strs("labels"), fields: io.object("fields")}
		if is.issueType == "" {
			is.issueType = "Task"
		}
		if is.status == "" {
			is.status = "To Do"
		}
		if m.issues[key] != nil {
			io.errf("key", "duplicate", "issue %s is listed twice", key)
		}
		m.issues[key] = is
		if n > m.last[is.project] {
			m.last[is.project] = n
		}
	}
}

func (m *jiraModel) do(c *call) (map[string]any, error) {
	if c.action != "createIssue" {
		return nil, notImplemented("jira", c.action)
	}
	project := strings.ToUpper(strings.TrimSpace(c.str("project")))
	if strings.ContainsAny(project, " -/") {
		return nil, badRequest("project: valid project is required (%q is not a project key)", c.str("project"))
	}
	fields, _ := deepCopy(c.in["fields"]).(map[string]any)
	// The key and id derive from the call's idempotency key (see ids.go).
	is := &jiraIssue{project: project, num: m.newNumber(project, c.key()), id: m.newID(c.key()), issueType: c.str("issueType"), summary: c.str("summary"),
		description: c.str("description"), status: "To Do", fields: fields, idempotencyKey: c.req.IdempotencyKey}
	is.key = fmt.Sprintf("%s-%d", project, is.num)
	if ls, ok := fields["labels"].([]any); ok {
		for _, l := range ls {
			if s, ok := l.(string); ok {
				is.labels, _ = addSorted(is.labels, s, false)
			}
		}
		delete(fields, "labels")
	}
	if len(fields) == 0 {
		// No further fields is none: the real connector sends the standard
		// ones and its label as fields too, and the sandbox cannot tell an
		// empty object from an absent one.
		is.fields = nil
	}
	m.issues[is.key] = is
	return is.ref(), nil
}

// ref is what createIssue answers: {key, id, self}.
func (is *jiraIssue) ref() map[string]any {
	return map[string]any{"key": is.key, "id": is.id, "self": "/rest/api/3/issue/" + is.id}
}

func (m *jiraModel) state() map[string]any {
	issues := make([]*jiraIssue, 0, len(m.issues))
	for _, is := range m.issues {
		issues = append(issues, is)
	}
	sort.Slice(issues, func(i, j int) bool {
		if issues[i].project != issues[j].project {
			return issues[i].project < issues[j].project
		}
		return issues[i].num < issues[j].num
	})
	out := make([]any, len(issues))
	for i, is := range issues {
		o := map[string]any{"key": is.key, "id": is.id, "project": is.project, "issueType": is.issueType, "summary": is.summary,
			"description": is.description, "status": is.status, "labels": strList(is.labels)}
		if is.fields != nil {
			o["fields"] = copyMap(is.fields)
		}
		if is.idempotencyKey != "" {
			o["idempotencyKey"] = is.idempotencyKey
		}
		out[i] = o
	}
	return map[string]any{"issues": out}
}
