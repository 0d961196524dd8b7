package user

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

type call struct {
	ok      bool
	method  string
	name    string
	ms      int64
	length  int64
	failure string
}

// recorder keeps what a runtime records, for tests.
type recorder struct {
	mu    sync.Mutex
	calls []call
}

func (r *recorder) RecordSuccess(method, name string, ms, length int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call{ok: true, method: method, name: name, ms: ms, length: length})
}

func (r *recorder) RecordFailure(method, name string, ms int64, failure string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call{method: method, name: name, ms: ms, failure: failure})
}

func (r *recorder) all() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

// serve starts a real HTTP server on loopback and returns its base URL.
//
//	/status/503  answers 503       /slow     answers after 300 ms
//	/headers     echoes X-* and Authorization headers, one "Name: value" a line
//	/login       sets sid=<query user>; Path=/      /logout  deletes sid
//	/cookies     echoes the Cookie header           anything else: 200 "hello"
//	/accept-encoding  echoes Accept-Encoding as "X-Seen: value"
func serve(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{DisableHeaderNamesNormalizing: true, Handler: func(ctx *fasthttp.RequestCtx) {
		path := string(ctx.Path())
		switch {
		case strings.HasPrefix(path, "/status/"):
			code := 0
			for _, c := range path[len("/status/"):] {
				code = code*10 + int(c-'0')
			}
			ctx.SetStatusCode(code)
		case path == "/slow":
			time.Sleep(300 * time.Millisecond)
		case path == "/accept-encoding":
			ctx.SetBodyString("X-Seen: " + string(ctx.Request.Header.Peek("Accept-Encoding")))
			return
		case path == "/headers":
			var b strings.Builder
			for k, v := range ctx.Request.Header.All() {
				if strings.HasPrefix(string(k), "X-") || string(k) == "Authorization" {
					b.WriteString(string(k) + ": " + string(v) + "\n")
				}
			}
			ctx.SetBodyString(b.String())
			return
		case path == "/login":
			ctx.Response.Header.Add("Set-Cookie", "sid="+string(ctx.QueryArgs().Peek("user"))+"; Path=/")
		case path == "/logout":
			ctx.Response.Header.Add("Set-Cookie", "sid=; Path=/; Max-Age=0")
		case path == "/cookies":
			ctx.SetBody(ctx.Request.Header.Peek("Cookie"))
			return
		case path == "/links": // a field per relation
			ctx.Response.Header.Add("Link", `</items>; rel="first"`)
			ctx.Response.Header.Add("Link", `</items?page=2>; rel="next"`)
		}
		ctx.SetBodyString("hello")
	}}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return "http://" + ln.Addr().String()
}

func newTestSession(t testing.TB, host string, opts HTTPOptions) (*Session, *recorder) {
	t.Helper()
	rec := &recorder{}
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Second
	}
	if opts.ConnectTimeout == 0 {
		opts.ConnectTimeout = DefaultConnectTimeout
	}
	if opts.MaxRedirects == 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	return newSession(newTransport(newClient(opts), rec, host, opts), nil), rec
}

func TestSession_Do(t *testing.T) {
	host := serve(t)
	cases := []struct {
		name    string
		req     Request
		want    call
		status  int
		bodyHas string
	}{
		{"success", Request{Path: "/"}, call{ok: true, method: "GET", name: "/", length: 5}, 200, "hello"},
		{"name and method", Request{Method: "POST", Path: "/", Name: "home", Body: []byte("x")}, call{ok: true, method: "POST", name: "home", length: 5}, 200, "hello"},
		{"status >= 400 fails by default", Request{Path: "/status/503"},
			call{method: "GET", name: "/status/503", failure: "unexpected status 503 (expected < 400)"}, 503, ""},
		{"expected status", Request{Path: "/status/404", ExpectStatus: []int{404}},
			call{ok: true, method: "GET", name: "/status/404", length: 5}, 404, ""},
		{"unexpected status, one expected", Request{Path: "/status/201", ExpectStatus: []int{200}},
			call{method: "GET", name: "/status/201", failure: "unexpected status 201 (expected 200)"}, 201, ""},
		{"unexpected status, several expected", Request{Path: "/status/500", ExpectStatus: []int{200, 201}},
			call{method: "GET", name: "/status/500", failure: "unexpected status 500 (expected one of 200, 201)"}, 500, ""},
		{"check failure", Request{Path: "/", Check: func(r *Response) string {
			if !strings.Contains(string(r.Body), "token") {
				return "no token in the body"
			}
			return ""
		}}, call{method: "GET", name: "/", failure: "no token in the body"}, 200, "hello"},
		{"check not run on an unexpected status", Request{Path: "/status/500", Check: func(*Response) string { return "checked" }},
			call{method: "GET", name: "/status/500", failure: "unexpected status 500 (expected < 400)"}, 500, ""},
		{"timeout", Request{Path: "/slow", Timeout: 100 * time.Millisecond},
			call{method: "GET", name: "/slow", failure: "timeout after 100ms"}, 0, ""},
		{"absolute URL", Request{Path: host + "/x", Name: "abs"}, call{ok: true, method: "GET", name: "abs", length: 5}, 200, "hello"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, rec := newTestSession(t, host, HTTPOptions{})
			resp := s.Do(&c.req)
			calls := rec.all()
			if len(calls) != 1 {
				t.Fatalf("got %d recorded calls, want exactly 1: %+v", len(calls), calls)
			}
			got := calls[0]
			if got.ms != resp.Elapsed.Milliseconds() {
				t.Errorf("recorded %d ms, Response.Elapsed %s; want the same", got.ms, resp.Elapsed)
			}
			got.ms = 0
			if got != c.want {
				t.Errorf("recorded %+v, want %+v", got, c.want)
			}
			if resp.Status != c.status || !strings.Contains(string(resp.Body), c.bodyHas) || resp.Failure != c.want.failure || resp.OK() != c.want.ok {
				t.Errorf("response status %d body %q failure %q; want %d, %q, %q", resp.Status, resp.Body, resp.Failure, c.status, c.bodyHas, c.want.failure)
			}
		})
	}
}

func TestSession_Do_refused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := "http://" + ln.Addr().String()
	ln.Close()
	s, rec := newTestSession(t, host, HTTPOptions{})
	resp := s.Do(&Request{Path: "/"})
	want := call{method: "GET", name: "/", failure: "connection refused"}
	if got := rec.all(); len(got) != 1 || got[0].failure != want.failure || got[0].ok || resp.Failure != want.failure {
		t.Fatalf("got %+v (response failure %q), want one %+v", got, resp.Failure, want)
	}
}

func TestSession_Do_response_time(t *testing.T) {
	s, rec := newTestSession(t, serve(t), HTTPOptions{})
	resp := s.Do(&Request{Path: "/slow"})
	if ms := rec.all()[0].ms; ms < 300 || ms > 1000 {
		t.Fatalf("recorded %d ms for a 300 ms answer; want 300..1000", ms)
	}
	due := time.Now().Add(-time.Second)
	s.Do(&Request{Path: "/", Start: due})
	if ms := rec.all()[1].ms; ms < 1000 {
		t.Fatalf("recorded %d ms for a request due 1 s ago; want >= 1000 (measured from Start)", ms)
	}
	_ = resp
}

func TestSession_Do_headers(t *testing.T) {
	host := serve(t)
	defaults := HTTPOptions{Headers: []Header{{"X-Client", "fleet"}, {"Authorization", "Bearer default"}}}
	cases := []struct {
		name    string
		headers []Header
		want    string
	}{
		{"defaults", nil, "X-Client: fleet\nAuthorization: Bearer default\n"},
		{"a request header replaces the default of the same name, whatever its case", []Header{{"authorization", "Bearer mine"}},
			"X-Client: fleet\nAuthorization: Bearer mine\n"},
		{"request headers add to the defaults", []Header{{"X-Trace", "1"}}, "X-Client: fleet\nAuthorization: Bearer default\nX-Trace: 1\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, _ := newTestSession(t, host, defaults)
			if got := string(s.Do(&Request{Path: "/headers", Headers: c.headers}).Body); got != c.want {
				t.Fatalf("target saw %q, want %q", got, c.want)
			}
		})
	}
}

func TestSession_Do_cookies(t *testing.T) {
	host := serve(t)
	alice, _ := newTestSession(t, host, HTTPOptions{})
	bob, _ := newTestSession(t, host, HTTPOptions{})
	if got := alice.Do(&Request{Path: "/login?user=alice"}).Cookie("sid"); got != "alice" {
		t.Fatalf("Response.Cookie(sid) = %q, want alice", got)
	}
	bob.Do(&Request{Path: "/login?user=bob"})
	for _, c := range []struct {
		name string
		s    *Session
		want string
	}{{"alice sends hers", alice, "sid=alice"}, {"bob sends his", bob, "sid=bob"}} {
		if got := string(c.s.Get("/cookies").Body); got != c.want {
			t.Errorf("%s: target saw Cookie %q, want %q", c.name, got, c.want)
		}
	}
	if got := alice.Cookie("sid"); got != "alice" {
		t.Errorf("Session.Cookie(sid) = %q, want alice", got)
	}
	alice.Get("/logout")
	if got := string(alice.Get("/cookies").Body); got != "" {
		t.Errorf("after logout the target saw Cookie %q, want none", got)
	}
	off, _ := newTestSession(t, host, HTTPOptions{DisableCookies: true})
	off.Get("/login?user=carol")
	if got := string(off.Get("/cookies").Body); got != "" || off.Cookie("sid") != "" {
		t.Errorf("with cookies disabled the target saw Cookie %q, want none", got)
	}
}

func TestResponse_Header(t *testing.T) {
	s, _ := newTestSession(t, serve(t), HTTPOptions{})
	resp := s.Get("/")
	if got := resp.Header("content-type"); !strings.HasPrefix(got, "text/plain") {
		t.Fatalf("Header(content-type) = %q, want text/plain...", got)
	}
	if got := resp.Header("X-Absent"); got != "" {
		t.Fatalf("Header(X-Absent) = %q, want empty", got)
	}
	// a header in several fields is one list, as requests gives r.headers["Link"]
	want := `</items>; rel="first", </items?page=2>; rel="next"`
	if got := s.Get("/links").Header("link"); got != want {
		t.Fatalf("Header(link) of two Link fields = %q, want %q", got, want)
	}
	resp = s.Get("/")
	s.release()
	if got := resp.Header("Content-Type"); got != "" || resp.Body != nil {
		t.Fatalf("after release: Header %q, Body %q; want both empty (the buffers went back to the pool)", got, resp.Body)
	}
}

func TestSession_Fail(t *testing.T) {
	s, rec := newTestSession(t, "http://127.0.0.1:1", HTTPOptions{})
	s.Fail("DATA", "users.csv", "no row left")
	want := call{method: "DATA", name: "users.csv", failure: "no row left"}
	if got := rec.all(); len(got) != 1 || got[0] != want {
		t.Fatalf("got %+v, want [%+v]", got, want)
	}
}

func TestMillis(t *testing.T) {
	cases := []struct {
		name string
		d    time.Duration
		want int64
	}{
		{"zero", 0, 0},
		{"below half", 1499 * time.Microsecond, 1},
		{"half rounds up", 1500 * time.Microsecond, 2},
		{"above half", 2600 * time.Microsecond, 3},
		{"whole", 250 * time.Millisecond, 250},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Millis(c.d); got != c.want {
				t.Fatalf("Millis(%s) = %d, want %d", c.d, got, c.want)
			}
		})
	}
}

// discard is a Recorder that keeps nothing, for benchmarks of what the session itself costs.
type discard struct{}

func (discard) RecordSuccess(string, string, int64, int64)  {}
func (discard) RecordFailure(string, string, int64, string) {}

// BenchmarkSession_Do is one GET of the closed loop, from the session's side (the server
// answers on loopback): what a request costs besides fasthttp.
func BenchmarkSession_Do(b *testing.B) {
	host := serve(b)
	for _, c := range []struct{ name, path string }{
		{"path", "/"},
		{"absolute URL", host + "/"}, // path: http://host/x, a link followed, a redirect's Location
	} {
		b.Run(c.name, func(b *testing.B) {
			s, _ := newTestSession(b, host, HTTPOptions{})
			s.t.rec = discard{}
			req := &Request{Path: c.path, Name: "/"}
			b.ReportAllocs()
			for b.Loop() {
				if r := s.Do(req); !r.OK() {
					b.Fatal(r.Failure)
				}
			}
		})
	}
}
