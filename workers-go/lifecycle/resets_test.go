package lifecycle

import "testing"

func TestResetNumber(t *testing.T) {
	tests := []struct {
		name   string
		data   any
		want   uint64
		wantOK bool
	}{
		{"signed", []any{int64(3)}, 3, true},
		{"unsigned", []any{uint64(7)}, 7, true},
		{"zero", []any{int64(0)}, 0, true},
		{"negative", []any{int64(-1)}, 0, false},
		{"two numbers", []any{int64(1), int64(2)}, 0, false},
		{"a map", map[any]any{"n": int64(1)}, 0, false},
		{"text", []any{"1"}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := resetNumber(tc.data)
			if ok != tc.wantOK || (ok && got != tc.want) {
				t.Errorf("resetNumber(%v) = %d, %v; want %d, %v", tc.data, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
