"""Line charts as inline SVG: no script, no fonts or files to fetch, so a report opens offline and
prints as it shows. Each line is a <path> with a data-series attribute naming it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f",
           "#bcbd22")
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 28

Series = tuple[str, Sequence[tuple[float, float]]]  # (label, [(x, y), ...])


def nice_step(span: float, count: int = 4) -> float:
    """The smallest 1, 2 or 5 x 10^k that covers span in `count` steps, so ticks are round numbers."""
    if span <= 0:
        return 1.0
    rough = span / count
    magnitude = 10 ** math.floor(math.log10(rough))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough)


def ticks(lo: float, hi: float) -> list[float]:
    step = nice_step(hi - lo)
    first = math.floor(lo / step) * step
    return [first + i * step for i in range(int(math.ceil((hi - first) / step - 1e-9)) + 1)]


def fmt(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.2g}"


def line_chart(title: str, series: Sequence[Series], y_unit: str, x_unit: str = "s since start") -> str:
    drawn = [(label, sorted(points)) for label, points in series if points]
    xs = [x for _, pts in drawn for x, _ in pts] or [0.0]
    ys = [y for _, pts in drawn for _, y in pts] or [0.0]
    x_ticks, y_ticks = ticks(min(xs), max(xs)), ticks(0.0, max(ys))
    x_lo, x_span, y_hi = x_ticks[0], (x_ticks[-1] - x_ticks[0]) or 1.0, y_ticks[-1] or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x: float) -> float:
        return LEFT + (x - x_lo) / x_span * plot_w

    def py(y: float) -> float:
        return TOP + plot_h - y / y_hi * plot_h

    parts = [f'<figure class="chart"><figcaption>{escape(title)} <small>({escape(y_unit)}; x: {escape(x_unit)})'
             '</small></figcaption>',
             f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
             f'aria-label="{escape(title)}">']
    for y in y_ticks:  # horizontal grid and y labels
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{py(y):.1f}" y2="{py(y):.1f}" class="grid"/>'
                     f'<text x="{LEFT - 4}" y="{py(y) + 4:.1f}" text-anchor="end">{fmt(y)}</text>')
    for x in x_ticks:
        parts.append(f'<text x="{px(x):.1f}" y="{HEIGHT - 8}" text-anchor="middle">{fmt(x)}</text>')
    for index, (label, points) in enumerate(drawn):
        colour = PALETTE[index % len(PALETTE)]
        d = " ".join(f"{'M' if i == 0 else 'L'}{px(x):.1f},{py(y):.1f}" for i, (x, y) in enumerate(points))
        parts.append(f'<path d="{d}" stroke="{colour}" data-series="{escape(label)}"/>')
        if len(points) == 1:  # a single interval still shows
            parts.append(f'<circle cx="{px(points[0][0]):.1f}" cy="{py(points[0][1]):.1f}" r="3" fill="{colour}"/>')
    parts.append("</svg>")
    legend = "".join(f'<span><i style="background:{PALETTE[i % len(PALETTE)]}"></i>{escape(label)}</span>'
                     for i, (label, _) in enumerate(drawn))
    parts.append(f'<div class="legend">{legend or "no data"}</div></figure>')
    return "".join(parts)
