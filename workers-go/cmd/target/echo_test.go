package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net"
	"reflect"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// rawServe starts a fresh target; send writes a request, written out by hand, and returns the
// response, get returns the body of a GET.
func rawServe(t *testing.T) (send func(request string) *fasthttp.Response, get func(path string) string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: newTarget().handle}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	send = func(request string) *fasthttp.Response {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.Write([]byte(request)); err != nil {
			t.Fatal(err)
		}
		resp := &fasthttp.Response{}
		if err := resp.Read(bufio.NewReader(conn)); err != nil {
			t.Fatal(err)
		}
		return resp
	}
	get = func(path string) string {
		return string(send("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n").Body())
	}
	return send, get
}

func TestTarget_echo(t *testing.T) {
	send, get := rawServe(t)
	body := "a=1&a=x+y&b=%26"
	resp := send("POST /_echo/form/x%2Fy?q=a+b%20c HTTP/1.1\r\nHost: vhost.test\r\nx-lower: One\r\n" +
		"Content-Type: application/x-www-form-urlencoded\r\nX-Echo-Set-Cookie: c=1; Path=/\r\n" +
		"X-Echo-Set-Cookie: d=2; Secure\r\nContent-Length: 15\r\n\r\n" + body)
	var got echoed
	if err := json.Unmarshal(resp.Body(), &got); err != nil {
		t.Fatalf("echo: %q is not JSON: %v", resp.Body(), err)
	}
	sum := sha256.Sum256([]byte(body))
	want := echoed{Method: "POST", URI: "/_echo/form/x%2Fy?q=a+b%20c",
		Headers: [][2]string{{"Host", "vhost.test"}, {"x-lower", "One"}, {"Content-Type", "application/x-www-form-urlencoded"},
			{"X-Echo-Set-Cookie", "c=1; Path=/"}, {"X-Echo-Set-Cookie", "d=2; Secure"}, {"Content-Length", "15"}},
		Body: body, BodySHA256: hex.EncodeToString(sum[:]), Form: map[string][]string{"a": {"1", "x y"}, "b": {"&"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("echo:\n got %+v\nwant %+v", got, want)
	}
	var cookies []string
	for _, v := range resp.Header.Cookies() {
		cookies = append(cookies, string(v))
	}
	if want := []string{"c=1; Path=/", "d=2; Secure"}; !reflect.DeepEqual(cookies, want) {
		t.Errorf("Set-Cookie: got %q; want %q", cookies, want)
	}

	multipartBody := "--XyZ\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\nv\r\n" +
		"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"n.bin\"\r\nContent-Type: image/png\r\n\r\n\x00\x01\r\n" +
		"--XyZ--\r\n"
	send("POST /_echo/upload HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n" +
		"Content-Length: " + itoa(len(multipartBody)) + "\r\n\r\n" + multipartBody)
	send("PUT /_echo/json HTTP/1.1\r\nHost: t\r\nContent-Length: 16\r\n\r\n" + `{"n":1,"b":true}`)
	send("GET /_echo/form/again HTTP/1.1\r\nHost: t\r\n\r\n")
	send("GET /_echo/form/again HTTP/1.1\r\nHost: t\r\n\r\n") // the same request again: kept once

	var counts map[string]int64
	if err := json.Unmarshal([]byte(get("/_counts")), &counts); err != nil {
		t.Fatal(err)
	}
	if want := map[string]int64{"POST /_echo/form": 1, "GET /_echo/form": 2, "POST /_echo/upload": 1, "PUT /_echo/json": 1}; !reflect.DeepEqual(counts, want) {
		t.Errorf("/_counts: got %v; want %v", counts, want)
	}
	var kept map[string][]echoed
	if err := json.Unmarshal([]byte(get("/_echoes")), &kept); err != nil {
		t.Fatal(err)
	}
	if n := len(kept["form"]); n != 2 {
		t.Errorf("/_echoes form: %d requests; want 2 distinct ones", n)
	}
	upload := kept["upload"][0]
	fileSum := sha256.Sum256([]byte("\x00\x01"))
	wantFiles := map[string][]file{"f": {{Filename: "n.bin", ContentType: "image/png", Size: 2, SHA256: hex.EncodeToString(fileSum[:])}}}
	if !reflect.DeepEqual(upload.Form, map[string][]string{"t": {"v"}}) || !reflect.DeepEqual(upload.Files, wantFiles) {
		t.Errorf("multipart echo: form %v files %+v; want t=v and %+v", upload.Form, upload.Files, wantFiles)
	}
	if js := kept["json"][0].JSON; !reflect.DeepEqual(js, map[string]any{"n": 1.0, "b": true}) {
		t.Errorf("json echo: %v; want the body parsed, n 1 and b true", js)
	}
	send("POST /_reset HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
	if got := strings.TrimSpace(get("/_echoes")); got != "{}" {
		t.Errorf("/_echoes after /_reset: %s; want {}", got)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
