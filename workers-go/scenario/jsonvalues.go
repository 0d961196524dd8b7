package scenario

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// A number in a json: body is sent as it is written: JSON has one spelling of a number, and a
// server may tell 1.0 (a float) from 1 (an int), as Python's json does. YAML has others, which
// JSON has not (0x1F, 0o17, 017 read as octal 15, 1_000, +1, .5, 1.): decoded and re-encoded,
// they were sent as another text (31, 15, 1000), a surprise for 017 above all; they are refused
// with the JSON spelling to write instead. A number beyond a 64-bit float (1e400), which YAML
// reads as text and so was sent as the string "1e400", is refused too: JSON parsers read it as
// infinity or fail. A check's expected value follows the same rule: "equals: 017" was the
// number 15, and failed on a header "017" with the words "equals 017: got \"017\"".

// yamlFloat is YAML's syntax of a plain float (as the YAML library reads one).
var yamlFloat = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

// jsonNumberText returns the JSON text of a scalar YAML reads as a number (or one written as a
// number too big for YAML to read as one): what was written, when JSON can hold it. isNumber is
// false for any other scalar. quoted says, in an error, what quoting the value would do.
func jsonNumberText(n *yaml.Node, quoted string) (text string, isNumber bool, err error) {
	plain := n.Style&^yaml.FlowStyle == 0 // not quoted, not tagged: YAML chose its type
	switch {
	case n.Tag == "!!int" || n.Tag == "!!float":
	case n.Tag == "!!str" && plain && yamlFloat.MatchString(n.Value):
	default:
		return "", false, nil
	}
	var v any
	if err := n.Decode(&v); n.Tag != "!!str" && (err != nil || !jsonable(v)) {
		return "", true, fmt.Errorf("%s; expected a value JSON can hold (not .inf or .nan)", describe(n))
	}
	if !validNumber([]byte(n.Value)) {
		spelled, _ := json.Marshal(v)
		return "", true, fmt.Errorf("%s, a number in a spelling of YAML's that JSON has not; expected it as JSON writes it (%s), or quoted (\"%s\") %s", describe(n), spelled, n.Value, quoted)
	}
	if strings.ContainsAny(n.Value, ".eE") {
		if _, err := strconv.ParseFloat(n.Value, 64); errors.Is(err, strconv.ErrRange) {
			return "", true, fmt.Errorf("%s, beyond what a 64-bit float holds (about ±1.8e308), which JSON parsers read as infinity or refuse; expected a smaller number, or quoted (\"%s\") %s", describe(n), n.Value, quoted)
		}
	}
	// A whole number keeps its digits however long (as Python's json sends them).
	return n.Value, true, nil
}

// jsonable reports whether json.Marshal can encode v (it refuses infinities and NaN).
func jsonable(v any) bool {
	_, err := json.Marshal(v)
	return err == nil
}
