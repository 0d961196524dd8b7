package main

import (
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"
)

// list answers /list/N with N items, {"items": [{"id": "i0"}, ...], "count": N}: a page whose
// ids a scenario loops over.
func list(ctx *fasthttp.RequestCtx, count string) {
	n, err := strconv.Atoi(count)
	if err != nil || n < 0 || n > 10000 {
		ctx.SetStatusCode(fasthttp.StatusBadRequest)
		ctx.SetBodyString("list: expected /list/N with N from 0 to 10000\n")
		return
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = `{"id":"i` + strconv.Itoa(i) + `"}`
	}
	ctx.SetContentType("application/json")
	ctx.SetBodyString(`{"items":[` + strings.Join(ids, ",") + `],"count":` + strconv.Itoa(n) + `}`)
}

// answer answers /answer/LABEL as the query asks: status=N, body=TEXT (sent as it is, valid JSON
// or not), header=Name:Value (repeatable), content_type=TYPE; checks are tried against it.
func answer(ctx *fasthttp.RequestCtx) {
	q := ctx.QueryArgs()
	if code, err := strconv.Atoi(string(q.Peek("status"))); err == nil && code >= 100 && code <= 599 {
		ctx.SetStatusCode(code)
	}
	for _, h := range q.PeekMulti("header") {
		if name, value, ok := strings.Cut(string(h), ":"); ok {
			ctx.Response.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
		}
	}
	if t := q.Peek("content_type"); len(t) > 0 {
		ctx.SetContentTypeBytes(t)
	}
	ctx.SetBody(q.Peek("body"))
}
