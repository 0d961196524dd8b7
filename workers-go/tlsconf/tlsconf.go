// Package tlsconf turns the TLS settings of a scenario (tls:) or of the worker's flags (--tls-*)
// into the client's tls.Config, reading and checking every file at load time so that a bad
// setting stops the worker before it connects, naming the setting.
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"locustfleet/worker/hostname"
)

// Options are the settings as given; file paths are used as they are (the caller resolves
// relative ones).
type Options struct {
	CAFile             string // PEM certificates trusted besides the system's roots
	ClientCert         string // PEM client certificate (chain), with ClientKey
	ClientKey          string // its PEM private key
	ServerName         string // SNI and the name the server certificate must be valid for
	InsecureSkipVerify bool   // accept any server certificate
}

// Field names the settings in errors: Field("ca_file") is "tls.ca_file" in a scenario and
// "--tls-ca-file" on the command line.
type Field func(key string) string

// optionNames name the settings as the fields of Options, for a Go program that fills Options
// itself and passes Config no Field.
var optionNames = map[string]string{"ca_file": "Options.CAFile", "client_cert": "Options.ClientCert",
	"client_key": "Options.ClientKey", "server_name": "Options.ServerName", "insecure_skip_verify": "Options.InsecureSkipVerify"}

func optionName(key string) string { return optionNames[key] }

// Zero reports whether nothing is set: the client then uses Go's defaults (system roots, the
// host's name).
func (o Options) Zero() bool { return o == Options{} }

// Error is one problem with one setting; Key is the setting's key ("ca_file"), and the text
// starts with the field's name.
type Error struct {
	Key  string
	text string
}

func (e *Error) Error() string { return e.text }

// Config builds the client configuration. Every problem is reported, one a line (errors.Join of
// *Error), each naming its field, the value and what was expected. A nil field names the
// settings as the fields of Options ("Options.CAFile").
func (o Options) Config(field Field) (*tls.Config, error) {
	if field == nil {
		field = optionName
	}
	cfg := &tls.Config{ServerName: o.ServerName, InsecureSkipVerify: o.InsecureSkipVerify}
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &Error{Key: key, text: field(key) + ": " + fmt.Sprintf(format, args...)})
	}
	if o.ServerName != "" && !hostname.Valid(o.ServerName) {
		// No certificate can be valid for it: every handshake failed.
		bad("server_name", "got %q; expected a host name or IP address the server's certificate names, e.g. api.internal", o.ServerName)
	}
	if o.CAFile != "" {
		pool, err := caPool(o.CAFile)
		if err != nil {
			bad("ca_file", "%q: %v", o.CAFile, err)
		}
		cfg.RootCAs = pool
	}
	switch {
	case o.ClientCert != "" && o.ClientKey == "":
		bad("client_key", "missing; expected the private key of %s %q", field("client_cert"), o.ClientCert)
	case o.ClientCert == "" && o.ClientKey != "":
		bad("client_cert", "missing; expected the certificate of %s %q", field("client_key"), o.ClientKey)
	case o.ClientCert != "":
		pair, key, err := clientPair(o.ClientCert, o.ClientKey, field)
		for i, e := range err {
			bad(key[i], "%s", e)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return cfg, nil
}

// caPool is the system's roots plus the certificates of file.
func caPool(file string) (*x509.CertPool, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("cannot read it: %v", errors.Unwrap(err))
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool() // no system roots on this machine: the file's alone
	}
	added := 0
	for block, rest := pem.Decode(raw); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d is not valid: %v; expected PEM certificates", added+1, err)
		}
		pool.AddCert(cert)
		added++
	}
	if added == 0 {
		return nil, errors.New("no certificate in it; expected one or more PEM blocks BEGIN CERTIFICATE")
	}
	return pool, nil
}

// clientPair reads the client certificate and key and checks that they belong together; each
// problem comes with the key of the setting at fault.
func clientPair(certFile, keyFile string, field Field) (pair tls.Certificate, keys []string, errs []string) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		keys, errs = append(keys, "client_cert"), append(errs, fmt.Sprintf("%q: cannot read it: %v", certFile, errors.Unwrap(err)))
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		keys, errs = append(keys, "client_key"), append(errs, fmt.Sprintf("%q: cannot read it: %v", keyFile, errors.Unwrap(err)))
	}
	if len(errs) > 0 {
		return pair, keys, errs
	}
	if block, _ := pem.Decode(certPEM); block == nil || block.Type != "CERTIFICATE" {
		return pair, []string{"client_cert"}, []string{fmt.Sprintf("%q: no certificate in it; expected a PEM block BEGIN CERTIFICATE", certFile)}
	}
	if block, _ := pem.Decode(keyPEM); block == nil || !isKeyBlock(block.Type) {
		return pair, []string{"client_key"}, []string{fmt.Sprintf("%q: no private key in it; expected a PEM block BEGIN PRIVATE KEY (or RSA/EC PRIVATE KEY)", keyFile)}
	}
	pair, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return pair, []string{"client_key"}, []string{fmt.Sprintf("%q does not go with %s %q: %v; expected the key of that certificate",
			keyFile, field("client_cert"), certFile, err)}
	}
	return pair, nil, nil
}

func isKeyBlock(t string) bool {
	return t == "PRIVATE KEY" || t == "RSA PRIVATE KEY" || t == "EC PRIVATE KEY"
}
