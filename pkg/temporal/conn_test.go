package temporal

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
)

// pki is a CA, a server certificate for 127.0.0.1 and a client
// certificate, all PEM, made for the test.
type pki struct {
	ca, serverCert, serverKey, clientCert, clientKey []byte
	caCert                                           *x509.Certificate
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	key := func() (*ecdsa.PrivateKey, []byte) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return k, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	// The certificates' validity is fixed around the real time only
	// because crypto/tls checks it against the real time.
	now := time.Now()
	cert := func(tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, signer *ecdsa.PrivateKey) (*x509.Certificate, []byte) {
		tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(time.Hour)
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	}
	p := &pki{}
	caKey, _ := key()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "jml test CA"},
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	p.caCert, p.ca = cert(caTmpl, caTmpl, &caKey.PublicKey, caKey)
	sk, skPEM := key()
	_, p.serverCert = cert(&x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "temporal"},
		DNSNames: []string{"temporal.test"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}, p.caCert, &sk.PublicKey, caKey)
	p.serverKey = skPEM
	ck, ckPEM := key()
	_, p.clientCert = cert(&x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "jml worker"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}, p.caCert, &ck.PublicKey, caKey)
	p.clientKey = ckPEM
	return p
}

func TestTLSConfig(t *testing.T) {
	p := newPKI(t)
	_, otherKey := newPKI(t).clientCert, newPKI(t).clientKey
	cases := []struct {
		name    string
		files   TLSFiles
		wantErr string
		roots   bool
		certs   int
	}{
		{name: "system roots", files: TLSFiles{}},
		{name: "ca", files: TLSFiles{CA: p.ca}, roots: true},
		{name: "mtls", files: TLSFiles{CA: p.ca, Cert: p.clientCert, Key: p.clientKey, ServerName: "temporal.test"}, roots: true, certs: 1},
		{name: "ca not pem", files: TLSFiles{CA: []byte("not a certificate")}, wantErr: "caFile holds no PEM certificate"},
		{name: "ca empty", files: TLSFiles{CA: []byte{}}, wantErr: "caFile holds no PEM certificate"},
		{name: "cert without key", files: TLSFiles{Cert: p.clientCert}, wantErr: "certFile and key go together"},
		{name: "key without cert", files: TLSFiles{Key: p.clientKey}, wantErr: "certFile and key go together"},
		{name: "key of another cert", files: TLSFiles{Cert: p.clientCert, Key: otherKey}, wantErr: "the client certificate and key:"},
		{name: "key not pem", files: TLSFiles{Cert: p.clientCert, Key: []byte("SECRET-NOT-A-KEY")}, wantErr: "the client certificate and key:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := TLSConfig(tc.files)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				for _, secret := range [][]byte{otherKey, p.clientKey, []byte("SECRET-NOT-A-KEY")} {
					if strings.Contains(err.Error(), string(secret)) {
						t.Fatalf("the error quotes the key: %v", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (c.RootCAs != nil) != tc.roots || len(c.Certificates) != tc.certs || c.ServerName != tc.files.ServerName || c.MinVersion != tls.VersionTLS12 {
				t.Fatalf("config: roots %v, %d certificates, server name %q", c.RootCAs != nil, len(c.Certificates), c.ServerName)
			}
		})
	}
}

// fakeFrontend is a Temporal frontend on loopback that answers only what
// client.Dial asks (the health check, GetSystemInfo) over mutual TLS, and
// records the authorization each call carried.
type fakeFrontend struct {
	workflowservice.UnimplementedWorkflowServiceServer
	mu    sync.Mutex
	auth  []string
	peers []string
}

func (f *fakeFrontend) GetSystemInfo(ctx context.Context, _ *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	return &workflowservice.GetSystemInfoResponse{Capabilities: &workflowservice.GetSystemInfoResponse_Capabilities{}}, nil
}

func (f *fakeFrontend) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	f.auth = append(f.auth, strings.Join(md.Get("authorization"), ","))
	f.mu.Unlock()
	return h(ctx, req)
}

func startFrontend(t *testing.T, p *pki) (string, *fakeFrontend) {
	t.Helper()
	pair, err := tls.X509KeyPair(p.serverCert, p.serverKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(p.caCert)
	ff := &fakeFrontend{}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{pair},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool})), grpc.UnaryInterceptor(ff.intercept))
	workflowservice.RegisterWorkflowServiceServer(srv, ff)
	hs := health.NewServer()
	hs.SetServingStatus("temporal.api.workflowservice.v1.WorkflowService", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	return ln.Addr().String(), ff
}

// TestDialTLSAndAPIKey dials a frontend that requires a client
// certificate signed by the test CA: Dial connects with the tls.Config
// TLSConfig built, and every call carries the API key as a bearer token.
// Without the client certificate, or without the CA, it does not connect.
func TestDialTLSAndAPIKey(t *testing.T) {
	p := newPKI(t)
	addr, ff := startFrontend(t, p)
	good, err := TLSConfig(TLSFiles{CA: p.ca, Cert: p.clientCert, Key: p.clientKey})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Dial(Connection{HostPort: addr, Namespace: "iam", TLS: good, APIKey: "k-123"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	ff.mu.Lock()
	auth := ff.auth
	ff.mu.Unlock()
	if len(auth) == 0 {
		t.Fatal("the frontend saw no call")
	}
	for _, a := range auth {
		if a != "Bearer k-123" {
			t.Fatalf("authorization = %q, want the API key as a bearer token", a)
		}
	}

	noClientCert, err := TLSConfig(TLSFiles{CA: p.ca})
	if err != nil {
		t.Fatal(err)
	}
	noCA, err := TLSConfig(TLSFiles{Cert: p.clientCert, Key: p.clientKey})
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]*tls.Config{"no client certificate": noClientCert, "no CA": noCA, "plaintext": nil} {
		c, err := Dial(Connection{HostPort: addr, TLS: cfg}, nil)
		if err == nil {
			c.Close()
			t.Errorf("%s: Dial connected", name)
			continue
		}
		if !strings.Contains(err.Error(), "connecting to Temporal at "+addr) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
