package scenario

import (
	"fmt"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"locustfleet/worker/tlsconf"
	"locustfleet/worker/user"
)

// The keys of tls: and http:, the connection settings of a scenario.
var (
	tlsKeys  = []string{"ca_file", "client_cert", "client_key", "server_name", "insecure_skip_verify"}
	httpKeys = []string{"follow_redirects", "max_redirects", "keep_alive", "max_connections", "connect_timeout"}
)

// parseTLS reads tls: and loads its files now (relative to the scenario's folder), so that an
// unreadable file, a CA file without a certificate or a key that is not the certificate's stops
// the worker before it connects.
func (c *compiler) parseTLS(v *yaml.Node, h *user.HTTPOptions) {
	if v.Kind != yaml.MappingNode {
		c.errorf(v.Line, "tls", "%s; expected a mapping with %s", describe(v), strings.Join(tlsKeys, ", "))
		return
	}
	var o tlsconf.Options
	lines := map[string]int{}
	c.eachKey(v, "tls.", tlsKeys, func(key string, k, n *yaml.Node) {
		lines[key] = k.Line
		field := "tls." + key
		var s string
		if key != "insecure_skip_verify" {
			if !c.check(decodeString(n, field, &s)) {
				return
			}
			if s == "" { // was taken as not set
				c.errorf(n.Line, field, "empty; expected a value, or no %s key", key)
				return
			}
		}
		switch key {
		case "ca_file":
			o.CAFile = c.path(s)
		case "client_cert":
			o.ClientCert = c.path(s)
		case "client_key":
			o.ClientKey = c.path(s)
		case "server_name":
			o.ServerName = s
		case "insecure_skip_verify":
			o.InsecureSkipVerify, _ = c.boolean(n, field)
		}
	})
	cfg, err := o.Config(func(key string) string { return "tls." + key })
	if err != nil {
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			line, ok := lines[e.(*tlsconf.Error).Key]
			if !ok { // a missing key: the line of tls:
				line = v.Line
			}
			c.errs = append(c.errs, fmt.Errorf("line %d: %w", line, e))
		}
		return
	}
	h.TLS = cfg
}

// parseHTTP reads http:, the settings of redirects and connections.
func (c *compiler) parseHTTP(v *yaml.Node, h *user.HTTPOptions) {
	if v.Kind != yaml.MappingNode {
		c.errorf(v.Line, "http", "%s; expected a mapping with %s", describe(v), strings.Join(httpKeys, ", "))
		return
	}
	c.eachKey(v, "http.", httpKeys, func(key string, _, n *yaml.Node) {
		field := "http." + key
		switch key {
		case "follow_redirects":
			if follow, ok := c.boolean(n, field); ok {
				h.NoRedirects = !follow
			}
		case "keep_alive":
			if keep, ok := c.boolean(n, field); ok {
				h.NoKeepAlive = !keep
			}
		case "max_redirects":
			h.MaxRedirects = c.count(n, field, "redirects to follow")
		case "max_connections":
			h.MaxConns = c.count(n, field, "connections per host")
		case "connect_timeout":
			if d, ok := c.duration(n, field, false); ok {
				h.ConnectTimeout = d
			}
		}
	})
}

// path resolves a file named in the scenario against the scenario's folder.
func (c *compiler) path(file string) string {
	if file == "" || filepath.IsAbs(file) {
		return file
	}
	return filepath.Join(c.dir, file)
}

func (c *compiler) boolean(v *yaml.Node, field string) (value, ok bool) {
	if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || v.Decode(&value) != nil {
		c.errorf(v.Line, field, "%s; expected true or false", describe(v))
		return false, false
	}
	return value, true
}
