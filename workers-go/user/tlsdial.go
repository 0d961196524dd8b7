package user

import (
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// verdictWindow bounds how long a new TLS 1.3 connection to a server that asked for a client
// certificate waits for the server's verdict before its first request (see tlsDialer).
const verdictWindow = 250 * time.Millisecond

// tlsDialer connects to addr (host:port) and does the TLS handshake itself, within the
// request's remaining time. With TLS 1.3 a server checks the client's certificate after the
// client's side of the handshake is done: a refusal (an alert, then a reset) would reach the
// client only while it reads the first answer, and fasthttp reports any error there as "the
// server closed the connection". So when the server asked for a certificate, the dialer waits
// for its verdict first: a session ticket means accepted (tickets are sent once the handshake is
// complete on the server's side), an alert or a close means refused; a server that sends no
// ticket costs the connection verdictWindow.
func tlsDialer(connectTimeout time.Duration, base *tls.Config, addr string) fasthttp.DialFuncWithTimeout {
	cfg := &tls.Config{}
	if base != nil {
		cfg = base.Clone()
	}
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		cfg.ServerName = host
	}
	dial := dialer(connectTimeout)
	return func(addr string, remaining time.Duration) (net.Conn, error) {
		began := time.Now()
		raw, err := dial(addr, remaining)
		if err != nil {
			return nil, err
		}
		var asked, sent bool
		ticket := &ticketSignal{got: make(chan struct{})}
		own := cfg.Clone()
		own.ClientSessionCache = ticket
		own.GetClientCertificate = func(info *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			asked = true
			if len(cfg.Certificates) == 0 {
				return &tls.Certificate{}, nil // none: the server decides whether that will do
			}
			sent = true
			for i := range cfg.Certificates {
				if info.SupportsCertificate(&cfg.Certificates[i]) == nil {
					return &cfg.Certificates[i], nil
				}
			}
			// None is of a CA the server names: send the first anyway, as curl and OpenSSL
			// do, and let the server decide (Go would send none).
			return &cfg.Certificates[0], nil
		}
		conn := tls.Client(raw, own)
		end := time.Time{}
		if remaining > 0 {
			end = began.Add(remaining)
		}
		_ = raw.SetDeadline(end)
		err = conn.Handshake()
		if err == nil && asked && conn.ConnectionState().Version == tls.VersionTLS13 {
			err = awaitVerdict(conn, ticket, end)
		}
		if err != nil {
			_ = raw.Close()
			var netErr net.Error
			if asked && !(errors.As(err, &netErr) && netErr.Timeout()) {
				err = &clientCertError{sent: sent, err: err}
			}
			return nil, err
		}
		_ = raw.SetDeadline(time.Time{})
		return conn, nil
	}
}

// awaitVerdict reads until the server sends a session ticket (accepted), fails the connection
// (refused: the error) or verdictWindow (or end, when sooner) passes.
func awaitVerdict(conn *tls.Conn, ticket *ticketSignal, end time.Time) error {
	deadline := time.Now().Add(verdictWindow)
	if !end.IsZero() && end.Before(deadline) {
		deadline = end
	}
	_ = conn.SetReadDeadline(deadline)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-ticket.got:
			_ = conn.SetReadDeadline(time.Now()) // ends the Read below
		case <-done:
		}
	})
	var b [1]byte
	n, err := conn.Read(b[:]) // an HTTP server says nothing before the request
	close(done)
	wg.Wait()
	var netErr net.Error
	switch {
	case n > 0:
		return errors.New("the server sent data before the request")
	case errors.As(err, &netErr) && netErr.Timeout():
		return nil // a ticket came, or no verdict within the window: go on
	}
	return err
}

// ticketSignal is a session cache that keeps nothing (no resumption: every connection does a
// full handshake, as it would without a cache) and only tells when the server sent a ticket.
type ticketSignal struct {
	once sync.Once
	got  chan struct{}
}

func (t *ticketSignal) Get(string) (*tls.ClientSessionState, bool) { return nil, false }
func (t *ticketSignal) Put(string, *tls.ClientSessionState) {
	t.once.Do(func() { close(t.got) })
}

// clientCertError is a server that asked for a client certificate and then ended the
// connection: it refused the certificate, or the lack of one.
type clientCertError struct {
	sent bool
	err  error
}

func (e *clientCertError) Error() string { return clientCertReason(e.sent) + ": " + e.err.Error() }
func (e *clientCertError) Unwrap() error { return e.err }

func clientCertReason(sent bool) string {
	if sent {
		return "TLS: the server refused the client certificate"
	}
	return "TLS: the server asks for a client certificate; none is set (tls.client_cert and tls.client_key, --tls-client-cert and --tls-client-key, or HTTP.TLS in Go)"
}
