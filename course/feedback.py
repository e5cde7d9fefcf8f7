"""Typed feedback lines: one (criterion, verdict, text) value per thing said to a learner.

The rewrite checker returns them; the practice widget, the grading cell, the role-play and
the class report draw them. Printed into a notebook, a line becomes ``"<mark> <text>"``;
:func:`parse` is the one place that reads such a printed line back (the class report sees
only the autograded notebooks' output).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Verdict(Enum):
    """What a line says about its criterion."""

    MET = "✓"
    MISSED = "✗"
    TIP = "💡"  # a recommended criterion not met: advice, no effect on points
    NOTE = "➜"  # information, e.g. what a copied phrase earns


@dataclass(frozen=True)
class Line:
    """One feedback line. ``criterion`` is "R1"–"R4", another check's id, or "" (general)."""

    criterion: str
    verdict: Verdict
    text: str

    @property
    def ok(self) -> bool | None:
        """True (met), False (missed) or None (tip or note)."""
        return {Verdict.MET: True, Verdict.MISSED: False}.get(self.verdict)

    def __str__(self) -> str:
        return f"{self.verdict.value} {self.text}"


def parse(printed: str) -> Line | None:
    """The line a notebook printed with ``str(line)``; None if it is no feedback line."""
    mark, _, text = printed.strip().partition(" ")
    for verdict in Verdict:
        if mark == verdict.value and text:
            return Line("", verdict, text)
    return None
