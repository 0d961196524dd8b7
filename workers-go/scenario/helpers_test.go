package scenario

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"locustfleet/worker/user"
)

// files writes name -> content into a new folder and returns it.
func files(t testing.TB, contents map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range contents {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// compileDoc compiles doc with its data files, failing the test on an error.
func compileDoc(t testing.TB, doc string, dataFiles map[string]string) *program {
	t.Helper()
	p, _, _, err := parse([]byte(doc), files(t, dataFiles), "")
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return p
}

// newUser is a user as the runtime would hand it to tasks, without a session: tests render
// requests and run checks on responses they make up.
func newUser(number int64, vars map[string]string) *user.User {
	if vars == nil {
		vars = map[string]string{}
	}
	return &user.User{Number: number, Rand: rand.New(rand.NewPCG(uint64(number), 7)), Vars: vars}
}

// stepNamed finds a compiled request step by its stats name.
func stepNamed(t testing.TB, p *program, name string) *step {
	t.Helper()
	for _, s := range p.steps {
		if s.name == name && s.think == 0 {
			return s
		}
	}
	t.Fatalf("no step named %q", name)
	return nil
}

// newRuntime parses doc against host (files relative to dir) and makes a runtime of it that
// records into the returned recorder, failing the test on an error.
func newRuntime(t testing.TB, doc, dir, host string) (*user.Runtime, *recorder) {
	t.Helper()
	class, err := Parse([]byte(doc), dir, host)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	rt, err := user.New(class, rec)
	if err != nil {
		t.Fatal(err)
	}
	return rt, rec
}
