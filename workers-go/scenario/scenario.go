// Package scenario compiles a scenario file into a user.Class: Locust's User model (tasks and
// flows of requests, wait time, on_start/on_stop, per-user variables and data) described in YAML.
// Everything is checked and compiled at load time; running a task parses nothing.
package scenario

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"locustfleet/worker/urlesc"
)

// DefaultTimeout bounds a request whose scenario entry sets no timeout.
const DefaultTimeout = 10 * time.Second

// Methods lists the HTTP methods a request may use.
var Methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// baseURL validates a base URL and drops its trailing slash; field names where it came from.
func baseURL(raw, field string) (string, error) {
	if raw == "" {
		return "", fmt.Errorf("%s: missing; set host in the scenario or pass --target URL", field)
	}
	u, err := url.Parse(raw)
	// A host name is required: "http://:8080" would dial this machine.
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return "", fmt.Errorf("%s: %q is not an http(s) URL; expected e.g. http://127.0.0.1:8080", field, urlesc.Redact(raw))
	}
	if err := checkAuthority(u); err != nil {
		return "", fmt.Errorf("%s: %q: %v", field, urlesc.Redact(raw), err)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%s: %q has a query or fragment; expected a base URL", field, urlesc.Redact(raw))
	}
	return strings.TrimRight(raw, "/"), nil
}

// checkAuthority refuses at load time a host and port that every request would fail to dial.
func checkAuthority(u *url.URL) error {
	if !ascii(u.Host) {
		return fmt.Errorf("the host name is not ASCII; expected it in ASCII (IDNA, xn--...)")
	}
	if !urlesc.PortInRange(u) {
		return fmt.Errorf("port %s is out of range; expected a port from 1 to 65535", u.Port())
	}
	return nil
}
