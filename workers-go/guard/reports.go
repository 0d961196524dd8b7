package guard

import (
	"github.com/ugorji/go/codec"
)

// IsQuietReport tells whether a frame boomer sends is a stats report that measured nothing: no
// requests and no failures in any entry nor in the total. A worker whose users have all stopped
// sends one once everything they measured has been reported.
func IsQuietReport(raw []byte) bool {
	var msg any
	if err := codec.NewDecoderBytes(raw, handle).Decode(&msg); err != nil {
		return false
	}
	parts, ok := msg.([]any)
	if !ok || len(parts) != 3 || parts[0] != "stats" {
		return false
	}
	data, ok := parts[1].(map[any]any)
	if !ok {
		return false
	}
	entries, _ := data["stats"].([]any)
	for _, e := range append(entries, data["stats_total"]) {
		fields, ok := e.(map[any]any)
		if !ok {
			if e == nil {
				continue
			}
			return false
		}
		if !isZero(fields["num_requests"]) || !isZero(fields["num_failures"]) {
			return false
		}
	}
	return true
}

func isZero(v any) bool {
	switch n := v.(type) {
	case nil:
		return true
	case int64:
		return n == 0
	case uint64:
		return n == 0
	}
	return false
}

// QuietReport returns a channel closed when boomer next sends a report that measured nothing
// (IsQuietReport) through this relay.
func (r *Relay) QuietReport() <-chan struct{} {
	return r.Watch(IsQuietReport)
}
