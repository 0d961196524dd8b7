package scenario

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"locustfleet/worker/pki"
)

// pkiDir is a folder with a fresh PKI (pki.Write) and the extra files of the error cases.
func pkiDir(t *testing.T) string {
	t.Helper()
	dir := files(t, map[string]string{"empty.pem": "", "notes.txt": "not a certificate\n"})
	if err := pki.Write(dir); err != nil { // beside the extra files: not pki.Temp's folder of its own
		t.Fatal(err)
	}
	return dir
}

func TestParse_connection(t *testing.T) {
	dir := pkiDir(t)
	doc := `host: https://127.0.0.1:8443
tls:
  ca_file: ca.pem
  client_cert: client.pem
  client_key: client.key
  server_name: target.test
http:
  follow_redirects: false
  max_redirects: 3
  keep_alive: false
  max_connections: 20
  connect_timeout: 2s
tasks:
  - path: /a
    follow_redirects: false
  - path: /b
`
	p, _, _, err := parse([]byte(doc), dir, "")
	if err != nil {
		t.Fatal(err)
	}
	h := p.class("https://127.0.0.1:8443", nil).HTTP
	if h.TLS == nil || h.TLS.ServerName != "target.test" || len(h.TLS.Certificates) != 1 || h.TLS.RootCAs == nil || h.TLS.InsecureSkipVerify {
		t.Errorf("got TLS %+v; want the CA, the client pair and the server name", h.TLS)
	}
	if !h.NoRedirects || h.MaxRedirects != 3 || !h.NoKeepAlive || h.MaxConns != 20 || h.ConnectTimeout != 2*time.Second || h.Timeout != DefaultTimeout {
		t.Errorf("got %+v; want what http: says", h)
	}
	if !stepNamed(t, p, "/a").noRedirects || stepNamed(t, p, "/b").noRedirects {
		t.Error("got follow_redirects wrong; want only /a not to follow")
	}

	p, _, _, err = parse([]byte("host: http://a\ntasks: [{path: /}]\n"), dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if h := p.class("http://a", nil).HTTP; h.TLS != nil || h.NoRedirects || h.NoKeepAlive || h.MaxConns != 0 || h.MaxRedirects != 0 || h.ConnectTimeout != 0 {
		t.Errorf("got %+v; want the runtime's defaults (zero values)", h)
	}
}

func TestParse_connection_errors(t *testing.T) {
	dir := pkiDir(t)
	in := pki.Dir(dir).Path
	const h, tasks = "host: https://a\n", "tasks: [{path: /}]\n"
	for _, tc := range []struct{ name, doc, want string }{
		{"tls not a mapping", h + "tls: ca.pem\n" + tasks,
			`line 2: tls: got "ca.pem"; expected a mapping with ca_file, client_cert, client_key, server_name, insecure_skip_verify`},
		{"unknown tls key", h + "tls:\n  ca: ca.pem\n" + tasks,
			"line 3: tls.ca: unknown key; expected one of ca_file, client_cert, client_key, server_name, insecure_skip_verify"},
		{"unreadable ca_file", h + "tls:\n  ca_file: missing.pem\n" + tasks,
			`line 3: tls.ca_file: "` + in("missing.pem") + `": cannot read it: no such file or directory`},
		{"empty ca_file", h + "tls:\n  ca_file: empty.pem\n" + tasks,
			`line 3: tls.ca_file: "` + in("empty.pem") + `": no certificate in it; expected one or more PEM blocks BEGIN CERTIFICATE`},
		{"ca_file of text", h + "tls:\n  ca_file: notes.txt\n" + tasks,
			`line 3: tls.ca_file: "` + in("notes.txt") + `": no certificate in it; expected one or more PEM blocks BEGIN CERTIFICATE`},
		{"client_cert without client_key", h + "tls:\n  client_cert: client.pem\n" + tasks,
			`line 3: tls.client_key: missing; expected the private key of tls.client_cert "` + in("client.pem") + `"`},
		{"client_key without client_cert", h + "tls:\n  client_key: client.key\n" + tasks,
			`line 3: tls.client_cert: missing; expected the certificate of tls.client_key "` + in("client.key") + `"`},
		{"unreadable client files", h + "tls:\n  client_cert: c.pem\n  client_key: c.key\n" + tasks,
			`line 3: tls.client_cert: "` + in("c.pem") + `": cannot read it: no such file or directory` + "\n" +
				`line 4: tls.client_key: "` + in("c.key") + `": cannot read it: no such file or directory`},
		{"a key of another certificate", h + "tls:\n  client_cert: client.pem\n  client_key: other-client.key\n" + tasks,
			`line 4: tls.client_key: "` + in("other-client.key") + `" does not go with tls.client_cert "` + in("client.pem") +
				`": tls: private key does not match public key; expected the key of that certificate`},
		{"insecure_skip_verify not a bool", h + "tls:\n  insecure_skip_verify: yes please\n" + tasks,
			`line 3: tls.insecure_skip_verify: got "yes please"; expected true or false`},
		// Taken as not set.
		{"empty server_name", h + "tls:\n  server_name: \"\"\n" + tasks, "line 3: tls.server_name: empty; expected a value, or no server_name key"},
		{"empty ca_file key", h + "tls:\n  ca_file: \"\"\n" + tasks, "line 3: tls.ca_file: empty; expected a value, or no ca_file key"},
		{"server_name not a host name", h + "tls:\n  server_name: api internal\n" + tasks,
			`line 3: tls.server_name: got "api internal"; expected a host name or IP address the server's certificate names, e.g. api.internal`},
		{"server_name not a string", h + "tls:\n  server_name: [a]\n" + tasks, "line 3: tls.server_name: got a list; expected a string"},
		{"http not a mapping", h + "http: fast\n" + tasks,
			`line 2: http: got "fast"; expected a mapping with follow_redirects, max_redirects, keep_alive, max_connections, connect_timeout`},
		{"unknown http key", h + "http:\n  redirects: 3\n" + tasks,
			"line 3: http.redirects: unknown key; expected one of follow_redirects, max_redirects, keep_alive, max_connections, connect_timeout"},
		{"follow_redirects not a bool", h + "http:\n  follow_redirects: 3\n" + tasks, `line 3: http.follow_redirects: got "3"; expected true or false`},
		{"keep_alive not a bool", h + "http:\n  keep_alive: \"true\"\n" + tasks, `line 3: http.keep_alive: got "true"; expected true or false`},
		{"zero max_redirects", h + "http:\n  max_redirects: 0\n" + tasks,
			`line 3: http.max_redirects: got "0"; expected a whole number > 0 of redirects to follow`},
		{"negative max_connections", h + "http:\n  max_connections: -1\n" + tasks,
			`line 3: http.max_connections: got "-1"; expected a whole number > 0 of connections per host`},
		{"bad connect_timeout", h + "http:\n  connect_timeout: soon\n" + tasks,
			`line 3: http.connect_timeout: got "soon"; expected a positive duration such as 500ms, 5s or 1m`},
		{"step follow_redirects not a bool", h + "tasks:\n  - path: /\n    follow_redirects: no way\n",
			`line 4: tasks[0].follow_redirects: got "no way"; expected true or false`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), dir, "")
			if err == nil || err.Error() != tc.want {
				t.Errorf("got  %v\nwant %s", err, tc.want)
			}
		})
	}
}

// TestScenario_https runs a scenario with tls: against an https server that wants a client
// certificate, with a redirect and a gzip body checked by its text.
func TestScenario_https(t *testing.T) {
	dir := pkiDir(t)
	cfg, err := pki.Dir(dir).ServerConfig(true)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		switch string(ctx.Path()) {
		case "/old":
			ctx.Redirect("/new", fasthttp.StatusMovedPermanently)
		case "/new":
			ctx.Response.Header.Set("Content-Encoding", "gzip")
			ctx.SetBody(fasthttp.AppendGzipBytes(nil, []byte(`{"page": "the new page"}`)))
		}
	}}
	go func() {
		_ = srv.Serve(tls.NewListener(ln, cfg))
	}()
	t.Cleanup(func() { _ = srv.Shutdown() })
	host := "https://" + ln.Addr().String()

	for _, tc := range []struct {
		name, tls string
		failure   string
	}{
		{name: "accepted", tls: "tls: {ca_file: ca.pem, client_cert: client.pem, client_key: client.key, server_name: target.test}"},
		{name: "refused", tls: "tls: {ca_file: ca.pem, client_cert: other-client.pem, client_key: other-client.key}",
			failure: "TLS: the server refused the client certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := tc.tls + `
tasks:
  - name: moved
    steps:
      - path: /old
        name: old
        check: [{json: $.page, equals: the new page}, {body_contains: new page}]
      - path: /old
        name: old unfollowed
        follow_redirects: false
        expect_status: 301
`
			rt, rec := newRuntime(t, doc, dir, host)
			_ = rt.RunOnce([]string{"moved"})
			ok, failed, reasons := rec.counts()
			if tc.failure == "" && (ok["GET old"] != 1 || ok["GET old unfollowed"] != 1 || len(failed) != 0) {
				t.Errorf("got successes %v, failures %v (%v); want each step once, as a success", ok, failed, reasons)
			}
			if tc.failure != "" && (failed["GET old"] != 1 || !reasons[tc.failure] || len(reasons) != 1 || len(ok) != 0) {
				t.Errorf("got successes %v, failures %v (%v); want one failure %q", ok, failed, reasons, strings.TrimSpace(tc.failure))
			}
		})
	}
}
