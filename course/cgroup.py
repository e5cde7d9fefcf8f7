"""A memory cgroup for one sandbox: one limit for all its processes and its tmpfs pages.

``Cgroup.create`` makes a child of the grader's own memory cgroup (cgroup v2, or the v1
``memory`` hierarchy), when the grader may write there (root, or a delegated subtree).
Everything the sandboxed kernel starts is charged to it, files in its tmpfs mounts
included; over the limit the kernel's OOM killer ends a process of this cgroup only.
Where no writable cgroup exists, ``create`` returns None and the sandbox falls back to a
per-process limit (documented in the README's limits table).
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

MOUNT = Path("/sys/fs/cgroup")


def _own(proc_cgroup: str) -> tuple[int, Path] | None:
    """(version, directory) of this process's memory cgroup, v2 preferred."""
    v1 = v2 = None
    for line in proc_cgroup.splitlines():
        number, controllers, path = line.split(":", 2)
        if number == "0" and controllers == "":
            v2 = path
        elif "memory" in controllers.split(","):
            v1 = path
    if v2 is not None and "memory" in _read(MOUNT / "cgroup.controllers").split():
        return 2, MOUNT / v2.lstrip("/")
    if v1 is not None and (MOUNT / "memory").is_dir():
        return 1, MOUNT / "memory" / v1.lstrip("/")
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii")
    except OSError:
        return ""


@dataclass
class Cgroup:
    path: Path
    version: int

    @classmethod
    def named(cls, name: str) -> Cgroup | None:
        """The cgroup ``name`` beside the ones this process creates (it may not exist)."""
        own = _own(_read(Path("/proc/self/cgroup")))
        return None if own is None else cls(own[1] / name, own[0])

    @classmethod
    def create(cls, name: str, limit: int) -> Cgroup | None:
        """A new cgroup ``name`` with ``limit`` bytes, or None where none can be made."""
        group = cls.named(name)
        if group is None:
            return None
        try:
            group.path.mkdir()
        except OSError:
            return None
        try:
            group._limit(limit)
        except OSError:
            group.remove()
            return None
        return group

    def _limit(self, limit: int) -> None:
        if self.version == 2:
            (self.path / "memory.max").write_text(str(limit), encoding="ascii")
            if (self.path / "memory.swap.max").exists():
                (self.path / "memory.swap.max").write_text("0", encoding="ascii")
            return
        (self.path / "memory.limit_in_bytes").write_text(str(limit), encoding="ascii")
        if (self.path / "memory.memsw.limit_in_bytes").exists():  # RAM + swap together
            (self.path / "memory.memsw.limit_in_bytes").write_text(str(limit), encoding="ascii")

    def join(self, pid: int = 0) -> None:
        """Move a process (0: the calling one) into this cgroup; its children follow."""
        (self.path / "cgroup.procs").write_text(str(pid or os.getpid()), encoding="ascii")

    def oom_killed(self) -> bool:
        """Did the kernel's OOM killer end a process here (the limit was reached)?"""
        if self.version == 2:
            events = _read(self.path / "memory.events")
        else:
            events = _read(self.path / "memory.oom_control")
        return any(line.split()[1] != "0" for line in events.splitlines()
                   if line.startswith("oom_kill "))

    def pids(self) -> list[int]:
        return [int(p) for p in _read(self.path / "cgroup.procs").split()]

    def remove(self) -> None:
        """End whatever still runs in the cgroup, then delete it."""
        for _ in range(50):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)
        try:
            self.path.rmdir()
        except OSError:
            pass
