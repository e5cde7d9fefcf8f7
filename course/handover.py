"""Kernel side of trusted scoring: hand the learner's answers over as plain data.

During autograding, a test cell does not run its tests in the learner's kernel. It runs
``hand_over(grade_id, names, figures)``, which publishes the named answer variables as
JSON (mimetype :data:`MIME`) and nothing else. The trusted scorer in the grader's own
process (``course.trusted``) reads that record from the cell's outputs and scores it
against the key, which never enters the kernel.

Everything here runs in the learner's kernel and may be tampered with; that is fine,
because all it can change is which answer is handed over, never the key or the score.
Only plain types pass (str, int, float, bool, None, list, dict with str keys); pandas and
numpy values are converted to them first. Anything else is reported as a problem code,
which the scorer turns into a German message and 0 points.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from typing import Any

MIME = "application/vnd.kurs.answer+json"
MAX_BYTES = 64 * 1024  # per answer, as JSON
MAX_DEPTH = 8


class Unusable(ValueError):
    """The value cannot be handed over; ``args[0]`` is a problem code for the scorer."""


def _scalar(value: Any) -> Any:
    """numpy scalars (np.float64 is a float subclass) become Python's own types."""
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return value.item()
    return value


def _pandas_plain(value: Any) -> Any:
    pandas = sys.modules.get("pandas")
    if pandas is None:
        return value
    if isinstance(value, pandas.DataFrame) and value.shape[1] == 1:
        value = value.iloc[:, 0]
    if isinstance(value, pandas.Series):
        return {_key(k): _scalar(v) for k, v in value.to_dict().items()}
    return value


def _key(key: Any) -> Any:
    key = _scalar(key)
    if type(key) is int:
        return str(key)  # {1: 0.25} as written for a week; JSON keys are text
    return key


def to_plain(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` made of exact plain types only, or :class:`Unusable`."""
    if depth > MAX_DEPTH:
        raise Unusable("deep")
    value = _scalar(_pandas_plain(value))
    kind = type(value)
    if value is None or kind in (str, bool, int):
        return value
    if kind is float:
        if not math.isfinite(value):
            raise Unusable("number")
        return value
    if kind in (list, tuple):
        return [to_plain(v, depth + 1) for v in value]
    if kind is dict:
        plain = {}
        for key, item in value.items():
            key = _key(key)
            if type(key) is not str or key in plain:
                raise Unusable("key")
            plain[key] = to_plain(item, depth + 1)
        return plain
    raise Unusable(f"type:{kind.__name__}")


def _has_data(ax: Any) -> bool:
    lines = any(len(line.get_xdata()) > 0 for line in ax.get_lines())
    return lines or bool(ax.patches) or bool(ax.collections) or bool(ax.images)


def figure_summary(value: Any) -> dict[str, int] | None:
    """How many axes a matplotlib figure has and how many show data (pyplot's current
    figure when ``value`` is not a figure)."""
    figure = value if hasattr(value, "axes") and hasattr(value, "savefig") else None
    pyplot = sys.modules.get("matplotlib.pyplot")
    if figure is None and pyplot is not None and pyplot.get_fignums():
        figure = pyplot.gcf()
    if figure is None:
        return None
    return {"axes": len(figure.axes), "with_data": sum(_has_data(ax) for ax in figure.axes)}


def entry(namespace: dict[str, Any], name: str, figure: bool = False) -> dict[str, Any]:
    """One answer of the record: {"value": …} or {"problem": code}."""
    if figure:
        summary = figure_summary(namespace.get(name))
        return {"problem": "missing"} if summary is None else {"value": summary}
    if name not in namespace:
        return {"problem": "missing"}
    try:
        plain = to_plain(namespace[name])
    except Unusable as err:
        return {"problem": str(err)}
    except RecursionError:
        return {"problem": "deep"}
    if len(json.dumps(plain, ensure_ascii=False)) > MAX_BYTES:
        return {"problem": "size"}
    return {"value": plain}


def record(grade_id: str, namespace: dict[str, Any], names: Sequence[str],
           figures: Sequence[str] = ()) -> dict[str, Any]:
    answers = {name: entry(namespace, name) for name in names}
    answers |= {name: entry(namespace, name, figure=True) for name in figures}
    return {"cell": grade_id, "answers": answers}


def user_namespace() -> dict[str, Any]:
    """The variables of the notebook the learner runs (IPython's user namespace; a plain
    script's ``__main__``)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - the kernel always has IPython
        shell = None
    else:
        shell = get_ipython()
    return shell.user_ns if shell is not None else vars(sys.modules["__main__"])


def hand_over(grade_id: str, names: Sequence[str], figures: Sequence[str] = ()) -> None:
    """Publish the answers of one test cell for the trusted scorer (autograding only)."""
    from IPython.display import display

    data = record(grade_id, user_namespace(), names, figures)
    shown = ", ".join(f"`{n}`" for n in [*names, *figures]) or "keine"
    text = f"Übergeben an die Bewertung: {shown}"
    display({MIME: data, "text/plain": text}, raw=True)
