"""Server extension of the workshop learner's JupyterLab (``deploy/jupyter-learner/``).

In a workshop the modules come through nbgrader's Assignment List (fetch, submit, fetch
feedback); the JupyterLab around it is the same German one ``./start`` opens (settings
from ``jupyter-config/learner/``, read through ``jupyter_server_config.py`` there). This
extension adds what nbgrader's plug-ins do not:

* the course's start page in the learner's home, delivered as ``./start`` delivers it (a
  page the learner changed stays theirs), and a bare ``/lab`` (the hub's default URL)
  opens it: module overview, how to hand in, the honest check, progress;
* the honest check (:mod:`course.handin`) as nbgrader's ``/assignments/validate``:
  nbgrader's own Validate reported "Success! Your notebook passes all the tests." for
  wrong answers, because the visible test cells only import. Its buttons are hidden (the
  notebook toolbar's by the page config, the Assignment List's by ``custom/custom.css``
  served here); should one still be pressed, it reports what is missing or malformed in
  German and never a pass;
* ``KURS_WORKSHOP`` for the kernels: no self-study grading on the start page.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import Any

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

from course import handin, learner
from course.lab_landing import ToStartPage

# nbgrader's Assignment List: the Validate button of each fetched notebook.
CSS = """/* course.workshop_lab: nbgrader's Validate said "Success!" for wrong answers.
   The honest check is on the start page ("Vor der Abgabe prüfen"). */
#fetched_assignments_list .nested_list_item .item_status button,
.jp-Notebook-toolbarCell .validate-button,
.jp-NotebookPanel-toolbar .validate-button { display: none !important; }
"""


def check_lines(root: Path, path: str, repo: Path = learner.REPO) -> list[str]:
    """The honest check of the notebook at ``path`` (relative to ``root``), as lines."""
    notebook = (root / path).resolve()
    if not notebook.is_relative_to(root.resolve()):
        raise web.HTTPError(403, "path outside the learner's folder")
    module = notebook.stem
    delivered = repo / "release" / module / f"{module}.ipynb"
    if not delivered.is_file():
        return [f"{notebook.name}: kein Modul dieses Kurses – hier gibt es nichts zu prüfen."]
    if not notebook.is_file():
        return [f"{notebook.name}: Das Notebook fehlt. Speichere es zuerst (Strg + S)."]
    return handin.check(notebook, delivered).lines()


class HonestValidate(JupyterHandler):
    """``POST /assignments/validate`` in the format nbgrader's dialog shows, never "passed"."""

    def initialize(self, root: Path) -> None:
        self.root = root

    @web.authenticated
    def post(self) -> None:
        try:
            path = self.get_argument("path")
        except web.MissingArgumentError:
            path = str((self.get_json_body() or {}).get("path", ""))
        head, *rest = check_lines(self.root, path)
        failed = {"source": head, "error": html.escape("\n".join(rest))}
        self.finish(json.dumps({"success": True, "value": {"failed": [failed]}}))


class WorkshopCss(JupyterHandler):
    @web.authenticated
    def get(self) -> None:
        self.set_header("Content-Type", "text/css; charset=utf-8")
        self.finish(CSS)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "course.workshop_lab"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    os.environ[learner.WORKSHOP_ENV] = "1"  # inherited by every kernel of this server
    root = Path(serverapp.root_dir).expanduser()
    try:
        for line in learner.sync(root, only=[learner.START]).lines():
            serverapp.log.info("Kurs: %s", line)
    except OSError as err:
        serverapp.log.warning("Kurs: Startseite nicht geliefert: %s", err)
    base = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(".*$", [
        (url_path_join(base, "lab/?"), ToStartPage),
        (url_path_join(base, "assignments/validate"), HonestValidate, {"root": root}),
        (url_path_join(base, "custom/custom.css"), WorkshopCss),
    ])
