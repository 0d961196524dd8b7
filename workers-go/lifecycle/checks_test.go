package lifecycle

import (
	"reflect"
	"testing"

	"locustfleet/worker/checkstats"
)

// A class whose checks add their keys only as they are first counted (a user written in Go)
// starts with an empty tally: its counts still reach the master after the next report.
func TestChecksOutput_sendsKeysAddedAfterTheStart(t *testing.T) {
	var sent []any
	send := func(messageType string, data any) {
		if messageType != checkstats.MessageType {
			t.Errorf("message type %q, want %q", messageType, checkstats.MessageType)
		}
		sent = append(sent, data)
	}
	tally := checkstats.New()
	out, ok := newChecksOutput(send, tally)
	if !ok {
		t.Fatal("an empty tally sends nothing ever; want an output that sends what it counts later")
	}
	out.OnEvent(nil) // a report before any check: nothing to send
	tally.Pass(tally.Add(checkstats.Key{Method: "GET", Name: "/items", Check: "five items"}))
	out.OnEvent(nil)
	want := []any{[]any{[]any{"GET", "/items", "five items", int64(1), int64(0)}}}
	if !reflect.DeepEqual(sent, want) {
		t.Errorf("sent %v, want %v", sent, want)
	}
	if _, ok := newChecksOutput(send, nil); ok {
		t.Error("a class without a tally got a checks output")
	}
}
