package scenario

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"strings"
	"testing"
)

// A multipart file: path naming a data column uploads each user's own file, named after it; it
// was refused at load ("cannot read \"{{ accounts.user }}.log\"").
func TestStep_Request_AFileOfTheUsersRow(t *testing.T) {
	p := compileDoc(t, `host: http://a
data:
  accounts: {csv: accounts.csv, mode: unique}
tasks:
  - name: up
    method: POST
    path: /up
    multipart:
      file: {file: "{{ accounts.user }}.log", content_type: text/plain}
      named: {file: "{{ accounts.user }}.log", filename: "report-{{ accounts.user }}.txt"}
`, map[string]string{"accounts.csv": "user\nann\nbob\nann\n", "ann.log": "ann's log", "bob.log": "bob's\r\nlog"})
	for number, want := range map[int64]string{0: "ann", 1: "bob", 2: "ann"} {
		u := newUser(number, nil)
		p.pick(u)
		req := stepNamed(t, p, "up").request(u, p.state(u))
		_, params, _ := mime.ParseMediaType(headerValue(req.Headers, "Content-Type"))
		r := multipart.NewReader(bytes.NewReader(req.Body), params["boundary"])
		var got []string
		for {
			part, err := r.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("user %d: %v in %q", number, err, req.Body)
			}
			content, _ := io.ReadAll(part)
			got = append(got, part.FormName()+"|"+part.FileName()+"|"+part.Header.Get("Content-Type")+"|"+string(content))
		}
		content := map[string]string{"ann": "ann's log", "bob": "bob's\r\nlog"}[want]
		wanted := []string{"file|" + want + ".log|text/plain|" + content, "named|report-" + want + ".txt|application/octet-stream|" + content}
		if strings.Join(got, "\n") != strings.Join(wanted, "\n") {
			t.Errorf("user %d: parts %q; want %q", number, got, wanted)
		}
	}
}

func TestParse_AFilePathOfDataColumnsIsCheckedAtLoad(t *testing.T) {
	data := map[string]string{"accounts.csv": "user,team\nann,a\nbob,b\ncy,c\ndi,d\neve,e\n", "teams.csv": "name\nx\n", "ann.log": "x"}
	for file, want := range map[string]string{
		`"{{ accounts.user }}.log"`:              `tasks[0].multipart.f.file: {{ accounts.user }}.log: cannot read "bob.log" (row 2), "cy.log" (row 3), "di.log" (row 4) and 1 more: no such file or directory; expected a readable file for every row of accounts.csv, relative to the scenario's folder`,
		`"{{ accounts.nope }}.log"`:              `{{ accounts.nope }}: accounts.csv has no column "nope"; expected one of user, team`,
		`"{{ uuid }}.log"`:                       `tasks[0].multipart.f.file: {{ uuid }} in a file path; expected data columns (e.g. {{ accounts.user }}) and environment variables only: the files are read when the scenario is loaded, one per row of the data`,
		`"{{ accounts.user }}/{{ teams.name }}"`: `{{ teams.name }}: the path names the columns of accounts and teams; expected the columns of one data file, whose row picks the file`,
	} {
		doc := "host: http://a\ndata:\n  accounts: {csv: accounts.csv}\n  teams: {csv: teams.csv}\ntasks:\n  - {method: POST, path: /up, multipart: {f: {file: " + file + "}}}\n"
		_, _, _, err := parse([]byte(doc), files(t, data), "")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("file: %s: got %v; want an error with %q", file, err, want)
		}
	}
}

// body_file: takes a path of data columns too: each user PUTs the file of its row.
func TestStep_Request_ABodyFileOfTheUsersRow(t *testing.T) {
	p := compileDoc(t, `host: http://a
data:
  accounts: {csv: accounts.csv}
tasks:
  - {name: put, method: PUT, path: /doc, body_file: "{{ accounts.user }}.xml", headers: {Content-Type: application/xml}}
`, map[string]string{"accounts.csv": "user\nann\nbob\n", "ann.xml": "<a/>", "bob.xml": "<b/>"})
	for number, want := range map[int64]string{0: "<a/>", 1: "<b/>", 2: "<a/>"} {
		u := newUser(number, nil)
		p.pick(u)
		if req := stepNamed(t, p, "put").request(u, p.state(u)); string(req.Body) != want {
			t.Errorf("user %d: body %q; want %q", number, req.Body, want)
		}
	}
}
