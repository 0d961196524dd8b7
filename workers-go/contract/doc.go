// Package contract holds the Go side of the wire-contract tests: it decodes the golden vectors
// that py_bridge generates from Locust with the codec settings boomer uses.
package contract
