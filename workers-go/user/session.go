package user

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"locustfleet/worker/urlesc"
)

// DefaultTimeout bounds a request when neither it nor its class sets a timeout.
const DefaultTimeout = 10 * time.Second

// HTTPOptions are a session's defaults and its connections' settings.
type HTTPOptions struct {
	Headers        []Header      // sent with every request unless the request sets the same name
	Timeout        time.Duration // per request, redirects included; default 10s
	DisableCookies bool          // cookies are kept per user unless set
	// TLS configures https connections (trusted CAs, client certificate, server name); nil:
	// Go's defaults (the system's roots, the URL's host name).
	TLS *tls.Config
	// NoRedirects returns 3xx answers as they are; by default a request follows up to
	// MaxRedirects redirects and is recorded once, under its own name, timed to the final answer.
	NoRedirects  bool
	MaxRedirects int // default 10
	// NoKeepAlive opens a new connection for every request (and sends Connection: close).
	NoKeepAlive bool
	// MaxConns limits the connections of the whole worker per host; requests beyond it wait for
	// one within their timeout. 0: no limit (each user holds at most one per host).
	MaxConns       int
	ConnectTimeout time.Duration // TCP connection set-up, within the request timeout; default 5s
}

// Header is one request header; slices keep the scenario's order.
type Header struct{ Name, Value string }

// Request is one HTTP request. Path is relative to the class's Host: "/" and the path under it,
// "?" and a query, or "" for the Host itself; or an absolute http(s) URL. Any other Path ("items")
// is recorded as a failure naming it, and nothing is sent: appended to the Host it would be
// another URL ("http://host/appitems").
type Request struct {
	Method       string // default GET; upper-cased as requests does ("get" is sent and counted as GET)
	Path         string
	Name         string // the stats name; default Path
	Headers      []Header
	Body         []byte
	Timeout      time.Duration // 0: the session's
	ExpectStatus []int         // nil: any status below 400 succeeds
	// Check runs after a response with an expected status arrived; a non-empty reason records the
	// request as a failure with that reason instead of a success. A request that Check or Observe
	// sends with the same session is not sent but recorded as a failure: send it after Do returns
	// (a session sends one request at a time: the same goes for other goroutines).
	Check func(r *Response) (reason string)
	// Start, when not zero, is when the request was due (open model): the response time is
	// measured from it rather than from the send.
	Start time.Time
	// NoRedirects returns a 3xx answer as it is, whatever the session does.
	NoRedirects bool
	// Observe, when set, sees every outcome just before it is recorded, whether Check ran or not:
	// Failure says how it went, Status is 0 when no answer came. Non-fatal checks count with it,
	// so that their counts are complete whenever the request's record is.
	Observe func(r *Response)
	// NoAcceptEncoding sends no Accept-Encoding (the session's default asks for gzip, deflate, br).
	NoAcceptEncoding bool
	// Invalid, when set, is why the request could not be made (a value that is not what it
	// must be): it is recorded as a failure with this reason, and nothing is sent.
	Invalid string
	// Handled, when not 0, is a status the caller acts on and then sends the request again (a
	// scenario's on_401: the token refreshed): an answer of it is recorded as a success, the
	// target having answered it, without Check or Observe, which judge the request sent again.
	Handled int
}

// Response is what came back. The session reuses it: it is valid until the session's next
// request or the end of the task (OnStart, OnStop), whichever comes first, so that idle users
// hold no buffers. Copy what must outlive it (string(r.Body), a value into u.Vars).
type Response struct {
	Status  int
	Body    []byte        // the body, decoded when it came compressed
	Elapsed time.Duration // as recorded (whole milliseconds)
	Failure string        // the recorded failure reason; "" when recorded as a success
	raw     *fasthttp.Response
	req     *fasthttp.Request // its URL is the response's, after redirects
	// hopCookies are the Set-Cookie values of the redirects the request followed, one a line
	hopCookies []byte
}

// URL is the URL the response came from: the request's, or the last redirect's ("" when no
// answer came). It costs a string: call it only when needed.
func (r *Response) URL() string {
	if r.raw == nil || r.req == nil {
		return ""
	}
	return r.req.URI().String()
}

// Header returns the value of a response header, name matched case-insensitively ("" when
// absent). A header sent in several fields (a Link field per relation, as JAX-RS and Spring send
// them) is their values joined with ", ", as HTTP reads them (RFC 9110 5.3) and as Python's
// requests gives r.headers[name]: a regex for the next page finds it in whichever field holds it.
func (r *Response) Header(name string) string {
	if r.raw == nil {
		return ""
	}
	value := ""
	for k, v := range r.raw.Header.All() {
		if !strings.EqualFold(string(k), name) || len(v) == 0 {
			continue
		}
		if value == "" {
			value = string(v)
		} else {
			value += ", " + string(v)
		}
	}
	return value
}

// Cookie returns a cookie the response set ("" when it set none of that name), or else the
// last of the redirects it followed set: a login's 302 sets the session's new CSRF cookie, and
// the page it leads to does not set it again.
func (r *Response) Cookie(name string) string {
	if r.raw == nil {
		return ""
	}
	for k, v := range r.raw.Header.Cookies() {
		if string(k) == name {
			if c, err := http.ParseSetCookie(string(v)); err == nil {
				return c.Value
			}
		}
	}
	for hops := r.hopCookies; len(hops) > 0; {
		at := bytes.LastIndexByte(hops[:len(hops)-1], '\n') + 1
		if c, err := http.ParseSetCookie(string(hops[at : len(hops)-1])); err == nil && c.Name == name {
			return c.Value
		}
		hops = hops[:at]
	}
	return ""
}

// OK reports whether the request was recorded as a success.
func (r *Response) OK() bool { return r.Failure == "" }

// Limiter bounds the requests per second of a whole worker; boomer's rate limiters satisfy it.
type Limiter interface {
	// Acquire takes a permit; when none is left it waits for the next refill and returns true,
	// and the caller asks again.
	Acquire() (blocked bool)
}

// transport is what all sessions of a Runtime share: one client and its keep-alive connections.
type transport struct {
	client  *fasthttp.Client
	rec     Recorder
	stamper Stamper // rec when it stamps requests (looked up once, not per request); else nil
	limiter Limiter // nil: no limit
	host    string  // the class's base URL
	prefix  string  // its path prefix, the cookie path of relative requests
	opts    HTTPOptions
	// ownEncoding: the session's headers set Accept-Encoding, so the default is not sent.
	ownEncoding bool
	// cookieHost and secure are the jar's host and scheme of relative paths.
	cookieHost string
	secure     bool
	// cleanHost: host needs no escaping and has no '%', so that host followed by a path that
	// needs none either is the URL urlesc.Clean would make of them.
	cleanHost bool
}

func newTransport(client *fasthttp.Client, rec Recorder, host string, opts HTTPOptions) *transport {
	u, _ := url.Parse(host)
	stamper, _ := rec.(Stamper)
	return &transport{client: client, rec: rec, stamper: stamper, host: host, prefix: u.Path, opts: opts,
		cookieHost: cookieHost(u.Host), secure: u.Scheme == "https",
		ownEncoding: hasHeader(opts.Headers, "Accept-Encoding"),
		cleanHost:   !strings.ContainsAny(host, "%?#") && urlesc.Clean(host) == host}
}

// appendURL appends the URL of a path relative to the host, escaped as urlesc.Clean escapes it;
// the common case (nothing to escape) costs a scan and no allocation.
func (t *transport) appendURL(dst []byte, path string) []byte {
	if t.cleanHost && strings.HasPrefix(path, "/") && !urlesc.NeedsText(path) {
		return append(append(dst, t.host...), path...)
	}
	return append(dst, urlesc.Clean(t.host+path)...)
}

// Session is one user's HTTP client: base URL, cookie jar and default headers. Every Do is
// recorded as one Locust entry (method, name).
type Session struct {
	t    *transport
	rec  recording
	jar  *jar // nil: cookies disabled
	req  *fasthttp.Request
	resp *fasthttp.Response
	url  []byte // the request's URL, built here before fasthttp copies it
	// hopCookies are the Set-Cookie values of the redirects the last request followed, one a
	// line (Response.Cookie): kept from request to request, so that they cost no allocation
	hopCookies []byte
	// uri is parsed from uriText, the URL of the session's last relative request, and reused
	// while the next one has the same text: parsing a URL is a good part of what fasthttp
	// spends on a request of its own. uriPath is that request's path when uri was parsed from it
	// (a user that sends the same path again skips building and comparing its URL: a string
	// compares with itself at the cost of comparing two pointers).
	uri     fasthttp.URI
	uriText []byte
	uriPath string
	last    Response
	// busy: a request of this session is under way. Its buffers and s.last are the session's
	// own, so that another Do meanwhile (from its Check or Observe, or another goroutine) would
	// overwrite them before the request is recorded.
	busy atomic.Bool
	due  time.Time // when the open model's current task was due; zero once its first request went
}

// newSession makes a session that records into out (nil: straight to the transport's Recorder).
func newSession(t *transport, out *outbox) *Session {
	s := &Session{t: t, rec: recording{direct: t.rec, out: out}}
	if !t.opts.DisableCookies {
		s.jar = &jar{}
	}
	return s
}

// buffers are the request and response of the next exchange: the session's own, reset, from
// its previous request when it has not released them since (a user that sends request after
// request keeps them instead of passing them through fasthttp's pools each time).
func (s *Session) buffers() (*fasthttp.Request, *fasthttp.Response) {
	if s.req == nil {
		s.req, s.resp = fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		// The body's buffer stays with the response from answer to answer (instead of going back
		// to fasthttp's pool and out again on every request) until the session releases it.
		s.resp.KeepBodyBuffer = true
	} else {
		s.req.Reset()
		s.resp.Reset()
	}
	s.last = Response{raw: s.resp, req: s.req}
	return s.req, s.resp
}

// Do sends r, follows its redirects, records it once and returns the final response.
func (s *Session) Do(r *Request) *Response {
	method := r.Method
	if method == "" {
		method = fasthttp.MethodGet
	} else if hasLower(method) { // "get" was sent as written and counted in a row of its own
		method = strings.ToUpper(method)
	}
	name := r.Name
	if name == "" {
		name = urlesc.Redact(r.Path) // a URL's password is never recorded
	}
	if !s.busy.CompareAndSwap(false, true) {
		return s.refuseBusy(r, method, name)
	}
	defer s.busy.Store(false) // also when Check or Observe panics: the user goes on
	req, resp := s.buffers()
	uri, absolute := urlesc.LowerAbsolute(r.Path)
	invalid := r.Invalid
	if invalid == "" && !absolute {
		invalid = relativePathProblem(r.Path)
	}
	if invalid != "" {
		s.last.Failure = invalid
		if r.Observe != nil {
			r.Observe(&s.last)
		}
		s.rec.failure(stamped{}, method, name, 0, invalid, monoNow().unix())
		return &s.last
	}
	// The client sends the URL as it is given (no normalising of its own): a path that is
	// not escaped yet is escaped here, as requests does.
	if absolute {
		req.SetRequestURI(urlesc.Clean(uri))
	} else {
		s.setURL(req, r.Path)
	}
	req.Header.SetMethod(method)
	req.Header.SetNoDefaultContentType(true) // a body without a Content-Type is sent without one
	for _, h := range s.t.opts.Headers {
		if !hasHeader(r.Headers, h.Name) {
			req.Header.Set(h.Name, h.Value)
		}
	}
	for _, h := range r.Headers {
		req.Header.Set(h.Name, h.Value)
		if strings.EqualFold(h.Name, "Host") {
			req.UseHostHeader = true // a virtual host: sent, while the connection goes to the URL's host
		}
	}
	if !s.t.ownEncoding && !hasHeader(r.Headers, "Accept-Encoding") && !r.NoAcceptEncoding {
		req.Header.SetCanonical(acceptEncodingName, acceptEncodingValue)
	}
	if s.t.opts.NoKeepAlive {
		req.SetConnectionClose()
	}
	if r.Body != nil {
		req.SetBody(r.Body)
	}
	var host, path string
	secure := s.t.secure
	if s.jar != nil {
		host, path = s.t.cookieHost, s.t.prefix+r.Path
		if absolute {
			host, path, secure = jarKey(req.URI())
		}
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = s.t.opts.Timeout
	}
	hops := s.t.opts.MaxRedirects
	if s.t.opts.NoRedirects || r.NoRedirects {
		hops = 0
	}
	if s.t.limiter != nil {
		for s.t.limiter.Acquire() {
		}
	}

	stamp := s.t.stamp(req.Header.Set)
	// The clock is read once before the exchange and once after: the timeout counts from the
	// send, the response time from the send or from when the request was due.
	due := r.Start
	if due.IsZero() {
		due = s.due
	}
	s.due = time.Time{}
	sent := monoNow()
	err, tooMany := s.exchange(req, resp, host, path, secure, hops, sent, timeout)
	s.last.hopCookies = s.hopCookies
	end := monoNow()
	took := time.Duration(end - sent)
	if !due.IsZero() {
		took = end.time().Sub(due)
	}
	ms := Millis(took)
	s.last.Elapsed = time.Duration(ms) * time.Millisecond

	if err != nil {
		s.last.Failure = Reason(err, timeout)
		s.last.raw = nil // a failed exchange has no headers worth reading
		if r.Observe != nil {
			r.Observe(&s.last)
		}
		s.rec.failure(stamp, method, name, ms, s.last.Failure, end.unix())
		return &s.last
	}
	s.last.Status = resp.StatusCode()
	s.last.Body = resp.Body()
	switch {
	case tooMany:
		s.last.Failure = fmt.Sprintf("too many redirects (more than %d)", hops)
	case r.Handled != 0 && s.last.Status == r.Handled:
		s.last.Body, _ = decode(resp)
		s.rec.success(stamp, method, name, ms, int64(len(s.last.Body)), end.unix())
		return &s.last
	case !statusOK(s.last.Status, r.ExpectStatus):
		s.last.Failure = statusFailure(s.last.Status, r.ExpectStatus)
	default:
		s.last.Body, s.last.Failure = decode(resp)
		if s.last.Failure == "" && r.Check != nil {
			s.last.Failure = r.Check(&s.last)
		}
	}
	if r.Observe != nil {
		r.Observe(&s.last)
	}
	if s.last.Failure != "" {
		s.rec.failure(stamp, method, name, ms, s.last.Failure, end.unix())
	} else {
		// The body's size once decoded, as Locust's HttpUser and FastHttpUser record it.
		s.rec.success(stamp, method, name, ms, int64(len(s.last.Body)), end.unix())
	}
	return &s.last
}

// hasLower reports whether s holds an ASCII lower-case letter: a method written as methods are
// (GET, POST) is used as it is, with no allocation.
func hasLower(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'a' <= s[i] && s[i] <= 'z' {
			return true
		}
	}
	return false
}

// busyReason is the failure of a request sent while another request of the same session was
// under way.
const busyReason = "not sent: another request of the same session was under way (this one came from its Check or " +
	"Observe, or from another goroutine); a session sends one request at a time: send it after that request's Do returned"

// refuseBusy records r as a failure without sending it: sent while another request of the
// session is under way, it would reuse that request's buffers and Response, which would then be
// recorded with the other's status and size, or sent to a mixed-up URL. It answers with a
// Response of its own.
func (s *Session) refuseBusy(r *Request, method, name string) *Response {
	resp := &Response{Failure: busyReason}
	if r.Observe != nil {
		r.Observe(resp)
	}
	s.rec.failure(stamped{}, method, name, 0, busyReason, monoNow().unix())
	return resp
}

// relativePathProblem says why a path that is no absolute URL cannot be put after the Host
// ("" when it can): the Host is a base URL without a trailing slash.
func relativePathProblem(path string) string {
	if path == "" || path[0] == '/' || path[0] == '?' {
		return ""
	}
	return fmt.Sprintf("path %q: expected \"/\" first (a path under the class's Host), \"?\" (a query) or an absolute http(s) URL",
		urlesc.Redact(path))
}

// setURL makes req's URL that of path, relative to the host, from the parsed URL of the
// previous request when it is the same.
func (s *Session) setURL(req *fasthttp.Request, path string) {
	if path == s.uriPath && s.uriText != nil {
		req.SetURI(&s.uri)
		return
	}
	s.url = s.t.appendURL(s.url[:0], path)
	if !bytes.Equal(s.url, s.uriText) || s.uriText == nil {
		s.uriText, s.uriPath = s.uriText[:0], ""
		if s.uri.Parse(nil, s.url) != nil {
			s.uriText = nil
			req.SetRequestURIBytes(s.url) // fasthttp names what is wrong with it when it sends
			return
		}
		s.uri.DisablePathNormalizing = true // sent as urlesc made it, as the client does
		s.uriText = append(s.uriText, s.url...)
	}
	s.uriPath = path
	req.SetURI(&s.uri)
}

// exchange sends req and follows up to hops redirects within timeout of sent, keeping the
// cookies of every answer; host, path and secure are the jar's key of the first URL. tooMany
// reports a redirect beyond hops (resp is that redirect).
func (s *Session) exchange(req *fasthttp.Request, resp *fasthttp.Response, host, path string, secure bool, hops int, sent instant, timeout time.Duration) (err error, tooMany bool) {
	s.hopCookies = s.hopCookies[:0]
	for hop := 0; ; hop++ {
		if s.jar != nil && len(s.jar.cookies) > 0 {
			if hop > 0 {
				req.Header.DelAllCookies()
			}
			s.jar.each(host, path, secure, now(), req.Header.SetCookie)
		}
		remaining := timeout
		if hop > 0 {
			remaining -= sent.since()
		}
		if err := s.t.client.DoTimeout(req, resp, remaining); err != nil {
			return err, false
		}
		if s.jar != nil {
			var at time.Time // read once, and only when the answer sets cookies
			for _, v := range resp.Header.Cookies() {
				if at.IsZero() {
					at = now()
				}
				s.jar.set(host, path, string(v), at)
			}
		}
		if !isRedirect(resp.StatusCode()) {
			return nil, false
		}
		location := resp.Header.Peek("Location")
		if len(location) == 0 {
			return nil, false
		}
		if hop == hops {
			return nil, hops > 0
		}
		for _, v := range resp.Header.Cookies() {
			s.hopCookies = append(append(s.hopCookies, v...), '\n')
		}
		follow(req, resp.StatusCode(), location)
		host, path, secure = jarKey(req.URI())
	}
}

// Get is Do with GET and the path as the name.
func (s *Session) Get(path string) *Response {
	return s.Do(&Request{Path: path})
}

// Cookie returns the value of a cookie in the user's jar ("" when absent).
func (s *Session) Cookie(name string) string {
	if s.jar == nil {
		return ""
	}
	return s.jar.get(name, now())
}

// Fail records a failure that is not an HTTP request, such as a user with no data row left, so
// that it shows in Locust's failures under method and name.
func (s *Session) Fail(method, name, reason string) {
	s.rec.failure(stamped{}, method, name, 0, reason, monoNow().unix())
}

// release hands the last exchange's buffers back to fasthttp's pools, so that a user who waits
// holds none.
func (s *Session) release() {
	b := exchangeBuffers{s.req, s.resp}
	b.release()
	s.req, s.resp = nil, nil
	s.last = Response{}
	s.hopCookies = nil
}

// exchangeBuffers are the request and response of a session's exchanges (nil: none yet).
type exchangeBuffers struct {
	req  *fasthttp.Request
	resp *fasthttp.Response
}

// release hands the buffers back to fasthttp's pools.
func (b *exchangeBuffers) release() {
	if b.req != nil {
		b.resp.KeepBodyBuffer = false // the pooled response keeps no buffer of this user's
		fasthttp.ReleaseRequest(b.req)
		fasthttp.ReleaseResponse(b.resp)
		b.req, b.resp = nil, nil
	}
}

// lend gives a session that holds no buffers b's for its next exchanges (they are reset before
// each); giveBack takes them back once its task has ended, with what it acquired meanwhile.
func (s *Session) lend(b *exchangeBuffers) {
	s.req, s.resp = b.req, b.resp
	b.req, b.resp = nil, nil
}

func (s *Session) giveBack(b *exchangeBuffers) {
	b.req, b.resp = s.req, s.resp
	s.req, s.resp = nil, nil
	s.last = Response{}
}

// jarKey is the jar's host, path and scheme of a URL.
func jarKey(u *fasthttp.URI) (host, path string, secure bool) {
	return cookieHost(string(u.Host())), string(u.PathOriginal()), string(u.Scheme()) == "https"
}

func hasHeader(headers []Header, name string) bool {
	for _, h := range headers {
		if strings.EqualFold(h.Name, name) {
			return true
		}
	}
	return false
}
