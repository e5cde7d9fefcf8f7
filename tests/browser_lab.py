"""Start the learner's JupyterLab for a browser test and drive it with headless chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TOKEN = "kurs-test-token"


@dataclass
class Lab:
    url: str
    folder: Path

    def open(self, path: str) -> str:
        """A fresh JupyterLab workspace per notebook, so no other tab is restored beside it."""
        workspace = Path(path).stem.replace("_", "-")
        return f"{self.url}/lab/workspaces/{workspace}/tree/{path}?token={TOKEN}&reset"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _server(tmp_path: Path, args: list[str], env: dict[str, str], folder: Path) -> Iterator[Lab]:
    port = _free_port()
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, *args, "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
         f"--IdentityProvider.token={TOKEN}"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp_path / "lab.log").read_text()) from None
                time.sleep(0.3)
        yield Lab(url, folder)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def _clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_", "KURS"))}
    env.update(HOME=str(home), PATH=f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}")
    return env


@contextmanager
def learner_lab(tmp_path: Path) -> Iterator[Lab]:
    """Run `python -m course.learner` (what ./start runs) on a fresh learner folder."""
    home = tmp_path / "home"
    home.mkdir()
    args = ["-m", "course.learner", "--dir", str(tmp_path / "kurs")]
    with _server(tmp_path, args, _clean_env(home), tmp_path / "kurs") as lab:
        yield lab


@contextmanager
def workshop_lab(tmp_path: Path) -> Iterator[Lab]:
    """A workshop learner's server as JupyterHub starts it: the learner's home as root,
    ``deploy/jupyter-learner/`` first on the config path (deploy/jupyterhub_config.py);
    without the hub's login and exchange."""
    home = tmp_path / "home"
    home.mkdir()
    env = _clean_env(home)
    env["JUPYTER_CONFIG_PATH"] = str(REPO / "deploy" / "jupyter-learner")
    root = ["--allow-root"] if os.geteuid() == 0 else []
    args = ["-m", "jupyterlab", f"--ServerApp.root_dir={home}", *root]
    with _server(tmp_path, args, env, home) as lab:
        yield lab


def wait_for_kernel(page) -> None:  # noqa: ANN001
    page.wait_for_selector(".jp-DebuggerBugButton[aria-disabled='false']", timeout=60_000)


RUN_MENU = ".lm-MenuBar-item:has(.lm-MenuBar-itemLabel:text-is('Ausführen'))"


def run_all(page) -> None:  # noqa: ANN001
    """Ausführen → Alle Zellen ausführen (the learner's JupyterLab is German)."""
    page.click(RUN_MENU)
    page.click(".lm-Menu-item[data-command='runmenu:run-all']")
