package user

import (
	"reflect"
	"testing"
	"time"
)

func TestJar_set(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	host := "127.0.0.1"
	type send struct{ host, path string }
	cases := []struct {
		name    string
		headers []string // Set-Cookie headers received from host for /app/login
		send    send
		want    map[string]string
	}{
		{"set", []string{"sid=1; Path=/"}, send{host, "/items"}, map[string]string{"sid": "1"}},
		{"overwrite", []string{"sid=1; Path=/", "sid=2; Path=/"}, send{host, "/"}, map[string]string{"sid": "2"}},
		{"delete by Max-Age=0", []string{"sid=1; Path=/", "sid=; Path=/; Max-Age=0"}, send{host, "/"}, map[string]string{}},
		{"delete by negative Max-Age", []string{"sid=1; Path=/", "sid=; Path=/; Max-Age=-1"}, send{host, "/"}, map[string]string{}},
		{"delete by past Expires", []string{"sid=1; Path=/", "sid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"}, send{host, "/"}, map[string]string{}},
		{"future Expires kept", []string{"sid=1; Path=/; Expires=Fri, 01 Jan 2100 00:00:00 GMT"}, send{host, "/"}, map[string]string{"sid": "1"}},
		{"positive Max-Age kept", []string{"sid=1; Path=/; Max-Age=60"}, send{host, "/"}, map[string]string{"sid": "1"}},
		{"path prefix matches", []string{"a=1; Path=/api"}, send{host, "/api/items"}, map[string]string{"a": "1"}},
		{"path itself matches", []string{"a=1; Path=/api"}, send{host, "/api"}, map[string]string{"a": "1"}},
		{"path not on a segment boundary", []string{"a=1; Path=/api"}, send{host, "/apix"}, map[string]string{}},
		{"other path", []string{"a=1; Path=/api"}, send{host, "/"}, map[string]string{}},
		{"default path is the request's directory", []string{"a=1"}, send{host, "/app/items"}, map[string]string{"a": "1"}},
		{"default path not sent elsewhere", []string{"a=1"}, send{host, "/other"}, map[string]string{}},
		{"other host", []string{"sid=1; Path=/"}, send{"127.0.0.2", "/"}, map[string]string{}},
		{"same name, two paths", []string{"a=1; Path=/", "a=2; Path=/app"}, send{host, "/app/x"}, map[string]string{"a": "1,2"}},
		{"malformed header ignored", []string{"=novalue"}, send{host, "/"}, map[string]string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := &jar{}
			for _, h := range c.headers {
				j.set(host, "/app/login", h, now)
			}
			got := map[string]string{}
			j.each(c.send.host, c.send.path, false, now, func(name, value string) {
				if got[name] != "" {
					value = got[name] + "," + value
				}
				got[name] = value
			})
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestJar_each_drops_expired(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	j := &jar{}
	j.set("h", "/", "short=1; Path=/; Max-Age=1", now)
	j.set("h", "/", "long=1; Path=/; Max-Age=100", now)
	var got []string
	j.each("h", "/", false, now.Add(2*time.Second), func(name, _ string) { got = append(got, name) })
	if !reflect.DeepEqual(got, []string{"long"}) || len(j.cookies) != 1 {
		t.Fatalf("got %v sent and %d kept, want [long] and 1", got, len(j.cookies))
	}
	if v := j.get("short", now.Add(2*time.Second)); v != "" {
		t.Fatalf("got %q for an expired cookie, want empty", v)
	}
}

// TestJar_domains covers what a browser does with Domain and Secure (RFC 6265 5.3, 5.4).
func TestJar_domains(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	type send struct {
		host   string
		secure bool
	}
	cases := []struct {
		name   string
		from   string // the host that answered
		header string // its Set-Cookie
		sent   []send // requests that carry the cookie
		unsent []send // requests that do not
	}{
		{"host-only", "api.example.com", "a=1; Path=/",
			[]send{{"api.example.com", false}, {"api.example.com", true}},
			[]send{{"example.com", false}, {"www.api.example.com", false}, {"other.com", false}}},
		{"domain: the domain and its subdomains", "api.example.com", "a=1; Domain=example.com; Path=/",
			[]send{{"example.com", false}, {"api.example.com", false}, {"a.b.example.com", false}},
			[]send{{"badexample.com", false}, {"com", false}, {"example.org", false}}},
		{"leading dot and upper case ignored", "api.example.com", "a=1; Domain=.EXAMPLE.com; Path=/",
			[]send{{"www.example.com", false}}, []send{{"example.org", false}}},
		{"domain equal to the host", "example.com", "a=1; Domain=example.com; Path=/",
			[]send{{"example.com", false}, {"www.example.com", false}}, nil},
		{"secure: over https only", "example.com", "a=1; Path=/; Secure",
			[]send{{"example.com", true}}, []send{{"example.com", false}}},
		{"an IP address as domain is host-only", "127.0.0.1", "a=1; Domain=127.0.0.1; Path=/",
			[]send{{"127.0.0.1", false}}, []send{{"0.0.1", false}}},
		{"another host's domain refused", "api.example.com", "a=1; Domain=other.com; Path=/",
			nil, []send{{"api.example.com", false}, {"other.com", false}}},
		{"a subdomain of the host refused", "example.com", "a=1; Domain=api.example.com; Path=/",
			nil, []send{{"example.com", false}, {"api.example.com", false}}},
		{"a public suffix refused", "api.example.com", "a=1; Domain=com; Path=/",
			nil, []send{{"api.example.com", false}, {"other.com", false}}},
		{"a domain for an IP address refused", "10.0.0.1", "a=1; Domain=0.0.1; Path=/",
			nil, []send{{"10.0.0.1", false}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := &jar{}
			j.set(c.from, "/", c.header, now)
			carries := func(to send) bool {
				found := false
				j.each(to.host, "/", to.secure, now, func(name, _ string) { found = found || name == "a" })
				return found
			}
			for _, to := range c.sent {
				if !carries(to) {
					t.Errorf("a request to %+v does not carry the cookie; want it to", to)
				}
			}
			for _, to := range c.unsent {
				if carries(to) {
					t.Errorf("a request to %+v carries the cookie; want it not to", to)
				}
			}
		})
	}
}

func TestJar_replaces_by_name_domain_and_path(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	j := &jar{}
	j.set("a.example.com", "/", "s=host; Path=/", now)
	j.set("a.example.com", "/", "s=domain; Domain=example.com; Path=/", now)
	j.set("b.example.com", "/", "s=domain2; Domain=example.com; Path=/", now) // replaces the domain cookie
	var got []string
	j.each("a.example.com", "/", false, now, func(_, value string) { got = append(got, value) })
	if want := []string{"host", "domain2"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("a.example.com gets %v; want %v", got, want)
	}
}

func TestCookieHost(t *testing.T) {
	for raw, want := range map[string]string{"Example.COM:8080": "example.com", "127.0.0.1": "127.0.0.1", "[::1]:80": "::1", "h": "h"} {
		if got := cookieHost(raw); got != want {
			t.Errorf("cookieHost(%q) = %q; want %q", raw, got, want)
		}
	}
}
