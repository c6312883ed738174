"""Charts drawn on the server as SVG (no script, no CDN): stacked bars over a row of columns, with a scale, a legend,
an optional threshold line, and the figures behind them as a table for those who do not see the chart.

``templates/_chart.html`` draws what :func:`stacked` lays out.
"""
from dataclasses import dataclass, field

from flask_babel import format_decimal

WIDTH, HEIGHT = 720, 180
LEFT, BOTTOM, TOP = 44, 22, 8  # room for the scale, the column labels and the top tick
COLOURS = ("blue", "green", "amber", "red", "violet", "muted")


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float]
    colour: str = "blue"  # one of COLOURS, a CSS class of the chart


@dataclass
class Chart:
    title: str
    columns: list[str]
    series: list[Series]
    bars: list[dict] = field(default_factory=list)
    ticks: list[dict] = field(default_factory=list)
    labels: list[dict] = field(default_factory=list)
    threshold: dict | None = None
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: int = HEIGHT - BOTTOM
    formatted: list[list[str]] = field(default_factory=list)  # the table: one row per column, one cell per series

    @property
    def empty(self) -> bool:
        return not any(v for s in self.series for v in s.values)


def stacked(title: str, columns: list[str], series: list[Series], *, fmt=format_decimal, label_every: int = 1,
            threshold: tuple[float, str] | None = None) -> Chart:
    """Each column's bar stacks the series' values there; ``threshold``: (value, label) drawn as a line. ``fmt``
    writes a value (the scale's and the table's): in the reader's numbers by default (18,5; 1.250)."""
    chart = Chart(title, columns, series)
    totals = [sum(s.values[i] for s in series) for i in range(len(columns))]
    top, parts = _nice_scale(max([*totals, threshold[0] if threshold else 0, 1]))
    plot = chart.baseline - TOP
    step = (WIDTH - LEFT) / max(len(columns), 1)
    gap = min(2.0, step * 0.2)
    for index, column in enumerate(columns):
        y = float(chart.baseline)
        for s in series:
            value = s.values[index]
            if value:
                height = plot * value / top
                y -= height
                chart.bars.append({"x": round(LEFT + index * step + gap / 2, 1), "y": round(y, 1),
                                   "w": round(step - gap, 1), "h": round(height, 1), "colour": s.colour,
                                   "tip": f"{column} · {s.name}: {fmt(value)}"})
        if index % label_every == 0:
            chart.labels.append({"x": round(LEFT + (index + 0.5) * step, 1), "text": column})
    chart.ticks = [{"y": round(chart.baseline - plot * part / parts, 1), "text": fmt(top * part / parts)}
                   for part in range(parts + 1)]
    if threshold:
        chart.threshold = {"y": round(chart.baseline - plot * threshold[0] / top, 1), "text": threshold[1]}
    chart.formatted = [[fmt(s.values[i]) for s in series] for i in range(len(columns))]
    return chart


def _nice_scale(value: float) -> tuple[float, int]:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above ``value``, and how many steps divide it into round numbers
    (25 in 5 steps of 5, 20 in 4 of 5): a scale people read at a glance, never 18.75."""
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    for factor, parts in ((1, 5), (2, 4), (2.5, 5), (5, 5), (10, 5)):
        if factor * magnitude >= value:
            return factor * magnitude, parts
    return 10 * magnitude, 5
