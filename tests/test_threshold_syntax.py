"""The threshold expression language: every documented form parses to what it says, every malformed
one is refused with a message naming the option, the text and what was expected."""

import pytest

from locust_fleet.threshold_syntax import (CHECKS, COUNT, RATE, RATIO, TIME, USERS, Endpoint, Metric, Threshold,
                                           ThresholdError, format_limit, format_value, parse, parse_all)

P = lambda n, q: Metric(n, TIME, q)  # noqa: E731


@pytest.mark.parametrize("text, want", [
    # the examples of the documentation, exactly as written
    ("fail_ratio<1%", Threshold("fail_ratio<1%", Metric("fail_ratio", RATIO), "<", 0.01)),
    ("p95<500ms", Threshold("p95<500ms", P("p95", 0.95), "<", 500.0)),
    ("rps>=1000", Threshold("rps>=1000", Metric("rps", RATE), ">=", 1000.0)),
    ("/login: p99<1s", Threshold("/login: p99<1s", P("p99", 0.99), "<", 1000.0, Endpoint("/login"))),
    ("POST /login: fail_ratio<0.5%", Threshold("POST /login: fail_ratio<0.5%", Metric("fail_ratio", RATIO), "<",
                                               0.005, Endpoint("/login", "POST"))),
    ("p95[1m]<800ms", Threshold("p95[1m]<800ms", P("p95", 0.95), "<", 800.0, window_s=60.0)),
    ("fail_ratio<10% abort after 10s", Threshold("fail_ratio<10% abort after 10s", Metric("fail_ratio", RATIO), "<",
                                                 0.1, abort=True, abort_after_s=10.0)),
    # every metric, operator and unit
    ("failures==0", Threshold("failures==0", Metric("failures", COUNT), "==", 0.0)),
    ("requests!=0", Threshold("requests!=0", Metric("requests", COUNT), "!=", 0.0)),
    ("avg<=12.5", Threshold("avg<=12.5", Metric("avg", TIME), "<=", 12.5)),
    ("min>0", Threshold("min>0", Metric("min", TIME), ">", 0.0)),
    ("max<2s", Threshold("max<2s", Metric("max", TIME), "<", 2000.0)),
    ("med<0.25s", Threshold("med<0.25s", Metric("med", TIME), "<", 250.0)),
    ("users>=50", Threshold("users>=50", Metric("users", USERS), ">=", 50.0)),
    ("p50<1", Threshold("p50<1", P("p50", 0.5), "<", 1.0)),
    ("p99.9<2s", Threshold("p99.9<2s", P("p99.9", 0.999), "<", 2000.0)),
    ("p(99.99)<3s", Threshold("p(99.99)<3s", P("p99.99", 0.9999), "<", 3000.0)),
    ("p100<5s", Threshold("p100<5s", P("p100", 1.0), "<", 5000.0)),
    ("fail_ratio<0.02", Threshold("fail_ratio<0.02", Metric("fail_ratio", RATIO), "<", 0.02)),
    ("rps>=1000/s", Threshold("rps>=1000/s", Metric("rps", RATE), ">=", 1000.0)),
    ("not_started==0", Threshold("not_started==0", Metric("not_started", COUNT), "==", 0.0)),
    ("slow: not_started[10s]<5", Threshold("slow: not_started[10s]<5", Metric("not_started", COUNT), "<", 5.0,
                                           Endpoint("slow"), 10.0)),
    ("checks>=99%", Threshold("checks>=99%", Metric("checks", CHECKS), ">=", 0.99)),
    ("GET /items: checks==1 abort", Threshold("GET /items: checks==1 abort", Metric("checks", CHECKS), "==", 1.0,
                                              Endpoint("/items", "GET"), abort=True)),
    # spaces are free between the parts
    ("  p95 [ 30s ] <= 800 ms  abort  after  1m ", Threshold("p95 [ 30s ] <= 800 ms  abort  after  1m",
                                                             P("p95", 0.95), "<=", 800.0, None, 30.0, True, 60.0)),
    ("fail_ratio < 1 %", Threshold("fail_ratio < 1 %", Metric("fail_ratio", RATIO), "<", 0.01)),
    ("p95<500ms abort", Threshold("p95<500ms abort", P("p95", 0.95), "<", 500.0, abort=True)),
    ("rps[2h]>10 abort after 250ms", Threshold("rps[2h]>10 abort after 250ms", Metric("rps", RATE), ">", 10.0, None,
                                               7200.0, True, 0.25)),
    # endpoints: names with spaces and colons, the method only when it is an upper-case word
    ("GET http://h:8080/a b: max<1s", Threshold("GET http://h:8080/a b: max<1s", Metric("max", TIME), "<", 1000.0,
                                               Endpoint("http://h:8080/a b", "GET"))),
    ("home page: p95<1s", Threshold("home page: p95<1s", P("p95", 0.95), "<", 1000.0, Endpoint("home page"))),
    ("grpc Call: requests>0", Threshold("grpc Call: requests>0", Metric("requests", COUNT), ">", 0.0,
                                        Endpoint("grpc Call"))),
    ("GET: requests>0", Threshold("GET: requests>0", Metric("requests", COUNT), ">", 0.0, Endpoint("GET"))),
    ("Aggregated: avg<3", Threshold("Aggregated: avg<3", Metric("avg", TIME), "<", 3.0)),
    ("/items[1]: p95[1m]<1s", Threshold("/items[1]: p95[1m]<1s", P("p95", 0.95), "<", 1000.0, Endpoint("/items[1]"),
                                        60.0)),
])
def test_parse_reads_each_form(text, want):
    assert parse(text) == want


O = "--threshold: got "
M = ("fail_ratio, failures, requests, not_started, rps, avg, min, max, med, users, checks or a percentile such as p50, "
     "p95, p99.9 (also p(95))")  # the metrics, as messages list them


@pytest.mark.parametrize("text, message", [
    ("", "--threshold: empty; expected an expression such as p95<500ms or fail_ratio<1%"),
    ("   ", "--threshold: empty; expected an expression such as p95<500ms or fail_ratio<1%"),
    # the metric
    ("<500ms", O + "'<500ms'; expected a metric first: " + M),
    ("p95x<1", O + "'p95x<1'; unknown metric 'p95x'; expected " + M),
    ("P95<1", O + "'P95<1'; unknown metric 'P95'; expected " + M),
    ("fail_rate<1%", O + "'fail_rate<1%'; unknown metric 'fail_rate'; expected " + M),
    ("p<1", O + "'p<1'; unknown metric 'p'; expected " + M),
    ("p(95<1", O + "'p(95<1'; unknown metric 'p'; expected " + M),
    ("p99.9.9<1", O + "'p99.9.9<1'; unknown metric 'p99.9.9'; expected " + M),
    ("p0<1", O + "'p0<1'; percentile 'p0' is out of range; expected one above p0 and at most p100"),
    ("p100.5<1", O + "'p100.5<1'; percentile 'p100.5' is out of range; expected one above p0 and at most p100"),
    ("p(0)<1", O + "'p(0)<1'; percentile 'p(0)' is out of range; expected one above p0 and at most p100"),
    # the endpoint
    (": p95<1s", O + "': p95<1s'; the endpoint before ':' is empty; expected NAME: or METHOD NAME: before the metric"),
    ("/login:", O + "'/login:'; expected a metric first: " + M),
    ("GET /x: users>1", O + "'GET /x: users>1'; users counts the whole test's users, not an endpoint's; remove "
                            "'GET /x:'"),
    ("ARRIVAL slow: not_started==0", O + "'ARRIVAL slow: not_started==0'; not_started counts a task's arrivals not "
                                         "started (Locust's ARRIVAL rows under the task's name); expected the name "
                                         "alone: 'slow:'"),
    ("not_started<1%", O + "'not_started<1%'; '%' is not a unit of not_started; expected a plain number"),
    ("checks[1m]>99%", O + "'checks[1m]>99%'; checks is judged over the whole run (the workers count checks apart "
                           "from their reports); remove [1m]"),
    ("checks>101%", O + "'checks>101%'; checks limit 101% is above 100%; expected a ratio from 0 to 1 or a "
                        "percentage from 0% to 100%"),
    ("checks>99ms", O + "'checks>99ms'; 'ms' is not a unit of checks; expected % or none (a ratio from 0 to 1)"),
    # the window
    ("p95[1m<5", O + "'p95[1m<5'; the window's '[' is never closed; expected e.g. p95[1m]<800ms"),
    ("p95[]<5", O + "'p95[]<5'; window [] is not a duration; expected seconds, minutes or hours such as [30s], [1m], "
                    "[1h]"),
    ("p95[1x]<5", O + "'p95[1x]<5'; window [1x] is not a duration; expected seconds, minutes or hours such as [30s], "
                      "[1m], [1h]"),
    ("p95[60]<5", O + "'p95[60]<5'; window [60] is not a duration; expected seconds, minutes or hours such as [30s], "
                      "[1m], [1h]"),
    ("p95[500ms]<5", O + "'p95[500ms]<5'; window [500ms] is not a duration; expected seconds, minutes or hours such as "
                         "[30s], [1m], [1h]"),
    ("p95[2s]<5", O + "'p95[2s]<5'; window [2s] is shorter than 3s, the workers' report interval; expected [3s] or "
                      "longer"),
    ("p95[0m]<5", O + "'p95[0m]<5'; window [0m] is shorter than 3s, the workers' report interval; expected [3s] or "
                      "longer"),
    # the operator
    ("p95", O + "'p95'; expected an operator (<, <=, >, >=, == or !=) after p95, found nothing"),
    ("p95 500ms", O + "'p95 500ms'; expected an operator (<, <=, >, >=, == or !=) after p95, found '500ms'"),
    ("p95=500", O + "'p95=500'; expected an operator (<, <=, >, >=, == or !=) after p95, found '=500'"),
    ("p95=<500", O + "'p95=<500'; expected an operator (<, <=, >, >=, == or !=) after p95, found '=<500'"),
    ("p95=>500", O + "'p95=>500'; expected an operator (<, <=, >, >=, == or !=) after p95, found '=>500'"),
    ("p95===500", O + "'p95===500'; expected an operator (<, <=, >, >=, == or !=) after p95, found '===500'"),
    ("p95<>500", O + "'p95<>500'; expected an operator (<, <=, >, >=, == or !=) after p95, found '<>500'"),
    ("p95 lt 500", O + "'p95 lt 500'; expected an operator (<, <=, >, >=, == or !=) after p95, found 'lt'"),
    # the number
    ("p95<", O + "'p95<'; expected a number after '<' such as 500 or 0.5, found nothing"),
    ("p95<<500", O + "'p95<<500'; expected a number after '<' such as 500 or 0.5, found '<500'"),
    ("p95<-5", O + "'p95<-5'; expected a number after '<' such as 500 or 0.5, found '-5'"),
    ("p95<1e3", O + "'p95<1e3'; expected a number after '<' such as 500 or 0.5, found '1e3'"),
    ("rps>1,000", O + "'rps>1,000'; expected a number after '>' such as 500 or 0.5, found '1,000'"),
    ("p95<1.2.3", O + "'p95<1.2.3'; expected a number after '<' such as 500 or 0.5, found '1.2.3'"),
    ("p95<inf", O + "'p95<inf'; expected a number after '<' such as 500 or 0.5, found 'inf'"),
    ("p95<ms", O + "'p95<ms'; expected a number after '<' such as 500 or 0.5, found 'ms'"),
    # the unit
    ("p95<5%", O + "'p95<5%'; '%' is not a unit of p95; expected ms or s (none: ms)"),
    ("p95<5m", O + "'p95<5m'; 'm' is not a unit of p95; expected ms or s (none: ms)"),
    ("avg<5us", O + "'avg<5us'; 'us' is not a unit of avg; expected ms or s (none: ms)"),
    ("fail_ratio<1ms", O + "'fail_ratio<1ms'; 'ms' is not a unit of fail_ratio; expected % or none (a ratio from 0 "
                           "to 1)"),
    ("fail_ratio<150%", O + "'fail_ratio<150%'; fail_ratio limit 150% is above 100%; expected a ratio from 0 to 1 or "
                            "a percentage from 0% to 100%"),
    ("fail_ratio<2", O + "'fail_ratio<2'; fail_ratio limit 2 is above 100%; expected a ratio from 0 to 1 or a "
                         "percentage from 0% to 100%"),
    ("rps>5%", O + "'rps>5%'; '%' is not a unit of rps; expected /s or none"),
    ("rps>5/m", O + "'rps>5/m'; '/m' is not a unit of rps; expected /s or none"),
    ("requests>5s", O + "'requests>5s'; 's' is not a unit of requests; expected a plain number"),
    ("users>5%", O + "'users>5%'; '%' is not a unit of users; expected a plain number"),
    # what follows the limit
    ("p95<5 abrt", O + "'p95<5 abrt'; 'abrt' is not a unit of p95; expected ms or s (none: ms)"),
    ("p95<5ms stop", O + "'p95<5ms stop'; unexpected 'stop' after the limit; expected nothing, 'abort' or 'abort after "
                         "10s'"),
    ("p95<5ms abort before 3s", O + "'p95<5ms abort before 3s'; unexpected 'before 3s' after 'abort'; expected nothing "
                                    "or 'after 10s'"),
    ("p95<5ms abort after", O + "'p95<5ms abort after'; expected a duration after 'abort after', such as 10s or 1m"),
    ("p95<5ms abort after 10", O + "'p95<5ms abort after 10'; '10' after 'abort after' is not a duration; expected "
                                   "e.g. 10s, 1m or 500ms"),
    ("p95<5ms abort after ten s", O + "'p95<5ms abort after ten s'; 'ten s' after 'abort after' is not a duration; "
                                      "expected e.g. 10s, 1m or 500ms"),
])
def test_parse_refuses_malformed_expressions_saying_what_was_expected(text, message):
    with pytest.raises(ThresholdError) as e:
        parse(text)
    assert str(e.value) == message


def test_parse_all_reports_every_mistake_at_once_and_splits_on_semicolons():
    thresholds, errors = parse_all(["fail_ratio<1%;p95<<5; ;rps>=10;", "max<", "p99<1s"])
    assert [t.text for t in thresholds] == ["fail_ratio<1%", "rps>=10", "p99<1s"]
    assert errors == [O + "'p95<<5'; expected a number after '<' such as 500 or 0.5, found '<5'",
                      O + "'max<'; expected a number after '<' such as 500 or 0.5, found nothing"]


def test_parse_all_refuses_an_empty_value():
    assert parse_all([""]) == ((), ["--threshold: empty; expected an expression such as p95<500ms or fail_ratio<1%"])


def test_parse_all_refuses_a_value_of_separators_alone():
    """`LOCUST_THRESHOLDS="$A;$B"` with both unset is ';': refused like an empty value, where it left
    the run unjudged (Locust's exit codes, no thresholds) without a word."""
    assert parse_all([" ; ", "p95<1s"]) == (
        (parse("p95<1s"),),
        ["--threshold: got ';'; no expression between its ';'; expected an expression such as p95<500ms or "
         "fail_ratio<1%"])


@pytest.mark.parametrize("op, value, holds", [
    ("<", 499.0, True), ("<", 500.0, False), ("<=", 500.0, True), ("<=", 501.0, False),
    (">", 501.0, True), (">", 500.0, False), (">=", 500.0, True), (">=", 499.0, False),
    ("==", 500.0, True), ("==", 499.0, False), ("!=", 499.0, True), ("!=", 500.0, False),
])
def test_threshold_holds_by_its_operator(op, value, holds):
    assert parse(f"p95{op}500").holds(value) is holds


@pytest.mark.parametrize("text, value, shown, limit", [
    ("p95<500ms", 312.0, "312 ms", "< 500 ms"),
    ("avg<1s", 12.345, "12.35 ms", "< 1000 ms"),
    ("fail_ratio<1%", 0.0502, "5.02%", "< 1%"),
    ("fail_ratio<0.005", 0.0, "0.00%", "< 0.5%"),
    ("rps>=1000", 1043.7, "1043.70/s", ">= 1000/s"),
    ("requests>10", 19403.0, "19403", "> 10"),
    ("users>=10", 10.0, "10", ">= 10"),
])
def test_values_and_limits_read_in_the_metrics_unit(text, value, shown, limit):
    t = parse(text)
    assert (format_value(t.metric, value), format_limit(t)) == (shown, limit)
