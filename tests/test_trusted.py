"""The pieces of trusted scoring, without nbgrader: hand-over in the kernel, reading and
scoring in the grader (end to end on both grading paths: tests/test_trusted_scoring.py)."""

from __future__ import annotations

import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_output

from course.grading import Hinweis
from course.handover import MIME, record, to_plain
from course.handover import Unusable as UnusableAnswer
from course.trusted import NO_RECORD, answer_names, read_answers, score, stub

from .conftest import MODULES, REPO

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", re.S)


def _test_cells() -> list[tuple[str, str, str]]:
    cells = []
    for module in MODULES:
        nb = nbformat.read(REPO / "source" / module / f"{module}.ipynb", as_version=4)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
                cells.append((module, meta["grade_id"], cell.source))
    return cells


TEST_CELLS = _test_cells()


def _answer_variables(module: str) -> set[str]:
    nb = nbformat.read(REPO / "source" / module / f"{module}.ipynb", as_version=4)
    names = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            names |= set(re.findall(r"^(\w+)\s*=", cell.source, re.M))
    return names


@pytest.mark.parametrize(("module", "grade_id", "source"), TEST_CELLS,
                         ids=[c[1] for c in TEST_CELLS])
def test_stub_hands_over_answers_and_holds_no_key(module: str, grade_id: str,
                                                  source: str) -> None:
    """Does every test cell's kernel stub name only answer variables and hold no hidden test?"""
    values, figures = answer_names(source)
    assert values or figures, f"{grade_id} reads no answer"
    assert set(values) | set(figures) <= _answer_variables(module) | {"abbildung"}
    sealed = stub(grade_id, source)
    for block in HIDDEN.findall(source):
        for line in block.splitlines():
            if len(line.strip()) > 12:
                assert line.strip() not in sealed


def test_plain_types_pass_and_objects_do_not() -> None:
    """Do plain answers pass as they are, and subclasses or objects become problems?"""
    assert to_plain({"a": [1, 2.5, None, True, "x"]}) == {"a": [1, 2.5, None, True, "x"]}
    assert to_plain({1: 0.5}) == {"1": 0.5}
    for bad, code in [(type("S", (str,), {})("x"), "type:S"), (object(), "type:object"),
                      (float("nan"), "number"), ({1: 1, "1": 2}, "key")]:
        with pytest.raises(UnusableAnswer, match=code):
            to_plain(bad)


def test_pandas_and_numpy_become_plain() -> None:
    """Are a pandas Series and numpy numbers (module 09's answers) handed over as data?"""
    import numpy as np
    import pandas as pd

    assert to_plain(pd.Series([0.25, 0.5], index=[1, 2])) == {"1": 0.25, "2": 0.5}
    assert type(to_plain(np.float64(0.3))) is float
    assert to_plain(np.bool_(True)) is True


def _cell(*records: dict) -> nbformat.NotebookNode:
    cell = new_code_cell("")
    cell.outputs = [new_output("display_data", data={MIME: r, "text/plain": "x"})
                    for r in records]
    return nbformat.from_dict(cell)


def test_missing_forged_or_doubled_record_earns_nothing() -> None:
    """Is a test cell without exactly one well-formed record for it an invalid answer?"""
    good = record("t1", {"x": "a"}, ["x"])
    assert read_answers(_cell(good), "t1", ["x"], []) == {"x": "a"}
    for outputs in [(), (good, good), (record("t2", {"x": "a"}, ["x"]),),
                    ({"cell": "t1", "answers": "voll"},), ({"cell": "t1", "answers": {}},)]:
        with pytest.raises(Hinweis, match="keine Antwort"):
            read_answers(_cell(*outputs), "t1", ["x"], [])
    assert NO_RECORD.endswith("0 Punkte.")


def test_problem_codes_become_german_messages() -> None:
    """Does a learner whose answer is an object or missing read a German reason?"""
    handed = record("t", {"x": object()}, ["x", "y"])
    with pytest.raises(Hinweis, match="`x` ist vom Typ object"):
        read_answers(_cell(handed), "t", ["x"], [])
    with pytest.raises(Hinweis, match="Die Variable `y` gibt es noch nicht"):
        read_answers(_cell(handed), "t", ["y"], [])


def test_scoring_clamps_and_hides_test_errors() -> None:
    """Are points kept within the cell's maximum, and a broken test shown without its code?"""
    assert score("7", {}, 4).points == 4
    assert score("-2", {}, 4).points == 0
    assert score("x = 1", {}, 4).points == 4  # passes without error: nbgrader's full credit
    broken = score('{"geheim": 1}["anders"]', {}, 4)
    assert broken.points == 0 and "geheim" not in broken.error[1]
    wrong = score('assert antwort == 3, "Noch nicht."', {"antwort": 2}, 1)
    assert (wrong.points, wrong.error) == (0, ("AssertionError", "Noch nicht."))


def test_grading_helper_reads_handed_over_answer() -> None:
    """Does a hidden grade_labels test score the handed-over dict, with its messages?"""
    source = ('grade_labels("ohren", {"Ich bin sauer.": "selbstoffenbarung"}, "ohren")')
    result = score(source, {"ohren": {"Ich bin sauer.": "Selbstoffenbarung"}}, 1)
    assert result.points == 1 and "✓" in result.text
