"""Plain-text tables that fit the terminal, the way `kubectl get` and `docker ps` fit theirs: no
borders, columns two spaces apart, numbers right-aligned. When the table is wider than the
terminal, columns marked `shrink` (free text) are cut with "…" down to a minimum width, then
columns marked `optional` are left out, last first (a shrunk column may be optional too); `--wide` shows everything uncut. Pure."""

from __future__ import annotations

from dataclasses import dataclass

GAP = "  "
MIN_SHRUNK = 12


@dataclass(frozen=True)
class Column:
    header: str
    right: bool = False     # numbers: right-aligned
    shrink: bool = False    # free text: cut to fit before any column is left out
    optional: bool = False  # left out when the table does not fit, last optional column first


def cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(width - 1, 0)].rstrip() + "…"


def layout(columns: list[Column], rows: list[list[str]], width: int | None) -> str:
    """The table as lines of text; width None: as wide as the cells need."""
    keep = list(range(len(columns)))
    widths = [max([len(columns[i].header), *(len(r[i]) for r in rows)]) for i in keep]

    def total() -> int:
        return sum(widths[i] for i in keep) + len(GAP) * (len(keep) - 1)

    if width is not None:
        shrinkable = [i for i in keep if columns[i].shrink]
        for i in shrinkable:
            if total() > width:
                widths[i] = max(MIN_SHRUNK, len(columns[i].header), widths[i] - (total() - width))
        for i in reversed([i for i in keep if columns[i].optional]):
            if total() <= width:
                break
            keep.remove(i)
    lines = []
    for cells in [[c.header for c in columns], *rows]:
        parts = []
        for i in keep:
            text = cut(cells[i], widths[i])
            parts.append(text.rjust(widths[i]) if columns[i].right else text.ljust(widths[i]))
        lines.append(GAP.join(parts).rstrip())
    return "\n".join(lines)
