"""Helpers for nbgrader test cells: friendly German messages and partial credit.

A graded answer is a variable the learner assigns in a code cell. A test cell calls one
of the ``grade_*`` functions with the variable's *name*; the function prints one line
per item (✓ or a hint that does not give the answer away) and returns the points as a
float, which nbgrader records as partial credit. Problems with the answer's form (not a
dict, a misspelt key) raise :class:`Hinweis`, an AssertionError with a German message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from course.content import Label, fold, load_labels, match_label
from course.feedback import Line, Verdict
from course.handover import figure_summary, user_namespace

if TYPE_CHECKING:
    from course.rewrite import RewriteResult

# Set by the trusted scorer (course.trusted): the answers handed over as plain data.
_HANDED: ContextVar[Mapping[str, Any] | None] = ContextVar("handed_over", default=None)


class Hinweis(AssertionError):
    """A failed check whose message is meant for the learner."""


@dataclass(frozen=True)
class FormCheck:
    """What a visible self-check found: truthy when the answer's form is fine.

    The check has printed its lines already; as a cell's last value this shows nothing,
    so "Run All" in an unanswered notebook shows no raw ``True``/``False``.
    """

    ok: bool

    def __bool__(self) -> bool:
        return self.ok

    def _ipython_display_(self) -> None:
        return None


NOT_ANSWERED = ("➜ Noch keine Antwort eingetragen. Trag sie oben ein und führe die Zelle "
                "noch einmal aus.")


def _quoted(text: str) -> str:
    """„text“, without doubling quotes the text brings along."""
    text = str(text)
    return text if text.startswith(("„", '"')) and text.endswith(("“", '"')) else f"„{text}“"


def _scoring() -> bool:
    """Is this the trusted scorer (answers handed over), not the learner's own kernel?"""
    return _HANDED.get() is not None


class _Preview(float):
    """Points in the learner's own kernel: the printed lines say them, so as a cell's
    value this shows nothing (no raw ``0.0`` under a visible test)."""

    def _ipython_display_(self) -> None:
        return None


def _de(number: float) -> str:
    return f"{number:g}".replace(".", ",")


def _points(value: float) -> float:
    """The points a test returns: a plain float for the trusted scorer."""
    return float(value) if _scoring() else _Preview(value)


def _fail(message: str) -> NoReturn:
    raise Hinweis(message) from None


@contextmanager
def handed_over(answers: Mapping[str, Any]) -> Iterator[None]:
    """Within this block, ``answer`` reads the handed-over answers (trusted scoring)."""
    token = _HANDED.set(answers)
    try:
        yield
    finally:
        _HANDED.reset(token)


def notebook_namespace() -> Mapping[str, Any]:
    """The variables of the notebook the learner runs (see :func:`handover.user_namespace`)."""
    return user_namespace()


def answers() -> Mapping[str, Any]:
    """Where the learner's answers come from: handed over to the trusted scorer, else (the
    visible self-checks in the learner's own kernel) the notebook's variables."""
    handed = _HANDED.get()
    return handed if handed is not None else notebook_namespace()


def answer(name: str, namespace: Mapping[str, Any] | None = None) -> Any:
    """The learner's variable ``name`` from ``namespace`` (default: :func:`answers`)."""
    ns = answers() if namespace is None else namespace
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
            f"In `{name}` fehlt der Eintrag {_quoted(missing[0])}. Hast du den Text vor dem "
            "Doppelpunkt verändert? Er muss genau so bleiben."
        )
    return {
        k: match_label(value[k], scheme) if isinstance(value[k], str) else None for k in keys
    }


def check_format(name: str, keys: Sequence[str], scheme: str) -> FormCheck:
    """Tell the learner whether their answer has the right form, without grading it.

    Prints instead of raising, so that "Run All" in an unanswered notebook goes on; empty
    answers get a calm note, not a ✗.
    """
    labels = load_labels(scheme)
    try:
        value = answer(name)
        picks = _read_labels(name, value, keys, labels)
    except Hinweis as hint:
        print(f"✗ {hint}")
        return FormCheck(False)
    empty = [k for k in keys if isinstance(value[k], str) and not value[k].strip()]
    if len(empty) == len(keys):
        print(NOT_ANSWERED)
        return FormCheck(False)
    unknown = [k for k, v in picks.items() if v is None and k not in empty]
    for key in unknown:
        print(f"✗ {_quoted(key)}: {_quoted(value[key])} ist keine gültige Antwort.")
    for key in empty:
        print(f"➜ {_quoted(key)}: noch leer.")
    if unknown or empty:
        print(f"  Erlaubt sind: {_labels_text(labels)}.")
        return FormCheck(False)
    print(f"✓ Form in Ordnung: {len(keys)} Antworten. Ob sie stimmen, zeigt die Bewertung.")
    return FormCheck(True)


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
    items = {text: (labels, right) for text, right in expected.items()}
    return _score_items(items, picks, hints, points_per_item, "richtig zugeordnet",
                        "gehört nicht zu")


def _score_items(
    items: Mapping[str, tuple[Mapping[str, Label], str]],
    picks: Mapping[str, str | None],
    hints: Mapping[str, str] | None,
    points_per_item: float,
    right_note: str,
    wrong_verb: str,
) -> float:
    """One line and partial credit per item: text -> (its label scheme, the right label)."""
    hints = hints or {}
    score = 0.0
    for text, (labels, right) in items.items():
        pick = picks[text]
        if pick == right:
            score += points_per_item
            print(f"✓ „{text}“ – {right_note}.")
        elif pick is None:
            print(f"✗ „{text}“ – keine gültige Antwort. Erlaubt: {_labels_text(labels)}.")
        else:
            hint = hints.get(text, "Lies die Aussage noch einmal genau.")
            print(f"✗ „{text}“ {wrong_verb} „{labels[pick].label}“ – {hint}")
    return score


def _mixed_picks(name: str, value: Any, schemes: Mapping[str, str]) -> dict[str, str | None]:
    picks: dict[str, str | None] = {}
    for key, scheme in schemes.items():
        picks |= _read_labels(name, value, [key], load_labels(scheme))
    return picks


def check_order(name: str, items: Sequence[str]) -> FormCheck:
    """Self-check without points for an ordering answer: a list holding each of ``items``
    exactly once (case and spaces do not matter), not whether the order is right."""
    try:
        value = answer(name)
    except Hinweis as hint:
        print(f"✗ {hint}")
        return FormCheck(False)
    if isinstance(value, list | tuple) and all(
            isinstance(v, str) and not v.strip() for v in value):
        print(NOT_ANSWERED)
        return FormCheck(False)
    allowed = ", ".join(items[:-1]) + f" und {items[-1]}"
    picked = sorted(str(v).strip().casefold() for v in value) if isinstance(
        value, list | tuple) else None
    if picked != sorted(i.casefold() for i in items):
        print(f"✗ `{name}` soll eine Liste sein, in der {allowed} je genau einmal vorkommen.")
        return FormCheck(False)
    print("✓ Form in Ordnung: jedes genau einmal. Ob die Reihenfolge stimmt, zeigt die "
          "Bewertung.")
    return FormCheck(True)


def check_mixed_format(name: str, schemes: Mapping[str, str]) -> FormCheck:
    """Like :func:`check_format`, for a dict whose items use different label schemes."""
    try:
        value = answer(name)
        picks = _mixed_picks(name, value, schemes)
    except Hinweis as hint:
        print(f"✗ {hint}")
        return FormCheck(False)
    if isinstance(value, dict) and all(isinstance(v, str) and not v.strip()
                                       for v in value.values()):
        print(NOT_ANSWERED)
        return FormCheck(False)
    unknown = [k for k, v in picks.items() if v is None]
    for key in unknown:
        allowed = _labels_text(load_labels(schemes[key]))
        print(f"✗ {_quoted(key)}: keine gültige Antwort. Erlaubt sind: {allowed}.")
    if not unknown:
        print(f"✓ Form in Ordnung: {len(picks)} Antworten. Ob sie stimmen, zeigt die Bewertung.")
    return FormCheck(not unknown)


def grade_mixed(name: str, expected: Mapping[str, tuple[str, str]],
                hints: Mapping[str, str] | None = None, points_per_item: float = 1.0) -> float:
    """Grade a dict of items from different modules: item -> (label scheme, right label)."""
    schemes = {k: scheme for k, (scheme, _) in expected.items()}
    picks = _mixed_picks(name, answer(name), schemes)
    items = {text: (load_labels(scheme), right) for text, (scheme, right) in expected.items()}
    return _score_items(items, picks, hints, points_per_item, "richtig", "ist nicht")


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


def grade_rewrite(name: str, key: str, points_per_criterion: float = 1.0,
                  label: str | None = None) -> float:
    """Grade a rewrite with the rewrite checker; the points come from substance.

    The task is worth ``points_per_criterion`` × its required criteria. R1 (no dead end)
    and R4 (register) are gates: failing one earns 0. The points are shared among the
    required content criteria (R2, R3) that are met; none met, or a copy of a phrase the
    course shows, earns 0. ``key`` is a rubric exercise key or the original phrase itself;
    ``label`` names the exercise in the class report (default: the key).
    """
    from course.rewrite import check_rewrite

    value = answer(name)
    if not isinstance(value, str):
        _fail(f"`{name}` soll ein Text in Anführungszeichen sein, z. B. \"Ich …\".")
    if not value.strip() and not _scoring():
        print(NOT_ANSWERED)
        return _points(0.0)
    result = check_rewrite(key, value)
    total = points_per_criterion * len(result.required)
    points, why = rewrite_points(result, total)
    for line in result.feedback:
        print(line)
    print(why)
    if _scoring():  # for the class report; an internal key the learner need not see
        print(criteria_line(label or key, result.criteria))
    return _points(points)


def rewrite_points(result: RewriteResult, total: float) -> tuple[float, Line]:
    """The points of a checked rewrite and a line that says where they come from."""
    content = [c for c in result.required if c in ("R2", "R3")]
    met = [c for c in content if result.criteria[c]]
    gates = [c for c in ("R1", "R4") if not result.criteria[c]]
    if gates:
        why = (f"Ohne {' und '.join(gates)} gibt es keine Punkte: Eine Antwort mit Sackgasse, "
               "Vorwurf oder falschem Ton ist keine gute Antwort, auch wenn sie sonst etwas "
               "richtig macht.")
        points = 0.0
    elif result.copied_example:
        why = "Eine Kopie des Beispielsatzes zeigt nicht, dass du es selbst kannst."
        points = 0.0
    elif len(met) == len(content):
        why, points = "Alle Pflichtkriterien erfüllt.", total
    else:
        points = round(total * len(met) / len(content) * 2) / 2
        done = {0: "erfüllt ist keins davon", 1: f"erfüllt ist {''.join(met)}"}.get(
            len(met), f"erfüllt sind {' und '.join(met)}")
        why = (f"Die Punkte kommen aus {' und '.join(content)}; {done}. Höflich und ohne "
               "Sackgasse (R1, R4) ist die Voraussetzung, bringt allein aber keine Punkte.")
    return points, Line("points", Verdict.NOTE, f"{points:g} von {total:g} Punkten. {why}")


CRITERIA_PREFIX = "Kriterien"


def criteria_line(key: str, criteria: Mapping[str, bool]) -> str:
    """One summary line per rewrite, e.g. "Kriterien (beruhigen): R1 ✓ · R2 ✗ · R3 ✓ · R4 ✓".

    The class report reads these lines from the autograded notebooks.
    """
    marks = " · ".join(
        f"{c} {(Verdict.MET if ok else Verdict.MISSED).value}" for c, ok in sorted(criteria.items())
    )
    return f"{CRITERIA_PREFIX} ({key}): {marks}"


def grade_agree(name: str, points: float = 3.0) -> float:
    """Grade an "Agree" sentence: the speaker's own next step and a real time frame for it.

    R1 (no dead end) and R4 (register) are gates; the points are shared between the step
    and the time frame, and a time frame counts only with a step ("Bis 11 Uhr." is none).
    """
    from course.rewrite import check_rewrite, find_own_step, find_time_frame

    value = answer(name)
    if not isinstance(value, str):
        _fail(f"`{name}` soll ein Text in Anführungszeichen sein, z. B. \"Ich …\".")
    if not value.strip() and not _scoring():
        print(NOT_ANSWERED)
        return _points(0.0)
    result = check_rewrite("nichts-machen", value)
    for line in result.feedback:
        if line.criterion in ("R1", "R4") or not line.criterion:
            print(line)
    lines, share = _agree_lines(find_own_step(value), find_time_frame(value))
    for line in lines:
        print(line)
    gates = result.criteria["R1"] and result.criteria["R4"]
    awarded = points * share if gates else 0.0
    print(Line("points", Verdict.NOTE, f"{awarded:g} von {points:g} Punkten."
               + ("" if gates else " Ohne R1 und R4 gibt es keine Punkte.")))
    return _points(awarded)


def _agree_lines(step: str | None, frame: str | None) -> tuple[list[Line], float]:
    if step is None:
        missing = Line("step", Verdict.MISSED, "Es fehlt dein eigener nächster Schritt: Was "
                       "tust du (z. B. „Ich melde mich …“)?")
        note = [Line("time", Verdict.MISSED, "Ein Zeitrahmen zählt erst zusammen mit deinem "
                     "Schritt.")] if frame else []
        return [missing, *note], 0.0
    lines = [Line("step", Verdict.MET, f"Du sagst, was du tust („{step}“).")]
    if frame is None:
        lines.append(Line("time", Verdict.MISSED, "Es fehlt ein Zeitrahmen: Bis wann meldest "
                          "du dich oder ist es erledigt? „Bald“ oder „irgendwann“ reicht nicht."))
        return lines, 0.5
    lines.append(Line("time", Verdict.MET, f"Du nennst einen Zeitrahmen („{frame}“)."))
    return lines, 1.0


# --- module 09: figures computed with pandas (expected values sit in hidden tests) ---


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _week_number(key: Any) -> int | None:
    if isinstance(key, bool):
        return None
    if isinstance(key, str):
        digits = re.findall(r"\d+", key)
        return int(digits[0]) if len(digits) == 1 else None
    number = _number(key)
    return int(number) if number is not None and number == int(number) else None


def _share(value: float) -> float:
    return value / 100 if value > 1 else value


def grade_share(name: str, expected: float, hint: str, points: float = 1.0,
                tolerance: float = 0.006) -> float:
    """One share (0–1, percent accepted) with a tolerance; ``points`` if right, else 0."""
    value = _number(answer(name))
    if value is None:
        _fail(f"`{name}` soll eine Zahl sein, z. B. 0.25 für ein Viertel.")
    if abs(_share(value) - expected) <= tolerance:
        print(f"✓ `{name}` stimmt.")
        return points
    print(f"✗ `{name}` = {value} passt noch nicht. {hint}")
    return 0.0


def grade_weekly_shares(name: str, expected: Mapping[int, float], hint: str,
                        points_per_week: float = 1.0, tolerance: float = 0.006) -> float:
    """Shares per week as a pandas Series or dict {week: share}; a point per right week."""
    value = answer(name)
    if hasattr(value, "squeeze") and getattr(value, "ndim", 1) == 2:
        value = value.squeeze(axis="columns")  # a DataFrame with one column
    if hasattr(value, "to_dict") and getattr(value, "ndim", 0) == 1:
        value = value.to_dict()
    if not isinstance(value, Mapping):
        _fail(f"`{name}` soll eine pandas-Series oder ein Dictionary sein "
              f"(Woche → Anteil), ist aber {type(value).__name__}.")
    shares: dict[int, float | None] = {}
    for key, raw in value.items():
        week = _week_number(key)
        if week is None:
            _fail(f"In `{name}` ist „{key}“ keine Wochennummer. Die Schlüssel sollen 1, 2, 3 "
                  "und 4 sein.")
        shares[week] = _number(raw)
    missing = [w for w in expected if w not in shares]
    if missing:
        _fail(f"In `{name}` fehlt Woche {missing[0]}. Erwartet werden die Wochen "
              f"{', '.join(str(w) for w in expected)}.")
    if all(s is not None and s > 1 for s in shares.values()):
        print("➜ Du hast Prozentwerte angegeben – gewertet werden sie als Anteile.")
        shares = {w: s / 100 for w, s in shares.items() if s is not None}
    score = 0.0
    for week, right in expected.items():
        mine = shares[week]
        if mine is not None and abs(mine - right) <= tolerance:
            score += points_per_week
            print(f"✓ Woche {week}: stimmt.")
        elif mine is None:
            print(f"✗ Woche {week}: Der Wert ist keine Zahl.")
        else:
            print(f"✗ Woche {week}: {mine:.3f} passt noch nicht. {hint}")
    return score


def grade_week(name: str, expected: int, hint: str, points: float = 1.0) -> float:
    """A week number (int, or text such as "Woche 2")."""
    week = _week_number(answer(name))
    if week is None:
        _fail(f"`{name}` soll eine Wochennummer sein, z. B. 3.")
    if week == expected:
        print(f"✓ `{name}` stimmt.")
        return points
    print(f"✗ Woche {week} ist es nicht. {hint}")
    return 0.0


def grade_bool(name: str, expected: bool, hint: str, points: float = 1.0) -> float:
    """True or False (numpy's bool counts as well)."""
    value = answer(name)
    if type(value).__name__ not in {"bool", "bool_"}:
        _fail(f"`{name}` soll True oder False sein (ohne Anführungszeichen), "
              f"ist aber {type(value).__name__}.")
    if bool(value) == expected:
        print(f"✓ `{name}` stimmt.")
        return points
    print(f"✗ `{name}` passt noch nicht. {hint}")
    return 0.0


def _count(summary: Mapping[str, Any], key: str) -> int:
    value = summary.get(key)
    return value if type(value) is int else 0


def grade_figure(name: str = "abbildung", points: float = 1.0) -> float:
    """A matplotlib figure (the variable ``name``, else pyplot's current one) with at least
    one axes that shows data. Never raises: a missing plot gives 0 points and a message.

    The trusted scorer hands over only a summary of the figure (axes, axes with data)."""
    handed = _HANDED.get()
    if handed is not None:
        summary = handed.get(name)
    else:
        summary = figure_summary(notebook_namespace().get(name))
    if not isinstance(summary, Mapping) or _count(summary, "axes") == 0:
        print(f"✗ Keine Abbildung gefunden. Hast du die Zelle mit `{name}` ausgeführt?")
        return _points(0.0)
    if _count(summary, "with_data") == 0:
        print("➜ Die Abbildung ist noch leer: Zeichne die Anteile je Woche hinein.")
        return _points(0.0)
    print("✓ Die Abbildung zeigt Daten.")
    return _points(points)


def check_answers(names: Iterable[str], namespace: Mapping[str, Any] | None = None) -> None:
    """Visible self-check: says for each answer variable (in ``namespace``, default the
    notebook's) whether it exists and has a usable form – not whether it is right. Never
    raises."""
    namespace = notebook_namespace() if namespace is None else namespace
    names = list(names)
    if all(namespace.get(name) is None for name in names):
        print(NOT_ANSWERED)
        return
    for name in names:
        value = namespace.get(name)
        kind = type(value).__name__
        if name not in namespace or value is None:
            print(f"➜ `{name}`: noch keine Antwort.")
        elif kind in {"Series", "dict"}:
            print(f"✓ `{name}`: {kind} mit {len(value)} Einträgen.")
        elif kind in {"bool", "bool_"}:
            print(f"✓ `{name}`: {bool(value)} (Wahrheitswert).")
        elif _number(value) is not None:
            print(f"✓ `{name}`: die Zahl {value}.")
        else:
            print(f"➜ `{name}`: {kind} – prüfe, ob das die verlangte Form ist.")
    print("Ob die Werte stimmen, zeigt erst die Bewertung.")


# --- module 10: a path through a role-play scenario, replayed by the hidden test ---

PATH_PREFIX = "Pfad"


def path_line(scenario_id: str, turns: Sequence[Any], ending_id: str) -> str:
    """One summary line per replayed path, e.g. "Pfad (vpn-wieder): anruf:2 | frei:1 => ok".

    Each step is node:number, the choice (or, at a free-text turn, the branch) from 1.
    The class report reads these lines to count the class's choices per node.
    """
    from course.dialog import load_scenario

    scenario = load_scenario(scenario_id)
    steps = []
    for turn in turns:
        node = scenario.nodes[turn.node]
        if node.free_text:
            number = node.free_text.branch_for(turn.criteria) + 1
        else:
            number = turn.step
        steps.append(f"{turn.node}:{number}")
    return f"{PATH_PREFIX} ({scenario_id}): {' | '.join(steps)} => {ending_id}"


def grade_dialog(name: str, scenario_id: str, points: float) -> float:
    """Replay the learner's path: points for the ending reached and the models applied.

    Score = turns that applied a model (each node once) − 2 × turns that broke one + the
    ending's points; the cell's points are scaled by score / best score of the scenario
    (a negative score counts as 0), in half points. A path the
    scenario does not allow earns nothing, and the message says why.
    """
    from course.dialog import PathError, best_score, load_scenario, replay

    value = answer(name)
    scenario = load_scenario(scenario_id)
    try:
        talk = replay(scenario, value)
    except PathError as err:
        print(f"✗ Diesen Pfad gibt es im Gespräch „{scenario.title}“ nicht – {err}")
        return 0.0
    ending = talk.ending
    assert ending is not None
    mark = "✓" if ending.kind == "resolved" else "✗"
    print(f"{mark} Ende: {ending.title} ({ending.points} Punkte für dieses Ende).")
    for number, turn in enumerate(talk.turns, start=1):
        model = scenario.models[turn.model]
        if turn.applied:
            print(f"✓ Zug {number}: {model} angewendet.")
        else:
            print(f"✗ Zug {number}: {model} verletzt – {turn.explanation}")
    print(path_line(scenario_id, talk.turns, ending.id))
    score, best = talk.score(), best_score(scenario)
    awarded = round(points * min(max(score, 0), best) / best * 2) / 2
    print(f"Punktwert {score} von {best}: {awarded:g} von {points:g} Punkten.")
    return awarded


def check_path(name: str, scenario_id: str) -> FormCheck:
    """Self-check without points: is the copied path one the scenario allows, and where does
    it end? Prints instead of raising, so that "Run All" goes on."""
    from course.dialog import PathError, load_scenario, replay

    scenario = load_scenario(scenario_id)
    try:
        value = answer(name)
        if (isinstance(value, str) and not value.strip()) or value == []:
            print(NOT_ANSWERED)
            return FormCheck(False)
        talk = replay(scenario, value)
    except (Hinweis, PathError) as err:
        print(f"✗ {err}")
        return FormCheck(False)
    assert talk.ending is not None
    print(f"✓ Der Pfad ist gültig und endet bei {_quoted(talk.ending.title)}. "
          "Wie viele Punkte er bringt, zeigt die Bewertung.")
    return FormCheck(True)
