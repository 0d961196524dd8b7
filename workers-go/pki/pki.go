// Package pki makes a throw-away public key infrastructure for HTTPS targets in tests, demos and
// benchmarks: a private CA, a server certificate it signed for the loopback names, a client
// certificate it signed, and a second, unrelated CA with its own client certificate (a client the
// server must refuse). Nothing is checked in: every run makes fresh keys.
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Names the server certificate is valid for: the loopback addresses and ServerName, a name that
// resolves nowhere, for tests of SNI and server_name.
var (
	ServerIPs  = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	ServerName = "target.test"
)

// The files Write creates in its folder.
const (
	CAFile         = "ca.pem"     // the CA that signed server and client
	ServerCertFile = "server.pem" // for 127.0.0.1, ::1, localhost and ServerName
	ServerKeyFile  = "server.key" // its key (PKCS #8), as are the other keys
	ClientCertFile = "client.pem" // a client certificate of the CA
	ClientKeyFile  = "client.key"
	OtherCAFile    = "other-ca.pem"     // an unrelated CA
	OtherCertFile  = "other-client.pem" // a client certificate of the unrelated CA
	OtherKeyFile   = "other-client.key"
)

// Certificates are valid from an hour ago (clocks of test machines differ a little) for a day.
const (
	validFor        = 24 * time.Hour
	clockSkewMargin = time.Hour
)

type issuer struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// Write creates the files in dir (which must exist) and returns nothing else: users read them
// as a client or server would.
func Write(dir string) error {
	ca, caPEM, err := newCA("locust-fleet test CA")
	if err != nil {
		return err
	}
	other, otherPEM, err := newCA("locust-fleet unrelated CA")
	if err != nil {
		return err
	}
	files := map[string][]byte{CAFile: caPEM, OtherCAFile: otherPEM}
	leaves := []struct {
		by        issuer
		cert, key string
		tmpl      x509.Certificate
	}{
		{ca, ServerCertFile, ServerKeyFile, x509.Certificate{
			Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost", ServerName},
			IPAddresses: ServerIPs, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}},
		{ca, ClientCertFile, ClientKeyFile, x509.Certificate{
			Subject: pkix.Name{CommonName: "load test client"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}},
		{other, OtherCertFile, OtherKeyFile, x509.Certificate{
			Subject: pkix.Name{CommonName: "unknown client"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}},
	}
	for _, l := range leaves {
		certPEM, keyPEM, err := l.by.sign(l.tmpl)
		if err != nil {
			return err
		}
		files[l.cert], files[l.key] = certPEM, keyPEM
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
			return fmt.Errorf("pki: %v", err)
		}
	}
	return nil
}

func newCA(name string) (issuer, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return issuer{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-clockSkewMargin), NotAfter: time.Now().Add(validFor),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return issuer{}, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return issuer{}, nil, err
	}
	return issuer{cert: cert, key: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

func (i issuer) sign(tmpl x509.Certificate) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial()
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-clockSkewMargin), time.Now().Add(validFor)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, i.cert, &key.PublicKey, i.key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}
