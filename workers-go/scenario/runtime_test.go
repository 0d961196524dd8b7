// These tests run compiled scenarios with the user runtime against a real fasthttp server on
// 127.0.0.1.
package scenario

import (
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"locustfleet/worker/user"
)

// entry is one recorded request.
type entry struct {
	method, name, failure string
}

// recorder keeps what the runtime records.
type recorder struct {
	mu      sync.Mutex
	entries []entry
}

func (r *recorder) RecordSuccess(method, name string, _, _ int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, entry{method: method, name: name})
}

func (r *recorder) RecordFailure(method, name string, _ int64, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, entry{method: method, name: name, failure: reason})
}

// counts returns successes and failures by "METHOD name", and the failure reasons.
func (r *recorder) counts() (ok, failed map[string]int, reasons map[string]bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ok, failed, reasons = map[string]int{}, map[string]int{}, map[string]bool{}
	for _, e := range r.entries {
		key := e.method + " " + e.name
		if e.failure == "" {
			ok[key]++
		} else {
			failed[key]++
			reasons[e.failure] = true
		}
	}
	return ok, failed, reasons
}

// serve starts handler on a loopback port and returns its base URL.
func serve(t *testing.T, handler fasthttp.RequestHandler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// the body as sent: fasthttp's server parses a multipart body by default, and PostBody is
	// then the parsed form written again (values first, without their parts' Content-Type)
	srv := &fasthttp.Server{Handler: handler, DisablePreParseMultipartForm: true}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown() })
	return "http://" + ln.Addr().String()
}

// run runs users of the scenario for a while, then stops them.
func run(t *testing.T, doc string, dataFiles map[string]string, host string, users int, d time.Duration) *recorder {
	t.Helper()
	return runUntil(t, doc, dataFiles, host, users, d, func(*recorder) bool { return false })
}

// runUntil runs doc's users until done holds of what they recorded, or for d at most: a test
// that needs every one of a scenario's random, weighted tasks seen must not depend on the luck of
// a fixed duration (on a slow machine, a task of weight 1 in 4 can be missed by ten draws).
func runUntil(t *testing.T, doc string, dataFiles map[string]string, host string, users int, d time.Duration, done func(*recorder) bool) *recorder {
	t.Helper()
	class, err := Parse([]byte(doc), files(t, dataFiles), host)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	rec := &recorder{}
	rt, err := user.New(class, rec)
	if err != nil {
		t.Fatalf("user.New: %v", err)
	}
	rt.SetUsers(users)
	for end := time.Now().Add(d); time.Now().Before(end) && !done(rec); {
		time.Sleep(10 * time.Millisecond)
	}
	rt.Stop()
	return rec
}

// shop is the acceptance scenario's target: a login that hands out tokens and item pages that
// need one.
type shop struct {
	mu     sync.Mutex
	logins map[string]int
}

func (s *shop) handle(ctx *fasthttp.RequestCtx) {
	path := string(ctx.Path())
	switch {
	case path == "/login":
		var body struct{ User, Password string }
		if !ctx.IsPost() || string(ctx.Request.Header.ContentType()) != "application/json" ||
			json.Unmarshal(ctx.PostBody(), &body) != nil || body.Password != body.User[:1]+"-pw" {
			ctx.SetStatusCode(401)
			return
		}
		s.mu.Lock()
		s.logins[body.User]++
		s.mu.Unlock()
		ctx.SetBodyString(`{"token":"tk-` + body.User + `"}`)
	case path == "/":
		ctx.SetBodyString("home")
	case !strings.HasPrefix(string(ctx.Request.Header.Peek("Authorization")), "Bearer tk-"):
		ctx.SetStatusCode(403)
	case path == "/items":
		ctx.SetBodyString(`{"items":[{"id":11},{"id":12}]}`)
	case strings.HasPrefix(path, "/items/"):
		ctx.SetBodyString(`{"id":` + strings.TrimPrefix(path, "/items/") + `}`)
	default:
		ctx.SetStatusCode(404)
	}
}

func TestRun_AcceptanceScenario(t *testing.T) {
	s := &shop{logins: map[string]int{}}
	host := serve(t, s.handle)
	keys := []string{"POST login", "GET items", "GET item", "GET home"}
	seenAll := func(rec *recorder) bool { // both users logged in, and every task seen
		ok, _, _ := rec.counts()
		if ok["POST login"] < 2 {
			return false
		}
		for _, key := range keys {
			if ok[key] == 0 {
				return false
			}
		}
		return true
	}
	rec := runUntil(t, acceptance, map[string]string{"accounts.csv": accountsCSV}, host, 2, 20*time.Second, seenAll)
	ok, failed, reasons := rec.counts()
	if len(failed) != 0 {
		t.Errorf("failures: %v (%v)", failed, reasons)
	}
	for _, key := range keys {
		if ok[key] == 0 {
			t.Errorf("%s: no success recorded; got %v", key, ok)
		}
	}
	if ok["POST login"] != 2 {
		t.Errorf("logins: got %d, want one per user", ok["POST login"])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logins["alice"] != 1 || s.logins["bob"] != 1 {
		t.Errorf("logins by account: got %v, want alice and bob once each (unique rows)", s.logins)
	}
}

func TestRun_FailedCheckStopsTheFlowUnlessContinue(t *testing.T) {
	var mu sync.Mutex
	hits := map[string]int{}
	host := serve(t, func(ctx *fasthttp.RequestCtx) {
		mu.Lock()
		hits[string(ctx.Path())]++
		mu.Unlock()
		ctx.SetBodyString(`{"a":1}`)
	})
	doc := `wait: {constant: 10ms}
tasks:
  - steps:
      - {path: /stop-1, check: [{json: $.missing}]}
      - {path: /stop-2}
  - steps:
      - {path: /go-1, check: [{json: $.a, equals: 2}], on_failure: continue}
      - {path: /go-2}
`
	rec := run(t, doc, nil, host, 1, 500*time.Millisecond)
	_, _, reasons := rec.counts()
	for _, want := range []string{"check json $.missing: not found", "check json $.a equals 2: got 1"} {
		if !reasons[want] {
			t.Errorf("reason %q not recorded; got %v", want, reasons)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if hits["/stop-1"] == 0 || hits["/stop-2"] != 0 {
		t.Errorf("stop flow: got %v, want /stop-1 sent and /stop-2 never", hits)
	}
	// the stop at the end may come between a /go-1 and its /go-2: a stopped user sends no next step
	if go1, go2 := hits["/go-1"], hits["/go-2"]; go1 == 0 || go2 > go1 || go2 < go1-1 {
		t.Errorf("continue flow: got %v, want /go-2 after every /go-1 (but the one the stop cut short)", hits)
	}
}

func TestRun_HeaderAndCookieExtraction(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	host := serve(t, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/login" {
			ctx.Response.Header.Set("X-Token", "h1")
			var c fasthttp.Cookie
			c.SetKey("sid")
			c.SetValue("c1")
			ctx.Response.Header.SetCookie(&c)
			return
		}
		mu.Lock()
		seen = append(seen, string(ctx.Request.Header.Peek("X-Echo")))
		mu.Unlock()
	})
	doc := `on_start:
  - path: /login
    extract:
      token: {header: X-Token}
      sid: {cookie: sid}
tasks:
  - {path: /echo, headers: {X-Echo: "{{ token }}/{{ sid }}"}}
`
	run(t, doc, nil, host, 1, 300*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 || seen[0] != "h1/c1" {
		t.Errorf("got %v, want requests carrying h1/c1", seen)
	}
}

func TestRun_UniqueDataBeyondTheRows(t *testing.T) {
	host := serve(t, func(ctx *fasthttp.RequestCtx) {})
	doc := "data:\n  d: {csv: d.csv, mode: unique}\ntasks: [{path: \"/{{ d.user }}\"}]\n"
	rec := run(t, doc, map[string]string{"d.csv": "user\nonly\n"}, host, 2, 1500*time.Millisecond)
	ok, failed, reasons := rec.counts()
	if ok["GET /{{ d.user }}"] == 0 {
		t.Errorf("user 0: no success recorded; got %v", ok)
	}
	want := "data d: no row for user 1: d.csv has 1 rows and mode unique gives every user its own; expected at most 1 users, or mode cycle"
	if failed["DATA d"] != 1 || !reasons[want] {
		t.Errorf("user 1: got failures %v %v, want DATA d once (no retry): %s", failed, reasons, want)
	}
}

func TestRun_FailedOnStartRunsNoTask(t *testing.T) {
	var mu sync.Mutex
	hits := map[string]int{}
	host := serve(t, func(ctx *fasthttp.RequestCtx) {
		mu.Lock()
		hits[string(ctx.Path())]++
		mu.Unlock()
		if string(ctx.Path()) == "/login" {
			ctx.SetStatusCode(401)
		}
	})
	doc := "on_start: [{name: login, path: /login}]\ntasks: [{path: /work}]\n"
	rec := run(t, doc, nil, host, 1, 500*time.Millisecond)
	_, failed, _ := rec.counts()
	mu.Lock()
	defer mu.Unlock()
	if hits["/login"] == 0 || failed["GET login"] == 0 || hits["/work"] != 0 {
		t.Errorf("got hits %v, failures %v; want login failing and no task run", hits, failed)
	}
}

func TestRun_Arrival(t *testing.T) {
	s := &shop{logins: map[string]int{}}
	// A slow list: a closed-model user has one list open at a time; an open-model user starts its
	// tasks when they are due, so the shop sees more lists open at once than there are users.
	var mu sync.Mutex
	open, mostOpen := 0, 0
	host := serve(t, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/items" {
			mu.Lock()
			open++
			mostOpen = max(mostOpen, open)
			mu.Unlock()
			time.Sleep(300 * time.Millisecond)
			mu.Lock()
			open--
			mu.Unlock()
		}
		s.handle(ctx)
	})
	// max_lag: 1m: on a saturated machine the schedule may fall more than the default 1 s behind,
	// and tasks would be skipped as "not started".
	doc := strings.Replace(acceptance, "wait: {between: [100ms, 300ms]}", "arrival: {rate: 20/s, max_lag: 1m}", 1)
	// Until 30 lists and 20 items were fetched and more lists were open at once than there are
	// users, not for a fixed time in which a slow machine may do fewer.
	rec := runUntil(t, doc, map[string]string{"accounts.csv": accountsCSV}, host, 2, 20*time.Second, func(rec *recorder) bool {
		ok, _, _ := rec.counts()
		mu.Lock()
		defer mu.Unlock()
		return ok["GET items"] >= 30 && ok["GET item"] >= 20 && mostOpen > 2
	})
	ok, failed, reasons := rec.counts()
	if len(failed) != 0 {
		t.Errorf("failures: %v (%v)", failed, reasons)
	}
	// Each browse flow with the token its user's login extracted (the shop refuses any other).
	// Flows still in the list or their think time when the users were retired end there.
	mu.Lock()
	defer mu.Unlock()
	if ok["GET items"] < 30 || ok["GET item"] < 20 || ok["GET item"] > ok["GET items"] || mostOpen <= 2 {
		t.Errorf("browse flows: %d items, %d item, at most %d lists open at once; want 30 items, 20 item and more than "+
			"2 lists open at once (2 users, open model), got %v", ok["GET items"], ok["GET item"], mostOpen, ok)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ok["POST login"] != 2 || s.logins["alice"] != 1 || s.logins["bob"] != 1 {
		t.Errorf("logins: %d, by account %v; want one per user (its tasks share it), alice and bob once each", ok["POST login"], s.logins)
	}
}
