"""Bounds on what one learner's notebook may cost while it is graded.

:class:`LimitedExecute` is nbgrader's ``Execute`` with limits enforced while the kernel
produces output, not afterwards:

- ``max_cell_bytes`` / ``max_notebook_bytes``: output beyond these is dropped as it
  arrives (a German note says so), so neither the grader's memory nor the autograded
  notebook grows with a flood;
- ``notebook_budget`` (seconds of wall clock for the whole notebook, beside nbgrader's
  per-cell ``timeout``): when it is used up, the remaining practice cells are skipped with a
  note and only the test cells still run, each with ``late_test_timeout``, so the answers
  that did run are still graded;
- a kernel that dies (e.g. its sandbox went over its memory limit, ``course.kernels``) ends
  the run of this notebook only: the cell says why in German, the remaining cells are not
  run, and the notebook is graded with what ran before.

The defaults are set in ``course.nbgrader_ext.configure``; an instructor changes them in
``nbgrader_config.py``, e.g. ``c.LimitedExecute.notebook_budget = 300``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Float, Integer

from course import kernels, skipcells
from course.handover import MIME
from course.kernels import SandboxKernelManager
from course.trusted import MAX_RECORD, is_test_cell

CUT = ("\n[Ausgabe gekürzt: Diese Zelle hat mehr als {limit} ausgegeben. "
       "Der Rest wurde für die Bewertung verworfen.]\n")
CUT_NOTEBOOK = ("\n[Ausgabe gekürzt: Das Notebook hat zusammen mehr als {limit} ausgegeben. "
                "Weitere Ausgaben wurden verworfen.]\n")
OVER_BUDGET = ("Abgebrochen: Die Bewertung dieses Notebooks hat ihr Zeitbudget von {budget:g} "
               "Sekunden aufgebraucht.")
DIED = "{why} Die folgenden Zellen wurden nicht ausgeführt; bewertet wird, was bis hierher lief."
OUT_OF_MEMORY = ("Der Kernel wurde beendet, weil die Sandbox ihr Speicherlimit von {limit} "
                 "überschritten hat (Arbeitsspeicher aller Prozesse und Dateien in /tmp).")
NOT_RUN = "Nicht ausgeführt: Der Kernel dieses Notebooks wurde vorher beendet."
SKIPPED = ("Nicht ausgeführt: Die Bewertung dieses Notebooks hat ihr Zeitbudget von "
           "{budget:g} Sekunden aufgebraucht. Die Testzellen laufen trotzdem.")


def _size(msg: dict[str, Any]) -> int:
    content = msg.get("content", {})
    if "text" in content:
        return len(content["text"])
    return len(json.dumps(content.get("data", {}))) + len(json.dumps(content.get("traceback", [])))


def _human(size: int) -> str:
    if size >= 1e9:
        return f"{size / 1e9:.3g} GB"
    return f"{size / 1e6:g} MB" if size >= 1e6 else f"{size / 1e3:g} KB"


def _hand_over(msg: dict[str, Any], cell: NotebookNode) -> bool:
    """A test cell's hand-over record: kept whatever the cell's neighbours printed."""
    data = msg.get("content", {}).get("data") or {}
    return is_test_cell(cell) and MIME in data and _size(msg) <= MAX_RECORD


class LimitedExecute(Execute):
    max_cell_bytes = Integer(200_000, help="Output bytes kept per cell").tag(config=True)
    max_notebook_bytes = Integer(2_000_000, help="Output bytes kept per notebook").tag(
        config=True)
    notebook_budget = Float(120.0, help="Wall-clock seconds per notebook").tag(config=True)
    # A test cell only hands answers over (milliseconds); a kernel still finishing its
    # interrupted cell on a loaded machine must not cost the learner a test's points.
    late_test_timeout = Integer(20, help="Per test cell once the budget is used up").tag(
        config=True)
    # nbclient's 4 s to drain IOPub after a cell's reply is too short for a flood that is
    # cut while it arrives on a loaded machine: the whole notebook would fail.
    iopub_timeout = Integer(30, help="Seconds to read a cell's output after its reply").tag(
        config=True)
    skip_practice_widgets = Bool(False, help="Leave the course's practice widget cells "
                                 "unexecuted (course.skipcells); ./grade sets it").tag(config=True)

    def __init__(self, **kw: Any) -> None:
        # nbgrader's Execute passes its own manager class as an argument, which would win
        # over any configuration.
        kw.setdefault("kernel_manager_class", SandboxKernelManager)
        super().__init__(**kw)

    _skip: set[int] = set()  # noqa: RUF012 - replaced per notebook
    _trim: dict[int, str] = {}  # noqa: RUF012 - cell index -> source run instead (skipcells)
    _pooled: Any = None  # a kernel started ahead for this notebook (course.kernels.KernelPool)

    def preprocess(self, nb, resources, km=None):  # noqa: ANN001, ANN201
        self._pooled = None
        folder = (resources or {}).get("metadata", {}).get("path")
        pooled = kernels.take(folder) if km is None and folder else None
        if pooled is not None:
            if pooled.fill(Path(folder)):
                self._pooled = pooled
            else:
                kernels.shutdown(pooled)
        self._skip, self._trim = self._skippable(nb, resources, folder)
        self._dead = False
        self._started = time.monotonic()
        self._notebook_bytes = 0
        self._cell_bytes: dict[int, int] = {}
        self._cut: set[int] = set()
        self._cell_timeout_error = dict(self.error_on_timeout or {})
        return super().preprocess(nb, resources, km=km)

    def _skippable(self, nb: NotebookNode, resources: dict[str, Any] | None,
                   folder: str | None) -> tuple[set[int], dict[int, str]]:
        """The practice widget cells grading need not run, and the import cells that run
        without the views (``course.skipcells``)."""
        if not self.skip_practice_widgets or not folder or skipcells.has_modules(Path(folder)):
            return set(), {}
        owner = self.parent
        while owner is not None and not hasattr(owner, "coursedir"):
            owner = getattr(owner, "parent", None)
        info = (resources or {}).get("nbgrader", {})
        if owner is None or not {"assignment", "notebook"} <= set(info):
            return set(), {}
        coursedir = owner.coursedir
        source = Path(coursedir.format_path(coursedir.source_directory, ".", info["assignment"]))
        instructor = skipcells.instructor_sources(source / f"{info['notebook']}.ipynb")
        if not instructor:
            return set(), {}
        skip = skipcells.skippable(nb, instructor)
        return skip, skipcells.trimmed(nb, instructor, skip)

    def create_kernel_manager(self):  # noqa: ANN201
        """The kernel started ahead for this notebook's folder, else a new one; nbclient
        owns it either way and shuts it down after this notebook."""
        if self._pooled is not None:
            self.km, self._pooled = self._pooled, None
            return self.km
        return super().create_kernel_manager()

    def _remaining(self) -> float:
        return self.notebook_budget - (time.monotonic() - self._started)

    def _get_timeout(self, cell: NotebookNode | None) -> int | None:
        timeout = super()._get_timeout(cell)
        if self._remaining() <= 0:
            left = self.late_test_timeout
        else:
            left = max(1, int(self._remaining()) + 1)
        if timeout is not None and timeout <= left:
            self.error_on_timeout = self._cell_timeout_error
            return timeout
        message = OVER_BUDGET.format(budget=self.notebook_budget)
        self.error_on_timeout = {"ename": "Zeitbudget", "evalue": message,
                                 "traceback": [f"Zeitbudget: {message}"]}
        return left

    def preprocess_cell(self, cell, resources, index):  # noqa: ANN001, ANN201
        if index in self._skip:
            cell.outputs, cell.execution_count = [], None
            return cell, resources
        if cell.cell_type == "code" and self._dead:
            cell.outputs = [new_output("stream", name="stdout", text=NOT_RUN)]
            return cell, resources
        if cell.cell_type == "code" and self._remaining() <= 0 and not is_test_cell(cell):
            cell.outputs = [new_output("stream", name="stdout",
                                       text=SKIPPED.format(budget=self.notebook_budget))]
            return cell, resources
        source = cell.source
        cell.source = self._trim.get(index, source)  # the notebook keeps its own source
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._dead = True
            why = self._why()
            cell.outputs.append(new_output("error", ename="KernelBeendet", evalue=why,
                                           traceback=[f"KernelBeendet: {why}"]))
            return cell, resources
        finally:
            cell.source = source

    def _why(self) -> str:
        out_of_memory = getattr(self.km, "out_of_memory", lambda: False)()
        limit = getattr(self.km, "memory_limit", 0)
        why = (OUT_OF_MEMORY.format(limit=_human(limit)) if out_of_memory
               else "Der Kernel hat sich unerwartet beendet.")
        return DIED.format(why=why)

    def process_message(self, msg, cell, cell_index):  # noqa: ANN001, ANN201
        # updates of a display replace an output in place, outside ``output``
        if msg["msg_type"] == "update_display_data" and _size(msg) > self.max_cell_bytes:
            return None
        return super().process_message(msg, cell, cell_index)

    def output(self, outs, msg, display_id, cell_index):  # noqa: ANN001, ANN201
        if _hand_over(msg, self.nb.cells[cell_index]):
            return super().output(outs, msg, display_id, cell_index)
        size = _size(msg)
        self._notebook_bytes += size
        used = self._cell_bytes.get(cell_index, 0) + size
        self._cell_bytes[cell_index] = used
        if used > self.max_cell_bytes or self._notebook_bytes > self.max_notebook_bytes:
            if cell_index not in self._cut:
                self._cut.add(cell_index)
                whole = self._notebook_bytes > self.max_notebook_bytes
                note = (CUT_NOTEBOOK.format(limit=_human(self.max_notebook_bytes)) if whole
                        else CUT.format(limit=_human(self.max_cell_bytes)))
                outs.append(new_output("stream", name="stdout", text=note))
            return None
        return super().output(outs, msg, display_id, cell_index)


def start_ahead(config: Any, folder: Path) -> SandboxKernelManager:
    """Start the sandboxed kernel for the notebook that will run in ``folder``, exactly as
    :class:`LimitedExecute` would (same configuration, kernel and arguments), for a
    :class:`course.kernels.KernelPool`."""
    from jupyter_core.utils import run_sync
    from nbformat.v4 import new_notebook

    probe = LimitedExecute(config=config)
    probe.nb = new_notebook()
    km = probe.create_kernel_manager()
    km.mount_at = Path(folder)
    arguments = list(probe.extra_arguments)
    if getattr(km, "ipykernel", False) and probe.ipython_hist_file and not any(
            a.startswith("--HistoryManager.hist_file") for a in arguments):
        arguments.append(f"--HistoryManager.hist_file={probe.ipython_hist_file}")
    run_sync(km.start_kernel)(extra_arguments=arguments)
    km.connect_ahead()
    return km
