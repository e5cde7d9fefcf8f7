"""The workshop learner's JupyterLab: the same defaults as the learner's own (``./start``).

JupyterHub puts this folder first on ``JUPYTER_CONFIG_PATH`` for learners' servers
(``deploy/jupyterhub_config.py``), so this file and ``jupyter_server_config.json`` beside it
are read by every learner's server. Here: JupyterLab's settings defaults come from
``jupyter-config/learner/overrides.json`` of this repository (German UI from the language
pack, no news pop-up, wrapped lines in code cells). The JSON file switches the server
extensions: the Assignment List on, nbgrader's Validate off, ``course.workshop_lab`` on.
"""

from pathlib import Path

c = get_config()  # noqa: F821 (provided by the Jupyter server when it loads this file)

REPO = Path(__file__).resolve().parents[2]
c.LabApp.app_settings_dir = str(REPO / "jupyter-config" / "learner")
