package pki

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
)

// Dir is a folder Write filled: tests set up a PKI with Temp, name its files with Path and serve
// its server certificate with ServerConfig.
type Dir string

// TB is what Temp needs of a test (a *testing.T or *testing.B).
type TB interface {
	Helper()
	TempDir() string
	Fatal(args ...any)
}

// Temp writes a fresh PKI into a new temporary folder of t, removed when t ends; a failure to
// write it ends t.
func Temp(t TB) Dir {
	t.Helper()
	dir := t.TempDir()
	if err := Write(dir); err != nil {
		t.Fatal(err)
	}
	return Dir(dir)
}

// Path is the path of the file name (CAFile, ClientKeyFile, ...) in d.
func (d Dir) Path(name string) string { return filepath.Join(string(d), name) }

// ServerConfig is an https server's TLS configuration with d's server certificate;
// requireClient makes it ask for a client certificate of d's CA.
func (d Dir) ServerConfig(requireClient bool) (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(d.Path(ServerCertFile), d.Path(ServerKeyFile))
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{pair}}
	if requireClient {
		caPEM, err := os.ReadFile(d.Path(CAFile))
		if err != nil {
			return nil, err
		}
		cfg.ClientCAs = x509.NewCertPool()
		if !cfg.ClientCAs.AppendCertsFromPEM(caPEM) {
			return nil, fmt.Errorf("%s: no certificate in it", d.Path(CAFile))
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}
