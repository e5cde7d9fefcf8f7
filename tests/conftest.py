"""Shared fixtures: paths of the real course, never toy copies."""

from __future__ import annotations

from pathlib import Path

import pytest

from course.content import load_modules

REPO = Path(__file__).resolve().parent.parent
# The course's modules as course/content/modules.yaml lists them (the content check makes
# sure every one has its notebook in source/ and no folder there is missing from the list).
MODULES = [module.id for module in load_modules()]


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def notebook(monkeypatch: pytest.MonkeyPatch) -> dict:
    """The variables of the learner's notebook, as the visible checks read them (in the
    kernel: IPython's user namespace): a test assigns the learner's answers here."""
    from course import grading

    variables: dict = {}
    monkeypatch.setattr(grading, "notebook_namespace", lambda: variables)
    return variables

