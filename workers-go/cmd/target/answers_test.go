package main

import (
	"encoding/json"
	"net/url"
	"reflect"
	"testing"
)

func TestTarget_List(t *testing.T) {
	t.Parallel()
	do := serve(t)
	cases := []struct {
		path, body string
		status     int
	}{
		{"/list/3", `{"items":[{"id":"i0"},{"id":"i1"},{"id":"i2"}],"count":3}`, 200},
		{"/list/0", `{"items":[],"count":0}`, 200},
		{"/list/x", "list: expected /list/N with N from 0 to 10000\n", 400},
	}
	for _, tc := range cases {
		if status, body, _ := do("GET", tc.path, ""); status != tc.status || body != tc.body {
			t.Errorf("%s: got %d %q, want %d %q", tc.path, status, body, tc.status, tc.body)
		}
	}
	var counts map[string]int
	_, body, _ := do("GET", "/_counts", "")
	if err := json.Unmarshal([]byte(body), &counts); err != nil || counts["GET /list/3"] != 1 || counts["GET /list/0"] != 1 {
		t.Errorf("counts: %s", body)
	}
}

func TestTarget_Answer(t *testing.T) {
	t.Parallel()
	do := serve(t)
	q := url.Values{"status": {"201"}, "body": {`{"a":1}garbage`}, "header": {"X-Remaining: 5", "X-Tag:a"},
		"content_type": {"application/json"}}
	status, body, header := do("POST", "/answer/any?"+q.Encode(), "")
	if status != 201 || body != `{"a":1}garbage` {
		t.Errorf("got %d %q, want 201 and the body as asked", status, body)
	}
	got := map[string]string{"X-Remaining": string(header.Peek("X-Remaining")), "X-Tag": string(header.Peek("X-Tag")),
		"Content-Type": string(header.ContentType())}
	want := map[string]string{"X-Remaining": "5", "X-Tag": "a", "Content-Type": "application/json"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("headers: got %v, want %v", got, want)
	}
	if _, body, _ := do("GET", "/_counts", ""); body != `{"POST /answer/any":1}` {
		t.Errorf("counts: got %s", body)
	}
}
