package lifecycle

import (
	"log"

	"github.com/myzhan/boomer"

	"locustfleet/worker/checkstats"
)

// checksOutput sends the master the non-fatal checks counted since the previous report. boomer
// calls OnEvent right after it queued a stats report, on the same connection, and waits for it
// before its next report: every check of a request reaches the master before the report that
// follows the request's own, so that the master's drain at stop (which waits for a report
// showing the worker idle) also waits for the last checks.
type checksOutput struct {
	send  func(messageType string, data any) // boomer's SendCustomMessage
	tally *checkstats.Tally
}

func (o checksOutput) OnStart() {}

func (o checksOutput) OnEvent(map[string]any) {
	if rows := o.tally.Take(); len(rows) > 0 {
		o.send(checkstats.MessageType, checkstats.Encode(rows))
	}
}

func (o checksOutput) OnStop() {}

// sendChecks makes b send the tally's counts after each stats report; at a stop, what was counted
// after the last report is dropped, as boomer drops the requests it had not reported.
func sendChecks(b *boomer.Boomer, tally *checkstats.Tally) {
	if out, ok := newChecksOutput(b.SendCustomMessage, tally); ok {
		b.AddOutput(out)
		_ = boomer.Events.Subscribe(boomer.EVENT_STOP, func() { tally.Take() })
	}
}

// newChecksOutput is the output that sends tally's counts with send; false when the class counts
// no checks (a nil tally). A tally without keys yet gets one: users written in Go may add their
// checks' keys as they first count them.
func newChecksOutput(send func(messageType string, data any), tally *checkstats.Tally) (checksOutput, bool) {
	if tally == nil {
		return checksOutput{}, false
	}
	return checksOutput{send: send, tally: tally}, true
}

// logChecks logs the totals of the non-fatal checks (--run-tasks, where no master shows them).
func logChecks(tally *checkstats.Tally) {
	if tally == nil {
		return
	}
	for _, r := range tally.Totals() {
		log.Printf("worker: check %s on %s %s: %d passed, %d failed", r.Check, r.Method, r.Name, r.Passes, r.Fails)
	}
}
