"""The honest check before hand-in: missing and malformed answers, never "all correct"."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from course import handin

from .conftest import REPO
from .nbgrader_course import solutions, submission

M03 = "03_vier_ohren"
DELIVERED = REPO / "release" / M03 / f"{M03}.ipynb"


def _notebook(tmp_path: Path, answers: dict[str, str], reflection: str | None = None) -> Path:
    nb = submission(REPO, M03, answers)
    for cell in nb.cells:
        if reflection and cell.metadata.get("nbgrader", {}).get("grade_id") == "m03_reflexion":
            cell.source = reflection
    path = tmp_path / f"{M03}.ipynb"
    nbformat.write(nb, path)
    return path


def test_untouched_notebook_lists_every_answer_as_missing() -> None:
    result = handin.check(DELIVERED, DELIVERED)
    assert not result.complete
    assert result.problems == ["Antwort 1: noch nicht beantwortet.",
                               "Antwort 2: noch nicht beantwortet.",
                               "Antwort 3: noch nicht beantwortet.",
                               "Antwort 4 (Text): noch nicht beantwortet."]
    assert result.lines()[-1] == handin.CLOSING


def test_wrong_but_valid_answers_are_not_called_right(tmp_path: Path) -> None:
    """Swapped labels are valid in form: the check says complete, never correct."""
    sol = solutions(M03)
    swapped = sol["m03_welches_ohr"].replace('"Sachinhalt"', '"X"').replace(
        '"Appell"', '"Sachinhalt"').replace('"X"', '"Appell"')
    assert swapped != sol["m03_welches_ohr"]
    path = _notebook(tmp_path, {**sol, "m03_welches_ohr": swapped}, "Meine Gedanken.")
    result = handin.check(path, DELIVERED)
    assert result.complete and result.problems == []
    text = "\n".join(result.lines())
    assert "richtig sind, zeigt erst die Bewertung" in text
    assert "Success" not in text and "bestanden" not in text.lower()


def test_misspelt_label_empty_place_and_syntax_error(tmp_path: Path) -> None:
    sol = solutions(M03)
    answers = {
        **sol,
        "m03_welches_ohr": sol["m03_welches_ohr"].replace('"Appell"', '"Appel"', 1),
        "m03_umformulierung": 'umformulierung = "Das tut mir leid',
        "m03_ohren_nachrichten": sol["m03_ohren_nachrichten"].replace('"Beziehung"', '""', 1),
    }
    result = handin.check(_notebook(tmp_path, answers), DELIVERED)
    problems = "\n".join(result.problems)
    assert "Antwort 1: noch 1 leere Stelle(n)" in problems
    assert "„Appel“ ist keine gültige Antwort" in problems
    assert "Antwort 3: Python kann Zeile 1 nicht lesen" in problems
    assert "Antwort 4 (Text): noch nicht beantwortet." in problems


def test_changed_test_cell_and_broken_file(tmp_path: Path) -> None:
    path = _notebook(tmp_path, solutions(M03), "Text")
    nb = json.loads(path.read_text("utf-8"))
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "m03_test_welches_ohr":
            cell["source"] = "4.0"
    path.write_text(json.dumps(nb), "utf-8")
    assert any("Testzelle" in n for n in handin.check(path, DELIVERED).notes)
    path.write_text("kein json", "utf-8")
    assert handin.check(path, DELIVERED).problems == ["Die Datei ist kein lesbares Notebook mehr."]


# --------------------------------------------------------------------------- the workshop


def test_workshop_validate_is_the_honest_check_inside_the_home(tmp_path: Path) -> None:
    """nbgrader's /assignments/validate in the workshop (course.workshop_lab): the honest
    check of a fetched notebook; nothing outside the learner's folder, no non-module."""
    from tornado import web

    from course import workshop_lab

    home = tmp_path / "home"
    (home / M03).mkdir(parents=True)
    (home / M03 / f"{M03}.ipynb").write_bytes(DELIVERED.read_bytes())
    lines = workshop_lab.check_lines(home, f"{M03}/{M03}.ipynb")
    assert lines[0].startswith(f"{M03}: vor der Abgabe noch zu klären (4)")
    assert lines[-1] == handin.CLOSING
    assert "kein Modul dieses Kurses" in workshop_lab.check_lines(home, "notizen.ipynb")[0]
    with pytest.raises(web.HTTPError):
        workshop_lab.check_lines(home, f"../{M03}.ipynb")


def test_start_page_panel_in_the_workshop_has_no_self_grading(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The start page's hand-in panel: alone with check and self-grading; in the workshop
    the check and where to submit, no self-grading (keys are not the learner's there)."""
    from course import handin_view, learner

    def buttons(box) -> list[str]:  # noqa: ANN001
        row = next(c for c in box.children if hasattr(c, "children"))
        return [b.description for b in row.children]

    monkeypatch.delenv(learner.WORKSHOP_ENV, raising=False)
    assert buttons(handin_view.show()) == ["Vor der Abgabe prüfen", "Selbst bewerten"]
    monkeypatch.setenv(learner.WORKSHOP_ENV, "1")
    box = handin_view.show()
    assert buttons(box) == ["Vor der Abgabe prüfen"]
    assert any("Nbgrader → Assignment List" in str(getattr(c, "value", "")) for c in box.children)


def test_workshop_delivers_only_the_start_page(tmp_path: Path) -> None:
    from course import learner

    report = learner.sync(tmp_path, only=[learner.START])
    assert report.copied == [learner.START]
    assert sorted(p.name for p in tmp_path.iterdir()) == [learner.MANIFEST, learner.START]
    assert learner.find_course_dir(tmp_path / M03, env={}) == tmp_path.resolve()


def test_order_answer_form_is_checked(tmp_path: Path) -> None:
    """Module 04's order self-check is a course check now, so the honest check runs it."""
    module = "04_gfk"
    sol = solutions(module)
    grade_id = next(g for g, src in sol.items() if "gfk_reihenfolge =" in src)
    nb = submission(REPO, module, {**sol, grade_id: 'gfk_reihenfolge = ["C", "D", "A", "A"]'})
    path = tmp_path / f"{module}.ipynb"
    nbformat.write(nb, path)
    result = handin.check(path, REPO / "release" / module / f"{module}.ipynb")
    assert any("A, B, C und D je genau einmal" in p for p in result.problems), result.problems
