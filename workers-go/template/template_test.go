package template

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"testing"

	"locustfleet/worker/urlesc"
)

// vars is the test context: a map of variable values.
type vars map[string]string

func resolve(name string) (Lookup[vars], error) {
	if name == "unknown" || name == "nope" {
		return nil, fmt.Errorf("%s is not defined", name)
	}
	return func(v vars, dst []byte) []byte { return append(dst, v[name]...) }, nil
}

// compile builds a template without escaping.
func compile(s string) (*Template[vars], error) {
	var b Builder[vars]
	if err := b.Parse(s, resolve, nil); err != nil {
		return nil, err
	}
	return b.Template(), nil
}

func TestParse(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in string
		want     []Part
		err      string
	}{
		{"empty", "", nil, ""},
		{"literal only", "/items", []Part{{Text: "/items"}}, ""},
		{"variable only", "{{ item }}", []Part{{Text: "item", Var: true}}, ""},
		{"no spaces", "{{item}}", []Part{{Text: "item", Var: true}}, ""},
		{"literal and variable", "/items/{{ item }}/x", []Part{{Text: "/items/"}, {Text: "item", Var: true}, {Text: "/x"}}, ""},
		{"adjacent variables", "{{ a }}{{ b }}", []Part{{Text: "a", Var: true}, {Text: "b", Var: true}}, ""},
		{"dotted and call names", "{{ accounts.user }}-{{ random(1, 9) }}",
			[]Part{{Text: "accounts.user", Var: true}, {Text: "-"}, {Text: "random(1, 9)", Var: true}}, ""},
		{"lone closing braces are literal", "a}}b", []Part{{Text: "a}}b"}}, ""},
		{"unclosed", "/items/{{ item", nil, `"{{" at offset 7 has no closing "}}"`},
		{"unclosed after a variable", "{{ a }}/{{ b", nil, `"{{" at offset 8 has no closing "}}"`},
		{"empty name", "/a/{{ }}", nil, `empty "{{ }}" at offset 3; expected a variable name`},
		{"empty name no space", "{{}}", nil, `empty "{{ }}" at offset 0; expected a variable name`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tc.in)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("got error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestBuilder_Parse(t *testing.T) {
	t.Parallel()
	v := vars{"a": "1", "b": "two", "item": "42"}
	cases := []struct {
		name, in, want string
		static         bool
	}{
		{"literal only", "/items", "/items", true},
		{"empty", "", "", true},
		{"variable", "/items/{{ item }}", "/items/42", false},
		{"adjacent variables", "{{a}}{{ b }}", "1two", false},
		{"unset variable renders empty", "x{{ c }}y", "xy", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tpl, err := compile(tc.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := string(tpl.Append([]byte(">"), v)); got != ">"+tc.want {
				t.Errorf("Append: got %q, want %q", got, ">"+tc.want)
			}
			text, static := tpl.Static()
			if static != tc.static || (static && text != tc.want) {
				t.Errorf("Static: got (%q, %v), want (%q, %v)", text, static, tc.want, tc.static)
			}
		})
	}
}

func TestBuilder_ParseErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, in, want string }{
		{"unknown name", "/{{ unknown }}", "unknown is not defined"},
		{"every unknown name", "/{{ unknown }}/{{ a }}/{{ nope }}", "unknown is not defined\nnope is not defined"},
		{"syntax before names", "/{{ unknown }}/{{", `"{{" at offset 15 has no closing "}}"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := compile(tc.in)
			if err == nil || err.Error() != tc.want {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestBuilder_ParseJoinsErrors(t *testing.T) {
	t.Parallel()
	_, err := compile("{{ unknown }}{{ nope }}")
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) != 2 {
		t.Errorf("got %v, want two joined errors", err)
	}
}

func TestBuilder_MergesLiterals(t *testing.T) {
	t.Parallel()
	var b Builder[vars]
	b.Literal(`{"a":`)
	b.Literal(`1}`)
	tpl := b.Template()
	if text, static := tpl.Static(); !static || text != `{"a":1}` {
		t.Errorf("got %q static=%v, want one static literal", text, static)
	}
}

func TestBuilder_ParseEscapes(t *testing.T) {
	t.Parallel()
	var b Builder[vars]
	b.Literal(`{"q":"`)
	if err := b.Parse(`say "{{ a }}"`, resolve, AppendJSONString); err != nil {
		t.Fatal(err)
	}
	b.Literal(`"}`)
	got := string(b.Template().Append(nil, vars{"a": `x"y`}))
	if want := `{"q":"say \"x\"y\""}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestEscaped(t *testing.T) {
	t.Parallel()
	long := string(make([]byte, 300))
	cases := []struct {
		name, value, json, query string
	}{
		{"plain", "abc", "abc", "abc"},
		{"quotes and backslash", `a"b\c`, `a\"b\\c`, "a%22b%5Cc"},
		{"control characters", "a\nb\tc\x01", `a\nb\tc\u0001`, "a%0Ab%09c%01"},
		{"space and reserved", "a b&c=d/é", "a b&c=d/é", url.QueryEscape("a b&c=d/é")},
		{"longer than the stack buffer", long, string(AppendJSONString(nil, []byte(long))), url.QueryEscape(long)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fn := func(v vars, dst []byte) []byte { return append(dst, v["x"]...) }
			v := vars{"x": tc.value}
			if got := string(Escaped(fn, AppendJSONString)(v, []byte("p:"))); got != "p:"+tc.json {
				t.Errorf("json: got %q, want %q", got, "p:"+tc.json)
			}
			if got := string(Escaped(fn, urlesc.AppendQuery)(v, []byte("p:"))); got != "p:"+tc.query {
				t.Errorf("query: got %q, want %q", got, "p:"+tc.query)
			}
		})
	}
}

func BenchmarkTemplate_Append(b *testing.B) {
	v := vars{"item": strconv.Itoa(12345), "token": "abcdefghijklmnop"}
	for _, bc := range []struct{ name, in string }{
		{"static", "/items/all"},
		{"one variable", "/items/{{ item }}"},
		{"three variables", "Bearer {{ token }}/{{ item }}/{{ item }}"},
	} {
		tpl, err := compile(bc.in)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			buf := make([]byte, 0, 256)
			b.ReportAllocs()
			for b.Loop() {
				buf = tpl.Append(buf[:0], v)
			}
		})
	}
}
