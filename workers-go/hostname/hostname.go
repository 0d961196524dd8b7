// Package hostname says whether text names a host as a dialler or a TLS client takes it: a DNS
// name or an IP address, nothing around it (no scheme, port or space). The worker's
// --master-host and a TLS server name are checked by it before anything starts.
package hostname

import (
	"net"
	"strings"
)

// Valid reports whether s is an IP address or a DNS name: dot-separated labels of letters,
// digits, '-' and '_' (some service names have it), none empty or longer than 63, 253
// characters at most (a trailing dot allowed).
func Valid(s string) bool {
	if net.ParseIP(s) != nil {
		return true
	}
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
