"""Which cells of a submission grading may leave unexecuted: the course's practice widgets.

A practice cell such as ``quiz.show("03_vier_ohren", "drucker_ohren")`` only displays a
widget; nothing it does reaches an answer variable, a file or a score, and nobody clicks
it while a notebook is graded. ``./grade`` leaves such cells out (``course.limits``), every
other cell runs as in plain nbgrader, in the same order. A cell is left out only when all
of this holds, else it runs:

- its source is exactly a cell of the instructor's notebook in ``source/`` (the learner did
  not change it) that is neither an answer nor a test cell;
- every statement is a call ``quiz.show(…)`` or ``protocol_view.show(…)`` with constant
  arguments (``course.quiz.show`` / ``course.protocol_view.show``: build a widget, read only);
- no cell the learner wrote or changed names ``quiz``, ``protocol_view``, ``course``, ``show``
  or ``random`` (so ``quiz`` is the course's module and nothing patched it), uses dynamic
  access (``globals``, ``exec``, ``getattr``, ``sys``, a dunder such as ``__class__``,
  IPython's ``In``/``Out``/``_3`` …, whose values would differ by a skipped execution
  count), imports anything but a few data libraries (``IMPORTS``) or with ``*``, or is
  not plain Python (a magic); and the learner's folder holds no Python module of its own
  (``course.limits`` checks): else the whole notebook runs.

Time: the skipped cells' few tenths of a second are not spent from the notebook's
``notebook_budget``; a notebook that hits that budget within them may run one cell more
than in plain nbgrader (whose own timing varies by more from run to run).

Not covered: code that first writes a module file while it is graded and then imports
it under a library's name, to patch the course's widgets; such a notebook loses only what
that patch would have done in a skipped cell.

So the learner's answers and the trusted scores are what plain nbgrader computes; only the
skipped cells' own widget outputs are missing from the autograded notebook and feedback.

When cells are left out, an unchanged instructor cell that only imports also runs without
the views (``VIEWS``) that no cell still running names (:func:`trimmed`): building no
widget, the kernel need not load ipywidgets (a tenth of its start-up). The notebook keeps
the cell's source as it was.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

import nbformat
from nbformat import NotebookNode

DISPLAY_CALLS = {("quiz", "show"), ("protocol_view", "show")}
VIEWS = {"quiz", "protocol_view"}  # the course's widget modules (``from course import …``)
GUARDED = {"quiz", "protocol", "protocol_view", "course", "show", "random"}
DYNAMIC = {"globals", "locals", "vars", "exec", "eval", "compile", "__import__", "getattr",
           "setattr", "delattr", "__builtins__", "builtins", "sys", "importlib", "inspect",
           "get_ipython", "In", "Out", "exit", "quit", "gc"}
IMPORTS = {"pandas", "numpy", "matplotlib", "math", "statistics", "datetime", "calendar",
           "collections", "itertools", "functools", "operator", "re", "string", "textwrap",
           "json", "csv", "decimal", "fractions", "typing", "dataclasses", "time"}
MODULE_FILES = (".py", ".pyc", ".so", ".pth", ".zip", ".egg", ".whl")
HISTORY = re.compile(r"^(_+|_\d+|_i+\d*|_[oid]h)$")  # IPython's output and input history


def _names(tree: ast.AST) -> set[str]:
    """Every identifier a cell mentions: names, attributes, imports, definitions."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.alias):
            found.update(node.name.split("."))
            if node.asname:
                found.add(node.asname)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.update(node.module.split("."))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(node.name)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            found.update(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            found.add(node.name)
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            found.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            found.add(node.rest)
    return found


def _display_only(tree: ast.Module) -> bool:
    """Is every statement a ``quiz.show(…)`` / ``protocol_view.show(…)`` with constants?"""
    if not tree.body:
        return False
    for statement in tree.body:
        call = statement.value if isinstance(statement, ast.Expr) else None
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
            return False
        owner = call.func.value
        if not isinstance(owner, ast.Name) or (owner.id, call.func.attr) not in DISPLAY_CALLS:
            return False
        arguments = [*call.args, *(k.value for k in call.keywords)]
        if any(k.arg is None for k in call.keywords) or not all(
                isinstance(a, ast.Constant) for a in arguments):
            return False
    return True


def _graded(cell: NotebookNode) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return bool(meta.get("solution") or meta.get("grade") or meta.get("task"))


def instructor_cells(source: NotebookNode) -> set[str]:
    """Sources of the instructor's code cells that are neither answers nor tests."""
    return {c.source for c in source.cells if c.cell_type == "code" and not _graded(c)}


def skippable(nb: NotebookNode, instructor: Iterable[str]) -> set[int]:
    """Indices of the cells grading may leave unexecuted (see the module's docstring)."""
    instructor = set(instructor)
    skip: set[int] = set()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except (SyntaxError, ValueError):
            return set()  # not plain Python (a magic?): run everything
        meta = cell.metadata.get("nbgrader", {})
        test = bool(meta.get("grade")) and not meta.get("solution")
        if cell.source in instructor and not _graded(cell):
            if _display_only(tree):
                skip.add(index)
            continue
        if test:
            continue  # a test cell runs only the course's hand-over stub (course.trusted)
        names = _names(tree)
        if (names & (GUARDED | DYNAMIC) or not _imports_allowed(tree)
                or any(HISTORY.match(n) or n.startswith("__") for n in names)):
            return set()
    return skip


def trimmed(nb: NotebookNode, instructor: Iterable[str], skip: set[int]) -> dict[int, str]:
    """Index -> the source to run instead, for unchanged instructor cells made only of
    imports that import a view no cell still running names (only when cells are left
    out, so that the rules above hold for every cell the learner wrote)."""
    if not skip:
        return {}
    instructor = set(instructor)
    cells = {i: c for i, c in enumerate(nb.cells) if c.cell_type == "code" and i not in skip}
    trees = {i: ast.parse(c.source) for i, c in cells.items()}
    out: dict[int, str] = {}
    for index, tree in trees.items():
        cell = cells[index]
        if cell.source not in instructor or _graded(cell) or not _only_imports(tree):
            continue
        named = set().union(*(_names(t) for i, t in trees.items() if i != index))
        unused = VIEWS - named
        kept = [_without(statement, unused) for statement in tree.body]
        if kept != tree.body:
            out[index] = "\n".join(ast.unparse(st) for st in kept if st is not None) or "pass"
    return out


def _only_imports(tree: ast.Module) -> bool:
    return bool(tree.body) and all(isinstance(st, ast.Import | ast.ImportFrom)
                                   for st in tree.body)


def _without(statement: ast.stmt, unused: set[str]) -> ast.stmt | None:
    """``from course import …`` without the ``unused`` views (None: nothing left)."""
    if not (isinstance(statement, ast.ImportFrom) and statement.module == "course"
            and not statement.level):
        return statement
    names = [a for a in statement.names if a.asname is not None or a.name not in unused]
    if len(names) == len(statement.names):
        return statement
    return ast.ImportFrom(module="course", names=names, level=0) if names else None


def _imports_allowed(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            tops = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level or any(alias.name == "*" for alias in node.names):
                return False
            tops = [(node.module or "").split(".")[0]]
        else:
            continue
        if not set(tops) <= IMPORTS:
            return False
    return True


def has_modules(folder: Path) -> bool:
    """Does the learner's folder hold anything Python could import?"""
    try:
        return any(p.suffix in MODULE_FILES or p.name == "__init__.py"
                   for p in Path(folder).rglob("*"))
    except OSError:
        return True


_CACHE: dict[tuple[str, float], set[str]] = {}


def instructor_sources(path: Path) -> set[str] | None:
    """The instructor cells of the notebook in ``source/``, or None if it cannot be read."""
    try:
        key = (str(path), path.stat().st_mtime)
        if key not in _CACHE:
            _CACHE[key] = instructor_cells(nbformat.read(path, as_version=4))
        return _CACHE[key]
    except Exception:  # noqa: BLE001 - no source notebook: nothing is skipped
        return None
