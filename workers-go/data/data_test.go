package data

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func write(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadCSV(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, content string
		columns       []string
		rows          [][]string
	}{
		{"header and rows", "user,password\nu1,p1\nu2,p2\n", []string{"user", "password"}, [][]string{{"u1", "p1"}, {"u2", "p2"}}},
		{"quoted fields", "user,note\nu1,\"a, b\"\n", []string{"user", "note"}, [][]string{{"u1", "a, b"}}},
		{"no final newline", "a\n1", []string{"a"}, [][]string{{"1"}}},
		{"header names trimmed", " a , b\n1,2\n", []string{"a", "b"}, [][]string{{"1", "2"}}},
		{"byte order mark (Excel's CSV UTF-8)", "\xef\xbb\xbfuser,pw\r\nu1,p1\r\n", []string{"user", "pw"}, [][]string{{"u1", "p1"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ReadCSV(write(t, "a.csv", tc.content), "a.csv")
			if err != nil {
				t.Fatalf("ReadCSV: %v", err)
			}
			if !reflect.DeepEqual(got.Columns, tc.columns) || !reflect.DeepEqual(got.Rows, tc.rows) {
				t.Errorf("got %v %v, want %v %v", got.Columns, got.Rows, tc.columns, tc.rows)
			}
		})
	}
}

func TestReadCSV_Errors(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, content, want string }{
		{"empty file", "", "a.csv: empty file; expected rows of data"},
		{"blank file", "\n \n", "a.csv: empty file; expected rows of data"},
		{"header only", "user,password\n", "a.csv: no rows after the header; expected at least one"},
		{"too few fields", "user,password\nu1,p1\nu2\n", "a.csv: line 3: 1 fields; expected 2 (user, password)"},
		{"too many fields", "user,password\nu1,p1,x\n", "a.csv: line 2: 3 fields; expected 2 (user, password)"},
		{"unnamed column", "user,\nu1,p1\n", "a.csv: line 1: column 2 has no name; expected a header row naming every column"},
		{"column twice", "user,user\nu1,p1\n", `a.csv: line 1: column "user" named twice; expected distinct column names`},
		{"bad quoting", "user\n\"u1\n", `a.csv: line 2: extraneous or missing " in quoted-field; expected CSV with a header row`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadCSV(write(t, "a.csv", tc.content), "a.csv")
			if err == nil || err.Error() != tc.want {
				t.Errorf("got %v\nwant %q", err, tc.want)
			}
		})
	}
}

func TestReadJSONL(t *testing.T) {
	t.Parallel()
	content := `{"user": "u1", "age": 30, "admin": true}

{"user": "u2", "tags": ["a", "b"], "nothing": null}
`
	got, err := ReadJSONL(write(t, "a.jsonl", content), "a.jsonl")
	if err != nil {
		t.Fatalf("ReadJSONL: %v", err)
	}
	wantCols := []string{"user", "age", "admin", "tags", "nothing"}
	wantRows := [][]string{{"u1", "30", "true", "", ""}, {"u2", "", "", `["a","b"]`, ""}}
	if !reflect.DeepEqual(got.Columns, wantCols) || !reflect.DeepEqual(got.Rows, wantRows) {
		t.Errorf("got %q %q\nwant %q %q", got.Columns, got.Rows, wantCols, wantRows)
	}
}

// A byte order mark before the first object is not part of it.
func TestReadJSONL_ByteOrderMark(t *testing.T) {
	t.Parallel()
	got, err := ReadJSONL(write(t, "a.jsonl", "\xef\xbb\xbf{\"user\": \"u1\"}\n"), "a.jsonl")
	if err != nil {
		t.Fatalf("ReadJSONL: %v", err)
	}
	if !reflect.DeepEqual(got.Columns, []string{"user"}) || !reflect.DeepEqual(got.Rows, [][]string{{"u1"}}) {
		t.Errorf("got %q %q, want [user] [[u1]]", got.Columns, got.Rows)
	}
}

func TestReadJSONL_Errors(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, content, want string }{
		{"empty file", "", "a.jsonl: empty file; expected rows of data"},
		{"a list", "{\"a\": 1}\n[1, 2]\n", `a.jsonl: line 2: not a JSON object; expected one object per line, e.g. {"user": "u1"}`},
		{"a string", "\"x\"\n", `a.jsonl: line 1: not a JSON object; expected one object per line, e.g. {"user": "u1"}`},
		{"broken JSON", "{\"a\": 1}\n\n{\"a\": \n", `a.jsonl: line 3: not a JSON object; expected one object per line, e.g. {"user": "u1"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadJSONL(write(t, "a.jsonl", tc.content), "a.jsonl")
			if err == nil || err.Error() != tc.want {
				t.Errorf("got %v\nwant %q", err, tc.want)
			}
		})
	}
}

func TestRead_MissingFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "none.csv")
	for name, read := range map[string]func(string, string) (*Table, error){"csv": ReadCSV, "jsonl": ReadJSONL} {
		_, err := read(path, "none.csv")
		if want := "none.csv: cannot read: no such file or directory"; err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %q", name, err, want)
		}
	}
}

func TestTable_Pick(t *testing.T) {
	t.Parallel()
	table := &Table{Rows: [][]string{{"a"}, {"b"}, {"c"}}}
	cases := []struct {
		name string
		mode Mode
		n    int64
		row  int
		ok   bool
	}{
		{"cycle first", Cycle, 0, 0, true},
		{"cycle wraps", Cycle, 4, 1, true},
		{"unique", Unique, 2, 2, true},
		{"unique beyond the rows", Unique, 3, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			row, ok := table.Pick(tc.mode, tc.n, nil)
			if row != tc.row || ok != tc.ok {
				t.Errorf("got (%d, %v), want (%d, %v)", row, ok, tc.row, tc.ok)
			}
		})
	}
	t.Run("random covers every row", func(t *testing.T) {
		t.Parallel()
		rnd := rand.New(rand.NewPCG(1, 2))
		seen := map[int]bool{}
		for range 100 {
			row, ok := table.Pick(Random, 0, rnd)
			if !ok || row < 0 || row > 2 {
				t.Fatalf("got (%d, %v), want a row in [0, 2]", row, ok)
			}
			seen[row] = true
		}
		if len(seen) != 3 {
			t.Errorf("100 draws reached rows %v, want all 3", seen)
		}
	})
}

func TestTable_Column(t *testing.T) {
	t.Parallel()
	table := &Table{Columns: []string{"user", "password"}}
	if got := table.Column("password"); got != 1 {
		t.Errorf("password: got %d, want 1", got)
	}
	if got := table.Column("email"); got != -1 {
		t.Errorf("email: got %d, want -1", got)
	}
}
