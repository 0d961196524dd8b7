package main

import (
	"flag"
	"fmt"
	"strings"

	"locustfleet/worker/tlsconf"
	"locustfleet/worker/user"
)

// The TLS settings of a run without a scenario (a scenario says them in tls:).
var tlsFlags = struct {
	caFile, clientCert, clientKey, serverName *string
	insecure                                  *bool
}{
	caFile:     flag.String("tls-ca-file", "", "PEM file of CA certificates trusted besides the system's (runs without --scenario)."),
	clientCert: flag.String("tls-client-cert", "", "PEM client certificate for mutual TLS, with --tls-client-key."),
	clientKey:  flag.String("tls-client-key", "", "PEM private key of --tls-client-cert."),
	serverName: flag.String("tls-server-name", "", "Server name for SNI and certificate verification (default: the URL's host)."),
	insecure:   flag.Bool("tls-insecure-skip-verify", false, "Accept any server certificate (logged as a warning)."),
}

// flagField names a TLS setting as its flag: "ca_file" is --tls-ca-file.
func flagField(key string) string { return "--tls-" + strings.ReplaceAll(key, "_", "-") }

// applyTLSFlags sets the class's TLS configuration from the --tls-* flags; with a scenario they
// are refused, so that one file says how the worker talks to its target.
func applyTLSFlags(class *user.Class, withScenario bool) error {
	o := tlsconf.Options{CAFile: *tlsFlags.caFile, ClientCert: *tlsFlags.clientCert, ClientKey: *tlsFlags.clientKey,
		ServerName: *tlsFlags.serverName, InsecureSkipVerify: *tlsFlags.insecure}
	if o.Zero() {
		return nil
	}
	if withScenario {
		var given []string
		flag.VisitAll(func(f *flag.Flag) {
			if strings.HasPrefix(f.Name, "tls-") && f.Value.String() != f.DefValue {
				given = append(given, "--"+f.Name)
			}
		})
		return fmt.Errorf("%s: given with --scenario; expected the scenario's tls: (ca_file, client_cert, client_key, server_name, insecure_skip_verify)",
			strings.Join(given, ", "))
	}
	cfg, err := o.Config(flagField)
	if err != nil {
		return err
	}
	class.HTTP.TLS = cfg
	return nil
}
