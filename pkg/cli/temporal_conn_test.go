package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jml-dev/jml/pkg/effect"
	"github.com/jml-dev/jml/pkg/project"
	"github.com/jml-dev/jml/pkg/temporal"
)

// selfSigned returns a certificate and its key, PEM.
func selfSigned(t *testing.T) (cert, key []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "jml"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<33, 0), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd})
}

const temporalCfgHead = `apiVersion: jml/v1
kind: Config
`

// TestTemporalConn: flags over jml.yaml's temporal: over the defaults;
// TLS from files and secret references; every error in the section names
// jml.yaml:line:col and none quotes a secret.
func TestTemporalConn(t *testing.T) {
	cert, key := selfSigned(t)
	env := map[string]string{"TEMPORAL_API_KEY": "api-key-secret", "TLS_KEY": string(key)}
	cases := []struct {
		name    string
		cfg     string
		flags   temporalFlags
		files   map[string]string
		want    temporal.Connection // HostPort, Namespace, APIKey compared
		queue   string
		tls     bool
		usage   bool
		wantErr string
	}{
		{name: "no host anywhere", cfg: ``, usage: true, wantErr: "--temporal HOST:PORT is required"},
		{name: "flags only", cfg: ``, flags: temporalFlags{HostPort: "h:1"}, want: temporal.Connection{HostPort: "h:1", Namespace: "default"}, queue: "jml"},
		{name: "config only", cfg: "temporal: {hostPort: 'c:2', namespace: iam, taskQueue: q}\n",
			want: temporal.Connection{HostPort: "c:2", Namespace: "iam"}, queue: "q"},
		{name: "flags over config", cfg: "temporal: {hostPort: 'c:2', namespace: iam, taskQueue: q}\n",
			flags: temporalFlags{HostPort: "h:1", Namespace: "ns", TaskQueue: "tq"}, want: temporal.Connection{HostPort: "h:1", Namespace: "ns"}, queue: "tq"},
		{name: "--temporal without a value is the config's", cfg: "temporal: {hostPort: 'c:2'}\n",
			flags: temporalFlags{HostPort: temporalFromConfig}, want: temporal.Connection{HostPort: "c:2", Namespace: "default"}, queue: "jml"},
		{name: "api key and mtls", cfg: `temporal:
  hostPort: c:2
  apiKey: {env: TEMPORAL_API_KEY}
  tls:
    caFile: ca.pem
    certFile: certs/client.pem
    key: {env: TLS_KEY}
    serverName: temporal.test
`, files: map[string]string{"ca.pem": string(cert), "certs/client.pem": string(cert)},
			want: temporal.Connection{HostPort: "c:2", Namespace: "default", APIKey: "api-key-secret"}, queue: "jml", tls: true},
		{name: "key from a file", cfg: "temporal:\n  hostPort: c:2\n  tls: {certFile: c.pem, key: {file: c.key}}\n",
			files: map[string]string{"c.pem": string(cert), "c.key": string(key)}, want: temporal.Connection{HostPort: "c:2", Namespace: "default"}, queue: "jml", tls: true},
		{name: "tls: {} is the system's roots", cfg: "temporal:\n  hostPort: c:2\n  tls: {}\n",
			want: temporal.Connection{HostPort: "c:2", Namespace: "default"}, queue: "jml", tls: true},
		{name: "missing ca file", cfg: "temporal:\n  hostPort: c:2\n  tls:\n    caFile: nope.pem\n",
			wantErr: "jml.yaml:6:13: temporal.tls.caFile: cannot read nope.pem: no such file or directory"},
		{name: "missing cert file", cfg: "temporal:\n  hostPort: c:2\n  tls:\n    certFile: nope.pem\n    key: {env: TLS_KEY}\n",
			wantErr: "jml.yaml:6:15: temporal.tls.certFile: cannot read nope.pem"},
		{name: "unset api key", cfg: "temporal:\n  hostPort: c:2\n  apiKey: {env: NOT_SET}\n",
			wantErr: "jml.yaml:5:11: temporal.apiKey: environment variable NOT_SET is not set"},
		{name: "missing key file", cfg: "temporal:\n  hostPort: c:2\n  tls: {certFile: c.pem, key: {file: k.pem}}\n",
			files: map[string]string{"c.pem": string(cert)}, wantErr: "jml.yaml:5:31: temporal.tls.key: cannot read secret file"},
		{name: "ca not pem", cfg: "temporal:\n  hostPort: c:2\n  tls:\n    caFile: ca.pem\n",
			files: map[string]string{"ca.pem": "hello"}, wantErr: "jml.yaml:6:5: temporal.tls: caFile holds no PEM certificate"},
		{name: "key not the certificate's", cfg: "temporal:\n  hostPort: c:2\n  tls: {certFile: c.pem, key: {env: TEMPORAL_API_KEY}}\n",
			files: map[string]string{"c.pem": string(cert)}, wantErr: "jml.yaml:5:8: temporal.tls: the client certificate and key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write := func(name, data string) {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			write("jml.yaml", temporalCfgHead+tc.cfg)
			if err := os.Mkdir(filepath.Join(dir, "flows"), 0o755); err != nil {
				t.Fatal(err)
			}
			for n, d := range tc.files {
				write(n, d)
			}
			proj, ds := project.Load(project.Options{Dir: dir, WorkDir: dir})
			if ds.HasErrors() {
				t.Fatalf("load: %v", ds)
			}
			io := &IOStreams{WorkDir: dir, Getenv: func(k string) string { return env[k] }}
			secrets := &effect.Redactor{}
			conn, queue, err := temporalConn(io, proj, tc.flags, secrets)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if u := (usageError{}); errors.As(err, &u) != tc.usage {
					t.Fatalf("usage error: %v, want %v", !tc.usage, tc.usage)
				}
				for _, s := range env {
					if strings.Contains(err.Error(), s) {
						t.Fatalf("the error quotes a secret: %v", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if conn.HostPort != tc.want.HostPort || conn.Namespace != tc.want.Namespace || conn.APIKey != tc.want.APIKey || queue != tc.queue || (conn.TLS != nil) != tc.tls {
				t.Fatalf("got %s %s key %q queue %s tls %v", conn.HostPort, conn.Namespace, conn.APIKey, queue, conn.TLS != nil)
			}
			if conn.TLS != nil && conn.TLS.ServerName != "" && conn.TLS.ServerName != "temporal.test" {
				t.Fatalf("server name %q", conn.TLS.ServerName)
			}
			// The secrets read are redacted from everything serve and
			// worker log.
			if conn.APIKey != "" && strings.Contains(secrets.Redact("k="+conn.APIKey), conn.APIKey) {
				t.Fatal("the API key is not registered with the redactor")
			}
			if strings.Contains(tc.cfg, "key: {") && strings.Contains(secrets.Redact(string(key)), "PRIVATE KEY") {
				t.Fatal("the TLS key is not registered with the redactor")
			}
		})
	}
}

// TestTemporalArgs: the HOST:PORT after --temporal is glued to it,
// wherever the flag is; an argument that is a file, or not HOST:PORT,
// stays an argument (--temporal alone: jml.yaml's host).
func TestTemporalArgs(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a:1"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	io := &IOStreams{WorkDir: dir}
	cases := []struct{ args, want string }{
		{"apply --temporal 127.0.0.1:7233 ev.json", "apply --temporal=127.0.0.1:7233 ev.json"},
		{"apply --auto-approve ev.json --temporal 127.0.0.1:7233 --namespace n", "apply --auto-approve ev.json --temporal=127.0.0.1:7233 --namespace n"},
		{"worker --temporal [::1]:7233", "worker --temporal=[::1]:7233"},
		{"apply --temporal ev.json", "apply --temporal ev.json"},
		{"apply --temporal a:1", "apply --temporal a:1"},
		{"apply --temporal host:port", "apply --temporal host:port"},
		{"serve --temporal", "serve --temporal"},
		{"apply --temporal=h:1 ev.json", "apply --temporal=h:1 ev.json"},
		{"apply -- --temporal h:1", "apply -- --temporal h:1"},
		{"apply --namespace 127.0.0.1:7233", "apply --namespace 127.0.0.1:7233"},
	}
	for _, tc := range cases {
		if got := strings.Join(temporalArgs(io, strings.Fields(tc.args)), " "); got != tc.want {
			t.Errorf("temporalArgs(%s) = %s, want %s", tc.args, got, tc.want)
		}
	}
}
