"""Read a module's keys in one pass: every item, its key, its explanation and its rule.

``python -m course.keys 03`` prints, for module 03, each practice quiz (items, keys,
explanations) and each graded test of the source notebook (hidden keys, hints, the grading
guides of manually graded answers), each keyed item with the rule from ``rules.yaml`` that
decides it. ``python -m course.keys --rules`` prints the rule book, ``--all`` every module.

A hidden test names the rule of an item in a comment on the item's line::

    "Sie hören mir offenbar nicht richtig zu.": "beziehung",  # Regel: ohren.beziehung

The source notebooks are private to instructors; this command reads them from ``source/``
and is meant for reviewers and maintainers, not for learners.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import textwrap
import tokenize
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from course.content import (
    Classification,
    Ordering,
    Quiz,
    RuleBook,
    SingleChoice,
    fold,
    load_labels,
    load_quizzes,
    load_rules,
    match_label,
    quiz_modules,
)

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "source"
RULE_TAG = "# Regel:"
LABEL_CALLS = {"grade_labels", "grade_mixed"}
CHOICE_SCHEMES = {"varianten"}  # "which of the variants A/B/C …": the key is a letter


@dataclass(frozen=True)
class KeyedItem:
    """One item with a key: a practice classification item or a graded label item."""

    module: str
    where: str  # "Übung <quiz id>" or "bewertet <grade id>"
    text: str
    key: str  # a label id of ``scheme``
    scheme: str | None
    rule: str | None
    note: str  # explanation (practice) or hint (graded)
    graded: bool


@dataclass(frozen=True)
class GradedCall:
    """A grade_labels/grade_mixed call of a hidden test: its items in the order written."""

    module: str
    grade_id: str
    items: tuple[KeyedItem, ...]


def _comments(source: str) -> dict[int, str]:
    """Rule ids by line number, from ``# Regel: <id>`` comments."""
    found: dict[int, str] = {}
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    for tok in tokens:
        if tok.type == tokenize.COMMENT and tok.string.startswith(RULE_TAG):
            found[tok.start[0]] = tok.string[len(RULE_TAG):].strip()
    return found


def _literal(node: ast.AST | None) -> Any:
    try:
        return ast.literal_eval(node) if node is not None else None
    except ValueError:
        return None


def _call_items(module: str, grade_id: str, call: ast.Call, rules: dict[int, str]
                ) -> Iterator[KeyedItem]:
    name = call.func.id if isinstance(call.func, ast.Name) else ""
    expected = call.args[1] if len(call.args) > 1 else None
    hints = next((_literal(k.value) for k in call.keywords if k.arg == "hints"), None) or {}
    if not isinstance(expected, ast.Dict):
        return
    scheme = _literal(call.args[2]) if name == "grade_labels" and len(call.args) > 2 else None
    for key_node, value_node in zip(expected.keys, expected.values, strict=True):
        if key_node is None:  # a ``**mapping`` inside the dict: no item of its own
            continue
        text, value = _literal(key_node), _literal(value_node)
        pair = value if name == "grade_mixed" else (scheme, value)
        if not isinstance(pair, tuple) or len(pair) != 2:
            continue
        item_scheme, label = pair
        if not isinstance(text, str) or not isinstance(label, str):
            continue
        line = getattr(value_node, "end_lineno", None) or key_node.lineno
        rule = rules.get(line) or rules.get(key_node.lineno)
        yield KeyedItem(module, f"bewertet {grade_id}", text, label, item_scheme, rule,
                        str(hints.get(text, "")), True)


def _cells(module: str) -> list[dict]:
    path = SOURCE / module / f"{module}.ipynb"
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _grading(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def graded_calls(module: str) -> list[GradedCall]:
    """Every grade_labels/grade_mixed call in the module's graded test cells."""
    calls = []
    for cell in _cells(module):
        meta = _grading(cell)
        if cell["cell_type"] != "code" or not meta.get("grade"):
            continue
        source = "".join(cell["source"])
        rules = _comments(source)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in LABEL_CALLS:
                items = tuple(_call_items(module, meta["grade_id"], node, rules))
                calls.append(GradedCall(module, meta["grade_id"], items))
    return calls


def practice_items(module: str) -> Iterator[KeyedItem]:
    for quiz in load_quizzes(module).values():
        if isinstance(quiz, Classification):
            for item in quiz.items:
                yield KeyedItem(module, f"Übung {quiz.id}", item.text, item.answer,
                                quiz.scheme, item.rule, item.explanation, False)


def keyed_items(modules: Iterable[str]) -> list[KeyedItem]:
    """All keyed items (practice and graded) of the given modules."""
    items: list[KeyedItem] = []
    for module in modules:
        items += practice_items(module)
        for call in graded_calls(module):
            items += call.items
    return items


def _label_id(item: KeyedItem) -> str:
    """The item's key as a label id (graded keys may be written as a spelling)."""
    if item.scheme is None:
        return item.key
    try:
        return match_label(item.key, load_labels(item.scheme)) or item.key
    except ValueError:
        return item.key


def conflicts(items: Iterable[KeyedItem], book: RuleBook | None = None) -> list[str]:
    """Problems: same text (same scheme) or same rule with different keys, a key that
    contradicts its rule, a graded item without a rule."""
    book = load_rules() if book is None else book
    problems: list[str] = []
    by_text: dict[tuple[str | None, str], set[str]] = defaultdict(set)
    by_rule: dict[str, set[str]] = defaultdict(set)
    seen: dict[tuple[str | None, str], list[str]] = defaultdict(list)
    for item in items:
        key, place = _label_id(item), f"{item.module} {item.where}: „{item.text}“"
        by_text[(item.scheme, fold(item.text))].add(key)
        seen[(item.scheme, fold(item.text))].append(f"{place} → {key}")
        rule = book.rules.get(item.rule or "")
        if item.graded and item.rule is None:
            problems.append(f"{place}: no rule named (add '{RULE_TAG} <id>')")
        elif item.rule is not None and rule is None:
            problems.append(f"{place}: rule '{item.rule}' is not in rules.yaml")
        elif rule is not None and item.scheme in CHOICE_SCHEMES:
            pass  # a choice between written variants: the rule explains, the letter is the key
        elif rule is not None:
            by_rule[rule.id].add(key)
            if rule.key != key or rule.scheme != item.scheme:
                problems.append(f"{place}: key '{key}' ({item.scheme}) contradicts rule "
                                f"'{rule.id}' → '{rule.key}' ({rule.scheme})")
    for (scheme, _), keys in by_text.items():
        if len(keys) > 1:
            problems.append("same text, different keys: " + "; ".join(seen[(scheme, _)]))
    problems += [f"rule '{r}' leads to different keys {sorted(k)}"
                 for r, k in by_rule.items() if len(k) > 1]
    return problems


def elimination_problems(calls: Iterable[GradedCall]) -> list[str]:
    """Graded matchings a learner could finish by elimination: every label used equally often."""
    problems = []
    for call in calls:
        by_scheme: dict[str | None, list[KeyedItem]] = defaultdict(list)
        for item in call.items:
            if item.scheme not in CHOICE_SCHEMES:
                by_scheme[item.scheme].append(item)
        for scheme, items in by_scheme.items():
            counts = Counter(_label_id(i) for i in items)
            if len(items) > 1 and len(set(counts.values())) == 1:
                problems.append(f"{call.module} {call.grade_id} ({scheme}): every label used "
                                f"{next(iter(counts.values()))}× ({dict(counts)})")
    return problems


# --- printing ---------------------------------------------------------------------------


def _wrap(text: str, indent: str, first: str | None = None) -> str:
    return textwrap.fill(" ".join(text.split()), 96, initial_indent=first or indent,
                         subsequent_indent=indent)


def _rule_lines(rule_id: str | None, book: RuleBook) -> list[str]:
    if rule_id is None:
        return []
    rule = book.rules.get(rule_id)
    if rule is None:
        return [f"      Regel {rule_id}: (fehlt in rules.yaml)"]
    lines = [_wrap(f"Regel {rule.id}: {rule.text}", "      ")]
    if rule.boundary:
        lines.append(_wrap(f"Abgrenzung: {rule.boundary}", "        "))
    return lines


def _quiz_lines(quiz: Quiz, book: RuleBook) -> list[str]:
    lines = [f"[Übung {quiz.id}] {type(quiz).__name__}", _wrap(quiz.question, "  ")]
    if isinstance(quiz, Classification):
        for item in quiz.items:
            lines.append(_wrap(f"{item.text} → {quiz.categories[item.answer]}", "    ", "  • "))
            lines.append(_wrap(item.explanation, "      "))
            lines += _rule_lines(item.rule, book)
    elif isinstance(quiz, SingleChoice):
        for option in quiz.options:
            mark = "✓" if option.correct else "✗"
            lines.append(_wrap(f"{mark} {option.text}", "  "))
            lines.append(_wrap(option.explanation, "      "))
        lines += _rule_lines(quiz.rule, book)
    elif isinstance(quiz, Ordering):
        for n, step in enumerate(quiz.steps, start=1):
            lines.append(_wrap(f"{n}. {step.text} – {step.explanation}", "  "))
        lines += _rule_lines(quiz.rule, book)
    return lines


def _graded_lines(module: str, book: RuleBook) -> list[str]:
    lines: list[str] = []
    calls = {c.grade_id: c for c in graded_calls(module)}
    graded_part = False
    for cell in _cells(module):
        meta = _grading(cell)
        source = "".join(cell["source"])
        graded_part = graded_part or "Bewertete Aufgaben" in source
        if cell["cell_type"] == "markdown" and graded_part and not meta.get("grade"):
            lines += ["  | " + line for line in source.splitlines()]  # the task as learners see it
        if not meta.get("grade"):
            continue
        head = f"[bewertet {meta['grade_id']}, {meta.get('points', 0)} P.]"
        if meta["grade_id"] in calls:
            lines.append(head)
            for item in calls[meta["grade_id"]].items:
                lines.append(_wrap(f"{item.text} → {item.key}", "    ", "  • "))
                if item.note:
                    lines.append(_wrap(f"Hinweis bei falscher Antwort: {item.note}", "      "))
                lines += _rule_lines(item.rule, book) or ["      (keine Regel genannt)"]
        else:
            kind = "Bewertungshinweis" if cell["cell_type"] == "markdown" else "Test"
            lines.append(f"{head} {kind}")
            lines += ["  " + line for line in "".join(cell["source"]).splitlines()]
    return lines


def module_report(module: str, book: RuleBook | None = None) -> str:
    book = load_rules() if book is None else book
    lines = [f"===== {module}"]
    for quiz in load_quizzes(module).values():
        lines += _quiz_lines(quiz, book) + [""]
    if (SOURCE / module).is_dir():
        lines += _graded_lines(module, book)
    return "\n".join(lines)


def rules_report(book: RuleBook | None = None) -> str:
    book = load_rules() if book is None else book
    lines = []
    for topic in book.topics.values():
        lines.append(f"== {topic.title} ({topic.id}" + (f", Schema {topic.scheme})"
                                                       if topic.scheme else ")"))
        for rule in book.rules.values():
            if rule.id.startswith(topic.id + "."):
                target = f" → {rule.key}" if rule.key else ""
                lines.append(_wrap(f"{rule.id}{target} [{', '.join(rule.modules)}]: "
                                   f"{rule.text}", "  "))
                lines.append(_wrap(f"Grundlage: {rule.basis}", "      "))
    return "\n".join(lines)


def find_module(prefix: str) -> str:
    matches = [m for m in quiz_modules() if m.startswith(prefix)]
    if len(matches) != 1:
        raise SystemExit(f"'{prefix}' names no single module (have {', '.join(quiz_modules())})")
    return matches[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m course.keys", description=__doc__.split(
        "\n")[0])
    parser.add_argument("module", nargs="?", help="module number or name, e.g. 03")
    parser.add_argument("--all", action="store_true", help="every module")
    parser.add_argument("--rules", action="store_true", help="print the rule book")
    args = parser.parse_args(argv)
    if args.rules:
        print(rules_report())
    modules = quiz_modules() if args.all else [find_module(args.module)] if args.module else []
    if not modules and not args.rules:
        parser.error("name a module, or give --all or --rules")
    for module in modules:
        print(module_report(module))


if __name__ == "__main__":
    main()
