"""Memory, CPU and process limits for each learner's server and for the formgrader (hub).

JupyterHub's ``LocalProcessSpawner`` starts each server as its Unix account and limits
nothing: one learner's ``b"x" * 16 * 1024**3`` or fork loop would take the machine from
the whole class. The workshop's hub (``deploy/jupyterhub_config.py``) therefore uses

- :class:`KursSpawner` for every user's server: before the server's process drops to the
  account (in ``preexec_fn``, still as root), it joins the cgroup ``kurs-server-<name>``
  with ``Spawner.mem_limit`` bytes, ``Spawner.cpu_limit`` cores and ``tasks_limit``
  processes for everything the server and its kernels start. A learner cannot leave it
  (the cgroup's files belong to root). Stopping the server removes the cgroup and ends
  whatever the learner left running in it.
- ``python -m course.serverlimits --user NAME … -- CMD`` for the formgrader service: the
  hub starts it as root; it makes ``kurs-service-<name>`` with the same three limits,
  hands that cgroup to the account (so each grading kernel gets its own memory and process
  limit inside it, ``course.kernels``), starts CMD as the account in it and removes the
  cgroup when CMD ends.

Where these cgroups cannot be made (no cgroup controller for memory, pids or cpu that root
may write), both refuse to start (fail closed) and say why, unless ``limits_required`` is
switched off (``KK_SERVER_LIMITS=aus`` in the hub's environment): then the servers run
without any limit, as with JupyterHub's own spawner, and the hub logs that on every start.
"""

from __future__ import annotations

import argparse
import os
import pwd
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid
from traitlets import Bool, Integer

from course.cgroup import CONTROLLERS, Cgroup

SERVER_PREFIX = "kurs-server-"
SERVICE_PREFIX = "kurs-service-"


class LimitsUnavailable(RuntimeError):
    pass


def make_cgroup(name: str, memory: int, cpus: float, tasks: int, required: bool) -> Cgroup | None:
    """The cgroup ``name`` with all three limits; a leftover of that name is ended first."""
    old = Cgroup.named(name)
    if old is not None and any(p.is_dir() for p in old.directories()):
        old.remove()
    group = Cgroup.create(name, memory, tasks=tasks, cpus=cpus)
    missing = sorted(set(CONTROLLERS) - (group.limited if group else set()))
    if missing and required:
        if group is not None:
            group.remove()
        raise LimitsUnavailable(
            f"Keine Grenzen für Speicher, Prozesse und CPU möglich (es fehlt: "
            f"{', '.join(missing)}) – der Server wird nicht gestartet. / No cgroup for "
            f"{', '.join(missing)}: server not started (KK_SERVER_LIMITS=aus runs it without).")
    return group


def _joiner(group: Cgroup | None, then: Callable[[], None] | None) -> Callable[[], None]:
    """A preexec_fn: join ``group`` (as root, after fork), then drop to the account."""
    files = [str(path / "cgroup.procs") for path in group.directories()] if group else []

    def preexec() -> None:
        pid = str(os.getpid()).encode()
        for name in files:
            fd = os.open(name, os.O_WRONLY)
            try:
                os.write(fd, pid)
            finally:
                os.close(fd)
        if then is not None:
            then()

    return preexec


class KursSpawner(LocalProcessSpawner):
    """``LocalProcessSpawner`` whose servers run in a cgroup with memory, CPU and process
    limits (``mem_limit``, ``cpu_limit``, ``tasks_limit``)."""

    tasks_limit = Integer(
        512, config=True,
        help="Processes and threads at once for a server and everything it starts",
    )
    limits_required = Bool(
        True, config=True,
        help="Refuse to start a server whose limits cannot be set (fail closed)",
    )

    _cgroup: Cgroup | None = None

    async def start(self) -> Any:
        memory = int(self.mem_limit or 2 * 1024**3)
        cpus = float(self.cpu_limit or 1.0)
        self._cgroup = make_cgroup(SERVER_PREFIX + self.user.name, memory, cpus,
                                   self.tasks_limit, self.limits_required)
        if self._cgroup is None or self._cgroup.limited != set(CONTROLLERS):
            self.log.warning("Server of %s runs WITHOUT cgroup limits (%s)", self.user.name,
                             sorted(self._cgroup.limited) if self._cgroup else "none")
        return await super().start()

    def make_preexec_fn(self, name: str) -> Callable[[], None]:
        return _joiner(self._cgroup, super().make_preexec_fn(name))

    async def stop(self, now: bool = False) -> None:
        await super().stop(now=now)
        group = self._cgroup or Cgroup.named(SERVER_PREFIX + self.user.name)
        if group is not None:
            group.remove()  # also what the learner left running in the background
        self._cgroup = None


def run_service(user: str, memory: int, cpus: float, tasks: int, required: bool,
                cmd: list[str]) -> int:
    """Run ``cmd`` as ``user`` in a delegated cgroup of its own; remove it afterwards."""
    entry = pwd.getpwnam(user)
    group = make_cgroup(SERVICE_PREFIX + user, memory, cpus, tasks, required)
    if group is not None:
        group.delegate(entry.pw_uid, entry.pw_gid)
    env = {**os.environ, "HOME": entry.pw_dir, "USER": user, "LOGNAME": user,
           "SHELL": entry.pw_shell}
    as_user = _joiner(group, set_user_setuid(user, chdir=False))
    proc = subprocess.Popen(cmd, env=env, preexec_fn=as_user)  # noqa: PLW1509 (no threads)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda number, _frame: proc.send_signal(number))
    code = proc.wait()
    if group is not None:
        group.remove()
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=run_service.__doc__)
    parser.add_argument("--user", required=True)
    parser.add_argument("--memory", type=int, default=4 * 1024**3)
    parser.add_argument("--cpus", type=float, default=1.0)
    parser.add_argument("--tasks", type=int, default=1024)
    parser.add_argument("--optional", action="store_true", help="run without limits if need be")
    parser.add_argument("cmd", nargs="+")
    args = parser.parse_args(argv)
    try:
        return run_service(args.user, args.memory, args.cpus, args.tasks, not args.optional,
                           args.cmd)
    except LimitsUnavailable as err:
        print(err, file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
