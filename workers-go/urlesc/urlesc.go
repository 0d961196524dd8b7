// Package urlesc escapes URLs the way Python's requests (Locust's HttpUser) sends them, so that
// every character that must be escaped reaches the server escaped exactly once:
//
//   - text written as part of a URL (a path typed in a scenario, a base URL) keeps its meaning:
//     reserved characters (/ ? & = : @ ...) stay, a valid %XX stays (in upper case, or decoded
//     when it stands for an unreserved character), everything else is escaped (requests'
//     requote_uri);
//   - a value put into a URL (a variable in a path segment or a query) is data: every character
//     but the unreserved ones is escaped, so that it stays one segment or one parameter
//     (urllib.parse.quote(v, safe="") and quote_plus for queries).
package urlesc

import (
	"strings"
)

const upperHex = "0123456789ABCDEF"

// unreserved reports whether c is an unreserved character of RFC 3986: never escaped.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// kept reports whether c may stay as it is in a URL's path or query: unreserved, sub-delims and
// ":@/?" (what requests leaves alone there; '%' is judged with what follows it).
func kept(c byte) bool {
	if unreserved(c) {
		return true
	}
	switch c {
	case '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', ':', '@', '/', '?':
		return true
	}
	return false
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// escape appends %XX for c.
func escape(dst []byte, c byte) []byte {
	return append(dst, '%', upperHex[c>>4], upperHex[c&0xf])
}

// AppendComponent appends raw escaped as a value inside a path segment: every byte but the
// unreserved characters becomes %XX (a space is %20), as urllib.parse.quote(raw, safe="") and,
// but for !*'(), JavaScript's encodeURIComponent.
func AppendComponent(dst, raw []byte) []byte {
	for _, c := range raw {
		if unreserved(c) {
			dst = append(dst, c)
		} else {
			dst = escape(dst, c)
		}
	}
	return dst
}

// Unreserved reports whether every byte of b is an unreserved character: AppendComponent and
// AppendQuery would append b as it is.
func Unreserved(b []byte) bool {
	for _, c := range b {
		if !unreserved(c) {
			return false
		}
	}
	return true
}

// AppendQuery appends raw escaped as a query parameter's name or value, or a form field's:
// as AppendComponent but a space is '+' (application/x-www-form-urlencoded; urllib's quote_plus,
// which requests' params= and data= use).
func AppendQuery(dst, raw []byte) []byte {
	for _, c := range raw {
		switch {
		case unreserved(c):
			dst = append(dst, c)
		case c == ' ':
			dst = append(dst, '+')
		default:
			dst = escape(dst, c)
		}
	}
	return dst
}

// AppendText appends raw, text written as part of a URL's path or query, with what must be
// escaped escaped: a valid %XX is kept (its hex in upper case; decoded when it stands for an
// unreserved character, as requests does), any other '%' becomes %25, a byte that may not
// appear there becomes %XX. '#' is escaped too: callers cut a fragment off before.
func AppendText(dst, raw []byte) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case kept(c):
			dst = append(dst, c)
		default:
			if b, ok := percentByte(raw, i); ok {
				if unreserved(b) {
					dst = append(dst, b)
				} else {
					dst = escape(dst, b)
				}
				i += 2
				continue
			}
			dst = escape(dst, c)
		}
	}
	return dst
}

// AppendDecoded appends raw with each %XX (either case) decoded to its byte, as JavaScript's
// decodeURIComponent and Python's unquote do; a % not followed by two hex digits, and a +, are
// kept as they are (unquote_plus would make + a space).
func AppendDecoded(dst, raw []byte) []byte {
	for i := 0; i < len(raw); i++ {
		if b, ok := percentByte(raw, i); ok {
			dst = append(dst, b)
			i += 2
			continue
		}
		dst = append(dst, raw[i])
	}
	return dst
}

// percentByte is the byte a %XX at raw[i] stands for (its hex in either case); false when raw[i]
// starts no such triplet.
func percentByte(raw []byte, i int) (byte, bool) {
	if raw[i] != '%' || i+2 >= len(raw) {
		return 0, false
	}
	hi, okHi := unhex(raw[i+1])
	lo, okLo := unhex(raw[i+2])
	return hi<<4 | lo, okHi && okLo
}

// NeedsText reports whether AppendText would change s (the path and query of a URL, without
// its fragment): most URLs are clean, and checking costs no allocation.
func NeedsText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case kept(c):
		case c == '%' && i+2 < len(s) && upperOrDigit(s[i+1]) && upperOrDigit(s[i+2]):
			hi, _ := unhex(s[i+1])
			lo, _ := unhex(s[i+2])
			if unreserved(hi<<4 | lo) {
				return true
			}
			i += 2
		default:
			return true
		}
	}
	return false
}

func upperOrDigit(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

// pathStart is the index where the path of an absolute URL (scheme://authority/path) begins,
// or 0 when rawURL is not absolute (a "://" in a path's query does not make it so).
func pathStart(rawURL string) int {
	i := schemeEnd(rawURL)
	if i < 0 {
		return 0
	}
	rest := rawURL[i+3:]
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		return i + 3 + j
	}
	return len(rawURL)
}

// Clean returns rawURL (absolute, or a path) as it is sent: its fragment dropped (a fragment is
// never sent) and its path and query escaped by AppendText; the scheme and authority are kept
// as they are (an IPv6 host has brackets). An URL that needs nothing is returned as it is,
// without allocating.
func Clean(rawURL string) string {
	start := pathStart(rawURL)
	rest := rawURL[start:]
	fragment := strings.IndexByte(rest, '#')
	if fragment >= 0 {
		rest = rest[:fragment]
	}
	if !NeedsText(rest) {
		if fragment < 0 {
			return rawURL
		}
		return rawURL[:start+fragment]
	}
	b := make([]byte, 0, len(rawURL)+16)
	b = append(b, rawURL[:start]...)
	return string(AppendText(b, []byte(rest)))
}

// Redact hides the password of a URL's user information (http://user:xxxxx@host/...), as Go's
// url.URL.Redacted does, so that a URL can be logged or shown; a URL without one is returned
// as it is. Text that is not a URL is returned as it is too.
func Redact(rawURL string) string {
	start := pathStart(rawURL)
	scheme := schemeEnd(rawURL)
	if scheme < 0 {
		return rawURL
	}
	authority := rawURL[scheme+3 : start]
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return rawURL
	}
	user, _, hasPassword := strings.Cut(authority[:at], ":")
	if !hasPassword {
		return rawURL
	}
	return rawURL[:scheme+3] + user + ":xxxxx" + authority[at:] + rawURL[start:]
}

// RedactText redacts every URL with a password found in text, such as an error message that
// quotes one.
func RedactText(text string) string {
	if !strings.Contains(text, "://") || !strings.Contains(text, "@") {
		return text
	}
	var b strings.Builder
	for {
		i := strings.Index(text, "://")
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		start := i
		for start > 0 && isSchemeByte(text[start-1]) {
			start--
		}
		end := i + 3
		for end < len(text) && !strings.ContainsRune(" \t\n\"'<>`", rune(text[end])) {
			end++
		}
		b.WriteString(text[:start])
		b.WriteString(Redact(text[start:end]))
		text = text[end:]
	}
}

// schemeEnd is the index of the "://" that ends rawURL's scheme, or -1 when it does not start
// with one.
func schemeEnd(rawURL string) int {
	i := strings.Index(rawURL, "://")
	if i <= 0 || !('a' <= rawURL[0]|0x20 && rawURL[0]|0x20 <= 'z') {
		return -1
	}
	for j := range i {
		if !isSchemeByte(rawURL[j]) {
			return -1
		}
	}
	return i
}

func isSchemeByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'
}

// RemoveDotSegments resolves "." and ".." segments of a path (RFC 3986 5.2.4), as requests
// (urllib3) does before sending: /a/./b/../c is /a/c.
func RemoveDotSegments(path string) string {
	if !strings.Contains(path, ".") {
		return path
	}
	segments := strings.Split(path, "/")
	out := make([]string, 0, len(segments))
	for i, s := range segments {
		last := i == len(segments)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	joined := strings.Join(out, "/")
	if strings.HasPrefix(path, "/") && !strings.HasPrefix(joined, "/") {
		joined = "/" + joined
	}
	return joined
}

// schemeLen is the length of s's "http://" or "https://" in any case ("HTTP://",
// "Https://": a scheme is case-insensitive, RFC 3986 3.1), or 0 when s does not start with one.
func schemeLen(s string) int {
	for _, scheme := range [...]string{"http://", "https://"} {
		if len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
			return len(scheme)
		}
	}
	return 0
}

// Absolute reports whether s is an absolute http(s) URL, its scheme in any case.
func Absolute(s string) bool { return schemeLen(s) > 0 }

// LowerScheme returns s with its http(s) scheme in lower case, the form every place that sends
// or compares a URL expects ("HTTP://host/x" is sent to http://host/x); anything else is
// returned as it is.
func LowerScheme(s string) string {
	lowered, _ := LowerAbsolute(s)
	return lowered
}

// LowerAbsolute is LowerScheme(s) and Absolute(s) with one look at the scheme, for a request's
// path: whether it is an absolute URL, and the URL to send. It allocates only for a scheme not
// in lower case already.
func LowerAbsolute(s string) (lowered string, absolute bool) {
	n := schemeLen(s)
	if n == 0 {
		return s, false
	}
	if scheme := s[:n]; scheme != strings.ToLower(scheme) {
		return strings.ToLower(scheme) + s[n:], true
	}
	return s, true
}
