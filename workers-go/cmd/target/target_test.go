package main

import (
	"encoding/json"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// serve runs the target on loopback and returns a function sending one request to it.
func serve(t *testing.T) func(method, path, body string, headers ...string) (int, string, *fasthttp.ResponseHeader) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: newTarget().handle}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	base := "http://" + ln.Addr().String()
	return func(method, path, body string, headers ...string) (int, string, *fasthttp.ResponseHeader) {
		req, resp := fasthttp.AcquireRequest(), &fasthttp.Response{}
		defer fasthttp.ReleaseRequest(req)
		req.SetRequestURI(base + path)
		req.Header.SetMethod(method)
		req.SetBodyString(body)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		if err := fasthttp.Do(req, resp); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode(), string(resp.Body()), &resp.Header
	}
}

type session struct{ token, sid string }

func loginAs(t *testing.T, do func(string, string, string, ...string) (int, string, *fasthttp.ResponseHeader), name string) session {
	t.Helper()
	status, body, header := do("POST", "/login", `{"user": "`+name+`", "password": "pw-`+name+`"}`)
	var answer struct{ Token string }
	if err := json.Unmarshal([]byte(body), &answer); status != 200 || err != nil || answer.Token == "" {
		t.Fatalf("login as %s: %d %q; want 200 with a token", name, status, body)
	}
	c := fasthttp.AcquireCookie()
	defer fasthttp.ReleaseCookie(c)
	c.SetKey("sid")
	if !header.Cookie(c) || len(c.Value()) == 0 || string(c.Path()) != "/" {
		t.Fatalf("login as %s set no sid cookie with Path=/: %s", name, header.String())
	}
	return session{answer.Token, string(c.Value())}
}

func itemIDs(t *testing.T, body string) []string {
	t.Helper()
	var list struct{ Items []struct{ ID string } }
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Items) != 2 {
		t.Fatalf("items: %q; want a list of 2 items", body)
	}
	return []string{list.Items[0].ID, list.Items[1].ID}
}

func TestTarget_flow(t *testing.T) {
	do := serve(t)
	alice, bob := loginAs(t, do, "alice"), loginAs(t, do, "bob")
	alice2 := loginAs(t, do, "alice")
	if alice2 == alice {
		t.Fatal("a second login gave the same token and cookie; want fresh ones")
	}
	auth := func(s session) []string {
		return []string{"Authorization", "Bearer " + s.token, "Cookie", "sid=" + s.sid}
	}
	_, body, _ := do("GET", "/items", "", auth(alice)...)
	aliceItems := itemIDs(t, body)
	_, body, _ = do("GET", "/items", "", auth(bob)...)
	bobItems := itemIDs(t, body)
	if aliceItems[0] == bobItems[0] || aliceItems[0] == aliceItems[1] {
		t.Fatalf("ids %v and %v; want ids minted per login", aliceItems, bobItems)
	}

	cases := []struct {
		name    string
		path    string
		headers []string
		status  int
		says    string
	}{
		{"own token and cookie", "/items", auth(alice), 200, aliceItems[0]},
		{"own item", "/items/" + aliceItems[1], auth(alice), 200, `"id":"` + aliceItems[1] + `"`},
		{"no token", "/items", []string{"Cookie", "sid=" + alice.sid}, 403, "no bearer token"},
		{"no cookie", "/items", []string{"Authorization", "Bearer " + alice.token}, 403, "no session cookie"},
		{"unknown token", "/items", []string{"Authorization", "Bearer forged", "Cookie", "sid=" + alice.sid}, 403, "unknown token"},
		{"unknown cookie", "/items", []string{"Authorization", "Bearer " + alice.token, "Cookie", "sid=forged"}, 403, "unknown session cookie"},
		{"another user's cookie", "/items", []string{"Authorization", "Bearer " + alice.token, "Cookie", "sid=" + bob.sid}, 403, "token and cookie of different logins"},
		{"the same user's other login", "/items", []string{"Authorization", "Bearer " + alice.token, "Cookie", "sid=" + alice2.sid}, 403, "token and cookie of different logins"},
		{"another user's item", "/items/" + bobItems[0], auth(alice), 403, "item of another login"},
		{"an item of no one", "/items/nosuch", auth(alice), 403, "item of another login"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body, _ := do("GET", c.path, "", c.headers...)
			if status != c.status || !strings.Contains(body, c.says) {
				t.Fatalf("got %d %q; want %d with %q", status, body, c.status, c.says)
			}
		})
	}
}

func TestTarget_login_refused(t *testing.T) {
	do := serve(t)
	cases := []struct{ name, body, says string }{
		{"wrong password", `{"user": "alice", "password": "secret"}`, "login: wrong password"},
		{"not JSON", `user=alice`, "login: expected a JSON body"},
		{"no user", `{"password": "pw-"}`, "login: expected a JSON body"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if status, body, _ := do("POST", "/login", c.body); status != 401 || !strings.Contains(body, c.says) {
				t.Fatalf("got %d %q; want 401 with %q", status, body, c.says)
			}
		})
	}
}

func TestTarget_counts(t *testing.T) {
	do := serve(t)
	readMap := func(path string) map[string]int64 {
		_, body, _ := do("GET", path, "")
		m := map[string]int64{}
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("%s: %q is not a JSON map: %v", path, body, err)
		}
		return m
	}
	alice := loginAs(t, do, "alice")
	loginAs(t, do, "alice")
	loginAs(t, do, "bob")
	do("POST", "/login", `{"user": "bob", "password": "x"}`)
	_, body, _ := do("GET", "/items", "", "Authorization", "Bearer "+alice.token, "Cookie", "sid="+alice.sid)
	for _, id := range itemIDs(t, body) {
		do("GET", "/items/"+id, "", "Authorization", "Bearer "+alice.token, "Cookie", "sid="+alice.sid)
	}
	do("GET", "/items", "")
	do("GET", "/", "")
	do("GET", "/status/503", "")

	want := map[string]int64{"POST /login": 4, "GET /items": 2, "GET /items/{id}": 2, "GET /": 1, "GET /status/503": 1}
	if got := readMap("/_counts"); !reflect.DeepEqual(got, want) {
		t.Errorf("/_counts: got %v, want %v", got, want)
	}
	if got, want := readMap("/_logins"), map[string]int64{"alice": 2, "bob": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("/_logins: got %v, want %v", got, want)
	}
	if got, want := readMap("/_refusals"), map[string]int64{"login: wrong password": 1, "no bearer token": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("/_refusals: got %v, want %v", got, want)
	}
	do("POST", "/_reset", "")
	for _, path := range []string{"/_counts", "/_logins", "/_refusals"} {
		if got := readMap(path); len(got) != 0 {
			t.Errorf("%s after /_reset: %v, want empty", path, got)
		}
	}
}

func TestTarget_stall(t *testing.T) {
	do := serve(t)
	if status, body, _ := do("GET", "/stall", ""); status != 200 || body != "ok\n" {
		t.Fatalf("GET /stall without a window: %d %q; want 200 at once", status, body)
	}
	if status, body, _ := do("POST", "/_stall?seconds=0.3", ""); status != 200 || body != "stalling /stall for 300ms\n" {
		t.Fatalf("POST /_stall?seconds=0.3: %d %q", status, body)
	}
	began := time.Now()
	if status, _, _ := do("GET", "/stall", ""); status != 200 {
		t.Fatalf("GET /stall in the window: %d; want 200", status)
	}
	if took := time.Since(began); took < 250*time.Millisecond {
		t.Fatalf("GET /stall in a 300ms window answered after %s; want at the window's end", took)
	}
	began = time.Now()
	do("GET", "/stall", "")
	if took := time.Since(began); took > 200*time.Millisecond {
		t.Fatalf("GET /stall after the window answered after %s; want at once", took)
	}
	_, body, _ := do("GET", "/_arrivals", "")
	var arrivals map[string]int64
	if err := json.Unmarshal([]byte(body), &arrivals); err != nil {
		t.Fatalf("/_arrivals: %q: %v", body, err)
	}
	total := int64(0)
	for _, n := range arrivals {
		total += n
	}
	if total != 3 {
		t.Fatalf("/_arrivals: %v; want 3 arrivals in all", arrivals)
	}
	_, counts, _ := do("GET", "/_counts", "")
	if counts != `{"GET /stall":3}` {
		t.Fatalf("/_counts: %s; want 3 answers of GET /stall", counts)
	}
}

func TestTarget_stall_bad_window(t *testing.T) {
	do := serve(t)
	for _, q := range []string{"", "?seconds=0", "?seconds=-1", "?seconds=soon", "?seconds=601"} {
		status, body, _ := do("POST", "/_stall"+q, "")
		if status != 400 || !strings.Contains(body, "expected a number of seconds > 0 and <= 600") {
			t.Errorf("POST /_stall%s: %d %q; want 400 naming seconds and what is expected", q, status, body)
		}
	}
}

func TestTarget_reset_ends_a_stall(t *testing.T) {
	do := serve(t)
	do("POST", "/_stall?seconds=60", "")
	do("POST", "/_reset", "")
	began := time.Now()
	do("GET", "/stall", "")
	if took := time.Since(began); took > time.Second {
		t.Fatalf("GET /stall after /_reset answered after %s; want at once", took)
	}
}
