"""Server extension of the learner's JupyterLab: a bare ``/lab`` opens the start page.

Without it ``/lab`` shows the Launcher (Console, Terminal, …), which is no place to begin
the course. ``/lab/tree/<notebook>`` and workspace URLs are left alone. Enabled in
``jupyter-config/learner/jupyter_server_config.json`` (what ``./start`` uses).
"""

from __future__ import annotations

from typing import Any

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join

START = "Start.ipynb"


class ToStartPage(JupyterHandler):
    def get(self) -> None:
        query = f"?{self.request.query}" if self.request.query else ""
        self.redirect(url_path_join(self.base_url, "lab", "tree", START) + query)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "course.lab_landing"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    web_app = serverapp.web_app
    pattern = url_path_join(web_app.settings["base_url"], "lab/?")
    web_app.add_handlers(".*$", [(pattern, ToStartPage)])
