package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// login is one successful login: its token, its session cookie and the item ids it may read.
type login struct {
	user, token, sid string
	items            [2]string
}

type target struct {
	mu       sync.Mutex
	counts   map[string]int64
	refusals map[string]int64
	logins   map[string]int64
	byToken  map[string]*login
	bySid    map[string]*login
	stall    *stall
	shares   *shares
}

func newTarget() *target {
	return &target{counts: map[string]int64{}, refusals: map[string]int64{}, logins: map[string]int64{},
		byToken: map[string]*login{}, bySid: map[string]*login{}, stall: newStall(), shares: newShares()}
}

func (t *target) handle(ctx *fasthttp.RequestCtx) {
	path := string(ctx.Path())
	switch path {
	case "/_counts":
		t.writeMap(ctx, t.counts)
		return
	case "/_refusals":
		t.writeMap(ctx, t.refusals)
		return
	case "/_logins":
		t.writeMap(ctx, t.logins)
		return
	case "/_reset":
		t.mu.Lock()
		t.counts, t.refusals, t.logins = map[string]int64{}, map[string]int64{}, map[string]int64{}
		t.mu.Unlock()
		t.stall.reset()
		t.shares.reset()
		return
	case "/_stall":
		t.stall.open(ctx)
		return
	case "/_arrivals":
		body, _ := json.Marshal(t.stall.counts())
		ctx.SetContentType("application/json")
		ctx.SetBody(body)
		return
	}
	method := string(ctx.Method())
	switch {
	case path == "/login" && method == fasthttp.MethodPost:
		t.login(ctx)
	case path == "/items" && method == fasthttp.MethodGet:
		t.items(ctx, "GET /items", "")
	case strings.HasPrefix(path, "/items/") && method == fasthttp.MethodGet:
		t.items(ctx, "GET /items/{id}", path[len("/items/"):])
	case strings.HasPrefix(path, "/share/"):
		t.shares.serve(t, ctx, method+" "+path)
	case strings.HasPrefix(path, "/encoded/"):
		t.count(method + " " + path)
		encoded(ctx, path[len("/encoded/"):])
	default:
		t.plain(ctx, method+" "+path, path)
	}
}

// plain serves every other path as the target always did: /status/N, /delay/MS, else 200.
func (t *target) plain(ctx *fasthttp.RequestCtx, key, path string) {
	status := fasthttp.StatusOK
	if code, ok := strings.CutPrefix(path, "/status/"); ok {
		if n, err := strconv.Atoi(code); err == nil && n >= 100 && n <= 599 {
			status = n
		}
	}
	if hops, ok := strings.CutPrefix(path, "/redirect/"); ok {
		if n, err := strconv.Atoi(hops); err == nil && n > 0 {
			ctx.Response.Header.Set("Location", "/redirect/"+strconv.Itoa(n-1))
			status = fasthttp.StatusFound
		}
	}
	if path == "/stall" {
		t.stall.arrive()
	}
	if ms, ok := strings.CutPrefix(path, "/delay/"); ok {
		if n, err := strconv.Atoi(ms); err == nil && n > 0 {
			time.Sleep(time.Duration(n) * time.Millisecond)
		}
	}
	t.count(key)
	ctx.SetStatusCode(status)
	ctx.SetBodyString("ok\n")
}

func (t *target) count(key string) {
	t.mu.Lock()
	t.counts[key]++
	t.mu.Unlock()
}

func (t *target) login(ctx *fasthttp.RequestCtx) {
	var creds struct{ User, Password string }
	err := json.Unmarshal(ctx.PostBody(), &creds)
	l := &login{user: creds.User, token: newID(), sid: newID(), items: [2]string{newID(), newID()}}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.counts["POST /login"]++
	switch {
	case err != nil || creds.User == "":
		t.refuse(ctx, fasthttp.StatusUnauthorized, "login: expected a JSON body with user and password")
		return
	case creds.Password != "pw-"+creds.User:
		t.refuse(ctx, fasthttp.StatusUnauthorized, "login: wrong password")
		return
	}
	t.logins[l.user]++
	t.byToken[l.token] = l
	t.bySid[l.sid] = l
	ctx.Response.Header.Add("Set-Cookie", "sid="+l.sid+"; Path=/")
	ctx.SetContentType("application/json")
	ctx.SetBodyString(`{"token":"` + l.token + `"}`)
}

// items serves the item list (id "") or one item, to the login that owns both the bearer token
// and the session cookie.
func (t *target) items(ctx *fasthttp.RequestCtx, key, id string) {
	token, hasToken := bytes.CutPrefix(ctx.Request.Header.Peek("Authorization"), []byte("Bearer "))
	sid := ctx.Request.Header.Cookie("sid")
	t.mu.Lock()
	defer t.mu.Unlock()
	t.counts[key]++
	byToken, byCookie := t.byToken[string(token)], t.bySid[string(sid)]
	switch {
	case !hasToken || len(token) == 0:
		t.refuse(ctx, fasthttp.StatusForbidden, "no bearer token")
	case byToken == nil:
		t.refuse(ctx, fasthttp.StatusForbidden, "unknown token")
	case len(sid) == 0:
		t.refuse(ctx, fasthttp.StatusForbidden, "no session cookie")
	case byCookie == nil:
		t.refuse(ctx, fasthttp.StatusForbidden, "unknown session cookie")
	case byToken != byCookie:
		t.refuse(ctx, fasthttp.StatusForbidden, "token and cookie of different logins")
	case id == "":
		ctx.SetContentType("application/json")
		ctx.SetBodyString(`{"items":[{"id":"` + byToken.items[0] + `"},{"id":"` + byToken.items[1] + `"}]}`)
	case id != byToken.items[0] && id != byToken.items[1]:
		t.refuse(ctx, fasthttp.StatusForbidden, "item of another login")
	default:
		ctx.SetContentType("application/json")
		ctx.SetBodyString(`{"id":"` + id + `","owner":"` + byToken.user + `"}`)
	}
}

// refuse answers status and counts the refusal; the caller holds t.mu.
func (t *target) refuse(ctx *fasthttp.RequestCtx, status int, reason string) {
	t.refusals[reason]++
	ctx.SetStatusCode(status)
	ctx.SetBodyString(reason + "\n")
}

func (t *target) writeMap(ctx *fasthttp.RequestCtx, m map[string]int64) {
	t.mu.Lock()
	body, _ := json.Marshal(m)
	t.mu.Unlock()
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
