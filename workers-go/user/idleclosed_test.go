package user

import (
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"locustfleet/worker/pki"
	"locustfleet/worker/tlsconf"
)

// A server that closes keep-alive connections idle for 150 ms (gunicorn's 2 s, uvicorn's and
// Node's 5 s, made short), and users that wait longer between requests: every connection in the
// pool is closed by the server when the next requests go. A POST (never sent twice) and a GET
// after more stale connections than fasthttp's 5 attempts must both reach the server, and
// Locust's counts equal what it served, with no failure.
func TestSession_connections_the_server_closed_while_idle_are_not_used(t *testing.T) {
	t.Run("http", func(t *testing.T) { idleClosedUsers(t, false) })
	// TLS 1.3 with a client certificate: the server's close_notify is pending on each idle
	// connection, and every new one waits for the server's verdict (a session ticket) first
	t.Run("https with a client certificate", func(t *testing.T) { idleClosedUsers(t, true) })
}

func idleClosedUsers(t *testing.T, overTLS bool) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var served atomic.Int64
	srv := &fasthttp.Server{IdleTimeout: 150 * time.Millisecond, Handler: func(ctx *fasthttp.RequestCtx) {
		served.Add(1)
		if string(ctx.Path()) == "/slow" {
			time.Sleep(50 * time.Millisecond) // the users' requests overlap: one connection each
		}
		ctx.SetBodyString("ok")
	}}
	opts := HTTPOptions{Timeout: 2 * time.Second, ConnectTimeout: DefaultConnectTimeout, MaxRedirects: DefaultMaxRedirects}
	host := "http://" + ln.Addr().String()
	serving := net.Listener(ln)
	if overTLS {
		dir := pki.Temp(t)
		cfg, err := dir.ServerConfig(true)
		if err != nil {
			t.Fatal(err)
		}
		serving, host = tls.NewListener(ln, cfg), "https://"+ln.Addr().String()
		opts.TLS = tlsConfig(t, tlsconf.Options{CAFile: dir.Path(pki.CAFile), ClientCert: dir.Path(pki.ClientCertFile), ClientKey: dir.Path(pki.ClientKeyFile)})
	}
	go func() { _ = srv.Serve(serving) }()
	t.Cleanup(func() { _ = srv.Shutdown() })

	rec := &recorder{}
	tr := newTransport(newClient(opts), rec, host, opts)
	const users = 8 // more connections than fasthttp's 5 attempts
	sessions := make([]*Session, users)
	for i := range sessions {
		sessions[i] = newSession(tr, nil)
	}
	everyone := func(req Request) {
		var wg sync.WaitGroup
		for _, s := range sessions {
			wg.Add(1)
			go func() { defer wg.Done(); s.Do(&req) }()
		}
		wg.Wait()
	}
	everyone(Request{Path: "/slow"})
	time.Sleep(400 * time.Millisecond) // the server closes all 8 connections
	sessions[0].Do(&Request{Method: "POST", Path: "/order", Body: []byte(`{"n":1}`)})
	time.Sleep(400 * time.Millisecond)
	sessions[1].Do(&Request{Path: "/book"})
	time.Sleep(400 * time.Millisecond)
	everyone(Request{Method: "POST", Path: "/order", Body: []byte(`{"n":2}`)})

	calls := rec.all()
	for _, c := range calls {
		if !c.ok {
			t.Errorf("%s %s failed: %s", c.method, c.name, c.failure)
		}
	}
	if int64(len(calls)) != served.Load() {
		t.Errorf("recorded %d requests; the server served %d", len(calls), served.Load())
	}
}

// The look before a request is for kept connections only: a connection that has carried no
// answer yet (a TLS handshake's steps, then its first request) is written to whatever is pending
// on it (a second session ticket, which OpenSSL sends), and its first request is not refused.
func TestLazyConn_looks_only_at_connections_that_carried_an_answer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peers := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			peers <- c
		}
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	peer := <-peers
	defer peer.Close()
	c := &lazyConn{Conn: raw, addr: &connAddr{Addr: raw.LocalAddr()}}
	var b [1]byte
	step := func(what string) error { // a write after a read, once the connection was idle
		_, _ = peer.Write([]byte("x"))
		if _, err := c.Read(b[:]); err != nil {
			t.Fatalf("%s: read: %v", what, err)
		}
		time.Sleep(peekAfter + 50*time.Millisecond)
		_, _ = peer.Write([]byte("y")) // pending, unread: a ticket, or a 408 before a close
		_, err := c.Write([]byte("request"))
		_, _ = c.Read(b[:]) // take the pending byte
		return err
	}
	if _, err := c.Write([]byte("hello")); err != nil { // the first write: nothing to look at
		t.Fatal(err)
	}
	if err := step("no answer yet"); err != nil {
		t.Fatalf("a connection that carried no answer: write failed with %v; want it written", err)
	}
	c.addr.answered.Store(true)
	if err := step("kept"); err != errIdleClosed {
		t.Fatalf("a kept connection with data pending: write gave %v; want errIdleClosed", err)
	}
}
