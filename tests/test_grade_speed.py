"""./grade's speed-ups keep grades and isolation: kernels started ahead, practice cells left out.

- ``course.kernels.KernelPool``: a kernel started ahead serves exactly the one notebook
  folder it was started for, once; nobody else gets it, unused ones are shut down.
- ``course.sandbox``: only a pooled kernel's own fresh folder may be mounted elsewhere.
- ``course.skipcells``: only unchanged practice widget cells are left out, and nothing a
  learner wrote can make an answer depend on them.
- End to end: every module's solution, partly right and untouched submission gets the same
  points through ./grade as the data says nbgrader gives, and no kernel saw a second
  learner.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from queue import Empty

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course import kernels, sandbox, skipcells

from .conftest import MODULES, REPO
from .nbgrader_course import (
    autograded_nb,
    isolated_env,
    make_course,
    max_code_score,
    nbgrader,
    scores,
    solutions,
    submission,
    submit,
)

QUIZ = 'quiz.show("03_vier_ohren", "drucker_ohren")'
IMPORT = "from course import quiz\nfrom course.grading import check_format"


# --- the pool -------------------------------------------------------------------------


class FakeKernel:
    def __init__(self, folder: Path) -> None:
        self.folder, self.stopped = folder, False

    def shutdown_kernel(self, now: bool = False) -> None:
        self.stopped = True


def test_pool_hands_a_kernel_out_once_and_only_for_its_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Does a kernel started for one learner's folder never reach another notebook?"""
    monkeypatch.setattr(kernels, "shutdown", lambda km: km.shutdown_kernel(now=True))
    started: list[FakeKernel] = []
    pool = kernels.KernelPool(lambda folder: started.append(FakeKernel(folder)) or started[-1])
    anna, ben = tmp_path / "anna" / "m", tmp_path / "ben" / "m"
    pool.prestart(anna)
    pool.prestart(anna)  # asked twice: still one kernel
    assert len(started) == 1
    assert pool.take(ben) is None
    kernel = pool.take(str(anna))
    assert kernel is started[0] and kernel.folder == anna
    assert pool.take(anna) is None  # once only
    pool.prestart(ben)
    pool.prestart(tmp_path / "cem" / "m")
    pool.keep({ben})
    assert [k.stopped for k in started] == [False, False, True]
    pool.close()
    assert started[1].stopped and pool.take(ben) is None


def test_no_pool_outside_grade_workers() -> None:
    assert kernels.POOL is None and kernels.take("/irgendwo") is None


def test_pooled_kernel_refuses_a_foreign_folder(tmp_path: Path) -> None:
    """Is a pooled kernel only filled from the folder it was started for, and not when
    the folder holds files IPython would read at start-up?"""
    km = kernels.SandboxKernelManager()
    km._folder = tmp_path / "kurs-kernel-1-x"
    (km._folder / kernels.WORK).mkdir(parents=True)
    mine, other = tmp_path / "anna", tmp_path / "ben"
    for folder in (mine, other):
        folder.mkdir()
        (folder / "daten.csv").write_text(folder.name, encoding="utf-8")
    km.mount_at = mine
    assert not km.fill(other)
    assert not (km._folder / kernels.WORK / "daten.csv").exists()
    assert km.fill(mine)
    assert (km._folder / kernels.WORK / "daten.csv").read_text(encoding="utf-8") == "anna"
    (mine / "ipython_kernel_config.py").write_text("", encoding="utf-8")
    assert not km.fill(mine)


def test_sandbox_mounts_only_a_pooled_kernels_own_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private = tmp_path / f"{sandbox.FOLDER_PREFIX}1-x"
    (private / "work").mkdir(parents=True)
    connection = private / "kernel-sandbox.json"
    monkeypatch.setenv(sandbox.WORKDIR_ENV, "/kurs/autograded/anna/m")
    assert sandbox._mount_at(private / "work", connection) == Path("/kurs/autograded/anna/m")
    with pytest.raises(sandbox.SandboxUnavailable):
        sandbox._mount_at(tmp_path, connection)  # the grader's or another folder
    monkeypatch.setenv(sandbox.WORKDIR_ENV, "relativ")
    with pytest.raises(sandbox.SandboxUnavailable):
        sandbox._mount_at(private / "work", connection)
    monkeypatch.delenv(sandbox.WORKDIR_ENV)
    assert sandbox._mount_at(tmp_path, connection) is None
    args = sandbox.bwrap_args(connection, private / "work", Path("/kurs/autograded/anna/m"))
    bind = args.index(str(private / "work"))
    assert args[bind - 1:bind + 2] == ["--bind", str(private / "work"), "/kurs/autograded/anna/m"]
    assert args[args.index("--chdir") + 1] == "/kurs/autograded/anna/m"


class FakeIOPub:
    def __init__(self) -> None:
        self.messages: list[dict] = []

    async def get_msg(self, timeout: float | None = None) -> dict:
        if not self.messages:
            raise Empty
        return self.messages.pop(0)


class FakeClient(kernels.SandboxKernelClient):
    """A kernel's client whose kernel answers every kernel_info; IOPub delivers its status
    messages only once it is connected (``connect_after`` requests)."""

    def __init__(self, connect_after: int = 0, alive: bool = True) -> None:
        super().__init__()
        self.fake_iopub, self.asked, self.alive = FakeIOPub(), [], alive
        self.connect_after, self.handled = connect_after, None

    @property
    def iopub_channel(self) -> FakeIOPub:  # type: ignore[override]
        return self.fake_iopub

    def kernel_info(self) -> str:
        msg_id = f"info-{len(self.asked)}"
        self.asked.append(msg_id)
        if len(self.asked) > self.connect_after and self.alive:
            self.fake_iopub.messages += [_status("busy", msg_id), _status("idle", msg_id)]
        return msg_id

    async def _async_recv_reply(self, msg_id: str, timeout: float | None = None,
                                channel: str = "shell") -> dict:
        if not self.alive:
            raise TimeoutError
        return {"msg_type": "kernel_info_reply", "parent_header": {"msg_id": msg_id},
                "content": {"protocol_version": "5.3"}}

    async def _async_is_alive(self) -> bool:
        return self.alive

    def _handle_kernel_info_reply(self, msg: dict) -> None:
        self.handled = msg["parent_header"]["msg_id"]


def _status(state: str, parent: str) -> dict:
    return {"msg_type": "status", "content": {"execution_state": state},
            "parent_header": {"msg_id": parent}}


def test_a_connected_kernel_is_ready_at_its_own_idle_status() -> None:
    """Is the client ready as soon as the idle status of its kernel_info arrives, with all
    that the kernel published before read (no stale message reaches the first cell)?"""
    client = FakeClient()
    client.fake_iopub.messages.append(_status("starting", ""))
    asyncio.run(client.wait_for_ready(timeout=5))
    assert client.asked == ["info-0"] and client.handled == "info-0"
    assert client.fake_iopub.messages == []


def test_a_client_whose_iopub_missed_the_status_asks_again() -> None:
    """IOPub not yet subscribed when the kernel answered: is kernel_info asked again
    (as jupyter_client does) instead of running the notebook on a deaf channel?"""
    client = FakeClient(connect_after=1)
    asyncio.run(client.wait_for_ready(timeout=5))
    assert client.asked == ["info-0", "info-1"] and client.handled == "info-1"


def test_a_dead_kernel_is_not_ready() -> None:
    with pytest.raises(RuntimeError, match="died"):
        asyncio.run(FakeClient(alive=False).wait_for_ready(timeout=5))


def test_the_sandbox_kernel_manager_makes_the_fast_clients() -> None:
    assert isinstance(kernels.SandboxKernelManager().client(), kernels.SandboxKernelClient)


# --- which cells are left out ---------------------------------------------------------


def _nb(*sources: str, answer: str = "") -> nbformat.NotebookNode:
    cells = [new_code_cell(s) for s in sources]
    if answer:
        cell = new_code_cell(answer)
        cell.metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": "a"}
        cells.append(cell)
    return new_notebook(cells=cells)


INSTRUCTOR = {IMPORT, QUIZ, 'protocol_view.show()', "x = 1"}


def test_only_unchanged_widget_cells_are_left_out() -> None:
    nb = _nb(IMPORT, QUIZ, "protocol_view.show()", "x = 1", "x = 2", answer="antwort = x")
    assert skipcells.skippable(nb, INSTRUCTOR) == {1, 2}
    # a widget cell the learner changed is the learner's code: everything runs
    nb = _nb(IMPORT, QUIZ, QUIZ + "  # geändert", answer="antwort = 1")
    assert skipcells.skippable(nb, INSTRUCTOR) == set()


@pytest.mark.parametrize("learner", [
    "quiz = None",  # rebinds the module the widget cell calls
    "from course import quiz as q\nq.show = print",  # patches it under another name
    "import builtins",
    "globals()['antwort'] = 1",
    "exec('antwort = 1')",
    "antwort = _1",  # IPython's output history: counts differ when cells are left out
    "antwort = Out[2]",
    "antwort = ().__class__",
    "from hilfe import *",
    "import hilfe",
    "%matplotlib inline",
])
def test_a_learner_cell_that_could_reach_a_widget_cell_runs_everything(learner: str) -> None:
    """Does a learner's cell that might make an answer depend on a widget cell switch
    leaving out off for the whole notebook?"""
    assert skipcells.skippable(_nb(IMPORT, QUIZ, answer=learner), INSTRUCTOR) == set()
    assert skipcells.skippable(_nb(IMPORT, QUIZ, answer="antwort = 1"), INSTRUCTOR) == {1}


def test_only_calls_of_the_widgets_count_as_display() -> None:
    for source in ("ergebnis = " + QUIZ, "quiz.show(name)", "quiz.zeige('a')", "print(1)",
                   "quiz.show(**optionen)", ""):
        assert skipcells.skippable(_nb(source, answer="antwort = 1"), {source}) == set(), source


def test_an_import_cell_runs_without_the_views_only_left_out_cells_use() -> None:
    """Does the import cell run without ``quiz`` once every cell naming it is left out,
    and with it as soon as a cell still running names it?"""
    nb = _nb(IMPORT, QUIZ, "x = 1", answer="antwort = x")
    skip = skipcells.skippable(nb, INSTRUCTOR)
    assert skipcells.trimmed(nb, INSTRUCTOR, skip) == {
        0: "from course.grading import check_format"}
    assert nb.cells[0].source == IMPORT  # the notebook keeps the cell as it was
    only_views = _nb("from course import quiz, protocol_view", QUIZ, answer="antwort = 1")
    assert skipcells.trimmed(only_views, INSTRUCTOR | {only_views.cells[0].source},
                             {1}) == {0: "pass"}
    # an instructor cell that uses quiz otherwise runs, so quiz is imported
    uses = "quiz.show('03_vier_ohren', 'drucker_ohren')\nx = 1"
    nb = _nb(IMPORT, QUIZ, uses, answer="antwort = x")
    assert skipcells.trimmed(nb, INSTRUCTOR | {uses}, skipcells.skippable(
        nb, INSTRUCTOR | {uses})) == {}
    # nothing left out (a learner names quiz): nothing trimmed either
    nb = _nb(IMPORT, QUIZ, answer="antwort = quiz")
    assert skipcells.trimmed(nb, INSTRUCTOR, skipcells.skippable(nb, INSTRUCTOR)) == {}
    # an import cell the learner changed is hers, one with other statements runs as is
    changed = IMPORT + "\nimport math"
    assert skipcells.trimmed(_nb(changed, QUIZ, answer="antwort = 1"), INSTRUCTOR, {1}) == {}
    other = "from course import quiz\nquiz.x = 1"
    nb = _nb(other, QUIZ, answer="antwort = 1")
    assert skipcells.trimmed(nb, INSTRUCTOR | {other}, {1}) == {}
    aliased = "from course import quiz as q"
    nb = _nb(aliased, QUIZ, answer="antwort = 1")
    assert skipcells.trimmed(nb, INSTRUCTOR | {aliased}, {1}) == {}


def test_a_folder_with_own_modules_runs_everything(tmp_path: Path) -> None:
    assert not skipcells.has_modules(tmp_path)
    (tmp_path / "daten.csv").write_text("", encoding="utf-8")
    assert not skipcells.has_modules(tmp_path)
    (tmp_path / "quiz.py").write_text("", encoding="utf-8")
    assert skipcells.has_modules(tmp_path)


# --- end to end -----------------------------------------------------------------------

# A trace in the sandbox's own /tmp: a kernel (or sandbox) that served a second notebook
# would show the first one's name. It names nothing that stops widget cells being left out.
TRACE = ("try:\n    print('vorher:', open('/tmp/kurs_spur').read())\n"
         "except FileNotFoundError:\n    print('vorher: None')\n"
         "open('/tmp/kurs_spur', 'w').write({name!r})")


@pytest.mark.nbgrader
def test_grade_gives_every_module_the_same_points(tmp_path: Path) -> None:
    """Solution, partly right and untouched submission of every module through ./grade
    (kernels started ahead, widget cells left out): the points nbgrader gives, and each
    kernel served one learner only."""
    root = make_course(tmp_path, MODULES)
    expected: dict[tuple[str, str], float] = {}
    for module in MODULES:
        nbgrader(root, "generate_assignment", module, "--force")
        partial = json.loads((REPO / "tests/data/partial" / f"{module}.json").read_text())
        kinds = {"loesung": solutions(module), "teil": partial["answers"], "leer": {}}
        for kind, answers in kinds.items():
            nb = submission(root, module, answers)
            nb.cells.insert(1, new_code_cell(TRACE.format(name=f"{kind}/{module}")))
            submit(root, f"{kind}", module, nb)
        expected[(module, "teil")] = float(partial["points"])
        expected[(module, "leer")] = 0.0
    proc = subprocess.run([sys.executable, "-m", "course.classgrade", *MODULES, "--root",
                           str(root)], cwd=root, env=isolated_env(root), capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "noch etwa" in proc.stdout  # the estimate of the time left
    skipped = trimmed = 0
    for module in MODULES:
        got = {student: points for student, (points, _) in scores(root, module).items()}
        assert got["loesung"] == max_code_score(root, module), module
        assert got["teil"] == expected[(module, "teil")], module
        assert got["leer"] == expected[(module, "leer")], module
        for kind in ("loesung", "teil", "leer"):
            nb = nbformat.read(autograded_nb(root, kind, module), as_version=4)
            assert nb.cells[1].outputs[0]["text"] == "vorher: None\n", (kind, module)
            skipped += sum(c.cell_type == "code" and c.execution_count is None
                           and c.source.startswith("quiz.show(") for c in nb.cells)
            trimmed += sum(c.source.startswith("from course import quiz")
                           and c.execution_count is not None for c in nb.cells)
    assert skipped > 0  # widget cells were left out (TRACE names nothing guarded)
    assert trimmed > 0  # import cells ran without the views and kept their source
