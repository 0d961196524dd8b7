package user

import (
	"net"
	"net/http"
	"strings"
	"time"
)

// jar is one user's cookies, kept as a browser keeps them (RFC 6265) for the hosts the user
// talks to: a cookie without Domain goes back only to the host that set it; one with Domain to
// that domain and its subdomains (a Domain the host is not in, or a single label such as "com",
// is refused, as browsers refuse public suffixes); it is sent to paths under its Path, over
// https only when it is Secure, until it expires. Ports do not separate cookies. Only its user's
// goroutine touches it.
type jar struct {
	cookies []cookie
}

type cookie struct {
	domain, name, value, path string
	hostOnly, secure          bool
	expires                   time.Time // zero: a session cookie
}

// set stores the cookie of one Set-Cookie header received from host (lower case, without port)
// for requestPath; a Max-Age <= 0 or an Expires in the past deletes it. Malformed headers, and
// cookies for a domain the host may not set, are ignored, as browsers do.
func (j *jar) set(host, requestPath, header string, now time.Time) {
	c, err := http.ParseSetCookie(header)
	if err != nil {
		return
	}
	domain, hostOnly, ok := cookieDomain(host, c.Domain)
	if !ok {
		return
	}
	path := c.Path
	if path == "" || path[0] != '/' {
		path = defaultPath(requestPath)
	}
	var expires time.Time
	switch {
	case c.MaxAge < 0: // Max-Age=0 or negative
		expires = now
	case c.MaxAge > 0:
		expires = now.Add(time.Duration(c.MaxAge) * time.Second)
	case !c.Expires.IsZero():
		expires = c.Expires
	}
	deleted := !expires.IsZero() && !expires.After(now)
	for i := range j.cookies {
		old := &j.cookies[i]
		if old.domain == domain && old.name == c.Name && old.path == path {
			if deleted {
				j.cookies = append(j.cookies[:i], j.cookies[i+1:]...)
			} else {
				old.value, old.expires, old.hostOnly, old.secure = c.Value, expires, hostOnly, c.Secure
			}
			return
		}
	}
	if !deleted {
		j.cookies = append(j.cookies, cookie{domain: domain, hostOnly: hostOnly, name: c.Name, value: c.Value,
			path: path, secure: c.Secure, expires: expires})
	}
}

// cookieDomain is the domain a cookie from host with the Domain attribute attr belongs to, and
// whether it is for host alone; ok is false when host may not set it (RFC 6265 5.3, without a
// public suffix list: a single-label domain other than the host itself is refused).
func cookieDomain(host, attr string) (domain string, hostOnly, ok bool) {
	attr = strings.ToLower(strings.TrimPrefix(attr, "."))
	switch {
	case attr == "":
		return host, true, true
	case attr == host:
		// An IP address is never a domain: a cookie naming it is for that host alone.
		return host, net.ParseIP(host) != nil, true
	case net.ParseIP(host) != nil, !strings.Contains(attr, "."), !domainMatch(host, attr):
		return "", false, false
	}
	return attr, false, true
}

// domainMatch reports whether host is domain or one of its subdomains.
func domainMatch(host, domain string) bool {
	n := len(host) - len(domain)
	return n == 0 && host == domain || n > 0 && host[n-1] == '.' && host[n:] == domain
}

// cookieHost is the host of a host[:port] as the jar keys it: lower case, without port or the
// brackets of an IPv6 address.
func cookieHost(hostPort string) string {
	if host, _, err := net.SplitHostPort(hostPort); err == nil {
		hostPort = host
	}
	return strings.ToLower(strings.Trim(hostPort, "[]"))
}

// each calls fn with every cookie to send to host for path, over https when secure, dropping
// expired ones.
func (j *jar) each(host, path string, secure bool, now time.Time, fn func(name, value string)) {
	kept := j.cookies[:0]
	for _, c := range j.cookies {
		if !c.expires.IsZero() && !c.expires.After(now) {
			continue
		}
		kept = append(kept, c)
		if (c.domain == host || !c.hostOnly && domainMatch(host, c.domain)) && pathMatch(path, c.path) && (secure || !c.secure) {
			fn(c.name, c.value)
		}
	}
	clear(j.cookies[len(kept):])
	j.cookies = kept
}

// get returns the value of the first live cookie named name, whatever its host and path.
func (j *jar) get(name string, now time.Time) string {
	for _, c := range j.cookies {
		if c.name == name && (c.expires.IsZero() || c.expires.After(now)) {
			return c.value
		}
	}
	return ""
}

// defaultPath is the cookie path of a Set-Cookie without Path (RFC 6265 5.1.4): the request
// path up to its last slash.
func defaultPath(requestPath string) string {
	if i := strings.IndexAny(requestPath, "?#"); i >= 0 {
		requestPath = requestPath[:i]
	}
	i := strings.LastIndexByte(requestPath, '/')
	if i <= 0 {
		return "/"
	}
	return requestPath[:i]
}

// pathMatch reports whether a cookie with cookiePath goes with a request for path (RFC 6265
// 5.1.4): /a matches /a, /a/ and /a/b but not /ab.
func pathMatch(path, cookiePath string) bool {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	if !strings.HasPrefix(path, cookiePath) {
		return false
	}
	return len(path) == len(cookiePath) || strings.HasSuffix(cookiePath, "/") || path[len(cookiePath)] == '/'
}
