"""nbgrader configuration of the course (the course root is this file's folder)."""

import os

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import GetGrades

from course import sandbox
from course.nbgrader_ext import HideTestsInFeedback

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "kundenkommunikation"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

# Learners' code runs in a bubblewrap sandbox: no gradebook, no other submissions, no
# network, limited processes and memory. This holds for formgrader's buttons as well.
sandbox.configure(c, c.CourseDirectory.root)

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

# Feedback never shows hidden tests (this also holds for formgrader's button).
c.GenerateFeedback.preprocessors = [GetGrades, HideTestsInFeedback, CSSHTMLHeaderPreprocessor]
