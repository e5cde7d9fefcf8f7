"""The grader's side of one sandboxed kernel: its own socket folder and cgroups.

nbgrader's ``Execute`` (the course's ``LimitedExecute``) starts every learner kernel
through :class:`SandboxKernelManager`. Before the kernel starts, the manager creates

- a private folder for the kernel's ipc sockets (mode 0700; the sandbox launcher hands it
  to the kernel's throw-away uid), so no other kernel or account can reach or fill it;
- cgroups (``course.cgroup``) with ``memory_limit`` bytes for everything the kernel starts,
  files in its tmpfs included, and at most ``MAX_PROCESSES`` processes (pids controller),
  where this account may create them (root, or a delegated subtree).

Both are removed when the kernel is shut down, whatever the learner left in them.

:class:`KernelPool` (``./grade``'s workers) starts the kernel of the next notebook while
the current one is graded, so the sandbox's start-up is off the critical path. Each such
kernel is started for one notebook's folder and handed out once, for that folder only;
its notebook's run shuts it down. It starts in a fresh empty folder inside its private
socket folder, mounted in the sandbox where the notebook's folder is; right before the
notebook runs, the files of the notebook's folder are copied in (the kernel has run no
code until then).
An instructor changes the limit in ``nbgrader_config.py``:
``c.SandboxKernelManager.memory_limit = 4 * 1024**3``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from pathlib import Path
from queue import Empty
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from traitlets import DottedObjectName, Integer, Type

from course.cgroup import Cgroup
from course.sandbox import (
    CGROUP_ENV,
    FOLDER_PREFIX,
    MAX_MEMORY,
    MAX_PROCESSES,
    MEMORY_ENV,
    WORKDIR_ENV,
)

WORK = "work"  # a pooled kernel's folder, inside its socket folder
# Read by IPython from the folder a kernel starts in: a kernel that started in an empty
# folder would miss them, so such a notebook gets a kernel started in its own folder.
STARTUP_FILES = ("ipython_config.py", "ipython_kernel_config.py", "ipython_config.json",
                 "ipython_kernel_config.json")


def _dead(name: str) -> bool:
    pid = name[len(FOLDER_PREFIX):].partition("-")[0]
    return pid.isdigit() and not Path(f"/proc/{pid}").exists()


def sweep() -> None:
    """Remove the folders and cgroups of kernels whose grading process has gone (killed by
    ``./grade``'s watchdog, or a crash) before it could clean up after them. A cgroup whose
    processes are still dying keeps its folder, so that a later sweep finds it again."""
    for folder in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*-*"):
        if not _dead(folder.name):
            continue
        group = Cgroup.named(folder.name)
        if group is not None and group.path.is_dir():
            group.remove()
            if group.path.is_dir():
                continue
        shutil.rmtree(folder, ignore_errors=True)
    probe = Cgroup.named(f"{FOLDER_PREFIX}0-probe")
    parents = {path.parent for path in probe.directories()} if probe is not None else set()
    for parent in parents:  # cgroups whose folder is gone already
        for path in parent.glob(f"{FOLDER_PREFIX}*-*"):
            group = Cgroup.named(path.name)
            if _dead(path.name) and group is not None and not (
                    Path(tempfile.gettempdir()) / path.name).exists():
                group.remove()


class SandboxKernelClient(AsyncKernelClient):
    """The grader's client of a sandboxed kernel, ready as soon as the kernel shows it is.

    jupyter_client's ``wait_for_ready`` ends by reading IOPub until it has been quiet for
    0.2 s, for every notebook. This one proves the same (the kernel answers, IOPub is
    connected, nothing the kernel published before is left unread) by reading IOPub up to
    the idle status of its own ``kernel_info`` request; when that status does not come
    within 0.2 s (IOPub was not yet connected), it asks again, as jupyter_client does.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            msg_id = self.kernel_info()
            try:
                reply = await self._async_recv_reply(msg_id, timeout=1)
            except TimeoutError:
                reply = None
            if reply is not None and await self._idle_after(msg_id):
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

    async def _idle_after(self, msg_id: str, quiet: float = 0.2) -> bool:
        while True:
            try:
                msg = await self.iopub_channel.get_msg(timeout=quiet)
            except Empty:
                return False
            if (msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle"
                    and msg["parent_header"].get("msg_id") == msg_id):
                return True


class SandboxKernelManager(AsyncKernelManager):
    memory_limit = Integer(
        MAX_MEMORY, help="Bytes of memory for all processes and tmpfs files of one sandbox"
    ).tag(config=True)
    client_class = DottedObjectName("course.kernels.SandboxKernelClient")
    client_factory = Type(SandboxKernelClient, klass=AsyncKernelClient)

    _folder: Path | None = None
    _cgroup: Cgroup | None = None
    _connected: AsyncKernelClient | None = None  # connect_ahead's client, until taken
    mount_at: Path | None = None  # started ahead for the notebook in this folder (pool)

    def connect_ahead(self) -> None:
        """Connect a client's IOPub and shell now (a kernel started ahead), so that the
        subscription is long in place when the notebook runs and its first ``kernel_info``
        status is not missed (which would cost a retry)."""
        client = super().client()
        client.iopub_channel.start()
        client.shell_channel.start()
        self._connected = client

    def client(self, **kw: Any) -> AsyncKernelClient:  # type: ignore[override]  # async, as the base
        """The client connected ahead (once), else a new one."""
        client, self._connected = self._connected, None
        return client if client is not None else super().client(**kw)

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        # jupyter_client looks every 0.1 s whether a killed kernel is gone; a sandbox is
        # gone within milliseconds, and every notebook waits for its kernel to go.
        while await self._async_is_alive():
            await asyncio.sleep(min(pollinterval, 0.005))

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
        env.pop(WORKDIR_ENV, None)
        if self._cgroup is not None:
            env[CGROUP_ENV] = os.pathsep.join(map(str, self._cgroup.directories()))
        if self.mount_at is not None:
            work = self._folder / WORK
            work.mkdir(mode=0o755, exist_ok=True)
            kw["cwd"] = str(work)
            env[WORKDIR_ENV] = str(self.mount_at)
        return await super()._async_pre_start_kernel(env=env, **kw)

    def fill(self, folder: Path) -> bool:
        """Copy the notebook's folder into a pooled kernel's folder, before any code runs
        there; False if the kernel must not serve it (another folder, or files IPython
        would have read at start-up)."""
        if self.mount_at is None or self._folder is None or Path(folder) != self.mount_at:
            return False
        if any((Path(folder) / name).exists() for name in STARTUP_FILES):
            return False
        shutil.copytree(folder, self._folder / WORK, symlinks=True, dirs_exist_ok=True)
        return True

    def out_of_memory(self) -> bool:
        """Was a process of this kernel's sandbox ended for going over ``memory_limit``?"""
        return self._cgroup is not None and self._cgroup.oom_killed()

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if restart:
            return
        if self._connected is not None:  # started ahead and never taken
            self._connected.stop_channels()
            self._connected = None
        if self._cgroup is not None:
            self._cgroup.remove()
            self._cgroup = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    # AsyncKernelManager binds the public name to the base class's coroutine, and nbclient
    # calls the public one after a kernel died.
    cleanup_resources = _async_cleanup_resources


class KernelPool:
    """Sandboxed kernels started ahead, each for one named notebook folder.

    ``take(folder)`` hands a kernel out at most once and only for the folder it was
    started for; whoever takes it shuts it down after its one notebook. Kernels nobody
    took are shut down by ``keep`` / ``close``.
    """

    def __init__(self, start: Any) -> None:
        self._start = start  # (folder) -> a started SandboxKernelManager
        self._waiting: dict[Path, Any] = {}

    def prestart(self, folder: Path) -> None:
        folder = Path(folder)
        if folder not in self._waiting:
            self._waiting[folder] = self._start(folder)

    def take(self, folder: Path | str) -> Any | None:
        return self._waiting.pop(Path(folder), None)

    def keep(self, folders: set[Path]) -> None:
        """Shut down every waiting kernel not started for one of ``folders``."""
        for folder in [f for f in self._waiting if f not in folders]:
            shutdown(self._waiting.pop(folder))

    def close(self) -> None:
        self.keep(set())


def shutdown(km: Any) -> None:
    """Stop a kernel nobody used and remove its folder and cgroups."""
    from jupyter_core.utils import run_sync

    try:
        run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # noqa: BLE001 - already gone: its resources still go
        run_sync(km._async_cleanup_resources)()


POOL: KernelPool | None = None  # set by ./grade's worker processes only


def take(folder: Path | str) -> Any | None:
    """The kernel started ahead for the notebook in ``folder``, if any (at most once)."""
    return POOL.take(folder) if POOL is not None else None
