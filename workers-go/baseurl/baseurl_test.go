package baseurl

import "testing"

func TestCheck(t *testing.T) {
	t.Parallel()
	cases := []struct{ raw, want, err string }{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", ""},
		{"https://api.example.com/v2/", "https://api.example.com/v2", ""},
		{"HTTP://127.0.0.1:8080", "http://127.0.0.1:8080", ""}, // a scheme is case-insensitive: sent as http
		{"Https://a/v1/", "https://a/v1", ""},
		{"http://[::1]:8080", "http://[::1]:8080", ""},
		{"http://u:pw@a:65535", "http://u:pw@a:65535", ""},
		{"", "", `--target: empty; expected an http(s) base URL such as http://127.0.0.1:8080`},
		{"127.0.0.1:8080", "", `--target: "127.0.0.1:8080" is not an http(s) URL; expected e.g. http://127.0.0.1:8080`},
		{"ftp://u:secret@a", "", `--target: "ftp://u:xxxxx@a" is not an http(s) URL; expected e.g. http://127.0.0.1:8080`},
		{"http://:8080", "", `--target: "http://:8080" is not an http(s) URL; expected e.g. http://127.0.0.1:8080`},
		{"http://u:secret@:8080", "", `--target: "http://u:xxxxx@:8080" is not an http(s) URL; expected e.g. http://127.0.0.1:8080`},
		{"http://127.0.0.1:80800", "", `--target: "http://127.0.0.1:80800": port 80800 is out of range; expected a port from 1 to 65535`},
		{"http://127.0.0.1:0", "", `--target: "http://127.0.0.1:0": port 0 is out of range; expected a port from 1 to 65535`},
		{"http://127.0.0.1:", "", `--target: "http://127.0.0.1:": the port is empty; expected a port from 1 to 65535 after the ":", or no ":"`},
		{"http://bücher.example", "", `--target: "http://bücher.example": the host name is not ASCII; expected it in ASCII (IDNA, xn--...)`},
		{"http://a/?x=1", "", `--target: "http://a/?x=1" has a query or fragment; expected a base URL`},
		{"http://a?", "", `--target: "http://a?" has a query or fragment; expected a base URL`},
		{"http://a#", "", `--target: "http://a#" has a query or fragment; expected a base URL`},
		{"http://a/#top", "", `--target: "http://a/#top" has a query or fragment; expected a base URL`},
	}
	for _, c := range cases {
		got, err := Check("--target", c.raw)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("Check(%q): %v", c.raw, err)
		case c.err != "" && (err == nil || err.Error() != c.err):
			t.Errorf("Check(%q): got error %v; want %s", c.raw, err, c.err)
		case got != c.want:
			t.Errorf("Check(%q) = %q; want %q", c.raw, got, c.want)
		}
	}
}
