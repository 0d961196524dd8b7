package user

import (
	"reflect"
	"testing"
	"time"
)

func TestJar_set(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	host := "127.0.0.1:8080"
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
		{"other host", []string{"sid=1; Path=/"}, send{"127.0.0.1:9090", "/"}, map[string]string{}},
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
			j.each(c.send.host, c.send.path, now, func(name, value string) {
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
	j.each("h", "/", now.Add(2*time.Second), func(name, _ string) { got = append(got, name) })
	if !reflect.DeepEqual(got, []string{"long"}) || len(j.cookies) != 1 {
		t.Fatalf("got %v sent and %d kept, want [long] and 1", got, len(j.cookies))
	}
	if v := j.get("short", now.Add(2*time.Second)); v != "" {
		t.Fatalf("got %q for an expired cookie, want empty", v)
	}
}
