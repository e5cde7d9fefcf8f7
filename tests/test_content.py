"""Content files: every quiz file validates, and a malformed one names what is wrong."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from course.content import (
    Classification,
    ContentError,
    SingleChoice,
    load_labels,
    load_quizzes,
    match_label,
    parse_labels,
    parse_quizzes,
    quiz_modules,
)

from .conftest import MODULES, REPO


def test_every_module_has_a_quiz_file() -> None:
    """Does every assignment in source/ have its practice quizzes as data?"""
    assert set(MODULES) <= set(quiz_modules())


@pytest.mark.parametrize("module", quiz_modules())
def test_quiz_file_is_valid(module: str) -> None:
    """Does each quiz file load, with at least three quizzes of at least two kinds?"""
    quizzes = load_quizzes(module)
    assert len(quizzes) >= 3
    assert len({type(q) for q in quizzes.values()}) >= 2


@pytest.mark.parametrize("module", quiz_modules())
def test_every_quiz_in_a_file_is_shown_in_its_notebook(module: str) -> None:
    """Is every quiz of a module displayed somewhere in its notebook (no orphans, no typos)?"""
    notebook = (REPO / "source" / module / f"{module}.ipynb").read_text(encoding="utf-8")
    for quiz_id in load_quizzes(module):
        assert f'\\"{quiz_id}\\")' in notebook, f"{module}: quiz {quiz_id} is never shown"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "quiz.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


GOOD_OPTIONS = """
      - {text: A, correct: true, explanation: weil A}
      - {text: B, correct: false, explanation: weil nicht B}
"""

BROKEN = {
    "two correct options": (
        """
        quizzes:
          - id: q1
            type: single_choice
            question: Frage?
            options:
              - {text: A, correct: true, explanation: x}
              - {text: B, correct: true, explanation: y}
        """,
        "quiz 1 (id 'q1'): exactly one option",
    ),
    "missing explanation": (
        """
        quizzes:
          - id: q1
            type: single_choice
            question: Frage?
            options:
              - {text: A, correct: true}
              - {text: B, correct: false, explanation: y}
        """,
        "quiz 1 (id 'q1'), option 1: field 'explanation' must be a non-empty text",
    ),
    "misspelt field": (
        """
        quizzes:
          - id: q1
            type: single_choice
            question: Frage?
            options:
              - {text: A, correct: true, explaination: x}
              - {text: B, correct: false, explanation: y}
        """,
        "option 1: unknown field(s) ['explaination']",
    ),
    "answer not a category": (
        """
        quizzes:
          - id: ears
            type: classification
            question: Welches Ohr?
            categories: {sache: Sachinhalt, appell: Appell}
            items:
              - {text: a, answer: sache, explanation: e, hint: h}
              - {text: b, answer: beziehung, explanation: e, hint: h}
        """,
        "quiz 1 (id 'ears'), item 2: answer 'beziehung' is not one of the categories",
    ),
    "unknown type": (
        """
        quizzes:
          - id: q1
            type: essay
            question: Frage?
        """,
        "quiz 1 (id 'q1'): 'type' must be one of",
    ),
    "duplicate id": (
        """
        quizzes:
          - {id: q1, type: rewrite, question: Q, key: beruhigen}
          - {id: q1, type: rewrite, question: Q, key: beruhigen}
        """,
        "quiz 2 (id 'q1'): duplicate id",
    ),
    "not yaml": ("quizzes: [unclosed", "not valid YAML"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_malformed_quiz_names_file_item_and_problem(tmp_path: Path, case: str) -> None:
    """Does a broken quiz file fail with a message naming the file, the item and the problem?"""
    text, expected = BROKEN[case]
    path = _write(tmp_path, text)
    with pytest.raises(ContentError) as err:
        parse_quizzes(path)
    assert str(path) in str(err.value)
    assert expected in str(err.value)


def test_valid_minimal_file_loads(tmp_path: Path) -> None:
    """Does a new single-choice item written by an instructor load without Python changes?"""
    path = _write(tmp_path, "quizzes:\n  - id: neu\n    type: single_choice\n"
                  "    question: Frage?\n    options:" + GOOD_OPTIONS)
    quiz = parse_quizzes(path)["neu"]
    assert isinstance(quiz, SingleChoice)
    assert [o.correct for o in quiz.options] == [True, False]


def test_classification_items_use_declared_categories() -> None:
    """Do the four-ears quizzes use exactly the four sides of the model?"""
    for quiz in load_quizzes("03_vier_ohren").values():
        if isinstance(quiz, Classification):
            assert set(quiz.categories) == set(load_labels("ohren"))


@pytest.mark.parametrize(
    ("spelling", "label"),
    [
        ("Beziehung", "beziehung"),
        ("beziehungs-ohr", "beziehung"),
        ("  SACHINHALT ", "sachinhalt"),
        ("Selbstoffenbarung.", "selbstoffenbarung"),
        ("appel", None),
        ("", None),
    ],
)
def test_label_spellings(spelling: str, label: str | None) -> None:
    """Is a learner's spelling of an ear accepted regardless of case and hyphens, but not typos?"""
    assert match_label(spelling, load_labels("ohren")) == label


def test_broken_label_file_is_named(tmp_path: Path) -> None:
    """Does a label scheme with a missing label text fail naming the scheme and label?"""
    path = tmp_path / "labels.yaml"
    path.write_text("ohren:\n  a: {label: A}\n  b: {aliases: [x]}\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"scheme 'ohren', label 'b': field 'label'"):
        parse_labels(path)
