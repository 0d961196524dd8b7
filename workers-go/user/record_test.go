package user

import (
	"fmt"
	"maps"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// batches is a BatchRecorder that keeps every batch it was handed, for tests.
type batches struct {
	recorder
	mu   sync.Mutex
	got  [][]Record
	when []time.Time
}

func (b *batches) RecordBatch(records []Record) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.got = append(b.got, append([]Record(nil), records...))
	b.when = append(b.when, time.Now())
}

// counts sums the records handed over so far by outcome: "ok NAME" or "fail NAME: REASON".
func (b *batches) counts() map[string]int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := map[string]int64{}
	for _, batch := range b.got {
		for _, r := range batch {
			key := "ok " + r.Name
			if r.Failed {
				key = "fail " + r.Name + ": " + r.Failure
			}
			n[key] += r.Count
		}
	}
	return n
}

func (b *batches) total() int64 {
	var n int64
	for _, c := range b.counts() {
		n += c
	}
	return n
}

func TestOutbox_add(t *testing.T) {
	cases := []struct {
		name string
		add  []Record
		want []Record // the batch handed over by a flush
	}{
		{"identical outcomes are counted in one record",
			[]Record{{Method: "GET", Name: "/", Millis: 1, Length: 3, Unix: 1000, Count: 1},
				{Method: "GET", Name: "/", Millis: 1, Length: 3, Unix: 1000, Count: 1},
				{Method: "GET", Name: "/", Millis: 1, Length: 3, Unix: 1000, Count: 2}},
			[]Record{{Method: "GET", Name: "/", Millis: 1, Length: 3, Unix: 1000, Count: 4}}},
		{"any difference starts another record",
			[]Record{{Method: "GET", Name: "/", Millis: 1, Unix: 1000, Count: 1},
				{Method: "GET", Name: "/", Millis: 2, Unix: 1000, Count: 1},
				{Method: "GET", Name: "/", Millis: 2, Unix: 1001, Count: 1},
				{Method: "GET", Name: "/", Millis: 2, Unix: 1001, Length: 1, Count: 1},
				{Method: "POST", Name: "/", Millis: 2, Unix: 1001, Length: 1, Count: 1},
				{Method: "POST", Name: "/a", Millis: 2, Unix: 1001, Length: 1, Count: 1},
				{Method: "POST", Name: "/a", Millis: 2, Unix: 1001, Length: 1, Failed: true, Count: 1},
				{Method: "POST", Name: "/a", Millis: 2, Unix: 1001, Length: 1, Failed: true, Failure: "x", Count: 1}},
			nil},
		{"requests sent under other stamps are other records",
			[]Record{{Method: "GET", Name: "/", Millis: 1, Unix: 1000, Count: 1},
				{Method: "GET", Name: "/", Millis: 1, Unix: 1000, Count: 1, Stamped: true},
				{Method: "GET", Name: "/", Millis: 1, Unix: 1000, Count: 1, Stamped: true, Stamp: 1}},
			nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := &batches{}
			o := newOutbox(b)
			for _, r := range c.add {
				o.add(r)
			}
			o.flush()
			want := c.want
			if want == nil {
				want = c.add
			}
			if len(b.got) != 1 || !equalRecords(b.got[0], want) {
				t.Fatalf("handed over %+v; want one batch %+v", b.got, want)
			}
			o.flush()
			if len(b.got) != 1 {
				t.Fatalf("an empty outbox handed over %+v", b.got[1:])
			}
		})
	}
}

func equalRecords(a, b []Record) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A full outbox hands its records over at once, in batches of batchSize.
func TestOutbox_full(t *testing.T) {
	b := &batches{}
	o := newOutbox(b)
	for i := range 2*batchSize + 1 {
		o.add(Record{Name: "/", Millis: int64(i), Count: 1})
	}
	if len(b.got) != 2 || len(b.got[0]) != batchSize || len(b.got[1]) != batchSize {
		t.Fatalf("handed over %d batches; want 2 of %d before a flush", len(b.got), batchSize)
	}
	o.flush()
	if got := b.total(); got != 2*batchSize+1 {
		t.Fatalf("handed over %d records; want %d", got, 2*batchSize+1)
	}
}

// With a BatchRecorder the users' outcomes reach it in batches while they run (every
// flushInterval at the latest), and all of them once the users have stopped.
func TestRuntime_records_in_batches(t *testing.T) {
	b := &batches{}
	var sent atomic.Int64 // outcomes the tasks made
	c := &Class{Host: serve(t), Tasks: []Task{
		{Name: "get", Weight: 1, Fn: func(u *User) { u.Session.Get("/"); sent.Add(1) }},
		{Name: "fail", Weight: 1, Fn: func(u *User) { u.Session.Fail("DATA", "accounts", "no row"); sent.Add(1) }},
	}, Wait: Constant(time.Millisecond)}
	r, err := New(c, b)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	r.SetUsers(5)
	eventually(t, "records handed over while the users run", func() bool { return b.total() >= 50 })
	if recorded := b.recorder.all(); len(recorded) != 0 {
		t.Fatalf("recorded one by one: %+v; want only batches", recorded[0])
	}
	r.Stop()
	if got, want := b.total(), sent.Load(); got != want {
		t.Fatalf("%d outcomes handed over when Stop returned; want all %d", got, want)
	}
	if counts := b.counts(); counts["ok /"] == 0 || counts["fail accounts: no row"] == 0 || len(counts) != 2 {
		t.Fatalf("handed over %v; want successes of / and failures of accounts", counts)
	}
}

// stampingBatches is a BatchRecorder and a Stamper, as the worker's recorder is: requests go
// out stamped with its stamp of the moment, in the header X-Stamp.
type stampingBatches struct {
	batches
	stamp atomic.Uint64
}

func (s *stampingBatches) Stamp() (uint64, string) { return s.stamp.Load(), "X-Stamp" }

func (s *stampingBatches) RecordSuccessStamped(_ uint64, method, name string, ms, length int64) {
	s.RecordSuccess(method, name, ms, length)
}

func (s *stampingBatches) RecordFailureStamped(_ uint64, method, name string, ms int64, reason string) {
	s.RecordFailure(method, name, ms, reason)
}

// Records handed over in batches carry the stamp each request went out with (and sent in its
// header), however long they waited in an outbox; an outcome that is no request is unstamped.
func TestRuntime_records_in_batches_stamped(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	headers := map[string]int64{} // X-Stamp values the server received
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		mu.Lock()
		headers[string(ctx.Request.Header.Peek("X-Stamp"))]++
		mu.Unlock()
	}}
	go srv.Serve(ln)
	t.Cleanup(func() { _ = srv.Shutdown() })

	b := &stampingBatches{}
	b.stamp.Store(1)
	c := &Class{Host: "http://" + ln.Addr().String(), Tasks: []Task{
		{Name: "get", Weight: 1, Fn: func(u *User) { u.Session.Get("/") }},
		{Name: "fail", Weight: 1, Fn: func(u *User) { u.Session.Fail("DATA", "accounts", "no row") }},
	}, Wait: Constant(time.Millisecond)}
	r, err := New(c, b)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	r.SetUsers(3)
	eventually(t, "requests stamped 1", func() bool { return b.total() >= 20 })
	b.stamp.Store(2)
	eventually(t, "requests stamped 2", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return headers["2"] >= 10
	})
	r.Stop()

	got := map[string]int64{} // by outcome and stamp
	b.mu.Lock()
	for _, batch := range b.got {
		for _, rec := range batch {
			got[fmt.Sprintf("%s stamped=%v %d", rec.Name, rec.Stamped, rec.Stamp)] += rec.Count
		}
	}
	b.mu.Unlock()
	mu.Lock()
	want := map[string]int64{"/ stamped=true 1": headers["1"], "/ stamped=true 2": headers["2"],
		"accounts stamped=false 0": got["accounts stamped=false 0"]}
	mu.Unlock()
	if len(headers) != 2 || want["accounts stamped=false 0"] == 0 || !maps.Equal(got, want) {
		t.Fatalf("recorded %v, the server received stamps %v; want %v", got, headers, want)
	}
	if one := b.recorder.all(); len(one) != 0 {
		t.Fatalf("recorded one by one: %+v; want only batches", one[0])
	}
}

// A runtime whose recorder takes no batches records every outcome on its own, at once.
func TestRuntime_records_one_by_one(t *testing.T) {
	c := &Class{Host: serve(t), Tasks: []Task{{Name: "get", Weight: 1, Fn: func(u *User) { u.Session.Get("/") }}},
		Wait: Constant(time.Millisecond)}
	r, rec := newRuntime(t, c)
	r.SetUsers(2)
	eventually(t, "10 requests", func() bool { return len(rec.all()) >= 10 })
}

// A session sends the URL of each request, whether it is the previous one (whose parsed form
// it reuses) or another.
func TestSession_Do_urls(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		mu.Lock()
		seen = append(seen, string(ctx.Host())+" "+string(ctx.RequestURI()))
		mu.Unlock()
	}}
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Shutdown() }()
	host := "http://" + ln.Addr().String()
	s, _ := newTestSession(t, host+"/base", HTTPOptions{})
	paths := []string{"/a", "/a", "/b?x=1", "/b?x=1", "/a", "/c d", "/a#frag", "/a", host + "/abs", "/a"}
	for _, p := range paths {
		if r := s.Do(&Request{Path: p}); !r.OK() {
			t.Fatalf("%s: %s", p, r.Failure)
		}
	}
	a := ln.Addr().String()
	want := []string{a + " /base/a", a + " /base/a", a + " /base/b?x=1", a + " /base/b?x=1", a + " /base/a",
		a + " /base/c%20d", a + " /base/a", a + " /base/a", a + " /abs", a + " /base/a"}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the server saw\n%s\nwant\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
}

// Arrivals not started are recorded as one record counting them all, or one by one when the
// recorder takes no batches.
func TestRecording_notStarted(t *testing.T) {
	end := time.Unix(1000, 0)
	b := &batches{}
	o := newOutbox(b)
	recording{direct: b, out: o}.notStarted("work", "busy", 250, end)
	o.flush()
	want := []Record{{Method: ArrivalType, Name: "work", Failed: true, Failure: "busy", Unix: 1000, Count: 250}}
	if len(b.got) != 1 || !equalRecords(b.got[0], want) {
		t.Fatalf("handed over %+v; want one batch %+v", b.got, want)
	}

	rec := &recorder{}
	recording{direct: rec}.notStarted("work", "busy", 3, end)
	if got := rec.all(); len(got) != 3 || got[2] != (call{method: ArrivalType, name: "work", failure: "busy"}) {
		t.Fatalf("recorded %+v; want 3 failures ARRIVAL work: busy", got)
	}
}
