"""Benchmark: `./grade` versus sequential `nbgrader autograde` with default settings.

Run: .venv/bin/python benchmarks/grading_benchmark.py [--learners 30] [--modules 01_… 03_…]

Two identical copies of a simulated class (solutions, partly right and untouched
notebooks) are graded: one with plain `nbgrader autograde` per module (default settings:
one process, graceful kernel shutdown), one with a single `python -m course.classgrade
MODULE…` (parallel workers shared by all modules, plus feedback, export and one report per
module). Prints both times, the ratio, and whether the exported grades are identical.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
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


def timed(cmd: list[str], root: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=root, env=isolated_env(root), check=False, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--modules", nargs="*")
    args = parser.parse_args()
    modules = args.modules or sorted(p.name for p in (REPO / "source").iterdir() if p.is_dir())
    nbgrader_bin = str(Path(sys.executable).parent / "nbgrader")
    with tempfile.TemporaryDirectory() as tmp:
        plain = make_course(Path(tmp) / "plain", modules)
        simulate(plain, modules, args.learners)
        fast = Path(tmp) / "fast"
        shutil.copytree(plain, fast)
        seq = sum(timed([nbgrader_bin, "autograde", m, "--Execute.shutdown_kernel=graceful"],
                        plain) for m in modules)
        cmd = timed([sys.executable, "-m", "course.classgrade", *modules, "--root", str(fast)],
                    fast)
        same = grades(plain) == grades(fast)
    notebooks = len(modules) * args.learners
    print(f"{args.learners} learners × {len(modules)} modules = {notebooks} notebooks")
    print(f"sequential nbgrader autograde: {seq:7.1f} s")
    print(f"./grade {' '.join(modules) if len(modules) < 3 else '(all modules)'} "
          f"(autograde + feedback + export + report): {cmd:7.1f} s")
    print(f"ratio: {seq / cmd:.2f}×   exported grades identical: {same}")


if __name__ == "__main__":
    main()
