"""Cgroups for one sandbox or one learner's server: memory, processes and CPU together.

``Cgroup.create`` makes a child of this process's own cgroups (cgroup v1: one per
controller hierarchy; cgroup v2: one directory), when this process may write there (root,
or a subtree delegated to its account with :meth:`Cgroup.delegate`). Everything started in
it is charged to it:

- ``memory``: all processes and their tmpfs pages together; over the limit the kernel's
  OOM killer ends a process of this cgroup only (swap is not allowed instead);
- ``pids``: at most ``tasks`` processes and threads at once, whatever uid they run as;
- ``cpu``: at most ``cpus`` cores' worth of CPU time (CFS quota).

Memory is what every caller needs, so ``create`` returns None where no memory cgroup can be
made; ``pids`` and ``cpu`` are set where their controller is available, and
:attr:`Cgroup.limited` says which of the three hold. The callers say what they do without
(``course.sandbox``: per-process limits; ``course.serverlimits``: refuse to start).

cgroup v2 allows limits only in cgroups without processes of their own ("no internal
processes"), so :func:`_prepare_v2` first moves the calling process into a leaf
``kurs-leaf`` of its cgroup and enables the controllers for the children. This path is
written for systemd hosts with ``Delegate=yes`` and is not exercised by the tests (the test
machine has cgroup v1).
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

MOUNT = Path("/sys/fs/cgroup")
CONTROLLERS = ("memory", "pids", "cpu")
CPU_PERIOD = 100_000  # µs
LEAF = "kurs-leaf"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii")
    except OSError:
        return ""


def _write(path: Path, value: str) -> None:
    path.write_text(value, encoding="ascii")


def _v1_mount(controllers: list[str], name: str) -> Path | None:
    """Where a v1 hierarchy is mounted (``cpu`` may be mounted as ``cpu,cpuacct``)."""
    for folder in (MOUNT / ",".join(controllers), MOUNT / name):
        if folder.is_dir():
            return folder
    return None


def _own(proc_cgroup: str) -> tuple[int, dict[str, Path]]:
    """(version, controller -> this process's cgroup directory), v2 preferred per controller."""
    v1: dict[str, Path] = {}
    v2: Path | None = None
    for line in proc_cgroup.splitlines():
        number, names, path = line.split(":", 2)
        if number == "0" and names == "":
            v2 = MOUNT / path.lstrip("/")
            continue
        controllers = names.split(",")
        for name in CONTROLLERS:
            mount = _v1_mount(controllers, name) if name in controllers else None
            if mount is not None:
                v1[name] = mount / path.lstrip("/")
    if v2 is not None and "memory" in _read(MOUNT / "cgroup.controllers").split():
        return 2, dict.fromkeys(
            [n for n in CONTROLLERS if n in _read(MOUNT / "cgroup.controllers").split()], v2)
    return 1, v1


def _prepare_v2(own: Path) -> None:
    """Let ``own`` have limited children: move this process into a leaf, enable controllers."""
    wanted = [n for n in CONTROLLERS if n in _read(own / "cgroup.controllers").split()]
    enabled = _read(own / "cgroup.subtree_control").split()
    if all(n in enabled for n in wanted):
        return
    if _read(own / "cgroup.procs").split():
        leaf = own / LEAF
        leaf.mkdir(exist_ok=True)
        _write(leaf / "cgroup.procs", str(os.getpid()))
    _write(own / "cgroup.subtree_control", " ".join(f"+{n}" for n in wanted))


@dataclass
class Cgroup:
    paths: dict[str, Path]  # controller -> directory (v2: the same directory for all)
    version: int
    limited: set[str] = field(default_factory=set)

    @property
    def path(self) -> Path:
        """The memory cgroup's directory (the one every caller has)."""
        return self.paths["memory"]

    @classmethod
    def named(cls, name: str) -> Cgroup | None:
        """The cgroup ``name`` beside the ones this process creates (it may not exist)."""
        version, own = _own(_read(Path("/proc/self/cgroup")))
        if "memory" not in own:
            return None
        return cls({c: path / name for c, path in own.items()}, version)

    @classmethod
    def create(cls, name: str, limit: int, *, tasks: int | None = None,
               cpus: float | None = None) -> Cgroup | None:
        """A new cgroup ``name`` with ``limit`` bytes (and, where available, at most
        ``tasks`` processes and ``cpus`` cores), or None where no memory cgroup can be made."""
        group = cls.named(name)
        if group is None:
            return None
        if group.version == 2:
            try:
                _prepare_v2(group.path.parent)
            except OSError:
                return None
        wanted: dict[str, float | None] = {"memory": limit, "pids": tasks, "cpu": cpus}
        made: dict[str, Path] = {}
        for controller in CONTROLLERS:
            path, value = group.paths.get(controller), wanted[controller]
            if path is None or value is None:
                continue
            try:
                if path not in made.values():
                    path.mkdir()
                made[controller] = path
                group._limit(controller, value)
                group.limited.add(controller)
            except OSError:
                if controller == "memory":
                    cls(made, group.version).remove()
                    return None
        group.paths = {c: p for c, p in made.items() if c in group.limited}
        for path in set(made.values()) - set(group.paths.values()):
            cls({"x": path}, group.version).remove()
        return group

    def _limit(self, controller: str, value: float) -> None:
        path = self.paths[controller]
        if controller == "pids":
            _write(path / "pids.max", str(int(value)))
        elif controller == "cpu":
            quota = max(1000, int(value * CPU_PERIOD))
            if self.version == 2:
                _write(path / "cpu.max", f"{quota} {CPU_PERIOD}")
            else:
                _write(path / "cpu.cfs_period_us", str(CPU_PERIOD))
                _write(path / "cpu.cfs_quota_us", str(quota))
        elif self.version == 2:
            _write(path / "memory.max", str(int(value)))
            if (path / "memory.swap.max").exists():
                _write(path / "memory.swap.max", "0")
        else:
            _write(path / "memory.limit_in_bytes", str(int(value)))
            if (path / "memory.memsw.limit_in_bytes").exists():  # RAM + swap together
                _write(path / "memory.memsw.limit_in_bytes", str(int(value)))

    def directories(self) -> list[Path]:
        return sorted(set(self.paths.values()))

    def join(self, pid: int = 0) -> None:
        """Move a process (0: the calling one) into this cgroup; its children follow."""
        for path in self.directories():
            _write(path / "cgroup.procs", str(pid or os.getpid()))

    def delegate(self, uid: int, gid: int) -> None:
        """Let the account ``uid`` create limited children and move its own processes here
        (what ``course.kernels`` does for each grading kernel)."""
        for path in self.directories():
            os.chown(path, uid, gid)
            for name in ("cgroup.procs", "tasks", "cgroup.subtree_control", "cgroup.threads"):
                if (path / name).exists():
                    os.chown(path / name, uid, gid)

    def oom_killed(self) -> bool:
        """Did the kernel's OOM killer end a process here (the limit was reached)?"""
        if self.version == 2:
            events = _read(self.path / "memory.events")
        else:
            events = _read(self.path / "memory.oom_control")
        return any(line.split()[1] != "0" for line in events.splitlines()
                   if line.startswith("oom_kill "))

    def pids(self) -> list[int]:
        return sorted({int(p) for path in self.directories()
                       for p in _read(path / "cgroup.procs").split()})

    def remove(self) -> None:
        """End whatever still runs in the cgroup (and its children), then delete it."""
        for path in self.directories():
            for child in sorted(path.glob("*/"), reverse=True):
                if (child / "cgroup.procs").exists():
                    Cgroup({"x": child}, self.version).remove()
        for _ in range(250):  # killed processes can take seconds to leave on a busy machine
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)
        for path in self.directories():
            try:
                path.rmdir()
            except OSError:
                pass
