package user

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// serveRedirects starts a loopback server of redirects and compressed bodies:
//
//	/hop/N        302 to /hop/N-1 (relative), sets cookie hopN; /hop/0 answers the cookies it got
//	/rotate/N     302 to /rotate/N-1, sets cookies token=N and atN; /rotate/0 sets none
//	/loop         302 to /loop                   /see-other  303 to /method
//	/temporary    307 to /method                 /method     answers "METHOD len(body)"
//	/abs          301 to the absolute URL of /hop/0
//	/text.gzip, .deflate, .br  the text "compressed hello" in that encoding; /bad.gzip: not gzip
func serveRedirects(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		path := string(ctx.Path())
		switch {
		case strings.HasPrefix(path, "/hop/"):
			n, _ := strconv.Atoi(path[len("/hop/"):])
			if n == 0 {
				ctx.SetBodyString("cookies: " + string(ctx.Request.Header.Peek("Cookie")))
				return
			}
			ctx.Response.Header.Add("Set-Cookie", "hop"+strconv.Itoa(n)+"=1; Path=/")
			ctx.Response.Header.Set("Location", strconv.Itoa(n-1))
			ctx.SetStatusCode(fasthttp.StatusFound)
		case strings.HasPrefix(path, "/rotate/"): // 302 to /rotate/N-1 setting token=N; /rotate/0 sets none
			n, _ := strconv.Atoi(path[len("/rotate/"):])
			if n > 0 {
				ctx.Response.Header.Add("Set-Cookie", "token="+strconv.Itoa(n)+"; Path=/")
				ctx.Response.Header.Add("Set-Cookie", "at"+strconv.Itoa(n)+"=x; Path=/")
				ctx.Redirect("/rotate/"+strconv.Itoa(n-1), fasthttp.StatusFound)
			}
		case path == "/loop":
			ctx.Redirect("/loop", fasthttp.StatusFound)
		case path == "/see-other":
			ctx.Redirect("/method", fasthttp.StatusSeeOther)
		case path == "/temporary":
			ctx.Redirect("/method", fasthttp.StatusTemporaryRedirect)
		case path == "/abs":
			ctx.Response.Header.Set("Location", base+"/hop/0")
			ctx.SetStatusCode(fasthttp.StatusMovedPermanently)
		case path == "/a/b/dots": // ctx.Path() is the path with its dot segments resolved
			ctx.Response.Header.Set("Location", "../../raw?q=1")
			ctx.SetStatusCode(fasthttp.StatusFound)
		case path == "/dots-abs":
			ctx.Response.Header.Set("Location", "/x/./y/../../raw")
			ctx.SetStatusCode(fasthttp.StatusFound)
		case path == "/raw":
			ctx.SetBodyString("sent " + string(ctx.RequestURI()))
		case path == "/method":
			ctx.SetBodyString(string(ctx.Method()) + " " + strconv.Itoa(len(ctx.PostBody())))
		case strings.HasPrefix(path, "/text."):
			encoding := path[len("/text."):]
			ctx.Response.Header.Set("Content-Encoding", encoding)
			ctx.SetBody(compress(t, encoding, []byte(strings.Repeat("compressed hello ", 50))))
		case path == "/bad.gzip":
			ctx.Response.Header.Set("Content-Encoding", "gzip")
			ctx.SetBodyString("not gzip at all")
		case path == "/not-modified.gzip": // a 304 may carry the representation's headers
			ctx.Response.Header.Set("Content-Encoding", "gzip")
			ctx.SetStatusCode(fasthttp.StatusNotModified)
		}
	}}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return base
}

// compress encodes text as a server would send it with Content-Encoding: encoding.
func compress(t *testing.T, encoding string, text []byte) []byte {
	var b bytes.Buffer
	var w interface {
		Write([]byte) (int, error)
		Close() error
	}
	switch encoding {
	case "gzip", "x-gzip":
		w = gzip.NewWriter(&b)
	case "deflate": // HTTP's deflate is the zlib format (RFC 9110 8.4.1.2)
		w = zlib.NewWriter(&b)
	case "br": // the standard library has no brotli encoder
		return fasthttp.AppendBrotliBytes(nil, text)
	default:
		t.Errorf("no encoder for %q", encoding)
		return text
	}
	_, _ = w.Write(text)
	_ = w.Close()
	return b.Bytes()
}

func TestSession_Do_redirects(t *testing.T) {
	host := serveRedirects(t)
	for _, tc := range []struct {
		name     string
		opts     HTTPOptions
		req      Request
		status   int
		body     string
		failure  string
		recorded string // the name recorded
	}{
		{name: "a chain is followed, recorded once under the first name, with every hop's cookies",
			req: Request{Path: "/hop/3"}, status: 200, body: "cookies: hop3=1; hop2=1; hop1=1", recorded: "/hop/3"},
		{name: "an absolute Location", req: Request{Path: "/abs", Name: "abs"}, status: 200, body: "cookies: ", recorded: "abs"},
		// Sent as /../../raw: a server resolves it (or refuses it) as it sees fit.
		{name: "a relative Location's dot segments are resolved (RFC 3986)",
			req: Request{Path: "/a/b/dots"}, status: 200, body: "sent /raw?q=1", recorded: "/a/b/dots"},
		{name: "an absolute path's dot segments are resolved",
			req: Request{Path: "/dots-abs"}, status: 200, body: "sent /raw", recorded: "/dots-abs"},
		{name: "303 turns POST into GET without the body",
			req: Request{Method: "POST", Path: "/see-other", Body: []byte("abc")}, status: 200, body: "GET 0", recorded: "/see-other"},
		{name: "307 repeats POST with its body",
			req: Request{Method: "POST", Path: "/temporary", Body: []byte("abc")}, status: 200, body: "POST 3", recorded: "/temporary"},
		{name: "a loop ends after MaxRedirects", opts: HTTPOptions{MaxRedirects: 3},
			req: Request{Path: "/loop"}, status: 302, failure: "too many redirects (more than 3)", recorded: "/loop"},
		{name: "the session does not follow", opts: HTTPOptions{NoRedirects: true},
			req: Request{Path: "/hop/3"}, status: 302, recorded: "/hop/3"},
		{name: "the request does not follow", req: Request{Path: "/hop/3", NoRedirects: true}, status: 302, recorded: "/hop/3"},
		{name: "an expected 302 when not following", req: Request{Path: "/loop", NoRedirects: true, ExpectStatus: []int{302}},
			status: 302, recorded: "/loop"},
		{name: "the expected status is the final one", req: Request{Path: "/hop/1", ExpectStatus: []int{302}},
			status: 200, failure: "unexpected status 200 (expected 302)", recorded: "/hop/1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, rec := newTestSession(t, host, tc.opts)
			r := s.Do(&tc.req)
			if r.Status != tc.status || r.Failure != tc.failure {
				t.Errorf("got status %d, failure %q; want %d, %q", r.Status, r.Failure, tc.status, tc.failure)
			}
			if tc.body != "" && string(r.Body) != tc.body {
				t.Errorf("got body %q; want %q", r.Body, tc.body)
			}
			calls := rec.all()
			if len(calls) != 1 || calls[0].name != tc.recorded || calls[0].ok != (tc.failure == "") {
				t.Errorf("got recorded %+v; want one entry named %q", calls, tc.recorded)
			}
		})
	}
}

func TestSession_Do_compression(t *testing.T) {
	host := serveRedirects(t)
	text := strings.Repeat("compressed hello ", 50)
	for _, encoding := range []string{"gzip", "deflate", "br", "x-gzip"} {
		t.Run(encoding, func(t *testing.T) {
			s, rec := newTestSession(t, host, HTTPOptions{})
			var checked string
			r := s.Do(&Request{Path: "/text." + encoding, Check: func(r *Response) string {
				checked = string(r.Body)
				return ""
			}})
			if !r.OK() || string(r.Body) != text || checked != text {
				t.Errorf("got failure %q, body %q, the check saw %q; want the text", r.Failure, r.Body, checked)
			}
			// Locust's HttpUser and FastHttpUser record len(response.content): the decoded body.
			if calls := rec.all(); len(calls) != 1 || calls[0].length != int64(len(text)) {
				t.Errorf("got recorded %+v; want the decoded length, %d (on the wire: %d)", calls, len(text), len(compress(t, encoding, []byte(text))))
			}
		})
	}
	// A HEAD's answer and a 304 have no body, whatever Content-Encoding they name: a HEAD of a
	// gzip resource (nginx with gzip on) failed with "cannot decode the body".
	for _, req := range []Request{{Method: "HEAD", Path: "/text.gzip"}, {Path: "/not-modified.gzip"}} {
		t.Run("no body "+req.Path, func(t *testing.T) {
			s, rec := newTestSession(t, host, HTTPOptions{})
			r := s.Do(&req)
			if !r.OK() || len(r.Body) != 0 {
				t.Errorf("got failure %q, body %q; want a success without body", r.Failure, r.Body)
			}
			if calls := rec.all(); len(calls) != 1 || calls[0].length != 0 {
				t.Errorf("got recorded %+v; want one entry of 0 bytes", calls)
			}
		})
	}
	t.Run("a body that does not decode", func(t *testing.T) {
		s, _ := newTestSession(t, host, HTTPOptions{})
		r := s.Do(&Request{Path: "/bad.gzip", Check: func(*Response) string { return "the check ran" }})
		if want := "cannot decode the body (Content-Encoding: gzip)"; r.Failure != want {
			t.Errorf("got failure %q; want %q", r.Failure, want)
		}
	})
}

func TestSession_Do_Accept_Encoding(t *testing.T) {
	host := serve(t)
	for _, tc := range []struct {
		name string
		opts HTTPOptions
		req  Request
		want string
	}{
		{name: "the default", want: "X-Seen: gzip, deflate, br"},
		{name: "the session's", opts: HTTPOptions{Headers: []Header{{"Accept-Encoding", "identity"}}}, want: "X-Seen: identity"},
		{name: "the request's", req: Request{Headers: []Header{{"accept-encoding", "gzip"}}}, want: "X-Seen: gzip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestSession(t, host, tc.opts)
			tc.req.Path = "/accept-encoding"
			if r := s.Do(&tc.req); strings.TrimSpace(string(r.Body)) != tc.want {
				t.Errorf("got %q; want %q", r.Body, tc.want)
			}
		})
	}
}

// A cookie a redirect of the request set is the response's too: a login's 302 sets the new CSRF
// cookie and the page it leads to does not, and extract: {csrf: {cookie: csrftoken}} on the
// login found none. The last redirect that set it wins; the next request starts without them.
func TestSession_Cookie_set_by_a_redirect_followed(t *testing.T) {
	s, _ := newTestSession(t, serveRedirects(t), HTTPOptions{})
	r := s.Get("/rotate/3")
	for name, want := range map[string]string{"token": "1", "at3": "x", "at1": "x", "none": ""} {
		if got := r.Cookie(name); got != want {
			t.Errorf("after /rotate/3: Cookie(%q) = %q; want %q", name, got, want)
		}
	}
	if got := s.Get("/rotate/0").Cookie("token"); got != "" {
		t.Errorf("a request without redirects: Cookie(token) = %q; want none (the previous request's)", got)
	}
	if got := s.Get("/rotate/2").Cookie("token"); got != "1" {
		t.Errorf("after /rotate/2: Cookie(token) = %q; want 1", got)
	}
}
