// Package usernumbers gets fleet-wide unique user numbers from the Locust master, so that no two
// users of a test share one whichever worker runs them. A worker asks for a block of numbers per
// spawn that adds users (a custom message, answered by the master's user_numbers module) and hands
// them to its users as they start. Numbers from a previous test are dropped at its stop: the
// master starts again from 0 for the next test.
package usernumbers

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// MessageType is the custom message both ways: {"count": n, "request": id} to the master,
// [id, start, n] back (a list: boomer takes any message whose data is a map for one of Locust's
// own and never publishes it).
const MessageType = "fleet:user_numbers"

// NoAnswer is the failure recorded each time the master leaves a request unanswered for the
// answer timeout; the request is sent again. Users wait rather than take numbers of their own:
// a duplicate would silently break unique data.
const NoAnswer = "user numbers: no answer from the master"

// Client asks the master for numbers and hands them out; it implements user.NumberSource.
type Client struct {
	send    func(data map[string]any) // a request to the master
	fail    func(reason string)       // records a failure in the test's stats
	timeout time.Duration

	mu      sync.Mutex
	nextID  int64
	pending map[int64]int // unanswered requests: id -> count
	blocks  []block       // numbers received and not handed out yet
	changed chan struct{} // closed (and replaced) when numbers arrive or on Reset
}

type block struct{ next, end int64 }

// New returns a client that sends requests with send and records unanswered ones with fail,
// resending a request after timeout without an answer.
func New(send func(data map[string]any), fail func(reason string), timeout time.Duration) *Client {
	return &Client{send: send, fail: fail, timeout: timeout, pending: map[int64]int{}, changed: make(chan struct{})}
}

// Reserve asks the master for n numbers, without blocking.
func (c *Client) Reserve(n int) {
	if n <= 0 {
		return
	}
	c.mu.Lock()
	id := c.nextID
	c.nextID++
	c.pending[id] = n
	c.mu.Unlock()
	go c.ask(id, n)
}

// ask sends request id until it is answered or dropped by Reset.
func (c *Client) ask(id int64, n int) {
	for {
		c.send(map[string]any{"count": n, "request": id})
		timer := time.NewTimer(c.timeout)
		for {
			c.mu.Lock()
			_, waiting := c.pending[id]
			changed := c.changed
			c.mu.Unlock()
			if !waiting {
				timer.Stop()
				return
			}
			select {
			case <-changed:
				continue
			case <-timer.C:
			}
			break
		}
		c.fail(NoAnswer)
	}
}

// Next returns a number no other user of the test has had, waiting for the master's answer;
// false when ctx ends first.
func (c *Client) Next(ctx context.Context) (int64, bool) {
	for {
		c.mu.Lock()
		if len(c.blocks) > 0 {
			b := &c.blocks[0]
			n := b.next
			if b.next++; b.next == b.end {
				c.blocks = c.blocks[1:]
			}
			c.mu.Unlock()
			return n, true
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return 0, false
		}
	}
}

// Receive takes the master's answer (the custom message's data). Answers to requests dropped by
// Reset, or answered already, are ignored.
func (c *Client) Receive(data any) error {
	id, start, count, err := answerOf(data)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, waiting := c.pending[id]; !waiting {
		return nil
	}
	delete(c.pending, id)
	c.blocks = append(c.blocks, block{start, start + count})
	c.wake()
	return nil
}

// Reset drops the numbers and requests of the test that stopped; users still waiting keep
// waiting for the numbers of the next Reserve.
func (c *Client) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.pending)
	c.blocks = nil
	c.wake()
}

// wake tells every waiter that something changed; the caller holds c.mu.
func (c *Client) wake() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// answerOf reads [request, start, count] as boomer decodes msgpack: integers signed or unsigned.
func answerOf(data any) (id, start, count int64, err error) {
	list, ok := data.([]any)
	if !ok || len(list) != 3 {
		return 0, 0, 0, fmt.Errorf("%s: got %T %v; expected [request, start, count]", MessageType, data, data)
	}
	var n [3]int64
	for i, v := range list {
		switch v := v.(type) {
		case int64:
			n[i] = v
		case uint64:
			n[i] = int64(v)
		default:
			return 0, 0, 0, fmt.Errorf("%s: got %v; expected [request, start, count] as integers", MessageType, data)
		}
	}
	if n[1] < 0 || n[2] <= 0 {
		return 0, 0, 0, fmt.Errorf("%s: got start %d and count %d; expected start >= 0 and count > 0", MessageType, n[1], n[2])
	}
	return n[0], n[1], n[2], nil
}
