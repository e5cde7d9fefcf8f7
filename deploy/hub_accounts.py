"""Register accounts with the running workshop hub (called by ``deploy/add-user``, as root).

    hub_accounts.py learner|trainer NAME...

The hub reads the learners' and trainers' Unix groups when it starts. Accounts added during
class are told to the running hub through its REST API instead of restarting it (which
would stop every learner's server and the formgrader): each becomes a hub user and a member
of nbgrader's hub group of its role (``nbgrader-kundenkommunikation`` or
``formgrade-kundenkommunikation``), so the learner may log in and sees the course at once.
The token is the hub service ``kundenkommunikation-accounts``'s, which
``deploy/jupyterhub_config.py`` keeps in the hub's folder for root only; its role may create
users and change these two groups, nothing else.

Exit status 0 also when the hub is not running (it takes the accounts from the groups when
it starts) or has never run; 1 when the hub refused.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

COURSE_ID = "kundenkommunikation"
GROUPS = {"learner": f"nbgrader-{COURSE_ID}", "trainer": f"formgrade-{COURSE_ID}"}


def setting(name: str, default: str) -> str:
    return os.environ.get(f"KK_{name}", default)


def _call(api: str, token: str, method: str, path: str, body: object | None = None) -> int:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        api + path, data=data, method=method,
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def register(role: str, names: list[str]) -> int:
    hub_dir = Path(setting("HUB_DIR", f"/srv/{COURSE_ID}/hub"))
    api = f"http://127.0.0.1:{setting('HUB_API_PORT', '8081')}/hub/api"
    try:
        token = (hub_dir / "accounts-token").read_text(encoding="ascii").strip()
    except FileNotFoundError:
        print("Hub noch nie gestartet: er übernimmt die Konten beim Start.", file=sys.stderr)
        return 0
    try:
        urllib.request.urlopen(api, timeout=5).close()
    except OSError:
        print("Hub läuft nicht: er übernimmt die Konten beim nächsten Start.", file=sys.stderr)
        return 0
    failed = False
    for name in names:
        created = _call(api, token, "POST", f"/users/{name}")
        added = _call(api, token, "POST", f"/groups/{GROUPS[role]}/users", {"users": [name]})
        if created not in (201, 409) or added != 200:
            print(f"{name}: Hub lehnte ab (Benutzer {created}, Gruppe {added})", file=sys.stderr)
            failed = True
        else:
            print(f"{name}: im laufenden Hub angemeldet (ohne Neustart)", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in GROUPS:
        print("Aufruf: hub_accounts.py learner|trainer NAME...", file=sys.stderr)
        return 2
    return register(argv[0], argv[1:])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
