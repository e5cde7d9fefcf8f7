"""The honest check before hand-in: what is missing or malformed, never "all correct".

nbgrader's Validate runs only the visible part of the test cells (an import) and then
reports success in English, whatever the answers are. This check instead reads the
learner's saved notebook and compares it with the course version (``release/``):

* an answer cell still as delivered, or holding an empty answer ``""``: not answered yet;
* a code answer that Python cannot read: the line with the syntax error;
* the form of every answer the notebook's own self-checks test (labels spelt right, all
  items present), run on the answers as plain data;
* a changed or deleted test cell: it is restored for grading, the change counts for nothing.

It never says whether an answer is right: that only the grading knows.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from course import grading

SELF_CHECK = re.compile(r"\bcheck_\w+\(")
TEXT_STUB = "DEINE ANTWORT HIER"
CLOSING = ("Diese Prüfung sagt nur, ob etwas fehlt oder die Form nicht stimmt. Ob deine "
           "Antworten richtig sind, zeigt erst die Bewertung.")


@dataclass
class Check:
    module: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        if self.complete:
            head = [f"{self.module}: Alle Antworten sind ausgefüllt und in gültiger Form."]
        else:
            head = [f"{self.module}: vor der Abgabe noch zu klären ({len(self.problems)}):"]
        return head + [f"✗ {p}" for p in self.problems] + [f"➜ {n}" for n in self.notes] + [
            CLOSING]


def _cells(path: Path) -> list[dict[str, Any]]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
    return cells


def _meta(cell: dict[str, Any]) -> dict[str, Any]:
    return cell.get("metadata", {}).get("nbgrader", {})


def _by_grade_id(cells: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {_meta(c)["grade_id"]: c for c in cells if _meta(c).get("grade_id")}


def _literal_answers(source: str) -> dict[str, Any]:
    """Top-level ``name = <literal>`` assignments of an answer cell, as plain data."""
    found: dict[str, Any] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                node.targets[0], ast.Name):
            with contextlib.suppress(ValueError, TypeError, SyntaxError, MemoryError):
                found[node.targets[0].id] = ast.literal_eval(node.value)
    return found


def _empty_count(value: Any) -> int:
    if isinstance(value, str):
        return int(not value.strip())
    if isinstance(value, dict):
        return sum(_empty_count(v) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(_empty_count(v) for v in value) if value else 1
    return 0


def _answer_problem(number: int, mine: dict[str, Any], given: dict[str, Any],
                    answers: dict[str, Any]) -> str | None:
    """What is wrong with one answer cell (None: nothing to complain about)."""
    label = f"Antwort {number}"
    text = mine["source"]
    if mine["cell_type"] == "markdown":
        unanswered = text.strip() in ("", TEXT_STUB) or text == given["source"]
        return f"{label} (Text): noch nicht beantwortet." if unanswered else None
    try:
        found = _literal_answers(text)
    except SyntaxError as err:
        return (f"{label}: Python kann Zeile {err.lineno} nicht lesen (fehlt ein "
                "Anführungszeichen, ein Komma oder eine Klammer?).")
    # Only complete answers go to the self-checks; empty places are reported here.
    answers.update({k: v for k, v in found.items() if not _empty_count(v)})
    empty = sum(_empty_count(v) for v in found.values())
    if text == given["source"]:
        return f"{label}: noch nicht beantwortet."
    if empty:
        return f"{label}: noch {empty} leere Stelle(n) (\"\")."
    return None


def _self_check_problems(source: str, answers: dict[str, Any]) -> list[str]:
    """Run one of the notebook's self-checks (course code) on the answers as data."""
    out = io.StringIO()
    namespace = {**grading.__dict__, "grading": grading, **answers}
    try:
        with grading.handed_over(answers), contextlib.redirect_stdout(out):
            exec(compile(source, "<Selbstcheck>", "exec"), namespace)  # noqa: S102
    except grading.Hinweis as err:
        return [str(err)]
    except Exception:  # noqa: BLE001 - an answer missing as data: reported elsewhere
        return []
    return [ln.lstrip("✗ ").strip() for ln in out.getvalue().splitlines()
            if ln.startswith("✗")]


def check(notebook: Path, delivered: Path) -> Check:
    """Compare the learner's saved ``notebook`` with the course version ``delivered``."""
    result = Check(notebook.stem)
    try:
        cells = _cells(notebook)
    except (OSError, ValueError, KeyError, TypeError):
        result.problems.append("Die Datei ist kein lesbares Notebook mehr.")
        return result
    mine, given = _by_grade_id(cells), _by_grade_id(_cells(delivered))
    answers: dict[str, Any] = {}
    number = 0
    for grade_id, cell in given.items():
        meta = _meta(cell)
        if meta.get("solution"):
            number += 1
            if grade_id not in mine:
                result.problems.append(f"Antwort {number}: die Zelle fehlt (gelöscht?).")
                continue
            problem = _answer_problem(number, mine[grade_id], cell, answers)
            if problem:
                result.problems.append(problem)
        elif meta.get("grade") and mine.get(grade_id, {}).get("source") != cell["source"]:
            result.notes.append("Eine Testzelle wurde verändert oder gelöscht; bei der "
                                "Bewertung wird sie wiederhergestellt.")
    for cell in _cells(delivered):
        if cell["cell_type"] == "code" and not _meta(cell) and SELF_CHECK.search(
                cell["source"]):
            result.problems += [p for p in _self_check_problems(cell["source"], answers)
                                if p not in result.problems]
    result.notes = sorted(set(result.notes))
    return result
