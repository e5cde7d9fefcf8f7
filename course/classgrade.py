"""Grade a class with one command: ``./grade ASSIGNMENT…`` or ``./grade --all``.

collect (when an exchange inbox exists) → autograde in parallel workers → generate_feedback
→ export grades.csv → class report (``klassenbericht-<assignment>.html``) → with
``--export moodle`` Moodle's grade import file (``course.lms``; alone: only that export).
Learners' code runs in the bubblewrap sandbox configured in nbgrader_config.py; without it
nothing is graded. A learner whose notebook fails (corrupt file, kernel died) never stops
the others. Exit status: 0 when all went through, 1 when a learner needs the instructor's
attention (or the LMS export was refused), 2 when grading could not start.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from course import sandbox
from course.gradebook import lighten_nbgrader_import

lighten_nbgrader_import()  # every process of ./grade imports nbgrader

READY = "READY"  # a worker's first line: its nbgrader config is the trusted one
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


def split(items: Sequence[str], jobs: int) -> list[list[str]]:
    """Share "assignment/learner" items out; all items of one learner go to one worker
    (two workers creating the same learner in the gradebook at once would collide)."""
    learners = sorted({item.partition("/")[2] for item in items})
    groups: list[list[str]] = [[] for _ in range(jobs)]
    for item in items:
        groups[learners.index(item.partition("/")[2]) % jobs].append(item)
    return [g for g in groups if g]


def _worker(root: Path, items: list[str], force: bool) -> subprocess.Popen[str]:
    """A new worker process (it imports nbgrader itself): replaces one that was stopped."""
    cmd = [sys.executable, "-m", "course.classgrade", "--worker", "--root", str(root),
           *(["--force"] if force else []), *items]
    env = {**os.environ, sandbox.LOG_ENV: str(root / "grade-kernels.log")}
    return subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1, env=env)


class Forked:
    """A worker forked from this process, which has nbgrader imported already (a second
    of CPU per worker saved). Offers what ``Worker`` uses of ``subprocess.Popen``.

    Only forked while this process has no other thread (a lock held by another thread
    would stay locked in the child); replacements are started with :func:`_worker`.
    """

    def __init__(self, root: Path, items: list[str], force: bool) -> None:
        assert threading.active_count() == 1, "fork only without other threads"
        read, write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker
            os.close(read)
            _run_forked(write, root, items, force)
        os.close(write)
        self.pid = pid
        self.stdout = open(read, encoding="utf-8")  # noqa: SIM115 - read until it ends
        self.returncode: int | None = None
        self._lock = threading.Lock()

    def poll(self) -> int | None:
        return self._reap(os.WNOHANG)

    def wait(self) -> int | None:
        return self._reap(0)

    def _reap(self, flags: int) -> int | None:
        with self._lock:
            if self.returncode is None:
                pid, status = os.waitpid(self.pid, flags)
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
            return self.returncode

    def kill(self) -> None:
        with self._lock:
            if self.returncode is None:
                os.kill(self.pid, signal.SIGKILL)


def _run_forked(pipe: int, root: Path, items: list[str], force: bool) -> None:
    """The forked worker's life: its output goes to ``pipe``; it never returns."""
    code = 1
    try:
        os.dup2(pipe, 1)
        os.dup2(pipe, 2)
        os.close(pipe)
        sys.stdout = open(1, "w", encoding="utf-8", buffering=1, closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", buffering=1, closefd=False)  # noqa: SIM115
        os.chdir(root)
        os.environ[sandbox.LOG_ENV] = str(root / "grade-kernels.log")
        work(root, items, force)
        code = 0
    except SystemExit as stop:  # load_api's refusal: its message is the worker's last line
        print(stop.code if isinstance(stop.code, str) else "", file=sys.stderr)
    except BaseException:  # noqa: BLE001 - whatever it was, the lane reports the last line
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


KERNEL_SIDE = "import course.sandbox, course.grading_kernel"


def _probe_kernel_side(root: Path) -> subprocess.Popen[str]:
    """Does the course package load as the kernels' launcher will load it (``python -P``,
    this environment, in the course folder)? Forked workers have this process's copy, so
    a broken one would only show when every kernel dies; asked while ``preload`` runs."""
    return subprocess.Popen([sys.executable, "-P", "-c", KERNEL_SIDE], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _probe_result(probe: subprocess.Popen[str]) -> str | None:
    out, _ = probe.communicate()
    if probe.returncode == 0:
        return None
    reasons = REASON.findall(out)
    return ("Das Kurspaket course lässt sich für die Kernel nicht laden / the course package "
            f"does not load for the kernels: {reasons[-1].strip() if reasons else out[-200:]}")


def preload() -> None:
    """Load what every worker needs, before forking workers (they share it): nbgrader,
    the trusted scorer and the rewrite checker's compiled lexicon."""
    import IPython.display  # noqa: F401 - the scorer's hand-over records
    import nbgrader.apps.api  # noqa: F401
    import nbgrader.converters  # noqa: F401
    import sqlalchemy.dialects.sqlite  # noqa: F401

    import course.limits  # noqa: F401
    import course.trusted  # noqa: F401
    from course.rewrite_lexicon import load_now

    load_now()


def load_api(root: Path):  # noqa: ANN201
    """nbgrader's Python API with the course's config: the same path formgrader takes."""
    from nbgrader.apps.api import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    from course.nbgrader_ext import trusted

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    if not trusted(config):
        raise SystemExit("!!! ABBRUCH: no sandbox / trusted scorer in nbgrader_config.py")
    config.CourseDirectory.root = str(root)
    return NbGraderAPI(config=config)


def trusted_config(root: Path) -> bool:
    """Does the course's nbgrader_config.py load and grade with sandbox and trusted scorer?"""
    from traitlets.config.loader import PyFileConfigLoader

    from course.nbgrader_ext import trusted

    try:
        config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    except Exception:  # noqa: BLE001 - any broken config means: do not grade
        return False
    return trusted(config)


def work(root: Path, items: list[str], force: bool) -> None:
    """One worker: autograde and feedback per "assignment/learner" in one process, so
    nbgrader is imported once per worker, not once per learner or assignment.

    While one notebook is graded, the sandboxed kernel of the next one is already starting
    (``course.kernels.KernelPool``): each such kernel serves exactly that one notebook.
    Feedback is written per assignment for all of this worker's learners at once (one
    exporter, its templates loaded once), right after the last of them is autograded.
    """
    from course import kernels

    gc.enable()  # forked or started anew, a worker inherits it off (``run``, ``autograde``)
    share_gradebook_engine()
    api = load_api(root)
    api.config.LimitedExecute.skip_practice_widgets = True  # course.skipcells
    print(READY, flush=True)
    pool = kernels.POOL = kernels.KernelPool(lambda folder: _start_ahead(api, folder))
    try:
        _work(api, root, items, force, pool)
    finally:
        pool.close()


def share_gradebook_engine() -> None:
    """nbgrader opens the gradebook about a dozen times per notebook, each time with a new
    SQLAlchemy engine (so every query is compiled again) and a check that each of its
    tables exists. In a worker, all of them share one engine per database, and the tables
    are checked once per engine; every open still gets its own session and transaction."""
    import nbgrader.api as gradebook

    if getattr(gradebook, "_kurs_shared", False):
        return
    create_engine, create_all = gradebook.create_engine, gradebook.Base.metadata.create_all
    engines: dict[tuple[str, str], Any] = {}
    checked: set[int] = set()

    def shared_engine(url: str, **kw: Any) -> Any:
        key = (str(url), repr(sorted(kw.items())))
        if key not in engines:
            engines[key] = create_engine(url, **kw)
        return engines[key]

    def create_all_once(bind: Any = None, **kw: Any) -> None:
        if id(bind) not in checked:
            create_all(bind=bind, **kw)
            checked.add(id(bind))

    gradebook.create_engine = shared_engine
    gradebook.Base.metadata.create_all = create_all_once
    gradebook._kurs_shared = True


def _start_ahead(api, folder: Path):  # noqa: ANN001, ANN202
    from course.limits import start_ahead

    return start_ahead(api.config, folder)


def _ahead(api, root: Path, item: str | None, force: bool) -> Path | None:  # noqa: ANN001
    """The folder the notebook of ``item`` will run in, if it will be graded now."""
    if item is None:
        return None
    assignment, _, student = item.partition("/")
    done = (root / "autograded" / student / assignment).is_dir()
    if done and not (force or resubmitted(root, assignment, student)):
        return None
    if not (root / "submitted" / student / assignment).is_dir():
        return None
    coursedir = api.coursedir
    return Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))


def _work(api, root: Path, items: list[str], force: bool, pool) -> None:  # noqa: ANN001
    pending: list[str] = []  # learners of the current assignment that need feedback
    _prestart(pool, _ahead(api, root, items[0] if items else None, force))
    for n, item in enumerate(items):
        assignment, _, student = item.partition("/")
        print(f"START\t{item}\t", flush=True)
        done = (root / "autograded" / student / assignment).is_dir()
        again = force or resubmitted(root, assignment, student)
        following = items[n + 1] if n + 1 < len(items) else None
        ahead = _ahead(api, root, following, force)
        _prestart(pool, ahead)
        result = api.autograde(assignment, student, force=again, create=True)
        pool.keep({ahead} if ahead is not None else set())
        if not result["success"]:
            reasons = REASON.findall(result.get("error", "") + result.get("log", ""))
            reason = reasons[-1].strip()[:200] if reasons else "siehe grade.log"
            print(f"FAIL\t{item}\t{reason}", flush=True)
            _append_log(root, item, result)
        else:
            skipped = done and not again
            if not (skipped and (root / "feedback" / student / assignment).is_dir()):
                pending.append(student)
            print(f"{'SKIP' if skipped else 'OK'}\t{item}\t", flush=True)
        following_assignment = following.partition("/")[0] if following else None
        if pending and following_assignment != assignment:
            feedback(api, root, assignment, pending)
            pending = []


def _prestart(pool, folder: Path | None) -> None:  # noqa: ANN001
    """Start the kernel of the notebook that will run in ``folder`` (if any) now."""
    if folder is None:
        return
    try:
        pool.prestart(folder)
    except Exception:  # noqa: BLE001, S110 - that notebook then starts its own kernel
        pass


def feedback(api, root: Path, assignment: str, students: list[str]) -> None:  # noqa: ANN001
    """nbgrader's generate_feedback for several learners of one assignment in one run."""
    from nbgrader.converters import GenerateFeedback
    from nbgrader.utils import capture_log, temp_attrs
    from traitlets.config import Config

    graded = {p.parent.name for p in (root / "autograded").glob(f"*/{assignment}")}
    others = ",".join(sorted(graded - set(students)))
    config = Config()
    config.HTMLExporter.template_name = "feedback"  # as NbGraderAPI.generate_feedback does
    with temp_attrs(api.coursedir, assignment_id=assignment, student_id="*",
                    student_id_exclude=others):
        app = GenerateFeedback(coursedir=api.coursedir, parent=api)
        app.update_config(config)
        app.force = True
        result = capture_log(app)
    if not result["success"]:
        _append_log(root, f"{assignment} (Rückmeldungen)", result)


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


class Refused(RuntimeError):
    """A worker could not start grading (no trusted config, course not importable)."""


@dataclass
class Worker:
    proc: subprocess.Popen[str] | Forked
    items: list[str]
    ready: bool = False
    reported: set[str] = field(default_factory=set)
    tail: list[str] = field(default_factory=list)  # its last other lines: why it stopped
    current: str | None = None  # the item it is grading, since ``started``
    started: float = 0.0
    overdue: str | None = None  # the item the watchdog stopped it on

    @property
    def last_words(self) -> str:
        """Why it stopped, as far as its own output says."""
        return self.tail[-1] if self.tail else "Bewertungsprozess abgebrochen"


@dataclass
class Run:
    outcomes: dict[str, Outcome]
    total: int
    force: bool
    learner_timeout: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    started: float = field(default_factory=time.monotonic)
    # called once every learner has a result (the workers may still write feedback)
    on_done: Callable[[dict[str, Outcome]], None] | None = None

    def record(self, item: str, status: str, reason: str = "") -> None:
        assignment, _, student = item.partition("/")
        name = student if len(self.outcomes) == 1 else item
        outcome = self.outcomes[assignment]
        with self.lock:
            if status == "OK":
                outcome.graded.append(student)
                text = f"✓ {name} bewertet"
            elif status == "SKIP":
                outcome.skipped.append(student)
                text = f"= {name} schon bewertet"
            else:
                outcome.failed[student] = reason[:200]
                text = f"✗ {name}: {reason[:200]}"
            done = sum(len(o.graded) + len(o.skipped) + len(o.failed)
                       for o in self.outcomes.values())
            print(f"  [{done}/{self.total}] {text}{self.time_left(done)}", flush=True)
        if done == self.total and self.on_done is not None:
            self.on_done(self.outcomes)

    def time_left(self, done: int) -> str:
        """An estimate of the time left, from the pace so far."""
        if not done or done >= self.total:
            return ""
        left = (time.monotonic() - self.started) / done * (self.total - done)
        return f" – noch etwa {left / 60:.0f} min" if left >= 90 else f" – noch etwa {left:.0f} s"


def _follow(worker: Worker, run: Run) -> None:
    for line in worker.proc.stdout or []:
        status, _, rest = line.rstrip("\n").partition("\t")
        item, _, reason = rest.partition("\t")
        if status == READY:
            worker.ready = True
        elif status == "START" and item in worker.items:
            worker.current, worker.started = item, time.monotonic()
        elif status in {"OK", "SKIP", "FAIL"} and item in worker.items:
            worker.reported.add(item)
            worker.current = None
            run.record(item, status, reason)
        else:
            worker.tail = [*worker.tail, line.strip()][-3:]
    worker.proc.wait()


def _watch(worker: Worker, run: Run) -> None:
    """Stop a worker that spends longer than ``learner_timeout`` on one learner."""
    while worker.proc.poll() is None:
        item = worker.current
        if item and time.monotonic() - worker.started > run.learner_timeout:
            worker.overdue = item
            worker.proc.kill()
            return
        time.sleep(0.2)


def _lane(root: Path, items: list[str], run: Run, workers: list[Worker],
          first: Forked | None = None) -> None:
    """Grade ``items`` in one worker process (``first``, else a new one); when it stops on
    a learner (watchdog, crash), that learner is recorded as failed and a new worker
    grades the rest."""
    while items:
        proc, first = first or _worker(root, items, run.force), None
        worker = Worker(proc, items)
        workers.append(worker)
        watchdog = threading.Thread(target=_watch, args=(worker, run), daemon=True)
        watchdog.start()
        _follow(worker, run)
        if not worker.ready:
            return
        stopped = worker.overdue or worker.current
        if stopped:
            why = (f"Zeitlimit von {run.learner_timeout:g} s für eine Abgabe überschritten"
                   if worker.overdue else worker.last_words)
            worker.reported.add(stopped)
            run.record(stopped, "FAIL", why)
        items = [i for i in items if i not in worker.reported]
        if not stopped:
            for item in items:
                run.record(item, "FAIL", worker.last_words)
            return


def _late_feedback(root: Path, outcomes: dict[str, Outcome]) -> None:
    """Feedback for learners graded by a worker that was stopped before it wrote theirs."""
    for assignment, outcome in outcomes.items():
        for student in outcome.graded:
            if not (root / "feedback" / student / assignment).is_dir():
                _run(root, "generate_feedback", assignment, "--student", student, "--force")


def autograde(root: Path, assignments: Sequence[str], jobs: int, force: bool,
              learner_timeout: float = 600.0,
              on_done: Callable[[dict[str, Outcome]], None] | None = None,
              ) -> dict[str, Outcome]:
    """Autograde and give feedback for every submission of the assignments, shared out
    over ``jobs`` parallel workers. Raises :class:`Refused` when a worker could not start.
    ``on_done`` is called once every learner has a result, while feedback is written."""
    items = [f"{a}/{s}" for a in assignments for s in submitted_students(root, a)]
    run = Run({a: Outcome() for a in assignments}, len(items), force, learner_timeout,
              on_done=on_done)
    (root / "grade.log").write_text("", encoding="utf-8")
    start = time.perf_counter()
    workers: list[Worker] = []
    groups = split(items, jobs)
    # Forked before any thread of ours starts; started fresh where others run already
    # (an embedding program's threads).
    alone = threading.active_count() == 1
    probe = _probe_kernel_side(root)
    if alone:
        preload()
    if why := _probe_result(probe):
        raise Refused(why)
    if alone:
        # Python's recipe for fork without exec (gc.freeze): what the workers share stays
        # out of their garbage collections, which would otherwise scan it again and again.
        gc.freeze()
    forked = [Forked(root, group, force) if alone else None for group in groups]
    gc.enable()
    lanes = [threading.Thread(target=_lane, args=(root, group, run, workers, proc))
             for group, proc in zip(groups, forked, strict=True)]
    for lane in lanes:
        lane.start()
    for lane in lanes:
        lane.join()
    from course.kernels import sweep

    sweep()  # what killed workers' kernels left behind
    refused = [w for w in workers if not w.ready]
    if refused:
        raise Refused(" / ".join(refused[0].tail) or "Bewertungsprozess nicht gestartet")
    _late_feedback(root, run.outcomes)
    for outcome in run.outcomes.values():
        outcome.seconds = time.perf_counter() - start
    return run.outcomes


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*nbgrader_cmd(), *args], cwd=root, capture_output=True, text=True)


def export(root: Path) -> Path:
    """nbgrader's CSV export, in this process (saves starting nbgrader once more)."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins.export import CsvExportPlugin

    from course.gradebook import gradebook_url

    path = root / "grades.csv"
    with Gradebook(gradebook_url(root)) as gb:
        CsvExportPlugin(to=str(path)).export(gb)
    return path


def exchange_inbox(root: Path) -> Path | None:
    """The course's inbound folder in nbgrader's exchange, if the course uses one: read
    from every nbgrader_config.py nbgrader reads (the workshop sets the exchange root in
    /etc/jupyter), the course root's last."""
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    for folder in [*reversed(jupyter_config_path()), str(root)]:
        if (Path(folder) / "nbgrader_config.py").is_file():
            config.merge(PyFileConfigLoader("nbgrader_config.py", path=folder).load_config())
    exchange = Path(str(config.get("Exchange", {}).get("root", "/srv/nbgrader/exchange")))
    course = str(config.get("CourseDirectory", {}).get("course_id", ""))
    inbox = exchange / course / "inbound"
    return inbox if course and inbox.is_dir() else None


def gradebook_facts(root: Path, assignment: str, outcome: Outcome) -> None:
    from nbgrader.api import Gradebook, MissingEntry

    from course.gradebook import gradebook_url

    with Gradebook(gradebook_url(root)) as gb:
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


class ReportWriter:
    """The class reports come from a process started first thing (``python -m
    course.report --serve``): it loads pandas, matplotlib and the gradebook while this
    process still starts up on one core, instead of when the workers need both."""

    def __init__(self, root: Path, jobs: int) -> None:
        self.errors = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "course.report", "--serve", "--root", str(root),
             "--jobs", str(jobs)],
            cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors,
            text=True)

    def ask(self, outcomes: dict[str, Outcome]) -> None:
        """Ask for the reports (once; the gradebook and autograded notebooks are final)."""
        assert self.proc.stdin is not None
        if self.proc.stdin.closed:
            return
        try:
            self.proc.stdin.write(json.dumps({a: o.failed for a, o in outcomes.items()}) + "\n")
            self.proc.stdin.close()
        except OSError:  # the writer has died: ``write`` says why
            pass

    def write(self, outcomes: dict[str, Outcome]) -> list[Path]:
        """The reports' paths once written (asked for now unless already); the writer then
        ends. Raises :class:`ReportFailed` with the writer's last words."""
        assert self.proc.stdout is not None
        self.ask(outcomes)
        answer = self.proc.stdout.readline()
        if not answer:
            self.proc.wait()
            self.errors.seek(0)
            raise ReportFailed(self.errors.read().strip()[-800:] or "ohne Meldung beendet")
        return [Path(p) for p in json.loads(answer)]

    def close(self) -> None:
        """Let the writer end (without a request it writes nothing)."""
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self.errors.close()


class ReportFailed(RuntimeError):
    """The class report could not be written (grades and feedback are not affected)."""


def export_lms(root: Path, args: argparse.Namespace, modules: Sequence[str] | None,
               failed: dict[str, set[str]]) -> int:
    """``--export moodle``: Moodle's import file from the gradebook (course/lms.py)."""
    from course.lms import LmsExportError, export_moodle

    try:
        export = export_moodle(root, modules, args.lms_id, not args.no_feedback, failed)
    except LmsExportError as err:
        print(f"!!! Kein Moodle-Export: {err}", file=sys.stderr)
        return 1
    print("\n".join(export.summary()))
    return 0


def parse(argv: Sequence[str] | None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    parser = argparse.ArgumentParser(description="Eine Klasse bewerten (nbgrader)")
    parser.add_argument("assignments", nargs="*", metavar="assignment")
    parser.add_argument("--all", action="store_true", help="alle Module aus source/")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    # Each worker already starts its next kernel while it grades (KernelPool), so one
    # worker per core keeps the cores busy; a third on two cores only adds its start-up.
    parser.add_argument("--jobs", type=int, default=min(8, max(2, os.cpu_count() or 1)),
                        help="parallele Prozesse (Standard: Zahl der Kerne, mindestens 2, "
                             "höchstens 8)")
    parser.add_argument("--force", action="store_true", help="auch schon Bewertetes neu bewerten")
    parser.add_argument("--learner-timeout", type=float, default=600.0, metavar="SEKUNDEN",
                        help="höchstens so lange für eine Abgabe, dann gilt sie als "
                             "fehlgeschlagen (Standard: 600)")
    parser.add_argument("--export", choices=["moodle"],
                        help="Noten fürs LMS schreiben (noten-moodle.csv); ohne Modul: "
                             "alle Module des Gradebooks, ohne zu bewerten")
    parser.add_argument("--lms-id", choices=["email", "username", "idnumber"], default="email",
                        help="Kennung, über die Moodle die Lernenden zuordnet: email aus der "
                             "Spalte email, username/idnumber aus lms_user_id (Standard: email)")
    parser.add_argument("--no-feedback", action="store_true",
                        help="im Export keine Feedback-Spalten")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    return parser, parser.parse_args(argv)


def not_a_course(root: Path) -> str | None:
    if not (root / "nbgrader_config.py").is_file():
        return f"{root} ist kein Kursordner (ohne nbgrader_config.py)"
    return None


def refusal(root: Path) -> str | None:
    """Why grading must not start in ``root`` (no sandbox, no course, untrusted config)."""
    try:
        sandbox.check()
    except sandbox.SandboxUnavailable as err:
        return str(err)
    if why := not_a_course(root):
        return why
    if not trusted_config(root):
        return ("nbgrader_config.py wählt nicht die Sandbox und die vertrauenswürdige "
                "Bewertung (course.nbgrader_ext.configure) – es wird nicht bewertet. / "
                "grading refused: the course config is not the trusted one.")
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser, args = parse(argv)
    root = args.root.resolve()
    if args.worker:
        work(root, args.assignments, args.force)
        return 0
    if args.export and not (args.assignments or args.all):
        return export_lms(root, args, None, {})
    if why := not_a_course(root):  # the report writer starts in the course folder
        print(f"!!! ABBRUCH: {why}", file=sys.stderr)
        return 2
    writer = ReportWriter(root, args.jobs)
    try:
        return _grade(root, args, parser, writer)
    finally:
        writer.close()


def _grade(root: Path, args: argparse.Namespace, parser: argparse.ArgumentParser,
           writer: ReportWriter) -> int:
    if why := refusal(root):
        print(f"!!! ABBRUCH: {why}", file=sys.stderr)
        return 2
    assignments = args.assignments or []
    if args.all:
        assignments = _all_modules(root)
    if not assignments:
        parser.error("welches Modul? z. B. ./grade 03_vier_ohren (oder --all)")
    if exchange_inbox(root):
        print("1/5 Abgaben einsammeln (nbgrader collect) …")
        for assignment in assignments:
            collected = _run(root, "collect", assignment, "--update")
            if collected.returncode != 0:
                last = (collected.stderr or collected.stdout).strip().splitlines()[-5:]
                print(f"!!! ABBRUCH: nbgrader collect für {assignment} ist fehlgeschlagen "
                      f"(Exit-Code {collected.returncode}); es wird nichts bewertet.\n"
                      + "\n".join(last), file=sys.stderr)
                return 2
    print(f"2/5 + 3/5 Automatisch bewerten und Rückmeldungen erzeugen ({args.jobs} Prozesse) …")
    try:
        outcomes = autograde(root, assignments, args.jobs, args.force, args.learner_timeout,
                             on_done=writer.ask)
    except Refused as err:
        print(f"!!! ABBRUCH: Es wird nicht bewertet / grading refused: {err}", file=sys.stderr)
        return 2
    print(f"    fertig in {next(iter(outcomes.values())).seconds:.1f} s")
    print("4/5 Noten exportieren (grades.csv) …")
    export(root)
    print("5/5 Klassenbericht schreiben …")
    for assignment, outcome in outcomes.items():
        gradebook_facts(root, assignment, outcome)
    status = 1 if any(o.failed for o in outcomes.values()) else 0
    try:
        for report in writer.write(outcomes):
            print(f"Klassenbericht: {report}")
    except ReportFailed as err:
        print(f"!!! Klassenbericht nicht geschrieben (Noten und Rückmeldungen sind da): {err}",
              file=sys.stderr)
        status = 1
    for assignment, outcome in outcomes.items():
        prefix = f"{assignment}: " if len(outcomes) > 1 else ""
        print("\n".join(prefix + line for line in summary(outcome)))
    if args.export:
        failed = {a: set(o.failed) for a, o in outcomes.items()}
        status = max(status, export_lms(root, args, assignments, failed))
    return status


def _all_modules(root: Path) -> list[str]:
    """``--all``: the course's modules (course/content/modules.yaml) that have a folder in
    source/, in course order, then any other assignment folder in source/."""
    from course.content import load_modules

    folders = {p.name for p in (root / "source").iterdir() if p.is_dir()}
    listed = [m.id for m in load_modules() if m.id in folders]
    return listed + sorted(folders - set(listed))


def run(argv: Sequence[str] | None = None) -> NoReturn:
    """The command line (``./grade``, ``python -m course.classgrade``). It ends without
    Python's clean-up of nbgrader's modules, a fifth of a second at the end of every run:
    by then every file is closed and every gradebook change committed."""
    gc.disable()  # until the workers are forked (autograde): imports make long-lived objects
    status = main(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    run()

