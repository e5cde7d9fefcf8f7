"""A running workshop JupyterHub on loopback, and a browser-like client for it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from course.cgroup import Cgroup
from course.serverlimits import SERVER_PREFIX, SERVICE_PREFIX

from .workshop_machine import REPO, Machine

HUB_BIN = REPO / ".hub" / "venv" / "bin" / "jupyterhub"
CHP = REPO / ".hub" / "node_modules" / ".bin" / "configurable-http-proxy"


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass
class Hub:
    url: str
    log: Path
    env: dict[str, str]  # the KK_* settings it runs with (deploy/add-user needs them too)

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-60:])


def leftover_cgroups(machine: Machine) -> list[Path]:
    """Cgroups of this run's servers and formgrader (course.serverlimits) that still exist."""
    group = Cgroup.named("x")
    if group is None:
        return []
    names = [f"{SERVER_PREFIX}{machine.prefix}*", f"{SERVICE_PREFIX}{machine.prefix}*"]
    return [p for d in group.directories() for n in names for p in d.parent.glob(n)]


@contextmanager
def running_hub(machine: Machine, limits: dict[str, str] | None = None) -> Iterator[Hub]:
    """``jupyterhub -f deploy/jupyterhub_config.py`` as root, on ports of its own;
    ``limits``: KK_SERVER_*/KK_GRADER_* settings of the servers' cgroups."""
    port, hub_port, proxy_port, service_port = free_ports(4)
    hub_dir = machine.base / "hub"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_", "KK_"))}
    env.update(
        KK_LEARNER_GROUP=machine.learner_group,
        KK_TRAINER_GROUP=machine.trainer_group,
        KK_GRADER=machine.grader.name,
        KK_COURSE_DIR=str(machine.course),
        KK_JUPYTER_ETC=str(machine.etc),
        KK_HUB_DIR=str(hub_dir),
        KK_HUB_IP="127.0.0.1",
        KK_HUB_PORT=str(port),
        KK_HUB_API_PORT=str(hub_port),
        KK_PROXY_API_PORT=str(proxy_port),
        KK_SERVICE_PORT=str(service_port),
        PATH=f"{HUB_BIN.parent}:/usr/local/bin:/usr/bin:/bin",
        **(limits or {}),
    )
    log = machine.base / "jupyterhub.log"
    hub_dir.mkdir(mode=0o700)
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(HUB_BIN), "-f", str(REPO / "deploy" / "jupyterhub_config.py")],
            cwd=hub_dir, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    settings = {k: v for k, v in env.items() if k.startswith("KK_")}
    hub = Hub(f"http://127.0.0.1:{port}", log, settings)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"jupyterhub exited ({proc.returncode}):\n{hub.log_tail()}")
            try:
                if requests.get(f"{hub.url}/hub/api", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"jupyterhub did not answer in 90 s:\n{hub.log_tail()}")
            time.sleep(0.5)
        yield hub
    finally:
        proc.terminate()  # the hub stops the servers it spawned and its proxy
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
        for path in leftover_cgroups(machine):  # only after a hub that had to be killed
            Cgroup({"x": path}, 1).remove()
        artifacts = REPO / "test-artifacts"  # gitignored; kept for reading after a failure
        artifacts.mkdir(exist_ok=True)
        shutil.copy(log, artifacts / "workshop-jupyterhub.log")


class Browser:
    """One person's browser session on the hub (cookies, XSRF tokens, OAuth redirects)."""

    def __init__(self, hub: Hub, name: str, password: str) -> None:
        self.hub = hub
        self.name = name
        self.session = requests.Session()
        self.session.get(f"{hub.url}/hub/login", timeout=30)
        r = self.session.post(
            f"{hub.url}/hub/login?next=",
            data={"username": name, "password": password, "_xsrf": self._xsrf("/hub/")},
            allow_redirects=False, timeout=60,
        )
        if r.status_code != 302:
            raise AssertionError(f"login of {name} failed ({r.status_code}):\n{hub.log_tail()}")

    def _xsrf(self, path: str) -> str:
        matching = [
            c for c in self.session.cookies
            if c.name == "_xsrf" and path.startswith(c.path.rstrip("/") + "/")
        ]
        return max(matching, key=lambda c: len(c.path)).value if matching else ""

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.hub.url + path, timeout=60, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        xsrf = self._xsrf(path)
        headers = {"X-XSRFToken": xsrf, **kwargs.pop("headers", {})}
        return self.session.post(self.hub.url + path, headers=headers, timeout=120, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        headers = {"X-XSRFToken": self._xsrf(path)}
        return self.session.delete(self.hub.url + path, headers=headers, timeout=60, **kwargs)

    def patch(self, path: str, **kwargs) -> requests.Response:
        headers = {"X-XSRFToken": self._xsrf(path)}
        return self.session.patch(self.hub.url + path, headers=headers, timeout=60, **kwargs)

    def put(self, path: str, **kwargs) -> requests.Response:
        headers = {"X-XSRFToken": self._xsrf(path)}
        return self.session.put(self.hub.url + path, headers=headers, timeout=60, **kwargs)

    def start_server(self, timeout: float = 120) -> None:
        r = self.post(f"/hub/api/users/{self.name}/server")
        assert r.status_code in (201, 202, 400), r.text  # 400: already running
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.get(f"/hub/api/users/{self.name}").json()
            server = model.get("servers", {}).get("")
            if server and server.get("ready"):
                # open it once: the OAuth round trip gives this browser the server's cookie
                assert self.get(f"/user/{self.name}/lab").status_code == 200
                return
            time.sleep(0.5)
        raise AssertionError(f"server of {self.name} not ready:\n{self.hub.log_tail()}")

    def run_code(self, code: str, timeout: float = 90) -> str:
        """Execute ``code`` in a new kernel of the user's server; its printed output."""
        import websocket

        base = f"/user/{self.name}/api/kernels"
        kernel = self.post(base, json={"name": "python3"})
        assert kernel.status_code == 201, kernel.text
        kernel_id = kernel.json()["id"]
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.session.cookies)
        ws = websocket.create_connection(
            self.hub.url.replace("http", "ws", 1) + f"{base}/{kernel_id}/channels",
            header=[f"Cookie: {cookies}"], timeout=timeout,
        )
        msg_id = uuid.uuid4().hex
        ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": self.name,
                       "session": uuid.uuid4().hex, "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": False,
                        "user_expressions": {}, "allow_stdin": False},
        }))
        out = []
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                msg = json.loads(ws.recv())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = msg["msg_type"]
                if kind == "stream":
                    out.append(msg["content"]["text"])
                elif kind == "error":
                    out.append("\n".join(msg["content"]["traceback"]))
                elif kind == "status" and msg["content"]["execution_state"] == "idle":
                    break
        finally:
            ws.close()
            self.session.delete(
                self.hub.url + f"{base}/{kernel_id}",
                headers={"X-XSRFToken": self._xsrf(base)}, timeout=30,
            )
        return "".join(out)
