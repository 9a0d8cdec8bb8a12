// Package tenant writes the System Log of a made-up Okta tenant, for the
// replay benchmarks and tests: LogEvents of the shape Okta records
// (~1.7 KB each, the fields of testdata/events), in published order, in a
// real tenant's mix — about 98% sign-ins, single sign-on, MFA and policy
// evaluations that no joiner/mover/leaver flow triggers on, group and
// profile changes, and 0.6% user.lifecycle.* events. The same seed and n
// always give the same bytes.
//
// It depends on the standard library only.
package tenant

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"
)

// mix is the tenant's event types by weight (per 10,000 events).
var mix = []struct {
	typ    string
	weight int
}{
	{"user.session.start", 2200},
	{"user.authentication.sso", 2000},
	{"policy.evaluate_sign_on", 1900},
	{"user.authentication.auth_via_mfa", 900},
	{"user.authentication.verify", 700},
	{"user.session.end", 600},
	{"system.push.send_factor_verify_push", 400},
	{"user.mfa.okta_verify.deny_push", 60},
	{"app.oauth2.as.token.grant.access_token", 400},
	{"user.authentication.authenticate", 200},
	{"user.account.lock", 20},
	{"user.mfa.factor.activate", 30},
	{"system.org.rate_limit.warning", 10},
	{"group.user_membership.add", 200},
	{"group.user_membership.remove", 120},
	{"user.account.update_profile", 60},
	{"user.account.update_password", 40},
	{"user.lifecycle.create", 20},
	{"user.lifecycle.activate", 15},
	{"user.lifecycle.deactivate", 15},
	{"user.lifecycle.suspend", 5},
	{"user.lifecycle.unsuspend", 5},
}

// Options shape a log.
type Options struct {
	// Events is how many lines to write.
	Events int
	// Users is the tenant's head count; 0 means Events/8 + 50, so that the
	// world grows with the log as it does in a real replay.
	Users int
	// Seed makes another log of the same shape.
	Seed uint64
	// Duplicates is how many events in 10,000 are a repeat of an earlier
	// line (an event hook redelivery); the same uuid twice is one event.
	Duplicates int
}

// Write writes the log as NDJSON.
func Write(w io.Writer, o Options) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	g := newGen(o)
	var prev []string
	for i := 0; i < o.Events; i++ {
		var line string
		if o.Duplicates > 0 && len(prev) > 0 && g.r.IntN(10000) < o.Duplicates {
			line = prev[g.r.IntN(len(prev))]
		} else {
			line = g.event(i)
			if len(prev) < 64 {
				prev = append(prev, line)
			} else {
				prev[g.r.IntN(len(prev))] = line
			}
		}
		bw.WriteString(line)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// Bytes returns the log as NDJSON.
func Bytes(o Options) []byte {
	var b strings.Builder
	_ = Write(&b, o)
	return []byte(b.String())
}

type gen struct {
	r     *rand.Rand
	users int
	total int
	t     time.Time
	step  time.Duration
	next  int // joiners created so far
}

var (
	first = []string{"ana", "ben", "chloe", "dev", "emma", "farid", "grace", "hugo", "ines", "jane", "kofi", "lena", "mo", "nora", "omar", "priya", "quinn", "ravi", "sara", "tom", "uma", "victor", "wei", "yara", "zoe"}
	last  = []string{"adams", "baker", "chen", "diaz", "evans", "fischer", "garcia", "haddad", "ito", "jones", "kim", "lopez", "martin", "nguyen", "okafor", "patel", "rossi", "smith", "tanaka", "weber"}
	depts = []string{"Sales", "Engineering", "Finance", "Marketing", "Support", "Legal", "People"}
	apps  = []string{"Salesforce", "Slack", "Google Workspace", "Zoom", "Jira", "GitHub", "Workday", "Box"}
	agent = []string{
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
		"Okta Verify/9.12.0 (Android 14; Pixel 8)",
	}
	cities = []struct{ city, state, country, postal, lat, lon string }{
		{"Toronto", "Ontario", "Canada", "M4M", "43.6567", "-79.34"},
		{"Concord", "New Hampshire", "United States", "03303", "43.3091", "-71.6861"},
		{"Dublin", "Leinster", "Ireland", "D02", "53.3498", "-6.2603"},
		{"Austin", "Texas", "United States", "78701", "30.2672", "-97.7431"},
		{"Berlin", "Land Berlin", "Germany", "10115", "52.52", "13.405"},
	}
)

func newGen(o Options) *gen {
	users := o.Users
	if users <= 0 {
		users = o.Events/8 + 50
	}
	span := 24 * time.Hour
	step := span / time.Duration(max(o.Events, 1))
	return &gen{r: rand.New(rand.NewPCG(o.Seed, 0x6a6d6c)), users: users, total: o.Events,
		t: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), step: step}
}

type user struct{ id, login, name string }

func (g *gen) user(i int) user {
	f, l := first[i%len(first)], last[(i/len(first))%len(last)]
	login := fmt.Sprintf("%s.%s%d@acme.com", f, l, i)
	return user{id: fmt.Sprintf("00u%017d", i), login: login, name: strings.ToUpper(f[:1]) + f[1:] + " " + strings.ToUpper(l[:1]) + l[1:]}
}

// someone is a tenant user, the busy ones more often.
func (g *gen) someone() user {
	if g.r.IntN(4) == 0 {
		return g.user(g.r.IntN(max(g.users/20, 1)))
	}
	return g.user(g.r.IntN(g.users))
}

func (g *gen) pick() string {
	n := g.r.IntN(10000)
	for _, m := range mix {
		if n < m.weight {
			return m.typ
		}
		n -= m.weight
	}
	return mix[0].typ
}

func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.r.IntN(16)]
	}
	return string(b)
}

func (g *gen) token(n int) string {
	const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.r.IntN(len(digits))]
	}
	return string(b)
}

func (g *gen) uuid() string {
	return g.hex(8) + "-" + g.hex(4) + "-11ef-" + g.hex(4) + "-" + g.hex(12)
}

func actorJSON(u user) string {
	return fmt.Sprintf(`{"id":%q,"type":"User","alternateId":%q,"displayName":%q,"detailEntry":null}`, u.id, u.login, u.name)
}

func userTarget(u user) string {
	return fmt.Sprintf(`{"id":%q,"type":"User","alternateId":%q,"displayName":%q,"detailEntry":null}`, u.id, u.login, u.name)
}

var admin = user{id: "00u00000000000admin", login: "it-admin@acme.com", name: "IT Admin"}

// event renders the i-th event.
func (g *gen) event(i int) string {
	typ := g.pick()
	g.t = g.t.Add(g.step)
	published := g.t.Format("2006-01-02T15:04:05.000Z")
	u := g.someone()
	actor := u
	msg, legacy, result, reason := "User login to Okta", "core.user_auth.login_success", "SUCCESS", "null"
	severity := "INFO"
	var targets []string
	debug := fmt.Sprintf(`"authnRequestId":%q,"deviceFingerprint":%q,"requestId":%q,"requestUri":"/idp/idx/identify","threatSuspected":"false"`,
		g.token(27), g.hex(32), g.token(27))
	app := apps[g.r.IntN(len(apps))]
	appTarget := fmt.Sprintf(`{"id":"0oa%s","type":"AppInstance","alternateId":%q,"displayName":%q,"detailEntry":{"signOnModeType":"SAML_2_0"}}`, g.token(17), app, app)
	switch {
	case strings.HasPrefix(typ, "user.session."), typ == "user.authentication.verify", typ == "user.authentication.authenticate":
		targets = append(targets, fmt.Sprintf(`{"id":"lae%s","type":"AuthenticatorEnrollment","alternateId":"unknown","displayName":"Password","detailEntry":null}`, g.token(17)),
			`{"id":"0oaz9fj21WKqTeaqs1d6","type":"AppInstance","alternateId":"Okta Dashboard","displayName":"Okta Dashboard","detailEntry":null}`)
		if typ == "user.session.end" {
			msg, legacy = "User logout from Okta", "core.user_auth.logout_success"
		}
	case typ == "user.authentication.sso", typ == "app.oauth2.as.token.grant.access_token":
		msg, legacy = "User single sign on to app", "app.auth.sso"
		targets = append(targets, appTarget, fmt.Sprintf(`{"id":"0ua%s","type":"AppUser","alternateId":%q,"displayName":%q,"detailEntry":null}`, g.token(17), u.login, u.name))
	case typ == "policy.evaluate_sign_on":
		msg, legacy = "Evaluation of sign-on policy", "null"
		targets = append(targets, fmt.Sprintf(`{"id":"rul%s","type":"Rule","alternateId":"unknown","displayName":"Catch-all Rule","detailEntry":{"policyRuleFactorMode":"2FA","policyType":"OKTA_SIGN_ON"}}`, g.token(17)),
			fmt.Sprintf(`{"id":"00p%s","type":"PolicyEntity","alternateId":"unknown","displayName":"Default Policy","detailEntry":{"policyType":"OKTA_SIGN_ON"}}`, g.token(17)))
		if g.r.IntN(10) == 0 {
			result, reason = "CHALLENGE", `"Sign-on policy evaluation resulted in CHALLENGE"`
		}
	case strings.HasPrefix(typ, "user.authentication."), strings.HasPrefix(typ, "system.push."), strings.HasPrefix(typ, "user.mfa."):
		msg, legacy = "Authentication of user via MFA", "core.user.factor.attempt_success"
		targets = append(targets, fmt.Sprintf(`{"id":"pfd%s","type":"AuthenticatorEnrollment","alternateId":"unknown","displayName":"Okta Verify","detailEntry":{"methodTypeUsed":"Okta Verify","methodUsedVerifiedProperties":"[DEVICE_BOUND, USER_PRESENCE]"}}`, g.token(17)))
		if typ == "user.mfa.okta_verify.deny_push" {
			result, reason, severity = "FAILURE", `"User rejected Okta push verify"`, "WARN"
		}
	case typ == "user.account.lock", typ == "system.org.rate_limit.warning":
		msg, legacy, severity = "Max sign in attempts exceeded", "core.user_auth.account_locked", "WARN"
		targets = append(targets, userTarget(u))
	case strings.HasPrefix(typ, "group.user_membership."):
		msg, legacy = "Add user to group membership", "core.user_group_member.user_add"
		if strings.HasSuffix(typ, "remove") {
			msg, legacy = "Remove user from group membership", "core.user_group_member.user_remove"
		}
		actor = admin
		dept := depts[g.r.IntN(len(depts))]
		targets = append(targets, userTarget(u), fmt.Sprintf(`{"id":"00g%s","type":"UserGroup","alternateId":"unknown","displayName":"%s team","detailEntry":null}`, g.token(17), dept))
	case typ == "user.account.update_profile":
		msg, legacy = "Update user profile for Okta", "core.user.config.profile_update.success"
		actor = admin
		changed := []string{"title", "mobilePhone", "department", "department,title", "manager,managerId", "login,email"}[g.r.IntN(6)]
		debug = fmt.Sprintf(`"changedAttributes":%q,"requestId":%q,"requestUri":"/api/v1/users/%s","url":"/api/v1/users/%s?"`, changed, g.token(27), u.id, u.id)
		targets = append(targets, userTarget(u))
	case typ == "user.account.update_password":
		msg, legacy = "User update password for Okta", "core.user.config.password_update.success"
		targets = append(targets, userTarget(u))
	case strings.HasPrefix(typ, "user.lifecycle."):
		actor = admin
		verb := strings.TrimPrefix(typ, "user.lifecycle.")
		msg, legacy = strings.ToUpper(verb[:1])+verb[1:]+" Okta user", "core.user.config.user_"+verb
		if verb == "create" {
			// A joiner: someone the tenant has not seen yet.
			g.next++
			u = g.user(g.users + g.next)
		}
		if g.r.IntN(40) == 0 {
			// A service account: the flows' when: leaves them out.
			u.login = strings.Replace(u.login, "@acme.com", "@svc.acme.com", 1)
		}
		debug = fmt.Sprintf(`"requestId":%q,"requestUri":"/api/v1/users/%s/lifecycle/%s","url":"/api/v1/users/%s/lifecycle/%s?"`, g.token(27), u.id, verb, u.id, verb)
		targets = append(targets, userTarget(u))
	default:
		targets = append(targets, appTarget)
	}
	c := cities[g.r.IntN(len(cities))]
	ip := fmt.Sprintf("%d.%d.%d.%d", 20+g.r.IntN(200), g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
	geo := fmt.Sprintf(`{"city":%q,"state":%q,"country":%q,"postalCode":%q,"geolocation":{"lat":%s,"lon":%s}}`, c.city, c.state, c.country, c.postal, c.lat, c.lon)
	ua := agent[g.r.IntN(len(agent))]
	var b strings.Builder
	b.Grow(2048)
	fmt.Fprintf(&b, `{"uuid":%q,"published":%q,"eventType":%q,"version":"0","displayMessage":%q,"severity":%q,`, g.uuid(), published, typ, msg, severity)
	fmt.Fprintf(&b, `"client":{"userAgent":{"rawUserAgent":%q,"os":"Mac OS X","browser":"CHROME"},"zone":"null","device":"Computer","id":null,"ipAddress":%q,"geographicalContext":%s},`, ua, ip, geo)
	fmt.Fprintf(&b, `"device":null,"actor":%s,"outcome":{"result":%q,"reason":%s},"target":[%s],`, actorJSON(actor), result, reason, strings.Join(targets, ","))
	fmt.Fprintf(&b, `"transaction":{"type":"WEB","id":%q,"detail":{}},"debugContext":{"debugData":{%s}},"legacyEventType":%q,`, g.token(27), debug, legacy)
	fmt.Fprintf(&b, `"authenticationContext":{"authenticationProvider":null,"credentialProvider":null,"credentialType":null,"issuer":null,"authenticationStep":0,"externalSessionId":%q,"interface":null},`, "idx"+g.token(24))
	fmt.Fprintf(&b, `"securityContext":{"asNumber":%d,"asOrg":"comcast","isp":"comcast","domain":"comcast.net","isProxy":false},`, 7000+g.r.IntN(900))
	fmt.Fprintf(&b, `"request":{"ipChain":[{"ip":%q,"geographicalContext":null,"version":"V4","source":null}]}}`, ip)
	return b.String()
}
