"""Trusted scoring: test cells are scored in the grader's process, never in the learner's kernel.

nbgrader restores each test cell's source (with its hidden tests) from the gradebook before
it executes a submission. Left alone, the hidden tests would then run in the learner's
kernel, after the learner's code, and the score would be whatever that kernel shows. Here
instead (configured by ``course.nbgrader_ext.configure``, so formgrader's buttons, ``nbgrader
autograde`` and ``./grade`` all take this path):

1. :class:`SealTests` (after nbgrader's ``OverwriteCells``) replaces every test cell's source
   with a hand-over stub (``course.handover.hand_over``) that names the answer variables the
   test reads. The notebook that the kernel executes, and that lies in its working folder,
   holds no hidden test and no key.
2. The kernel runs the notebook; each stub publishes the answers as plain JSON data.
3. :class:`TrustedScore` (after ``Execute``) takes each test cell's source from the gradebook,
   runs it here with the handed-over data, and replaces everything the kernel put into the
   cell's outputs with the trusted messages and points. The cell shows its visible part only.
4. :class:`TrustedSaveAutoGrades` gives 0 to any test cell without a trusted score.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor, SaveAutoGrades
from traitlets import Unicode

from course import grading
from course.grading import Hinweis, handed_over
from course.handover import MAX_BYTES, MAX_DEPTH, MIME

HIDDEN = re.compile(r"[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", re.S)
PLACEHOLDER = "# (Versteckte Tests – der Code bleibt verborgen, die Meldungen siehst du unten.)\n"


def strip_hidden(source: str) -> str:
    """A test cell's source with its hidden part replaced by a note (feedback, notebooks)."""
    return HIDDEN.sub(PLACEHOLDER, source)

NAME_FUNCTIONS = {
    "answer", "grade_labels", "grade_mixed", "grade_order", "grade_rewrite", "grade_agree",
    "grade_share", "grade_weekly_shares", "grade_week", "grade_bool", "grade_dialog",
}
FIGURE_FUNCTIONS = {"grade_figure": "abbildung"}
# A test may call the grading helpers without importing them (as after an import in an
# earlier cell of the learner's notebook); the test never sees the kernel's namespace.
HELPERS = {name: getattr(grading, name) for name in dir(grading)
           if name.startswith(("grade_", "check_")) or name in {"answer", "Hinweis"}}
MAX_RECORD = 4 * MAX_BYTES
MAX_FEEDBACK = 20_000
STUB_NOTE = "# Bewertung: Diese Zelle übergibt nur deine Antworten (als Daten) an die Bewertung."

PROBLEMS = {
    "missing": "Die Variable `{name}` gibt es noch nicht. Hast du die Zelle mit deiner "
               "Antwort ausgeführt (Umschalt + Enter)?",
    "number": "`{name}` enthält keine gültige Zahl (nan oder unendlich).",
    "key": "`{name}` ist ein Dictionary, dessen Schlüssel keine Texte sind oder doppelt "
           "vorkommen.",
    "deep": "`{name}` ist zu tief verschachtelt.",
    "size": "`{name}` ist zu groß für eine Antwort.",
}
TYPE_PROBLEM = ("`{name}` ist vom Typ {kind}. Gewertet werden nur Texte, Zahlen, True/False, "
                "Listen und Dictionaries.")
NO_RECORD = ("Für diese Testzelle ist keine Antwort bei der Bewertung angekommen (die Zelle "
             "lief nicht bis zum Ende oder wurde verändert). 0 Punkte.")


class GradingRefused(RuntimeError):
    """Grading must not run (no sandbox, no trusted scorer): the message says why."""


# --- which answers a test reads -------------------------------------------------------


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def _name_argument(call: ast.Call, default: str | None = None) -> str | None:
    args = [*call.args[:1], *(k.value for k in call.keywords if k.arg == "name")]
    for arg in args:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return arg.value
    return default


def _free_names(tree: ast.AST) -> set[str]:
    loaded: set[str] = set()
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return loaded - bound - set(dir(builtins)) - set(HELPERS)


def answer_names(source: str) -> tuple[list[str], list[str]]:
    """The variables a test's source reads (values, figures), found in its syntax tree."""
    tree = ast.parse(source)
    values, figures = _free_names(tree), set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = _called_name(node)
        if called in NAME_FUNCTIONS and (name := _name_argument(node)):
            values.add(name)
        elif called in FIGURE_FUNCTIONS:
            figures.add(_name_argument(node, FIGURE_FUNCTIONS[called]))
    values = {n for n in values if n.isidentifier()} - figures
    return sorted(values), sorted(n for n in figures if n and n.isidentifier())


def stub(grade_id: str, source: str) -> str:
    """The source a test cell runs in the learner's kernel: hand over answers, nothing else."""
    values, figures = answer_names(source)
    return (f"{STUB_NOTE}\nfrom course.handover import hand_over\n"
            f"hand_over({grade_id!r}, {values!r}, {figures!r})")


# --- reading what the kernel handed over ----------------------------------------------


def _is_plain(value: Any, depth: int = 0) -> bool:
    if depth > MAX_DEPTH + 1:
        return False
    if value is None or type(value) in (str, bool, int, float):
        return True
    if type(value) is list:
        return all(_is_plain(v, depth + 1) for v in value)
    if type(value) is dict:
        return all(type(k) is str and _is_plain(v, depth + 1) for k, v in value.items())
    return False


def _problem_text(name: str, code: Any) -> str:
    code = code if isinstance(code, str) else "?"
    if code.startswith("type:"):
        kind = "".join(ch for ch in code[5:45] if ch.isalnum() or ch == "_") or "?"
        return TYPE_PROBLEM.format(name=name, kind=kind)
    return PROBLEMS.get(code, PROBLEMS["missing"]).format(name=name)


def _records(cell: NotebookNode, grade_id: str) -> list[Any]:
    """The hand-over records of this cell, as plain JSON (nbformat's nodes are dict
    subclasses; a record too large is left out)."""
    found = []
    for output in cell.get("outputs", []):
        data = output.get("data", {}) if output.get("output_type") == "display_data" else {}
        if MIME not in data:
            continue
        text = json.dumps(data[MIME])
        record = json.loads(text) if len(text) <= MAX_RECORD else None
        if isinstance(record, dict) and record.get("cell") == grade_id:
            found.append(record)
    return found


def read_answers(cell: NotebookNode, grade_id: str, values: list[str],
                 figures: list[str]) -> dict[str, Any]:
    """The handed-over answers by name (figures: a summary or None); Hinweis if unusable."""
    records = _records(cell, grade_id)
    if len(records) != 1:
        raise Hinweis(NO_RECORD)
    handed = records[0].get("answers")
    if not isinstance(handed, dict):
        raise Hinweis(NO_RECORD)
    answers: dict[str, Any] = {}
    for name in [*values, *figures]:
        item = handed.get(name)
        if not isinstance(item, dict) or not ("value" in item or "problem" in item):
            raise Hinweis(NO_RECORD)
        if "value" in item and _is_plain(item["value"]):
            answers[name] = item["value"]
        elif name in figures:
            answers[name] = None
        else:
            raise Hinweis(_problem_text(name, item.get("problem", "type:?")))
    return answers


# --- running the test with the data ---------------------------------------------------


@dataclass
class Scored:
    points: float
    text: str
    error: tuple[str, str] | None = None  # (name, message) shown as the cell's error


def _run(source: str, answers: Mapping[str, Any]) -> Any:
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    assert last is None or isinstance(last, ast.Expr)
    namespace: dict[str, Any] = {"__name__": "__kurs_test__", **HELPERS, **answers}
    exec(compile(tree, "<Test>", "exec"), namespace)  # noqa: S102 - the instructor's test
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), "<Test>", "eval"), namespace)  # noqa: S307


def score(source: str, answers: Mapping[str, Any], max_points: float) -> Scored:
    """Run a test cell's source (from the gradebook) on handed-over answers."""
    out = io.StringIO()
    try:
        with handed_over(answers), contextlib.redirect_stdout(out):
            result = _run(source, answers)
    except AssertionError as err:  # Hinweis included: a message meant for the learner
        name = "Hinweis" if isinstance(err, Hinweis) else "AssertionError"
        return Scored(0.0, out.getvalue(), (name, str(err) or "Test nicht bestanden."))
    except Exception as err:  # noqa: BLE001 - an error in the test, not in the answer
        return Scored(0.0, out.getvalue(),
                      ("Testfehler", f"Die Testzelle ist fehlgeschlagen ({type(err).__name__})."))
    if result is None:
        return Scored(max_points, out.getvalue())
    if isinstance(result, bool) or not isinstance(result, int | float):
        return Scored(0.0, out.getvalue(), ("Testfehler", "Die Testzelle gab keinen Punktwert."))
    return Scored(min(max(float(result), 0.0), max_points), out.getvalue())


def trusted_outputs(scored: Scored, execution_count: int | None) -> list[NotebookNode]:
    outputs = []
    if scored.text:
        text = scored.text[:MAX_FEEDBACK]
        outputs.append(new_output("stream", name="stdout", text=text))
    if scored.error:
        name, message = scored.error
        outputs.append(new_output("error", ename=name, evalue=message,
                                  traceback=[f"{name}: {message}"]))
    else:
        outputs.append(new_output("execute_result", data={"text/plain": f"{scored.points:g}"},
                                  execution_count=execution_count))
    return outputs


# --- nbgrader preprocessors -----------------------------------------------------------


def is_test_cell(cell: NotebookNode) -> bool:
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


@dataclass
class Key:
    """What the gradebook knows about the notebook's cells."""

    sources: dict[str, str]
    tests: dict[str, float]  # grade_id -> max points
    meta: dict[str, dict[str, Any]]  # grade_id -> its nbgrader metadata, rebuilt

    @classmethod
    def load(cls, resources: Mapping[str, Any]) -> Key:
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            notebook = gb.find_notebook(info["notebook"], info["assignment"])
            points = {c.name: float(c.max_score) for c in notebook.grade_cells}
            tasks = {c.name: float(c.max_score) for c in notebook.task_cells}
            solutions = {c.name for c in notebook.solution_cells}
            sources, tests, meta = {}, {}, {}
            for cell in notebook.source_cells:
                sources[cell.name] = cell.source
                meta[cell.name] = {
                    "grade": cell.name in points, "grade_id": cell.name,
                    "locked": bool(cell.locked), "schema_version": 3,
                    "solution": cell.name in solutions, "task": cell.name in tasks,
                    **({"points": points.get(cell.name, tasks.get(cell.name))}
                       if cell.name in points or cell.name in tasks else {}),
                    **({"checksum": cell.checksum} if cell.checksum else {}),
                }
                if cell.name in points and cell.name not in solutions \
                        and cell.cell_type == "code":
                    tests[cell.name] = points[cell.name]
        return cls(sources, tests, meta)


class SealTests(NbGraderPreprocessor):
    """Before execution (after nbgrader's OverwriteCells): every nbgrader cell gets its
    metadata back from the gradebook, cells it does not know (or copies nbgrader emptied)
    become plain cells, and test cells only hand answers over. So a copied cell, a forged
    test cell or an unknown schema version costs its author, not the run."""

    def preprocess(self, nb, resources):  # noqa: ANN001, ANN201
        key = Key.load(resources)
        for cell in nb.cells:
            if "nbgrader" not in cell.metadata:
                continue
            meta = cell.metadata["nbgrader"]
            grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
            if grade_id not in key.meta:
                del cell.metadata["nbgrader"]
                continue
            cell.metadata["nbgrader"] = dict(key.meta[grade_id])
            if grade_id in key.tests and cell.cell_type == "code":
                cell.source = stub(grade_id, key.sources[grade_id])
        return nb, resources


class TrustedScore(NbGraderPreprocessor):
    """After execution: score each test cell here, from the gradebook's source and the
    handed-over data; the kernel's own outputs of that cell are discarded."""

    def preprocess(self, nb, resources):  # noqa: ANN001, ANN201
        key = Key.load(resources)
        scored = resources.setdefault("kurs_trusted", {})
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if not is_test_cell(cell) or grade_id not in key.tests:
                continue
            source = key.sources[grade_id]
            try:
                answers = read_answers(cell, grade_id, *answer_names(source))
            except Hinweis as hint:
                result = Scored(0.0, "", ("Hinweis", str(hint)))
            else:
                result = score(source, answers, key.tests[grade_id])
            cell.outputs = trusted_outputs(result, cell.get("execution_count"))
            cell.source = strip_hidden(source)
            scored[grade_id] = result.points
        return nb, resources


class _OneCommit:
    """The gradebook as SaveAutoGrades sees it, with its per-cell commits deferred."""

    def __init__(self, gradebook: Gradebook) -> None:
        self._gradebook = gradebook
        self.db = self  # SaveAutoGrades calls ``self.gradebook.db.commit()`` after each cell

    def commit(self) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gradebook, name)


class TrustedSaveAutoGrades(SaveAutoGrades):
    """nbgrader's SaveAutoGrades, but a test cell without a trusted score earns 0
    (nbgrader would give full points to a test cell that shows no number and no error),
    and the notebook's grades and comments are written in one transaction, not one per
    cell (each commit is a disk sync of the SQLite gradebook)."""

    def preprocess(self, nb, resources):  # noqa: ANN001, ANN201
        info = resources["nbgrader"]
        self.notebook_id, self.assignment_id = info["notebook"], info["assignment"]
        self.student_id, self.db_url = info["student"], info["db_url"]
        with Gradebook(self.db_url) as gradebook:
            self.gradebook = _OneCommit(gradebook)
            nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
            gradebook.db.commit()
        return nb, resources

    def preprocess_cell(self, cell, resources, cell_index):  # noqa: ANN001, ANN201
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if is_test_cell(cell) and grade_id not in resources.get("kurs_trusted", {}):
            message = "Diese Testzelle wurde nicht vertrauenswürdig bewertet: 0 Punkte."
            cell.outputs = [new_output("error", ename="Hinweis", evalue=message,
                                       traceback=[f"Hinweis: {message}"])]
        return super().preprocess_cell(cell, resources, cell_index)


class RefuseGrading(NbGraderPreprocessor):
    """Stands in for the whole autograde pipeline when it is not safe to grade."""

    reason = Unicode("Bewertung gesperrt / grading refused").tag(config=True)

    def preprocess(self, nb, resources):  # noqa: ANN001, ANN201
        raise GradingRefused(self.reason)
