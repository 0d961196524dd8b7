package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `worker --check` prints the host on terminals and in CI logs: a password in it (the scenario's
// host or --target) was printed as written.
func TestDescribe_AHostsPasswordIsNotShown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(path, []byte("host: http://alice:s3cret-pw@127.0.0.1:9\ntasks:\n  - {name: home, path: /}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"", "http://bob:t4rget-pw@127.0.0.1:9"} {
		_, text, err := Describe(path, target)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(text, "s3cret-pw") || strings.Contains(text, "t4rget-pw") {
			t.Errorf("--target %q: the summary shows the password:\n%s", target, text)
		}
		want := "  host: http://alice:xxxxx@127.0.0.1:9\n"
		if target != "" {
			want = "  host: http://bob:xxxxx@127.0.0.1:9 (--target)\n"
		}
		if !strings.Contains(text, want) {
			t.Errorf("--target %q: want %q in\n%s", target, want, text)
		}
	}
}
