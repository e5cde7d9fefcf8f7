"""JupyterHub for the classroom workshop on one machine (run as root).

    deploy/setup-workshop                      # once: environment, groups, exchange, course
    deploy/add-user learner anna ben …         # accounts with private homes, prints passwords
    deploy/add-user trainer tom
    .hub/venv/bin/jupyterhub -f deploy/jupyterhub_config.py

- Every learner and trainer is a real Unix account (``LocalProcessSpawner``): nbgrader takes
  the learner id from the account that submits, and a learner's files belong to them.
- Login with PAM, i.e. the account's Unix password (``deploy/add-user`` sets a random one).
- Learners: Unix group ``nbgrader-kundenkommunikation``; trainers:
  ``formgrade-kundenkommunikation``. The hub reads both groups when it starts and mirrors
  them into hub groups of the same names, which nbgrader's ``JupyterHubAuthPlugin`` reads.
  ``deploy/add-user`` registers accounts added later with the running hub through its REST
  API (service ``kundenkommunikation-accounts``, token in the hub's folder, root only), so
  adding a learner during class stops nobody's server.
- Trainers have the role ``trainer``: the formgrader, the admin page to see the class and
  start, stop or open a learner's server; not hub administration (no adding or deleting
  users, no tokens, no groups, no admin rights).
- Every server runs in a cgroup with a memory, CPU and process limit
  (``course.serverlimits.KursSpawner``), the formgrader in one of its own, in which each
  grading kernel gets its own limits. Without cgroups the hub refuses to start servers
  unless ``KK_SERVER_LIMITS=aus``.
- The formgrader runs once, as the hub service ``kundenkommunikation`` (nbgrader requires the
  service name to be the course id), under the grading account in the course folder. Only
  the trainers' group may open it: ``/services/kundenkommunikation/formgrader``. Learners'
  and trainers' own servers have no formgrader.

Paths, names and ports can be changed with the same ``KK_*`` variables as setup-workshop; the
tests use that to run a hub on loopback ports of their own.
"""

from __future__ import annotations

import grp
import os
import secrets
from pathlib import Path

from course.serverlimits import KursSpawner

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)

COURSE_ID = "kundenkommunikation"
DEPLOY = Path(__file__).resolve().parent
HUB_ENV = DEPLOY.parent / ".hub"  # scripts/setup-hub
BIN = HUB_ENV / "venv" / "bin"


def setting(name: str, default: str) -> str:
    return os.environ.get(f"KK_{name}", default)


LEARNER_GROUP = setting("LEARNER_GROUP", f"nbgrader-{COURSE_ID}")
TRAINER_GROUP = setting("TRAINER_GROUP", f"formgrade-{COURSE_ID}")
GRADER = setting("GRADER", f"grader-{COURSE_ID}")
COURSE_DIR = setting("COURSE_DIR", f"/srv/{COURSE_ID}/kurs")
HUB_DIR = Path(setting("HUB_DIR", f"/srv/{COURSE_ID}/hub"))
JUPYTER_ETC = setting("JUPYTER_ETC", "/etc/jupyter")
PATH = f"{BIN}:/usr/local/bin:/usr/bin:/bin"
LEARNERS_HUB = f"nbgrader-{COURSE_ID}"  # nbgrader's hub group names
TRAINERS_HUB = f"formgrade-{COURSE_ID}"
ACCOUNTS_SERVICE = f"{COURSE_ID}-accounts"
ACCOUNTS_TOKEN = "accounts-token"  # in HUB_DIR, read by deploy/add-user


def size(text: str) -> int:
    """Bytes from ``2G``, ``512M`` or a plain number."""
    units = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
    if text[-1:].upper() in units:
        return int(float(text[:-1]) * units[text[-1:].upper()])
    return int(text)


# Limits of each server (KK_SERVER_*) and of the formgrader with its grading kernels.
SERVER_MEMORY = size(setting("SERVER_MEMORY", "2G"))
SERVER_CPUS = setting("SERVER_CPUS", "1")
SERVER_TASKS = setting("SERVER_TASKS", "512")
GRADER_MEMORY = size(setting("GRADER_MEMORY", "6G"))
GRADER_CPUS = setting("GRADER_CPUS", "2")
GRADER_TASKS = setting("GRADER_TASKS", "1024")
LIMITS_REQUIRED = setting("SERVER_LIMITS", "an") != "aus"


def members(group: str) -> list[str]:
    try:
        return sorted(grp.getgrnam(group).gr_mem)
    except KeyError:
        return []


LEARNERS = members(LEARNER_GROUP)
TRAINERS = members(TRAINER_GROUP)

# Network: the public port on every interface (the class's browsers), the rest on loopback.
c.JupyterHub.ip = setting("HUB_IP", "")
c.JupyterHub.port = int(setting("HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(setting("HUB_API_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{setting('PROXY_API_PORT', '8001')}"
CHP = HUB_ENV / "node_modules" / ".bin" / "configurable-http-proxy"
c.ConfigurableHTTPProxy.command = [str(CHP)]

# State of the hub (its database, cookie secret, proxy pid), not readable by the accounts.
HUB_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
HUB_DIR.chmod(0o700)
c.JupyterHub.db_url = f"sqlite:///{HUB_DIR / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(HUB_DIR / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(HUB_DIR / "jupyterhub-proxy.pid")

# Who may log in: the Unix accounts in the two groups, with their Unix password (PAM). The
# grading account is a hub user for nbgrader's sake; it has no password, so no login.
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.open_sessions = False
# Accounts that deploy/add-user registers later (REST API) are allowed from then on.
c.Authenticator.allowed_users = set(LEARNERS) | set(TRAINERS) | {GRADER}
c.Authenticator.admin_users = set()  # nobody administers the hub through it: root does

# Each account's own JupyterLab, as that account, in its home, within its limits.
c.JupyterHub.spawner_class = KursSpawner
c.Spawner.mem_limit = SERVER_MEMORY
c.Spawner.cpu_limit = float(SERVER_CPUS)
c.KursSpawner.tasks_limit = int(SERVER_TASKS)
c.KursSpawner.limits_required = LIMITS_REQUIRED
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 90


def _jupyter_config_path(spawner) -> str:  # noqa: ANN001 (a JupyterHub Spawner)
    # read at each start: a trainer added during class gets the trainer's set-up
    role = "trainer" if spawner.user.name in members(TRAINER_GROUP) else "learner"
    return os.pathsep.join([str(DEPLOY / f"jupyter-{role}"), JUPYTER_ETC])


c.Spawner.environment = {"PATH": PATH, "JUPYTER_CONFIG_PATH": _jupyter_config_path}

# nbgrader's groups and what they may do.
c.JupyterHub.load_groups = {
    LEARNERS_HUB: {"users": LEARNERS},
    # the grading account too: the formgrader asks the hub for its own groups
    TRAINERS_HUB: {"users": [*TRAINERS, GRADER]},
}
c.JupyterHub.load_roles = [
    # Nobody holds the admin role, also not a trainer whom an older configuration of this
    # workshop made admin in the hub's database (a role without "users" would keep them).
    {"name": "admin", "users": []},
    {
        # Trainers see the class on the admin page and may start, stop or open a learner's
        # server (to help); they cannot add, change or delete users, groups or tokens.
        "name": "trainer",
        "groups": [TRAINERS_HUB],
        "scopes": [
            "admin-ui",
            "list:users",
            "read:users",
            f"admin:servers!group={LEARNERS_HUB}",
            f"access:servers!group={LEARNERS_HUB}",
        ],
    },
    {
        # deploy/add-user (root) registers accounts added during class.
        "name": "accounts",
        "services": [ACCOUNTS_SERVICE],
        "scopes": ["admin:users", f"groups!group={LEARNERS_HUB}", f"groups!group={TRAINERS_HUB}"],
    },
    {
        "name": f"formgrade-{COURSE_ID}",
        "groups": [f"formgrade-{COURSE_ID}"],
        "scopes": [
            f"access:services!service={COURSE_ID}",
            "list:services",
            f"read:services!service={COURSE_ID}",
        ],
    },
    {
        "name": f"nbgrader-{COURSE_ID}",
        "groups": [f"nbgrader-{COURSE_ID}"],
        "scopes": ["list:services", f"read:services!service={COURSE_ID}"],
    },
    {
        # The token of each user's server: JupyterHub's defaults plus what nbgrader asks the
        # hub (which groups, so which courses, its owner belongs to; the course service).
        # A server never gets more than its owner has.
        "name": "server",
        "scopes": [
            "users:activity!user",
            "access:servers!server",
            "read:users:name!user",
            "read:users:groups!user",
            "list:services",
            "read:services",
        ],
    },
    {
        # The formgrader reads the course's learners from the hub and adds those the trainer
        # adds in "Manage Students" to the learners' group.
        "name": f"grader-{COURSE_ID}",
        "services": [COURSE_ID],
        "scopes": [
            "list:users",
            "read:users",
            "list:groups",
            "read:groups",
            f"groups!group=nbgrader-{COURSE_ID}",
        ],
    },
]



def _accounts_token() -> str:
    """The accounts service's token: made once, readable by root only."""
    path = HUB_DIR / ACCOUNTS_TOKEN
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip()


# The formgrader: one JupyterLab as the grading account, in the course folder, as a service.
# The hub starts it as root through course.serverlimits, which puts it into a cgroup with
# limits that it hands to the grading account, and then runs it as that account.
LIMITED_AS_GRADER = [
    str(BIN / "python"), "-m", "course.serverlimits", f"--user={GRADER}",
    f"--memory={GRADER_MEMORY}", f"--cpus={GRADER_CPUS}", f"--tasks={GRADER_TASKS}",
    *([] if LIMITS_REQUIRED else ["--optional"]), "--",
]
c.JupyterHub.services = [
    {"name": ACCOUNTS_SERVICE, "api_token": _accounts_token()},
    {
        "name": COURSE_ID,
        "url": f"http://127.0.0.1:{setting('SERVICE_PORT', '9999')}",
        "command": [*LIMITED_AS_GRADER, str(BIN / "jupyterhub-singleuser"),
                    f"--ServerApp.root_dir={COURSE_DIR}"],
        "cwd": COURSE_DIR,
        "oauth_no_confirm": True,
        "environment": {
            # nbgrader's hub plug-in asks the hub in the name of JUPYTERHUB_USER, which the
            # hub sets for users' servers but not for services.
            "JUPYTERHUB_USER": GRADER,
            "JUPYTERHUB_DEFAULT_URL": "/lab",
            "JUPYTER_CONFIG_PATH": os.pathsep.join(
                [str(DEPLOY / "jupyter-grader"), COURSE_DIR, JUPYTER_ETC]
            ),
            "PATH": PATH,
        },
    }
]
