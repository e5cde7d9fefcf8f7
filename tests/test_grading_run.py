"""One grading run that no single notebook can stop, flood, hang or fool.

Module 03, on both paths (``nbgrader autograde`` and ``./grade``): careless and hostile
learners beside two honest ones. Each careless learner submits the full solution plus one
mistake or payload, so their honest score is 19 unless the payload removes answers.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from .browser_lab import CHROMIUM
from .conftest import REPO
from .hostile import MEMORY, PAYLOADS, socket_folder
from .nbgrader_course import (
    BIN,
    autograded_nb,
    formgrader_html,
    isolated_env,
    nbgrader,
    release_nb,
    released_course,
    scores,
    solutions,
    submission,
    submit,
)

pytestmark = pytest.mark.nbgrader
M = "03_vier_ohren"
PARTIAL = json.loads((REPO / "tests" / "data" / "partial" / f"{M}.json").read_text("utf-8"))
BUDGET = 12
XSS_MD = ('Meine Reflexion <img src="x" onerror="window.__xss = 1"> '
          '<a href="javascript:window.__xss=2">hier</a> [klick](javascript:window.__xss=3)')
XSS_CODE = ('from IPython.display import HTML, Javascript, display\n'
            'display(HTML(\'<script>window.__xss = 4</script><b onmouseover="window.__xss=5">'
            'fett</b><svg onload="window.__xss=6"></svg>\'))\n'
            'display(Javascript("window.__xss = 7"))')


def _cell(nb: nbformat.NotebookNode, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells)
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _learners(root: Path) -> dict[str, nbformat.NotebookNode]:
    full = submission(root, M, solutions(M))
    out = {"loesung": full, "teilweise": submission(root, M, PARTIAL["answers"])}
    nb = copy.deepcopy(full)
    i = _cell(nb, "m03_ohren_nachrichten")
    nb.cells.insert(i + 1, copy.deepcopy(nb.cells[i]))  # copy-paste of an answer cell
    out["doppelte_antwort"] = nb
    nb = copy.deepcopy(full)
    i = _cell(nb, "m03_test_welches_ohr")
    nb.cells.insert(i + 1, copy.deepcopy(nb.cells[i]))
    out["doppelter_test"] = nb
    nb = copy.deepcopy(full)
    for cell in nb.cells:
        if "nbgrader" in cell.metadata:
            cell.metadata.nbgrader["schema_version"] = 99
    out["schema_99"] = nb
    nb = copy.deepcopy(full)
    forged = new_code_cell("print('volle Punkte')")
    forged.metadata["nbgrader"] = {"grade": True, "grade_id": "m03_gefaelscht", "points": 50,
                                   "locked": True, "solution": False, "schema_version": 3}
    nb.cells.append(forged)
    out["fremder_test"] = nb
    nb = copy.deepcopy(full)
    nb.cells[_cell(nb, "m03_reflexion")].source = XSS_MD
    nb.cells.append(new_code_cell(XSS_CODE))
    nb.cells.append(new_markdown_cell("<script>window.__xss = 8</script>"))
    out["xss"] = nb
    nb = copy.deepcopy(full)
    nb.cells.insert(0, new_code_cell(
        "import sys\nfor _ in range(400):\n    sys.stdout.write('x' * 100_000)"))
    nb.cells.insert(1, new_code_cell(
        "from IPython.display import HTML, display\n"
        "for _ in range(1500):\n    display(HTML('<p>' + 'y' * 10_000 + '</p>'))"))
    out["flut"] = nb
    nb = copy.deepcopy(full)
    after = _cell(nb, "m03_umformulierung") + 1
    for n in range(8):
        nb.cells.insert(after + n, new_code_cell("import time\ntime.sleep(3)"))
    out["zeitbudget"] = nb
    nb = copy.deepcopy(full)
    nb.cells.insert(0, new_code_cell(
        "import os\nfor fd in (1, 2):\n    os.write(fd, b'OK\\t03_vier_ohren/niemand\\t\\n"
        "FAIL\\t03_vier_ohren/loesung\\tgefaelscht\\nFAIL\\t03_vier_ohren/teilweise\\tx\\n')"))
    out["statuszeilen"] = nb
    for name in ("mehrere_prozesse", "tmp_und_prozess", "sockets"):  # the payload cell fails
        code = PAYLOADS[name].replace("MEMORY", str(MEMORY))
        out[name] = submission(root, M, {**solutions(M), "m03_ohren_nachrichten": code + "\n"
                                         + solutions(M)["m03_ohren_nachrichten"]})
    return out


EXPECTED = {"loesung": 19, "teilweise": PARTIAL["points"], "doppelte_antwort": 19,
            "doppelter_test": 19, "schema_99": 19, "fremder_test": 19, "xss": 19, "flut": 19,
            "zeitbudget": 19, "statuszeilen": 19, "mehrere_prozesse": 9, "tmp_und_prozess": 9,
            "sockets": 9}


def _class(root: Path) -> Path:
    released_course(root, [M])
    with (root / "nbgrader_config.py").open("a", encoding="utf-8") as config:
        config.write(f"\nc.LimitedExecute.notebook_budget = {BUDGET}\n"
                     f"c.SandboxKernelManager.memory_limit = {MEMORY}\n")
    assert release_nb(root, M)
    for student, nb in _learners(root).items():
        submit(root, student, M, nb)
    return root


def _measured(root: Path, *cmd: str) -> subprocess.CompletedProcess[str]:
    """Run a grading command; its output ends with the largest resident size of the
    command's processes (and of any process they waited for)."""
    measure = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:]); "
               "print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    return subprocess.run([sys.executable, "-c", measure, *cmd], cwd=root, env=isolated_env(root),
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def nbgrader_path(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = _class(tmp_path_factory.mktemp("lauf-nbgrader"))
    proc = _measured(root, str(BIN / "nbgrader"), "autograde", M, "--force")
    nbgrader(root, "generate_feedback", M, "--force", check=False)
    return root, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def grade_path(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = _class(tmp_path_factory.mktemp("lauf-grade"))
    proc = _measured(root, sys.executable, "-m", "course.classgrade", M, "--root", str(root))
    return root, proc.stdout + proc.stderr


@pytest.fixture(params=["nbgrader autograde", "./grade"])
def run(request: pytest.FixtureRequest) -> tuple[Path, str]:
    return request.getfixturevalue(
        "nbgrader_path" if request.param == "nbgrader autograde" else "grade_path")


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_learner_is_graded_on_their_own(run: tuple[Path, str], student: str) -> None:
    """Is every learner graded with the points their answers are worth, whatever the
    others (and they themselves) did to their notebooks?"""
    root, _ = run
    assert scores(root, M)[student][0] == EXPECTED[student]


def _autograded(root: Path, student: str) -> Path:
    return autograded_nb(root, student, M)


def test_floods_are_cut_while_produced(run: tuple[Path, str]) -> None:
    """Does a 40 MB line and a 15 MB display flood leave a small notebook with a note?"""
    root, _ = run
    path = _autograded(root, "flut")
    assert path.stat().st_size < 3_000_000
    assert "Ausgabe gekürzt" in path.read_text("utf-8")


def test_grader_memory_stays_bounded_during_floods(run: tuple[Path, str]) -> None:
    """Do the grading processes stay small while a learner floods 55 MB of output?"""
    _, out = run
    peak_kb = int(re.search(r"MAXRSS_KB (\d+)", out).group(1))
    assert peak_kb < 400_000, f"{peak_kb / 1000:.0f} MB"


def test_sleeping_notebook_stops_at_its_budget(run: tuple[Path, str]) -> None:
    """Do cells that sleep under the per-cell timeout stop at the notebook's budget, with
    the tests still run?"""
    root, _ = run
    text = _autograded(root, "zeitbudget").read_text("utf-8")
    assert "Zeitbudget" in text
    assert text.count("time.sleep(3)") == 8


def test_forged_status_lines_change_nothing(grade_path: tuple[Path, str]) -> None:
    """Does a learner who writes status lines to the kernel's stdout leave ./grade's report
    true (no unknown learner, honest learners not reported as failed)?"""
    _, out = grade_path
    assert "niemand" not in out and "gefaelscht" not in out
    assert "✓ loesung bewertet" in out and "✓ teilweise bewertet" in out


def test_each_kernel_had_its_own_socket_folder(run: tuple[Path, str]) -> None:
    """Was the kernel's socket folder private to its sandbox, and is it gone with the 50 MB
    the learner put there?"""
    root, _ = run
    found = socket_folder(_autograded(root, "sockets").read_text("utf-8"))
    assert found, "the payload printed its folder"
    folder, mode, own = found
    assert (mode, own) == ("0o700", "True")
    assert not Path(folder).exists()


def _pages(root: Path, student: str) -> dict[str, str]:
    feedback = (root / "feedback" / student / M / f"{M}.html").read_text("utf-8")
    return {"formgrader": formgrader_html(root, student, M), "feedback": feedback}


@pytest.mark.browser
def test_learner_script_does_not_run_in_instructor_views(run: tuple[Path, str],
                                                         tmp_path: Path) -> None:
    """Opened in chromium, do formgrader's view and the feedback stay free of the learner's
    scripts (no handler fires, even on hover and click), while the answer text is shown?"""
    import playwright.sync_api as playwright

    root, _ = run
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        for name, html in _pages(root, "xss").items():
            path = tmp_path / f"{name}.html"
            path.write_text(html, encoding="utf-8")
            page.goto(path.as_uri())
            page.wait_for_timeout(300)
            for selector in ("b", "a"):
                for element in page.query_selector_all(selector)[:50]:
                    if element.is_visible():
                        element.hover()
            assert page.evaluate("window.__xss") is None, name
            assert "Meine Reflexion" in page.inner_text("body"), name
            assert "fett" in page.inner_text("body"), name
        browser.close()
