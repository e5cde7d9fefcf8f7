"""Role-play scenarios: branching dialogs with an escalation meter (module 10).

A scenario is one YAML file in ``course/content/dialogs/`` (format: ``docs/dialogs.md``).
This module loads and validates scenarios, plays them (:class:`Conversation`, used by the
widget and by :func:`replay` in the hidden tests), and searches every path for the best
and worst score. Authors run it from the command line::

    python -m course.dialog check FILE...    # validate; exit 1 with the problems
    python -m course.dialog outline FILE     # the graph as an outline, endings and scores
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from course.content_io import CONTENT_DIR, DIALOG_DIR, ContentError, Reader, read_yaml
from course.feedback import Line

MODELS_FILE = CONTENT_DIR / "dialog_models.yaml"
ENDING_KINDS = {
    "resolved": "gelöst",
    "resolved_bad": "gelöst, aber mit schlechtem Gefühl",
    "team_lead": "an die Teamleitung eskaliert",
    "hung_up": "Kunde hat aufgelegt",
}
CRITERIA = ("R1", "R2", "R3", "R4", "passed")
BROKEN_COST = 2  # points a turn that breaks a model costs (see score_of)
MAX_PATHS = 200_000  # a safety net for the exhaustive search, far above real scenarios


class DialogError(ContentError):
    """A scenario file is malformed; the message names the file and the node."""


class PathError(ValueError):
    """A learner's path that the scenario does not allow; the message is German."""


@dataclass(frozen=True)
class Choice:
    text: str
    next: str
    meter: int
    model: str
    applied: bool
    explanation: str
    better: str | None = None


@dataclass(frozen=True)
class Branch:
    when: dict[str, bool]  # empty for the fallback branch
    next: str
    meter: int
    applied: bool
    explanation: str
    example: str


@dataclass(frozen=True)
class FreeText:
    prompt: str
    task: str  # a rewrite exercise key or the "So NICHT" phrase
    model: str
    better: str
    branches: tuple[Branch, ...]

    def branch_for(self, criteria: dict[str, bool]) -> int:
        for n, branch in enumerate(self.branches):
            if all(criteria.get(c) == v for c, v in branch.when.items()):
                return n
        return len(self.branches) - 1


@dataclass(frozen=True)
class Node:
    id: str
    line: str
    choices: tuple[Choice, ...] = ()
    free_text: FreeText | None = None

    def edges(self) -> list[tuple[str, int, bool]]:
        """(target, meter change, applied) of every choice or branch, in order."""
        if self.free_text:
            return [(b.next, b.meter, b.applied) for b in self.free_text.branches]
        return [(c.next, c.meter, c.applied) for c in self.choices]


@dataclass(frozen=True)
class Ending:
    id: str
    kind: str
    title: str
    text: str
    points: int
    line: str | None = None


@dataclass(frozen=True)
class Scenario:
    id: str
    path: Path
    title: str
    situation: str
    customer: str
    meter_start: int
    meter_max: int
    hang_up: str | None
    start: str
    nodes: dict[str, Node]
    endings: dict[str, Ending]
    models: dict[str, str]  # tag -> name shown to the learner

    def step(self, meter: int, target: str, change: int) -> tuple[str, int]:
        """Where an edge leads and the meter after it; reaching max ends the call at hang_up."""
        after = meter + change
        if self.hang_up and after >= self.meter_max:
            return self.hang_up, self.meter_max
        return target, after


# --------------------------------------------------------------------------- loading


@cache
def load_models(path: Path = MODELS_FILE) -> dict[str, str]:
    data = read_yaml(path)
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in data.items()
    ):
        raise DialogError(f"{path}: expected a mapping of model tag -> name")
    return dict(data)


def _int(r: Reader, name: str, default: int | None = None) -> int:
    value = r.data.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool):
        r.fail(f"field '{name}' must be a whole number, got {value!r}")
    return value


def _model(r: Reader, models: dict[str, str]) -> str:
    tag = r.text("model")
    if tag not in models:
        r.fail(f"unknown model tag '{tag}'; known tags: {', '.join(models)}")
    return tag


def _explanation(r: Reader) -> str:
    if not isinstance(r.data.get("explanation"), str) or not r.data["explanation"].strip():
        r.fail("missing explanation: say in the debrief why this reply helps or hurts")
    return r.text("explanation")


def _choice(r: Reader, models: dict[str, str]) -> Choice:
    better = r.data.get("better")
    if better is not None:
        better = r.text("better")
    return Choice(r.text("text"), r.text("next"), _int(r, "meter"), _model(r, models),
                  r.flag("applied"), _explanation(r), better)


def _when(r: Reader) -> dict[str, bool]:
    when = r.data.get("when")
    if not isinstance(when, dict) or not when:
        r.fail(f"'when' must map criteria ({', '.join(CRITERIA)}) to true or false")
    for key, value in when.items():
        if key not in CRITERIA or not isinstance(value, bool):
            r.fail(f"'when: {key}: {value}' – use criteria {', '.join(CRITERIA)} with true/false")
    return dict(when)


def _free_text(r: Reader, models: dict[str, str]) -> FreeText:
    from course.rewrite import exercise_keys

    task = r.text("task")
    if task not in exercise_keys() and " " not in task:
        r.fail(f"'task' must be a rewrite exercise key ({', '.join(exercise_keys())}) "
               "or the original phrase")
    raw = r.items("branches", 2)
    branches = []
    for n, item in enumerate(raw, start=1):
        b = Reader(r.path, f"{r.where}, branch {n}", item,
                    {"when", "next", "meter", "applied", "explanation", "example"})
        last = n == len(raw)
        if last and "when" in item:
            b.fail("the last branch must have no 'when': it is taken when no other one fits")
        when = {} if last else _when(b)
        branches.append(Branch(when, b.text("next"), _int(b, "meter"), b.flag("applied"),
                               _explanation(b), b.text("example")))
    return FreeText(r.text("prompt"), task, _model(r, models), r.text("better"),
                    tuple(branches))


def _node(path: Path, node_id: str, raw: Any, models: dict[str, str]) -> Node:
    r = Reader(path, f"node '{node_id}'", raw, {"line", "choices", "free_text"})
    line = r.text("line")
    if ("choices" in raw) == ("free_text" in raw):
        r.fail("a node needs either 'choices' (2–4) or one 'free_text'")
    if "free_text" in raw:
        f = Reader(path, f"node '{node_id}', free_text", raw["free_text"],
                    {"prompt", "task", "model", "better", "branches"})
        return Node(node_id, line, free_text=_free_text(f, models))
    items = r.items("choices", 2)
    if len(items) > 4:
        r.fail(f"{len(items)} choices; offer 2 to 4")
    choices = tuple(
        _choice(Reader(path, f"node '{node_id}', choice {n}", item,
                        {"text", "next", "meter", "model", "applied", "explanation", "better"}),
                models)
        for n, item in enumerate(items, start=1)
    )
    return Node(node_id, line, choices=choices)


def _ending(path: Path, ending_id: str, raw: Any) -> Ending:
    r = Reader(path, f"ending '{ending_id}'", raw, {"kind", "title", "text", "points", "line"})
    kind = r.text("kind")
    if kind not in ENDING_KINDS:
        r.fail(f"kind '{kind}' is not one of {', '.join(ENDING_KINDS)}")
    line = r.text("line") if "line" in raw else None
    return Ending(ending_id, kind, r.text("title"), r.text("text"), _int(r, "points"), line)


def _mapping(path: Path, data: dict, name: str) -> dict[str, Any]:
    value = data.get(name)
    if not isinstance(value, dict) or not value:
        raise DialogError(f"{path}: top level: '{name}' must be a mapping of ids")
    for key in value:
        if not isinstance(key, str) or not key.replace("-", "_").isidentifier():
            raise DialogError(f"{path}: {name}: id {key!r} must be a word (letters, _ or -)")
    return value


def parse_scenario(path: str | Path) -> Scenario:
    """Read one scenario file and validate it completely (structure, graph, meter)."""
    path = Path(path)
    try:
        data = read_yaml(path)
        top = Reader(path, "top level", data, {"title", "situation", "customer", "meter",
                                                "start", "nodes", "endings"})
    except ContentError as err:
        raise DialogError(str(err)) from None
    models = load_models()
    try:
        meter = Reader(path, "meter", data.get("meter"), {"start", "max", "hang_up"})
        nodes = {k: _node(path, k, v, models) for k, v in _mapping(path, data, "nodes").items()}
        endings = {k: _ending(path, k, v) for k, v in _mapping(path, data, "endings").items()}
        scenario = Scenario(
            path.stem, path, top.text("title"), top.text("situation"), top.text("customer"),
            _int(meter, "start"), _int(meter, "max", 10),
            meter.text("hang_up") if "hang_up" in meter.data else None,
            top.text("start"), nodes, endings, models,
        )
    except DialogError:
        raise
    except ContentError as err:
        raise DialogError(str(err)) from None
    _check_graph(scenario)
    _check_walks(scenario)
    return scenario


@cache
def load_scenario(scenario_id: str) -> Scenario:
    """A shipped scenario by id, e.g. ``load_scenario("vpn-wieder")``."""
    path = DIALOG_DIR / f"{scenario_id}.yaml"
    if not path.exists():
        known = ", ".join(scenario_ids()) or "keine"
        raise DialogError(f"Szenario '{scenario_id}' gibt es nicht (vorhanden: {known}).")
    return parse_scenario(path)


def scenario_ids() -> list[str]:
    return sorted(p.stem for p in DIALOG_DIR.glob("*.yaml"))


# --------------------------------------------------------------------------- validation


def _fail(s: Scenario, where: str, problem: str) -> None:
    raise DialogError(f"{s.path}: {where}: {problem}")


def _check_graph(s: Scenario) -> None:
    both = sorted(set(s.nodes) & set(s.endings))
    if both:
        _fail(s, f"node '{both[0]}'", "the id is used for a node and an ending")
    if s.start not in s.nodes:
        _fail(s, "start", f"start node '{s.start}' is not among the nodes")
    if s.hang_up is not None and s.hang_up not in s.endings:
        _fail(s, "meter", f"hang_up '{s.hang_up}' is not an ending")
    if not 0 <= s.meter_start <= s.meter_max or s.meter_max < 1:
        _fail(s, "meter", f"start {s.meter_start} must lie within 0…{s.meter_max}")
    for node in s.nodes.values():
        for n, (target, _, _) in enumerate(node.edges(), start=1):
            if target not in s.nodes and target not in s.endings:
                what = "branch" if node.free_text else "choice"
                _fail(s, f"node '{node.id}', {what} {n}",
                      f"unknown target '{target}' (neither a node nor an ending)")
    reached = _reachable(s, [s.start])
    for node_id in s.nodes:
        if node_id not in reached:
            _fail(s, f"node '{node_id}'", f"unreachable: no path from start '{s.start}' leads here")
    can_end = _can_end(s)
    for node_id in s.nodes:
        if node_id not in can_end:
            loop = sorted(_reachable(s, [node_id]) & set(s.nodes))
            _fail(s, f"node '{node_id}'",
                  f"a cycle with no way out: from {', '.join(repr(n) for n in loop)} "
                  "no choice ever leads to an ending")


def _reachable(s: Scenario, starts: list[str]) -> set[str]:
    seen, todo = set(starts), list(starts)
    while todo:
        node = s.nodes.get(todo.pop())
        for target, _, _ in node.edges() if node else []:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _can_end(s: Scenario) -> set[str]:
    good = set(s.endings)
    changed = True
    while changed:
        changed = False
        for node in s.nodes.values():
            if node.id not in good and any(t in good for t, _, _ in node.edges()):
                good.add(node.id)
                changed = True
    return good


def _check_walks(s: Scenario) -> None:
    """Every path ends, and the meter stays in range; searched over (node, meter) states."""
    done: set[tuple[str, int]] = set()
    stack: list[tuple[str, int]] = []

    def visit(node_id: str, meter: int) -> None:
        state = (node_id, meter)
        if state in done or node_id in s.endings:
            return
        if state in stack:
            loop = " → ".join(n for n, _ in stack[stack.index(state):] + [state])
            _fail(s, f"node '{node_id}'",
                  f"a path never ends: it can go round {loop} for ever without the meter "
                  "rising (raise the meter on the way, or lead out of the loop)")
        stack.append(state)
        node = s.nodes[node_id]
        for n, (target, change, _) in enumerate(node.edges(), start=1):
            what = "branch" if node.free_text else "choice"
            after = meter + change
            if after < 0 or (after > s.meter_max and not s.hang_up):
                _fail(s, f"node '{node_id}', {what} {n}",
                      f"the meter leaves its range 0…{s.meter_max}: {meter} {change:+d} = "
                      f"{after} on the path {' → '.join(n for n, _ in stack)}")
            visit(*s.step(meter, target, change))
        stack.pop()
        done.add(state)

    visit(s.start, s.meter_start)


# --------------------------------------------------------------------------- playing


@dataclass(frozen=True)
class Turn:
    """One reply of the learner and what it did."""

    node: str
    step: int | str  # choice number from 1, or the learner's own text
    text: str  # what the learner said
    model: str
    applied: bool
    explanation: str
    meter_before: int
    meter_after: int
    better: str | None  # a better reply, when this one broke the model
    feedback: tuple[Line, ...] = ()  # the rewrite checker's lines at a free-text turn
    criteria: dict[str, bool] | None = None


@dataclass
class Conversation:
    """The state of one play-through; the widget and :func:`replay` drive it."""

    scenario: Scenario
    turns: list[Turn] = field(default_factory=list)
    position: str = ""
    meter: int = 0

    def __post_init__(self) -> None:
        self.restart()

    def restart(self) -> None:
        self.turns.clear()
        self.position, self.meter = self.scenario.start, self.scenario.meter_start

    @property
    def node(self) -> Node | None:
        return self.scenario.nodes.get(self.position)

    @property
    def ending(self) -> Ending | None:
        return self.scenario.endings.get(self.position)

    @property
    def path(self) -> list[int | str]:
        return [t.step for t in self.turns]

    @property
    def meters(self) -> list[int]:
        return [self.scenario.meter_start] + [t.meter_after for t in self.turns]

    def choose(self, number: int) -> Turn:
        """Take choice ``number`` (from 1) at the current node."""
        node = self._current()
        if node.free_text:
            raise PathError("Hier ist eine freie Antwort gefragt: schreib deinen eigenen Text.")
        if not 1 <= number <= len(node.choices):
            raise PathError(f"Hier gibt es die Antworten 1–{len(node.choices)}, nicht {number}.")
        c = node.choices[number - 1]
        better = None if c.applied else (c.better or _best_choice(node).text)
        return self._advance(node, number, c.text, c.next, c.meter, c.model, c.applied,
                             c.explanation, better)

    def answer(self, text: str) -> Turn:
        """Answer a free-text turn; the rewrite checker's criteria pick the branch."""
        from course.rewrite import check_rewrite

        node = self._current()
        if node.free_text is None:
            raise PathError("Hier wählst du eine der vorgegebenen Antworten (eine Zahl).")
        if not isinstance(text, str):
            raise PathError("Eine freie Antwort ist ein Text in Anführungszeichen.")
        free = node.free_text
        result = check_rewrite(free.task, text)
        criteria = {**result.criteria, "passed": result.passed}
        b = free.branches[free.branch_for(criteria)]
        return self._advance(node, text, text, b.next, b.meter, free.model, b.applied,
                             b.explanation, None if b.applied else free.better,
                             result.feedback, criteria)

    def back(self) -> None:
        """Undo the last turn."""
        if self.turns:
            last = self.turns.pop()
            self.position, self.meter = last.node, last.meter_before

    def _current(self) -> Node:
        if self.node is None:
            raise PathError("Das Gespräch ist schon zu Ende.")
        return self.node

    def _advance(self, node: Node, step: int | str, text: str, target: str, change: int,
                 model: str, applied: bool, explanation: str, better: str | None,
                 feedback: tuple[Line, ...] = (), criteria: dict[str, bool] | None = None
                 ) -> Turn:
        before = self.meter
        self.position, self.meter = self.scenario.step(before, target, change)
        turn = Turn(node.id, step, text, model, applied, explanation, before, self.meter,
                    better, feedback, criteria)
        self.turns.append(turn)
        return turn

    def score(self) -> int:
        return score_of(self.turns, self.ending)


def _best_choice(node: Node) -> Choice:
    return min(node.choices, key=lambda c: (not c.applied, c.meter))


def score_of(turns: Sequence[Turn], ending: Ending | None) -> int:
    """Turns that applied a model (each node once), minus two for every turn that broke one,
    plus the ending's points. A detour (mistake, then a good reply to repair it) therefore
    scores less than the direct way."""
    applied = {t.node for t in turns if t.applied}
    broken = sum(not t.applied for t in turns)
    return _score(len(applied), broken, ending.points if ending else 0)


def _score(applied: int, broken: int, ending_points: int) -> int:
    return applied - BROKEN_COST * broken + ending_points


def replay(scenario: Scenario, path: Any) -> Conversation:
    """Play a learner's path; raise :class:`PathError` (German) when the scenario forbids it."""
    if not isinstance(path, (list, tuple)):
        raise PathError(
            f"Der Pfad soll eine Liste sein, z. B. [1, 2, \"…\"], ist aber {type(path).__name__}. "
            "Kopiere ihn aus dem Simulator."
        )
    if not path:
        raise PathError(
            "Dein Pfad ist noch leer. Spiele das Gespräch im Simulator bis zu einem Ende und "
            "kopiere dann die Zeile, die er dir zeigt."
        )
    talk = Conversation(scenario)
    for number, step in enumerate(path, start=1):
        if talk.ending:
            raise PathError(
                f"Nach Schritt {number - 1} ist das Gespräch schon zu Ende "
                f"(„{talk.ending.title}“), der Pfad hat aber {len(path)} Schritte."
            )
        try:
            if isinstance(step, bool) or not isinstance(step, (int, str)):
                raise PathError(f"„{step!r}“ ist weder eine Antwortnummer noch ein Text.")
            if isinstance(step, int):
                talk.choose(step)
            else:
                talk.answer(step)
        except PathError as err:
            raise PathError(f"Schritt {number}: {err}") from None
    if talk.ending is None:
        raise PathError(
            f"Der Pfad endet mitten im Gespräch (nach {_steps(len(path))}). Spiele das "
            "Gespräch bis zu einem Ende und kopiere dann den ganzen Pfad."
        )
    return talk


def _steps(n: int) -> str:
    return "1 Schritt" if n == 1 else f"{n} Schritten"


# --------------------------------------------------------------------------- search


@dataclass(frozen=True)
class Walk:
    """One path through the graph: (node, edge index) pairs and the ending."""

    edges: tuple[tuple[str, int], ...]
    ending: str
    score: int


def walks(s: Scenario) -> Iterator[Walk]:
    """Every path from start to an ending (free-text branches count as edges)."""
    count = 0

    def go(node_id: str, meter: int, edges: tuple, applied: frozenset, broken: int
           ) -> Iterator[Walk]:
        nonlocal count
        if node_id in s.endings:
            count += 1
            if count > MAX_PATHS:
                raise DialogError(f"{s.path}: more than {MAX_PATHS} paths; split the scenario")
            yield Walk(edges, node_id, _score(len(applied), broken, s.endings[node_id].points))
            return
        for n, (target, change, ok) in enumerate(s.nodes[node_id].edges()):
            nxt, after = s.step(meter, target, change)
            yield from go(nxt, after, (*edges, (node_id, n)),
                          applied | {node_id} if ok else applied, broken + (not ok))

    yield from go(s.start, s.meter_start, (), frozenset(), 0)


@dataclass(frozen=True)
class EndingStats:
    reachable: bool
    best: int | None
    worst: int | None
    example: Walk | None  # a best path to this ending


def ending_stats(s: Scenario) -> dict[str, EndingStats]:
    best: dict[str, Walk] = {}
    worst: dict[str, int] = {}
    for walk in walks(s):
        if walk.ending not in best or walk.score > best[walk.ending].score:
            best[walk.ending] = walk
        worst[walk.ending] = min(worst.get(walk.ending, walk.score), walk.score)
    return {
        e: EndingStats(e in best, best[e].score if e in best else None, worst.get(e),
                       best.get(e))
        for e in s.endings
    }


def best_score(s: Scenario, stats: dict[str, EndingStats] | None = None) -> int:
    """The best score of any path (from ``stats`` when they are already at hand)."""
    stats = ending_stats(s) if stats is None else stats
    return max(st.best for st in stats.values() if st.best is not None)


def example_path(s: Scenario, walk: Walk) -> list[int | str]:
    """A learner's path for a walk: choice numbers, and the branch's example text."""
    path: list[int | str] = []
    for node_id, n in walk.edges:
        node = s.nodes[node_id]
        path.append(node.free_text.branches[n].example if node.free_text else n + 1)
    return path


def check_examples(s: Scenario) -> list[str]:
    """Problems with free-text examples: each must take the branch it is written for."""
    from course.rewrite import check_rewrite

    problems = []
    for node in s.nodes.values():
        if node.free_text is None:
            continue
        for n, branch in enumerate(node.free_text.branches):
            result = check_rewrite(node.free_text.task, branch.example)
            taken = node.free_text.branch_for({**result.criteria, "passed": result.passed})
            if taken != n:
                marks = " ".join(f"{c} {'✓' if ok else '✗'}" for c, ok in result.criteria.items())
                problems.append(
                    f"{s.path}: node '{node.id}', branch {n + 1}: the example takes branch "
                    f"{taken + 1} ({marks}): {branch.example!r}"
                )
    return problems


# --------------------------------------------------------------------------- command line


def outline(s: Scenario) -> str:
    """The graph as an indented outline, then every ending with reachability and scores."""
    lines = [f"{s.title}  ({s.path.name}; Eskalation startet bei {s.meter_start}/{s.meter_max})"]
    shown: set[str] = set()

    def show(target: str, depth: int, label: str) -> None:
        pad = "  " * depth
        if target in s.endings:
            e = s.endings[target]
            lines.append(f"{pad}{label} ⇒ ENDE {target} [{e.kind}, {e.points} P.]")
            return
        if target in shown:
            lines.append(f"{pad}{label} → {target} (siehe oben)")
            return
        shown.add(target)
        node = s.nodes[target]
        kind = " [freie Antwort]" if node.free_text else ""
        lines.append(f"{pad}{label} → {target}{kind}: {_short(node.line)}")
        if node.free_text:
            for b in node.free_text.branches:
                cond = ", ".join(f"{c}={v}" for c, v in b.when.items()) or "sonst"
                show(b.next, depth + 1, f"[{cond}] ({b.meter:+d})")
        else:
            for n, c in enumerate(node.choices, start=1):
                mark = "✓" if c.applied else "✗"
                show(c.next, depth + 1, f"{n}. {mark} {c.model} ({c.meter:+d}) {_short(c.text)}")

    show(s.start, 0, "START")
    if s.hang_up:
        lines.append(f"(Eskalation {s.meter_max} ⇒ ENDE {s.hang_up})")
    lines.append("")
    lines.append("Enden (erreichbar; bester / schlechtester Punktwert eines Pfades):")
    stats = ending_stats(s)
    for ending_id, st in stats.items():
        e = s.endings[ending_id]
        if st.reachable:
            lines.append(f"  {ending_id} [{e.kind}]: erreichbar; {st.best} / {st.worst}")
        else:
            lines.append(f"  {ending_id} [{e.kind}]: NICHT erreichbar")
    turns = [len(w.edges) for w in walks(s)]
    lines.append(f"Bester Punktwert insgesamt: {best_score(s, stats)}")
    lines.append(f"{len(turns)} Pfade, {min(turns)} bis {max(turns)} Züge lang")
    return "\n".join(lines)


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.dialog", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate scenario files")
    check.add_argument("files", nargs="+", type=Path)
    out = sub.add_parser("outline", help="print a scenario as an outline with scores")
    out.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    if args.command == "outline":
        try:
            print(outline(parse_scenario(args.file)))
        except ContentError as err:
            print(f"✗ {err}", file=sys.stderr)
            return 1
        return 0
    failed = 0
    for path in args.files:
        try:
            scenario = parse_scenario(path)
            problems = check_examples(scenario)
        except ContentError as err:
            problems = [str(err)]
        for problem in problems:
            print(f"✗ {problem}")
        if problems:
            failed += 1
        else:
            print(f"✓ {path}: {len(scenario.nodes)} nodes, {len(scenario.endings)} endings")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
