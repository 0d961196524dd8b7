package guard

import (
	"testing"

	"github.com/ugorji/go/codec"
)

func report(t *testing.T, entries ...map[string]any) []byte {
	t.Helper()
	list := make([]any, len(entries))
	for i, e := range entries {
		list[i] = e
	}
	var out []byte
	data := map[string]any{"stats": list, "stats_total": map[string]any{"num_requests": int64(0)}}
	if err := codec.NewEncoderBytes(&out, handle).Encode([]any{"stats", data, "w1"}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEntryCounts(t *testing.T) {
	marker := map[string]any{"name": "stats reset", "method": "FLEET", "num_requests": int64(2), "num_failures": uint64(1)}
	other := map[string]any{"name": "home", "method": "GET", "num_requests": int64(9), "num_failures": int64(0)}
	tests := []struct {
		name              string
		frame             []byte
		wantReq, wantFail int64
		wantOK            bool
	}{
		{"the marker among others", report(t, other, marker), 2, 1, true},
		{"no marker", report(t, other), 0, 0, false},
		{"not a frame", []byte{0xc1}, 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, fail, ok := EntryCounts(tc.frame, "FLEET", "stats reset")
			if req != tc.wantReq || fail != tc.wantFail || ok != tc.wantOK {
				t.Errorf("EntryCounts = %d, %d, %v; want %d, %d, %v", req, fail, ok, tc.wantReq, tc.wantFail, tc.wantOK)
			}
		})
	}
}

func TestWatchClosesOnceSeen(t *testing.T) {
	r := &Relay{}
	calls := 0
	done := r.Watch(func([]byte) bool { calls++; return calls == 2 })
	r.observe([]byte("a"))
	select {
	case <-done:
		t.Fatal("closed after the first frame")
	default:
	}
	r.observe([]byte("b"))
	<-done
	r.observe([]byte("c"))
	if calls != 2 {
		t.Errorf("seen called %d times; want 2 (not after it held)", calls)
	}
}

func TestEncodeFrameIsReadBack(t *testing.T) {
	frame, err := encodeFrame("quit", nil, "w1")
	if err != nil {
		t.Fatal(err)
	}
	if got := frameType(frame); got != "quit" {
		t.Errorf("frameType(encodeFrame(quit)) = %q; want quit", got)
	}
	if len(frame) >= smallFrame {
		t.Errorf("a quit frame is %d bytes; want fewer than smallFrame (%d)", len(frame), smallFrame)
	}
	if got := frameType([]byte{0xc1}); got != "" {
		t.Errorf("frameType(not msgpack) = %q; want empty", got)
	}
}
