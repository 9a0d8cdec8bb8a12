package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/jml-dev/jml/pkg/cli"
)

var update = flag.Bool("update", false, "rewrite testscript expectations (cmp targets inside the scripts)")

// TestMain lets the test binary double as jml inside the scripts.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"jml": func() { os.Exit(cli.Run(cli.System(), os.Args[1:], "test")) },
	})
}

// TestScripts runs the end-to-end CLI scripts of testdata/script.
func TestScripts(t *testing.T) {
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:           filepath.Join(repo, "testdata", "script"),
		UpdateScripts: *update,
		Setup: func(env *testscript.Env) error {
			env.Setenv("REPO", repo)
			// Colour decisions must not depend on the developer's shell.
			env.Setenv("NO_COLOR", "")
			env.Setenv("CLICOLOR", "")
			env.Setenv("CLICOLOR_FORCE", "")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// perm MODE PATH: PATH's permission bits are MODE (octal), as
			// for the files jml keeps under .jml.
			"perm": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: perm MODE PATH")
				}
				want, err := strconv.ParseUint(args[0], 8, 32)
				ts.Check(err)
				st, err := os.Stat(ts.MkAbs(args[1]))
				ts.Check(err)
				if got := st.Mode().Perm(); (uint64(got) == want) == neg {
					ts.Fatalf("%s: mode %#o, want %s%#o", args[1], got, map[bool]string{true: "not ", false: ""}[neg], want)
				}
			},
			// mkfifo NAME: a named pipe, so that a script can wait for a
			// background jml sandbox to be ready without polling a clock.
			"mkfifo": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: mkfifo NAME")
				}
				ts.Check(syscall.Mkfifo(ts.MkAbs(args[0]), 0o600))
			},
			// readurl FIFO VAR: block until a line is written to FIFO (the
			// sandbox's --ready-file) and set VAR to it.
			"readurl": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: readurl FIFO VAR")
				}
				data, err := os.ReadFile(ts.MkAbs(args[0]))
				ts.Check(err)
				line := strings.TrimSpace(string(data))
				if strings.HasPrefix(line, "error:") {
					ts.Fatalf("%s", line)
				}
				ts.Setenv(args[1], line)
			},
			// http METHOD URL [FILE]: make a request and write the body to
			// FILE (or stdout of the script's last command is not used).
			"http": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 3 && len(args) != 4 {
					ts.Fatalf("usage: http METHOD URL FILE [BODYFILE]")
				}
				var body io.Reader
				if len(args) == 4 {
					b, err := os.ReadFile(ts.MkAbs(args[3]))
					ts.Check(err)
					body = strings.NewReader(string(b))
				}
				req, err := http.NewRequest(args[0], args[1], body)
				ts.Check(err)
				if args[0] == http.MethodPost {
					req.Header.Set("Content-Type", "application/json")
				}
				resp, err := http.DefaultClient.Do(req)
				ts.Check(err)
				defer resp.Body.Close()
				data, err := io.ReadAll(resp.Body)
				ts.Check(err)
				if (resp.StatusCode >= 300) != neg {
					ts.Fatalf("%s %s: %s %s", args[0], args[1], resp.Status, data)
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[2]), data, 0o644))
			},
			// gencert CERT KEY: a self-signed TLS certificate for 127.0.0.1
			// and the unspecified addresses (jml serve --tls-cert/--tls-key on either; hook
			// -cacert trusts it).
			"gencert": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: gencert CERT KEY")
				}
				key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
				ts.Check(err)
				tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "jml serve test"},
					NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
					IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("0.0.0.0"), net.ParseIP("::")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
					ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
				der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
				ts.Check(err)
				kb, err := x509.MarshalECPrivateKey(key)
				ts.Check(err)
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
				ts.Check(os.WriteFile(ts.MkAbs(args[1]), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600))
			},
			// hook [-H NAME:VALUE]... [-status N] [-cacert FILE] METHOD URL OUTFILE [BODYFILE]:
			// a request with headers (jml serve's secret, Okta's
			// verification challenge), expecting status N (default 200),
			// trusting FILE's certificate for https; the answer's body goes
			// to OUTFILE.
			"hook": func(ts *testscript.TestScript, neg bool, args []string) {
				want := http.StatusOK
				client := http.DefaultClient
				var headers [][2]string
				for len(args) > 0 && strings.HasPrefix(args[0], "-") {
					if len(args) < 2 {
						ts.Fatalf("usage: hook [-H NAME:VALUE]... [-status N] METHOD URL OUTFILE [BODYFILE]")
					}
					switch args[0] {
					case "-H":
						k, v, _ := strings.Cut(args[1], ":")
						headers = append(headers, [2]string{k, strings.TrimSpace(v)})
					case "-status":
						n, err := strconv.Atoi(args[1])
						ts.Check(err)
						want = n
					case "-cacert":
						pemData, err := os.ReadFile(ts.MkAbs(args[1]))
						ts.Check(err)
						pool := x509.NewCertPool()
						pool.AppendCertsFromPEM(pemData)
						client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
					}
					args = args[2:]
				}
				if len(args) != 3 && len(args) != 4 {
					ts.Fatalf("usage: hook [-H NAME:VALUE]... [-status N] METHOD URL OUTFILE [BODYFILE]")
				}
				var body io.Reader
				if len(args) == 4 {
					b, err := os.ReadFile(ts.MkAbs(args[3]))
					ts.Check(err)
					body = strings.NewReader(string(b))
				}
				req, err := http.NewRequest(args[0], args[1], body)
				ts.Check(err)
				req.Header.Set("Content-Type", "application/json")
				for _, h := range headers {
					req.Header.Set(h[0], h[1])
				}
				resp, err := client.Do(req)
				ts.Check(err)
				defer resp.Body.Close()
				data, err := io.ReadAll(resp.Body)
				ts.Check(err)
				if (resp.StatusCode == want) == neg {
					ts.Fatalf("%s %s: %s %s, want %d", args[0], args[1], resp.Status, data, want)
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[2]), data, 0o644))
			},
			// genevents FILE N [TYPE [OKTAID]]: N events (NDJSON, default
			// user.lifecycle.deactivate) for user01@acme.com … (ids
			// 00uuser01…, or OKTAID for every one), one second apart.
			"genevents": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 2 || len(args) > 4 {
					ts.Fatalf("usage: genevents FILE N [TYPE [OKTAID]]")
				}
				n, err := strconv.Atoi(args[1])
				ts.Check(err)
				typ, id := "user.lifecycle.deactivate", ""
				if len(args) > 2 {
					typ = args[2]
				}
				if len(args) > 3 {
					id = args[3]
				}
				var b strings.Builder
				t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
				for i := 1; i <= n; i++ {
					uid := id
					if uid == "" {
						uid = fmt.Sprintf("00uuser%02d", i)
					}
					fmt.Fprintf(&b, `{"uuid":"0b0e0000-0000-4000-8000-%012d","published":%q,"eventType":%q,"version":"0","severity":"INFO","displayMessage":"Okta user lifecycle","actor":{"id":"00uadmin","type":"User","alternateId":"admin@acme.com","displayName":"Admin"},"outcome":{"result":"SUCCESS"},"target":[{"id":%q,"type":"User","alternateId":"user%02d@acme.com","displayName":"User %02d"}]}`+"\n",
						i, t0.Add(time.Duration(i)*time.Second).Format("2006-01-02T15:04:05.000Z"), typ, uid, i, i)
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(b.String()), 0o644))
			},
			// worldhas FILE INSTANCE LIST KEY=VALUE...: the /_world state in
			// FILE has, in INSTANCE's LIST, an item matching every KEY=VALUE
			// (KEY may be dotted: fields.table; VALUE is a string, or
			// JSON text for other values: false, 0, null).
			"worldhas": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 4 {
					ts.Fatalf("usage: worldhas FILE INSTANCE LIST KEY=VALUE...")
				}
				n := worldMatches(ts, args[0], args[1], args[2], args[3:])
				if (n > 0) == neg {
					ts.Fatalf("%s %s: %d items match %v", args[1], args[2], n, args[3:])
				}
			},
			// worldcount FILE INSTANCE LIST N [KEY=VALUE...]: exactly N items
			// of INSTANCE's LIST match.
			"worldcount": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 4 {
					ts.Fatalf("usage: worldcount FILE INSTANCE LIST N [KEY=VALUE...]")
				}
				want, err := strconv.Atoi(args[3])
				ts.Check(err)
				n := worldMatches(ts, args[0], args[1], args[2], args[4:])
				if (n == want) == neg {
					ts.Fatalf("%s %s: %d items match %v, want %d", args[1], args[2], n, args[4:], want)
				}
			},
			// mkfile NAME SIZE: a YAML file of SIZE bytes (comments after a
			// valid header), for the size-limit check.
			"mkfile": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: mkfile NAME SIZE")
				}
				size, err := strconv.Atoi(args[1])
				ts.Check(err)
				var b strings.Builder
				b.WriteString("apiVersion: jml/v1\n")
				for b.Len() < size {
					fmt.Fprintf(&b, "# %s\n", strings.Repeat("x", 70))
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(b.String()), 0o644))
			},
		},
	})
}

// worldMatches counts the items of a /_world state's INSTANCE.LIST that
// match every KEY=VALUE.
func worldMatches(ts *testscript.TestScript, file, instance, list string, conds []string) int {
	data, err := os.ReadFile(ts.MkAbs(file))
	ts.Check(err)
	var state map[string]map[string]any
	ts.Check(json.Unmarshal(data, &state))
	inst, ok := state[instance]
	if !ok {
		ts.Fatalf("%s: no instance %q", file, instance)
	}
	items, ok := inst[list].([]any)
	if !ok {
		ts.Fatalf("%s: instance %q has no list %q", file, instance, list)
	}
	n := 0
	for _, it := range items {
		ok := true
		for _, c := range conds {
			k, want, found := strings.Cut(c, "=")
			if !found {
				ts.Fatalf("condition %q is not KEY=VALUE", c)
			}
			var v any = it
			for _, part := range strings.Split(k, ".") {
				m, _ := v.(map[string]any)
				v = m[part]
			}
			got, isString := v.(string)
			if !isString {
				b, _ := json.Marshal(v)
				got = string(b)
			}
			ok = ok && got == want
		}
		if ok {
			n++
		}
	}
	return n
}
