package user

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"strings"
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

// Request is one HTTP request. Path is relative to the class's Host (or an absolute URL).
type Request struct {
	Method       string // default GET
	Path         string
	Name         string // the stats name; default Path
	Headers      []Header
	Body         []byte
	Timeout      time.Duration // 0: the session's
	ExpectStatus []int         // nil: any status below 400 succeeds
	// Check runs after a response with an expected status arrived; a non-empty reason records the
	// request as a failure with that reason instead of a success.
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
}

// Header returns the first value of a response header, name matched case-insensitively
// ("" when absent).
func (r *Response) Header(name string) string {
	if r.raw == nil {
		return ""
	}
	for k, v := range r.raw.Header.All() {
		if strings.EqualFold(string(k), name) {
			return string(v)
		}
	}
	return ""
}

// Cookie returns a cookie the response set ("" when it set none of that name).
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
	limiter Limiter // nil: no limit
	host    string  // the class's base URL
	prefix  string  // its path prefix, the cookie path of relative requests
	opts    HTTPOptions
	// ownEncoding: the session's headers set Accept-Encoding, so the default is not sent.
	ownEncoding bool
	// cookieHost and secure are the jar's host and scheme of relative paths.
	cookieHost string
	secure     bool
}

// Session is one user's HTTP client: base URL, cookie jar and default headers. Every Do is
// recorded as one Locust entry (method, name).
type Session struct {
	t    *transport
	jar  *jar // nil: cookies disabled
	req  *fasthttp.Request
	last Response
	due  time.Time // when the open model's current task was due; zero once its first request went
}

func newSession(t *transport) *Session {
	s := &Session{t: t}
	if !t.opts.DisableCookies {
		s.jar = &jar{}
	}
	return s
}

// Do sends r, follows its redirects, records it once and returns the final response.
func (s *Session) Do(r *Request) *Response {
	s.release()
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	s.req, s.last.raw = req, resp

	method := r.Method
	if method == "" {
		method = fasthttp.MethodGet
	}
	name := r.Name
	if name == "" {
		name = urlesc.Redact(r.Path) // a URL's password is never recorded
	}
	if r.Invalid != "" {
		s.last.Failure = r.Invalid
		if r.Observe != nil {
			r.Observe(&s.last)
		}
		s.t.rec.RecordFailure(method, name, 0, r.Invalid)
		return &s.last
	}
	absolute := strings.HasPrefix(r.Path, "http://") || strings.HasPrefix(r.Path, "https://")
	// The client sends the URL as it is given (no normalising of its own): a path that is
	// not escaped yet is escaped here, as requests does.
	if absolute {
		req.SetRequestURI(urlesc.Clean(r.Path))
	} else {
		req.SetRequestURI(urlesc.Clean(s.t.host + r.Path))
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
		req.Header.Set("Accept-Encoding", acceptEncoding)
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

	stamp := stampRequest(s.t.rec, req.Header.Set)
	start := r.Start
	if start.IsZero() {
		start = s.due
	}
	s.due = time.Time{}
	if start.IsZero() {
		start = time.Now()
	}
	err, tooMany := s.exchange(req, resp, host, path, secure, hops, time.Now().Add(timeout))
	ms := Millis(time.Since(start))
	s.last.Elapsed = time.Duration(ms) * time.Millisecond

	if err != nil {
		s.last.Failure = Reason(err, timeout)
		if r.Observe != nil {
			r.Observe(&s.last)
		}
		stamp.failure(s.t.rec, method, name, ms, s.last.Failure)
		fasthttp.ReleaseResponse(resp) // a failed exchange has no headers worth reading
		s.last.raw = nil
		return &s.last
	}
	s.last.Status = resp.StatusCode()
	s.last.Body = resp.Body()
	switch {
	case tooMany:
		s.last.Failure = fmt.Sprintf("too many redirects (more than %d)", hops)
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
		stamp.failure(s.t.rec, method, name, ms, s.last.Failure)
	} else {
		// The body's size once decoded, as Locust's HttpUser and FastHttpUser record it.
		stamp.success(s.t.rec, method, name, ms, int64(len(s.last.Body)))
	}
	return &s.last
}

// exchange sends req and follows up to hops redirects before deadline, keeping the cookies of
// every answer; host, path and secure are the jar's key of the first URL. tooMany reports a
// redirect beyond hops (resp is that redirect).
func (s *Session) exchange(req *fasthttp.Request, resp *fasthttp.Response, host, path string, secure bool, hops int, deadline time.Time) (err error, tooMany bool) {
	for hop := 0; ; hop++ {
		if s.jar != nil && len(s.jar.cookies) > 0 {
			if hop > 0 {
				req.Header.DelAllCookies()
			}
			s.jar.each(host, path, secure, time.Now(), req.Header.SetCookie)
		}
		if err := s.t.client.DoDeadline(req, resp, deadline); err != nil {
			return err, false
		}
		if s.jar != nil {
			now := time.Now()
			for _, v := range resp.Header.Cookies() {
				s.jar.set(host, path, string(v), now)
			}
		}
		location := resp.Header.Peek("Location")
		if !isRedirect(resp.StatusCode()) || len(location) == 0 {
			return nil, false
		}
		if hop == hops {
			return nil, hops > 0
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
	return s.jar.get(name, time.Now())
}

// Fail records a failure that is not an HTTP request, such as a user with no data row left, so
// that it shows in Locust's failures under method and name.
func (s *Session) Fail(method, name, reason string) {
	s.t.rec.RecordFailure(method, name, 0, reason)
}

// release hands the last exchange's buffers back to fasthttp's pools.
func (s *Session) release() {
	if s.req != nil {
		fasthttp.ReleaseRequest(s.req)
		s.req = nil
	}
	if s.last.raw != nil {
		fasthttp.ReleaseResponse(s.last.raw)
	}
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
