package scenario

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"locustfleet/worker/template"
	"locustfleet/worker/urlesc"
	"locustfleet/worker/user"
)

// Template functions beyond the variables of compile.go: environment variables, the clock, random
// strings and filters ({{ token | base64 }}). Like variables they are resolved once, at load time,
// into lookups; an environment variable is a constant, folded into the template's literal text
// wherever the template is built by this package's own builders (URLs, hosts, headers, forms).

const maxRandomString = 1024

var (
	randomStringCall = regexp.MustCompile(`^random_string\(\s*(\d+)\s*\)$`)
	envName          = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// textFilters change a value's text; jsonFilters give a json: value its JSON type.
	textFilters = []string{"urlencode", "urldecode", "htmldecode", "base64"}
	jsonFilters = []string{"number", "bool", "json"}
	// clockNames are the built-in names of the current time.
	clockNames = []string{"now_unix", "now_ms", "now_iso"}
)

// builtinNames lists the built-ins for messages.
const builtinNames = "user_id, iteration, random(a, b), uuid, random_string(n), now_unix, now_ms, now_iso, env.NAME"

// splitFilters splits "name | f | g" into the name and its filters, spaces trimmed.
func splitFilters(expr string) (name string, filters []string) {
	fields := strings.Split(expr, "|")
	for i := range fields {
		fields[i] = strings.TrimSpace(fields[i])
	}
	return fields[0], fields[1:]
}

// lastFilter is the last filter of expr ("" without filters).
func lastFilter(expr string) string {
	_, filters := splitFilters(expr)
	if len(filters) == 0 {
		return ""
	}
	return filters[len(filters)-1]
}

// function resolves what is not a plain variable: a name with filters, env.NAME, the clock and
// random_string(n). ok is false for other names, which resolve as variables.
func (c *compiler) function(expr string, avail []string) (lk lookup, ok bool, err error) {
	name, filters := splitFilters(expr)
	if len(filters) > 0 {
		if err := checkFilters(expr, filters); err != nil {
			return nil, true, err
		}
		if f := filters[len(filters)-1]; slices.Contains(jsonFilters, f) {
			where := `the whole of a string in json:, e.g. count: "{{ n | number }}"`
			if f == "json" {
				where = `the whole of a string in json:, or of a query:, form: or multipart: value (the JSON text as one value)`
			}
			return nil, true, fmt.Errorf("{{ %s }}: %s gives a json: value its JSON type; expected it as %s", expr, f, where)
		}
		lk, err := c.resolve(name, avail)
		if err != nil {
			return nil, true, err
		}
		for _, f := range filters {
			lk = applyFilter(lk, f)
		}
		return lk, true, nil
	}
	switch {
	case name == "now_unix":
		return func(_ *user.User, dst []byte) []byte { return strconv.AppendInt(dst, time.Now().Unix(), 10) }, true, nil
	case name == "now_ms":
		return func(_ *user.User, dst []byte) []byte { return strconv.AppendInt(dst, time.Now().UnixMilli(), 10) }, true, nil
	case name == "now_iso":
		return func(_ *user.User, dst []byte) []byte {
			return time.Now().UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z")
		}, true, nil
	case strings.HasPrefix(name, "random_string("):
		lk, err := randomString(name)
		return lk, true, err
	case strings.HasPrefix(name, "env."):
		text, err := c.env(name)
		if err != nil {
			return nil, true, err
		}
		return func(_ *user.User, dst []byte) []byte { return append(dst, text...) }, true, nil
	}
	return nil, false, nil
}

// checkFilters reports an unknown filter, or a JSON type filter that is not the last.
func checkFilters(expr string, filters []string) error {
	for i, f := range filters {
		switch {
		case slices.Contains(textFilters, f):
		case slices.Contains(jsonFilters, f) && i == len(filters)-1:
		case slices.Contains(jsonFilters, f):
			return fmt.Errorf("{{ %s }}: %s must be the last filter; expected e.g. {{ n | number }}", expr, f)
		default:
			return fmt.Errorf("{{ %s }}: unknown filter %q; expected one of %s", expr, f, strings.Join(slices.Concat(textFilters, jsonFilters), ", "))
		}
	}
	return nil
}

// constant is the value of an expression known at load time, an environment variable with its
// filters; ok is false for anything else.
func (c *compiler) constant(expr string) (text string, ok bool, err error) {
	name, filters := splitFilters(expr)
	if !strings.HasPrefix(name, "env.") {
		return "", false, nil
	}
	if err := checkFilters(expr, filters); err != nil {
		return "", true, err
	}
	if len(filters) > 0 && slices.Contains(jsonFilters, filters[len(filters)-1]) {
		return "", false, nil // typed: left to the json: builder
	}
	text, err = c.env(name)
	if err != nil {
		return "", true, err
	}
	b := []byte(text)
	for _, f := range filters {
		b = filterText(nil, b, f)
	}
	return string(b), true, nil
}

// env reads the environment variable of "env.NAME" when the scenario is loaded.
func (c *compiler) env(name string) (string, error) {
	key := strings.TrimPrefix(name, "env.")
	if !envName.MatchString(key) {
		return "", fmt.Errorf("{{ %s }}: %q is not an environment variable name; expected env.NAME, NAME of letters, digits and _", name, key)
	}
	value, ok := os.LookupEnv(key)
	if !ok {
		return "", fmt.Errorf("{{ %s }}: the environment variable %s is not set; expected it set in the worker's environment", name, key)
	}
	return value, nil
}

func randomString(name string) (lookup, error) {
	m := randomStringCall.FindStringSubmatch(name)
	n := 0
	if m != nil {
		n, _ = strconv.Atoi(m[1])
	}
	if n < 1 || n > maxRandomString {
		return nil, fmt.Errorf("{{ %s }} is not a valid random_string call; expected random_string(n) with a whole number n from 1 to %d, e.g. random_string(16)", name, maxRandomString)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	return func(u *user.User, dst []byte) []byte {
		for range n {
			dst = append(dst, alphabet[u.Rand.IntN(len(alphabet))])
		}
		return dst
	}, nil
}

// applyFilter wraps a lookup with a text filter.
func applyFilter(lk lookup, f string) lookup {
	return template.Escaped(lk, func(dst, raw []byte) []byte { return filterText(dst, raw, f) })
}

// filterText appends raw through the text filter f.
func filterText(dst, raw []byte, f string) []byte {
	switch f {
	case "urlencode":
		return urlesc.AppendComponent(dst, raw)
	case "urldecode": // a cookie's value sent back in a header: Laravel's XSRF-TOKEN, as axios does
		return urlesc.AppendDecoded(dst, raw)
	case "htmldecode": // a form's action or hidden field taken from a page: &amp; is the & sent
		if bytes.IndexByte(raw, '&') < 0 {
			return append(dst, raw...)
		}
		return append(dst, html.UnescapeString(string(raw))...)
	case "base64":
		return base64.StdEncoding.AppendEncode(dst, raw)
	}
	return append(dst, raw...)
}
