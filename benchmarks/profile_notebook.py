"""Profile grading one notebook end to end: where does the time go?

Run: .venv/bin/python benchmarks/profile_notebook.py [--module 03_vier_ohren] [--kind solution]

Grades one simulated submission in this process through nbgrader's API with the course's
config (sandbox kernel, trusted scoring), as a ./grade worker does, after one warm-up
learner (so imports of nbgrader itself are not counted), and prints wall-clock seconds per
step: each sanitize/autograde preprocessor, kernel start (cgroups, bwrap, ipykernel) and
every executed cell, then feedback generation.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from course.gradebook import lighten_nbgrader_import  # noqa: E402

lighten_nbgrader_import()  # as ./grade does

from tests.nbgrader_course import (  # noqa: E402
    isolated_env,
    make_course,
    nbgrader,
    solutions,
    submission,
    submit,
)

TIMES: dict[str, float] = defaultdict(float)


def timed(owner: type, name: str, label: str) -> None:
    """Replace ``owner.name`` (a function or coroutine function) by a timed wrapper."""
    import inspect

    original: Callable[..., Any] = getattr(owner, name)
    if inspect.iscoroutinefunction(original):
        async def wrapper(*args: Any, **kw: Any) -> Any:
            start = time.perf_counter()
            try:
                return await original(*args, **kw)
            finally:
                TIMES[label] += time.perf_counter() - start
    else:
        def wrapper(*args: Any, **kw: Any) -> Any:  # type: ignore[misc]
            start = time.perf_counter()
            try:
                return original(*args, **kw)
            finally:
                TIMES[label] += time.perf_counter() - start
    setattr(owner, name, wrapper)


def instrument() -> None:
    from nbclient import NotebookClient
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.converters import Autograde, GenerateFeedback

    from course import kernels, limits, nbgrader_ext

    for cls in {*nbgrader_ext.SANITIZE, *nbgrader_ext.AUTOGRADE}:
        if cls is not limits.LimitedExecute:
            timed(cls, "preprocess", f"preprocessor {cls.__name__}")
    timed(kernels.SandboxKernelManager, "_async_pre_start_kernel",
          "kernel: socket folder + cgroups")
    timed(kernels.SandboxKernelManager, "_async_launch_kernel", "kernel: launch (Popen)")
    timed(kernels.SandboxKernelManager, "_async_cleanup_resources",
          "kernel: remove socket folder + cgroups")
    timed(NotebookClient, "start_new_kernel", "kernel: start (manager, cgroups, Popen)")
    timed(NotebookClient, "start_new_kernel_client",
          "kernel: wait until ready (bwrap, python, ipykernel)")
    timed(NotebookClient, "_cleanup_kernel", "kernel: shutdown + cleanup")
    timed(Autograde, "_init_preprocessors", "nbgrader: init preprocessors")
    timed(Autograde, "init_single_notebook_resources", "nbgrader: notebook resources")
    timed(Autograde, "write_single_notebook", "nbgrader: write autograded notebook")
    timed(Autograde, "convert_single_notebook", "nbgrader: sanitize + autograde one notebook")
    timed(Autograde, "init_assignment", "nbgrader: gradebook (assignment, submission)")
    timed(NbGraderAPI, "autograde", "TOTAL autograde")
    timed(GenerateFeedback, "start", "TOTAL feedback")

    original = limits.LimitedExecute.preprocess_cell

    def cell(self, cell, resources, index):  # noqa: ANN001, ANN202
        start = time.perf_counter()
        try:
            return original(self, cell, resources, index)
        finally:
            if cell.cell_type == "code":
                meta = cell.metadata.get("nbgrader", {})
                kind = ("answer" if meta.get("solution") else "test" if meta.get("grade")
                        else "practice")
                TIMES[f"cell {index:2d} {kind:8s} {cell.source.splitlines()[0][:50]!r}"] += (
                    time.perf_counter() - start)

    limits.LimitedExecute.preprocess_cell = cell


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--module", default="03_vier_ohren")
    parser.add_argument("--kind", choices=["solution", "partial", "untouched"],
                        default="solution")
    args = parser.parse_args()
    module = args.module
    with tempfile.TemporaryDirectory() as tmp:
        root = make_course(Path(tmp) / "course", [module])
        nbgrader(root, "generate_assignment", module, "--force")
        partial = json.loads((REPO / "tests/data/partial" / f"{module}.json").read_text())
        answers = {"solution": solutions(module), "partial": partial["answers"],
                   "untouched": {}}[args.kind]
        for student in ("warmup", "learner"):
            submit(root, student, module, submission(root, module, answers))
        os.environ.update(isolated_env(root))
        os.chdir(root)
        from course.classgrade import feedback, load_api

        api = load_api(root)
        api.autograde(module, "warmup", force=True, create=True)
        feedback(api, root, module, ["warmup"])
        instrument()
        TIMES.clear()
        start = time.perf_counter()
        result = api.autograde(module, "learner", force=True, create=True)
        feedback(api, root, module, ["learner"])
        total = time.perf_counter() - start
        assert result["success"], result
    print(f"{module} ({args.kind}), one notebook after a warm-up: {total:.2f} s")
    for label, seconds in sorted(TIMES.items(), key=lambda kv: kv[0]):
        print(f"{seconds:7.3f} s  {label}")


if __name__ == "__main__":
    main()
