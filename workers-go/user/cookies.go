package user

import (
	"net/http"
	"strings"
	"time"
)

// jar is one user's cookies, like a browser's for the hosts the user talks to, kept simple:
// a cookie belongs to the host that set it (Domain is ignored) and is sent to paths under its
// Path. Only its user's goroutine touches it.
type jar struct {
	cookies []cookie
}

type cookie struct {
	host, name, value, path string
	expires                 time.Time // zero: a session cookie
}

// set stores the cookie of one Set-Cookie header received from host for requestPath; a
// Max-Age <= 0 or an Expires in the past deletes it. Malformed headers are ignored, as browsers do.
func (j *jar) set(host, requestPath, header string, now time.Time) {
	c, err := http.ParseSetCookie(header)
	if err != nil {
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
		if old.host == host && old.name == c.Name && old.path == path {
			if deleted {
				j.cookies = append(j.cookies[:i], j.cookies[i+1:]...)
			} else {
				old.value, old.expires = c.Value, expires
			}
			return
		}
	}
	if !deleted {
		j.cookies = append(j.cookies, cookie{host: host, name: c.Name, value: c.Value, path: path, expires: expires})
	}
}

// each calls fn with every cookie to send to host for path, dropping expired ones.
func (j *jar) each(host, path string, now time.Time, fn func(name, value string)) {
	kept := j.cookies[:0]
	for _, c := range j.cookies {
		if !c.expires.IsZero() && !c.expires.After(now) {
			continue
		}
		kept = append(kept, c)
		if c.host == host && pathMatch(path, c.path) {
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
