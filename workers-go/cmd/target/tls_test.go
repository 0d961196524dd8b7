package main

import (
	"crypto/tls"
	"encoding/json"
	"log"
	"net"
	"reflect"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"locustfleet/worker/pki"
)

func TestTarget_redirect_and_encoded(t *testing.T) {
	do := serve(t)
	status, _, h := do("GET", "/redirect/2", "")
	if status != 302 || string(h.Peek("Location")) != "/redirect/1" {
		t.Errorf("/redirect/2: got %d to %q; want 302 to /redirect/1", status, h.Peek("Location"))
	}
	if status, _, _ := do("GET", "/redirect/0", ""); status != 200 {
		t.Errorf("/redirect/0: got %d; want 200", status)
	}
	for _, tc := range []struct{ path, accept, want string }{
		{"/encoded/gzip", "gzip, deflate, br", "gzip"},
		{"/encoded/br", "gzip, deflate, br", "br"},
		{"/encoded/deflate", "deflate", "deflate"},
		{"/encoded/gzip", "", "identity"},
		{"/encoded/br", "gzip", "identity"},
	} {
		status, body, h := do("GET", tc.path, "", "Accept-Encoding", tc.accept)
		var resp fasthttp.Response
		h.CopyTo(&resp.Header)
		resp.SetBodyString(body)
		text, err := resp.BodyUncompressed()
		if status != 200 || string(h.Peek("X-Encoded")) != tc.want || err != nil || !strings.Contains(string(text), "compressed hello") {
			t.Errorf("%s with Accept-Encoding %q: got %d, %q, %v; want 200, %s, the text", tc.path, tc.accept, status, h.Peek("X-Encoded"), err, tc.want)
		}
		if tc.want != "identity" && len(body) >= len(encodedText) {
			t.Errorf("%s: got %d bytes; want fewer than the text's %d", tc.path, len(body), len(encodedText))
		}
	}
	_, counts, _ := do("GET", "/_counts", "")
	var got map[string]int64
	_ = json.Unmarshal([]byte(counts), &got)
	want := map[string]int64{"GET /redirect/2": 1, "GET /redirect/0": 1, "GET /encoded/gzip": 2, "GET /encoded/br": 2, "GET /encoded/deflate": 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("/_counts: got %v; want %v", got, want)
	}
}

func TestServerTLS(t *testing.T) {
	in := pki.Temp(t).Path
	for _, tc := range []struct {
		name                string
		cert, key, clientCA string
		want                string
	}{
		{name: "plain HTTP"},
		{name: "HTTPS", cert: in(pki.ServerCertFile), key: in(pki.ServerKeyFile)},
		{name: "HTTPS with client certificates", cert: in(pki.ServerCertFile), key: in(pki.ServerKeyFile), clientCA: in(pki.CAFile)},
		{name: "a certificate without key", cert: in(pki.ServerCertFile), want: "--tls-cert and --tls-key: expected both"},
		{name: "a key of another certificate", cert: in(pki.ServerCertFile), key: in(pki.ClientKeyFile), want: "expected a PEM certificate and its key"},
		{name: "a client CA with no certificate", cert: in(pki.ServerCertFile), key: in(pki.ServerKeyFile), clientCA: in(pki.ServerKeyFile),
			want: "--tls-client-ca: " + `"` + in(pki.ServerKeyFile) + `" has no certificate`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := serverTLS(tc.cert, tc.key, tc.clientCA)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got %v; want %q", err, tc.want)
				}
				return
			}
			if err != nil || (cfg == nil) != (tc.cert == "") || (cfg != nil && (cfg.ClientAuth == tls.RequireAndVerifyClientCert) != (tc.clientCA != "")) {
				t.Fatalf("got %+v, %v; want the configuration asked for", cfg, err)
			}
		})
	}
}

func TestQuietTLS(t *testing.T) {
	var logged strings.Builder
	defer captureLog(&logged)()
	quietTLS{}.Printf("error when serving connection %q<->%q: %v", "a", "b", &net.OpError{Op: "remote error", Err: errTLS("tls: bad certificate")})
	quietTLS{}.Printf("error when serving connection %q<->%q: %v", "a", "b", errTLS("read: connection reset"))
	if got := logged.String(); strings.Contains(got, "bad certificate") || !strings.Contains(got, "connection reset") {
		t.Errorf("got log %q; want the TLS refusal dropped and the other error kept", got)
	}
}

type errTLS string

func (e errTLS) Error() string { return string(e) }

// captureLog sends the standard logger to w until the returned function is called.
func captureLog(w *strings.Builder) func() {
	old := log.Writer()
	log.SetOutput(w)
	return func() { log.SetOutput(old) }
}
