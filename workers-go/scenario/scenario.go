// Package scenario compiles a scenario file into a user.Class: Locust's User model (tasks and
// flows of requests, wait time, on_start/on_stop, per-user variables and data) described in YAML.
// Everything is checked and compiled at load time; running a task parses nothing.
package scenario

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
)

// DefaultTimeout bounds a request whose scenario entry sets no timeout.
const DefaultTimeout = 10 * time.Second

// Methods lists the HTTP methods a request may use.
var Methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// Scenario is the single-request form the fasthttp executor (httptask) sends; the user runtime
// runs the compiled user.Class instead.
type Scenario struct {
	Host     string // base URL: scheme://host[:port][/prefix], without a trailing slash
	Requests []Request
}

// Request is one entry of the scenario; Name is what Locust shows in its stats table.
type Request struct {
	Name         string
	Method       string
	Path         string
	Weight       int
	ExpectStatus []int // nil: any status below 400 succeeds, as in Locust's HTTP clients
	Headers      []Header
	Body         string
	Timeout      time.Duration
}

// Header is one request header; a slice keeps the order the scenario gave.
type Header struct {
	Name, Value string
}

// URL is the absolute URL the request is sent to.
func (r Request) URL(host string) string {
	return host + r.Path
}

// StatusOK reports whether status is what the request expects.
func (r Request) StatusOK(status int) bool {
	if r.ExpectStatus == nil {
		return status > 0 && status < 400
	}
	for _, s := range r.ExpectStatus {
		if s == status {
			return true
		}
	}
	return false
}

// ExpectText describes the expected status for failure messages: "200", "one of 200, 201", "< 400".
func (r Request) ExpectText() string {
	switch len(r.ExpectStatus) {
	case 0:
		return "< 400"
	case 1:
		return fmt.Sprint(r.ExpectStatus[0])
	}
	parts := make([]string, len(r.ExpectStatus))
	for i, s := range r.ExpectStatus {
		parts[i] = fmt.Sprint(s)
	}
	return "one of " + strings.Join(parts, ", ")
}

// SetHost validates and sets the base URL; field names where it came from in error messages.
func (sc *Scenario) SetHost(raw, field string) error {
	host, err := baseURL(raw, field)
	sc.Host = host
	return err
}

// baseURL validates a base URL and drops its trailing slash; field names where it came from.
func baseURL(raw, field string) (string, error) {
	if raw == "" {
		return "", fmt.Errorf("%s: missing; set host in the scenario or pass --target URL", field)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%s: %q is not an http(s) URL; expected e.g. http://127.0.0.1:8080", field, raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%s: %q has a query or fragment; expected a base URL", field, raw)
	}
	return strings.TrimRight(raw, "/"), nil
}

// Names returns the distinct request names, sorted, for logs.
func (sc *Scenario) Names() []string {
	seen := map[string]bool{}
	var names []string
	for _, r := range sc.Requests {
		if !seen[r.Name] {
			seen[r.Name] = true
			names = append(names, r.Name)
		}
	}
	sort.Strings(names)
	return names
}
