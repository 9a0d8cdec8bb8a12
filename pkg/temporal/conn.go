package temporal

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	"go.temporal.io/sdk/client"
)

// Connection is where and how a client reaches the Temporal frontend:
// jml.yaml's temporal: section with the command's flags over it.
type Connection struct {
	HostPort  string
	Namespace string
	// TLS is the connection's TLS configuration; nil is plaintext gRPC,
	// unless APIKey is set (then TLS with the system's roots).
	TLS *tls.Config
	// APIKey is sent with every call as the bearer credential (Temporal
	// Cloud's API keys). It is a secret: the caller registers it with its
	// Redactor.
	APIKey string
}

// TLSFiles are the PEM contents of temporal.tls: a CA to verify the
// server by (nil: the system's roots), a client certificate and its key
// (both or neither: mTLS), and the name to verify (empty: the host). A
// field read from an empty file is empty but not nil, and an error.
type TLSFiles struct {
	CA, Cert, Key []byte
	ServerName    string
}

// TLSConfig builds the client's tls.Config from f. Its errors name what
// is wrong (a CA with no certificate, a key that does not match the
// certificate) but never quote the key.
func TLSConfig(f TLSFiles) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: f.ServerName}
	if f.CA != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(f.CA) {
			return nil, errors.New("caFile holds no PEM certificate")
		}
		c.RootCAs = pool
	}
	if (f.Cert != nil) != (f.Key != nil) {
		return nil, errors.New("certFile and key go together")
	}
	if f.Cert != nil {
		pair, err := tls.X509KeyPair(f.Cert, f.Key)
		if err != nil {
			// crypto/tls's messages name the PEM blocks it found, never
			// their bytes.
			return nil, fmt.Errorf("the client certificate and key: %v", err)
		}
		c.Certificates = []tls.Certificate{pair}
	}
	return c, nil
}

// clientOptions are the SDK's options for c.
func (c Connection) clientOptions() client.Options {
	opts := client.Options{HostPort: c.HostPort, Namespace: c.Namespace}
	opts.ConnectionOptions.TLS = c.TLS
	if c.APIKey != "" {
		// With TLS nil, the SDK turns TLS on with the system's roots.
		opts.Credentials = client.NewAPIKeyStaticCredentials(c.APIKey)
	}
	return opts
}
