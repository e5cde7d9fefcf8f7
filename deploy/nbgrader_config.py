"""nbgrader configuration of the classroom workshop (one machine, nbgrader's exchange).

``deploy/setup-workshop`` installs this file as ``/etc/jupyter/nbgrader_config.py``, so
every account on the machine (learners, trainers, the grading account) reads it. It
adds only what the exchange needs; the course itself (stubs, timeout, feedback without
hidden tests) stays in the course root's ``nbgrader_config.py`` that the grading account
works in. The exchange root must exist with mode 1777 (sticky: nobody renames or
removes another account's folder in it); ``setup-workshop`` creates it.
"""

import os

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "kundenkommunikation"
c.Exchange.root = "/srv/nbgrader/exchange"

# Under JupyterHub (the hub gives every server and service an API token) nbgrader asks
# the hub who belongs to the course: learners are in the hub group
# "nbgrader-kundenkommunikation", trainers and the grading account in
# "formgrade-kundenkommunikation". Outside the hub (a terminal on the machine) every
# account may fetch and submit, as with nbgrader's default.
if os.environ.get("JUPYTERHUB_API_TOKEN"):
    from nbgrader.auth import JupyterHubAuthPlugin

    c.Authenticator.plugin_class = JupyterHubAuthPlugin
