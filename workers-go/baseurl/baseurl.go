// Package baseurl checks a target's base URL in one place for every way of giving it (--target,
// -H/--host, LOCUST_HOST, a scenario's host: and hosts:, user.Class.Host), so that they all refuse
// the same URLs, when the worker starts, with the same words.
package baseurl

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"locustfleet/worker/urlesc"
)

// Example is the base URL error messages show as what was expected.
const Example = "http://127.0.0.1:8080"

// Check returns raw without its trailing "/", its scheme in lower case ("HTTP://host" is
// http://host: a scheme is case-insensitive), when it is an http(s) base URL every request can be
// sent to: a scheme http or https, a host name, a port (when given) from 1 to 65535, no query and
// no fragment (a path is appended to it). Otherwise its error starts with field, quotes raw with
// its password hidden and says what was expected.
func Check(field, raw string) (string, error) {
	if raw == "" {
		return "", fmt.Errorf("%s: empty; expected an http(s) base URL such as %s", field, Example)
	}
	u, err := url.Parse(raw)
	// A host name is required: "http://:8080" would dial this machine.
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return "", fmt.Errorf("%s: %q is not an http(s) URL; expected e.g. %s", field, urlesc.Redact(raw), Example)
	}
	if err := Authority(u); err != nil {
		return "", fmt.Errorf("%s: %q: %v", field, urlesc.Redact(raw), err)
	}
	// A "?" or "#" with nothing after it counts too: the path appended after it would be sent as
	// a query or not at all.
	if u.RawQuery != "" || u.ForceQuery || strings.Contains(raw, "#") {
		return "", fmt.Errorf("%s: %q has a query or fragment; expected a base URL", field, urlesc.Redact(raw))
	}
	return urlesc.LowerScheme(strings.TrimRight(raw, "/")), nil
}

// Authority refuses a host and port that every request to u would fail to dial. It is Check's
// rule for the authority, also for the absolute URLs a scenario's paths may be.
func Authority(u *url.URL) error {
	if !ascii(u.Host) {
		return fmt.Errorf("the host name is not ASCII; expected it in ASCII (IDNA, xn--...)")
	}
	// url.Parse takes any digits ("http://host:80800") and an empty port ("http://host:", what
	// "http://host:$PORT" becomes with PORT unset); either would fail only when dialled.
	if strings.HasSuffix(u.Host, ":") {
		return fmt.Errorf("the port is empty; expected a port from 1 to 65535 after the \":\", or no \":\"")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %s is out of range; expected a port from 1 to 65535", p)
		}
	}
	return nil
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
