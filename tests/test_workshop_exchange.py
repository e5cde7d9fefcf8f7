"""The classroom workshop on one machine: nbgrader's exchange, played through by two learners.

The grading account releases module 03; anna and ben fetch it; anna submits twice (first the
untouched notebook, then the solution), the trainer sets the due date, ben submits a partly
right answer after it. Then collect → autograde → generate_feedback → release_feedback, and
each learner fetches their feedback. As root every step runs as its own Unix account
(nbgrader takes the learner id from it); otherwise the learners use ``--student``.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest

from .conftest import REPO
from .hostile import hand_in_fake_course_package
from .nbgrader_course import SWAPPED_B, solutions, submission
from .workshop_machine import BIN, COURSE_ID, IS_ROOT, Account, Machine, workshop_machine

pytestmark = pytest.mark.workshop

M03 = "03_vier_ohren"
SCORE = re.compile(r"\(Score: ([0-9.]+) / ([0-9.]+)\)")


@dataclass
class Cycle:
    machine: Machine
    anna: Account
    ben: Account
    anna_timestamps: list[str]
    ben_timestamp: str
    collect_output: str


def _work(machine: Machine, learner: Account, answers: dict[str, str]) -> None:
    """The learner's edits, saved over the fetched notebook in their home."""
    path = learner.home / M03 / f"{M03}.ipynb"
    nbformat.write(submission(machine.course, M03, answers), path)
    machine.give(learner, path)


def _submit(machine: Machine, learner: Account) -> str:
    out = machine.nbgrader(learner, "submit", M03)
    match = re.search(r"Submitted as: \S+ \S+ (.+)", out.stdout + out.stderr)
    assert match, out.stdout + out.stderr
    return match.group(1).strip()


FORGE = """
import pathlib, shutil, sys
inbound, home, me, other, assignment = pathlib.Path(sys.argv[1]), *sys.argv[2:]
notebook = pathlib.Path(home) / assignment / f"{assignment}.ipynb"
for learner, when in ((me, "2020-01-01 08:00:00.000000 UTC"),  # back-dated own work
                      (other, "2099-01-01 08:00:00.000000 UTC")):  # in another's name
    folder = inbound / f"{learner}+{assignment}+{when}+gefaelscht"
    folder.mkdir()
    shutil.copy(notebook, folder / f"{assignment}.ipynb")
    (folder / "timestamp.txt").write_text(when)
"""


def _forge(machine: Machine, ben: Account, anna: Account) -> None:
    """ben hands his notebook in once more, dated before the due date, and once in anna's
    name, newer than hers."""
    inbound = machine.exchange / COURSE_ID / "inbound"
    machine.run(ben, str(BIN / "python"), "-c", FORGE, str(inbound), str(ben.home), ben.name,
                anna.name, M03)


def _each(machine: Machine, learners: tuple[Account, ...], *args: str) -> None:
    """The same command by several learners at once, as in a classroom."""
    with ThreadPoolExecutor(len(learners)) as pool:
        list(pool.map(lambda learner: machine.nbgrader(learner, *args), learners))


@pytest.fixture(scope="module")
def cycle() -> Iterator[Cycle]:
    with workshop_machine(["anna", "ben"]) as machine:
        anna, ben = machine.learners
        grader = machine.grader
        machine.nbgrader(grader, "generate_assignment", M03, "--force")
        machine.nbgrader(grader, "release_assignment", M03)
        _each(machine, (anna, ben), "fetch_assignment", M03)
        sol = solutions(M03)
        _work(machine, anna, {})
        first = _submit(machine, anna)
        _work(machine, anna, sol)
        second = _submit(machine, anna)
        due = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
        machine.nbgrader(grader, "db", "assignment", "add", M03, f"--duedate={due}")
        partial = {
            **sol,
            "m03_welches_ohr": "welches_ohr = {}",
            "m03_ohren_nachrichten": sol["m03_ohren_nachrichten"].split("ohren_nachricht_b")[0]
            + SWAPPED_B,
        }
        _work(machine, ben, partial)
        for path in hand_in_fake_course_package(ben.home / M03):  # tries to leave the sandbox
            machine.give(ben, path)
        late = _submit(machine, ben)
        if IS_ROOT:
            _forge(machine, ben, anna)
        # before the due date if there is such a submission: what a back-dated one aims at
        collected = machine.nbgrader(grader, "collect", "--before-duedate", M03)
        machine.nbgrader(grader, "autograde", M03)
        machine.nbgrader(grader, "generate_feedback", M03)
        machine.nbgrader(grader, "release_feedback", M03)
        _each(machine, (anna, ben), "fetch_feedback", M03)
        yield Cycle(machine, anna, ben, [first, second], late,
                    collected.stdout + collected.stderr)


def _gradebook(machine: Machine) -> dict[str, tuple[float, float, float]]:
    """learner -> (score, max score, seconds late) from the grading account's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{machine.course / 'gradebook.db'}") as gb:
        return {
            sub.student_id: (sub.score, sub.max_score, sub.total_seconds_late)
            for sub in gb.assignment_submissions(M03)
        }


def _feedback(learner: Account) -> dict[str, str]:
    """timestamp folder -> feedback HTML the learner fetched into their home."""
    folder = learner.home / M03 / "feedback"
    return {p.parent.name: p.read_text("utf-8") for p in folder.glob(f"*/{M03}.html")}


def test_each_learner_is_collected_under_their_own_id(cycle: Cycle) -> None:
    """Are both submissions collected under the learners' ids (Unix accounts as root)?"""
    submitted = cycle.machine.course / "submitted"
    assert {p.name for p in submitted.iterdir()} == {cycle.anna.name, cycle.ben.name}
    assert "cheating attempt" not in cycle.collect_output or not IS_ROOT


@pytest.mark.skipif(not IS_ROOT, reason="owners can only be compared with Unix accounts")
def test_collect_refuses_forged_and_back_dated_submissions(cycle: Cycle) -> None:
    """ben handed his notebook in under anna's name and once more back-dated to 2020: is
    each refused with a record, and does ben stay late? (anna's own newest
    submission is graded: test_resubmission_keeps_the_newest)"""
    out = cycle.collect_output
    assert f"nicht {cycle.anna.name}" in out and "liegt vor der Abgabe" in out
    assert _gradebook(cycle.machine)[cycle.ben.name][2] > 0


def test_a_handed_in_python_package_does_not_escape_the_sandbox(cycle: Cycle) -> None:
    """ben handed in a ``course/sandbox.py`` beside his notebook (it would write
    entkommen.txt into the course folder if it ran unsandboxed as the grading account): was
    it collected, and did grading still start the real sandbox?"""
    machine, ben = cycle.machine, cycle.ben
    assert (machine.course / "autograded" / ben.name / M03 / "course" / "sandbox.py").is_file()
    assert not (machine.course / "entkommen.txt").exists()


def test_each_feedback_holds_the_learners_own_score(cycle: Cycle) -> None:
    """Does each learner's fetched feedback show the score the gradebook has for them?"""
    book = _gradebook(cycle.machine)
    anna_score, anna_max, _ = book[cycle.anna.name]
    ben_score, _, _ = book[cycle.ben.name]
    assert anna_score > 0 and anna_score != ben_score, "the test needs two different scores"
    for learner, expected in ((cycle.anna, anna_score), (cycle.ben, ben_score)):
        pages = _feedback(learner)
        assert len(pages) == 1, f"{learner.name}: one feedback for the collected submission"
        (html,) = pages.values()
        shown = SCORE.search(html)
        assert shown, f"no score in {learner.name}'s feedback"
        assert float(shown.group(1)) == expected
        assert float(shown.group(2)) == anna_max
        assert "BEGIN HIDDEN TESTS" not in html


def test_resubmission_keeps_the_newest(cycle: Cycle) -> None:
    """Is anna's second submission (the solution) the one collected, graded and fed back?"""
    collected = cycle.machine.course / "submitted" / cycle.anna.name / M03
    assert (collected / "timestamp.txt").read_text().strip() == cycle.anna_timestamps[1]
    assert list(_feedback(cycle.anna)) == [cycle.anna_timestamps[1]]
    code_max = 19.0  # autograded points of module 03; the solution gets all of them
    assert _gradebook(cycle.machine)[cycle.anna.name][0] == code_max


def test_late_submission_is_flagged_late(cycle: Cycle) -> None:
    """Is ben's submission after the due date late, and anna's before it not?"""
    book = _gradebook(cycle.machine)
    assert book[cycle.ben.name][2] > 0
    assert book[cycle.anna.name][2] == 0


def test_exchange_root_is_sticky_and_world_writable(cycle: Cycle) -> None:
    """Does the exchange root have mode 1777, so that only owners rename what they made?"""
    mode = stat.S_IMODE(cycle.machine.exchange.stat().st_mode)
    assert mode == 0o1777
    if IS_ROOT:  # the course's folder is the grading account's before any learner comes
        course = cycle.machine.exchange / COURSE_ID
        assert course.stat().st_uid == cycle.machine.grader.uid_gid()[0]
        assert stat.S_IMODE((course / "inbound").stat().st_mode) == 0o2733
        assert stat.S_IMODE((course / "feedback").stat().st_mode) == 0o711
        assert stat.S_IMODE(cycle.machine.course.stat().st_mode) == 0o700
    installed = (cycle.machine.etc / "nbgrader_config.py").read_text("utf-8")
    assert f'c.Exchange.root = "{cycle.machine.exchange}"' in installed
    assert f'c.CourseDirectory.course_id = "{COURSE_ID}"' in installed


@pytest.mark.skipif(not IS_ROOT, reason="permissions between accounts need real Unix accounts")
def test_a_learner_cannot_rename_the_course_folder(cycle: Cycle) -> None:
    """Does the sticky bit stop a learner from renaming the course's exchange folder?"""
    course = cycle.machine.exchange / COURSE_ID
    proc = cycle.machine.run(cycle.ben, "mv", str(course), f"{course}-weg", check=False)
    assert proc.returncode != 0 and "Operation not permitted" in proc.stderr
    assert course.is_dir()


@pytest.mark.skipif(not IS_ROOT, reason="permissions between accounts need real Unix accounts")
def test_learners_cannot_see_each_others_work(cycle: Cycle) -> None:
    """Can ben neither list anna's home, nor the inbound folder, nor the course folder, nor
    read anna's notebook or the gradebook?"""
    machine, ben = cycle.machine, cycle.ben
    for folder in (cycle.anna.home, machine.exchange / COURSE_ID / "inbound", machine.course):
        proc = machine.run(ben, "ls", str(folder), check=False)
        assert proc.returncode != 0 and "Permission denied" in proc.stderr, folder
    for secret in (cycle.anna.home / M03 / f"{M03}.ipynb", machine.course / "gradebook.db"):
        assert secret.is_file()
        proc = machine.run(ben, "cat", str(secret), check=False)
        assert proc.returncode != 0 and "Permission denied" in proc.stderr, secret
    assert stat.S_IMODE(cycle.anna.home.stat().st_mode) == 0o700


@pytest.mark.skipif(not IS_ROOT, reason="accounts are only made as root")
def test_add_user_makes_an_existing_home_private(cycle: Cycle) -> None:
    """Does add-user for an account that exists already (home left at 755) keep its
    password and make its home private?"""
    anna = cycle.anna
    anna.home.chmod(0o755)
    out = cycle.machine.add_user("learner", anna.name.removeprefix(cycle.machine.prefix))
    assert "besteht schon" in out
    assert stat.S_IMODE(anna.home.stat().st_mode) == 0o700


@pytest.mark.skipif(not IS_ROOT, reason="accounts are only made as root")
def test_a_learner_cannot_read_solutions_or_hidden_tests(cycle: Cycle) -> None:
    """Can a learner account read source/ or the history of the course clone? (it must not;
    the course package it needs stays readable)"""
    machine = cycle.machine
    if not machine.grader.unix:
        pytest.skip("needs root: real Unix accounts")
    learner = machine.learners[0]
    notebook = REPO / "source" / M03 / f"{M03}.ipynb"
    for secret in (notebook, REPO / ".git" / "HEAD", REPO / "tests" / "data" / "partial"):
        proc = machine.run(learner, "cat", str(secret), check=False)
        assert proc.returncode != 0 and "BEGIN" not in proc.stdout, secret
    assert machine.run(learner, "cat", str(REPO / "course" / "grading.py")).stdout


@pytest.mark.skipif(not IS_ROOT, reason="the grading account is only made as root")
def test_grade_script_works_as_the_grading_account(cycle: Cycle) -> None:
    """Does the checkout's ./grade, called by the grading account in its course folder,
    collect from the workshop's exchange (its root set in /etc/jupyter), grade and write
    the class report there, in the shared environment (.hub/venv)?"""
    machine = cycle.machine
    proc = machine.run(machine.grader, str(REPO / "grade"), M03, cwd=machine.course,
                       check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "1/5 Abgaben einsammeln" in out
    report = machine.course / f"klassenbericht-{M03}.html"
    assert report.is_file() and report.stat().st_uid == machine.grader.uid_gid()[0]
    assert not (REPO / f"klassenbericht-{M03}.html").exists()


def test_teardown_leaves_no_accounts_behind() -> None:
    """After a run, are the run's accounts, groups and folders gone again?"""
    import grp
    import pwd

    with workshop_machine(["carla"]) as machine:
        names = [machine.grader.name, machine.learners[0].name]
        groups = [machine.learner_group, machine.trainer_group]
        base = machine.base
        assert all(pwd.getpwnam(n) for n in names)
    passwd = Path("/etc/passwd").read_text()
    assert not any(f"{n}:" in passwd for n in names)
    for group in groups:
        with pytest.raises(KeyError):
            grp.getgrnam(group)
    assert not base.exists()
    assert not any(Path("/home", n).exists() for n in names)
    assert os.path.isdir("/tmp")
