"""Run a learner's notebook kernel in a bubblewrap sandbox during autograding.

nbgrader starts kernels through the kernelspec ``kurs-sandbox`` (selected in
``nbgrader_config.py``), whose argv is ``python -P -m course.sandbox -f {connection_file}``.
``-P``: the kernel starts in the learner's folder, and without it Python would import a
``course/sandbox.py`` the learner handed in there instead of this one, unsandboxed.
This launcher wraps the kernel (:mod:`course.grading_kernel`) in ``bwrap`` so that the
learner's code

- sees only the system (/usr, /lib…, the few files of /etc that Python reads) read-only,
  the Python environment, the ``course`` package and its own folder: no home, course root,
  gradebook, exchange, other checkout or secret in /etc, wherever they lie, and empty,
  size-limited /tmp, /var/tmp and /dev/shm;
- gets a cleared environment (no token or secret of the grader's);
- has no network (own network namespace; the kernel talks to nbgrader over ipc sockets);
- runs, when started as root, under a throw-away uid; in the cgroups ``course.kernels``
  makes for each kernel (one memory and one process limit for the whole sandbox), where
  this account may make them (root, or a delegated subtree such as the workshop's
  formgrader has). Without them: per-process limits, and a process limit counted over all
  processes of the grading account (RLIMIT_NPROC), see ``_limit``.

Without bwrap the launcher refuses to start a kernel (fail closed) and says why. The
kernelspec sets ``interrupt_mode: message``: a signal to bwrap would not reach the kernel,
so nbgrader's interrupt after a timeout travels over the control channel instead.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
from pathlib import Path
from typing import Any

KERNEL_NAME = "kurs-sandbox"
REPO = Path(__file__).resolve().parent.parent
KERNEL_DIR = Path(__file__).resolve().parent / "jupyter_data"  # holds kernels/kurs-sandbox
MAX_PROCESSES = 64
MAX_MEMORY = 2 * 1024**3  # default for the whole sandbox (course.kernels.memory_limit)
ADDRESS_SLACK = 1024**3  # address space per process beyond it
# The kernel sees only these of the machine (read-only), its own folder (read-write), the
# Python environment and the course package; no home, course root, exchange or checkout.
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# Of /etc only what the dynamic loader, Python and its libraries read: no passwd, shadow,
# ssh or ssl keys, no hub or course configuration (test_kernel_sees_no_token_…).
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone", "alternatives",
       "mime.types", "python3", "python3.*")
ENV_KEEP = {"PATH", "LANG", "LANGUAGE", "TZ", "PYTHONPATH", "VIRTUAL_ENV",
            "PYTHONDONTWRITEBYTECODE"}
ENV_SET = {"HOME": "/tmp", "MPLCONFIGDIR": "/tmp/mpl", "IPYTHONDIR": "/tmp/ipython"}
TMP_BYTES = 256 * 1024**2  # each of the sandbox's /tmp, /var/tmp, /dev/shm
LOG_ENV = "KURS_KERNEL_LOG"  # where the kernel's own stdout/stderr go (default: nowhere)
# Set by course.kernels.SandboxKernelManager for each kernel it starts:
FOLDER_PREFIX = "kurs-kernel-"  # the kernel's private socket folder
CGROUP_ENV = "KURS_SANDBOX_CGROUP"  # the memory cgroup the sandbox runs in
# A kernel started ahead of its notebook (course.kernels.KernelPool) starts in a fresh
# folder inside its private socket folder, mounted where the notebook's folder will be:
WORKDIR_ENV = "KURS_SANDBOX_WORKDIR"  # that path (the notebook's folder) inside the sandbox
MEMORY_ENV = "KURS_SANDBOX_MEMORY"  # its limit in bytes


class SandboxUnavailable(RuntimeError):
    pass


def check() -> str:
    """Return the bwrap path, or raise with a German and English explanation."""
    bwrap = shutil.which("bwrap")
    if not bwrap:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) fehlt – ohne Sandbox wird nicht bewertet. "
            "Install it: apt-get install bubblewrap"
        )
    return bwrap


def configure(c: Any) -> None:
    """Select the sandbox kernel for every nbgrader execution (command line and formgrader)."""
    paths = [str(KERNEL_DIR), *filter(None, os.environ.get("JUPYTER_PATH", "").split(os.pathsep))]
    os.environ["JUPYTER_PATH"] = os.pathsep.join(dict.fromkeys(paths))
    c.Execute.kernel_name = KERNEL_NAME


def _sandbox_uid() -> int:
    # One uid per launcher process: concurrent kernels do not share a process limit.
    return 61000 + os.getpid() % 4000


def _readonly_paths() -> list[str]:
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(REPO / "course")}
    return sorted(p for p in prefixes if Path(p).exists())


def _system() -> list[str]:
    """The system's programs and libraries and a few files of /etc, read-only; nothing
    else of the machine."""
    args: list[str] = []
    for path in SYSTEM:
        if Path(path).is_symlink():  # merged /usr: /bin -> usr/bin
            args += ["--symlink", os.readlink(path), path]
        elif Path(path).is_dir():
            args += ["--ro-bind", path, path]
    args += ["--perms", "0755", "--dir", "/etc"]
    for pattern in ETC:
        for found in sorted(Path("/etc").glob(pattern)):
            if found.is_symlink() and not found.exists():
                continue  # bwrap cannot bind a dangling link
            args += ["--ro-bind", str(found), str(found)]
    return args


def _clean_env() -> list[str]:
    """Only what a Python kernel needs; no token or secret of the grader's environment."""
    keep = {k: v for k, v in os.environ.items() if k in ENV_KEEP or k.startswith("LC_")}
    args = ["--clearenv"]
    for key, value in sorted({**keep, **ENV_SET}.items()):
        args += ["--setenv", key, value]
    return args


def bwrap_args(connection_file: Path, cwd: Path, mount_at: Path | None = None) -> list[str]:
    """bwrap's arguments: the kernel's folder ``cwd`` is its only writable folder, seen at
    ``mount_at`` (a kernel started ahead of its notebook) or at its own path."""
    target = mount_at or cwd
    # As root, bwrap needs no user namespace; the kernel drops to a throw-away uid inside.
    users = [] if os.geteuid() == 0 else ["--unshare-user"]
    args = ["--die-with-parent", "--new-session", *users, "--unshare-pid", "--unshare-net",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            *_system(), "--dev", "/dev", "--proc", "/proc"]
    for path in ("/tmp", "/var/tmp", "/dev/shm"):
        args += ["--perms", "01777", "--size", str(TMP_BYTES), "--tmpfs", path]
    ipc = connection_file.parent
    # Missing mount points would be created with mode 0700; the kernel's uid must be able
    # to walk down to what is bound, so create the parents as 0755 first.
    for path in [*_readonly_paths(), str(target), str(ipc)]:
        for parent in reversed(Path(path).parents[:-1]):
            args += ["--perms", "0755", "--dir", str(parent)]
    for path in _readonly_paths():
        args += ["--ro-bind", path, path]
    return [*args, "--bind", str(cwd), str(target), "--bind", str(ipc), str(ipc),
            *_clean_env(), "--chdir", str(target)]


def _private_folder(info: dict[str, object], uid: int | None) -> Path:
    """The kernel's socket folder, made by course.kernels.SandboxKernelManager: private to
    the grader's account, then handed to the kernel's throw-away uid."""
    if info.get("transport") != "ipc":
        raise SandboxUnavailable("the sandbox needs KernelManager.transport = 'ipc'")
    folder = Path(str(info["ip"])).parent
    mode = folder.stat()
    if (not folder.name.startswith(FOLDER_PREFIX) or mode.st_uid != os.geteuid()
            or mode.st_mode & 0o077):
        raise SandboxUnavailable(
            f"{folder} is no private socket folder: the sandbox kernel is started by "
            "course.kernels.SandboxKernelManager only")
    if uid is not None:
        os.chown(folder, uid, uid)
    return folder


def _private_connection_file(connection_file: Path, uid: int | None) -> Path:
    """Copy the connection file next to the ipc sockets, readable by the sandbox uid only."""
    info = json.loads(connection_file.read_text(encoding="utf-8"))
    target = _private_folder(info, uid) / f"{connection_file.stem}-sandbox.json"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(info, f)
    if uid is not None:
        os.chown(target, uid, uid)
    return target


def _join_cgroup() -> bool:
    """Run the sandbox in the cgroups its kernel manager made (fail closed); True if they
    limit the number of processes."""
    paths = [Path(p) for p in os.environ.get(CGROUP_ENV, "").split(os.pathsep) if p]
    for path in paths:  # none: no writable cgroup on this machine, per-process limits only
        procs = path / "cgroup.procs"
        if not procs.resolve().is_relative_to("/sys/fs/cgroup"):
            raise SandboxUnavailable(f"{path} is no cgroup")
        procs.write_text(str(os.getpid()), encoding="ascii")
    return any((path / "pids.max").exists() for path in paths)


def _tasks_of(uid: int) -> int:
    """Processes and threads of ``uid`` now (what RLIMIT_NPROC counts)."""
    count = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines()
                          if ":" in line)
        except OSError:
            continue  # gone meanwhile
        if int(fields.get("Uid", "-1").split()[0]) == uid:
            count += int(fields.get("Threads", "1"))
    return count


def _limit(processes: int | None) -> None:
    # The address space also counts what is reserved and never used (an idle kernel
    # reserves about 0.7 GB), so it gets slack above the memory limit: an absurd allocation
    # is a MemoryError in the cell, real use meets the cgroup's limit.
    space = int(os.environ.get(MEMORY_ENV) or MAX_MEMORY) + ADDRESS_SLACK
    if processes is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    resource.setrlimit(resource.RLIMIT_AS, (space, space))


def _mount_at(cwd: Path, private: Path) -> Path | None:
    """Where a kernel started ahead of its notebook sees its folder: only a fresh folder
    inside its own private socket folder may be mounted elsewhere (fail closed)."""
    target = os.environ.get(WORKDIR_ENV)
    if not target:
        return None
    if cwd.resolve().parent != private.parent.resolve() or not Path(target).is_absolute():
        raise SandboxUnavailable(f"{cwd} is no pooled kernel's folder; refusing to mount it")
    return Path(target)


def command(connection_file: Path, cwd: Path) -> tuple[list[str], int | None]:
    bwrap = check()
    uid = _sandbox_uid() if os.geteuid() == 0 else None
    private = _private_connection_file(connection_file, uid)
    mount_at = _mount_at(cwd, private)
    kernel = [sys.executable, "-P", "-m", "course.grading_kernel", "-f", str(private)]
    if uid is not None:
        kernel = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                  "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", *kernel]
    return [bwrap, *bwrap_args(private, cwd, mount_at), *kernel], uid


def _redirect_output() -> None:
    """The kernel's inherited stdout/stderr lead to a log, never into the grader's channel
    (a learner could otherwise print forged status lines there)."""
    target = os.environ.get(LOG_ENV) or os.devnull
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] != "-f":
        print("usage: python -m course.sandbox -f CONNECTION_FILE", file=sys.stderr)
        return 2
    try:
        cmd, uid = command(Path(args[1]), Path.cwd())
        counted = _join_cgroup()
    except (SandboxUnavailable, OSError) as err:
        print(f"Sandbox: {err}", file=sys.stderr)
        return 1
    _redirect_output()
    if uid is not None:  # root: the throw-away uid has no other process
        _limit(MAX_PROCESSES)
    elif counted:  # the pids cgroup counts this sandbox alone
        _limit(None)
    else:
        # RLIMIT_NPROC counts every process of the grading account, so the limit is what
        # it runs now plus the sandbox's share: holds while kernels are graded one after
        # another (formgrader), loosens by the other kernels' processes in parallel runs.
        _limit(_tasks_of(os.getuid()) + MAX_PROCESSES)
    os.execvp(cmd[0], cmd)
    return 1  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
