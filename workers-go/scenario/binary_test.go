package scenario

import (
	"bytes"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// A !!binary value (body: !!binary R0lGODlh...) was sent as its base64 text; where a request
// carries bytes the target now gets the bytes.
func TestRun_BinaryValuesAreSentAsTheirBytes(t *testing.T) {
	gif := "GIF89a\x01\x00\x01\x00\x00\x00\x00,"
	var mu sync.Mutex
	got := map[string][]byte{}
	types := map[string]string{}
	var query string
	host := serve(t, func(ctx *fasthttp.RequestCtx) {
		mu.Lock()
		defer mu.Unlock()
		if string(ctx.Path()) == "/q" {
			query = string(ctx.URI().QueryString())
		}
		got[string(ctx.Path())] = bytes.Clone(ctx.PostBody())
		types[string(ctx.Path())] = string(ctx.Request.Header.ContentType())
	})
	doc := `tasks:
  - name: uploads
    steps:
      - {name: gif, method: PUT, path: /gif, body: !!binary R0lGODlhAQABAAAAACw=, headers: {Content-Type: image/gif}}
      - name: block
        method: PUT
        path: /block
        body: !!binary |
          R0lGODlhAQAB
          AAAAACw=
      - {name: form, method: POST, path: /form, form: {sig: !!binary AP8g, n: "1"}}
      - {name: query, path: "/q?a=1", query: {sig: [!!binary AP8g, "2"]}}
      - name: parts
        method: POST
        path: /parts
        multipart:
          raw: !!binary AAEC
          typed: {value: !!binary AAEC, content_type: application/x-raw}
          pic: {file: !!binary R0lGODlhAQABAAAAACw=, content_type: image/gif}
          named: {file: !!binary AAEC, filename: a.bin}
          title: "not bytes: {{ user_id }}"
`
	runUntil(t, doc, nil, host, 1, 5*time.Second, func(*recorder) bool {
		mu.Lock()
		defer mu.Unlock()
		return got["/parts"] != nil
	})
	mu.Lock()
	defer mu.Unlock()
	for path, want := range map[string]string{"/gif": gif, "/block": gif, "/form": "sig=%00%FF+&n=1"} {
		if string(got[path]) != want {
			t.Errorf("%s: the target got %q; want %q", path, got[path], want)
		}
	}
	// a query value of bytes: escaped as requests escapes params={"sig": b"..."}; it was refused
	if query != "a=1&sig=%00%FF+&sig=2" {
		t.Errorf("/q: the target got the query %q; want a=1&sig=%%00%%FF+&sig=2", query)
	}
	if types["/gif"] != "image/gif" || types["/block"] != "" {
		t.Errorf("Content-Types %q; want image/gif as set, and none for a body without one", types)
	}
	parts := multipartParts(t, types["/parts"], got["/parts"])
	want := []part{
		{"raw", "", "", "\x00\x01\x02"},
		{"typed", "", "application/x-raw", "\x00\x01\x02"},
		{"pic", "pic", "image/gif", gif},
		{"named", "a.bin", "application/octet-stream", "\x00\x01\x02"},
		{"title", "", "", "not bytes: 0"},
	}
	if !reflect.DeepEqual(parts, want) {
		t.Errorf("parts:\ngot  %q\nwant %q", parts, want)
	}
}

// Where bytes cannot be sent, a !!binary value is a load-time error naming the field, instead of
// its base64 text sent in its place.
func TestParse_BinaryValuesWhereTextIsExpected(t *testing.T) {
	t.Parallel()
	doc := `host: http://a
headers: {X-Sig: !!binary AAEC}
tasks:
  - name: t
    steps:
      - {name: json, method: POST, path: /j, json: {a: [!!binary AAEC]}}
      - {name: path, path: !!binary AAEC}
      - {name: bad, method: POST, path: /b, body: !!binary "@@"}
      - {name: bad query, path: /q, query: {a: !!binary "@@"}}
      - {name: check, path: /c, check: [{body_contains: !!binary AAEC}]}
`
	_, _, _, err := parse([]byte(doc), t.TempDir(), "")
	text := "text: bytes are sent only as body:, a multipart part, a form value or a query value (to send the base64 text itself, leave out the !!binary tag)"
	want := strings.Join([]string{
		"line 2: headers.X-Sig: got a !!binary value (bytes); expected one line of text: a header value is text, not bytes (leave out the !!binary tag to send the base64 text)",
		"line 6: tasks[0].steps[0].json.a[0]: got a !!binary value (bytes); expected JSON: JSON has no bytes (send them with body: !!binary and a Content-Type, or leave out the !!binary tag to send the base64 text as a JSON string)",
		"line 7: tasks[0].steps[1].path: got a !!binary value (bytes); expected " + text,
		"line 8: tasks[0].steps[2].body: a !!binary value that is not base64 (illegal base64 data at input byte 0); expected standard base64 with padding, e.g. !!binary R0lGODlhAQABAAAAACw=",
		"line 9: tasks[0].steps[3].query.a: a !!binary value that is not base64 (illegal base64 data at input byte 0); expected standard base64 with padding, e.g. !!binary R0lGODlhAQABAAAAACw=",
		"line 10: tasks[0].steps[4].check[0].body_contains: got a !!binary value (bytes); expected " + text,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("errors:\n%v\nwant:\n%s", err, want)
	}
}
