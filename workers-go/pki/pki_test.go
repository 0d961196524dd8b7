package pki

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := Temp(t)
	pool := func(name string) *x509.CertPool {
		raw, err := os.ReadFile(dir.Path(name))
		if err != nil {
			t.Fatal(err)
		}
		p := x509.NewCertPool()
		if !p.AppendCertsFromPEM(raw) {
			t.Fatalf("%s: no certificate", name)
		}
		return p
	}
	leaf := func(cert, key string) *x509.Certificate {
		pair, err := tls.LoadX509KeyPair(dir.Path(cert), dir.Path(key))
		if err != nil {
			t.Fatalf("%s with %s: %v", cert, key, err)
		}
		c, _ := x509.ParseCertificate(pair.Certificate[0])
		return c
	}
	for _, tc := range []struct {
		name      string
		cert, key string
		roots     string
		dnsName   string
		usage     x509.ExtKeyUsage
	}{
		{"the server for its name", ServerCertFile, ServerKeyFile, CAFile, ServerName, x509.ExtKeyUsageServerAuth},
		{"the server for 127.0.0.1", ServerCertFile, ServerKeyFile, CAFile, "127.0.0.1", x509.ExtKeyUsageServerAuth},
		{"the server for localhost", ServerCertFile, ServerKeyFile, CAFile, "localhost", x509.ExtKeyUsageServerAuth},
		{"the client", ClientCertFile, ClientKeyFile, CAFile, "", x509.ExtKeyUsageClientAuth},
		{"the other client by the other CA", OtherCertFile, OtherKeyFile, OtherCAFile, "", x509.ExtKeyUsageClientAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := leaf(tc.cert, tc.key).Verify(x509.VerifyOptions{Roots: pool(tc.roots), DNSName: tc.dnsName,
				KeyUsages: []x509.ExtKeyUsage{tc.usage}})
			if err != nil {
				t.Errorf("got %v; want a valid certificate", err)
			}
		})
	}
	t.Run("the other client is not of the CA", func(t *testing.T) {
		_, err := leaf(OtherCertFile, OtherKeyFile).Verify(x509.VerifyOptions{Roots: pool(CAFile),
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
		if err == nil {
			t.Error("got a valid chain; want the CA not to vouch for it")
		}
	})
}

func TestDir_ServerConfig(t *testing.T) {
	dir := Temp(t)
	for _, requireClient := range []bool{false, true} {
		cfg, err := dir.ServerConfig(requireClient)
		if err != nil {
			t.Fatal(err)
		}
		want := tls.NoClientCert
		if requireClient {
			want = tls.RequireAndVerifyClientCert
		}
		if len(cfg.Certificates) != 1 || cfg.ClientAuth != want || (cfg.ClientCAs != nil) != requireClient {
			t.Errorf("requireClient %v: %d certificates, client auth %v, client CAs %v; want 1, %v, %v",
				requireClient, len(cfg.Certificates), cfg.ClientAuth, cfg.ClientCAs != nil, want, requireClient)
		}
	}
	if _, err := Dir(t.TempDir()).ServerConfig(false); err == nil {
		t.Error("a folder without a PKI: no error; want the missing server certificate named")
	}
}
