"""nbgrader plug-ins of the course (loaded from ``nbgrader_config.py``).

``HideTestsInFeedback`` runs when feedback is generated, by command or in formgrader:
the learner's feedback shows points and the messages of the test cells, but not the
hidden test code, neither in the cell source nor in a traceback that quotes it.
"""

from __future__ import annotations

import re

from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

HIDDEN = re.compile(r"[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", re.S)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
PLACEHOLDER = "# (Versteckte Tests – der Code bleibt verborgen, die Meldungen siehst du unten.)\n"


def strip_hidden(source: str) -> str:
    return HIDDEN.sub(PLACEHOLDER, source)


def is_test_cell(cell: NotebookNode) -> bool:
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


class HideTestsInFeedback(NbGraderPreprocessor):
    """Remove hidden test code and shorten tracebacks of test cells to their message."""

    def preprocess_cell(self, cell, resources, cell_index):  # noqa: ANN001, ANN201
        if is_test_cell(cell):
            cell.source = strip_hidden(cell.source)
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    message = f"{output.get('ename', 'Fehler')}: {output.get('evalue', '')}"
                    output["traceback"] = [ANSI.sub("", message)]
        return cell, resources
