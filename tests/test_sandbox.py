"""Hostile submissions under `nbgrader autograde`: each is contained and costs only its author.

The learners' code runs in the bubblewrap sandbox selected by nbgrader_config.py; the
payloads below try what a learner who wants a better grade, or another learner's answers,
would try.
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
from pathlib import Path

import pytest

from course import sandbox

from .hostile import MEMORY, PAYLOADS, hand_in_fake_course_package, socket_folder
from .nbgrader_course import (
    autograded_nb,
    max_code_score,
    nbgrader,
    released_course,
    scores,
    solutions,
    submission,
    submit,
)

pytestmark = pytest.mark.nbgrader
M = "03_vier_ohren"
SECRET = "GEHEIM-ANTWORT-VON-ANNA-4711"
TOKEN = "hub-token-4711-geheim"
# An exchange where none of the usual places are: the sandbox shows only what it must.
ELSEWHERE = Path("/kurs-test-austausch")
# A secret of the machine's configuration (ssh keys, a hub's secrets live in /etc).
ETC_SECRET = Path("/etc/kurs-test-geheimnis.conf")
ETC_TEXT = "ETC-GEHEIMNIS-4711"


def _exchange_elsewhere() -> None:
    folder = ELSEWHERE / "anna" / M
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{M}.ipynb").write_text(SECRET, encoding="utf-8")
    try:
        ETC_SECRET.write_text(ETC_TEXT, encoding="utf-8")
    except OSError:
        pass  # not root: the test below says it could not place the secret



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
    root = released_course(tmp_path_factory.mktemp("sandbox"), [M])
    with (root / "nbgrader_config.py").open("a", encoding="utf-8") as config:
        config.write(f"\nc.SandboxKernelManager.memory_limit = {MEMORY}\n")
    sol = solutions(M)
    submit(root, "anna", M, submission(root, M, {
        **sol, "m03_umformulierung": f'umformulierung = "{SECRET}"'}))
    submit(root, "loesung", M, submission(root, M, sol))
    for name, payload in PAYLOADS.items():
        for word, value in (("PORT", listener.port), ("MEMORY", MEMORY), ("ROOT", root),
                            ("ELSEWHERE", ELSEWHERE), ("ETCSECRET", ETC_SECRET)):
            payload = payload.replace(word, str(value))
        code = payload + "\n" + sol["m03_ohren_nachrichten"]
        submit(root, name, M, submission(root, M, {**sol, "m03_ohren_nachrichten": code}))
    # 750 MB in its three tmpfs, then 400 MB in the kernel: over the sandbox's memory limit
    # together, so the OOM killer ends the kernel.
    filler = ("for folder in ('/tmp', '/var/tmp', '/dev/shm'):\n"
              "    with open(folder + '/fuellung', 'wb') as f:\n"
              "        for _ in range(250):\n            f.write(b'x' * 1024**2)\n"
              "block = b'x' * (400 * 1024**2)\n")
    submit(root, "speicher_voll", M, submission(root, M, {
        **sol, "m03_umformulierung": sol["m03_umformulierung"] + "\n" + filler}))
    killer = sol["m03_umformulierung"] + "\nimport os, signal\nos.kill(os.getpid(), signal.SIGKILL)"
    submit(root, "kernel_beendet", M, submission(root, M, {**sol, "m03_umformulierung": killer}))
    hand_in_fake_course_package(submit(root, "attrappe", M, submission(root, M, sol)).parent)
    folder = submit(root, "eigenes_modul", M, submission(root, M, {
        **sol, "m03_umformulierung": OWN_MODULE + sol["m03_umformulierung"]})).parent
    (folder / "hilfe.py").write_text("GRUSS = 'aus hilfe.py'\n", encoding="utf-8")
    _exchange_elsewhere()
    try:
        nbgrader(root, "autograde", M, "--force", check=False, env={"JUPYTERHUB_API_TOKEN": TOKEN})
    finally:
        shutil.rmtree(ELSEWHERE, ignore_errors=True)
        ETC_SECRET.unlink(missing_ok=True)
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
    spy = autograded_nb(root, "andere", M)
    assert spy.exists()
    assert SECRET not in spy.read_text(encoding="utf-8")


def test_no_network(hostile: tuple[Path, Listener]) -> None:
    """Could a submission open a connection to a server on the grading machine?"""
    _, listener = hostile
    assert not listener.connected


def test_limits_are_reported_in_the_notebook(hostile: tuple[Path, Listener]) -> None:
    """Do the process and memory limits show up as errors in the learners' own notebooks?"""
    root, _ = hostile
    forks, memory = _autograded(root, "prozesse"), _autograded(root, "speicher")
    assert "BlockingIOError" in forks or "Resource temporarily unavailable" in forks
    assert "MemoryError" in memory


def _autograded(root: Path, student: str) -> str:
    return autograded_nb(root, student, M).read_text(encoding="utf-8")


def test_each_kernel_has_its_own_socket_folder(hostile: tuple[Path, Listener]) -> None:
    """Is the kernel's socket folder private to its sandbox, and removed after grading
    with the 50 MB the learner put there?"""
    root, _ = hostile
    found = socket_folder(_autograded(root, "sockets"))
    assert found, "the payload printed its folder"
    folder, mode, own = found
    assert (mode, own) == ("0o700", "True")
    assert not Path(folder).exists()


def test_a_dead_kernel_ends_only_its_notebook(hostile: tuple[Path, Listener]) -> None:
    """Is a learner whose kernel dies graded with what ran before, with a German note?"""
    root, _ = hostile
    text = _autograded(root, "kernel_beendet")
    assert "Der Kernel hat sich unerwartet beendet" in text
    assert 0 < scores(root, M)["kernel_beendet"][0] < max_code_score(root, M)


def test_memory_limit_is_named_when_the_kernel_is_ended(hostile: tuple[Path, Listener]) -> None:
    """Does the learner whose sandbox filled its memory (tmpfs and kernel) read why?"""
    root, _ = hostile
    assert "Speicherlimit von 1.07 GB" in _autograded(root, "speicher_voll")
    assert 0 < scores(root, M)["speicher_voll"][0] < max_code_score(root, M)


def test_kernel_sees_no_token_and_nothing_beyond_its_own(hostile: tuple[Path, Listener]) -> None:
    """Does the learner's kernel see no token of the grader's environment, no notebook or
    database outside its own folder, and not an exchange in an unusual place?"""
    root, _ = hostile
    text = _autograded(root, "umgebung")
    assert "UMGEBUNG" in text and TOKEN not in text and "JUPYTERHUB" not in text
    assert "FUNDE []" in text
    assert SECRET not in text


def test_kernel_sees_only_what_python_needs_of_etc(hostile: tuple[Path, Listener]) -> None:
    """Is a secret file in /etc invisible to the learner's kernel, and are passwd and
    shadow absent (the sandbox binds only the loader's and Python's files of /etc)?"""
    root, _ = hostile
    text = _autograded(root, "umgebung")
    assert "ETC-GEHEIMNIS FileNotFoundError" in text, "the payload tried the secret"
    assert ETC_TEXT not in text
    listing = re.search(r"ETC (\[.*?\])", text)
    assert listing, "the payload listed /etc"
    for name in ("passwd", "shadow", "group", "hostname", "kurs-test-geheimnis.conf"):
        assert f"'{name}'" not in listing.group(1), name


OWN_MODULE = ("import sys\nfrom hilfe import GRUSS\n"
              "print('MODUL', GRUSS, 'DEBUGGER', sys.modules.get('debugpy') is not None)\n")


def test_a_module_next_to_the_notebook_imports_as_in_jupyterlab(
        hostile: tuple[Path, Listener]) -> None:
    """The grading kernel starts with the notebook's folder off the path (``python -P``,
    like ipykernel's own launcher) and without the debugger: can the learner's code still
    import a module she handed in next to her notebook, and is she graded as usual?"""
    root, _ = hostile
    text = _autograded(root, "eigenes_modul")
    assert "MODUL aus hilfe.py DEBUGGER False" in text
    assert scores(root, M)["eigenes_modul"][0] == max_code_score(root, M)


def test_a_handed_in_course_package_does_not_replace_the_sandbox(
        hostile: tuple[Path, Listener]) -> None:
    """A learner hands in ``course/sandbox.py`` next to her notebook, where the sandbox
    kernel starts: is the real launcher used (``python -P``), so her file never runs
    outside the sandbox, and is she graded as usual?"""
    root, _ = hostile
    assert not (root / "entkommen.txt").exists()
    assert scores(root, M)["attrappe"][0] == max_code_score(root, M)
