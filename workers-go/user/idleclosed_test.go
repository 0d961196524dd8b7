package user

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// A server that closes keep-alive connections idle for 150 ms (gunicorn's 2 s, uvicorn's and
// Node's 5 s, made short), and users that wait longer between requests: every connection in the
// pool is closed by the server when the next requests go. A POST (never sent twice) and a GET
// after more stale connections than fasthttp's 5 attempts must both reach the server, and
// Locust's counts equal what it served, with no failure.
func TestSession_connections_the_server_closed_while_idle_are_not_used(t *testing.T) {
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
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })

	opts := HTTPOptions{Timeout: 2 * time.Second, ConnectTimeout: DefaultConnectTimeout, MaxRedirects: DefaultMaxRedirects}
	rec := &recorder{}
	tr := newTransport(newClient(opts), rec, "http://"+ln.Addr().String(), opts)
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
