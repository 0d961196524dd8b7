package user

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Connection defaults (HTTPOptions). Locust's FastHttpUser waits 60 s for a connection and
// follows 30 redirects; vegeta follows 10 and bounds a connection by its request timeout.
const (
	// DefaultConnectTimeout bounds TCP connection set-up, within the request's own timeout: an
	// unreachable target shows as "connect timeout" after 5 s (time for two lost SYNs to be sent
	// again) rather than as a slow answer, and users do not sit out the whole request timeout.
	DefaultConnectTimeout = 5 * time.Second
	// DefaultMaxRedirects is how many redirects a request follows, as Go's net/http and vegeta.
	DefaultMaxRedirects = 10
	// unlimitedConns sizes the pool so that users never queue for a connection: a user sends one
	// request at a time, so a worker needs at most one connection per user and host.
	unlimitedConns = 1 << 16
	// idleConnTimeout closes keep-alive connections unused for this long; servers close theirs
	// after 60 s (nginx 75 s), so the client closes first and never sends into a closing one.
	idleConnTimeout = 10 * time.Second
)

// acceptEncoding is sent unless a request or the session's headers set Accept-Encoding, as
// Locust's FastHttpUser does; the session decodes all three.
const acceptEncoding = "gzip, deflate, br"

// The Accept-Encoding header as fasthttp takes it without normalising its name again.
var acceptEncodingName, acceptEncodingValue = []byte("Accept-Encoding"), []byte(acceptEncoding)

// newClient is the one client all users of a Runtime share: one pool of keep-alive connections
// per host.
func newClient(opts HTTPOptions) *fasthttp.Client {
	c := &fasthttp.Client{
		MaxConnsPerHost:               unlimitedConns,
		MaxIdleConnDuration:           idleConnTimeout,
		DisableHeaderNamesNormalizing: true,
		DisablePathNormalizing:        true, // URLs are sent as the session escaped them (urlesc)
		ReadBufferSize:                16 << 10,
		DialTimeout:                   dialer(opts.ConnectTimeout),
		RetryIfErr:                    retryIfErr,
		// a connection the server closed while idle is found before the request is written, and
		// costs an attempt: a pool of stale connections must not use up a request's attempts
		// (retryIfErr keeps other errors to maxAttempts)
		MaxIdemponentCallAttempts: unlimitedConns,
		ConfigureClient: func(hc *fasthttp.HostClient) error {
			hc.Transport = keptRetries{}
			if hc.IsTLS {
				hc.DialTimeout = tlsDialer(opts.ConnectTimeout, opts.TLS, hc.Addr)
			}
			return nil
		},
	}
	if opts.MaxConns > 0 {
		// Requests beyond the limit wait for a free connection, within their own timeout.
		c.MaxConnsPerHost = opts.MaxConns
		c.MaxConnWaitTimeout = opts.Timeout
	}
	return c
}

// dialer connects with a fresh DNS lookup per connection (not per request: keep-alive
// connections are reused), giving up after connectTimeout or the request's remaining time,
// whichever is shorter. Its connections move their deadlines lazily (lazyConn).
func dialer(connectTimeout time.Duration) fasthttp.DialFuncWithTimeout {
	return func(addr string, remaining time.Duration) (net.Conn, error) {
		limit := connectTimeout
		if remaining > 0 && remaining < limit {
			limit = remaining
		}
		conn, err := (&net.Dialer{Timeout: limit}).Dial("tcp", addr)
		var netErr net.Error
		switch {
		case err == nil:
			c := &lazyConn{Conn: conn} // under TLS too: tls.Conn sets its deadlines on it
			c.addr = &connAddr{Addr: conn.LocalAddr()}
			return c, nil
		case limit == connectTimeout && errors.As(err, &netErr) && netErr.Timeout():
			return nil, &connectTimeoutError{after: connectTimeout}
		}
		return nil, err
	}
}

// connectTimeoutError is a connection that was not set up within the connect timeout (the
// request's own timeout gives fasthttp's timeout error instead).
type connectTimeoutError struct{ after time.Duration }

func (e *connectTimeoutError) Error() string { return fmt.Sprintf("connect timeout after %s", e.after) }

// Timeout makes it a net.Error that timed out, as the dialer's error was.
func (e *connectTimeoutError) Timeout() bool   { return true }
func (e *connectTimeoutError) Temporary() bool { return true }

// maxAttempts bounds the sends of an idempotent request that fails on kept connections, as
// fasthttp's default (DefaultMaxIdemponentCallAttempts) does.
const maxAttempts = 5

// retryIfErr sends a request again on another connection when the one it was to go on had been
// closed by the server while idle (errIdleClosed: nothing was written, whatever the method), and
// an idempotent request when a kept connection failed under it, up to maxAttempts in all, as
// fasthttp does by default, but not after a TLS refusal: every connection would be refused alike,
// and the retry's error (a reset) would hide the server's reason.
func retryIfErr(req *fasthttp.Request, attempts int, err error) (resetTimeout, retry bool) {
	if errors.Is(err, errIdleClosed) {
		return false, true
	}
	idempotent := req.Header.IsGet() || req.Header.IsHead() || req.Header.IsPut()
	return false, idempotent && tlsReason(err) == "" && attempts < maxAttempts
}

// keptRetries lets fasthttp send a request again only when it failed on a kept connection, one
// that had carried an answer before: the server had closed it while it was idle, and had not seen
// the request. On a connection of its own (freshly dialled) the server did see it and hung up:
// fasthttp sent it again on a new connection up to 5 times in all, so a server that hangs up on
// every request (crashing, or a proxy out of connections) got 5 requests where Locust counted
// one, and an overloaded one five times the load. Stale kept connections still cost no failure:
// each is retried, as many as the pool holds, up to fasthttp's 5 attempts.
type keptRetries struct{}

func (keptRetries) RoundTrip(hc *fasthttp.HostClient, req *fasthttp.Request, resp *fasthttp.Response) (retry bool, err error) {
	retry, err = fasthttp.DefaultTransport.RoundTrip(hc, req, resp)
	// The connection's address was taken from it when it was acquired (ParseNetConn); a dial
	// that failed took none, and fasthttp does not retry that.
	addr, ok := resp.LocalAddr().(*connAddr)
	switch {
	case !ok:
	case err == nil:
		if !addr.answered.Load() { // a plain read on every later answer, not a locked write
			addr.answered.Store(true)
		}
	case retry && !addr.answered.Load():
		retry = false
	}
	return retry, err
}

// connAddr is a connection's local address, which also says whether the connection has carried
// an answer. Atomic: fasthttp hands the connection to a request waiting for one (MaxConns) before
// RoundTrip returns.
type connAddr struct {
	net.Addr
	answered atomic.Bool
}

// insecure reports whether the session accepts any server certificate, for the log.
func insecure(cfg *tls.Config) bool { return cfg != nil && cfg.InsecureSkipVerify }
