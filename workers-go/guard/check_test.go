package guard

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ugorji/go/codec"
)

// Every frame a real Locust master sends (the golden vectors) reaches boomer.
func TestGoldenVectorsPass(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "tests", "contract", "vectors", "master_to_worker.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vectors []struct {
		Name    string            `json:"name"`
		Hex     string            `json:"hex"`
		Decoded []json.RawMessage `json:"decoded"`
	}
	if err := json.Unmarshal(raw, &vectors); err != nil {
		t.Fatal(err)
	}
	if len(vectors) < 10 {
		t.Fatalf("only %d vectors", len(vectors))
	}
	for _, v := range vectors {
		frame, _ := hex.DecodeString(v.Hex)
		var node string
		if err := json.Unmarshal(v.Decoded[2], &node); err != nil {
			t.Fatalf("%s: node id: %v", v.Name, err)
		}
		if p := Check(frame, node); p != nil {
			t.Errorf("%s: rejected: %s", v.Name, p.Detail)
		}
		if p := Check(frame, "another-node"); p == nil || p.Kind != "node_id" {
			t.Errorf("%s: a frame for another node passed: %v", v.Name, p)
		}
	}
}

func encode(t *testing.T, parts ...any) []byte {
	t.Helper()
	var out []byte
	h := &codec.MsgpackHandle{}
	h.WriteExt = true // strings as msgpack str, as Locust sends them
	if err := codec.NewEncoderBytes(&out, h).Encode(parts); err != nil {
		t.Fatal(err)
	}
	return out
}

func validSpawn() map[string]any {
	return map[string]any{"timestamp": 1.5, "user_classes_count": map[string]any{"GoWorkerUser": 2},
		"host": "http://127.0.0.1:8080", "stop_timeout": nil, "parsed_options": map[string]any{}}
}

func with(m map[string]any, key string, value any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	if value == "<delete>" {
		delete(out, key)
	} else {
		out[key] = value
	}
	return out
}

// The frames that would panic boomer or end the worker, and other malformed ones, are kept from it
// with a message naming the field and what was expected.
func TestMalformedFramesAreRejected(t *testing.T) {
	cases := []struct {
		name  string
		frame []byte
		kind  string
		says  string
	}{
		{"truncated", encode(t, "spawn", validSpawn(), "w")[:10], "undecodable", "undecodable frame"},
		{"not an array", encode(t)[:0], "undecodable", "undecodable"},
		{"2-array", encode(t, "quit", nil), "shape", "expected an array [type, data, node_id]"},
		{"int type", encode(t, 3, nil, "w"), "shape", "type: expected a string, got int64 3"},
		{"int node id", encode(t, "quit", nil, 3), "node_id", "quit: node_id: expected this worker's id"},
		{"spawn without counts", encode(t, "spawn", with(validSpawn(), "user_classes_count", "<delete>"), "w"),
			"spawn.user_classes_count", "spawn: user_classes_count: expected a map of user class names to counts >= 0, got nothing"},
		{"spawn counts as list", encode(t, "spawn", with(validSpawn(), "user_classes_count", []any{1}), "w"),
			"spawn.user_classes_count", "got []interface {} [1]"},
		{"spawn negative count", encode(t, "spawn", with(validSpawn(), "user_classes_count", map[string]any{"U": -1}), "w"),
			"spawn.user_classes_count", "counts >= 0"},
		{"spawn host as bytes", encode(t, "spawn", with(validSpawn(), "host", []byte{0xff}), "w"),
			"spawn.host", "spawn: host: expected a string or nil, got []uint8"},
		{"spawn data as list", encode(t, "spawn", []any{"a"}, "w"), "spawn", "spawn: expected a map"},
		{"spawn nil data", encode(t, "spawn", nil, "w"), "spawn", "spawn: expected a map, got nil"},
		{"reconnect with data", encode(t, "reconnect", map[string]any{"x": 1}, "w"), "reconnect", "reconnect: expected no data"},
		{"ack index string", encode(t, "ack", map[string]any{"index": "0"}, "w"), "ack.index", "ack: index: expected an int >= 0, got string 0"},
	}
	for _, c := range cases {
		p := Check(c.frame, "w")
		if p == nil {
			t.Errorf("%s: passed", c.name)
			continue
		}
		if p.Kind != c.kind || !strings.Contains(p.Detail, c.says) {
			t.Errorf("%s: got kind %q %q; want kind %q containing %q", c.name, p.Kind, p.Detail, c.kind, c.says)
		}
	}
	if p := Check(encode(t, "spawn", validSpawn(), "w"), "w"); p != nil {
		t.Errorf("a valid spawn was rejected: %s", p.Detail)
	}
	if p := Check(encode(t, "my_custom", map[string]any{"any": []any{1}}, "w"), "w"); p != nil {
		t.Errorf("a custom message was rejected: %s", p.Detail)
	}
	if p := Check(encode(t, "fleet:user_numbers", []any{0, 40, 10}, "w"), "w"); p != nil {
		t.Errorf("the master's answer with user numbers was rejected: %s", p.Detail)
	}
}
