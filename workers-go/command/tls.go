package command

import (
	"flag"
	"fmt"
	"net/url"
	"strings"

	"locustfleet/worker/tlsconf"
	"locustfleet/worker/urlesc"
	"locustfleet/worker/user"
)

// The TLS settings of a run without a scenario (a scenario says them in tls:).
var tlsFlags = struct {
	caFile, clientCert, clientKey, serverName *string
	insecure                                  *bool
}{
	caFile:     flag.String("tls-ca-file", "", "PEM file of CA certificates trusted besides the system's. The --tls-* flags go with an https --target and no --scenario (a scenario says them in tls:)."),
	clientCert: flag.String("tls-client-cert", "", "PEM client certificate for mutual TLS, with --tls-client-key."),
	clientKey:  flag.String("tls-client-key", "", "PEM private key of --tls-client-cert."),
	serverName: flag.String("tls-server-name", "", "Server name for SNI and certificate verification (default: the URL's host)."),
	insecure:   flag.Bool("tls-insecure-skip-verify", false, "Accept any server certificate (logged as a warning)."),
}

// flagField names a TLS setting as its flag: "ca_file" is --tls-ca-file.
func flagField(key string) string { return "--tls-" + strings.ReplaceAll(key, "_", "-") }

// applyTLSFlags sets the class's TLS configuration from the --tls-* flags; with a scenario they
// are refused, so that one file says how the worker talks to its target, and with an http://
// target too: nothing of them would be used, and the likely mistake is the scheme.
func applyTLSFlags(class *user.Class, withScenario bool) error {
	o := tlsconf.Options{CAFile: *tlsFlags.caFile, ClientCert: *tlsFlags.clientCert, ClientKey: *tlsFlags.clientKey,
		ServerName: *tlsFlags.serverName, InsecureSkipVerify: *tlsFlags.insecure}
	if o.Zero() {
		return nil
	}
	if withScenario {
		return fmt.Errorf("%s: given with --scenario; expected the scenario's tls: (ca_file, client_cert, client_key, server_name, insecure_skip_verify)",
			givenTLSFlags())
	}
	if u, err := url.Parse(class.Host); err == nil && u.Scheme != "https" {
		return fmt.Errorf("%s: given with the %s target %q; expected an https:// target (TLS settings apply to https only), or no --tls-* flag",
			givenTLSFlags(), u.Scheme, urlesc.Redact(class.Host))
	}
	cfg, err := o.Config(flagField)
	if err != nil {
		return err
	}
	class.HTTP.TLS = cfg
	return nil
}

// givenTLSFlags lists the --tls-* flags given, for an error that refuses them.
func givenTLSFlags() string {
	var given []string
	flag.VisitAll(func(f *flag.Flag) {
		if strings.HasPrefix(f.Name, "tls-") && f.Value.String() != f.DefValue {
			given = append(given, "--"+f.Name)
		}
	})
	return strings.Join(given, ", ")
}
