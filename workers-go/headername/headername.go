// Package headername says which header names HTTP allows (a token of RFC 9110), one rule for every
// place a name is given: a scenario's headers:, a check or extraction of a response header, the
// worker's --reset-header.
package headername

// Allowed is what a header name is made of, for error messages.
const Allowed = "letters, digits and !#$%&'*+.^_`|~-"

// Valid reports whether name is a header name: one or more token characters, so that no space,
// colon, control or non-ASCII character can split or corrupt the request's header block.
func Valid(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !tokenChar(name[i]) {
			return false
		}
	}
	return true
}

func tokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}
