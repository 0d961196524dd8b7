package user

import "strconv"

// Stamper is a Recorder that tells requests apart by when they were sent. A stats reset on the
// master counts only the requests sent after the worker learnt of it; a request in flight at the
// reset belongs to the statistics that were reset. Stamp is read before a request goes out (and,
// when it names a header, sent with the request as that header, so a counting target can tell the
// requests after a reset); the request's record carries the stamp. The lifecycle's recorder is
// one; a plain Recorder counts every request it is given.
type Stamper interface {
	Recorder
	Stamp() (stamp uint64, header string)
	RecordSuccessStamped(stamp uint64, requestType, name string, responseTime int64, responseLength int64)
	RecordFailureStamped(stamp uint64, requestType, name string, responseTime int64, exception string)
}

// stamped is the stamp of one request as it goes out; its zero value records through the plain
// Recorder.
type stamped struct {
	by    Stamper
	stamp uint64
}

// stamp stamps a request about to be sent, setting the stamp's header on it when there is one.
func (t *transport) stamp(set func(name, value string)) stamped {
	if t.stamper == nil {
		return stamped{}
	}
	stamp, header := t.stamper.Stamp()
	if header != "" {
		set(header, strconv.FormatUint(stamp, 10))
	}
	return stamped{by: t.stamper, stamp: stamp}
}

func (s stamped) success(rec Recorder, method, name string, ms, length int64) {
	if s.by != nil {
		s.by.RecordSuccessStamped(s.stamp, method, name, ms, length)
		return
	}
	rec.RecordSuccess(method, name, ms, length)
}

func (s stamped) failure(rec Recorder, method, name string, ms int64, reason string) {
	if s.by != nil {
		s.by.RecordFailureStamped(s.stamp, method, name, ms, reason)
		return
	}
	rec.RecordFailure(method, name, ms, reason)
}
