package user

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"locustfleet/worker/urlesc"
)

// Millis rounds a duration to the nearest whole millisecond (half up): boomer takes int64 ms,
// and truncating would bias every response time down by half a millisecond on average.
func Millis(d time.Duration) int64 {
	return int64((d + time.Millisecond/2) / time.Millisecond)
}

// Reason turns a transport error into the failure text Locust shows. The texts are stable so
// that errors group into few rows: no addresses or ports that vary per connection.
func Reason(err error, timeout time.Duration) string {
	var netErr net.Error
	var connect *connectTimeoutError
	if reason := tlsReason(err); reason != "" {
		return reason
	}
	switch {
	case errors.As(err, &connect):
		return connect.Error()
	case errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, fasthttp.ErrDialTimeout) ||
		(errors.As(err, &netErr) && netErr.Timeout()):
		return fmt.Sprintf("timeout after %s", timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, fasthttp.ErrConnectionClosed):
		return "connection reset by the server"
	}
	return "request failed: " + urlesc.RedactText(err.Error())
}

// tlsReason is the text of a failed TLS handshake ("" for other errors): one per kind of
// trouble, without the certificate's names or the server's address, so that a handshake failing
// on every connection is one row in Locust's errors.
func tlsReason(err error) string {
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var record tls.RecordHeaderError
	var opErr *net.OpError
	var clientCert *clientCertError
	switch {
	case errors.As(err, &clientCert):
		return clientCertReason(clientCert.sent)
	case errors.As(err, &unknown):
		return "TLS: server certificate signed by an unknown authority (trust its CA: tls.ca_file, --tls-ca-file or HTTP.TLS in Go)"
	case errors.As(err, &hostname):
		return "TLS: server certificate not valid for the server name (see tls.server_name, --tls-server-name or HTTP.TLS in Go)"
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "TLS: server certificate expired or not yet valid"
	case errors.As(err, &invalid):
		return "TLS: server certificate not valid"
	case errors.As(err, &record):
		return "TLS: the server did not answer in TLS (an http server on an https URL?)"
	case errors.Is(err, fasthttp.ErrTLSHandshakeTimeout):
		return "TLS: handshake timed out"
	case errors.As(err, &opErr) && opErr.Op == "remote error":
		// The server's alert, e.g. "tls: certificate required" when it wants a client certificate.
		return "TLS: the server refused the handshake (" + opErr.Err.Error() + ")"
	}
	return ""
}

// statusOK reports whether status is what the request expects: one of expect, or any status
// below 400 when expect is nil, as in Locust's HTTP clients.
func statusOK(status int, expect []int) bool {
	if expect == nil {
		return status > 0 && status < 400
	}
	for _, s := range expect {
		if s == status {
			return true
		}
	}
	return false
}

// statusFailure is the failure text of an unexpected status:
// "unexpected status 503 (expected 200)", "(expected one of 200, 201)", "(expected < 400)".
func statusFailure(status int, expect []int) string {
	var want string
	switch len(expect) {
	case 0:
		want = "< 400"
	case 1:
		want = fmt.Sprint(expect[0])
	default:
		parts := make([]string, len(expect))
		for i, s := range expect {
			parts[i] = fmt.Sprint(s)
		}
		want = "one of " + strings.Join(parts, ", ")
	}
	return fmt.Sprintf("unexpected status %d (expected %s)", status, want)
}
