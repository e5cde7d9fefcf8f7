"""nbgrader plug-ins of the course and the configuration that wires them in.

``configure`` is called from ``nbgrader_config.py`` and so holds for every path nbgrader
takes: the command line, formgrader's buttons and ``./grade``.

- Learners' code runs in the bubblewrap sandbox kernel (``course.sandbox``).
- Test cells are scored in the grader's process (``course.trusted``), never in the
  learner's kernel; without sandbox or scorer, autograding refuses to run (fail closed).
- ``nbgrader collect`` takes only folders a learner's own account handed in, with a time no
  earlier than the folder exists (``course.exchange``).
- ``HideTestsInFeedback`` runs when feedback is generated: the learner's feedback shows
  points and the messages of the test cells, but not the hidden test code, neither in the
  cell source nor in a traceback that quotes it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from jinja2 import pass_context as contextfilter
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    NbGraderPreprocessor,
    OverwriteCells,
    OverwriteKernelspec,
)

from course import sandbox
from course.exchange import CheckedCollect
from course.inert import InertOutputs
from course.limits import LimitedExecute
from course.trusted import (
    RefuseGrading,
    SealTests,
    TrustedSaveAutoGrades,
    TrustedScore,
    is_test_cell,
    strip_hidden,
)

ANSI = re.compile(r"\x1b\[[0-9;]*m")

SANITIZE = [ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, SealTests,
            CheckCellMetadata]
AUTOGRADE = [LimitedExecute, InertOutputs, IgnorePattern, ClearMetadataPreprocessor,
             LimitOutput, TrustedScore, TrustedSaveAutoGrades, AssignLatePenalties,
             CheckCellMetadata]


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


NO_ALT = re.compile(r"<img(?![^>]*\salt=)")
ALT = '<img alt="No description has been provided for this image"'  # nbconvert's own text


class FeedbackExporter(HTMLExporter):
    """nbconvert's HTML exporter for the feedback pages, without its BeautifulSoup pass and
    without rendering the same cell twice.

    HTMLExporter parses every page it wrote and writes it out again (a third of a feedback
    page's cost) only to give images without alt text nbconvert's default text and to
    make JupyterLab-template cells focusable. The feedback template is the classic one,
    which has no such cells; the alt text is added here to the ``<img`` tags that lack it
    (the page's markup comes from the template, every text in it escaped).

    The learners of one run share most cells (the instructor's text and code), so each
    distinct Markdown source and code cell is rendered once per exporter.
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._rendered: dict[tuple[Any, ...], str] = {}

    def from_notebook_node(  # type: ignore[override]
            self, nb: Any, resources: dict[str, Any] | None = None, **kw: Any) -> tuple[str, Any]:
        # HTMLExporter.from_notebook_node up to its BeautifulSoup pass (nbconvert 7.17)
        info = nb.metadata.get("language_info", {})
        lexer = info.get("pygments_lexer", info.get("name", None))
        highlight = self.filters.get("highlight_code",
                                     Highlight2HTML(pygments_lexer=lexer, parent=self))
        self.register_filter("highlight_code", self._once(highlight, lexer))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return NO_ALT.sub(ALT, page), resources

    def _once(self, highlight: Any, lexer: str | None) -> Any:
        def highlight_code(source: str, language: str | None = None,
                           metadata: Any = None) -> str:
            key = ("code", lexer, source, language, (metadata or {}).get("magics_language"))
            if key not in self._rendered:
                self._rendered[key] = highlight(source, language, metadata)
            return self._rendered[key]
        return highlight_code

    @contextfilter
    def markdown2html(self, context: Any, source: str) -> str:
        if context.get("cell", {}).get("attachments") or self.embed_images:
            return super().markdown2html(context, source)  # depends on more than the text
        key = ("markdown", source)
        if key not in self._rendered:
            self._rendered[key] = super().markdown2html(context, source)
        return self._rendered[key]


def autograde_cli() -> bool:
    """Is this process ``nbgrader autograde`` on the command line?"""
    return Path(sys.argv[0]).name in {"nbgrader", "__main__.py"} and "autograde" in sys.argv


def refuse(c: Any, reason: str) -> None:
    """No autograding in this process: the command stops, formgrader's button fails."""
    c.Autograde.sanitize_preprocessors = [RefuseGrading]
    c.Autograde.autograde_preprocessors = [RefuseGrading]
    c.RefuseGrading.reason = reason
    if autograde_cli():
        raise SystemExit(f"!!! ABBRUCH: {reason}")


def trusted(config: Any) -> bool:
    """Does a loaded nbgrader config grade with the sandbox and the trusted scorer?"""
    autograde = config.get("Autograde", {})
    return (config.get("Execute", {}).get("kernel_name") == sandbox.KERNEL_NAME
            and TrustedScore in autograde.get("autograde_preprocessors", [])
            and SealTests in autograde.get("sanitize_preprocessors", []))


def configure(c: Any, course_root: str) -> None:
    """Sandbox kernel, trusted scoring and hidden tests in feedback, for every nbgrader path."""
    sandbox.configure(c)
    c.ExchangeFactory.collect = CheckedCollect
    c.Autograde.sanitize_preprocessors = SANITIZE
    c.Autograde.autograde_preprocessors = AUTOGRADE
    c.GenerateFeedback.preprocessors = [GetGrades, InertOutputs, HideTestsInFeedback,
                                        CSSHTMLHeaderPreprocessor]
    c.GenerateFeedback.exporter_class = FeedbackExporter
    try:
        sandbox.check()
    except sandbox.SandboxUnavailable as err:
        refuse(c, str(err))
