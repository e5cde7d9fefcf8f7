"""Matplotlib figures with a text description, for learners who use a screen reader.

JupyterLab shows a plot as a bare ``<img>``: a screen reader announces "image" and nothing
else. After :func:`enable`, every figure a notebook cell shows – the learner's own as well
as the course's examples – is shown as ``<img alt="…">`` whose text :func:`describe` builds
from the figure itself: title, axis labels and the values of every bar, line and point.
The PNG stays in the output beside it, for nbconvert, formgrader and the feedback pages
(:mod:`course.inert` keeps only the PNG there).

A logic module: matplotlib and IPython are imported where they are used, never ipywidgets.
"""

from __future__ import annotations

import base64
import html
import math
from typing import Any

FIGURE_CLASS = "kurs-figur"
MAX_VALUES = 12  # per data series; a longer one is summarised


def _number(value: Any) -> str:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return "keine Angabe"
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def _x_label(axis: Any, value: Any) -> str:
    """An x value as the learner sees it: a category's name, else the number."""
    units = getattr(axis, "units", None)
    mapping = getattr(units, "_mapping", None)  # matplotlib.category.UnitData
    if mapping:
        names = {v: k for k, v in mapping.items()}
        try:
            return str(names.get(int(round(float(value))), _number(value)))
        except (TypeError, ValueError):
            pass
    return _number(value)


def _series(kind: str, axes: Any, points: list[tuple[Any, Any]]) -> str:
    xname = axes.get_xlabel().strip()
    if not points:
        return ""
    if len(points) > MAX_VALUES:
        ys = [float(y) for _, y in points]
        return (f"{kind} mit {len(points)} Werten zwischen {_number(min(ys))} und "
                f"{_number(max(ys))}.")
    pairs = "; ".join(
        f"{xname + ' ' if xname else ''}{_x_label(axes.xaxis, x)}: {_number(y)}"
        for x, y in points)
    return f"{kind}: {pairs}."


def _axes_text(axes: Any) -> str:
    from matplotlib.container import BarContainer

    parts = []
    title = axes.get_title().strip()
    parts.append(f"Diagramm „{title}“." if title else "Diagramm ohne Titel.")
    xlabel, ylabel = axes.get_xlabel().strip(), axes.get_ylabel().strip()
    if xlabel or ylabel:
        parts.append(f"Waagerecht: {xlabel or 'ohne Beschriftung'}, senkrecht: "
                     f"{ylabel or 'ohne Beschriftung'}.")
    data = []
    for container in axes.containers:
        if isinstance(container, BarContainer):
            points = [(p.get_x() + p.get_width() / 2, p.get_height()) for p in container]
            data.append(_series("Balken", axes, points))
    for line in axes.get_lines():
        xs, ys = line.get_xdata(), line.get_ydata()
        data.append(_series("Linie", axes, list(zip(xs, ys, strict=False))))
    for collection in axes.collections:
        offsets = collection.get_offsets()
        if len(offsets):
            data.append(_series("Punkte", axes, [(x, y) for x, y in offsets]))
    data = [d for d in data if d]
    parts += data or ["Noch keine Daten eingezeichnet."]
    return " ".join(parts)


def describe(figure: Any) -> str:
    """A German text description of a matplotlib figure, built from its data."""
    axes = [a for a in figure.get_axes() if a.get_visible()]
    if not axes:
        return "Leere Abbildung: noch kein Diagramm."
    return " ".join(_axes_text(a) for a in axes)


def figure_html(figure: Any) -> str:
    """The figure as a PNG image with its description as alt text."""
    from IPython.core.pylabtools import print_figure

    png = print_figure(figure, "png", bbox_inches="tight")
    if not png:
        return ""
    data = base64.b64encode(png).decode("ascii")
    return (f'<img class="{FIGURE_CLASS}" alt="{html.escape(describe(figure), quote=True)}" '
            f'src="data:image/png;base64,{data}">')


def _register(shell: Any) -> None:
    from matplotlib.figure import Figure

    formatter = shell.display_formatter.formatters["text/html"]
    if formatter.type_printers.get(Figure) is not figure_html:
        formatter.for_type(Figure, figure_html)


def enable() -> None:
    """Show every figure of this kernel with its description (outside a kernel: nothing)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    _register(shell)
    # The inline backend resets the figure formats when it is loaded (at the first figure,
    # in the middle of a cell) and on %matplotlib: register again before every cell and
    # after it, before the backend shows the cell's figures (it registered later).
    shell.events.register("pre_run_cell", lambda *_: _register(shell))
    shell.events.register("post_execute", lambda: _register(shell))
