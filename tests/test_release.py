"""release/ is exactly what nbgrader makes from source/ today, and it leaks nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .conftest import MODULES, REPO
from .nbgrader_course import released_course

pytestmark = pytest.mark.nbgrader

SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


def _cells(path: Path) -> list[dict]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [{k: c[k] for k in ("cell_type", "source", "metadata")} for c in nb["cells"]]


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return released_course(tmp_path_factory.mktemp("regen"), MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_release_matches_source(regenerated: Path, module: str) -> None:
    """Was release/ regenerated after the last change to source/? (nbgrader generate_assignment)"""
    fresh = sorted(p.relative_to(regenerated / "release") for p in
                   (regenerated / "release" / module).rglob("*") if p.is_file())
    committed = sorted(p.relative_to(REPO / "release") for p in
                       (REPO / "release" / module).rglob("*") if p.is_file())
    assert fresh == committed, f"release/{module}: files differ – run nbgrader generate_assignment"
    for rel in fresh:
        if rel.suffix == ".ipynb":
            assert _cells(regenerated / "release" / rel) == _cells(REPO / "release" / rel), (
                f"release/{rel} is out of date: run `nbgrader generate_assignment {module} --force`"
            )


def _secret_lines(module: str) -> list[str]:
    """Lines found only in solution or hidden-test regions or in manual grading guides."""
    nb = json.loads((REPO / "source" / module / f"{module}.ipynb").read_text(encoding="utf-8"))
    public: set[str] = set()
    regions: list[str] = []
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and cell["metadata"].get("nbgrader", {}).get("solution"):
            regions.append(text)
            continue
        regions += SOLUTION.findall(text) + HIDDEN.findall(text)
        public |= {ln.strip() for ln in HIDDEN.sub("", SOLUTION.sub("", text)).splitlines()}
    return [ln.strip() for region in regions for ln in region.splitlines()
            if len(ln.strip()) > 12 and ln.strip() not in public]


@pytest.mark.parametrize("module", MODULES)
def test_release_has_no_solutions_or_hidden_tests(module: str) -> None:
    """Does no student notebook contain solution code, hidden tests or grading guides?"""
    path = REPO / "release" / module / f"{module}.ipynb"
    text = "\n".join("".join(c["source"]) for c in json.loads(path.read_text("utf-8"))["cells"])
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "Bewertungshinweis"):
        assert marker not in text
    secrets = _secret_lines(module)
    assert secrets, "the check must have something to look for"
    released = {ln.strip() for ln in text.splitlines()}
    assert [ln for ln in secrets if ln in released] == []
