package main

import (
	"embed"
	"mime"
	"path"
	"strings"

	"github.com/valyala/fasthttp"
)

// appFiles is a small shop a browser can visit (app/index.html and what it loads): its script
// signs in, reads items, fills a basket, searches and follows a redirect, so that a recording of
// the visit (a HAR) holds what a real site's does: a page, static assets, API calls with a token
// and a cookie, a form, a redirect chain and a call to another host.
//
//go:embed app
var appFiles embed.FS

// app serves GET /app/ (the page) and /app/FILE; anything else under /app/ is 404.
func app(ctx *fasthttp.RequestCtx, urlPath string) {
	name := strings.TrimPrefix(urlPath, "/app/")
	if name == "" {
		name = "index.html"
	}
	body, err := appFiles.ReadFile("app/" + name)
	if err != nil || !ctx.IsGet() {
		ctx.SetStatusCode(fasthttp.StatusNotFound)
		ctx.SetBodyString("no such file\n")
		return
	}
	ctx.SetContentType(mime.TypeByExtension(path.Ext(name)))
	ctx.SetBody(body)
}
