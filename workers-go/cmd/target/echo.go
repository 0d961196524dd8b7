package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"mime/multipart"
	"strings"
	"sync"

	"github.com/valyala/fasthttp"
)

// maxEchoes bounds the distinct requests kept per echo case.
const maxEchoes = 64

// echoed is what the target received in one /_echo/ request, as it came over the wire.
type echoed struct {
	Method     string              `json:"method"`
	URI        string              `json:"uri"`     // the request line's target, unescaped nothing
	Headers    [][2]string         `json:"headers"` // in order, names as sent
	Body       string              `json:"body"`
	BodySHA256 string              `json:"body_sha256"`
	JSON       any                 `json:"json,omitempty"`  // the body, when it is JSON
	Form       map[string][]string `json:"form,omitempty"`  // urlencoded or multipart fields
	Files      map[string][]file   `json:"files,omitempty"` // multipart files
}

type file struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int    `json:"size"`
	SHA256      string `json:"sha256"`
}

// echoes keeps the distinct requests of each echo case (the segment after /_echo/), so that a
// test can compare what a fleet sent with what it meant to send.
type echoes struct {
	mu     sync.Mutex
	byCase map[string][]json.RawMessage
	seen   map[string]bool
}

func newEchoes() *echoes {
	return &echoes{byCase: map[string][]json.RawMessage{}, seen: map[string]bool{}}
}

func (e *echoes) reset() {
	e.mu.Lock()
	e.byCase, e.seen = map[string][]json.RawMessage{}, map[string]bool{}
	e.mu.Unlock()
}

func (e *echoes) keep(name string, record []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	key := name + "\x00" + string(record)
	if e.seen[key] || len(e.byCase[name]) >= maxEchoes {
		return
	}
	e.seen[key] = true
	e.byCase[name] = append(e.byCase[name], json.RawMessage(record))
}

func (e *echoes) write(ctx *fasthttp.RequestCtx) {
	e.mu.Lock()
	body, _ := json.Marshal(e.byCase)
	e.mu.Unlock()
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}

// echo answers, as JSON, the request it received: its method, its request target as sent, its
// headers in order with their names as sent, its body, and the fields and files of a form. Each
// value of an X-Echo-Set-Cookie header comes back as a Set-Cookie, so that a scenario can have
// any cookie set. It is counted under "METHOD /_echo/CASE", CASE being the first segment after
// /_echo/.
func (t *target) echo(ctx *fasthttp.RequestCtx, path string) {
	name, _, _ := strings.Cut(strings.TrimPrefix(path, "/_echo/"), "/")
	t.count(string(ctx.Method()) + " /_echo/" + name)
	body := ctx.PostBody()
	sum := sha256.Sum256(body)
	e := echoed{Method: string(ctx.Method()), URI: string(ctx.Request.Header.RequestURI()),
		Headers: rawHeaders(ctx.Request.Header.RawHeaders()), Body: string(body), BodySHA256: hex.EncodeToString(sum[:])}
	var parsed any
	if json.Unmarshal(body, &parsed) == nil {
		e.JSON = parsed
	}
	contentType := string(ctx.Request.Header.ContentType())
	switch {
	case strings.HasPrefix(contentType, "application/x-www-form-urlencoded"):
		e.Form = map[string][]string{}
		for k, v := range ctx.PostArgs().All() {
			e.Form[string(k)] = append(e.Form[string(k)], string(v))
		}
	case strings.HasPrefix(contentType, "multipart/form-data"):
		if form, err := ctx.MultipartForm(); err == nil {
			e.Form, e.Files = form.Value, files(form)
		} else {
			e.Form = map[string][]string{"error": {err.Error()}}
		}
	}
	record, _ := json.Marshal(e)
	t.echoes.keep(name, record)
	for _, c := range ctx.Request.Header.PeekAll("X-Echo-Set-Cookie") {
		ctx.Response.Header.Add("Set-Cookie", string(c))
	}
	ctx.SetContentType("application/json")
	ctx.SetBody(record)
}

func files(form *multipart.Form) map[string][]file {
	out := map[string][]file{}
	for name, headers := range form.File {
		for _, h := range headers {
			f := file{Filename: h.Filename, ContentType: h.Header.Get("Content-Type"), Size: int(h.Size)}
			if r, err := h.Open(); err == nil {
				var b bytes.Buffer
				_, _ = b.ReadFrom(r)
				_ = r.Close()
				sum := sha256.Sum256(b.Bytes())
				f.SHA256 = hex.EncodeToString(sum[:])
			}
			out[name] = append(out[name], f)
		}
	}
	return out
}

// rawHeaders splits the header lines as received into name and value, keeping order and case.
func rawHeaders(raw []byte) [][2]string {
	out := [][2]string{}
	for _, line := range bytes.Split(raw, []byte("\r\n")) {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		out = append(out, [2]string{string(name), string(bytes.TrimLeft(value, " \t"))})
	}
	return out
}
