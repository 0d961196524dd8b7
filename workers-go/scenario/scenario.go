// Package scenario compiles a scenario file into a user.Class: Locust's User model (tasks and
// flows of requests, wait time, on_start/on_stop, per-user variables and data) described in YAML.
// Everything is checked and compiled at load time; running a task parses nothing.
package scenario

import (
	"fmt"
	"time"

	"locustfleet/worker/baseurl"
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
	return baseurl.Check(field, raw)
}
