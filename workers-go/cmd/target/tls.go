package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"
)

// serverTLS is the target's TLS configuration from --tls-cert, --tls-key and --tls-client-ca
// (nil when none is given: plain HTTP). With a client CA, clients must present a certificate it
// signed.
func serverTLS(certFile, keyFile, clientCA string) (*tls.Config, error) {
	if certFile == "" && keyFile == "" && clientCA == "" {
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, errors.New("--tls-cert and --tls-key: expected both, or neither for plain HTTP")
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert %q, --tls-key %q: %v; expected a PEM certificate and its key", certFile, keyFile, err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{pair}}
	if clientCA != "" {
		raw, err := os.ReadFile(clientCA)
		if err != nil {
			return nil, fmt.Errorf("--tls-client-ca: %v", err)
		}
		cfg.ClientCAs = x509.NewCertPool()
		if !cfg.ClientCAs.AppendCertsFromPEM(raw) {
			return nil, fmt.Errorf("--tls-client-ca: %q has no certificate; expected PEM certificates", clientCA)
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// quietTLS drops fasthttp's log line for every refused handshake: a load test against a
// client-certificate target that refuses a worker would otherwise log one line per connection.
type quietTLS struct{}

func (quietTLS) Printf(format string, args ...any) {
	if len(args) > 0 {
		if err, ok := args[len(args)-1].(error); ok && strings.Contains(err.Error(), "tls: ") {
			return
		}
	}
	log.Printf(format, args...)
}
