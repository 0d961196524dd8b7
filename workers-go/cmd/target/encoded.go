package main

import (
	"bytes"
	"strings"

	"github.com/valyala/fasthttp"
)

// encodedText is the body of /encoded/E: a check looks for "compressed hello", and the
// repetition makes the compressed body much smaller than the text, so that a test tells which
// size was recorded.
var encodedText = []byte(`{"text": "compressed hello", "padding": "` + strings.Repeat("abcdefgh", 64) + `"}`)

// encoded answers encodedText compressed with encoding when the client accepts it (as servers
// do: Accept-Encoding decides), plain otherwise; X-Encoded names what was sent.
func encoded(ctx *fasthttp.RequestCtx, encoding string) {
	ctx.SetContentType("application/json")
	body, sent := encodedText, "identity"
	if bytes.Contains(ctx.Request.Header.Peek("Accept-Encoding"), []byte(encoding)) {
		switch encoding {
		case "gzip":
			body, sent = fasthttp.AppendGzipBytes(nil, encodedText), encoding
		case "deflate":
			body, sent = fasthttp.AppendDeflateBytes(nil, encodedText), encoding
		case "br":
			body, sent = fasthttp.AppendBrotliBytes(nil, encodedText), encoding
		}
	}
	if sent != "identity" {
		ctx.Response.Header.Set("Content-Encoding", sent)
	}
	ctx.Response.Header.Set("X-Encoded", sent)
	ctx.SetBody(body)
}
