package user

import (
	"crypto/tls"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"locustfleet/worker/pki"
	"locustfleet/worker/tlsconf"
)

// serveWire starts a loopback server (https when dir holds a PKI) that answers what it received:
// the request target as sent, then the header lines as sent. Each X-Echo-Set-Cookie header comes
// back as a Set-Cookie. served counts the requests.
func serveWire(t *testing.T, dir pki.Dir) (host string, served *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served = &atomic.Int64{}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		served.Add(1)
		for _, c := range ctx.Request.Header.PeekAll("X-Echo-Set-Cookie") {
			ctx.Response.Header.Add("Set-Cookie", string(c))
		}
		if loc := ctx.QueryArgs().Peek("to"); len(loc) > 0 {
			ctx.Response.Header.Set("Location", string(loc))
			ctx.SetStatusCode(fasthttp.StatusFound)
		}
		ctx.SetBodyString(string(ctx.Request.Header.RequestURI()) + "\n" + string(ctx.Request.Header.RawHeaders()))
	}}
	scheme := "http"
	if dir != "" {
		cfg, err := dir.ServerConfig(false)
		if err != nil {
			t.Fatal(err)
		}
		ln, scheme = tls.NewListener(ln, cfg), "https"
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return scheme + "://" + ln.Addr().String(), served
}

// sent splits what serveWire answered into the request target and the header lines.
func sent(r *Response) (uri string, headers []string) {
	uri, raw, _ := strings.Cut(string(r.Body), "\n")
	for _, line := range strings.Split(raw, "\r\n") {
		if line != "" {
			headers = append(headers, line)
		}
	}
	return uri, headers
}

// header returns the value of the first header line named name (case-insensitive), and whether
// there is one.
func header(lines []string, name string) (string, bool) {
	for _, l := range lines {
		if k, v, ok := strings.Cut(l, ": "); ok && strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

func TestSession_Do_sends_URLs_escaped_once(t *testing.T) {
	host, _ := serveWire(t, "")
	s, _ := newTestSession(t, host, HTTPOptions{})
	for _, c := range []struct{ path, want string }{
		{"/a b/é?q=x y", "/a%20b/%C3%A9?q=x%20y"},
		{"/a%2Fb?q=%26&r=a+b", "/a%2Fb?q=%26&r=a+b"},
		{"/x|y?{z}#fragment", "/x%7Cy?%7Bz%7D"},
		{"/100%", "/100%25"},
		{"/a/../b", "/a/../b"}, // as given: the scenario resolves dot segments it writes
	} {
		if uri, _ := sent(s.Do(&Request{Path: c.path})); uri != c.want {
			t.Errorf("%q was sent as %q; want %q", c.path, uri, c.want)
		}
	}
	if uri, _ := sent(s.Do(&Request{Path: host + "/abs olute"})); uri != "/abs%20olute" {
		t.Errorf("an absolute URL was sent as %q; want /abs%%20olute", uri)
	}
}

func TestSession_Do_host_content_type_and_default_headers(t *testing.T) {
	host, _ := serveWire(t, "")
	other := strings.Replace(host, "127.0.0.1", "localhost", 1)
	s, _ := newTestSession(t, host, HTTPOptions{Headers: []Header{{Name: "X-Default", Value: "d"}}})

	_, headers := sent(s.Do(&Request{Path: "/", Headers: []Header{{Name: "Host", Value: "vhost.example"}}}))
	if got, _ := header(headers, "Host"); got != "vhost.example" {
		t.Errorf("a Host header set by the request: the server saw Host %q; want vhost.example", got)
	}
	_, headers = sent(s.Do(&Request{Path: "/?to=" + other + "/elsewhere", Headers: []Header{{Name: "Host", Value: "vhost.example"}}}))
	if got, _ := header(headers, "Host"); got != strings.TrimPrefix(other, "http://") {
		t.Errorf("after a redirect to another host the server saw Host %q; want that host's", got)
	}
	_, headers = sent(s.Do(&Request{Method: "POST", Path: "/", Body: []byte("raw")}))
	if got, ok := header(headers, "Content-Type"); ok {
		t.Errorf("a body without a Content-Type was sent with Content-Type %q; want none (as Python's requests)", got)
	}
	_, headers = sent(s.Do(&Request{Path: "/", NoAcceptEncoding: true}))
	if got, ok := header(headers, "Accept-Encoding"); ok {
		t.Errorf("NoAcceptEncoding: the server saw Accept-Encoding %q; want none", got)
	}
	_, headers = sent(s.Do(&Request{Path: "/", Headers: []Header{{Name: "x-default", Value: "own"}}}))
	if got, _ := header(headers, "X-Default"); got != "own" {
		t.Errorf("the request's own X-Default: the server saw %q; want own", got)
	}
	_, headers = sent(s.Do(&Request{Path: "/"}))
	if got, _ := header(headers, "X-Default"); got != "d" {
		t.Errorf("the session's default X-Default is %q; want d", got)
	}
	if got, _ := header(headers, "Accept-Encoding"); got != "gzip, deflate, br" {
		t.Errorf("the default Accept-Encoding is %q; want gzip, deflate, br", got)
	}
}

func TestSession_Do_invalid_is_recorded_and_not_sent(t *testing.T) {
	host, served := serveWire(t, "")
	s, rec := newTestSession(t, host, HTTPOptions{})
	r := s.Do(&Request{Method: "POST", Path: "/", Name: "order", Invalid: "json.count: not a JSON number"})
	if r.OK() || r.Failure != "json.count: not a JSON number" || served.Load() != 0 {
		t.Errorf("got failure %q with %d requests served; want the reason and none served", r.Failure, served.Load())
	}
	if calls := rec.all(); len(calls) != 1 || calls[0].ok || calls[0].name != "order" || calls[0].failure != r.Failure {
		t.Errorf("recorded %+v; want one failure of order with the reason", calls)
	}
}

// A Path after the Host starts with "/" or "?" (or is empty): "items" after http://host/app
// would be http://host/appitems, another URL, and is refused instead, naming the path.
func TestSession_Do_relative_path_without_slash_is_refused(t *testing.T) {
	host, served := serveWire(t, "")
	s, rec := newTestSession(t, host+"/app", HTTPOptions{})
	for _, c := range []struct{ path, want string }{{"/items", "/app/items"}, {"?q=1", "/app?q=1"}, {"", "/app"}} {
		if uri, _ := sent(s.Do(&Request{Path: c.path})); uri != c.want {
			t.Errorf("%q was sent as %q; want %q", c.path, uri, c.want)
		}
	}
	before := served.Load()
	r := s.Do(&Request{Path: "items"})
	want := `path "items": expected "/" first (a path under the class's Host), "?" (a query) or an absolute http(s) URL`
	if r.OK() || r.Failure != want || served.Load() != before {
		t.Errorf("got failure %q with %d more requests served; want %q and none served", r.Failure, served.Load()-before, want)
	}
	if calls := rec.all(); calls[len(calls)-1].ok || calls[len(calls)-1].name != "items" {
		t.Errorf("recorded %+v; want a failure of items last", calls[len(calls)-1])
	}
}

// A Do from a Check (a token refreshed on the answer being judged, as Locust's catch_response
// blocks do) would reuse that answer's buffers: the judged request was recorded with the nested
// one's size and its Observe saw the nested status. The nested request is refused, and the
// judged one is recorded as it came.
func TestSession_Do_from_a_Check_is_refused_and_the_checked_request_recorded_as_it_came(t *testing.T) {
	host, served := serveWire(t, "")
	s, rec := newTestSession(t, host, HTTPOptions{})
	var inner *Response
	var observed int
	outer := s.Do(&Request{Path: "/outer", Check: func(r *Response) string {
		inner = s.Do(&Request{Path: "/a-much-longer-path-than-the-outer-one?to=" + host + "/elsewhere"})
		return ""
	}, Observe: func(r *Response) { observed = len(r.Body) }})
	if inner.OK() || inner.Failure != busyReason || served.Load() != 1 {
		t.Errorf("nested request: failure %q, %d requests served; want %q and only the outer one served",
			inner.Failure, served.Load(), busyReason)
	}
	uri, _ := sent(outer)
	calls := rec.all()
	if uri != "/outer" || len(calls) != 2 || !calls[1].ok || calls[1].name != "/outer" ||
		calls[1].length != int64(len(outer.Body)) || observed != len(outer.Body) {
		t.Errorf("outer: sent %q, Observe saw %d bytes, recorded %+v; want /outer recorded and observed with its own %d bytes",
			uri, observed, calls, len(outer.Body))
	}
	if calls[0].ok || calls[0].failure != busyReason {
		t.Errorf("nested request recorded as %+v; want a failure with %q", calls[0], busyReason)
	}
	if after := s.Do(&Request{Path: "/after"}); !after.OK() {
		t.Errorf("a request after the Check returned: %q; want it sent", after.Failure)
	}
}

// A task that sends from several goroutines on its user's session: each request either goes out
// alone (and is recorded as it came) or is refused; none shares another's buffers, so that what
// was recorded as sent is what the server served, per path.
func TestSession_Do_from_other_goroutines_meanwhile_is_refused_and_counts_stay_exact(t *testing.T) {
	host, _ := serveWire(t, "")
	s, rec := newTestSession(t, host, HTTPOptions{})
	const goroutines, each = 4, 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	servedAs := map[string]int{} // what the server answered it received, per path asked
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := fmt.Sprintf("/g%d", g)
			for range each {
				r := s.Do(&Request{Path: path})
				if r.OK() {
					uri, _ := sent(r)
					mu.Lock()
					servedAs[path+" as "+uri]++
					mu.Unlock()
				} else if r.Failure != busyReason {
					t.Errorf("%s: failure %q; want it sent or refused with %q", path, r.Failure, busyReason)
				}
			}
		}()
	}
	wg.Wait()
	recorded := map[string]int{}
	for _, c := range rec.all() {
		if c.ok {
			recorded[c.name+" as "+c.name]++
		} else if c.failure != busyReason {
			t.Errorf("recorded %+v; want successes and refusals only", c)
		}
	}
	if !reflect.DeepEqual(recorded, servedAs) || len(rec.all()) != goroutines*each {
		t.Errorf("recorded successes %v; the server answered %v (%d records for %d requests)",
			recorded, servedAs, len(rec.all()), goroutines*each)
	}
}

func TestSession_Do_cookies_by_host_and_scheme(t *testing.T) {
	host, _ := serveWire(t, "")
	other := strings.Replace(host, "127.0.0.1", "localhost", 1)
	s, _ := newTestSession(t, host, HTTPOptions{})
	s.Do(&Request{Path: "/set", Headers: []Header{{Name: "X-Echo-Set-Cookie", Value: "plain=1; Path=/"}}})
	s.Do(&Request{Path: "/set", Headers: []Header{{Name: "X-Echo-Set-Cookie", Value: "safe=1; Path=/; Secure"}}})
	s.Do(&Request{Path: other + "/set", Headers: []Header{{Name: "X-Echo-Set-Cookie", Value: "there=1; Path=/"}}})
	for _, c := range []struct{ url, want string }{
		{host + "/", "plain=1"},  // Secure is not sent over http
		{"/", "plain=1"},         // the same host, relative
		{other + "/", "there=1"}, // host-only: each host its own
	} {
		_, headers := sent(s.Do(&Request{Path: c.url}))
		if got, _ := header(headers, "Cookie"); got != c.want {
			t.Errorf("%s: sent Cookie %q; want %q", c.url, got, c.want)
		}
	}

	dir := pki.Temp(t)
	tlsHost, _ := serveWire(t, dir)
	cfg, err := tlsconf.Options{CAFile: dir.Path(pki.CAFile)}.Config(func(key string) string { return key })
	if err != nil {
		t.Fatal(err)
	}
	secure, _ := newTestSession(t, tlsHost, HTTPOptions{TLS: cfg})
	secure.Do(&Request{Path: "/set", Headers: []Header{{Name: "X-Echo-Set-Cookie", Value: "safe=1; Path=/; Secure"}}})
	_, headers := sent(secure.Do(&Request{Path: "/"}))
	if got, _ := header(headers, "Cookie"); got != "safe=1" {
		t.Errorf("https: sent Cookie %q; want the Secure cookie, safe=1", got)
	}
}

func TestSession_Do_MaxConns_is_per_host(t *testing.T) {
	srv := &countingServer{}
	host := srv.start(t, 50*time.Millisecond)
	other := strings.Replace(host, "127.0.0.1", "localhost", 1)
	rt, rec := newRuntime(t, &Class{Host: host, HTTP: HTTPOptions{MaxConns: 2},
		Tasks: []Task{{Name: "t", Weight: 1, Fn: func(u *User) {}}}})
	var wg sync.WaitGroup
	for i := range 8 { // four users to each host
		wg.Go(func() {
			url := "/"
			if i%2 == 1 {
				url = other + "/"
			}
			newSession(rt.t, nil).Do(&Request{Path: url})
		})
	}
	wg.Wait()
	if conns, peak := srv.counts(); conns != 4 || peak != 4 {
		t.Errorf("got %d connections, %d requests at once; want 4 and 4 (2 per host)", conns, peak)
	}
	if calls := rec.all(); len(calls) != 8 {
		t.Errorf("recorded %d requests; want 8", len(calls))
	}
}

func TestSession_Do_failure_reasons_hide_URL_passwords(t *testing.T) {
	s, rec := newTestSession(t, "http://fleet:s3cret-pw@127.0.0.1:1", HTTPOptions{ConnectTimeout: time.Second})
	for _, path := range []string{"/", "http://fleet:s3cret-pw@nowhere.invalid/"} {
		r := s.Do(&Request{Path: path})
		if r.OK() || strings.Contains(r.Failure, "s3cret-pw") {
			t.Errorf("%s: failure %q; want a failure without the password", path, r.Failure)
		}
	}
	for _, c := range rec.all() {
		if strings.Contains(c.name+c.failure, "s3cret-pw") {
			t.Errorf("recorded %+v; want no password", c)
		}
	}
}

// A scheme is case-insensitive: an absolute path written "HTTP://host/x" goes to that host,
// with the cookies of http://host, not appended to the session's base URL as a path.
func TestSession_Do_absolute_URL_scheme_in_any_case(t *testing.T) {
	host, _ := serveWire(t, "")
	s, _ := newTestSession(t, "http://127.0.0.1:1", HTTPOptions{})
	upper := "HTTP://" + strings.TrimPrefix(host, "http://")
	s.Do(&Request{Path: upper + "/set?x=1", Headers: []Header{{Name: "X-Echo-Set-Cookie", Value: "sid=a; Path=/"}}})
	resp := s.Do(&Request{Path: upper + "/p q"})
	uri, headers := sent(resp)
	if resp.Failure != "" || uri != "/p%20q" {
		t.Fatalf("%s/p q: sent %q, failure %q; want /p%%20q sent to its own host", upper, uri, resp.Failure)
	}
	if c, _ := header(headers, "Cookie"); c != "sid=a" {
		t.Errorf("cookie sent: %q; want the one %s set (sid=a)", c, upper)
	}
}

// A method written in lower case ("get", as requests takes it) was sent as written, which
// servers refuse or route elsewhere, and counted in a row of its own: it is upper-cased.
func TestSession_Do_upper_cases_the_method(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var methods []string
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		mu.Lock()
		methods = append(methods, string(ctx.Method()))
		mu.Unlock()
	}}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	s, rec := newTestSession(t, "http://"+ln.Addr().String(), HTTPOptions{})
	for _, m := range []string{"get", "Post", "PATCH", ""} {
		if r := s.Do(&Request{Method: m, Path: "/"}); !r.OK() {
			t.Fatalf("%q: %s", m, r.Failure)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	var recorded []string
	for _, c := range rec.all() {
		recorded = append(recorded, c.method)
	}
	want := []string{"GET", "POST", "PATCH", "GET"}
	if !slices.Equal(methods, want) || !slices.Equal(recorded, want) {
		t.Errorf("sent %v, recorded %v; want %v both", methods, recorded, want)
	}
}
