"""The master's side of non-fatal checks (locust_fleet/checks.py): the workers' messages read and
checked, merged per test, the end-of-test table and the locust_checks points."""

import pytest

from locust_fleet import model
from locust_fleet.checks import CheckCount, CheckTable, parse_rows, points, summary, web_rows
from locust_fleet.lineproto import encode_point


def test_parse_rows_reads_a_workers_message():
    assert parse_rows([["GET", "items", "status equals 200", 3, 1], ("POST", "login", "has token", 0, 2)]) == [
        CheckCount("GET", "items", "status equals 200", 3, 1), CheckCount("POST", "login", "has token", 0, 2)]
    assert parse_rows([]) == []


@pytest.mark.parametrize("data, error", [
    ({"GET": 1}, "expected a list of [method, name, check, passes, fails], got dict"),
    ([["GET", "items", "c", 1]], "row 0: got ['GET', 'items', 'c', 1]; expected [method, name, check, passes, fails]"),
    ([["GET", "items", "c", 1, 0], "x"], "row 1: got 'x'; expected [method, name, check, passes, fails]"),
    ([["GET", "", "c", 1, 0]], "row 0: got ['GET', '', 'c', 1, 0]; expected method, name and check as non-empty strings"),
    ([["GET", "items", 7, 1, 0]], "row 0: got ['GET', 'items', 7, 1, 0]; expected method, name and check as non-empty strings"),
    ([["GET", "items", "c", -1, 0]], "row 0: got ['GET', 'items', 'c', -1, 0]; expected passes and fails as whole numbers >= 0"),
    ([["GET", "items", "c", 1.5, 0]], "row 0: got ['GET', 'items', 'c', 1.5, 0]; expected passes and fails as whole numbers >= 0"),
    ([["GET", "items", "c", True, 0]], "row 0: got ['GET', 'items', 'c', True, 0]; expected passes and fails as whole numbers >= 0"),
])
def test_parse_rows_names_what_is_wrong(data, error):
    with pytest.raises(ValueError) as e:
        parse_rows(data)
    assert str(e.value) == error


def test_table_merges_workers_and_sorts_like_locust():
    table = CheckTable()
    table.add([CheckCount("GET", "items", "b", 3, 1), CheckCount("GET", "home", "a", 1, 0)])
    table.add([CheckCount("GET", "items", "b", 2, 2), CheckCount("POST", "home", "a", 5, 0)])
    assert table.rows() == [CheckCount("GET", "home", "a", 1, 0), CheckCount("POST", "home", "a", 5, 0),
                            CheckCount("GET", "items", "b", 5, 3)]
    assert table.total() == CheckCount("", "Aggregated", "", 11, 3)
    table.reset()
    assert table.rows() == [] and table.total().passes == 0


def test_table_counts_the_checks_of_the_requests_a_threshold_selects():
    table = CheckTable()
    table.add([CheckCount("GET", "items", "b", 3, 1), CheckCount("GET", "items", "c", 1, 1),
               CheckCount("POST", "items", "a", 5, 0), CheckCount("GET", "home", "a", 1, 2)])
    assert table.counts(lambda name, method: name == "items") == (9, 2)
    assert table.counts(lambda name, method: (name, method) == ("items", "GET")) == (4, 2)
    assert table.counts(lambda name, method: True) == (10, 4)
    assert table.counts(lambda name, method: name == "nope") == (0, 0)


def test_summary_is_a_table_with_the_pass_ratio():
    rows = [CheckCount("GET", "items", "status equals 200", 199, 1), CheckCount("GET", "item", "owner", 0, 0)]
    lines = summary(rows, CheckCount("", "Aggregated", "", 199, 1))
    assert lines == [
        "Checks (non-fatal: counted here, never failing their requests)",
        "Type     Name        Check               # passes   # fails  pass %",
        "-------------------------------------------------------------------",
        "GET      items       status equals 200        199         1   99.50",
        "GET      item        owner                      0         0    0.00",
        "-------------------------------------------------------------------",
        "         Aggregated                           199         1   99.50",
        "",
    ]


def test_points_carry_the_declared_fields_and_tags():
    [point] = points([CheckCount("GET", "items", "status equals 200", 3, 1)], "run-1", 123)
    assert point.measurement == model.CHECKS
    assert point.tags == {model.RUN_ID: "run-1", model.METHOD: "GET", model.NAME: "items", model.CHECK: "status equals 200"}
    assert set(point.fields) == set(model.FIELDS[model.CHECKS])
    assert point.fields == {"passes": 3, "fails": 1, "pass_ratio": 0.75}
    assert encode_point(point) == ('locust_checks,check=status\\ equals\\ 200,method=GET,name=items,run_id=run-1 '
                                   'passes=3i,fails=1i,pass_ratio=0.75 123')


def test_web_rows():
    assert web_rows([CheckCount("GET", "items", "c", 2, 1)]) == [
        {"method": "GET", "name": "items", "check": "c", "passes": 2, "fails": 1, "pass_percent": 66.67}]
