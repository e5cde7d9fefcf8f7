"""Helpers for nbgrader test cells: friendly German messages and partial credit.

A graded answer is a variable the learner assigns in a code cell. A test cell calls one
of the ``grade_*`` functions with the variable's *name*; the function prints one line
per item (✓ or a hint that does not give the answer away) and returns the points as a
float, which nbgrader records as partial credit. Problems with the answer's form (not a
dict, a misspelt key) raise :class:`Hinweis`, an AssertionError with a German message.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from course.content import Label, fold, load_labels, match_label


class Hinweis(AssertionError):
    """A failed check whose message is meant for the learner."""


def _fail(message: str) -> None:
    raise Hinweis(message) from None


def answer(name: str, namespace: Mapping[str, Any] | None = None) -> Any:
    """Fetch the learner's variable ``name`` from the notebook's namespace."""
    if namespace is None:
        frame = sys._getframe(2)  # the notebook cell that called a grade_* helper
        namespace = {**frame.f_globals, **frame.f_locals}
    ns = namespace
    if name not in ns:
        _fail(
            f"Die Variable `{name}` gibt es noch nicht. Hast du die Zelle mit deiner "
            "Antwort ausgeführt (Umschalt + Enter)?"
        )
    return ns[name]


def _labels_text(scheme: Mapping[str, Label]) -> str:
    return ", ".join(f"„{label.label}“" for label in scheme.values())


def _read_labels(
    name: str, value: Any, keys: Sequence[str], scheme: Mapping[str, Label]
) -> dict[str, str | None]:
    if not isinstance(value, dict):
        _fail(
            f"`{name}` soll ein Dictionary sein ({{Aussage: Antwort}}), "
            f"ist aber {type(value).__name__}."
        )
    missing = [k for k in keys if k not in value]
    if missing:
        _fail(
            f"In `{name}` fehlt der Eintrag „{missing[0]}“. Hast du den Text vor dem "
            "Doppelpunkt verändert? Er muss genau so bleiben."
        )
    return {
        k: match_label(value[k], scheme) if isinstance(value[k], str) else None for k in keys
    }


def check_format(name: str, keys: Sequence[str], scheme: str) -> bool:
    """Tell the learner whether their answer has the right form, without grading it.

    Prints instead of raising, so that "Run All" in an unanswered notebook goes on.
    """
    labels = load_labels(scheme)
    try:
        value = answer(name)
        picks = _read_labels(name, value, keys, labels)
    except Hinweis as hint:
        print(f"✗ {hint}")
        return False
    unknown = [k for k, v in picks.items() if v is None]
    for key in unknown:
        print(f"✗ „{key}“: „{value[key]}“ ist keine gültige Antwort.")
    if unknown:
        print(f"  Erlaubt sind: {_labels_text(labels)}.")
        return False
    print(f"✓ Form in Ordnung: {len(keys)} Antworten. Ob sie stimmen, zeigt die Bewertung.")
    return True


def grade_labels(
    name: str,
    expected: Mapping[str, str],
    scheme: str,
    hints: Mapping[str, str] | None = None,
    points_per_item: float = 1.0,
) -> float:
    """Grade a dict that assigns each text a label; one line and partial credit per item."""
    labels = load_labels(scheme)
    picks = _read_labels(name, answer(name), list(expected), labels)
    hints = hints or {}
    score = 0.0
    for text, right in expected.items():
        pick = picks[text]
        if pick == right:
            score += points_per_item
            print(f"✓ „{text}“ – richtig zugeordnet.")
        elif pick is None:
            print(f"✗ „{text}“ – keine gültige Antwort. Erlaubt: {_labels_text(labels)}.")
        else:
            hint = hints.get(text, "Lies die Aussage noch einmal genau.")
            print(f"✗ „{text}“ gehört nicht zu „{labels[pick].label}“ – {hint}")
    return score


def grade_order(
    name: str, expected: Sequence[str], hint: str, points_per_item: float = 1.0
) -> float:
    """Grade a list that puts given steps in order; a point for each step in its place."""
    value = answer(name)
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        _fail(f"`{name}` soll eine Liste von Texten sein, z. B. [\"…\", \"…\"].")
    folded = [fold(v) for v in value]
    known = {fold(e): e for e in expected}
    unknown = [v for v, f in zip(value, folded, strict=True) if f not in known]
    if unknown:
        _fail(f"„{unknown[0]}“ steht nicht zur Auswahl. Verwende die Schritte aus der Aufgabe.")
    if len(value) != len(expected):
        _fail(f"`{name}` soll genau {len(expected)} Einträge haben, hat aber {len(value)}.")
    score = 0.0
    for place, (mine, right) in enumerate(zip(folded, expected, strict=True), start=1):
        if mine == fold(right):
            score += points_per_item
            print(f"✓ Platz {place}: richtig.")
        else:
            print(f"✗ Platz {place}: „{known[mine]}“ gehört nicht hierher – {hint}")
    return score


def grade_rewrite(name: str, key: str, points_per_criterion: float = 1.0) -> float:
    """Grade a rewrite with the rewrite checker: points for each required criterion met."""
    from course.rewrite import check_rewrite

    value = answer(name)
    if not isinstance(value, str):
        _fail(f"`{name}` soll ein Text in Anführungszeichen sein, z. B. \"Ich …\".")
    result = check_rewrite(key, value)
    for line in result.feedback:
        print(line)
    print(criteria_line(key, result.criteria))
    return sum(points_per_criterion for c in result.required if result.criteria[c])


CRITERIA_PREFIX = "Kriterien"


def criteria_line(key: str, criteria: Mapping[str, bool]) -> str:
    """One summary line per rewrite, e.g. "Kriterien (beruhigen): R1 ✓ · R2 ✗ · R3 ✓ · R4 ✓".

    The class report reads these lines from the autograded notebooks.
    """
    marks = " · ".join(f"{c} {'✓' if ok else '✗'}" for c, ok in sorted(criteria.items()))
    return f"{CRITERIA_PREFIX} ({key}): {marks}"


def grade_agree(name: str) -> float:
    """Grade an "Agree" sentence: own next step (R3), a time frame, polite without dead end."""
    from course.rewrite import check_rewrite, find_time_frame

    value = answer(name)
    if not isinstance(value, str):
        _fail(f"`{name}` soll ein Text in Anführungszeichen sein, z. B. \"Ich …\".")
    result = check_rewrite("nichts-machen", value)
    for line in result.feedback:
        if not line.startswith("💡"):
            print(line)
    frame = find_time_frame(value)
    if frame:
        print(f"✓ Du nennst einen Zeitrahmen („{frame}“).")
    else:
        print("✗ Es fehlt ein Zeitrahmen: Bis wann meldest du dich oder ist es erledigt?")
    polite = result.criteria["R1"] and result.criteria["R4"]
    return float(result.criteria["R3"]) + float(frame is not None) + float(polite)
