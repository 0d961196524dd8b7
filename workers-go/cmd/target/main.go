// Command target is a small HTTP server for demos and tests that counts every request it serves,
// so a test can compare Locust's numbers with what the server really saw.
//
//	GET  /status/503   answers 503      GET /delay/250   answers 200 after 250 ms
//	GET  /anything     answers 200      GET /_counts     {"GET /anything": 1, ...} (not counted)
//	POST /_reset       zeroes the counts (not counted)
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

type counter struct {
	mu     sync.Mutex
	counts map[string]int64
}

func (c *counter) add(key string) {
	c.mu.Lock()
	c.counts[key]++
	c.mu.Unlock()
}

func (c *counter) snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.counts))
	for k, v := range c.counts {
		out[k] = v
	}
	return out
}

func (c *counter) reset() {
	c.mu.Lock()
	c.counts = map[string]int64{}
	c.mu.Unlock()
}

func (c *counter) handle(ctx *fasthttp.RequestCtx) {
	path := string(ctx.Path())
	switch path {
	case "/_counts":
		body, _ := json.Marshal(c.snapshot())
		ctx.SetContentType("application/json")
		ctx.SetBody(body)
		return
	case "/_reset":
		c.reset()
		return
	}
	status := fasthttp.StatusOK
	if code, ok := strings.CutPrefix(path, "/status/"); ok {
		if n, err := strconv.Atoi(code); err == nil && n >= 100 && n <= 599 {
			status = n
		}
	}
	if ms, ok := strings.CutPrefix(path, "/delay/"); ok {
		if n, err := strconv.Atoi(ms); err == nil && n > 0 {
			time.Sleep(time.Duration(n) * time.Millisecond)
		}
	}
	c.add(string(ctx.Method()) + " " + path)
	ctx.SetStatusCode(status)
	ctx.SetBodyString("ok\n")
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "Address to listen on; port 0 picks a free port.")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "target: --listen: %v\n", err)
		os.Exit(2)
	}
	c := &counter{counts: map[string]int64{}}
	// Tests read this line to learn the port.
	fmt.Printf("listening on http://%s\n", ln.Addr())
	log.Fatal(fasthttp.Serve(ln, c.handle))
}
