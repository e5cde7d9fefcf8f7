"""One memory limit for all processes of a sandbox (course.cgroup)."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest

from course.cgroup import Cgroup

LIMIT = 64 * 1024**2
CHILD = "import time; b = b'x' * 40 * 1024**2; time.sleep(2)"


@pytest.fixture
def group() -> Cgroup:
    made = Cgroup.create(f"kurs-test-{uuid.uuid4().hex[:8]}", LIMIT)
    if made is None:
        pytest.skip("no writable memory cgroup on this machine (README: per-process fallback)")
    yield made
    made.remove()
    assert not made.path.exists()


def _run_in(group: Cgroup, code: str) -> int:
    proc = subprocess.Popen([sys.executable, "-c", f"import sys; sys.stdin.read(1); {code}"],
                            stdin=subprocess.PIPE)
    group.join(proc.pid)
    proc.communicate(b"x")
    return proc.returncode


def test_processes_share_one_limit(group: Cgroup) -> None:
    """Do two processes of 40 MB each meet one 64 MB limit together (one is ended)?"""
    code = ("import subprocess, sys; ps = [subprocess.Popen([sys.executable, '-c', "
            f"{CHILD!r}]) for _ in range(2)]; sys.exit(sum(p.wait() != 0 for p in ps))")
    assert _run_in(group, code) == 1
    assert group.oom_killed()


def test_a_process_within_the_limit_runs(group: Cgroup) -> None:
    assert _run_in(group, "b = b'x' * 20 * 1024**2") == 0
    assert not group.oom_killed()


def test_remove_ends_what_still_runs(group: Cgroup) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    group.join(proc.pid)
    group.remove()
    assert proc.wait(timeout=5) != 0
    assert not group.path.exists()


def test_server_limits_refuse_without_cgroups(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where no cgroup can be made, does a learner's server refuse to start (fail closed),
    and start without limits only when that is switched off (KK_SERVER_LIMITS=aus)?"""
    from course import serverlimits

    monkeypatch.setattr(serverlimits.Cgroup, "named", classmethod(lambda cls, name: None))
    monkeypatch.setattr(serverlimits.Cgroup, "create",
                        classmethod(lambda cls, name, limit, **kw: None))
    with pytest.raises(serverlimits.LimitsUnavailable, match="cpu, memory, pids"):
        serverlimits.make_cgroup("kurs-server-x", LIMIT, 1.0, 64, required=True)
    assert serverlimits.make_cgroup("kurs-server-x", LIMIT, 1.0, 64, required=False) is None
