package contract

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ugorji/go/codec"
)

// vector is one entry of tests/contract/vectors/*.json.
type vector struct {
	Name    string          `json:"name"`
	Type    string          `json:"type"`
	Hex     string          `json:"hex"`
	Decoded json.RawMessage `json:"decoded"`
}

// boomerMessage mirrors boomer's genericMessage; boomer decodes every master message into it.
type boomerMessage struct {
	Type   string                 `codec:"type"`
	Data   map[string]interface{} `codec:"data"`
	NodeID string                 `codec:"node_id"`
}

// handle is configured as boomer's package-level MsgpackHandle (message.go): defaults plus StructToArray.
func handle() *codec.MsgpackHandle {
	h := &codec.MsgpackHandle{}
	h.StructToArray = true
	return h
}

func load(t *testing.T, file string) []vector {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "tests", "contract", "vectors", file))
	if err != nil {
		t.Fatalf("read vectors: %v", err)
	}
	var vs []vector
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	return vs
}

// castToInt64 is boomer's rule for reading counts and timestamps: int64 or uint64 only.
func castToInt64(v interface{}) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case uint64:
		return int64(n), true
	}
	return 0, false
}

// bytePaths collects where a string came out as []byte: with boomer's handle (RawToString off)
// ugorji decodes string values inside interface{} as []byte, while struct fields and map keys
// are strings. boomer reads no string value inside data, so this is recorded, not an error.
var bytePaths = make(chan string, 1024)

// check compares a value decoded by ugorji with its tagged JSON form, the way boomer reads it:
// strings as Go strings (or []byte, recorded in bytePaths), ints castable by castToInt64, floats
// float64, maps map[interface{}]interface{}.
func check(path string, got interface{}, want interface{}) error {
	switch w := want.(type) {
	case nil:
		if got != nil {
			return fmt.Errorf("%s: got %T %v, want nil", path, got, got)
		}
	case bool:
		if g, ok := got.(bool); !ok || g != w {
			return fmt.Errorf("%s: got %T %v, want bool %v", path, got, got, w)
		}
	case string:
		if b, ok := got.([]byte); ok && string(b) == w {
			select {
			case bytePaths <- path:
			default:
			}
			return nil
		}
		if g, ok := got.(string); !ok || g != w {
			return fmt.Errorf("%s: got %T %v, want string %q", path, got, got, w)
		}
	case []interface{}:
		g, ok := got.([]interface{})
		if !ok || len(g) != len(w) {
			return fmt.Errorf("%s: got %T %v, want a list of %d", path, got, got, len(w))
		}
		for i := range w {
			if err := check(fmt.Sprintf("%s[%d]", path, i), g[i], w[i]); err != nil {
				return err
			}
		}
	case map[string]interface{}:
		return checkTagged(path, got, w)
	default:
		return fmt.Errorf("%s: unexpected JSON value %T", path, want)
	}
	return nil
}

func checkTagged(path string, got interface{}, w map[string]interface{}) error {
	if s, ok := w["$int"].(string); ok {
		want, _ := strconv.ParseInt(s, 10, 64)
		if g, ok := castToInt64(got); !ok || g != want {
			return fmt.Errorf("%s: got %T %v, want an int boomer can read (%s)", path, got, got, s)
		}
		return nil
	}
	if s, ok := w["$float"].(string); ok {
		want, _ := strconv.ParseFloat(s, 64)
		if g, ok := got.(float64); !ok || g != want {
			return fmt.Errorf("%s: got %T %v, want float64 %s", path, got, got, s)
		}
		return nil
	}
	if s, ok := w["$datetime"].(string); ok {
		return check(path, got, map[string]interface{}{"$map": []interface{}{
			[]interface{}{"__datetime__", true}, []interface{}{"as_str", s}}})
	}
	pairs, ok := w["$map"].([]interface{})
	if !ok {
		return fmt.Errorf("%s: unknown tagged value %v", path, w)
	}
	g, ok := got.(map[interface{}]interface{})
	if !ok {
		return fmt.Errorf("%s: got %T, want map[interface{}]interface{}", path, got)
	}
	if len(g) != len(pairs) {
		return fmt.Errorf("%s: got %d keys, want %d", path, len(g), len(pairs))
	}
	for _, p := range pairs {
		kv := p.([]interface{})
		key, found := findKey(g, kv[0])
		if !found {
			return fmt.Errorf("%s: key %v missing", path, kv[0])
		}
		if err := check(fmt.Sprintf("%s[%v]", path, key), g[key], kv[1]); err != nil {
			return err
		}
	}
	return nil
}

// findKey finds the decoded map key matching a tagged JSON key; string keys must decode as Go
// strings, since boomer looks them up and type-asserts them (user_classes_count).
func findKey(m map[interface{}]interface{}, want interface{}) (interface{}, bool) {
	for k := range m {
		if s, ok := want.(string); ok {
			if ks, isString := k.(string); isString && ks == s {
				return k, true
			}
			continue
		}
		if check("", k, want) == nil {
			return k, true
		}
	}
	return nil, false
}

func TestVectors_MasterToWorkerDecodeAsBoomerReadsThem(t *testing.T) {
	t.Parallel()
	for _, v := range load(t, "master_to_worker.json") {
		v := v
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			raw, err := hex.DecodeString(v.Hex)
			if err != nil {
				t.Fatal(err)
			}
			var decoded []interface{}
			if err := json.Unmarshal(v.Decoded, &decoded); err != nil {
				t.Fatal(err)
			}
			var msg boomerMessage
			if err := codec.NewDecoderBytes(raw, handle()).Decode(&msg); err != nil {
				t.Fatalf("boomer cannot decode %s: %v", v.Name, err)
			}
			if msg.Type != decoded[0] || msg.NodeID != decoded[2] {
				t.Errorf("got type %q node %q, want %v %v", msg.Type, msg.NodeID, decoded[0], decoded[2])
			}
			var data interface{}
			if msg.Data != nil {
				m := map[interface{}]interface{}{}
				for k, val := range msg.Data {
					m[k] = val
				}
				data = m
			}
			if err := check("data", data, decoded[1]); err != nil {
				t.Error(err)
			}
		})
	}
}

// What boomer needs from a spawn message: user_classes_count as string -> castable int, which it
// sums to its number of users (runner.go sumUsersAmount).
func TestVectors_SpawnGivesBoomerItsUserCount(t *testing.T) {
	t.Parallel()
	for _, v := range load(t, "master_to_worker.json") {
		if v.Type != "spawn" {
			continue
		}
		raw, _ := hex.DecodeString(v.Hex)
		var msg boomerMessage
		if err := codec.NewDecoderBytes(raw, handle()).Decode(&msg); err != nil {
			t.Fatal(err)
		}
		counts, ok := msg.Data["user_classes_count"].(map[interface{}]interface{})
		if !ok {
			t.Fatalf("%s: user_classes_count is %T", v.Name, msg.Data["user_classes_count"])
		}
		for class, n := range counts {
			if _, ok := class.(string); !ok {
				t.Errorf("%s: class name is %T, boomer needs string", v.Name, class)
			}
			if _, ok := castToInt64(n); !ok {
				t.Errorf("%s: count is %T, boomer needs int64/uint64", v.Name, n)
			}
		}
	}
}

// Worker-to-master vectors must decode too: boomer's own codec reads what Locust's workers send,
// which shows the two codecs agree on every type in both directions.
func TestVectors_WorkerToMasterDecodeWithBoomersCodec(t *testing.T) {
	t.Parallel()
	for _, v := range load(t, "worker_to_master.json") {
		v := v
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			raw, _ := hex.DecodeString(v.Hex)
			var decoded []interface{}
			if err := json.Unmarshal(v.Decoded, &decoded); err != nil {
				t.Fatal(err)
			}
			var got []interface{}
			if err := codec.NewDecoderBytes(raw, handle()).Decode(&got); err != nil {
				t.Fatalf("decode: %v", err)
			}
			for i, name := range []string{"type", "data", "node_id"} {
				if err := check(name, got[i], decoded[i]); err != nil {
					t.Error(err)
				}
			}
		})
	}
}
