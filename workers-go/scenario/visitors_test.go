package scenario

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// visits is a server that tells visitors apart: /login hands out a fresh sid cookie and the same
// id as a token, and notes whether the browser came with a cookie already; /seen checks that
// the cookie and the token are of one login; /logout counts.
type visits struct {
	mu                                 sync.Mutex
	next                               int
	logins, loginsWithCookie, mismatch int
	seen, logouts                      int
	users                              map[string]int
}

func (v *visits) handle(ctx *fasthttp.RequestCtx) {
	v.mu.Lock()
	defer v.mu.Unlock()
	switch string(ctx.Path()) {
	case "/login":
		v.logins++
		if len(ctx.Request.Header.Cookie("sid")) > 0 {
			v.loginsWithCookie++
		}
		v.users[string(ctx.QueryArgs().Peek("user"))]++
		v.next++
		id := strconv.Itoa(v.next)
		ctx.Response.Header.Add("Set-Cookie", "sid="+id+"; Path=/")
		ctx.SetBodyString(`{"token":"` + id + `"}`)
	case "/seen":
		v.seen++
		if string(ctx.Request.Header.Cookie("sid")) != string(ctx.Request.Header.Peek("Authorization")) {
			v.mismatch++
		}
	case "/logout":
		v.logouts++
	}
}

func TestRun_SessionPerTask(t *testing.T) {
	v := &visits{users: map[string]int{}}
	host := serve(t, v.handle)
	// max_lag: 1m: on a saturated machine (go test -race beside other suites) the schedule may fall
	// more than the default 1 s behind, and tasks would be skipped as "not started".
	doc := `arrival: {rate: 40/s, session: task, max_lag: 1m}
data:
  accounts: {csv: accounts.csv}
on_start:
  - {name: login, method: POST, path: /login, query: {user: "{{ accounts.user }}"}, extract: {token: {json: $.token}}}
tasks:
  - name: visit
    steps:
      - {name: seen, path: /seen, headers: {Authorization: "{{ token }}"}}
on_stop:
  - {name: logout, path: /logout}
`
	// Until 20 tasks ran and every account was drawn, not for a fixed time: a slow machine may run
	// fewer tasks in 1.5 s.
	rec := runUntil(t, doc, map[string]string{"accounts.csv": "user\na\nb\nc\n"}, host, 2, 20*time.Second,
		func(rec *recorder) bool {
			ok, _, _ := rec.counts()
			v.mu.Lock()
			defer v.mu.Unlock()
			return ok["GET seen"] >= 20 && len(v.users) == 3
		})
	ok, failed, reasons := rec.counts()
	if len(failed) != 0 {
		t.Fatalf("failures: %v %v", failed, reasons)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	// Every visitor that logged in logs out; the stop may cut the task of the visit in hand after
	// its login (a user being stopped sends no later step), one per user at most: its visits at
	// 20/s take a millisecond or two, one after another.
	if seen := ok["GET seen"]; seen < 20 || v.logouts != v.logins || ok["POST login"] != v.logins || v.logins < seen || v.logins > seen+2 {
		t.Errorf("a login and a logout per task: logins %d, tasks %d, logouts %d (recorded %v)", v.logins, ok["GET seen"], v.logouts, ok)
	}
	if v.loginsWithCookie != 0 || v.mismatch != 0 {
		t.Errorf("every visitor starts without cookies and keeps its own: %d logins came with a cookie, %d requests mixed logins", v.loginsWithCookie, v.mismatch)
	}
	if len(v.users) != 3 {
		t.Errorf("visitors draw rows anew (cycle): accounts used %v, want all 3", v.users)
	}
}

func TestRun_SessionPerUserIsTheDefault(t *testing.T) {
	v := &visits{users: map[string]int{}}
	host := serve(t, v.handle)
	doc := `arrival: {rate: 40/s, max_lag: 1m}
on_start:
  - {name: login, method: POST, path: /login, extract: {token: {json: $.token}}}
tasks:
  - name: visit
    steps:
      - {name: seen, path: /seen, headers: {Authorization: "{{ token }}"}}
`
	rec := runUntil(t, doc, nil, host, 2, 20*time.Second, func(rec *recorder) bool {
		ok, _, _ := rec.counts()
		return ok["GET seen"] >= 20
	})
	ok, failed, _ := rec.counts()
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(failed) != 0 || ok["GET seen"] < 20 || v.logins != 2 || v.mismatch != 0 {
		t.Errorf("one login per user, tasks on its session: logins %d, recorded %v, failed %v, mismatches %d", v.logins, ok, failed, v.mismatch)
	}
}

func TestParse_SessionErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, doc, want string }{
		{"unknown session", "arrival: {rate: 1/s, session: visit}\ntasks: [{path: /}]\n",
			`line 2: arrival.session: got "visit"; expected user (the default: a user's tasks share the session on_start made) or task (every task is a new visitor: fresh cookies and variables, new data rows, on_start and on_stop around it)`},
		{"unique rows", "arrival: {rate: 1/s, session: task}\ndata: {a: {csv: a.csv, mode: unique}}\ntasks: [{path: /}]\n",
			"line 2: arrival.session: task with data a in mode unique; expected mode cycle or random: every task is a new visitor drawing a row, and unique rows (one per user for the whole test) would run out"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte("host: http://a\n"+tc.doc), files(t, map[string]string{"a.csv": "x\n1\n"}), "")
			if err == nil || err.Error() != tc.want {
				t.Errorf("got  %v\nwant %q", err, tc.want)
			}
		})
	}
}
