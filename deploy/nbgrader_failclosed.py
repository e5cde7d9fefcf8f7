"""Fail-closed base layer of nbgrader's configuration (no course code needed).

``scripts/setup-venv`` and ``scripts/setup-hub`` install this file as
``<venv>/etc/jupyter/nbgrader_config.py``. nbgrader reads it before the course root's
``nbgrader_config.py``; that file (``course.nbgrader_ext.configure``) replaces these
settings with the sandbox and the trusted scorer. If the course's file cannot be loaded
at all (a syntax error, a broken import, a learner's trick), traitlets only logs the error
and nbgrader would grade with its defaults: without sandbox, without trusted scoring.
With this layer it refuses instead.
"""

from nbgrader.preprocessors import NbGraderPreprocessor

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

REASON = ("Die Kurskonfiguration (nbgrader_config.py im Kursordner) wurde nicht geladen – "
          "ohne Sandbox und vertrauenswürdige Bewertung wird nicht bewertet. "
          "The course's nbgrader_config.py did not load; grading refused.")


class RefuseUnconfigured(NbGraderPreprocessor):
    def preprocess(self, nb, resources):  # noqa: ANN001, ANN201
        raise RuntimeError(REASON)


c.Autograde.sanitize_preprocessors = [RefuseUnconfigured]
c.Autograde.autograde_preprocessors = [RefuseUnconfigured]
c.GenerateFeedback.preprocessors = [RefuseUnconfigured]
