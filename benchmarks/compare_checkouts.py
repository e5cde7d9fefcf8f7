"""Benchmark: autograde seconds per notebook, this checkout against an earlier commit, in one run.

Run: .venv/bin/python benchmarks/compare_checkouts.py --baseline REV [--modules 01 03 09]
     [--students N] [--rounds R]

The earlier commit is checked out with `git worktree` into a temporary folder. For each
module, N learners submit the module's source solution; `nbgrader autograde` grades them
with each checkout's own nbgrader_config.py and `course` package (PYTHONPATH), in
alternating rounds so that both arms see the same machine load. Reports seconds per
notebook (median over rounds) and checks that both arms record the same points.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.nbgrader_course import (  # noqa: E402
    isolated_env,
    scores,
    solutions,
    submission,
    submit,
)

BIN = Path(sys.executable).parent


def worktree(rev: str, folder: Path) -> Path:
    subprocess.run(["git", "worktree", "add", "--detach", str(folder), rev], cwd=REPO,
                   check=True, capture_output=True)
    return folder


def course(checkout: Path, root: Path, module: str) -> Path:
    root.mkdir(parents=True)
    (root / "nbgrader_config.py").write_text(
        (checkout / "nbgrader_config.py").read_text("utf-8"), "utf-8")
    subprocess.run(["cp", "-r", str(checkout / "source"), str(root)], check=True)
    return root


def nbgrader(checkout: Path, root: Path, *args: str) -> None:
    env = {**isolated_env(root), "PYTHONPATH": str(checkout)}
    subprocess.run([str(BIN / "nbgrader"), *args], cwd=root, env=env, check=True,
                   capture_output=True, timeout=1800)


def one_round(checkout: Path, tmp: Path, module: str, students: int) -> tuple[float, dict]:
    root = course(checkout, tmp / f"{checkout.name}-{module}-{time.time_ns()}", module)
    nbgrader(checkout, root, "generate_assignment", module, "--force")
    for n in range(students):
        submit(root, f"s{n:02d}", module, submission(root, module, solutions(module)))
    start = time.perf_counter()
    nbgrader(checkout, root, "autograde", module, "--force")
    seconds = (time.perf_counter() - start) / students
    return seconds, scores(root, module)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", required=True, help="git revision to compare with")
    parser.add_argument("--modules", nargs="+", default=["01", "03", "09"])
    parser.add_argument("--students", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    all_modules = sorted(p.name for p in (REPO / "source").iterdir() if p.is_dir())
    modules = [m for m in all_modules if m[:2] in args.modules or m in args.modules]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        base = worktree(args.baseline, tmp / "baseline")
        arms = {"baseline": base, "this checkout": REPO}
        try:
            print(f"| module | {args.baseline} s/notebook | this checkout s/notebook | ratio |")
            print("|---|---|---|---|")
            for module in modules:
                times: dict[str, list[float]] = {arm: [] for arm in arms}
                points: dict[str, dict] = {}
                for _ in range(args.rounds):
                    for arm, checkout in arms.items():
                        seconds, points[arm] = one_round(checkout, tmp, module, args.students)
                        times[arm].append(seconds)
                same = points["baseline"] == points["this checkout"]
                a, b = (statistics.median(times[arm]) for arm in arms)
                note = "" if same else f" (points differ: {points})"
                print(f"| {module} | {a:.2f} | {b:.2f} | {b / a:.2f}{note} |", flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=REPO,
                           capture_output=True)
            os.sync()


if __name__ == "__main__":
    main()
