package tlsconf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"locustfleet/worker/pki"
)

func scenarioField(key string) string { return "tls." + key }

func TestOptions_Config(t *testing.T) {
	in := pki.Temp(t).Path
	write := func(name, content string) string {
		if err := os.WriteFile(in(name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return in(name)
	}
	empty := write("empty.pem", "")
	text := write("text.pem", "not a certificate\n")
	keyOnly, _ := os.ReadFile(in(pki.ClientKeyFile))
	keyAsCA := write("key-as-ca.pem", string(keyOnly))
	missing := in("missing.pem")

	for _, tc := range []struct {
		name string
		opts Options
		want []string // parts of the error; none: no error
	}{
		{name: "nothing set", opts: Options{}},
		{name: "a CA, a client pair, a server name", opts: Options{CAFile: in(pki.CAFile), ClientCert: in(pki.ClientCertFile),
			ClientKey: in(pki.ClientKeyFile), ServerName: "api.internal"}},
		{name: "an unreadable CA file", opts: Options{CAFile: missing},
			want: []string{`tls.ca_file: "` + missing + `": cannot read it: no such file or directory`}},
		{name: "an empty CA file", opts: Options{CAFile: empty},
			want: []string{`tls.ca_file: "` + empty + `": no certificate in it; expected one or more PEM blocks BEGIN CERTIFICATE`}},
		{name: "a CA file of text", opts: Options{CAFile: text}, want: []string{`tls.ca_file: "` + text + `": no certificate in it`}},
		{name: "a CA file with only a key", opts: Options{CAFile: keyAsCA}, want: []string{`tls.ca_file: "` + keyAsCA + `": no certificate in it`}},
		{name: "a certificate without its key", opts: Options{ClientCert: in(pki.ClientCertFile)},
			want: []string{"tls.client_key: missing; expected the private key of tls.client_cert"}},
		{name: "a key without its certificate", opts: Options{ClientKey: in(pki.ClientKeyFile)},
			want: []string{"tls.client_cert: missing; expected the certificate of tls.client_key"}},
		{name: "unreadable certificate and key", opts: Options{ClientCert: missing, ClientKey: missing + ".key"},
			want: []string{`tls.client_cert: "` + missing + `": cannot read it`, `tls.client_key: "` + missing + `.key": cannot read it`}},
		{name: "a key that is not the certificate's", opts: Options{ClientCert: in(pki.ClientCertFile), ClientKey: in(pki.OtherKeyFile)},
			want: []string{`tls.client_key: "` + in(pki.OtherKeyFile) + `" does not go with tls.client_cert "` + in(pki.ClientCertFile) + `"`,
				"expected the key of that certificate"}},
		{name: "a certificate file with no certificate", opts: Options{ClientCert: in(pki.ClientKeyFile), ClientKey: in(pki.ClientKeyFile)},
			want: []string{`tls.client_cert: "` + in(pki.ClientKeyFile) + `": no certificate in it`}},
		{name: "a key file with no key", opts: Options{ClientCert: in(pki.ClientCertFile), ClientKey: in(pki.ClientCertFile)},
			want: []string{`tls.client_key: "` + in(pki.ClientCertFile) + `": no private key in it`}},
		// No certificate names it: every handshake failed.
		{name: "a server name with a space", opts: Options{ServerName: "api internal"},
			want: []string{`tls.server_name: got "api internal"; expected a host name or IP address the server's certificate names, e.g. api.internal`}},
		{name: "a server name that is a URL", opts: Options{ServerName: "https://api.internal"}, want: []string{`tls.server_name: got "https://api.internal"`}},
		{name: "an IP address as server name", opts: Options{ServerName: "10.0.0.1"}},
		{name: "every mistake at once", opts: Options{CAFile: empty, ClientCert: in(pki.ClientCertFile)},
			want: []string{"tls.ca_file:", "tls.client_key: missing"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := tc.opts.Config(scenarioField)
			if len(tc.want) == 0 {
				if err != nil || cfg == nil {
					t.Fatalf("got error %v; want a config", err)
				}
				if cfg.ServerName != tc.opts.ServerName || (tc.opts.ClientCert != "") != (len(cfg.Certificates) == 1) ||
					(tc.opts.CAFile != "") != (cfg.RootCAs != nil) {
					t.Errorf("got server name %q, %d certificates, roots %v; want what was set", cfg.ServerName, len(cfg.Certificates), cfg.RootCAs != nil)
				}
				return
			}
			if err == nil {
				t.Fatalf("got no error; want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q; want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestOptions_Zero(t *testing.T) {
	if !(Options{}).Zero() || (Options{InsecureSkipVerify: true}).Zero() {
		t.Error("got Zero wrong; want true only when nothing is set")
	}
}

// A Go program that fills Options itself passes no Field: the errors name the fields of Options
// (a nil Field panicked at the first bad setting).
func TestOptions_Config_without_a_field_names_the_options(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.pem")
	_, err := Options{CAFile: missing, ClientKey: missing, ServerName: "not a name"}.Config(nil)
	if err == nil {
		t.Fatal("no error for a missing CA file, a key without its certificate and a bad server name")
	}
	for _, want := range []string{"Options.CAFile: \"" + missing, "Options.ClientCert: missing; expected the certificate of Options.ClientKey",
		"Options.ServerName: got \"not a name\""} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if cfg, err := (Options{InsecureSkipVerify: true}).Config(nil); err != nil || !cfg.InsecureSkipVerify {
		t.Errorf("InsecureSkipVerify alone: %v, %v; want a config that skips verification", cfg, err)
	}
}
