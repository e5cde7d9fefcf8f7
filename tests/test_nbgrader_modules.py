"""Every module through nbgrader: solution → full points, untouched → 0, partly right → between.

The partly right submission of each module is data: tests/data/partial/<module>.json holds
the answer cells to replace and the autograded points nbgrader must record.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from .conftest import MODULES, REPO
from .nbgrader_course import (
    max_code_score,
    nbgrader,
    released_course,
    scores,
    solutions,
    submission,
    submit,
)

pytestmark = pytest.mark.nbgrader
PARTIAL = REPO / "tests" / "data" / "partial"
# Filler a learner might paste into a graded rewrite: it has no substance, so it earns 0.
FILLERS = [
    "Vielen Dank für Ihren Anruf.",
    "Guten Tag, hier ist der IT-Support.",
    "Ich verstehe, dass Sie das klären möchten, aber da kann ich nichts machen.",
    "Alles klar.",
]
# Module 03 asks to improve the restart question: the same question reworded is filler too.
OWN_FILLER = {"umformulierung": "Haben Sie es schon mit einem Neustart probiert?"}
_GRADED_TEXT = re.compile(r'grade_(?:rewrite|agree)\(\s*"(\w+)"')


def text_tasks(module: str) -> dict[str, str]:
    """Variable -> grade_id of each test cell that grades a free-text rewrite or agreement."""
    nb = nbformat.read(REPO / "source" / module / f"{module}.ipynb", as_version=4)
    found = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            for name in _GRADED_TEXT.findall(cell.source):
                found[name] = meta["grade_id"]
    return found


def filler_answers(module: str) -> dict[str, str]:
    """The solution, with a filler sentence in every graded free-text answer."""
    answers, fillers = solutions(module), iter(FILLERS * 4)
    for name in text_tasks(module):
        cell = next(g for g, src in answers.items() if re.match(rf"{name}\s*=", src))
        filler = OWN_FILLER.get(name) or next(fillers)
        answers[cell] = f"{name} = {json.dumps(filler, ensure_ascii=False)}\n"
    return answers


TEXT_MODULES = [m for m in MODULES if text_tasks(m)]


def partial_spec(module: str) -> dict:
    path = PARTIAL / f"{module}.json"
    if not path.exists():
        pytest.fail(f"{path} is missing: describe a partly right submission for {module}")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = released_course(tmp_path_factory.mktemp("module"), MODULES)
    for module in MODULES:
        submit(root, "loesung", module, submission(root, module, solutions(module)))
        submit(root, "unberuehrt", module, submission(root, module, {}))
        if (PARTIAL / f"{module}.json").exists():
            answers = partial_spec(module)["answers"]
            submit(root, "teilweise", module, submission(root, module, answers))
        if module in TEXT_MODULES:
            submit(root, "fuellsatz", module, submission(root, module, filler_answers(module)))
        nbgrader(root, "autograde", module, "--force")
    return root


@pytest.mark.parametrize("module", MODULES)
def test_solution_gets_full_points(course: Path, module: str) -> None:
    """Does the module's own solution, submitted as a learner, get every autograded point?"""
    assert max_code_score(course, module) >= 6, "every module has at least 6 autograded points"
    assert scores(course, module)["loesung"][0] == max_code_score(course, module)


@pytest.mark.parametrize("module", MODULES)
def test_untouched_release_gets_zero(course: Path, module: str) -> None:
    """Does the untouched student version get no points at all?"""
    assert scores(course, module)["unberuehrt"] == (0.0, 0.0)


@pytest.mark.parametrize("module", MODULES)
def test_partly_right_gets_the_points_in_between(course: Path, module: str) -> None:
    """Does a partly right submission get exactly the points its description expects?"""
    spec = partial_spec(module)
    assert 0 < spec["points"] < max_code_score(course, module)
    assert scores(course, module)["teilweise"][0] == spec["points"], spec["why"]


@pytest.mark.parametrize("module", TEXT_MODULES)
def test_filler_earns_nothing_in_graded_free_text(course: Path, module: str) -> None:
    """Does filler (thanks, greeting, the original as a question, acknowledgement + dead end)
    earn 0 in every graded rewrite through nbgrader, while the other answers keep theirs?"""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        cells = [gb.find_grade(grade_id, module, module, "fuellsatz")
                 for grade_id in text_tasks(module).values()]
        assert all(cell.max_score > 0 for cell in cells)
        assert [cell.score for cell in cells] == [0.0] * len(cells)
        lost = sum(cell.max_score for cell in cells)
    assert scores(course, module)["fuellsatz"][0] == scores(course, module)["loesung"][0] - lost
