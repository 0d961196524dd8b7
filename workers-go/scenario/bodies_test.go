package scenario

import (
	"bytes"
	"mime"
	"mime/multipart"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

func TestStep_Request_Bodies(t *testing.T) {
	t.Parallel()
	doc := `host: http://a
on_start:
  - {name: seed, path: /seed, extract: {n: {json: $.n}, flag: {json: $.flag}, obj: {json: $.obj}, word: {json: $.word}}}
tasks:
  - name: flow
    steps:
      - {name: form, method: POST, path: /f, form: {user: "{{ word }}", tags: [a b, "c&d"], n: 5, "we ird": "{{ word | urlencode }}"}}
      - {name: empty form, method: POST, path: /logout, form: {}}
      - {name: body file, method: PUT, path: /b, body_file: payload.bin}
      - {name: typed, method: POST, path: /t, json: {n: "{{ n | number }}", ok: "{{ flag | bool }}", o: "{{ obj | json }}", s: "{{ n }}", list: ["{{ n | number }}"]}}
      - {name: bad number, method: POST, path: /t, json: {count: "{{ word | number }}"}}
      - {name: bad bool, method: POST, path: /t, json: ["{{ n | bool }}"]}
      - {name: bad json, method: POST, path: /t, json: {o: "{{ word | json }}"}}
`
	p := compileDoc(t, doc, map[string]string{"payload.bin": "\x00\x01{{ not a template }}"})
	u := newUser(0, map[string]string{"n": "-1.5e3", "flag": "true", "obj": `{"a":[1,"x"]}`, "word": "a b&c"})
	cases := []struct {
		step, body, contentType, invalid string
	}{
		{"form", "user=a+b%26c&tags=a+b&tags=c%26d&n=5&we+ird=a%20b%26c", "application/x-www-form-urlencoded", ""},
		{"empty form", "", "application/x-www-form-urlencoded", ""},
		{"body file", "\x00\x01{{ not a template }}", "", ""},
		{"typed", `{"n":-1.5e3,"ok":true,"o":{"a":[1,"x"]},"s":"-1.5e3","list":[-1.5e3]}`, "application/json", ""},
		{"bad number", `{"count":null}`, "application/json", "json.count: {{ word | number }} is not a JSON number"},
		{"bad bool", `[null]`, "application/json", "json[0]: {{ n | bool }} is not true or false"},
		{"bad json", `{"o":null}`, "application/json", "json.o: {{ word | json }} is not JSON"},
	}
	for _, c := range cases {
		t.Run(c.step, func(t *testing.T) {
			got := stepNamed(t, p, c.step).request(u, p.state(u))
			contentType := ""
			for _, h := range got.Headers {
				if h.Name == "Content-Type" {
					contentType = h.Value
				}
			}
			if string(got.Body) != c.body || contentType != c.contentType || got.Invalid != c.invalid {
				t.Errorf("\ngot  body %q, Content-Type %q, invalid %q\nwant body %q, Content-Type %q, invalid %q",
					got.Body, contentType, got.Invalid, c.body, c.contentType, c.invalid)
			}
		})
	}
	// a valid request after an invalid one is valid
	if got := stepNamed(t, p, "typed").request(u, p.state(u)); got.Invalid != "" {
		t.Errorf("a valid request after an invalid one: invalid %q; want none", got.Invalid)
	}
}

func TestStep_Request_Multipart(t *testing.T) {
	t.Parallel()
	doc := `host: http://a
tasks:
  - name: upload
    method: POST
    path: /upload
    multipart:
      title: "{{ user_id }} says \"hi\""
      photo: {file: img/photo.png, content_type: image/png, filename: me.png}
      raw: {file: data.bin}
      meta: {value: '{"a": 1}', content_type: application/json}
      tag: [one, two]
`
	dir := files(t, map[string]string{"data.bin": "line1\r\n--not-the-boundary\r\n\x00"})
	photo := "\x89PNG\r\n\x1a\n..."
	if err := mkdirWrite(dir, "img/photo.png", photo); err != nil {
		t.Fatal(err)
	}
	p, _, _, err := parse([]byte(doc), dir, "")
	if err != nil {
		t.Fatal(err)
	}
	u := newUser(3, nil)
	got := stepNamed(t, p, "upload").request(u, p.state(u))
	var contentType string
	for _, h := range got.Headers {
		if h.Name == "Content-Type" {
			contentType = h.Value
		}
	}
	parts := multipartParts(t, contentType, got.Body)
	want := []part{
		{"title", "", "", `3 says "hi"`},
		{"photo", "me.png", "image/png", photo},
		{"raw", "data.bin", "application/octet-stream", "line1\r\n--not-the-boundary\r\n\x00"},
		{"meta", "", "application/json", `{"a": 1}`},
		{"tag", "", "", "one"},
		{"tag", "", "", "two"},
	}
	if !reflect.DeepEqual(parts, want) {
		t.Errorf("parts:\ngot  %q\nwant %q", parts, want)
	}
	_, params, _ := mime.ParseMediaType(contentType)
	if !bytes.HasSuffix(got.Body, []byte("--"+params["boundary"]+"--\r\n")) {
		t.Errorf("body does not end with the closing boundary: %q", got.Body[max(0, len(got.Body)-80):])
	}
}

// part is a multipart body's part as a server reads it.
type part struct{ name, filename, contentType, content string }

// multipartParts reads a multipart/form-data body as a server would.
func multipartParts(t *testing.T, contentType string, body []byte) []part {
	t.Helper()
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil || mediaType != "multipart/form-data" || !strings.HasPrefix(params["boundary"], "locust-fleet-") {
		t.Fatalf("Content-Type %q; want multipart/form-data with a boundary", contentType)
	}
	var parts []part
	r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := r.NextPart()
		if err != nil {
			break
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(p)
		parts = append(parts, part{p.FormName(), p.FileName(), p.Header.Get("Content-Type"), b.String()})
	}
	return parts
}

func TestStep_Request_BodyWithoutContentTypeSendsNone(t *testing.T) {
	t.Parallel()
	p := compileDoc(t, "host: http://a\ntasks: [{name: r, method: POST, path: /, body: x}]\n", nil)
	got := stepNamed(t, p, "r").request(newUser(0, nil), p.state(newUser(0, nil)))
	if len(got.Headers) != 0 {
		t.Errorf("headers %q; want none (no Content-Type, as Python's requests)", got.Headers)
	}
}

func TestValidNumber(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]bool{
		"0": true, "-0": true, "12": true, "1.5": true, "-1.5e3": true, "2E+10": true, "1e-2": true,
		"": false, "-": false, "01": false, "1.": false, ".5": false, "1e": false, "+1": false, "NaN": false,
		"1 ": false, "0x10": false, "true": false,
	} {
		if got := validNumber([]byte(text)); got != want {
			t.Errorf("validNumber(%q) = %v; want %v", text, got, want)
		}
	}
}

// mkdirWrite writes content into dir/name, making name's folders.
func mkdirWrite(dir, name, content string) error {
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o600)
}

func TestRun_ATypedValueOfAnotherTypeFailsTheRequestUnsent(t *testing.T) {
	var served sync.Map
	host := serve(t, func(ctx *fasthttp.RequestCtx) {
		served.Store(string(ctx.Path()), true)
		ctx.SetBodyString(`{"n": "many"}`)
	})
	doc := `tasks:
  - name: order
    steps:
      - {name: count, path: /count, extract: {n: {json: $.n}}}
      - {name: order, method: POST, path: /order, json: {count: "{{ n | number }}"}, on_failure: continue}
      - {name: after, path: /after}
`
	rec := run(t, doc, nil, host, 1, 300*time.Millisecond)
	ok, failed, reasons := rec.counts()
	if failed["POST order"] == 0 || ok["POST order"] != 0 || ok["GET after"] == 0 {
		t.Errorf("successes %v, failures %v; want every order failed and the flow going on", ok, failed)
	}
	if want := map[string]bool{"json.count: {{ n | number }} is not a JSON number": true}; !reflect.DeepEqual(reasons, want) {
		t.Errorf("reasons %v; want %v", reasons, want)
	}
	if _, sent := served.Load("/order"); sent {
		t.Error("the server received /order; want nothing sent")
	}
}

// A multipart filename is a template, as the part's text is: "{{ accounts.user }}.pdf" was sent
// with its braces. A content_type with one is an error: it was sent as written too.
func TestStep_Request_MultipartFilenameTemplate(t *testing.T) {
	t.Parallel()
	doc := `host: http://a
tasks:
  - name: upload
    method: POST
    path: /upload
    multipart:
      doc: {file: r.pdf, filename: "{{ user_id }}-\"q\".pdf", content_type: application/pdf}
`
	p := compileDoc(t, doc, map[string]string{"r.pdf": "%PDF"})
	u := newUser(7, nil)
	body := string(stepNamed(t, p, "upload").request(u, p.state(u)).Body)
	if want := `Content-Disposition: form-data; name="doc"; filename="7-%22q%22.pdf"` + "\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n"; !strings.Contains(body, want) {
		t.Errorf("body %q; want it to hold %q", body, want)
	}
	_, _, _, err := parse([]byte("host: http://a\ntasks:\n  - {name: u, method: POST, path: /u, multipart: {doc: {file: r.pdf, content_type: \"{{ user_id }}\", filename: \"{{ nosuch }}\"}}}\n"), files(t, map[string]string{"r.pdf": "x"}), "")
	want := `line 3: tasks[0].multipart.doc.content_type: got "{{ user_id }}", a template; expected a media type written out, such as application/pdf (content_type is not a template)`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v; want %s", err, want)
	}
}
