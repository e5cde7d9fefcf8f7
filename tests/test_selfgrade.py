"""Self-study grading (./bewerten): the trusted scorer on the learner's own notebook.

The learner's folder is what ``./start`` delivers; the notebook is graded through the
course's nbgrader_config.py (sandbox, trusted scorer) in a temporary course made from
source/. Neither the learner's folder nor the feedback written into it holds a key.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest

from course import learner, selfgrade

from .conftest import MODULES, REPO
from .nbgrader_course import solutions, submission
from .test_release import HIDDEN, _secret_lines

pytestmark = pytest.mark.nbgrader

M03 = "03_vier_ohren"


def _hidden_lines(module: str) -> list[str]:
    """Lines of the hidden tests (the keys) of a source notebook."""
    nb = json.loads((REPO / "source" / module / f"{module}.ipynb").read_text("utf-8"))
    text = "\n".join("".join(c["source"]) for c in nb["cells"])
    return [ln.strip() for block in HIDDEN.findall(text) for ln in block.splitlines()
            if len(ln.strip()) > 12]


def _page_text(path: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "\n", path.read_text("utf-8")))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "kurs"
    learner.sync(target)
    return target


def test_learners_folder_holds_no_keys(folder: Path) -> None:
    """Does nothing ./start puts into the learner's folder contain a solution, hidden
    test or grading guide of any module?"""
    delivered = {ln.strip() for p in folder.rglob("*") if p.is_file()
                 for ln in p.read_text("utf-8", errors="replace").splitlines()}
    for module in MODULES:
        secrets = _secret_lines(module)
        assert secrets, module
        assert [ln for ln in secrets if ln in delivered] == [], module


def test_wrong_answers_get_no_points_and_feedback_has_no_keys(
        folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An untouched notebook: 0 points, a German summary, and a feedback page beside the
    notebook that shows no hidden test; the temporary course with the keys is gone."""
    roots: list[Path] = []
    course = selfgrade._course

    @contextmanager
    def recorded(module: str, repo: Path) -> Iterator[Path]:
        with course(module, repo) as root:
            roots.append(root)
            yield root

    monkeypatch.setattr(selfgrade, "_course", recorded)
    result = selfgrade.grade(M03, folder)
    assert result.max_score == 19 and result.score == 0
    assert result.lines()[0] == ("Bewertung von 03_vier_ohren: 0 von 19 Punkten "
                                 "(automatisch bewertet)")
    assert any("Freitext" in line for line in result.lines())
    assert result.feedback == folder / M03 / f"{M03}.bewertung.html"
    page = _page_text(result.feedback)
    assert "BEGIN HIDDEN TESTS" not in page
    keys = _hidden_lines(M03)
    assert keys and [ln for ln in keys if ln in page] == []
    assert len(roots) == 1 and not roots[0].exists(), "temporary course with keys left"


def test_right_answers_get_full_points(folder: Path) -> None:
    """The solution typed into the learner's own notebook: every automatic point."""
    nbformat.write(submission(REPO, M03, solutions(M03)), folder / M03 / f"{M03}.ipynb")
    result = selfgrade.grade(M03, folder)
    assert result.score == result.max_score == 19
    assert [t.score for t in result.tasks if not t.manual] == [5, 5, 5, 4]


def test_without_source_it_refuses_in_german(folder: Path, tmp_path: Path) -> None:
    """A copy without source/ (a workshop machine) cannot self-grade and says why."""
    (tmp_path / "repo").mkdir()
    with pytest.raises(selfgrade.CannotGrade, match="Aufgabenliste"):
        selfgrade.grade(M03, folder, repo=tmp_path / "repo")


def test_command_line(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """./bewerten MODUL prints the points; an unknown module is refused."""
    assert selfgrade.main(["03_vier_ohren", "--dir", str(folder)]) == 0
    assert "0 von 19 Punkten" in capsys.readouterr().out
    assert selfgrade.main(["99_gibtsnicht", "--dir", str(folder)]) == 2
