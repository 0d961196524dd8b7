// Package data reads the rows a scenario's users draw their values from (accounts, search
// terms...): a CSV file whose header row names the columns, or JSON lines whose keys are the
// columns. A file is read once and then shared, read-only, by every user.
package data

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
)

// Table is a file's rows, each with one value per column.
type Table struct {
	File    string // as the scenario named it, for messages
	Columns []string
	Rows    [][]string
}

// Column returns the index of a column, or -1.
func (t *Table) Column(name string) int {
	return slices.Index(t.Columns, name)
}

// ReadCSV reads a CSV file: the first row names the columns, every other row gives one value
// per column. name is how messages call the file.
func ReadCSV(path, name string) (*Table, error) {
	raw, err := readFile(path, name)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader(raw))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, csvError(name, err)
	}
	t := &Table{File: name}
	for i, col := range header {
		col = strings.TrimSpace(col)
		if col == "" {
			return nil, fmt.Errorf("%s: line 1: column %d has no name; expected a header row naming every column", name, i+1)
		}
		if slices.Contains(t.Columns, col) {
			return nil, fmt.Errorf("%s: line 1: column %q named twice; expected distinct column names", name, col)
		}
		t.Columns = append(t.Columns, col)
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		if len(rec) != len(t.Columns) {
			line, _ := r.FieldPos(0)
			return nil, fmt.Errorf("%s: line %d: %d fields; expected %d (%s)", name, line, len(rec), len(t.Columns), strings.Join(t.Columns, ", "))
		}
		t.Rows = append(t.Rows, rec)
	}
	if len(t.Rows) == 0 {
		return nil, fmt.Errorf("%s: no rows after the header; expected at least one", name)
	}
	return t, nil
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: line %d: %v; expected CSV with a header row", name, pe.Line, pe.Err)
	}
	return fmt.Errorf("%s: %v", name, err)
}

// ReadJSONL reads JSON lines: each non-blank line is an object whose keys are columns. Strings
// are taken as they are, other values as their JSON text; a key a line lacks is empty there.
func ReadJSONL(path, name string) (*Table, error) {
	raw, err := readFile(path, name)
	if err != nil {
		return nil, err
	}
	t := &Table{File: name}
	var objects []map[string]json.RawMessage
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, len(raw)+1)
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var obj map[string]json.RawMessage
		if text[0] != '{' || json.Unmarshal(text, &obj) != nil {
			return nil, fmt.Errorf("%s: line %d: not a JSON object; expected one object per line, e.g. {\"user\": \"u1\"}", name, line)
		}
		// Columns keep the order of first appearance, as written in the file.
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.Token()
		for dec.More() {
			tok, _ := dec.Token()
			key := tok.(string)
			var skip json.RawMessage
			dec.Decode(&skip)
			if !slices.Contains(t.Columns, key) {
				t.Columns = append(t.Columns, key)
			}
		}
		objects = append(objects, obj)
	}
	if len(objects) == 0 {
		return nil, fmt.Errorf("%s: no lines; expected one JSON object per line", name)
	}
	for _, obj := range objects {
		row := make([]string, len(t.Columns))
		for i, col := range t.Columns {
			v, ok := obj[col]
			if !ok {
				continue
			}
			var s string
			if json.Unmarshal(v, &s) == nil {
				row[i] = s
			} else if string(v) != "null" {
				var compact bytes.Buffer
				json.Compact(&compact, v)
				row[i] = compact.String()
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

func readFile(path, name string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: cannot read: %v", name, err)
	}
	// Excel's "CSV UTF-8" and Windows editors start the file with a byte order mark; left in, it
	// would be part of the first column's name (or make the first JSON line not an object).
	raw = bytes.TrimPrefix(raw, utf8BOM)
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, fmt.Errorf("%s: empty file; expected rows of data", name)
	}
	return raw, nil
}

var utf8BOM = []byte("\xef\xbb\xbf")

// Mode is how a user is given its row.
type Mode int

const (
	Cycle  Mode = iota // row = user number mod rows: users share rows when there are more users
	Unique             // row = user number: one row per user fleet-wide, no sharing
	Random             // a random row, drawn once per user
)

// Modes names the modes as a scenario writes them.
var Modes = map[string]Mode{"cycle": Cycle, "unique": Unique, "random": Random}

// Pick returns the row of user number n, drawn once for the user's life. With Unique, a user
// beyond the rows gets ok false.
func (t *Table) Pick(mode Mode, n int64, rnd *rand.Rand) (row int, ok bool) {
	rows := int64(len(t.Rows))
	switch mode {
	case Unique:
		if n < 0 || n >= rows {
			return 0, false
		}
		return int(n), true
	case Random:
		return int(rnd.Int64N(rows)), true
	}
	return int(((n % rows) + rows) % rows), true
}
