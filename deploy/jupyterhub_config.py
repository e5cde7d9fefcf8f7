"""JupyterHub for the classroom workshop on one machine (run as root).

    deploy/setup-workshop                      # once: environment, groups, exchange, course
    deploy/add-user learner anna ben …         # accounts with private homes, prints passwords
    deploy/add-user trainer tom
    .hub/venv/bin/jupyterhub -f deploy/jupyterhub_config.py

- Every learner and trainer is a real Unix account (``LocalProcessSpawner``): nbgrader takes
  the learner id from the account that submits, and a learner's files belong to them.
- Login with PAM, i.e. the account's Unix password (``deploy/add-user`` sets a random one).
- Learners: Unix group ``nbgrader-kundenkommunikation``; trainers:
  ``formgrade-kundenkommunikation``. The hub reads both groups when it starts (restart the hub
  after adding accounts) and mirrors them into hub groups of the same names, which nbgrader's
  ``JupyterHubAuthPlugin`` reads.
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
from pathlib import Path

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
c.JupyterHub.db_url = f"sqlite:///{HUB_DIR / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(HUB_DIR / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(HUB_DIR / "jupyterhub-proxy.pid")

# Who may log in: the Unix accounts in the two groups, with their Unix password (PAM). The
# grading account is a hub user for nbgrader's sake; it has no password, so no login.
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.open_sessions = False
c.Authenticator.allowed_users = set(LEARNERS) | set(TRAINERS) | {GRADER}
c.Authenticator.admin_users = set(TRAINERS)  # trainers may open a learner's server to help

# Each account's own JupyterLab, as that account, in its home.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 90


def _jupyter_config_path(spawner) -> str:
    role = "trainer" if spawner.user.name in TRAINERS else "learner"
    return os.pathsep.join([str(DEPLOY / f"jupyter-{role}"), JUPYTER_ETC])


c.Spawner.environment = {"PATH": PATH, "JUPYTER_CONFIG_PATH": _jupyter_config_path}

# nbgrader's groups and what they may do.
c.JupyterHub.load_groups = {
    f"nbgrader-{COURSE_ID}": {"users": LEARNERS},
    # the grading account too: the formgrader asks the hub for its own groups
    f"formgrade-{COURSE_ID}": {"users": [*TRAINERS, GRADER]},
}
c.JupyterHub.load_roles = [
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

# The formgrader: one JupyterLab as the grading account, in the course folder, as a service.
c.JupyterHub.services = [
    {
        "name": COURSE_ID,
        "url": f"http://127.0.0.1:{setting('SERVICE_PORT', '9999')}",
        "command": [str(BIN / "jupyterhub-singleuser"), f"--ServerApp.root_dir={COURSE_DIR}"],
        "user": GRADER,
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
