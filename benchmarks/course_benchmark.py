"""Benchmark: import time of `course`, autograde seconds per notebook, nbval seconds.

Run: .venv/bin/python benchmarks/course_benchmark.py [--students N]

Autograde time per notebook is measured for each module and for an empty notebook
(the floor: kernel start and nbgrader's own work), each with the module's source
solution submitted by N learners; the ratio module/floor shows what the course adds.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.nbgrader_course import (  # noqa: E402
    make_course,
    nbgrader,
    solutions,
    submission,
    submit,
)
from tools.nbbuild import md, tests, write  # noqa: E402

EMPTY = "leer"


def import_time(runs: int = 5) -> float:
    cmd = [sys.executable, "-c", "import time; t=time.perf_counter(); import course; "
           "print(time.perf_counter()-t)"]
    return statistics.median(float(subprocess.check_output(cmd, text=True)) for _ in range(runs))


def autograde_seconds(root: Path, module: str, students: int) -> float:
    nbgrader(root, "generate_assignment", module, "--force")
    answers = solutions(module) if module != EMPTY else {}
    for n in range(students):
        submit(root, f"s{n:02d}", module, submission(root, module, answers))
    start = time.perf_counter()
    nbgrader(root, "autograde", module, "--force")
    return (time.perf_counter() - start) / students


def nbval_seconds(module: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    f"source/{module}"], cwd=REPO, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=4)
    args = parser.parse_args()
    modules = sorted(p.name for p in (REPO / "source").iterdir() if p.is_dir())
    print(f"import course: {import_time() * 1000:.1f} ms (median of 5 fresh processes)")
    with tempfile.TemporaryDirectory() as tmp:
        root = make_course(Path(tmp), modules)
        write(root / "source" / EMPTY / f"{EMPTY}.ipynb",
              [md("# Leer"), tests("pass", "leer_test", 1)])
        floor = autograde_seconds(root, EMPTY, args.students)
        print(f"\nautograde, {args.students} learners each, seconds per notebook")
        print(f"{'module':28} {'autograde s':>11} {'floor s':>8} {'ratio':>6} {'nbval s':>8}")
        for module in modules:
            seconds = autograde_seconds(root, module, args.students)
            print(f"{module:28} {seconds:11.2f} {floor:8.2f} {seconds / floor:6.2f} "
                  f"{nbval_seconds(module):8.2f}")


if __name__ == "__main__":
    main()
