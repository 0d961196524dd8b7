package scenario

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

func TestThinkTime(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for text, want := range map[string]time.Duration{
		"": 0, " ": 0, "2": 2 * time.Second, " 120 ": 2 * time.Minute, "0.5": 500 * time.Millisecond, "0": 0,
		"1.5s": 1500 * time.Millisecond, "250ms": 250 * time.Millisecond,
		"Thu, 01 Jan 2026 12:00:03 GMT": 3 * time.Second, // Retry-After as an HTTP date
		"Thu, 01 Jan 2026 11:59:00 GMT": 0,               // past: no wait
	} {
		if got, ok := thinkTime(text, now); !ok || got != want {
			t.Errorf("thinkTime(%q) = %v, %v; want %v, true", text, got, ok, want)
		}
	}
	for _, text := range []string{"soon", "-1", "-1s", "+1", "NaN", "Inf", "1e30", "25h", "Fri, 02 Jan 2026 12:00:01 GMT"} {
		if got, ok := thinkTime(text, now); ok || got != 0 {
			t.Errorf("thinkTime(%q) = %v, %v; want 0, false", text, got, ok)
		}
	}
}

// A rate limit answers 429 with Retry-After: the retry waits what the server asked, not a think
// time written in advance (refused again when the server asks for more).
func TestRun_ThinkTimeFromRetryAfter(t *testing.T) {
	var mu sync.Mutex
	var sent []time.Time
	host := serve(t, func(ctx *fasthttp.RequestCtx) {
		mu.Lock()
		defer mu.Unlock()
		sent = append(sent, time.Now())
		if len(sent) == 1 {
			ctx.SetStatusCode(429)
			ctx.Response.Header.Set("Retry-After", "1")
		}
	})
	doc := `tasks:
  - name: order
    steps:
      - name: order
        method: POST
        path: /orders
        expect_status: [201, 200, 429]
        extract: {retry_after: {header: Retry-After, default: ""}}
      - if: {var: retry_after}
        steps:
          - think: "{{ retry_after }}"
          - {name: retry, method: POST, path: /orders}
`
	rec := runUntil(t, doc, nil, host, 1, 5*time.Second, func(r *recorder) bool {
		ok, _, _ := r.counts()
		return ok["POST retry"] > 0
	})
	if ok, failed, reasons := rec.counts(); len(failed) > 0 || ok["POST retry"] == 0 {
		t.Fatalf("successes %v, failures %v: %v", ok, failed, reasons)
	}
	mu.Lock()
	defer mu.Unlock()
	if gap := sent[1].Sub(sent[0]); gap < time.Second || gap > 1500*time.Millisecond {
		t.Errorf("the retry was sent %v after the 429; want the 1 s its Retry-After asked", gap)
	}
}

func TestParse_ThinkTimeFromAVariable(t *testing.T) {
	p := compileDoc(t, `host: http://a
tasks:
  - name: t
    steps:
      - {path: /a, extract: {wait: {header: Retry-After, default: ""}}}
      - think: "{{ wait }}"
      - think: "{{ wait }}ms"
`, nil)
	if got := describeFlow(p.tasks[0].flow); got != "3 steps (1 request, 2 thinks)" {
		t.Errorf("summary of the task: %q; want the two think times counted", got)
	}
	_, err := Parse([]byte("host: http://a\ntasks:\n  - steps:\n      - {path: /a}\n      - think: \"{{ wiat }}\"\n"), t.TempDir(), "")
	want := "line 5: tasks[0].steps[1].think: {{ wiat }} is not defined"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Parse: %v; want %q", err, want)
	}
}
