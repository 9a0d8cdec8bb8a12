// Command gen writes benchmark inputs.
//
//	go run ./bench/gen DIR N          a repository: the flow library's jml.yaml
//	                                  and helpers, and N renamed copies of its
//	                                  leaver (SPEC §11: validate of 1,000 flows)
//	go run ./bench/gen -events FILE N N user.lifecycle.deactivate events of
//	                                  distinct users, NDJSON (the apply bench)
//	go run ./bench/gen -tenant FILE N N events of a tenant's System Log:
//	                                  sign-ins, MFA, policy, 0.6% lifecycle
//	                                  (the replay bench; see bench/tenant)
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jml-dev/jml/bench/tenant"
)

func main() {
	if len(os.Args) == 4 && os.Args[1] == "-tenant" {
		n, err := strconv.Atoi(os.Args[3])
		if err != nil || n < 1 {
			fmt.Fprintln(os.Stderr, "gen: N must be a positive number")
			os.Exit(64)
		}
		f, err := os.Create(os.Args[2])
		if err == nil {
			err = tenant.Write(f, tenant.Options{Events: n, Duplicates: 10})
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) == 4 && os.Args[1] == "-events" {
		n, err := strconv.Atoi(os.Args[3])
		if err != nil || n < 1 {
			fmt.Fprintln(os.Stderr, "gen: N must be a positive number")
			os.Exit(64)
		}
		if err := events(os.Args[2], n); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gen DIR N")
		os.Exit(64)
	}
	dir := os.Args[1]
	n, err := strconv.Atoi(os.Args[2])
	if err != nil || n < 1 {
		fmt.Fprintln(os.Stderr, "gen: N must be a positive number")
		os.Exit(64)
	}
	if err := gen(dir, n); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func gen(dir string, n int) error {
	lib := "flows"
	cfg, err := os.ReadFile(filepath.Join(lib, "jml.yaml"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "flows"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "jml.yaml"), []byte(strings.Replace(string(cfg), "flows: .", "flows: flows/", 1)), 0o644); err != nil {
		return err
	}
	entries, err := filepath.Glob(filepath.Join(lib, "*.yaml"))
	if err != nil {
		return err
	}
	for _, e := range entries {
		if filepath.Base(e) == "jml.yaml" {
			continue
		}
		data, err := os.ReadFile(e)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "flows", filepath.Base(e)), data, 0o644); err != nil {
			return err
		}
	}
	leaver, err := os.ReadFile(filepath.Join(lib, "leaver.yaml"))
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		// Each copy has expressions of its own (another service-account
		// domain, another ticket text), so no compile is shared.
		src := strings.Replace(string(leaver), "name: leaver\n", fmt.Sprintf("name: leaver-%04d\n", i), 1)
		src = strings.ReplaceAll(src, "svc.acme.com", fmt.Sprintf("svc%04d.acme.com", i))
		src = strings.ReplaceAll(src, "Deactivated in Okta by", fmt.Sprintf("Deactivated (%04d) in Okta by", i))
		if err := os.WriteFile(filepath.Join(dir, "flows", fmt.Sprintf("leaver-%04d.yaml", i)), []byte(src), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// events writes n deactivations of user0001@acme.com … as NDJSON.
func events(file string, n int) error {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `{"uuid":"bench-%06d","published":"2026-11-02T09:00:00.000Z","eventType":"user.lifecycle.deactivate","version":"0","actor":{"id":"00uadmin","type":"User","alternateId":"admin@acme.com"},"outcome":{"result":"SUCCESS"},"target":[{"id":"00ubench%06d","type":"User","alternateId":"user%06d@acme.com","displayName":"User %d"}]}`+"\n", i, i, i, i)
	}
	return os.WriteFile(file, []byte(b.String()), 0o644)
}
