"""Every module through nbgrader: solution → full points, untouched → 0, partly right → between.

The partly right submission of each module is data: tests/data/partial/<module>.json holds
the answer cells to replace and the autograded points nbgrader must record.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import MODULES, REPO
from .nbgrader_course import (
    make_course,
    max_code_score,
    nbgrader,
    scores,
    solutions,
    submission,
    submit,
)

pytestmark = pytest.mark.nbgrader
PARTIAL = REPO / "tests" / "data" / "partial"


def partial_spec(module: str) -> dict:
    path = PARTIAL / f"{module}.json"
    if not path.exists():
        pytest.fail(f"{path} is missing: describe a partly right submission for {module}")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_course(tmp_path_factory.mktemp("module"))
    for module in MODULES:
        nbgrader(root, "generate_assignment", module, "--force")
        submit(root, "loesung", module, submission(root, module, solutions(module)))
        submit(root, "unberuehrt", module, submission(root, module, {}))
        if (PARTIAL / f"{module}.json").exists():
            answers = partial_spec(module)["answers"]
            submit(root, "teilweise", module, submission(root, module, answers))
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
