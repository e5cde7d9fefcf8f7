"""Authoring aid: write an nbgrader source notebook from a list of cells in Python.

The notebooks in ``source/`` are the source of truth (edit them in JupyterLab with
nbgrader's "Create Assignment" toolbar). This module only saves typing the nbgrader
metadata when a new module is drafted in a script::

    from tools.nbbuild import md, code, answer, tests, manual, write
    write("source/99_demo/99_demo.ipynb", [md("# Titel"), answer("x = 1", "m99_x"), ...])
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def _meta(grade_id: str, *, solution: bool, grade: bool, points: float = 0) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": not solution,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def md(text: str) -> nbformat.NotebookNode:
    return new_markdown_cell(text.strip("\n"))


def code(source: str) -> nbformat.NotebookNode:
    return new_code_cell(source.strip("\n"))


def answer(source: str, grade_id: str) -> nbformat.NotebookNode:
    """An autograded answer cell: the learner edits it; the solution sits in its markers."""
    cell = new_code_cell(source.strip("\n"))
    cell.metadata.update(_meta(grade_id, solution=True, grade=False))
    return cell


def tests(source: str, grade_id: str, points: float) -> nbformat.NotebookNode:
    """A locked test cell worth ``points``; hidden parts go between HIDDEN TESTS markers."""
    cell = new_code_cell(source.strip("\n"))
    cell.metadata.update(_meta(grade_id, solution=False, grade=True, points=points))
    return cell


def manual(text: str, grade_id: str, points: float) -> nbformat.NotebookNode:
    """A manually graded Markdown answer; its source text (the grading guide) is replaced
    by the stub in the release version."""
    cell = new_markdown_cell(text.strip("\n"))
    cell.metadata.update(_meta(grade_id, solution=True, grade=True, points=points))
    return cell


def write(path: str | Path, cells: list[nbformat.NotebookNode]) -> None:
    nb = new_notebook(cells=cells)
    nb.metadata.update(
        {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        }
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
