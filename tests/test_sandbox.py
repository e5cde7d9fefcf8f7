"""Hostile submissions under `nbgrader autograde`: each is contained and costs only its author.

The learners' code runs in the bubblewrap sandbox selected by nbgrader_config.py; the
payloads below try what a learner who wants a better grade, or another learner's answers,
would try.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from course import sandbox

from .nbgrader_course import (
    make_course,
    max_code_score,
    nbgrader,
    scores,
    solutions,
    submission,
    submit,
)

pytestmark = pytest.mark.nbgrader
M = "03_vier_ohren"
SECRET = "GEHEIM-ANTWORT-VON-ANNA-4711"

PAYLOADS = {
    "gradebook": """
import os, sqlite3
for path in ("../../../gradebook.db", os.environ.get("KURS_COURSE_ROOT", "") + "/gradebook.db"):
    con = sqlite3.connect(path)
    con.execute("UPDATE grade SET manual_score = 99")
    con.commit()
""",
    "ausserhalb": """
import os
open("../../../pwned.txt", "w").write("pwned")
open(os.environ["KURS_COURSE_ROOT"] + "/pwned.txt", "w").write("pwned")
""",
    "andere": """
import glob, os
root = os.environ.get("KURS_COURSE_ROOT", "../../..")
found = glob.glob(root + "/*/*/*/*.ipynb") + glob.glob("../../*/*/*.ipynb")
texts = [open(p).read() for p in found]
print(texts)
assert any("GEHEIM-" + "ANTWORT" in t for t in texts), "nothing found"
""",
    "netzwerk": """
import socket
socket.create_connection(("127.0.0.1", PORT), timeout=3).sendall(b"leak")
""",
    "prozesse": """
import os, time
for _ in range(500):
    if os.fork() == 0:
        time.sleep(600)
        os._exit(0)
""",
    "speicher": """
block = bytearray(16 * 1024**3)
""",
}


class Listener:
    """A TCP server on loopback that records whether anyone connected."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.connected = False
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.connected = True
                conn.close()
            except OSError:
                continue


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Listener]:
    sandbox.check()
    listener = Listener()
    root = make_course(tmp_path_factory.mktemp("sandbox"), [M])
    nbgrader(root, "generate_assignment", M, "--force")
    sol = solutions(M)
    submit(root, "anna", M, submission(root, M, {
        **sol, "m03_umformulierung": f'umformulierung = "{SECRET}"'}))
    submit(root, "loesung", M, submission(root, M, sol))
    for name, payload in PAYLOADS.items():
        code = payload.replace("PORT", str(listener.port)) + "\n" + sol["m03_ohren_nachrichten"]
        submit(root, name, M, submission(root, M, {**sol, "m03_ohren_nachrichten": code}))
    nbgrader(root, "autograde", M, "--force", check=False)
    listener.stop = True
    return root, listener


def test_well_behaved_learners_get_full_marks(hostile: tuple[Path, Listener]) -> None:
    """Does a good submission in the same run still get every point (the sandbox works)?"""
    root, _ = hostile
    assert scores(root, M)["loesung"][0] == max_code_score(root, M)


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_payload_costs_only_its_author(hostile: tuple[Path, Listener], payload: str) -> None:
    """Is each hostile submission graded, as a failure of its own cell only?"""
    root, _ = hostile
    points = scores(root, M)[payload][0]
    assert points == max_code_score(root, M) - 10, "the payload cell (10 P.) fails, nothing else"


def test_gradebook_is_intact(hostile: tuple[Path, Listener]) -> None:
    """Is the gradebook unchanged by a submission that tried to rewrite it?"""
    from nbgrader.api import Gradebook

    root, _ = hostile
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        manual = [g.manual_score for s in gb.assignment_submissions(M)
                  for n in s.notebooks for g in n.grades]
    assert 99 not in manual


def test_nothing_written_outside(hostile: tuple[Path, Listener]) -> None:
    """Did no submission write a file into the course (pwned.txt) or anywhere above it?"""
    root, _ = hostile
    assert list(root.rglob("pwned.txt")) == []
    assert not (root.parent / "pwned.txt").exists()


def test_no_other_learners_work_is_readable(hostile: tuple[Path, Listener]) -> None:
    """Could a submission read another learner's notebook? (its output must not show it)"""
    root, _ = hostile
    spy = root / "autograded" / "andere" / M / f"{M}.ipynb"
    assert spy.exists()
    assert SECRET not in spy.read_text(encoding="utf-8")


def test_no_network(hostile: tuple[Path, Listener]) -> None:
    """Could a submission open a connection to a server on the grading machine?"""
    _, listener = hostile
    assert not listener.connected


def test_limits_are_reported_in_the_notebook(hostile: tuple[Path, Listener]) -> None:
    """Do the process and memory limits show up as errors in the learners' own notebooks?"""
    root, _ = hostile
    forks = (root / "autograded" / "prozesse" / M / f"{M}.ipynb").read_text(encoding="utf-8")
    memory = (root / "autograded" / "speicher" / M / f"{M}.ipynb").read_text(encoding="utf-8")
    assert "BlockingIOError" in forks or "Resource temporarily unavailable" in forks
    assert "MemoryError" in memory
