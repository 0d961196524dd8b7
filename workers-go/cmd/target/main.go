// Command target is a small HTTP server for demos, tests and benchmarks that counts every request
// it serves, so a test can compare Locust's numbers with what the server really saw. It also
// judges a user flow: a login gives a token and a session cookie, and the items of a session are
// served only to a request that carries both, from the same login.
//
//	GET  /status/503   answers 503      GET /delay/250   answers 200 after 250 ms
//	GET  /anything     answers 200
//	GET  /stall        answers 200, but waits until a stall window (POST /_stall?seconds=N) ends
//	POST /login        {"user": U, "password": "pw-"+U} -> 200 {"token": T} and Set-Cookie: sid=S;
//	                   a fresh T and S each time; a wrong password or body -> 401
//	GET  /items        with Authorization: Bearer T and cookie sid=S of the same login ->
//	                   {"items": [{"id": I1}, {"id": I2}]}, ids minted for that login only
//	GET  /items/{id}   the same, for an id of that login -> {"id": I, "name": ...}
//	                   anything missing, unknown or from another login -> 403, a refusal
//
//	GET  /redirect/N   302 to /redirect/N-1 (each hop counted); /redirect/0 answers 200
//	GET  /share/NAME?fail=20&slow=10&delay=300  fails 20 % of the route's requests (status 500, or
//	                   &status=N) and answers 10 % 300 ms late, by a rule that makes the counts exact
//	                   (share.go)
//	GET  /encoded/E    {"text": "compressed hello", ...} compressed with E (gzip, deflate, br) when
//	                   the request's Accept-Encoding names it, else plain; X-Encoded says which
//	GET  /list/N       {"items": [{"id": "i0"}, ..., {"id": "iN-1"}], "count": N}
//	ANY  /answer/L     answers as its query asks: status=N, body=TEXT (valid JSON or not),
//	                   header=Name:Value (repeatable), content_type=TYPE; counted per label L
//	GET  /app/         a small shop whose page signs in, reads items, fills a basket and follows a
//	                   redirect: a visit for a browser to record (app.go); /app/FILE its assets
//
// With --tls-cert and --tls-key it serves HTTPS (files from the certs command); with
// --tls-client-ca too, only to clients with a certificate of that CA.
//
// Not counted: GET /_counts {"GET /anything": 1, "POST /login": 2, "GET /items/{id}": 3, ...}
// (items by route), GET /_refusals {reason: count}, GET /_logins {user: count},
// POST /_stall?seconds=N opens a stall window of N seconds from now, GET /_arrivals
// {unix second: arrivals at /stall, counted as they come}, GET /_counts/resets {"N": {"GET /": 3}}
// (requests that carried X-Locust-Fleet-Reset: N, by method and path), POST /_reset zeroes the
// counts (also the shares' and the resets') and ends a stall.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"net"
	"os"

	"github.com/valyala/fasthttp"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "Address to listen on; port 0 picks a free port.")
	certFile := flag.String("tls-cert", "", "PEM server certificate: serve HTTPS (with --tls-key).")
	keyFile := flag.String("tls-key", "", "PEM private key of --tls-cert.")
	clientCA := flag.String("tls-client-ca", "", "PEM CA certificates: require a client certificate one of them signed.")
	flag.Parse()
	cfg, err := serverTLS(*certFile, *keyFile, *clientCA)
	if err != nil {
		fmt.Fprintf(os.Stderr, "target: %v\n", err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "target: --listen: %v\n", err)
		os.Exit(2)
	}
	scheme := "http"
	if cfg != nil {
		ln, scheme = tls.NewListener(ln, cfg), "https"
	}
	t := newTarget()
	// Tests read this line to learn the port.
	fmt.Printf("listening on %s://%s\n", scheme, ln.Addr())
	srv := &fasthttp.Server{Handler: newResetCounts().wrap(t.handle), Logger: quietTLS{}}
	log.Fatal(srv.Serve(ln))
}
