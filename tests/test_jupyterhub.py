"""The workshop's JupyterHub (deploy/jupyterhub_config.py) on loopback, with real accounts.

A learner (lena) and a trainer (tom) log in with their Unix passwords. The trainer releases
module 03 through the formgrader service; the learner's own server starts as her account
with the course package importable, fetches and submits through nbgrader's assignment list;
the trainer collects and autogrades in the formgrader, where the submission is under lena's
id. The formgrader answers the trainer (200) and refuses the learner (403); the learner's own
server has no formgrader. The trainer cannot administer the hub (403). A learner added with
``deploy/add-user`` while lena's server runs logs in at once, and lena's server keeps
running. lena's server cannot use more memory, processes or CPU than its cgroup allows, and
a notebook graded in the formgrader (as the non-root grading account) meets a process limit
of its own. The added learner finds no token of anyone else's anywhere she can read.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from course.cgroup import Cgroup
from course.sandbox import MAX_PROCESSES
from course.serverlimits import SERVER_PREFIX, SERVICE_PREFIX

from .nbgrader_course import solutions, submission
from .workshop_hub import CHP, HUB_BIN, Browser, Hub, running_hub
from .workshop_machine import BIN, COURSE_ID, IS_ROOT, REPO, Account, Machine, workshop_machine

pytestmark = [
    pytest.mark.workshop,
    pytest.mark.skipif(
        not IS_ROOT,
        reason="LocalProcessSpawner starts servers as the learners' Unix accounts: needs root",
    ),
]

M03 = "03_vier_ohren"
FORMGRADER = f"/services/{COURSE_ID}/formgrader"
# Small limits for lena's server, so that the test reaches them quickly.
SERVER_MEMORY = 1024**3
SERVER_TASKS = 200
SERVER_CPUS = 0.5
GRADER_TASKS = 1024
LIMITS = {"KK_SERVER_MEMORY": str(SERVER_MEMORY), "KK_SERVER_TASKS": str(SERVER_TASKS),
          "KK_SERVER_CPUS": str(SERVER_CPUS), "KK_GRADER_TASKS": str(GRADER_TASKS)}


@dataclass
class Workshop:
    machine: Machine
    hub: Hub
    learner: Browser
    trainer: Browser
    submit_result: list[dict]

    @property
    def learner_home(self) -> Path:
        return self.machine.learners[0].home


@pytest.fixture(scope="module")
def workshop() -> Iterator[Workshop]:
    missing = [p for p in (HUB_BIN, CHP) if not os.access(p, os.X_OK)]
    assert not missing, f"{missing} missing: run scripts/setup-hub (./run-tests does)"
    with (workshop_machine(["lena"], trainers=["tom"]) as machine,
          running_hub(machine, LIMITS) as hub):
        lena = machine.learners[0].name
        tom = next(n for n in machine.passwords if n.endswith("_tom"))
        trainer = Browser(hub, tom, machine.passwords[tom])
        page = trainer.get(f"{FORMGRADER}/manage_assignments")  # OAuth, XSRF cookie
        assert page.status_code == 200, f"{page.status_code}:\n{hub.log_tail()}"
        for step in ("assign", "release"):
            r = trainer.post(f"{FORMGRADER}/api/assignment/{M03}/{step}")
            assert r.status_code == 200 and r.json()["success"], f"{step}: {r.text}"
        learner = Browser(hub, lena, machine.passwords[lena])
        learner.start_server()
        form = {"course_id": COURSE_ID, "assignment_id": M03}
        fetched = learner.post(f"/user/{lena}/assignments/fetch", data=form)
        assert fetched.status_code == 200, fetched.text
        nb = submission(machine.course, M03, solutions(M03))
        put = learner.put(
            f"/user/{lena}/api/contents/{M03}/{M03}.ipynb",
            json={"type": "notebook", "format": "json", "content": json.loads(nbformat.writes(nb))},
        )
        assert put.status_code in (200, 201), put.text
        submitted = learner.post(f"/user/{lena}/assignments/submit", data=form)
        assert submitted.status_code == 200, submitted.text
        yield Workshop(machine, hub, learner, trainer, submitted.json())


def test_learner_server_runs_as_her_account_with_the_course(workshop: Workshop) -> None:
    """Does the learner's server run as her Unix account, with the course package importable?"""
    out = workshop.learner.run_code(
        "import getpass, course, nbgrader\nprint(getpass.getuser(), course.__name__)"
    )
    assert out.split() == [workshop.learner.name, "course"], out


def test_trainer_gets_the_formgrader(workshop: Workshop) -> None:
    """Does the trainer reach the formgrader service (200)?"""
    r = workshop.trainer.get(f"{FORMGRADER}/manage_assignments")
    assert r.status_code == 200
    assert "Manage Assignments" in r.text


def test_learner_is_refused_the_formgrader(workshop: Workshop) -> None:
    """Is the learner refused the formgrader service (403)?"""
    assert workshop.learner.get(f"{FORMGRADER}/manage_assignments").status_code == 403
    assert workshop.learner.get(f"{FORMGRADER}/api/assignments").status_code == 403


def test_learner_has_no_formgrader_of_her_own(workshop: Workshop) -> None:
    """Has the learner's own server no formgrader, neither the page nor the Lab plug-in?"""
    name = workshop.learner.name
    assert workshop.learner.get(f"/user/{name}/formgrader").status_code == 404
    lab = workshop.learner.get(f"/user/{name}/lab").text
    match = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                      lab, re.S)
    assert match, "no page config in the Lab page"
    disabled = json.loads(match.group(1)).get("disabledExtensions", [])
    assert "@jupyter/nbgrader:formgrader" in disabled
    assert "@jupyter/nbgrader:create-assignment" in disabled


def test_submission_is_collected_under_the_learners_id(workshop: Workshop) -> None:
    """Is the submission from the learner's server collected and graded under her id?"""
    machine, name = workshop.machine, workshop.learner.name
    assert any(a.get("status") == "submitted" for a in workshop.submit_result["value"]), (
        workshop.submit_result
    )
    inbound = machine.exchange / COURSE_ID / "inbound"
    (folder,) = [p for p in inbound.iterdir() if p.name.startswith(f"{name}+{M03}+")]
    assert pwd.getpwuid(folder.stat().st_uid).pw_name == name
    trainer = workshop.trainer
    r = trainer.post(f"{FORMGRADER}/api/assignment/{M03}/collect")
    assert r.status_code == 200 and r.json()["success"], r.text
    assert (machine.course / "submitted" / name / M03 / f"{M03}.ipynb").is_file()
    r = trainer.post(f"{FORMGRADER}/api/submission/{M03}/{name}/autograde")
    assert r.status_code == 200 and r.json()["success"], r.text
    rows = trainer.get(f"{FORMGRADER}/api/submissions/{M03}").json()
    (row,) = [row for row in rows if row["student"] == name]
    assert row["autograded"] and row["code_score"] == 19.0, row
    # the formgrader works as the grading account, not as root
    assert (machine.course / "gradebook.db").stat().st_uid == machine.grader.uid_gid()[0]


def test_hub_files_stay_outside_the_repository(workshop: Workshop) -> None:
    """Does the hub keep database and cookie secret in its own folder, not in the repository?"""
    assert (workshop.machine.base / "hub" / "jupyterhub.sqlite").is_file()
    assert not (REPO / "jupyterhub.sqlite").exists()
    assert not (REPO / "deploy" / "jupyterhub.sqlite").exists()


def test_trainer_may_grade_but_not_administer_the_hub(workshop: Workshop) -> None:
    """Is the trainer refused (403) adding, deleting or promoting users, a token in a
    learner's name and changing nbgrader's groups, while he may list the class? (the
    formgrader: test_trainer_gets_the_formgrader)"""
    trainer, lena = workshop.trainer, workshop.learner.name
    group = f"nbgrader-{COURSE_ID}"
    tries = {
        "add a user": trainer.post(f"/hub/api/users/{workshop.machine.prefix}mallory"),
        "delete a learner": trainer.delete(f"/hub/api/users/{lena}"),
        "token for a learner": trainer.post(f"/hub/api/users/{lena}/tokens", json={}),
        "admin rights": trainer.patch(f"/hub/api/users/{trainer.name}", json={"admin": True}),
        "join the learners": trainer.post(f"/hub/api/groups/{group}/users",
                                          json={"users": [trainer.name]}),
    }
    assert {what: r.status_code for what, r in tries.items()} == dict.fromkeys(tries, 403)
    assert trainer.get("/hub/api/users").status_code == 200


def _server_pid(name: str) -> int:
    """The pid of ``name``'s single-user server (read as root)."""
    uid = pwd.getpwnam(name).pw_uid
    for proc in Path("/proc").iterdir():
        try:
            if (proc.name.isdigit() and proc.stat().st_uid == uid
                    and b"jupyterhub-singleuser" in (proc / "cmdline").read_bytes()):
                return int(proc.name)
        except OSError:
            continue
    raise AssertionError(f"no server of {name} runs")


@dataclass
class Added:
    browser: Browser
    account: Account
    output: str


@pytest.fixture(scope="module")
def added(workshop: Workshop) -> Added:
    """nina, added with deploy/add-user while the hub and lena's server run."""
    machine = workshop.machine
    out = machine.add_user("learner", "nina", env=workshop.hub.env)
    account = machine.learners[-1]
    browser = Browser(workshop.hub, account.name, machine.passwords[account.name])
    return Added(browser, account, out)


def test_a_learner_added_during_class_logs_in_and_nobody_stops(workshop: Workshop,
                                                               added: Added) -> None:
    """Does a learner added with add-user while the hub runs log in at once and see the
    course (hub group), while lena's server keeps running (same process, still answering)?"""
    lena = workshop.learner.name
    before = _server_pid(lena)
    assert "ohne Neustart" in added.output, added.output
    model = added.browser.get(f"/hub/api/users/{added.account.name}").json()
    assert f"nbgrader-{COURSE_ID}" in model["groups"], model
    assert _server_pid(lena) == before
    assert workshop.learner.get(f"/user/{lena}/api/status").status_code == 200


LIMIT_PROBE = r"""
import os, subprocess, sys, time
big = subprocess.run([sys.executable, "-c", "b = b'x' * (1200 * 1024**2)"]).returncode
print("SPEICHER", big)
kids, why = [], "kein Limit"
try:
    for _ in range(400):
        pid = os.fork()
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        kids.append(pid)
except BlockingIOError:
    why = "BlockingIOError"
print("PROZESSE", len(kids), why)
for pid in kids:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
busy = "import time\nt = time.monotonic()\nwhile time.monotonic() - t < 2: pass"
start = os.times()
for p in [subprocess.Popen([sys.executable, "-c", busy]) for _ in range(3)]:
    p.wait()
end = os.times()
print("CPU", end.children_user + end.children_system
      - start.children_user - start.children_system)
for procs in ("/sys/fs/cgroup/pids/cgroup.procs", "/sys/fs/cgroup/cgroup.procs"):
    try:
        open(procs, "w").write(str(os.getpid()))
        print("AUSBRUCH gelungen", procs)
    except OSError as err:
        print("AUSBRUCH", type(err).__name__)
"""


def test_learner_server_stays_within_its_limits(workshop: Workshop) -> None:
    """Is a process of lena's server that takes 1.2 GB ended (1 GiB for the server), do
    forks stop below 200 processes, do three busy processes get half a core together
    (throttled), and can she not move herself out of her cgroup?"""
    out = workshop.learner.run_code(LIMIT_PROBE, timeout=120)
    found = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    assert found.get("SPEICHER") == "-9", out  # SIGKILL of the kernel's OOM killer
    count, why = found["PROZESSE"].split()
    assert why == "BlockingIOError" and int(count) < SERVER_TASKS, out
    assert float(found["CPU"]) < 2 * SERVER_CPUS * 1.5, out  # 3 × 2 s unlimited
    assert "gelungen" not in out and "AUSBRUCH" in out, out
    group = Cgroup.named(SERVER_PREFIX + workshop.learner.name)
    assert group is not None and group.path.is_dir()
    throttled = (group.paths["cpu"] / "cpu.stat").read_text()
    assert int(re.search(r"nr_throttled (\d+)", throttled).group(1)) > 0


FORK_PAYLOAD = """
import os, resource, time
kids = []
try:
    for _ in range(300):
        pid = os.fork()
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        kids.append(pid)
except BlockingIOError:
    pass
print("PROZESSE", len(kids), "RLIMIT", resource.getrlimit(resource.RLIMIT_NPROC)[0])
for pid in kids:
    os.kill(pid, 9)
"""


def test_grading_kernel_has_a_process_limit_as_the_grading_account(workshop: Workshop) -> None:
    """Does a notebook autograded in the formgrader (which runs as the non-root grading
    account) stop forking below the sandbox's 64 processes, through a cgroup of its kernel
    inside the formgrader's delegated cgroup (not the per-account RLIMIT_NPROC fallback)?"""
    machine, student = workshop.machine, f"{workshop.machine.prefix}gabel"
    sol = solutions(M03)
    nb = submission(machine.course, M03, {
        **sol, "m03_ohren_nachrichten": FORK_PAYLOAD + sol["m03_ohren_nachrichten"]})
    folder = machine.course / "submitted" / student / M03
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{M03}.ipynb")
    for path in (folder.parent.parent, folder.parent, folder, folder / f"{M03}.ipynb"):
        os.chown(path, *machine.grader.uid_gid())
    r = workshop.trainer.post(f"{FORMGRADER}/api/submission/{M03}/{student}/autograde")
    assert r.status_code == 200 and r.json()["success"], r.text
    text = (machine.course / "autograded" / student / M03 / f"{M03}.ipynb").read_text()
    found = re.search(r"PROZESSE (\d+) RLIMIT (-?\d+)", text)
    assert found, text[-3000:]
    assert int(found.group(1)) < MAX_PROCESSES
    rlimit = int(found.group(2))
    assert rlimit == -1 or rlimit > 10_000, "stopped by the RLIMIT fallback, not a cgroup"
    service = Cgroup.named(SERVICE_PREFIX + machine.grader.name)
    assert service is not None
    assert (service.paths["pids"] / "pids.max").read_text().strip() == str(GRADER_TASKS)
    assert service.path.stat().st_uid == machine.grader.uid_gid()[0]  # delegated to it


SCAN = """
import os, sys
secrets = sys.stdin.read().split()
me = str(os.getpid())
hits = set()
def look(where, data):
    hits.update((i, where) for i, s in enumerate(secrets) if s.encode() in data)
for pid in os.listdir("/proc"):
    for name in ("environ", "cmdline"):
        if pid.isdigit() and pid != me:
            try:
                look(f"/proc/{pid}/{name}", open(f"/proc/{pid}/{name}", "rb").read())
            except OSError:
                pass
for top in sys.argv[1:]:
    for folder, _, files in os.walk(top):
        for f in files:
            path = os.path.join(folder, f)
            try:
                if os.path.getsize(path) < 5_000_000:
                    look(path, open(path, "rb").read())
            except OSError:
                pass
for i, where in sorted(hits):
    print("GEFUNDEN", i, where)
"""


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
    return dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)


def test_a_learner_finds_no_token_she_can_read(workshop: Workshop, added: Added) -> None:
    """Can the added learner find the formgrader's or lena's hub token, the accounts
    service's token or the cookie secret in any process she can inspect or any file below
    the workshop's folders (hub state, exchange, course, homes)? A notice in a readable
    file is found, so the search itself works."""
    machine, lena = workshop.machine, workshop.learner.name
    hub_dir = machine.base / "hub"
    grader_uid = machine.grader.uid_gid()[0]
    formgrader = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
                  and p.stat().st_uid == grader_uid
                  and b"jupyterhub-singleuser" in (p / "cmdline").read_bytes()]
    assert formgrader, "the formgrader runs as the grading account"
    notice = machine.base / "aushang.txt"
    notice.write_text("AUSHANG-4711")
    notice.chmod(0o644)
    secrets = [_environ(formgrader[0])["JUPYTERHUB_API_TOKEN"],
               _environ(_server_pid(lena))["JUPYTERHUB_API_TOKEN"],
               (hub_dir / "accounts-token").read_text().strip(),
               (hub_dir / "jupyterhub_cookie_secret").read_text().strip(),
               "AUSHANG-4711"]
    assert stat.S_IMODE((hub_dir / "accounts-token").stat().st_mode) == 0o600
    tops = [machine.base, workshop.learner_home, machine.grader.home, added.account.home]
    out = machine.run(added.account, str(BIN / "python"), "-c", SCAN, *map(str, tops),
                      input="\n".join(secrets)).stdout
    assert out.strip() == f"GEFUNDEN {len(secrets) - 1} {notice}", out
