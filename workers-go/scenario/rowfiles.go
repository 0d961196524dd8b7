package scenario

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"locustfleet/worker/template"
	"locustfleet/worker/user"
)

// A multipart file: path, or a body_file: path, may name a data file's columns
// (files/{{ accounts.user }}.pdf): each
// user uploads the file of its own row, as a test of a document store or an avatar upload needs
// (a file of one user sent by every user is a duplicate the server may refuse or deduplicate). It
// was read as written, braces and all, and refused as unreadable. Files are read at load time, as
// every file: one per row, each path read once; a row whose file cannot be read is a load-time
// error. At request time the user's row picks the bytes: no rendering, no allocation.

// rowFiles are the files of a file: path template, by row of its data.
type rowFiles struct {
	src   int      // the data whose row picks the file
	files [][]byte // by row
	names [][]byte // by row: the file's base name quoted as a filename parameter, the part's default filename
}

func (r *rowFiles) row(u *user.User) int { return u.State.(*userState).rows[r.src] }

// readRowFiles reads the files a file: (or body_file:) path template names, one per row of the one data file
// whose columns it holds (environment variables are allowed too: constant).
func (c *compiler) readRowFiles(n *yaml.Node, field, path string) (*rowFiles, bool) {
	parts, err := template.Parse(path)
	if err != nil {
		c.errorf(n.Line, field, "%q: %v", path, err)
		return nil, false
	}
	rf := &rowFiles{src: -1}
	type piece struct {
		text string
		col  int // -1: text
	}
	var pieces []piece
	for _, p := range parts {
		if !p.Var {
			pieces = append(pieces, piece{p.Text, -1})
			continue
		}
		if text, ok, err := c.constant(p.Text); ok {
			if err != nil {
				c.errorf(n.Line, field, "%v", err)
				return nil, false
			}
			pieces = append(pieces, piece{text, -1})
			continue
		}
		src, col, _ := strings.Cut(p.Text, ".")
		i, isData := c.byName[src]
		if c.failed[src] {
			return nil, false
		}
		if !isData || strings.ContainsAny(p.Text, "|( ") {
			c.errorf(n.Line, field, "{{ %s }} in a file path; expected data columns (e.g. {{ %s }}) and environment variables only: the files are read when the scenario is loaded, one per row of the data", p.Text, c.exampleColumn())
			return nil, false
		}
		if rf.src >= 0 && rf.src != i {
			c.errorf(n.Line, field, "{{ %s }}: the path names the columns of %s and %s; expected the columns of one data file, whose row picks the file", p.Text, c.sources[rf.src].name, src)
			return nil, false
		}
		rf.src = i
		ci := c.sources[i].table.Column(col)
		if ci < 0 {
			t := c.sources[i].table
			c.errorf(n.Line, field, "{{ %s }}: %s has no column %q; expected one of %s", p.Text, t.File, col, strings.Join(t.Columns, ", "))
			return nil, false
		}
		pieces = append(pieces, piece{"", ci})
	}
	if rf.src < 0 {
		c.errorf(n.Line, field, "%q names no data column; expected a path with {{ DATA.COLUMN }}, or one without braces", path)
		return nil, false
	}
	table := c.sources[rf.src].table
	read := map[string][]byte{}
	var missing []string
	var firstErr error
	for r, row := range table.Rows {
		var b strings.Builder
		for _, p := range pieces {
			if p.col < 0 {
				b.WriteString(p.text)
			} else {
				b.WriteString(row[p.col])
			}
		}
		file := b.String()
		content, done := read[file]
		if !done {
			if content, err = os.ReadFile(c.path(file)); err != nil {
				var pathErr *os.PathError
				if errors.As(err, &pathErr) {
					err = pathErr.Err
				}
				if firstErr == nil {
					firstErr = err
				}
				missing = append(missing, fmt.Sprintf("%q (row %d)", file, r+1))
			}
			read[file] = content
		}
		rf.files = append(rf.files, content)
		rf.names = append(rf.names, appendQuotedParam(nil, []byte(filepath.Base(file))))
	}
	if len(missing) > 0 {
		more := ""
		if len(missing) > 3 {
			more = fmt.Sprintf(" and %d more", len(missing)-3)
			missing = missing[:3]
		}
		c.errorf(n.Line, field, "%s: cannot read %s%s: %v; expected a readable file for every row of %s, relative to the scenario's folder",
			path, strings.Join(missing, ", "), more, firstErr, table.File)
		return nil, false
	}
	return rf, true
}

// exampleColumn is a data column to show in a message: the first of the first data file.
func (c *compiler) exampleColumn() string {
	if len(c.sources) == 0 || len(c.sources[0].table.Columns) == 0 {
		return "accounts.user"
	}
	return c.sources[0].name + "." + c.sources[0].table.Columns[0]
}
