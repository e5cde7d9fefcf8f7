"""The grader's side of one sandboxed kernel: its own socket folder and cgroups.

nbgrader's ``Execute`` (the course's ``LimitedExecute``) starts every learner kernel
through :class:`SandboxKernelManager`. Before the kernel starts, the manager creates

- a private folder for the kernel's ipc sockets (mode 0700; the sandbox launcher hands it
  to the kernel's throw-away uid), so no other kernel or account can reach or fill it;
- cgroups (``course.cgroup``) with ``memory_limit`` bytes for everything the kernel starts,
  files in its tmpfs included, and at most ``MAX_PROCESSES`` processes (pids controller),
  where this account may create them (root, or a delegated subtree).

Both are removed when the kernel is shut down, whatever the learner left in them.
An instructor changes the limit in ``nbgrader_config.py``:
``c.SandboxKernelManager.memory_limit = 4 * 1024**3``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import Integer

from course.cgroup import Cgroup
from course.sandbox import CGROUP_ENV, FOLDER_PREFIX, MAX_MEMORY, MAX_PROCESSES, MEMORY_ENV


def sweep() -> None:
    """Remove the folders and cgroups of kernels whose grading process has gone (killed by
    ``./grade``'s watchdog, or a crash) before it could clean up after them."""
    folders = {p.name: p for p in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*-*")}
    probe = Cgroup.named(f"{FOLDER_PREFIX}probe")
    # a cgroup whose folder went first (its processes were still exiting) is found too
    groups = {p.name for p in probe.path.parent.glob(f"{FOLDER_PREFIX}*-*")} if probe else set()
    for name in sorted(set(folders) | groups):
        pid = name[len(FOLDER_PREFIX):].partition("-")[0]
        if not pid.isdigit() or Path(f"/proc/{pid}").exists():
            continue
        group = Cgroup.named(name)
        if group is not None and group.path.is_dir():
            group.remove()
        if name in folders:
            shutil.rmtree(folders[name], ignore_errors=True)


class SandboxKernelManager(AsyncKernelManager):
    memory_limit = Integer(
        MAX_MEMORY, help="Bytes of memory for all processes and tmpfs files of one sandbox"
    ).tag(config=True)

    _folder: Path | None = None
    _cgroup: Cgroup | None = None

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        if self._folder is None:  # a restart keeps folder and cgroup
            sweep()
            self._folder = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-"))
            self.transport = "ipc"  # the kernel has no network
            self.ip = str(self._folder / "kernel")
            self._cgroup = Cgroup.create(self._folder.name, self.memory_limit,
                                          tasks=MAX_PROCESSES)
        env = {**kw.pop("env", os.environ), MEMORY_ENV: str(self.memory_limit)}
        env.pop(CGROUP_ENV, None)
        if self._cgroup is not None:
            env[CGROUP_ENV] = os.pathsep.join(map(str, self._cgroup.directories()))
        return await super()._async_pre_start_kernel(env=env, **kw)

    def out_of_memory(self) -> bool:
        """Was a process of this kernel's sandbox ended for going over ``memory_limit``?"""
        return self._cgroup is not None and self._cgroup.oom_killed()

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if restart:
            return
        if self._cgroup is not None:
            self._cgroup.remove()
            self._cgroup = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    # AsyncKernelManager binds the public name to the base class's coroutine, and nbclient
    # calls the public one after a kernel died.
    cleanup_resources = _async_cleanup_resources
