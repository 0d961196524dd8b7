package command

import (
	"cmp"
	"flag"
	"strings"
	"testing"

	"locustfleet/worker/pki"
	"locustfleet/worker/user"
)

func TestApplyTLSFlags(t *testing.T) {
	in := pki.Temp(t).Path
	for _, tc := range []struct {
		name     string
		flags    map[string]string
		scenario bool
		host     string // the target; "": https://127.0.0.1:8443
		want     string // error; "": none
	}{
		{name: "none given"},
		{name: "none given, with a scenario", scenario: true},
		{name: "a CA and a client pair", flags: map[string]string{"tls-ca-file": in(pki.CAFile),
			"tls-client-cert": in(pki.ClientCertFile), "tls-client-key": in(pki.ClientKeyFile), "tls-server-name": pki.ServerName}},
		{name: "with a scenario", flags: map[string]string{"tls-insecure-skip-verify": "true"}, scenario: true,
			want: "--tls-insecure-skip-verify: given with --scenario; expected the scenario's tls:"},
		// Ignored before: the target's requests never use TLS.
		{name: "a CA with an http target", flags: map[string]string{"tls-ca-file": in(pki.CAFile)}, host: "http://u:secret@127.0.0.1:8080",
			want: `--tls-ca-file: given with the http target "http://u:xxxxx@127.0.0.1:8080"; expected an https:// target (TLS settings apply to https only), or no --tls-* flag`},
		{name: "skip verify with an http target", flags: map[string]string{"tls-insecure-skip-verify": "true", "tls-server-name": "a"}, host: "HTTP://a",
			want: `--tls-insecure-skip-verify, --tls-server-name: given with the http target "HTTP://a"; expected an https:// target`},
		{name: "a CA file that is not one", flags: map[string]string{"tls-ca-file": in(pki.ClientKeyFile)},
			want: `--tls-ca-file: "` + in(pki.ClientKeyFile) + `": no certificate in it`},
		{name: "a key of another certificate", flags: map[string]string{
			"tls-client-cert": in(pki.ClientCertFile), "tls-client-key": in(pki.OtherKeyFile)},
			want: `--tls-client-key: "` + in(pki.OtherKeyFile) + `" does not go with --tls-client-cert`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for name, value := range tc.flags {
				if err := flag.Set(name, value); err != nil {
					t.Fatal(err)
				}
			}
			t.Cleanup(func() {
				for name := range tc.flags {
					_ = flag.Set(name, flag.Lookup(name).DefValue)
				}
			})
			class := &user.Class{Host: cmp.Or(tc.host, "https://127.0.0.1:8443")}
			err := applyTLSFlags(class, tc.scenario)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("got %v; want no error", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v; want %q", err, tc.want)
			case tc.want == "" && (class.HTTP.TLS != nil) != (len(tc.flags) > 0):
				t.Fatalf("got TLS %v; want one only when flags are given", class.HTTP.TLS)
			}
		})
	}
}
