"""A workshop machine in miniature: exchange, grading account and learners for one test run.

As root (CI) the machine is real: ``deploy/setup-workshop`` creates the groups, the grading
account, its course folder and the exchange (all paths below a temporary folder, all names
unique to this run), ``deploy/add-user`` creates learner accounts with private homes, and
every nbgrader command runs as the Unix account it belongs to. Teardown removes every
account, group and folder that was created, also after a failure.

Without root no accounts can be made: the learners are then folders with their own HOME and
nbgrader's ``--student`` gives the learner id, the exchange is the same temporary layout.
"""

from __future__ import annotations

import grp
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / ".hub" / "venv" / "bin"  # scripts/setup-hub: usable by every account
COURSE_ID = "kundenkommunikation"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
STUDENT_ARG_COMMANDS = {"submit", "fetch_feedback"}


@dataclass
class Account:
    """A person on the machine: a Unix account (root) or a HOME folder (``--student``)."""

    name: str
    home: Path
    unix: bool

    def uid_gid(self) -> tuple[int, int]:
        entry = pwd.getpwnam(self.name)
        return entry.pw_uid, entry.pw_gid


@dataclass
class Machine:
    prefix: str
    base: Path
    exchange: Path
    etc: Path
    course: Path
    grader: Account
    learner_group: str
    trainer_group: str
    learners: list[Account] = field(default_factory=list)
    passwords: dict[str, str] = field(default_factory=dict)

    def env(self, account: Account, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("JUPYTER", "JPY_", "KK_", "PYTEST", "VIRTUAL_ENV"))
        }
        env.update(
            HOME=str(account.home),
            USER=account.name,
            LOGNAME=account.name,
            PATH=f"{BIN}{os.pathsep}/usr/local/bin:/usr/bin:/bin",
            JUPYTER_CONFIG_PATH=str(self.etc),
            PYTHONDONTWRITEBYTECODE="1",
        )
        env.update(extra or {})
        return env

    def run(
        self, account: Account, *cmd: str, cwd: Path | None = None, check: bool = True,
        input: str | None = None,  # noqa: A002 (subprocess's name)
    ) -> subprocess.CompletedProcess[str]:
        """Run ``cmd`` as ``account`` (its own Unix account when there is one)."""
        args = list(cmd)
        if args[0] == "nbgrader":
            args[0] = str(BIN / "nbgrader")
            if not account.unix and args[1] in STUDENT_ARG_COMMANDS:
                args.append(f"--student={account.name}")
        kwargs = {}
        if account.unix:
            kwargs = {"user": account.name, "group": account.name, "extra_groups": []}
        proc = subprocess.run(
            args, cwd=cwd or account.home, env=self.env(account), capture_output=True,
            text=True, timeout=300, input=input, **kwargs,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{' '.join(cmd)} as {account.name} failed ({proc.returncode}):\n"
                f"{proc.stdout}\n{proc.stderr}"
            )
        return proc

    def nbgrader(self, account: Account, *args: str, check: bool = True):
        cwd = self.course if account is self.grader else account.home
        return self.run(account, "nbgrader", *args, cwd=cwd, check=check)

    def add_user(self, role: str, *short: str, env: dict[str, str] | None = None) -> str:
        """``deploy/add-user ROLE NAME…`` as root during the run (accounts ``<prefix>NAME``);
        its output. The new learners join ``learners`` (their passwords ``passwords``)."""
        names = [self.prefix + name for name in short]
        environment = {**setup_env(self.base, self.prefix), **(env or {})}
        proc = subprocess.run([str(REPO / "deploy" / "add-user"), role, *names],
                              capture_output=True, text=True, env=environment, timeout=120)
        if proc.returncode != 0:
            raise AssertionError(f"add-user failed:\n{proc.stdout}\n{proc.stderr}")
        for line in proc.stdout.splitlines():
            name, password = line.split(maxsplit=1)
            if name in names and not password.startswith("("):
                self.passwords[name] = password
                if role == "learner":
                    home = Path(pwd.getpwnam(name).pw_dir)
                    self.learners.append(Account(name, home, True))
        return proc.stdout + proc.stderr

    def give(self, account: Account, path: Path) -> None:
        """Hand a file the test wrote over to the account (as the learner's editor would)."""
        if account.unix:
            os.chown(path, *account.uid_gid())


def _sh(*cmd: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def _remove_account(name: str) -> None:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return
    subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)  # only that account
    subprocess.run(["userdel", "--remove", "--force", name], capture_output=True)


def _remove_group(name: str) -> None:
    try:
        grp.getgrnam(name)
    except KeyError:
        return
    subprocess.run(["groupdel", name], capture_output=True)


def leftover_accounts(prefix: str) -> list[str]:
    return [p.pw_name for p in pwd.getpwall() if p.pw_name.startswith(prefix)]


def setup_env(machine_base: Path, prefix: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        KK_EXCHANGE_ROOT=str(machine_base / "exchange"),
        KK_JUPYTER_ETC=str(machine_base / "etc-jupyter"),
        KK_COURSE_DIR=str(machine_base / "kurs"),
        KK_GRADER=f"{prefix}grader",
        KK_LEARNER_GROUP=f"{prefix}lernende",
        KK_TRAINER_GROUP=f"{prefix}trainer",
        KK_HUB_DIR=str(machine_base / "hub"),  # add-user finds a running test hub there
        KK_SKIP_ENV="1",  # the venv runs these tests already; setup-venv is ./run-tests' job
    )
    return env


@contextmanager
def workshop_machine(
    learners: list[str], trainers: list[str] = (), unix: bool = IS_ROOT
) -> Iterator[Machine]:
    """A machine with the workshop set up and accounts ``<prefix><name>`` for one run."""
    prefix = f"kk{secrets.token_hex(3)}_"
    base = Path(tempfile.mkdtemp(prefix="kk-workshop-", dir="/tmp"))
    base.chmod(0o755)  # the accounts must reach exchange, configuration and course folder
    env = setup_env(base, prefix)
    created_groups = [env["KK_LEARNER_GROUP"], env["KK_TRAINER_GROUP"]]
    try:
        if unix:
            _sh(str(REPO / "deploy" / "setup-workshop"), env=env)
            grader_home = Path(pwd.getpwnam(env["KK_GRADER"]).pw_dir)
        else:
            _setup_without_root(base, env)
            grader_home = base / "homes" / "grader"
            grader_home.mkdir(parents=True)
        machine = Machine(
            prefix=prefix,
            base=base,
            exchange=Path(env["KK_EXCHANGE_ROOT"]),
            etc=Path(env["KK_JUPYTER_ETC"]),
            course=Path(env["KK_COURSE_DIR"]),
            grader=Account(env["KK_GRADER"], grader_home, unix),
            learner_group=env["KK_LEARNER_GROUP"],
            trainer_group=env["KK_TRAINER_GROUP"],
        )
        for role, names in (("learner", learners), ("trainer", trainers)):
            full = [prefix + short for short in names]
            if unix and full:  # one call for all of a role, as a trainer would
                out = _sh(str(REPO / "deploy" / "add-user"), role, *full, env=env)
                machine.passwords.update(line.split() for line in out.splitlines())
            for name in full:
                if unix:
                    home = Path(pwd.getpwnam(name).pw_dir)
                else:
                    home = base / "homes" / name
                    home.mkdir(parents=True)
                if role == "learner":
                    machine.learners.append(Account(name, home, unix))
        yield machine
    finally:
        if unix:
            for name in leftover_accounts(prefix):
                _remove_account(name)
            for group in created_groups:
                _remove_group(group)
        shutil.rmtree(base, ignore_errors=True)


def _setup_without_root(base: Path, env: dict[str, str]) -> None:
    """What setup-workshop does, for one unprivileged account (no groups, no accounts)."""
    exchange = Path(env["KK_EXCHANGE_ROOT"])
    exchange.mkdir()
    exchange.chmod(0o1777)
    etc = Path(env["KK_JUPYTER_ETC"])
    etc.mkdir()
    config = (REPO / "deploy" / "nbgrader_config.py").read_text("utf-8")
    config += f'\nc.Exchange.root = "{exchange}"\n'
    (etc / "nbgrader_config.py").write_text(config, "utf-8")
    course = Path(env["KK_COURSE_DIR"])
    course.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", course)
    shutil.copytree(REPO / "source", course / "source")
