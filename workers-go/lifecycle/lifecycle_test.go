package lifecycle

import (
	"bytes"
	"testing"
)

// boomer's log lines name the guard relay's address as the master's; the writer puts the
// master's address in its place and leaves other lines alone.
func TestRelayNamer_Write(t *testing.T) {
	cases := []struct {
		name, line, want string
	}{
		{"boomer's connect line", "Boomer is connected to master(tcp://127.0.0.1:40123) press Ctrl+c to quit.\n",
			"Boomer is connected to master(tcp://10.0.0.5:5557) press Ctrl+c to quit.\n"},
		{"another port", "worker: target http://127.0.0.1:40124\n", "worker: target http://127.0.0.1:40124\n"},
		{"no address", "worker: will run tasks \"/\"\n", "worker: will run tasks \"/\"\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			w := &relayNamer{out: &out, relay: []byte("tcp://127.0.0.1:40123"), master: []byte("tcp://10.0.0.5:5557")}
			n, err := w.Write([]byte(c.line))
			if err != nil || n != len(c.line) {
				t.Fatalf("Write returned %d, %v; want %d, nil", n, err, len(c.line))
			}
			if got := out.String(); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}
