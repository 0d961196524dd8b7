package guard

import (
	"fmt"

	"github.com/ugorji/go/codec"
)

// Problem is why a frame from the master was not handed to boomer. Kind groups problems so that
// each kind is logged once (e.g. "spawn.user_classes_count"); Detail says what was wrong.
type Problem struct {
	Kind   string
	Detail string
}

func (p *Problem) Error() string { return p.Detail }

func problem(kind, format string, args ...any) *Problem {
	return &Problem{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

var handle = func() *codec.MsgpackHandle {
	h := &codec.MsgpackHandle{}
	h.WriteExt = true      // msgpack str -> string, bin -> []byte (a string field holding bytes is wrong)
	h.SignedInteger = true // every integer decodes as int64
	return h
}()

// field describes one field of a message's data map: its check, and whether it must be present.
type field struct {
	check    func(any) bool
	expected string
	required bool
}

var (
	isNil      = field{func(v any) bool { return v == nil }, "nothing (nil)", true}
	countsOK   = field{isCounts, "a map of user class names to counts >= 0", true}
	numberOK   = field{isNumber, "a number", true}
	indexOK    = field{isNonNegativeInt, "an int >= 0", true}
	strOK      = field{isString, "a string", true}
	mapOK      = field{isStringKeyedMap, "a map with string keys", true}
	strOrNil   = field{func(v any) bool { return v == nil || isString(v) }, "a string or nil", true}
	numOrNil   = field{func(v any) bool { return v == nil || isNumber(v) }, "a number or nil", true}
	optList    = field{func(v any) bool { _, ok := v.([]any); return ok }, "a list", false}
	optStr     = field{isString, "a string", false}
	userCount  = field{isNonNegativeInt, "an int >= 0", true}
	nilMessage = map[string]field(nil)
)

// schemas: the data of every message type a Locust master sends to a worker. A nil map means
// the data must be nil. Types not listed are custom messages, handed to boomer's event bus.
var schemas = map[string]map[string]field{
	"ack":               {"index": indexOK},
	"spawn":             {"timestamp": numberOK, "user_classes_count": countsOK, "host": strOrNil, "stop_timeout": numOrNil, "parsed_options": mapOK},
	"spawning_complete": {"user_count": userCount},
	"heartbeat":         nilMessage,
	"stop":              nilMessage,
	"quit":              nilMessage,
	"reconnect":         nilMessage,
	"update_user_class": {"user_class_name": strOK, "user_class": mapOK},
	"locustfile":        {"locustfiles": optList, "error": optStr},
}

// Check decodes a frame from the master and returns nil when boomer may have it: a msgpack
// array [type, data, node_id] naming this worker, whose data fits the type's schema.
func Check(raw []byte, nodeID string) *Problem {
	var msg any
	if err := codec.NewDecoderBytes(raw, handle).Decode(&msg); err != nil {
		return problem("undecodable", "undecodable frame: %v", err)
	}
	parts, ok := msg.([]any)
	if !ok || len(parts) != 3 {
		return problem("shape", "expected an array [type, data, node_id], got %s", describe(msg))
	}
	msgType, ok := parts[0].(string)
	if !ok {
		return problem("shape", "type: expected a string, got %s", describe(parts[0]))
	}
	if node, ok := parts[2].(string); !ok || node != nodeID {
		return problem("node_id", "%s: node_id: expected this worker's id, got %s", msgType, describe(parts[2]))
	}
	schema, known := schemas[msgType]
	if !known {
		return nil // a custom message
	}
	data := parts[1]
	if schema == nil {
		if data != nil {
			return problem(msgType, "%s: expected no data, got %s", msgType, describe(data))
		}
		return nil
	}
	fields, ok := data.(map[any]any)
	if !ok {
		return problem(msgType, "%s: expected a map, got %s", msgType, describe(data))
	}
	for name, f := range schema {
		value, present := fields[name]
		if !present {
			if f.required {
				return problem(msgType+"."+name, "%s: %s: expected %s, got nothing (the field is missing)", msgType, name, f.expected)
			}
			continue
		}
		if !f.check(value) {
			return problem(msgType+"."+name, "%s: %s: expected %s, got %s", msgType, name, f.expected, describe(value))
		}
	}
	return nil
}

func isString(v any) bool { _, ok := v.(string); return ok }

func isNumber(v any) bool {
	switch v.(type) {
	case int64, uint64, float64, float32:
		return true
	}
	return false
}

func isNonNegativeInt(v any) bool {
	switch n := v.(type) {
	case int64:
		return n >= 0
	case uint64:
		return n <= 1<<62
	}
	return false
}

func isStringKeyedMap(v any) bool {
	m, ok := v.(map[any]any)
	if !ok {
		return false
	}
	for k := range m {
		if !isString(k) {
			return false
		}
	}
	return true
}

func isCounts(v any) bool {
	m, ok := v.(map[any]any)
	if !ok {
		return false
	}
	for k, n := range m {
		if !isString(k) || !isNonNegativeInt(n) {
			return false
		}
	}
	return true
}

// describe names a value's type and a short rendering of it, for messages.
func describe(v any) string {
	if v == nil {
		return "nil"
	}
	text := fmt.Sprintf("%v", v)
	if len(text) > 60 {
		text = text[:57] + "..."
	}
	return fmt.Sprintf("%T %s", v, text)
}
