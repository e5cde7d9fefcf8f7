"""Grade a whole class with one command: ``./grade ASSIGNMENT`` (``python -m course.classgrade``).

collect (when an exchange inbox exists) → autograde in parallel workers → generate_feedback
→ export grades.csv → class report (``klassenbericht-<assignment>.html``). Learners' code
runs in the bubblewrap sandbox configured in nbgrader_config.py; without it nothing is
graded. A learner whose notebook fails (corrupt file, kernel died) never stops the others.
Exit status: 0 when all went through, 1 when a learner needs the instructor's attention,
2 when grading could not start.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from course import sandbox

REASON = re.compile(r"^\s*(?:[\w.]+\.)?(\w*(?:Error|Exception)\w*: .+)$", re.M)


@dataclass
class Outcome:
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    late: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    seconds: float = 0.0


def nbgrader_cmd() -> list[str]:
    return [str(Path(sys.executable).parent / "nbgrader")]


def submitted_students(root: Path, assignment: str) -> list[str]:
    folder = root / "submitted"
    return sorted(p.parent.name for p in folder.glob(f"*/{assignment}") if p.is_dir())


def split(students: Sequence[str], jobs: int) -> list[list[str]]:
    groups = [list(students[n::jobs]) for n in range(jobs)]
    return [g for g in groups if g]


def _worker(root: Path, assignment: str, group: list[str], force: bool) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "course.classgrade", "--worker", "--root", str(root),
           *(["--force"] if force else []), assignment, *group]
    return subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1)


def load_api(root: Path):  # noqa: ANN201
    """nbgrader's Python API with the course's config: the same path formgrader takes."""
    from nbgrader.apps.api import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    return NbGraderAPI(config=config)


def work(root: Path, assignment: str, students: list[str], force: bool) -> None:
    """One worker: autograde and feedback per learner in one process (nbgrader starts once)."""
    api = load_api(root)
    for student in students:
        done = (root / "autograded" / student / assignment).is_dir()
        again = force or resubmitted(root, assignment, student)
        result = api.autograde(assignment, student, force=again, create=True)
        if not result["success"]:
            reasons = REASON.findall(result.get("error", "") + result.get("log", ""))
            reason = reasons[-1].strip()[:200] if reasons else "siehe grade.log"
            print(f"FAIL\t{student}\t{reason}", flush=True)
            _append_log(root, student, result)
            continue
        skipped = done and not again
        if not (skipped and (root / "feedback" / student / assignment).is_dir()):
            feedback = api.generate_feedback(assignment, student, force=True)
            if not feedback["success"]:
                _append_log(root, student, feedback)
        print(f"{'SKIP' if skipped else 'OK'}\t{student}\t", flush=True)


def resubmitted(root: Path, assignment: str, student: str) -> bool:
    """Is the submission newer than what was graded? (nbgrader copies timestamp.txt along)"""
    stamps = [root / step / student / assignment / "timestamp.txt"
              for step in ("submitted", "autograded")]
    if not all(p.exists() for p in stamps):
        return False
    return stamps[0].read_text(encoding="utf-8") != stamps[1].read_text(encoding="utf-8")


def _append_log(root: Path, student: str, result: dict) -> None:
    with (root / "grade.log").open("a", encoding="utf-8") as log:
        log.write(f"== {student}\n{result.get('log', '')}\n{result.get('error', '')}\n")


def _follow(proc: subprocess.Popen[str], outcome: Outcome, total: int,
            lock: threading.Lock) -> None:
    for line in proc.stdout or []:
        status, _, rest = line.rstrip("\n").partition("\t")
        student, _, reason = rest.partition("\t")
        if status not in {"OK", "SKIP", "FAIL"}:
            continue
        with lock:
            if status == "OK":
                outcome.graded.append(student)
                text = f"✓ {student} bewertet"
            elif status == "SKIP":
                outcome.skipped.append(student)
                text = f"= {student} schon bewertet"
            else:
                outcome.failed[student] = reason
                text = f"✗ {student}: {reason}"
            done = len(outcome.graded) + len(outcome.skipped) + len(outcome.failed)
            print(f"  [{done}/{total}] {text}", flush=True)
    proc.wait()


def autograde(root: Path, assignment: str, jobs: int, force: bool) -> Outcome:
    """Autograde and generate feedback for every submission, in ``jobs`` parallel workers."""
    students = submitted_students(root, assignment)
    outcome = Outcome()
    lock = threading.Lock()
    (root / "grade.log").write_text("", encoding="utf-8")
    start = time.perf_counter()
    procs = [_worker(root, assignment, g, force) for g in split(students, jobs)]
    threads = [threading.Thread(target=_follow, args=(p, outcome, len(students), lock))
               for p in procs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outcome.seconds = time.perf_counter() - start
    return outcome


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*nbgrader_cmd(), *args], cwd=root, capture_output=True, text=True)


def export(root: Path) -> Path:
    """nbgrader's CSV export, in this process (saves starting nbgrader once more)."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins.export import CsvExportPlugin

    path = root / "grades.csv"
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        CsvExportPlugin(to=str(path)).export(gb)
    return path


def exchange_inbox(root: Path) -> Path | None:
    """The course's inbound folder in nbgrader's exchange, if the course uses one."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    exchange = Path(str(config.get("Exchange", {}).get("root", "/srv/nbgrader/exchange")))
    course = str(config.get("CourseDirectory", {}).get("course_id", ""))
    inbox = exchange / course / "inbound"
    return inbox if course and inbox.is_dir() else None


def gradebook_facts(root: Path, assignment: str, outcome: Outcome) -> None:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for student in gb.students:
            try:
                sub = gb.find_submission(assignment, student.id)
            except MissingEntry:
                outcome.missing.append(student.id)
                continue
            if sub.total_seconds_late > 0:
                outcome.late.append(student.id)


def summary(outcome: Outcome) -> list[str]:
    lines = [f"Bewertet: {len(outcome.graded)} neu, {len(outcome.skipped)} unverändert "
             f"({outcome.seconds:.1f} s)"]
    if outcome.failed:
        lines.append(f"Fehlgeschlagen: {len(outcome.failed)} – "
                     + "; ".join(f"{s}: {r}" for s, r in outcome.failed.items()))
    if outcome.late:
        lines.append(f"Zu spät abgegeben: {', '.join(sorted(outcome.late))}")
    if outcome.missing:
        lines.append(f"Keine Abgabe: {', '.join(sorted(outcome.missing))}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Eine Klasse bewerten (nbgrader)")
    parser.add_argument("assignment")
    parser.add_argument("students", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    parser.add_argument("--force", action="store_true", help="auch schon Bewertetes neu bewerten")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.worker:
        work(root, args.assignment, args.students, args.force)
        return 0
    try:
        sandbox.check()
    except sandbox.SandboxUnavailable as err:
        print(f"!!! ABBRUCH: {err}", file=sys.stderr)
        return 2
    if not (root / "nbgrader_config.py").exists():
        print(f"!!! ABBRUCH: {root} ist kein Kursordner (ohne nbgrader_config.py)",
              file=sys.stderr)
        return 2
    if exchange_inbox(root):
        print("1/5 Abgaben einsammeln (nbgrader collect) …")
        _run(root, "collect", args.assignment, "--update")
    print(f"2/5 + 3/5 Automatisch bewerten und Rückmeldungen erzeugen ({args.jobs} Prozesse) …")
    outcome = autograde(root, args.assignment, args.jobs, args.force)
    print(f"    fertig in {outcome.seconds:.1f} s")
    print("4/5 Noten exportieren (grades.csv) …")
    export(root)
    gradebook_facts(root, args.assignment, outcome)
    print("5/5 Klassenbericht schreiben …")
    from course.report import write_report

    started = time.perf_counter()
    report = write_report(root, args.assignment, outcome.failed)
    print(f"    fertig in {time.perf_counter() - started:.1f} s")
    print(f"Klassenbericht: {report}")
    print("\n".join(summary(outcome)))
    return 1 if outcome.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
