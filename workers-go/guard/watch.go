package guard

import (
	"github.com/ugorji/go/codec"
)

// Watch returns a channel closed once seen has returned true for a frame boomer sent to the
// master through this relay; seen is called for each frame, in order, from the relaying goroutine
// (it may keep state across calls, and must not block).
func (r *Relay) Watch(seen func(frame []byte) bool) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := watcher{seen: seen, done: make(chan struct{})}
	r.watchers = append(r.watchers, w)
	return w.done
}

type watcher struct {
	seen func([]byte) bool
	done chan struct{}
}

// observe looks at a frame boomer sent to the master.
func (r *Relay) observe(body []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	kept := r.watchers[:0]
	for _, w := range r.watchers {
		if w.seen(body) {
			close(w.done)
		} else {
			kept = append(kept, w)
		}
	}
	r.watchers = kept
}

// EntryCounts returns the num_requests and num_failures of the stats entry named name (method
// method) in a stats report boomer sends; ok is false for other frames and reports without it.
func EntryCounts(raw []byte, method, name string) (requests, failures int64, ok bool) {
	var msg any
	if err := codec.NewDecoderBytes(raw, handle).Decode(&msg); err != nil {
		return 0, 0, false
	}
	parts, isList := msg.([]any)
	if !isList || len(parts) != 3 || parts[0] != "stats" {
		return 0, 0, false
	}
	data, isMap := parts[1].(map[any]any)
	if !isMap {
		return 0, 0, false
	}
	entries, _ := data["stats"].([]any)
	for _, e := range entries {
		fields, isMap := e.(map[any]any)
		if isMap && fields["name"] == name && fields["method"] == method {
			return asInt(fields["num_requests"]), asInt(fields["num_failures"]), true
		}
	}
	return 0, 0, false
}

func asInt(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case uint64:
		return int64(n)
	}
	return 0
}

// frameType is the type of a frame ("" when it is not one).
func frameType(raw []byte) string {
	var msg any
	if err := codec.NewDecoderBytes(raw, handle).Decode(&msg); err != nil {
		return ""
	}
	if parts, ok := msg.([]any); ok && len(parts) == 3 {
		if t, ok := parts[0].(string); ok {
			return t
		}
	}
	return ""
}

// smallFrame bounds the frames worth decoding for their type on the way to the master: a quit is
// a few dozen bytes, reports are far larger.
const smallFrame = 256

// encodeFrame is a frame [type, data, node_id] as boomer encodes one.
func encodeFrame(msgType string, data any, nodeID string) ([]byte, error) {
	var out []byte
	err := codec.NewEncoderBytes(&out, handle).Encode([]any{msgType, data, nodeID})
	return out, err
}
