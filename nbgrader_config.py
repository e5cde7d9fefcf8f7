"""nbgrader configuration of the course (the course root is this file's folder).

Everything that makes grading trustworthy (sandbox kernel, scoring outside the learner's
kernel, hidden tests kept out of feedback) is set by ``course.nbgrader_ext.configure``.
If that cannot run, autograding is switched off here: no sandbox, no grading.
"""

import os
import sys

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "kundenkommunikation"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

try:
    from course.nbgrader_ext import configure

    configure(c, c.CourseDirectory.root)
except SystemExit:
    raise
except Exception as err:  # fail closed: traitlets would log this and grade without sandbox
    from nbgrader.preprocessors import NbGraderPreprocessor

    REASON = (f"Das Kurspaket `course` fehlt oder ist defekt ({type(err).__name__}: {err}) – "
              "ohne Sandbox und vertrauenswürdige Bewertung wird nicht bewertet. "
              "The course package cannot be loaded; grading refused.")

    class RefuseGrading(NbGraderPreprocessor):
        def preprocess(self, nb, resources):
            raise RuntimeError(REASON)

    c.Autograde.sanitize_preprocessors = [RefuseGrading]
    c.Autograde.autograde_preprocessors = [RefuseGrading]
    c.GenerateFeedback.preprocessors = [RefuseGrading]
    if "autograde" in sys.argv:
        raise SystemExit(f"!!! ABBRUCH: {REASON}") from None

# German stubs in the student version. The code stub does not raise, so "Run All"
# in an unanswered notebook still reaches every practice quiz.
c.ClearSolutions.code_stub = {"python": "# DEINE LÖSUNG HIER"}
c.ClearSolutions.text_stub = "DEINE ANTWORT HIER"

# Autograding: a learner's endless loop costs that notebook 20 s, not the class.
c.Execute.timeout = 20
c.Execute.shutdown_kernel = "immediate"
c.Execute.error_on_timeout = {
    "ename": "Zeitüberschreitung",
    "evalue": "Die Zelle lief länger als 20 Sekunden und wurde abgebrochen.",
    "traceback": ["Zeitüberschreitung: Die Zelle lief länger als 20 Sekunden."],
}
