"""nbgrader end to end on a temporary copy of the real course.

One class of learners submits module 03 in every state that matters (full solution,
untouched, partly right, test cell edited, endless loop, corrupt file); the scores are
read from the gradebook nbgrader writes. Then feedback and the grade export.
"""

from __future__ import annotations

import copy
import csv
from dataclasses import dataclass
from pathlib import Path

import pytest

from .nbgrader_course import (
    SWAPPED_B,
    max_code_score,
    nbgrader,
    released_course,
    scores,
    solutions,
    submission,
    submit,
)

pytestmark = pytest.mark.nbgrader

M03 = "03_vier_ohren"
M01 = "01_gespraechsstruktur"


@dataclass
class Run:
    root: Path
    autograde_output: str


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = released_course(tmp_path_factory.mktemp("kurs"), [M01, M03])
    sol = solutions(M03)
    submit(root, "loesung", M03, submission(root, M03, sol))
    submit(root, "unberuehrt", M03, submission(root, M03, {}))
    partial = {**sol, "m03_welches_ohr": "welches_ohr = {}",
               "m03_ohren_nachrichten": sol["m03_ohren_nachrichten"].split("ohren_nachricht_b")[0]
               + SWAPPED_B}
    submit(root, "teilweise", M03, submission(root, M03, partial))
    edited = submission(root, M03, {"m03_ohren_nachrichten": sol["m03_ohren_nachrichten"]})
    for cell in edited.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id == "m03_test_umformulierung":
            cell.source = "4.0"
        elif grade_id == "m03_test_welches_ohr":
            cell.source = "pass"
    submit(root, "testzelle", M03, edited)
    loop = {**sol, "m03_ohren_nachrichten": "while True:\n    pass"}
    submit(root, "endlos", M03, submission(root, M03, loop))
    submit(root, "kaputt", M03, '{"cells": [ this is not json')
    submit(root, "loesung", M01, submission(root, M01, solutions(M01)))
    submit(root, "unberuehrt", M01, submission(root, M01, {}))
    out = []
    for module in (M01, M03):
        proc = nbgrader(root, "autograde", module, "--force", check=False)
        out.append(proc.stdout + proc.stderr)
    return Run(root, "\n".join(out))


def test_full_solution_gets_full_points(graded: Run) -> None:
    """Does the source solution, submitted as a learner, get every autograded point?"""
    for module in (M01, M03):
        assert scores(graded.root, module)["loesung"][0] == max_code_score(graded.root, module)


def test_untouched_release_gets_zero(graded: Run) -> None:
    """Does the untouched student version get 0 points, manual answers included?"""
    for module in (M01, M03):
        assert scores(graded.root, module)["unberuehrt"] == (0.0, 0.0)


def test_partly_right_gets_points_in_between(graded: Run) -> None:
    """Message A right (5), B 3 of 5 (3), no ear answers (0), rewrite right (4): 12 points?"""
    assert scores(graded.root, M03)["teilweise"][0] == 12.0


def test_edited_test_cell_is_graded_by_the_original(graded: Run) -> None:
    """Are rewritten test cells graded by the originals? (A+B right: 10, not 19 as edited)"""
    assert scores(graded.root, M03)["testzelle"][0] == 10.0


def test_endless_loop_times_out_and_is_recorded(graded: Run) -> None:
    """Does an endless loop cost only its own cell (tasks 2, 3 still count), timeout recorded?"""
    assert scores(graded.root, M03)["endlos"][0] == 9.0  # both dicts were in the loop cell
    autograded = graded.root / "autograded" / "endlos" / M03 / f"{M03}.ipynb"
    assert "Zeitüberschreitung" in autograded.read_text(encoding="utf-8")


def test_corrupt_notebook_is_reported_and_others_are_graded(graded: Run) -> None:
    """Is a corrupt file a clear error for that learner while everyone else is graded?"""
    assert f"error processing assignment: {graded.root}/submitted/kaputt" in graded.autograde_output
    assert "NotJSONError" in graded.autograde_output
    assert not (graded.root / "autograded" / "kaputt" / M03 / f"{M03}.ipynb").exists()
    assert {"loesung", "unberuehrt", "teilweise", "testzelle", "endlos"} <= set(
        scores(graded.root, M03)
    )


def test_feedback_is_html_without_hidden_tests(graded: Run) -> None:
    """Does every graded learner get HTML feedback that shows no hidden test code?"""
    nbgrader(graded.root, "generate_feedback", M03, "--force")
    for student in ("loesung", "teilweise", "testzelle", "endlos"):
        html = (graded.root / "feedback" / student / M03 / f"{M03}.html").read_text("utf-8")
        assert "BEGIN HIDDEN TESTS" not in html
        assert "Versteckte Tests – der Code bleibt verborgen" in html
        assert "Hier steht nur eine Tatsache" not in html or student == "endlos"
        assert "Bewertungshinweis" not in html
    partial = (graded.root / "feedback" / "teilweise" / M03 / f"{M03}.html").read_text("utf-8")
    assert "gehört nicht zu" in partial, "the learner sees which answers were wrong"


def test_grade_export_has_a_row_per_submission(graded: Run) -> None:
    """Does the grade export list each graded learner with the score from the gradebook?"""
    nbgrader(graded.root, "export", "--to", "grades.csv")
    with (graded.root / "grades.csv").open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["assignment"] == M03]
    by_student = {r["student_id"]: float(r["raw_score"]) for r in rows}
    assert by_student["loesung"] == max_code_score(graded.root, M03)
    assert by_student["teilweise"] == 12.0


def test_feedback_page_is_nbconverts_page_without_its_second_pass() -> None:
    """The feedback exporter skips nbconvert's BeautifulSoup pass: is the page the same
    document nbconvert writes (images without alt text get nbconvert's text, learner
    text stays escaped)?"""
    from bs4 import BeautifulSoup
    from nbconvert.exporters import HTMLExporter
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
    from traitlets.config import Config

    from course.nbgrader_ext import FeedbackExporter

    png = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJ"
           "RU5ErkJggg==")
    cell = new_code_cell("print('<script>alert(1)</script>')", outputs=[
        new_output("stream", name="stdout", text="<b>fett?</b> & <img src=x onerror=alert(1)>"),
        new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"})])
    nb = new_notebook(cells=[new_markdown_cell("![Balken](data:image/png;base64,"
                                               + png + ") <img src='y.png'>"), cell])
    config = Config()
    config.HTMLExporter.template_name = "classic"
    exporter = FeedbackExporter(config=config)
    ours, _ = exporter.from_notebook_node(nb)
    theirs, _ = HTMLExporter(config=config).from_notebook_node(nb)
    assert BeautifulSoup(ours, "html.parser").decode() == theirs
    # the next learner's page, with the shared cells rendered once, holds her own text
    other = copy.deepcopy(nb)
    other.cells.append(new_markdown_cell("Meine **eigene** Antwort"))
    other.cells[1].source = "antwort = 2"
    again, _ = exporter.from_notebook_node(other)
    theirs, _ = HTMLExporter(config=config).from_notebook_node(other)
    assert BeautifulSoup(again, "html.parser").decode() == theirs
    assert "<strong>eigene</strong>" in again and "antwort" in again
    soup = BeautifulSoup(ours, "html.parser")
    assert [img.get("alt") for img in soup.find_all("img")] == [
        "Balken", "No description has been provided for this image",
        "No description has been provided for this image"]
    assert not soup.find_all("script", string="alert(1)") and "onerror" not in str(
        soup.find_all("img"))
