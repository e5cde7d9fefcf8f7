"""Benchmark: `./grade` against plain nbgrader (default) and the tuned anchor, same class.

Run (2 cores, otherwise quiet machine; check `uptime`):

    .venv/bin/python benchmarks/grading_benchmark.py                           # 11 modules × 30
    .venv/bin/python benchmarks/grading_benchmark.py --modules 03_vier_ohren   # one module × 30

Identical copies of one simulated class (solutions, partly right and untouched notebooks,
in turn) are graded in one run by three arms:

- **default**: plain `nbgrader autograde MODULE` per module, one process, nbgrader's
  default graceful kernel shutdown;
- **anchor** (tuned): what a competent instructor scripts around plain nbgrader:
  `--Execute.shutdown_kernel=immediate` and the class split into two parallel processes by
  student-id glob (`--student 'l?[02468]'` and `--student 'l?[13579]'`), each going
  through the modules in turn;
- **./grade**: one `python -m course.classgrade MODULE…` (autograde **and** feedback,
  grades.csv and the class reports).

The **floor** is an empty notebook (one test cell `pass`) graded by plain nbgrader in the
same sandbox by as many learners: what starting and stopping one sandboxed kernel and
nbgrader's own steps cost per notebook. The benchmark prints seconds, seconds per notebook,
× floor, the ratios of ./grade to both baselines, and whether the exported grades of all
arms are identical (every arm grades with the course's sandbox and trusted scoring).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.nbgrader_course import (  # noqa: E402
    isolated_env,
    make_course,
    nbgrader,
    solutions,
    submission,
    submit,
)

ARMS = ("default", "anchor", "grade")
HALVES = ("l?[02468]", "l?[13579]")  # the anchor's two processes (learners l00, l01, …)
EMPTY = "99_leer"


def simulate(root: Path, modules: list[str], learners: int) -> None:
    for module in modules:
        nbgrader(root, "generate_assignment", module, "--force")
        partial = json.loads((REPO / "tests/data/partial" / f"{module}.json").read_text("utf-8"))
        kinds = [solutions(module), partial["answers"], {}]
        for n in range(learners):
            submit(root, f"l{n:02d}", module, submission(root, module, kinds[n % 3]))


def grades(root: Path) -> dict[tuple[str, str], str]:
    nbgrader(root, "export", "--to", str(root / "grades.csv"))
    with (root / "grades.csv").open(encoding="utf-8") as f:
        return {(r["assignment"], r["student_id"]): r["raw_score"] for r in csv.DictReader(f)}


def lanes(script: list[list[list[str]]], root: Path) -> float:
    """Seconds until every lane is done; each lane runs its commands in turn, the lanes
    run in parallel."""
    env = isolated_env(root)

    def run(lane: list[list[str]]) -> None:
        for cmd in lane:
            subprocess.run(cmd, cwd=root, env=env, check=False, capture_output=True)

    start = time.perf_counter()
    threads = [threading.Thread(target=run, args=(lane,)) for lane in script]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def floor(tmp: Path, learners: int, nbgrader_bin: str) -> float:
    """Seconds per notebook for an empty notebook, plain nbgrader, same sandbox."""
    from tools.nbbuild import md, tests, write

    root = make_course(tmp / "floor", [])
    write(root / "source" / EMPTY / f"{EMPTY}.ipynb", [md("# Leer"), tests("pass", "leer", 1)])
    nbgrader(root, "generate_assignment", EMPTY, "--force")
    for n in range(learners):
        submit(root, f"l{n:02d}", EMPTY, submission(root, EMPTY, {}))
    seconds = lanes([[[nbgrader_bin, "autograde", EMPTY,
                       "--Execute.shutdown_kernel=immediate"]]], root)
    return seconds / learners


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--modules", nargs="*")
    parser.add_argument("--arms", nargs="*", choices=ARMS, default=list(ARMS))
    parser.add_argument("--jobs", type=int, help="./grade --jobs (default: its own)")
    args = parser.parse_args()
    modules = args.modules or sorted(p.name for p in (REPO / "source").iterdir() if p.is_dir())
    nbgrader_bin = str(Path(sys.executable).parent / "nbgrader")
    load = os.getloadavg()
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = make_course(Path(tmp) / "class", modules)
        simulate(base, modules, args.learners)
        roots = {arm: Path(tmp) / arm for arm in args.arms}
        for root in roots.values():
            shutil.copytree(base, root)
        per_notebook_floor = floor(Path(tmp), min(args.learners, 10), nbgrader_bin)
        if "default" in roots:
            seconds["default"] = lanes([[
                [nbgrader_bin, "autograde", m, "--Execute.shutdown_kernel=graceful"]
                for m in modules]], roots["default"])
        if "anchor" in roots:
            seconds["anchor"] = lanes([[
                [nbgrader_bin, "autograde", m, "--Execute.shutdown_kernel=immediate",
                 "--student", half] for m in modules] for half in HALVES], roots["anchor"])
        if "grade" in roots:
            jobs = ["--jobs", str(args.jobs)] if args.jobs else []
            seconds["grade"] = lanes([[[sys.executable, "-m", "course.classgrade", *modules,
                                        "--root", str(roots["grade"]), *jobs]]],
                                     roots["grade"])
        exported = {arm: grades(root) for arm, root in roots.items()}
    notebooks = len(modules) * args.learners
    reference = next(iter(exported.values()))
    same = all(g == reference for g in exported.values()) and len(reference) == notebooks
    label = {"default": "plain nbgrader autograde, default settings",
             "anchor": "tuned anchor: immediate shutdown, 2 processes by student glob",
             "grade": "./grade (autograde + feedback + export + report)"}
    print(f"{args.learners} learners × {len(modules)} modules = {notebooks} notebooks; "
          f"load before the run {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
          f"{os.cpu_count()} cores")
    print(f"floor (empty notebook, plain nbgrader, same sandbox): "
          f"{per_notebook_floor:.2f} s/notebook")
    for arm, total in seconds.items():
        each = total / notebooks
        print(f"{label[arm]:66} {total:7.1f} s  {each:5.2f} s/notebook  "
              f"{each / per_notebook_floor:5.2f} × floor")
    if "grade" in seconds:
        for arm in ("default", "anchor"):
            if arm in seconds:
                print(f"ratio {arm} / ./grade: {seconds[arm] / seconds['grade']:.2f}×")
    print(f"exported grades identical across {', '.join(exported)}: {same} "
          f"({len(reference)} grades)")


if __name__ == "__main__":
    main()
