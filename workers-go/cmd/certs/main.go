// Command certs writes a throw-away PKI into a folder for HTTPS targets in tests, demos and
// benchmarks: ca.pem, server.pem/server.key (for 127.0.0.1, ::1, localhost and target.test),
// client.pem/client.key of that CA, and other-ca.pem with other-client.pem/other-client.key, a
// client the target must refuse. Fresh keys every time; nothing to check in.
//
//	certs DIR
package main

import (
	"fmt"
	"os"

	"locustfleet/worker/pki"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "certs: expected one argument, the folder to write the certificates into")
		os.Exit(2)
	}
	dir := os.Args[1]
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		fmt.Fprintf(os.Stderr, "certs: %q is not a folder; expected an existing folder\n", dir)
		os.Exit(2)
	}
	if err := pki.Write(dir); err != nil {
		fmt.Fprintf(os.Stderr, "certs: %v\n", err)
		os.Exit(1)
	}
}
