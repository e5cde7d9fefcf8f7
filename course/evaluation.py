"""Evaluation of the practice quizzes: the learner's choice in, explained feedback out.

Plain functions (``evaluate_*``, ``solution_*``) returning :class:`Verdict` and
:class:`Line` values; the widgets in :mod:`course.quiz` only collect the choice and draw
the lines. Every text that reaches the page goes through :func:`html.escape`, learner text
included.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from course.content import Classification, JargonQuiz, Ordering, SingleChoice
from course.feedback import Verdict as Mark
from course.rewrite import check_rewrite


@dataclass(frozen=True)
class Line:
    """One feedback line: ok is True (✓), False (✗) or None (neutral note)."""

    ok: bool | None
    text: str

    def html(self) -> str:
        icon, color = {True: ("✓", "#1a7f37"), False: ("✗", "#b3261e"), None: ("➜", "#444")}[
            self.ok
        ]
        return (
            f'<div class="kurs-line" style="color:{color};margin:2px 0">'
            f"{icon} {html.escape(self.text)}</div>"
        )


@dataclass(frozen=True)
class Verdict:
    correct: bool
    lines: tuple[Line, ...]


def evaluate_single(quiz: SingleChoice, choice: int | None) -> Verdict:
    if choice is None:
        return Verdict(False, (Line(None, "Wähle zuerst eine Antwort aus."),))
    option = quiz.options[choice]
    lead = "Richtig!" if option.correct else "Leider nicht."
    return Verdict(option.correct, (Line(option.correct, f"{lead} {option.explanation}"),))


def solution_single(quiz: SingleChoice) -> tuple[Line, ...]:
    return tuple(Line(o.correct, f"{o.text} → {o.explanation}") for o in quiz.options)


def evaluate_ordering(quiz: Ordering, chosen: list[str | None]) -> Verdict:
    lines = []
    for place, (step, pick) in enumerate(zip(quiz.steps, chosen, strict=True), start=1):
        if pick is None:
            lines.append(Line(None, f"Platz {place}: noch leer."))
        elif pick == step.text:
            lines.append(Line(True, f"Platz {place}: „{pick}“ – {step.explanation}"))
        else:
            wrong = next(s for s in quiz.steps if s.text == pick)
            lines.append(Line(False, f"Platz {place}: „{pick}“ gehört woanders hin. {wrong.hint}"))
    if len({p for p in chosen if p}) < sum(p is not None for p in chosen):
        lines.append(Line(False, "Du hast einen Schritt mehrfach gewählt."))
    correct = all(p == s.text for p, s in zip(chosen, quiz.steps, strict=True))
    return Verdict(correct, _with_summary(correct, lines))


def solution_ordering(quiz: Ordering) -> tuple[Line, ...]:
    return tuple(
        Line(True, f"{n}. {s.text} – {s.explanation}") for n, s in enumerate(quiz.steps, 1)
    )


def evaluate_classification(quiz: Classification, chosen: list[str | None]) -> Verdict:
    lines = []
    for item, pick in zip(quiz.items, chosen, strict=True):
        if pick is None:
            lines.append(Line(None, f"{item.text} → noch nicht zugeordnet."))
        elif pick == item.answer:
            lines.append(Line(True, f"{item.text} → {item.explanation}"))
        else:
            label = quiz.categories[pick]
            lines.append(Line(False, f"{item.text} → passt nicht zu {label}. {item.hint}"))
    correct = all(p == i.answer for p, i in zip(chosen, quiz.items, strict=True))
    return Verdict(correct, _with_summary(correct, lines))


def solution_classification(quiz: Classification) -> tuple[Line, ...]:
    return tuple(
        Line(True, f"{i.text} → {quiz.categories[i.answer]}: {i.explanation}")
        for i in quiz.items
    )


def _with_summary(correct: bool, lines: list[Line]) -> tuple[Line, ...]:
    if correct:
        return (Line(True, "Alles richtig – sehr gut!"), *lines)
    return (Line(None, "Noch nicht ganz. Korrigiere die Zeilen mit einem Kreuz und prüfe erneut."),
            *lines)


def render(lines: tuple[Line, ...]) -> str:
    return "".join(line.html() for line in lines)


def evaluate_rewrite(key: str, text: str) -> Verdict:
    result = check_rewrite(key, text)
    # A tip keeps its 💡; the widget draws ✓, ✗ and ➜ (notes) itself.
    lines = [Line(line.ok, str(line) if line.verdict is Mark.TIP else line.text)
             for line in result.feedback]
    lead = Line(True, "Bestanden!") if result.passed else Line(False, "Noch nicht bestanden.")
    return Verdict(result.passed, (lead, *lines))


def evaluate_jargon(
    quiz: JargonQuiz, marked: list[set[int]], reveal_missed: bool = False
) -> Verdict:
    """Feedback on the marked tokens (indexes into each item's ``tokens``), item by item.

    Marked jargon gets ✓ and its explanation, a marked plain word ✗ ("verständlich").
    Missed jargon is only counted, unless ``reveal_missed`` (from the second try on).
    """
    lines: list[Line] = []
    correct = True
    for n, (item, picks) in enumerate(zip(quiz.items, marked, strict=True), start=1):
        prefix = f"Satz {n}: " if len(quiz.items) > 1 else ""
        hit = sorted({k for i in picks if (k := item.tokens[i].jargon) is not None})
        plain = [item.tokens[i].text for i in sorted(picks) if item.tokens[i].jargon is None]
        missed = [w for k, w in enumerate(item.jargon) if k not in hit]
        correct = correct and not plain and not missed
        if not picks:
            lines.append(Line(None, f"{prefix}Du hast noch kein Wort markiert."))
        for k in hit:
            word = item.jargon[k]
            lines.append(Line(True, f"{prefix}„{word.word}“ ist Fachsprache: {word.explanation}"))
        for text in plain:
            lines.append(Line(False, f"{prefix}„{text}“ versteht jede Kundin und jeder Kunde – "
                                    "das ist kein Fachjargon."))
        if missed and reveal_missed:
            for word in missed:
                lines.append(Line(False, f"{prefix}Übersehen: „{word.word}“ – {word.explanation}"))
        elif missed and picks:
            count = "ein Fachbegriff" if len(missed) == 1 else f"{len(missed)} Fachbegriffe"
            verb = "steckt" if len(missed) == 1 else "stecken"
            lines.append(Line(False, f"{prefix}Hier {verb} noch {count}. Welches Wort müsstest "
                                     "du einem Laien erklären?"))
        elif not missed and not plain:
            lines.append(Line(True, f"{prefix}Alle Fachbegriffe gefunden."))
    return Verdict(correct, _with_summary(correct, lines))


def solution_jargon(quiz: JargonQuiz) -> tuple[Line, ...]:
    lines = []
    for n, item in enumerate(quiz.items, start=1):
        prefix = f"Satz {n}: " if len(quiz.items) > 1 else ""
        words = ", ".join(f"„{w.word}“" for w in item.jargon)
        lines.append(Line(None, f"{prefix}{item.sentence} – Fachjargon: {words}"))
        lines += [Line(True, f"„{w.word}“: {w.explanation}") for w in item.jargon]
    return tuple(lines)
