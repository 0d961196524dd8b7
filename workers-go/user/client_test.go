package user

import (
	"crypto/tls"
	"log"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"locustfleet/worker/pki"
	"locustfleet/worker/tlsconf"
)

// servePKI writes a fresh PKI and starts an https server with its server certificate on
// loopback; requireClient makes it ask for a client certificate of the PKI's CA.
func servePKI(t *testing.T, requireClient bool) (host string, dir pki.Dir) {
	t.Helper()
	dir = pki.Temp(t)
	cfg, err := dir.ServerConfig(requireClient)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		who := "anonymous"
		if certs := ctx.TLSConnectionState().PeerCertificates; len(certs) > 0 {
			who = certs[0].Subject.CommonName
		}
		ctx.SetBodyString("hello " + who)
	}}
	go func() { _ = srv.Serve(tls.NewListener(ln, cfg)) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return "https://" + ln.Addr().String(), dir
}

func tlsConfig(t *testing.T, o tlsconf.Options) *tls.Config {
	t.Helper()
	cfg, err := o.Config(func(key string) string { return "tls." + key })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestSession_Do_tls(t *testing.T) {
	host, dir := servePKI(t, false)
	mtlsHost, mtlsDir := servePKI(t, true)
	for _, tc := range []struct {
		name    string
		host    string
		opts    tlsconf.Options
		body    string
		failure string
	}{
		{name: "an unknown CA fails", host: host,
			failure: "TLS: server certificate signed by an unknown authority (trust its CA: tls.ca_file, --tls-ca-file or HTTP.TLS in Go)"},
		{name: "a trusted CA", host: host, opts: tlsconf.Options{CAFile: dir.Path(pki.CAFile)}, body: "hello anonymous"},
		{name: "another CA does not vouch for the server", host: host, opts: tlsconf.Options{CAFile: dir.Path(pki.OtherCAFile)},
			failure: "TLS: server certificate signed by an unknown authority (trust its CA: tls.ca_file, --tls-ca-file or HTTP.TLS in Go)"},
		{name: "a server name the certificate has", host: host,
			opts: tlsconf.Options{CAFile: dir.Path(pki.CAFile), ServerName: pki.ServerName}, body: "hello anonymous"},
		{name: "a server name the certificate has not", host: host,
			opts:    tlsconf.Options{CAFile: dir.Path(pki.CAFile), ServerName: "elsewhere.test"},
			failure: "TLS: server certificate not valid for the server name (see tls.server_name, --tls-server-name or HTTP.TLS in Go)"},
		{name: "insecure_skip_verify accepts an unknown CA", host: host,
			opts: tlsconf.Options{InsecureSkipVerify: true}, body: "hello anonymous"},
		{name: "mutual TLS accepted", host: mtlsHost,
			opts: tlsconf.Options{CAFile: mtlsDir.Path(pki.CAFile), ClientCert: mtlsDir.Path(pki.ClientCertFile), ClientKey: mtlsDir.Path(pki.ClientKeyFile)},
			body: "hello load test client"},
		{name: "mutual TLS without a client certificate", host: mtlsHost, opts: tlsconf.Options{CAFile: mtlsDir.Path(pki.CAFile)},
			failure: "TLS: the server asks for a client certificate; none is set (tls.client_cert and tls.client_key, --tls-client-cert and --tls-client-key, or HTTP.TLS in Go)"},
		{name: "mutual TLS with a certificate of another CA", host: mtlsHost,
			opts:    tlsconf.Options{CAFile: mtlsDir.Path(pki.CAFile), ClientCert: mtlsDir.Path(pki.OtherCertFile), ClientKey: mtlsDir.Path(pki.OtherKeyFile)},
			failure: "TLS: the server refused the client certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, rec := newTestSession(t, tc.host, HTTPOptions{TLS: tlsConfig(t, tc.opts)})
			for range 2 { // the second request: a kept connection, or the same failure again
				r := s.Do(&Request{Path: "/"})
				if r.Failure != tc.failure || string(r.Body) != tc.body {
					t.Errorf("got failure %q, body %q; want %q, %q", r.Failure, r.Body, tc.failure, tc.body)
				}
			}
			if calls := rec.all(); len(calls) != 2 {
				t.Errorf("got %d recorded; want 2, one per request", len(calls))
			}
		})
	}
}

// countingServer serves "ok" on loopback and counts the connections it accepted and the most
// requests it had in progress at once.
type countingServer struct {
	mu                  sync.Mutex
	conns, active, peak int
}

func (c *countingServer) start(t *testing.T, delay time.Duration) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{
		ConnState: func(_ net.Conn, state fasthttp.ConnState) {
			if state == fasthttp.StateNew {
				c.mu.Lock()
				c.conns++
				c.mu.Unlock()
			}
		},
		Handler: func(ctx *fasthttp.RequestCtx) {
			c.mu.Lock()
			c.active++
			c.peak = max(c.peak, c.active)
			c.mu.Unlock()
			time.Sleep(delay)
			c.mu.Lock()
			c.active--
			c.mu.Unlock()
		},
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return "http://" + ln.Addr().String()
}

func (c *countingServer) counts() (conns, peak int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conns, c.peak
}

func TestSession_Do_keep_alive(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opts      HTTPOptions
		wantConns int
	}{
		{name: "one connection for every request by default", wantConns: 1},
		{name: "NoKeepAlive: one per request", opts: HTTPOptions{NoKeepAlive: true}, wantConns: 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := &countingServer{}
			s, _ := newTestSession(t, srv.start(t, 0), tc.opts)
			for range 5 {
				if r := s.Do(&Request{Path: "/"}); !r.OK() {
					t.Fatalf("got failure %q", r.Failure)
				}
			}
			if conns, _ := srv.counts(); conns != tc.wantConns {
				t.Errorf("got %d connections; want %d", conns, tc.wantConns)
			}
		})
	}
}

func TestSession_Do_MaxConns(t *testing.T) {
	srv := &countingServer{}
	host := srv.start(t, 50*time.Millisecond)
	rt, rec := newRuntime(t, &Class{Host: host, HTTP: HTTPOptions{MaxConns: 2},
		Tasks: []Task{{Name: "t", Weight: 1, Fn: func(u *User) {}}}})
	var wg sync.WaitGroup
	for range 6 { // six users' sessions share the runtime's client
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newSession(rt.t, nil)
			s.Do(&Request{Path: "/"})
		}()
	}
	wg.Wait()
	conns, peak := srv.counts()
	if conns != 2 || peak != 2 {
		t.Errorf("got %d connections, %d requests at once; want 2 and 2", conns, peak)
	}
	for _, c := range rec.all() {
		if !c.ok {
			t.Errorf("got failure %q; want the requests to wait for a connection", c.failure)
		}
	}
}

// unanswered returns the address of a loopback socket that never completes a connection: it
// listens with a backlog of 0 and never accepts, so once its queue is full the kernel drops
// further SYNs and a connect waits until it times out.
func unanswered(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sa.(*syscall.SockaddrInet4).Port}
	for range 4 { // fill the queue; these connects complete or time out, either is fine
		if c, err := net.DialTimeout("tcp", addr.String(), 100*time.Millisecond); err == nil {
			t.Cleanup(func() { _ = c.Close() })
		}
	}
	return addr.String()
}

func TestSession_Do_connect_timeout(t *testing.T) {
	addr := unanswered(t)
	for _, tc := range []struct {
		name    string
		opts    HTTPOptions
		failure string
	}{
		{name: "the connect timeout is shorter", opts: HTTPOptions{ConnectTimeout: 200 * time.Millisecond, Timeout: 2 * time.Second},
			failure: "connect timeout after 200ms"},
		{name: "the request timeout is shorter", opts: HTTPOptions{ConnectTimeout: 2 * time.Second, Timeout: 200 * time.Millisecond},
			failure: "timeout after 200ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestSession(t, "http://"+addr, tc.opts)
			began := time.Now()
			r := s.Do(&Request{Path: "/"})
			if r.Failure != tc.failure {
				t.Errorf("got failure %q; want %q", r.Failure, tc.failure)
			}
			if took := time.Since(began); took > time.Second {
				t.Errorf("took %s; want about 200ms", took)
			}
		})
	}
}

func TestNew_insecure_is_logged(t *testing.T) {
	var logged strings.Builder
	old := log.Writer()
	log.SetOutput(&logged)
	defer log.SetOutput(old)
	for _, insecure := range []bool{false, true} {
		newRuntime(t, &Class{Host: "https://127.0.0.1:8443", HTTP: HTTPOptions{TLS: &tls.Config{InsecureSkipVerify: insecure}},
			Tasks: []Task{{Name: "t", Weight: 1, Fn: func(*User) {}}}})
	}
	want := "worker: WARNING: TLS certificates are not verified (insecure_skip_verify): any server can answer for https://127.0.0.1:8443"
	if got := logged.String(); strings.Count(got, "WARNING") != 1 || !strings.Contains(got, want) {
		t.Errorf("got log %q; want one line %q", got, want)
	}
}

func TestNew_MaxConns_with_Arrival(t *testing.T) {
	fn := func(*User) {}
	for _, tc := range []struct {
		name      string
		http, arr int
		want      int
	}{
		{name: "the arrival's default", want: DefaultMaxConns},
		{name: "a smaller http limit", http: 10, want: 10},
		{name: "a smaller arrival limit", http: 2000, arr: 50, want: 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt, _ := newRuntime(t, &Class{Host: "http://x", HTTP: HTTPOptions{MaxConns: tc.http},
				Arrival: &Arrival{Rate: 1, MaxConns: tc.arr}, Tasks: []Task{{Name: "t", Weight: 1, Fn: fn}}})
			if got := rt.t.client.MaxConnsPerHost; got != tc.want {
				t.Errorf("got %d connections per host; want %d", got, tc.want)
			}
		})
	}
}

// hangUp accepts connections on loopback, reads one request head on each and closes it without
// an answer, as a crashing backend or a proxy out of connections does; it counts the requests.
func hangUp(t *testing.T) (host string, requests func() int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	n := 0
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				head, buf := "", make([]byte, 4096)
				for !strings.Contains(head, "\r\n\r\n") {
					k, err := conn.Read(buf)
					if err != nil {
						return
					}
					head += string(buf[:k])
				}
				mu.Lock()
				n++
				mu.Unlock()
			}()
		}
	}()
	return "http://" + ln.Addr().String(), func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// A request the server hangs up on, on a connection of its own, is not sent again: fasthttp sent
// it up to 5 times in all, so the server saw 5 requests where Locust counted one, and an
// overloaded server dropping connections got five times the load.
func TestSession_Do_hang_up_not_sent_again(t *testing.T) {
	for _, method := range []string{"GET", "HEAD", "PUT", "POST"} {
		t.Run(method, func(t *testing.T) {
			host, requests := hangUp(t)
			s, rec := newTestSession(t, host, HTTPOptions{})
			if r := s.Do(&Request{Method: method, Path: "/"}); r.Failure == "" {
				t.Fatalf("got no failure; want one (the server hung up)")
			}
			if got := requests(); got != 1 || len(rec.all()) != 1 {
				t.Fatalf("the server got %d requests, %d recorded; want 1 and 1", got, len(rec.all()))
			}
		})
	}
}

// Kept connections the server closed while they were idle (a keep-alive timeout shorter than the
// worker's) cost no failure, however many the pool holds: each is tried in turn, then a new one.
func TestSession_Do_stale_kept_connections_are_retried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var served sync.Mutex
	n := 0
	srv := &fasthttp.Server{IdleTimeout: 200 * time.Millisecond, Handler: func(ctx *fasthttp.RequestCtx) {
		time.Sleep(50 * time.Millisecond) // so that the users below hold a connection each
		served.Lock()
		n++
		served.Unlock()
		ctx.SetBodyString("ok")
	}}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	host := "http://" + ln.Addr().String()
	opts := HTTPOptions{Timeout: 2 * time.Second, ConnectTimeout: DefaultConnectTimeout, MaxRedirects: DefaultMaxRedirects}
	client, rec := newClient(opts), &recorder{}
	var wg sync.WaitGroup
	for range 4 { // four connections in the pool
		wg.Add(1)
		go func() {
			defer wg.Done()
			newSession(newTransport(client, rec, host, opts), nil).Do(&Request{Path: "/"})
		}()
	}
	wg.Wait()
	time.Sleep(500 * time.Millisecond) // the server closes them all
	if r := newSession(newTransport(client, rec, host, opts), nil).Do(&Request{Path: "/"}); r.Failure != "" {
		t.Fatalf("got failure %q; want the request sent on a new connection", r.Failure)
	}
	served.Lock()
	defer served.Unlock()
	if n != 5 {
		t.Fatalf("the server answered %d requests; want 5", n)
	}
}
