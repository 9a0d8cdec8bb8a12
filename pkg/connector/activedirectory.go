package connector

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/jml-dev/jml/pkg/effect"
)

// userAccountControl flags
// (https://learn.microsoft.com/en-us/troubleshoot/windows-server/active-directory/useraccountcontrol-manipulate-account-properties).
const adAccountDisable = 0x2

// AD's own answers to membership changes that are already done: win32
// ERROR_MEMBER_NOT_IN_GROUP (0x561) comes with result code 53 when
// removing a non-member, ERROR_MEMBER_IN_GROUP (0x562) with 68 when adding
// a member. Other servers answer 16 and 20 (RFC 4511).
const (
	adMemberNotInGroup = "00000561"
	adMemberInGroup    = "00000562"
)

// adAttributes are the attributes getUser and the writes read.
var adAttributes = []string{"sAMAccountName", "userAccountControl", "memberOf", "mail", "displayName"}

// adClient performs activedirectory actions over LDAP (ldap:// with
// optional StartTLS, or ldaps://): one connection per action, bound with
// the instance's bind DN and password, closed when the action ends.
type adClient struct {
	in *Instance
	// tls verifies the server's certificate (the system roots by default;
	// tests set their own).
	tls *tls.Config
}

func newActiveDirectory(in *Instance) Client { return &adClient{in: in} }

// Do performs one action.
func (c *adClient) Do(ctx context.Context, req effect.Request) (map[string]any, error) {
	switch req.Action {
	case "getUser", "disableAccount", "enableAccount", "addToGroup", "removeFromGroup", "moveToOU":
	default:
		return nil, Unsupported(c.in.Type, req.Action)
	}
	if c.in.Sandbox {
		// jml sandbox serves HTTP only: the world simulates Active
		// Directory in dry-run, plan and test (docs/activedirectory.md).
		return nil, &effect.Error{Status: 501, Code: "unsupported", Message: fmt.Sprintf(
			"connector %q is activedirectory (LDAP), which jml sandbox does not serve: use jml dry-run, plan or test, where the world simulates it, or apply against a directory", c.in.Name)}
	}
	v, err := Require(req.Input, "sAMAccountName")
	if err != nil {
		return nil, err
	}
	sam := strings.TrimSpace(v[0])
	var target string // groupDN or ou
	switch req.Action {
	case "addToGroup", "removeFromGroup":
		v, err := Require(req.Input, "groupDN")
		if err != nil {
			return nil, err
		}
		target = strings.TrimSpace(v[0])
	case "moveToOU":
		v, err := Require(req.Input, "ou")
		if err != nil {
			return nil, err
		}
		target = strings.TrimSpace(v[0])
		if _, perr := ldap.ParseDN(target); perr != nil || !strings.Contains(strings.ToUpper(target), "DC=") {
			return nil, effect.HTTPError(400, fmt.Sprintf("LDAP Result Code 34 \"Invalid DN Syntax\": %q is not the DN of an OU", target))
		}
	}
	baseDN := strings.TrimSpace(c.in.Settings["baseDN"])
	if baseDN == "" {
		return nil, &effect.Error{Code: "invalid_input", Message: fmt.Sprintf("connector %q: activedirectory needs baseDN (the search base, e.g. DC=acme,DC=com) in jml.yaml", c.in.Name)}
	}

	conn, done, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	fail := func(op string, err error) error { return ldapError(ctx, op, err) }

	u, err := c.findUser(ctx, conn, baseDN, sam)
	if err != nil {
		return nil, fail("search", err)
	}
	switch req.Action {
	case "getUser":
		return u.outputs(), nil
	case "disableAccount", "enableAccount":
		if !u.uacOK {
			return nil, &effect.Error{Code: "bad_response", Message: fmt.Sprintf(
				"the user %s has no readable userAccountControl (%q): the bind account may lack read access, and writing the flags blind would clear the others", u.dn, u.uacRaw)}
		}
		uac := u.uac | adAccountDisable
		if req.Action == "enableAccount" {
			uac = u.uac &^ adAccountDisable
		}
		if uac == u.uac {
			// Already in the wanted state: no write at all.
			return map[string]any{}, nil
		}
		// Read-modify-write: replace with the value read, the one bit
		// changed, so that the other flags (DONT_EXPIRE_PASSWORD…) stay.
		m := ldap.NewModifyRequest(u.dn, nil)
		m.Replace("userAccountControl", []string{strconv.FormatInt(uac, 10)})
		if err := conn.Modify(m); err != nil {
			return nil, fail("modify "+u.dn, err)
		}
		return map[string]any{}, nil
	case "addToGroup":
		m := ldap.NewModifyRequest(target, nil)
		m.Add("member", []string{u.dn})
		if err := conn.Modify(m); err != nil && !alreadyMember(err) {
			return nil, fail("modify "+target, err)
		}
		return map[string]any{}, nil
	case "removeFromGroup":
		m := ldap.NewModifyRequest(target, nil)
		m.Delete("member", []string{u.dn})
		if err := conn.Modify(m); err != nil && !notMember(err) {
			return nil, fail("modify "+target, err)
		}
		return map[string]any{}, nil
	default: // moveToOU
		rdn, parent := splitDN(u.dn)
		if sameDN(parent, target) {
			return map[string]any{}, nil
		}
		if err := conn.ModifyDN(ldap.NewModifyDNRequest(u.dn, rdn, true, target)); err != nil {
			return nil, fail("modify DN "+u.dn, err)
		}
		return map[string]any{}, nil
	}
}

// connect dials the directory, starts TLS when asked, and binds. done
// closes the connection; a cancelled context closes it at once, which
// ends any operation in flight.
func (c *adClient) connect(ctx context.Context) (*ldap.Conn, func(), error) {
	u := c.in.BaseURL
	if u == nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") {
		return nil, nil, &effect.Error{Code: "invalid_input", Message: fmt.Sprintf("connector %q: activedirectory needs an ldap:// or ldaps:// baseURL", c.in.Name)}
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "389"
		if u.Scheme == "ldaps" {
			port = "636"
		}
	}
	addr := net.JoinHostPort(host, port)
	cfg := c.tls
	if cfg == nil {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	cfg = cfg.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	startTLS := strings.EqualFold(c.in.Settings["startTLS"], "true") && u.Scheme == "ldap"
	var dn, pw string
	switch a := c.in.Auth.(type) {
	case LDAPBind:
		dn, pw = a.BindDN, a.Password
	case Basic:
		dn, pw = a.Username, a.Password
	}
	if dn != "" && u.Scheme == "ldap" && !startTLS && !adLoopback(host) {
		// A simple bind sends the password as is: never over the network
		// in clear (a loopback tunnel is fine).
		return nil, nil, &effect.Error{Code: "invalid_input", Message: fmt.Sprintf(
			"connector %q: refusing to send the bind password over ldap:// without TLS: use ldaps:// or startTLS: true", c.in.Name)}
	}
	raw, err := (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, ldapError(ctx, "connect to "+addr, err)
	}
	if u.Scheme == "ldaps" {
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, nil, ldapError(ctx, "TLS with "+addr, err)
		}
		raw = tc
	}
	conn := ldap.NewConn(raw, u.Scheme == "ldaps")
	conn.Start()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetTimeout(max(time.Until(dl), time.Millisecond))
	}
	// go-ldap takes no context: closing the socket when the context ends
	// makes the operation in flight return at once.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	done := func() {
		stop()
		conn.Close()
	}
	if startTLS {
		if err := conn.StartTLS(cfg); err != nil {
			done()
			return nil, nil, ldapError(ctx, "StartTLS with "+addr, err)
		}
	}
	if dn != "" {
		// The password never reaches a message: go-ldap's errors carry
		// the server's diagnostic, not the request.
		if err := conn.Bind(dn, pw); err != nil {
			done()
			return nil, nil, ldapError(ctx, "bind as "+dn, err)
		}
	}
	return conn, done, nil
}

// adLoopback reports whether host is this machine.
func adLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// adUser is a user entry as read.
type adUser struct {
	dn, mail, displayName, uacRaw string
	uac                           int64
	uacOK                         bool
	groups                        []string
}

func (u *adUser) outputs() map[string]any {
	groups := make([]any, len(u.groups))
	for i, g := range u.groups {
		groups[i] = g
	}
	return map[string]any{"dn": u.dn, "disabled": u.uac&adAccountDisable != 0, "groups": groups,
		"userAccountControl": u.uac, "mail": u.mail, "displayName": u.displayName}
}

// findUser searches the subtree of baseDN for exactly one user with the
// sAMAccountName, escaped into the filter.
func (c *adClient) findUser(ctx context.Context, conn *ldap.Conn, baseDN, sam string) (*adUser, error) {
	filter := "(&(objectCategory=person)(objectClass=user)(sAMAccountName=" + ldap.EscapeFilter(sam) + "))"
	timeLimit := 0
	if dl, ok := ctx.Deadline(); ok {
		timeLimit = max(int(time.Until(dl)/time.Second), 1)
	}
	res, err := conn.Search(ldap.NewSearchRequest(baseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, timeLimit, false,
		filter, adAttributes, nil))
	if err != nil {
		return nil, err
	}
	switch len(res.Entries) {
	case 0:
		return nil, effect.HTTPError(404, fmt.Sprintf("LDAP search found no user with sAMAccountName %s", sam))
	case 1:
	default:
		return nil, effect.HTTPError(409, fmt.Sprintf("LDAP search found %d users with sAMAccountName %s under %s", len(res.Entries), sam, baseDN))
	}
	e := res.Entries[0]
	u := &adUser{dn: e.DN, mail: e.GetEqualFoldAttributeValue("mail"), displayName: e.GetEqualFoldAttributeValue("displayName"),
		uacRaw: e.GetEqualFoldAttributeValue("userAccountControl"), groups: e.GetEqualFoldAttributeValues("memberOf")}
	if n, err := strconv.ParseInt(strings.TrimSpace(u.uacRaw), 10, 64); err == nil {
		u.uac, u.uacOK = n, true
	}
	// memberOf comes in the directory's order: sorted, the output is stable.
	sort.Strings(u.groups)
	if u.groups == nil {
		u.groups = []string{}
	}
	return u, nil
}

func ldapCode(err error) (uint16, string, bool) {
	var le *ldap.Error
	if !errors.As(err, &le) {
		return 0, "", false
	}
	msg := ""
	if le.Err != nil {
		msg = le.Err.Error()
	}
	return le.ResultCode, msg, true
}

func alreadyMember(err error) bool {
	code, msg, ok := ldapCode(err)
	return ok && (code == ldap.LDAPResultAttributeOrValueExists ||
		(code == ldap.LDAPResultEntryAlreadyExists && strings.HasPrefix(msg, adMemberInGroup)))
}

func notMember(err error) bool {
	code, msg, ok := ldapCode(err)
	return ok && (code == ldap.LDAPResultNoSuchAttribute ||
		(code == ldap.LDAPResultUnwillingToPerform && strings.HasPrefix(msg, adMemberNotInGroup)))
}

// splitDN returns the first RDN of a DN as written (escapes kept) and the
// rest.
func splitDN(dn string) (rdn, parent string) {
	for i := 0; i < len(dn); i++ {
		switch dn[i] {
		case '\\':
			i++
		case ',':
			return dn[:i], strings.TrimSpace(dn[i+1:])
		}
	}
	return dn, ""
}

func sameDN(a, b string) bool {
	pa, errA := ldap.ParseDN(a)
	pb, errB := ldap.ParseDN(b)
	if errA != nil || errB != nil {
		return strings.EqualFold(a, b)
	}
	return pa.EqualFold(pb)
}

// ldapError maps a failed LDAP exchange to the *effect.Error an HTTP
// connector would give for the same failure (SPEC §8): no such object is
// a 404, invalid credentials a 401, insufficient access a 403, busy and
// unavailable a retryable 503; network failures are retryable
// "connection" errors, a deadline a retryable "timeout".
func ldapError(ctx context.Context, op string, err error) error {
	var ee *effect.Error
	if errors.As(err, &ee) {
		return ee
	}
	// A context that ended closed the socket: whatever go-ldap says, the
	// cause is the deadline or the cancellation.
	switch ctx.Err() {
	case context.DeadlineExceeded:
		return &effect.Error{Code: "timeout", Message: fmt.Sprintf("LDAP %s: no answer in time", op), Retryable: true}
	case context.Canceled:
		return &effect.Error{Code: "canceled", Message: fmt.Sprintf("LDAP %s: %v", op, ctx.Err())}
	}
	msg := fmt.Sprintf("LDAP %s: %v", op, err)
	var cve *tls.CertificateVerificationError
	var uae x509.UnknownAuthorityError
	var hne x509.HostnameError
	if errors.As(err, &cve) || errors.As(err, &uae) || errors.As(err, &hne) {
		// A retry cannot fix a certificate jml does not trust.
		return &effect.Error{Code: "connection", Message: msg}
	}
	code, _, ok := ldapCode(err)
	if !ok {
		if isTimeout(err) {
			return &effect.Error{Code: "timeout", Message: msg, Retryable: true}
		}
		return &effect.Error{Code: "connection", Message: msg, Retryable: true}
	}
	switch code {
	case ldap.LDAPResultNoSuchObject:
		return effect.HTTPError(404, msg)
	case ldap.LDAPResultInvalidCredentials, ldap.LDAPResultInappropriateAuthentication, ldap.LDAPResultStrongAuthRequired, ldap.ErrorEmptyPassword:
		return effect.HTTPError(401, msg)
	case ldap.LDAPResultInsufficientAccessRights:
		return effect.HTTPError(403, msg)
	case ldap.LDAPResultBusy, ldap.LDAPResultUnavailable, ldap.LDAPResultServerDown, ldap.LDAPResultConnectError, ldap.LDAPResultAdminLimitExceeded:
		return effect.HTTPError(503, msg)
	case ldap.LDAPResultTimeLimitExceeded, ldap.LDAPResultTimeout:
		return &effect.Error{Code: "timeout", Message: msg, Retryable: true}
	case ldap.LDAPResultInvalidDNSyntax, ldap.LDAPResultInvalidAttributeSyntax, ldap.LDAPResultConstraintViolation,
		ldap.LDAPResultObjectClassViolation, ldap.LDAPResultUndefinedAttributeType, ldap.LDAPResultNamingViolation, ldap.LDAPResultProtocolError:
		return effect.HTTPError(400, msg)
	case ldap.LDAPResultEntryAlreadyExists, ldap.LDAPResultAttributeOrValueExists:
		return effect.HTTPError(409, msg)
	case ldap.LDAPResultUnwillingToPerform:
		return effect.HTTPError(422, msg)
	case ldap.ErrorNetwork:
		if strings.Contains(msg, "timed out") {
			return &effect.Error{Code: "timeout", Message: msg, Retryable: true}
		}
		return &effect.Error{Code: "connection", Message: msg, Retryable: true}
	}
	if code >= ldap.ErrorNetwork { // go-ldap's own client-side codes
		return &effect.Error{Code: "connection", Message: msg, Retryable: true}
	}
	return &effect.Error{Code: "ldap_error", Message: msg}
}
