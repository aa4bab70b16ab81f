"""A line chart of one or more series on shared axes, drawn in braille dots (2x4 per cell).

Each series is drawn as steps (a balance holds until the next close moves it), in its own theme
colour; a cell where two series meet is drawn in the foreground colour. The y axis is labelled at
the top, middle and bottom, the x axis (epoch ms) with its first and last UTC date.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

from textual.content import Content
from textual.markup import escape
from textual.reactive import reactive
from textual.widget import Widget

from .. import format as fmt

BRAILLE = 0x2800
# The dot bit of pixel (x % 2, y % 4) inside a braille cell, by [y][x].
DOT = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
BOTH = "$foreground"


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    points: tuple[tuple[int, float], ...]  # (x, y), x ascending
    colour: str  # a theme variable, such as "$primary"


def bounds(series: Sequence[Series]) -> tuple[float, float, float, float] | None:
    """x0, x1, y0, y1 over every point (y padded a little, so a line never sits on the frame)."""
    xs = [x for s in series for x, _ in s.points]
    ys = [y for s in series for _, y in s.points]
    if not xs:
        return None
    y0, y1 = min(ys), max(ys)
    pad = (y1 - y0) * 0.04 or max(abs(y0) * 0.001, 1.0)
    return min(xs), max(xs), y0 - pad, y1 + pad


def raster(series: Sequence[Series], cols: int, rows: int,
           box: tuple[float, float, float, float]) -> list[list[list[int]]]:
    """grid[row][col][i]: the braille dot bits series i sets in each cell."""
    grid = [[[0] * len(series) for _ in range(cols)] for _ in range(rows)]
    width, height = cols * 2, rows * 4
    x0, x1, y0, y1 = box

    def px(x: float) -> int:
        return 0 if x1 == x0 else min(width - 1, max(0, round((x - x0) / (x1 - x0) * (width - 1))))

    def py(y: float) -> int:
        return min(height - 1, max(0, round((y1 - y) / (y1 - y0) * (height - 1))))

    for i, s in enumerate(series):
        def dot(x: int, y: int) -> None:
            grid[y // 4][x // 2][i] |= DOT[y % 4][x % 2]

        prev: tuple[int, int] | None = None
        for x, y in s.points:
            cx, cy = px(x), py(y)
            if prev is None:
                dot(cx, cy)
            else:
                ax, ay = prev
                for x_ in range(ax, cx + 1):  # the balance holds until the next point...
                    dot(x_, ay)
                step = 1 if cy >= ay else -1  # ...then moves to it
                for y_ in range(ay, cy + step, step):
                    dot(cx, y_)
            prev = (cx, cy)
    return grid


def _date(ms: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ms / 1000))


def chart_lines(series: Sequence[Series], width: int, height: int) -> list[str]:
    """The chart as `height` lines of markup, `width` cells wide (axis labels included)."""
    box = bounds(series)
    if box is None or width < 12 or height < 3:
        return ["[$text-muted]no points to draw[/]"]
    x0, x1, y0, y1 = box
    labels = {0: fmt.money(y1), height - 2: fmt.money(y0)}
    if height >= 6:
        labels[(height - 2) // 2] = fmt.money((y0 + y1) / 2)
    gutter = max(len(t) for t in labels.values()) + 1
    cols, rows = max(1, width - gutter - 1), height - 1
    grid = raster(series, cols, rows, box)
    out = []
    for r, line in enumerate(grid):
        parts = [f"[$text-muted]{escape(labels.get(r, '').rjust(gutter - 1))} │[/]"]
        run_colour, run = "", []
        for cell in line:
            bits = 0
            owners = [i for i, b in enumerate(cell) if b]
            for b in cell:
                bits |= b
            colour = series[owners[0]].colour if len(owners) == 1 else (BOTH if owners else "")
            if colour != run_colour and run:
                parts.append(f"[{run_colour}]{''.join(run)}[/]" if run_colour else "".join(run))
                run = []
            run_colour = colour
            run.append(chr(BRAILLE + bits) if bits else " ")
        if run:
            parts.append(f"[{run_colour}]{''.join(run)}[/]" if run_colour else "".join(run))
        out.append("".join(parts))
    first, last = _date(x0), f"{_date(x1)} UTC"
    space = max(1, cols - len(first) - len(last))
    out.append(f"[$text-muted]{' ' * (gutter + 1)}{first}{' ' * space}{last}[/]")
    return out


class LineChart(Widget):
    DEFAULT_CSS = "LineChart { height: 1fr; min-height: 4; }"

    series: reactive[tuple[Series, ...]] = reactive(tuple)

    def render(self) -> Content:
        size = self.content_size
        return Content.from_markup("\n".join(chart_lines(self.series, size.width, size.height)))
