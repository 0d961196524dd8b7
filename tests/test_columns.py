"""The plain-text tables of `locust-fleet runs`: fitted to the terminal as `kubectl get` and
`docker ps` fit theirs, free text cut first, optional columns left out next, --wide uncut."""

from locust_fleet.runs.columns import Column, layout

COLUMNS = [Column("ID"), Column("N", right=True), Column("TEXT", shrink=True, optional=True),
           Column("TAGS", optional=True)]
ROWS = [["run-1", "7", "a description that is rather long", "k=v"], ["run-22", "1234", "short", ""]]


def widths(text: str) -> list[int]:
    return [len(line) for line in text.splitlines()]


def test_everything_shows_when_it_fits_numbers_right_aligned():
    assert layout(COLUMNS, ROWS, 200).splitlines() == [
        "ID         N  TEXT                               TAGS",
        "run-1      7  a description that is rather long  k=v",
        "run-22  1234  short",
    ]


def test_no_width_means_nothing_is_cut():
    assert layout(COLUMNS, ROWS, None) == layout(COLUMNS, ROWS, 200)


def test_free_text_is_cut_with_an_ellipsis_before_a_column_is_left_out():
    shown = layout(COLUMNS, ROWS, 40)
    assert max(widths(shown)) <= 40 and "TAGS" in shown
    assert "run-1      7  a description that…   k=v" in shown, shown


def test_optional_columns_go_last_first_when_cutting_is_not_enough():
    shown = layout(COLUMNS, ROWS, 28)
    assert max(widths(shown)) <= 28 and "TAGS" not in shown and "TEXT" in shown, shown
    narrow = layout(COLUMNS, ROWS, 14)
    assert narrow.splitlines()[0] == "ID         N" and "TEXT" not in narrow, narrow
