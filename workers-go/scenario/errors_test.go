package scenario

import (
	"testing"

	"locustfleet/worker/headername"
)

func TestParse_Errors(t *testing.T) {
	t.Parallel()
	const h = "host: http://a\n"
	const builtins = "a built-in (user_id, iteration, random(a, b), uuid, random_string(n), now_unix, now_ms, now_iso, env.NAME)"
	cases := []struct {
		name, doc, target, want string
	}{
		// The document and host.
		{"broken yaml", "host: [\n", "", "not valid YAML or JSON: line 2: did not find expected node content"},
		// yaml.v3 counts a parser error's line from 0: this was "line 3"
		{"flow mapping with an unquoted [", "host: http://a\ntasks:\n  - path: /\n  - {path: /, check: [{json: $.a[0]}]}\n", "",
			`not valid YAML or JSON: line 4: did not find expected ',' or '}'; expected a { } mapping closed with }, and values in it holding [ ] { } , or # quoted (e.g. "$.items[0].id")`},
		{"block list indented unlike", "host: http://a\ntasks:\n  - path: /\n   name: x\n", "",
			`not valid YAML or JSON: line 3: did not find expected '-' indicator; expected the items of a list indented alike, each starting with "- "`},
		{"scanner error line kept", "host: http://a\ntasks:\n\t- path: /\n", "", "not valid YAML or JSON: line 3: found character that cannot start any token"},
		{"empty document", "", "", "empty document; expected a mapping with host and tasks"},
		{"not a mapping", "- a\n", "", "line 1: the document must be a mapping with host and tasks"},
		{"unknown top key", h + "task: []\ntasks: [{path: /}]\n", "",
			"line 2: task: unknown key; expected one of host, wait, data, on_start, tasks, on_stop, on_401, requests, arrival, tls, http, hosts, headers, auth"},
		{"duplicate key", h + "host: http://b\ntasks: [{path: /}]\n", "", "line 2: host: given twice"},
		// arrival.
		{"arrival not a mapping", h + "arrival: 20/s\ntasks: [{path: /}]\n", "",
			`line 2: arrival: got "20/s"; expected a mapping with rate, such as {rate: 20/s}`},
		{"arrival without rate", h + "arrival: {max_in_flight: 5}\ntasks: [{path: /}]\n", "",
			"line 2: arrival: got a mapping; expected a mapping with rate, such as {rate: 20/s}"},
		{"arrival rate without unit", h + "arrival: {rate: 20}\ntasks: [{path: /}]\n", "",
			`line 2: arrival.rate: got "20"; expected tasks per user per time unit > 0, such as 20/s, 600/min or 0.5/s (units s, m, min, h)`},
		{"arrival rate zero", h + "arrival: {rate: 0/s}\ntasks: [{path: /}]\n", "",
			`line 2: arrival.rate: got "0/s"; expected tasks per user per time unit > 0, such as 20/s, 600/min or 0.5/s (units s, m, min, h)`},
		{"arrival rate unknown unit", h + "arrival: {rate: 20/d}\ntasks: [{path: /}]\n", "",
			`line 2: arrival.rate: got "20/d"; expected tasks per user per time unit > 0, such as 20/s, 600/min or 0.5/s (units s, m, min, h)`},
		{"arrival distribution", h + "arrival: {rate: 1/s, distribution: uniform}\ntasks: [{path: /}]\n", "",
			`line 2: arrival.distribution: got "uniform"; expected constant (a task every 1/rate, the default) or poisson (random gaps of mean 1/rate)`},
		{"arrival max_in_flight", h + "arrival: {rate: 1/s, max_in_flight: 0}\ntasks: [{path: /}]\n", "",
			`line 2: arrival.max_in_flight: got "0"; expected a whole number > 0 of tasks one user may have open`},
		{"arrival max_lag", h + "arrival: {rate: 1/s, max_lag: soon}\ntasks: [{path: /}]\n", "",
			`line 2: arrival.max_lag: got "soon"; expected a positive duration such as 500ms, 5s or 1m`},
		{"arrival unknown key", h + "arrival: {rate: 1/s, vus: 5}\ntasks: [{path: /}]\n", "",
			"line 2: arrival.vus: unknown key; expected one of rate, distribution, max_in_flight, max_lag, max_connections, session"},
		{"arrival max_connections", h + "arrival: {rate: 1/s, max_connections: many}\ntasks: [{path: /}]\n", "",
			`line 2: arrival.max_connections: got "many"; expected a whole number > 0 of connections the worker's users share`},
		{"arrival with wait", h + "wait: {constant: 1s}\narrival: {rate: 1/s}\ntasks: [{path: /}]\n", "",
			"line 2: wait: given with arrival; expected no wait: with arrival each user starts a task on its schedule whether or not earlier ones finished (think steps inside a flow still apply)"},
		{"missing host and target", "tasks: [{path: /}]\n", "", "host: missing; set host in the scenario or pass --target URL"},
		// Said "host: missing; set host in the scenario" of a host the file sets.
		{"host empty", "host: \"\"\ntasks: [{path: /}]\n", "", `line 1: host: empty; expected a base URL such as http://127.0.0.1:8080 (or --target URL)`},
		{"hosts entry empty", h + "hosts: {api: \"\"}\ntasks: [{path: /}]\n", "", `line 2: hosts.api: empty; expected a base URL such as https://api.example.com`},
		{"host not http", "host: ftp://a\ntasks: [{path: /}]\n", "", `line 1: host: "ftp://a" is not an http(s) URL; expected e.g. http://127.0.0.1:8080`},
		{"host with query", "host: http://a/?x=1\ntasks: [{path: /}]\n", "", `line 1: host: "http://a/?x=1" has a query or fragment; expected a base URL`},
		// These passed the load and failed every request at the dial (":8080" dialled this machine).
		{"host port out of range", "host: http://a:80800\ntasks: [{path: /}]\n", "", `line 1: host: "http://a:80800": port 80800 is out of range; expected a port from 1 to 65535`},
		{"host port zero", "host: http://a:0\ntasks: [{path: /}]\n", "", `line 1: host: "http://a:0": port 0 is out of range; expected a port from 1 to 65535`},
		{"host without a name", "host: http://:8080\ntasks: [{path: /}]\n", "", `line 1: host: "http://:8080" is not an http(s) URL; expected e.g. http://127.0.0.1:8080`},
		{"host not ASCII", "host: http://bücher.example\ntasks: [{path: /}]\n", "", `line 1: host: "http://bücher.example": the host name is not ASCII; expected it in ASCII (IDNA, xn--...)`},
		{"hosts port out of range", h + "hosts: {api: \"http://b:65536/v2\"}\ntasks: [{path: /}]\n", "", `line 2: hosts.api: "http://b:65536/v2": port 65536 is out of range; expected a port from 1 to 65535`},
		{"target port out of range", "tasks: [{path: /}]\n", "http://127.0.0.1:99999", `--target: "http://127.0.0.1:99999": port 99999 is out of range; expected a port from 1 to 65535`},
		{"target not a URL", "tasks: [{path: /}]\n", "127.0.0.1:8080", `--target: "127.0.0.1:8080" is not an http(s) URL; expected e.g. http://127.0.0.1:8080`},
		// Sent every path after "#" (not at all) or "?" (as a query); "http://a:" is "http://a:$PORT" with PORT unset.
		{"host with an empty fragment", "host: \"http://a#\"\ntasks: [{path: /items}]\n", "", `line 1: host: "http://a#" has a query or fragment; expected a base URL`},
		{"host with an empty query", "host: \"http://a?\"\ntasks: [{path: /items}]\n", "", `line 1: host: "http://a?" has a query or fragment; expected a base URL`},
		{"host with an empty port", "host: \"http://a:\"\ntasks: [{path: /}]\n", "", `line 1: host: "http://a:": the port is empty; expected a port from 1 to 65535 after the ":", or no ":"`},
		{"no tasks", h, "", "tasks: missing or empty; expected a list of at least one task"},
		// The second document was never read.
		{"two documents", h + "tasks: [{path: /}]\n---\nhost: http://b\ntasks: [{path: /b}]\n", "", "line 4: a second YAML document (after ---); expected one scenario per file"},
		// Said "got a mapping; expected a mapping of ..." of an empty one.
		{"data empty", h + "data: {}\ntasks: [{path: /}]\n", "", "line 2: data: got an empty mapping; expected a mapping of name to {csv: FILE} or {jsonl: FILE}"},
		{"multipart empty", h + "tasks: [{path: /, method: POST, multipart: {}}]\n", "", "line 2: tasks[0].multipart: got an empty mapping; expected a mapping of part name to a text, {file: PATH} or {value: TEXT}"},
		// An empty name was taken as none, a blank one made a row without a name, a line break split
		// Locust's rows.
		{"empty task name", h + "tasks: [{path: /, name: \"\"}]\n", "", `line 2: tasks[0].name: got ""; expected a name: some text on one line (or no name key: the default)`},
		{"blank step name", h + "tasks: [{steps: [{path: /, name: \" \"}]}]\n", "", `line 2: tasks[0].steps[0].name: got " "; expected a name: some text on one line (or no name key: the default)`},
		{"name with a line break", h + "requests: [{path: /, name: \"a\\nb\"}]\n", "", `line 2: requests[0].name: got "a\nb"; expected a name: some text on one line (or no name key: the default)`},
		{"empty tasks", h + "tasks: []\n", "", "line 2: tasks: got an empty list; expected a list of at least one task"},
		// Said "tasks: missing or empty" of a task written without its list.
		{"tasks a mapping", h + "tasks: {path: /}\n", "", "line 2: tasks: got a mapping; expected a list of at least one task, each item starting with -"},
		{"tasks null", h + "tasks:\n", "", `line 2: tasks: got ""; expected a list of at least one task, each item starting with -`},
		{"tasks and requests", h + "tasks: [{path: /}]\nrequests: [{path: /}]\n", "",
			"line 3: requests: given with tasks; expected one of them (tasks, or requests: the single-request list)"},
		{"requests with wait", h + "wait: {constant: 1s}\nrequests: [{path: /}]\n", "",
			"line 3: requests: the single-request list takes no wait, data, on_start, on_stop or on_401; expected tasks: to use them"},

		// The requests: format, as before.
		{"unknown request key", h + "requests:\n  - path: /\n    wieght: 2\n", "",
			"line 4: requests[0].wieght: unknown key; expected one of name, method, path, weight, expect_status, headers, body, timeout"},
		{"request json key", h + "requests:\n  - path: /\n    json: {}\n", "",
			"line 4: requests[0].json: unknown key; expected one of name, method, path, weight, expect_status, headers, body, timeout"},
		{"no requests", h + "requests: []\n", "", "line 2: requests: got an empty list; expected a list of at least one request"},
		{"requests a mapping", h + "requests: {path: /}\n", "", "line 2: requests: got a mapping; expected a list of at least one request, each item starting with -"},
		{"request not a mapping", h + "requests: [x]\n", "",
			"line 2: requests[0]: expected a mapping with name, method, path, weight, expect_status, headers, body, timeout"},
		{"request path missing", h + "requests:\n  - name: x\n", "", "line 3: requests[0].path: missing; expected a path such as /"},
		{"request negative weight", h + "requests:\n  - path: /\n  - path: /b\n    weight: -2\n", "",
			`line 5: requests[1].weight: got "-2"; expected a whole number > 0`},

		// Tasks and steps.
		{"task not a mapping", h + "tasks: [x]\n", "", `line 2: tasks[0]: got "x"; expected a mapping with steps (a flow) or path (a single request)`},
		{"unknown task key", h + "tasks:\n  - path: /\n    wieght: 2\n", "",
			"line 4: tasks[0].wieght: unknown key; expected one of weight, steps, name, method, path, query, headers, body, json, timeout, expect_status, extract, check, on_failure, follow_redirects, host, auth, form, multipart, body_file"},
		{"zero weight", h + "tasks:\n  - path: /\n    weight: 0\n", "", `line 4: tasks[0].weight: got "0"; expected a whole number > 0`},
		{"fractional weight", h + "tasks:\n  - path: /\n    weight: 1.5\n", "", `line 4: tasks[0].weight: got "1.5"; expected a whole number > 0`},
		// Two weights near the largest int added up to a negative sum, and the first task pick panicked.
		{"weight too large", h + "tasks:\n  - {path: /a, weight: 1000001}\n  - {path: /b, weight: 99999999999999999999}\n", "",
			`line 3: tasks[0].weight: got "1000001"; expected a whole number from 1 to 1000000 (weights are relative: 3 and 1 run 3 times as often)` + "\n" +
				`line 4: tasks[1].weight: got "99999999999999999999"; expected a whole number from 1 to 1000000 (weights are relative: 3 and 1 run 3 times as often)`},
		{"path missing", h + "tasks:\n  - name: x\n", "", "line 3: tasks[0].path: missing; expected a path such as /"},
		{"path relative", h + "tasks:\n  - path: api\n", "", `line 3: tasks[0].path: "api" must start with "/" or be an absolute URL (http:// or https://)`},
		{"path not a string", h + "tasks:\n  - path: [a]\n", "", "line 3: tasks[0].path: got a list; expected a string"},
		{"extract default not a text", h + "tasks:\n  - path: /\n    extract: {a: {json: $.a, default: [x]}}\n", "",
			`line 4: tasks[0].extract.a.default: got a list; expected a text: the variable's value when the response has none (e.g. default: "")`},
		{"extract regex with json", h + "tasks:\n  - path: /\n    extract: {a: {json: $.a, regex: (x)}}\n", "",
			`line 4: tasks[0].extract.a: got json and regex; expected exactly one of {json: PATH}, {header: NAME}, {cookie: NAME}, {regex: RE} (with default: TEXT, and regex: RE beside header: or cookie:)`},
		{"extract unknown option", h + "tasks:\n  - path: /\n    extract: {a: {regex: (x), html: true}}\n", "",
			`line 4: tasks[0].extract.a.html: unknown key; expected one of json, header, cookie, regex, or the options default and regex (beside header or cookie)`},
		{"extract header regex without group", h + "tasks:\n  - path: /\n    extract: {a: {header: Link, regex: <.*>}}\n", "",
			`line 4: tasks[0].extract.a.regex: "<.*>" has 0 capturing groups; expected exactly one, around the value, e.g. id=(\d+)`},
		{"extract default alone", h + "tasks:\n  - path: /\n    extract: {a: {default: x}}\n", "",
			`line 4: tasks[0].extract.a: got only default; expected exactly one of {json: PATH}, {header: NAME}, {cookie: NAME}, {regex: RE} (with default: TEXT, and regex: RE beside header: or cookie:)`},
		{"link with more text", h + "on_start: [{path: /, extract: {next: {json: $.n}}}]\ntasks:\n  - path: \"{{ next }}/x\"\n", "",
			`line 4: tasks[0].path: "{{ next }}/x": a path starting with a variable is a link; expected the variable alone, e.g. "{{ next }}" (its value a URL or a path from /), or a path starting with /`},
		{"link not defined", h + "tasks:\n  - path: \"{{ nxt }}\"\n", "",
			`line 3: tasks[0].path: {{ nxt }} is not defined; expected a built-in (user_id, iteration, random(a, b), uuid, random_string(n), now_unix, now_ms, now_iso, env.NAME)`},
		{"legacy list path is text", h + "requests:\n  - path: \"{{ next }}\"\n", "",
			`line 3: requests[0].path: "{{ next }}" must start with "/" or be an absolute URL (http:// or https://)`},
		{"bad method", h + "tasks:\n  - path: /\n    method: FETCH\n", "",
			`line 4: tasks[0].method: "FETCH" is not an HTTP method; expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS`},
		{"bad timeout", h + "tasks:\n  - path: /\n    timeout: 5 seconds\n", "",
			`line 4: tasks[0].timeout: got "5 seconds"; expected a positive duration such as 500ms, 5s or 1m`},
		{"zero timeout", h + "tasks:\n  - path: /\n    timeout: 0s\n", "",
			`line 4: tasks[0].timeout: got "0s"; expected a positive duration such as 500ms, 5s or 1m`},
		{"status out of range", h + "tasks:\n  - path: /\n    expect_status: 999\n", "",
			`line 4: tasks[0].expect_status: got "999"; expected a status from 100 to 599 or a list of them`},
		{"status list with text", h + "tasks:\n  - path: /\n    expect_status: [200, ok]\n", "",
			`line 4: tasks[0].expect_status: got "ok"; expected a status from 100 to 599 or a list of them`},
		{"empty status list", h + "tasks:\n  - path: /\n    expect_status: []\n", "",
			"line 4: tasks[0].expect_status: empty list; expected a status from 100 to 599 or a list of them"},
		{"headers not a map", h + "tasks:\n  - path: /\n    headers: [a]\n", "",
			"line 4: tasks[0].headers: got a list; expected a mapping of header name to value"},
		{"header value a list", h + "tasks:\n  - path: /\n    headers: {A: [1]}\n", "",
			"line 4: tasks[0].headers.A: got a list; expected a string, or null to send no such header"},
		{"query not a map", h + "tasks:\n  - path: /\n    query: x\n", "",
			`line 4: tasks[0].query: got "x"; expected a mapping of query parameter to value (or a list of values)`},
		{"body and json", h + "tasks:\n  - path: /\n    body: x\n    json: {a: 1}\n", "",
			"line 5: tasks[0].json: given with body; expected one of body (text) or json (a value sent as JSON)"},
		{"body not a string", h + "tasks:\n  - path: /\n    body: {a: 1}\n", "",
			"line 4: tasks[0].body: got a mapping; expected a string"},
		{"json infinity", h + "tasks:\n  - path: /\n    json: {a: .inf}\n", "",
			`line 4: tasks[0].json.a: got ".inf"; expected a value JSON can hold (not .inf or .nan)`},
		{"name not a string", h + "tasks:\n  - path: /\n    name: [a]\n", "", "line 4: tasks[0].name: got a list; expected a string"},
		{"steps with path", h + "tasks:\n  - path: /\n    steps: [{path: /}]\n", "",
			"line 3: tasks[0].path: given with steps; expected either steps (a flow) or request keys (a single request), not both"},
		{"steps empty", h + "tasks:\n  - steps: []\n", "", "line 3: tasks[0].steps: got an empty list; expected a list of at least one step"},
		{"step not a mapping", h + "tasks:\n  - steps: [x]\n", "",
			`line 3: tasks[0].steps[0]: got "x"; expected a request (a mapping with path) or {think: DURATION}`},
		{"unknown step key", h + "tasks:\n  - steps:\n      - {path: /, weight: 2}\n", "",
			"line 4: tasks[0].steps[0].weight: unknown key; expected one of name, method, path, query, headers, body, json, timeout, expect_status, extract, check, on_failure, follow_redirects, host, auth, form, multipart, body_file"},
		{"think with a path", h + "tasks:\n  - steps:\n      - {think: 1s, path: /}\n", "",
			"line 4: tasks[0].steps[0]: think given with other keys; expected a step that is only {think: DURATION}"},
		{"bad think", h + "tasks:\n  - steps:\n      - think: -1s\n", "",
			`line 4: tasks[0].steps[0].think: got "-1s"; expected a positive duration such as 500ms, 5s or 1m`},
		{"bad on_failure", h + "tasks:\n  - path: /\n    on_failure: ignore\n", "",
			`line 4: tasks[0].on_failure: got "ignore"; expected stop (the default: skip the rest of the flow) or continue`},
		{"on_start not a list", h + "on_start: {path: /}\ntasks: [{path: /}]\n", "",
			"line 2: on_start: got a mapping; expected a list of at least one step, each item starting with -"},

		// Waits.
		{"wait not a mapping", h + "wait: 1s\ntasks: [{path: /}]\n", "",
			`line 2: wait: got "1s"; expected one of {constant: 1s}, {between: [1s, 3s]}, {pacing: 2s}`},
		{"wait two kinds", h + "wait: {constant: 1s, pacing: 2s}\ntasks: [{path: /}]\n", "",
			"line 2: wait: got a mapping; expected one of {constant: 1s}, {between: [1s, 3s]}, {pacing: 2s}"},
		{"unknown wait", h + "wait: {sometimes: 1s}\ntasks: [{path: /}]\n", "",
			"line 2: wait.sometimes: unknown key; expected one of constant, between, pacing"},
		{"bad constant", h + "wait: {constant: soon}\ntasks: [{path: /}]\n", "",
			`line 2: wait.constant: got "soon"; expected a duration >= 0 such as 500ms, 5s or 1m`},
		{"zero pacing", h + "wait: {pacing: 0s}\ntasks: [{path: /}]\n", "",
			`line 2: wait.pacing: got "0s"; expected a positive duration such as 500ms, 5s or 1m`},
		{"between one value", h + "wait: {between: [1s]}\ntasks: [{path: /}]\n", "",
			"line 2: wait.between: got a list; expected a list of two durations [min, max], e.g. [1s, 3s]"},
		{"between bad value", h + "wait: {between: [1s, x]}\ntasks: [{path: /}]\n", "",
			`line 2: wait.between[1]: got "x"; expected a duration >= 0 such as 500ms, 5s or 1m`},
		{"between reversed", h + "wait: {between: [3s, 1s]}\ntasks: [{path: /}]\n", "",
			"line 2: wait.between: [3s, 1s]: min is above max; expected min <= max"},

		// Templates and variables.
		{"unclosed template", h + "tasks:\n  - path: /items/{{ item\n", "",
			`line 3: tasks[0].path: "/items/{{ item": "{{" at offset 7 has no closing "}}"`},
		{"empty template", h + "tasks:\n  - path: /items/{{ }}\n", "",
			`line 3: tasks[0].path: "/items/{{ }}": empty "{{ }}" at offset 7; expected a variable name`},
		{"unknown variable", h + "tasks:\n  - path: /items/{{ itme }}\n", "",
			"line 3: tasks[0].path: {{ itme }} is not defined; expected " + builtins},
		{"every unknown variable", h + "tasks:\n  - path: /{{ a }}/{{ b }}\n", "",
			"line 3: tasks[0].path: {{ a }} is not defined; expected " + builtins + "\n" +
				"line 3: tasks[0].path: {{ b }} is not defined; expected " + builtins},
		{"unknown in header", h + "tasks:\n  - path: /\n    headers: {A: \"{{ x }}\"}\n", "",
			"line 4: tasks[0].headers.A: {{ x }} is not defined; expected " + builtins},
		{"unknown in query", h + "tasks:\n  - path: /\n    query: {q: \"{{ x }}\"}\n", "",
			"line 4: tasks[0].query.q: {{ x }} is not defined; expected " + builtins},
		{"unknown in body", h + "tasks:\n  - path: /\n    body: \"{{ x }}\"\n", "",
			"line 4: tasks[0].body: {{ x }} is not defined; expected " + builtins},
		{"unknown in json", h + "tasks:\n  - path: /\n    json: {a: [1, \"{{ x }}\"]}\n", "",
			"line 4: tasks[0].json.a[1]: {{ x }} is not defined; expected " + builtins},
		{"extracted by a later step", h + "tasks:\n  - steps:\n      - {path: \"/{{ id }}\"}\n      - {path: /b, extract: {id: {json: $.id}}}\n", "",
			"line 4: tasks[0].steps[0].path: {{ id }} is not extracted before this step (tasks[0].steps[1] extracts it); expected it extracted in on_start or in an earlier step of this flow"},
		{"extracted by its own step", h + "tasks:\n  - path: \"/{{ id }}\"\n    extract: {id: {json: $.id}}\n", "",
			"line 3: tasks[0].path: {{ id }} is not extracted before this step (tasks[0] extracts it); expected it extracted in on_start or in an earlier step of this flow"},
		{"extracted by another task", h + "tasks:\n  - {path: /a, extract: {id: {json: $.id}}}\n  - {path: \"/{{ id }}\"}\n", "",
			"line 4: tasks[1].path: {{ id }} is not extracted before this step (tasks[0] extracts it); expected it extracted in on_start or in an earlier step of this flow"},
		{"unknown lists what is defined", h + "on_start: [{path: /l, extract: {token: {header: X-T}}}]\ntasks:\n  - steps:\n      - {path: /a, extract: {item: {json: $.id}}}\n      - {path: \"/{{ itme }}\"}\n", "",
			"line 6: tasks[0].steps[1].path: {{ itme }} is not defined; expected an extracted value (token, item) or " + builtins},
		{"random malformed", h + "tasks:\n  - path: \"/{{ random(1) }}\"\n", "",
			"line 3: tasks[0].path: {{ random(1) }} is not a valid random call; expected random(a, b) with whole numbers a <= b, e.g. random(1, 100)"},
		{"random reversed", h + "tasks:\n  - path: \"/{{ random(9, 1) }}\"\n", "",
			"line 3: tasks[0].path: {{ random(9, 1) }}: bounds out of order; expected random(a, b) with whole numbers a <= b, e.g. random(1, 100)"},

		// Extraction and checks.
		{"extract not a mapping", h + "tasks:\n  - path: /\n    extract: [a]\n", "",
			"line 4: tasks[0].extract: got a list; expected a mapping of variable name to {json: PATH}, {header: NAME}, {cookie: NAME} or {regex: RE}"},
		{"extract bad name", h + "tasks:\n  - path: /\n    extract: {1x: {json: $.a}}\n", "",
			"line 4: tasks[0].extract.1x: not a variable name; expected letters, digits and _, not starting with a digit"},
		{"extract a built-in", h + "tasks:\n  - path: /\n    extract: {user_id: {json: $.a}}\n", "",
			"line 4: tasks[0].extract.user_id: a built-in variable; expected another name"},
		{"extract two kinds", h + "tasks:\n  - path: /\n    extract: {a: {json: $.a, header: X}}\n", "",
			"line 4: tasks[0].extract.a: got json and header; expected exactly one of {json: PATH}, {header: NAME}, {cookie: NAME}, {regex: RE} (with default: TEXT, and regex: RE beside header: or cookie:)"},
		{"extract unknown kind", h + "tasks:\n  - path: /\n    extract: {a: {xpath: //a}}\n", "",
			"line 4: tasks[0].extract.a.xpath: unknown key; expected one of json, header, cookie, regex, or the options default and regex (beside header or cookie)"},
		{"extract unsupported path", h + "tasks:\n  - path: /\n    extract: {a: {json: \"$..a\"}}\n", "",
			`line 4: tasks[0].extract.a.json: "$..a": unsupported syntax at "..a"; expected a JSON path such as $.items[0].id, $["a key"] or $.items[*].id ($, .key, [n], ["key"], [*])`},
		{"extract regex groups", h + "tasks:\n  - path: /\n    extract: {a: {regex: \"id=\\\\d+\"}}\n", "",
			`line 4: tasks[0].extract.a.regex: "id=\\d+" has 0 capturing groups; expected exactly one, around the value, e.g. id=(\d+)`},
		{"extract bad header", h + "tasks:\n  - path: /\n    extract: {a: {header: \"X Y\"}}\n", "",
			`line 4: tasks[0].extract.a.header: "X Y" is not a header name; expected e.g. X-Request-Id (` + headername.Allowed + `)`},
		{"check not a list", h + "tasks:\n  - path: /\n    check: {json: $.a}\n", "",
			"line 4: tasks[0].check: got a mapping; expected a list of checks such as - json: $.id, - status: 200, - body_contains: TEXT, - max_ms: 500"},
		{"check two kinds", h + "tasks:\n  - path: /\n    check: [{json: $.a, body_contains: x}]\n", "",
			"line 4: tasks[0].check[0].body_contains: given with json; expected one check per list item"},
		{"check unknown", h + "tasks:\n  - path: /\n    check: [{code: 200}]\n", "",
			"line 4: tasks[0].check[0].code: unknown key; expected one of json, header, status, body_length, body_contains, regex, max_ms, equals, not_equals, lt, lte, gt, gte, in, contains, length, exists, fatal, name\n" +
				"line 4: tasks[0].check[0]: no check; expected one of json, header, status, body_length, body_contains, regex, max_ms"},
		{"equals without json", h + "tasks:\n  - path: /\n    check: [{regex: x, equals: 1}]\n", "",
			"line 4: tasks[0].check[0].equals: given with regex; expected equals only with json or header"},
		{"equals a list", h + "tasks:\n  - path: /\n    check: [{json: $.a, equals: [1]}]\n", "",
			"line 4: tasks[0].check[0].equals: got a list; expected a string, number, true, false or null"},
		{"check bad path", h + "tasks:\n  - path: /\n    check: [{json: a.b}]\n", "",
			`line 4: tasks[0].check[0].json: "a.b" must start with "$"; expected a JSON path such as $.items[0].id, $["a key"] or $.items[*].id ($, .key, [n], ["key"], [*])`},
		{"check bad regex", h + "tasks:\n  - path: /\n    check: [{regex: \"a(\"}]\n", "",
			"line 4: tasks[0].check[0].regex: \"a(\" is not a regular expression: error parsing regexp: missing closing ): `a(`"},
		{"check empty body_contains", h + "tasks:\n  - path: /\n    check: [{body_contains: \"\"}]\n", "",
			"line 4: tasks[0].check[0].body_contains: empty text; expected the text the body must contain"},
		{"check bad max_ms", h + "tasks:\n  - path: /\n    check: [{max_ms: 1.5}]\n", "",
			`line 4: tasks[0].check[0].max_ms: got "1.5"; expected a whole number of milliseconds > 0`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.doc), t.TempDir(), tc.target)
			if err == nil {
				t.Fatalf("got no error, want %q", tc.want)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}
