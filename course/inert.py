"""Learner-written HTML made inert before an instructor or a learner looks at it.

Formgrader's notebook view and the feedback HTML are rendered from the autograded
notebook, so :class:`InertOutputs` cleans that notebook once, right after execution (and
again when feedback is generated, for notebooks graded before): HTML in outputs and in
markdown cells goes through ``nh3`` (the Rust sanitizer ammonia), which drops scripts,
event-handler attributes, ``javascript:`` links, iframes, forms and styles; JavaScript and
SVG outputs are replaced by a note. Text, tables, links and images stay readable.
"""

from __future__ import annotations

import re

import nh3
from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

ACTIVE = ("application/javascript", "text/javascript", "image/svg+xml",
          "application/vnd.jupyter.widget-state+json")
HTML_TYPES = ("text/html", "text/markdown")
REMOVED = "[Aktiver Inhalt (Skript oder SVG) wurde für die Anzeige entfernt.]"
# A markdown link or image whose target runs code when clicked, e.g. [x](javascript:…).
QUOTE = re.compile(r"^(\s*)&gt;", re.M)
FIGURE_MARK = 'class="kurs-figur"'  # course.figures.FIGURE_CLASS (no import: no matplotlib)
SCRIPT_LINK = re.compile(r"\]\(\s*(?:javascript|vbscript|data)\s*:", re.I)


def inert_html(text: str) -> str:
    return nh3.clean(text, link_rel="noopener noreferrer nofollow")


def inert_markdown(text: str) -> str:
    """Markdown with embedded HTML: the HTML is cleaned, markdown syntax kept."""
    text = SCRIPT_LINK.sub("](#", text)
    if "<" not in text:
        return text
    # ammonia escapes "&", "<" and ">" in text; markdown renders the entities the same,
    # except a quote marker at the start of a line, which cannot open a tag anyway
    return QUOTE.sub(r"\1>", inert_html(text))


def _join(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else value


def inert_output(output: NotebookNode) -> None:
    data = output.get("data")
    if not isinstance(data, dict):
        return
    if "image/png" in data and FIGURE_MARK in _join(data.get("text/html", "")):
        # A described figure (course.figures): its <img> holds a data: URL, which cleaning
        # would remove; the PNG beside it shows the same picture.
        del data["text/html"]
    for mime in list(data):
        if mime in ACTIVE or mime.endswith("+javascript"):
            del data[mime]
            data.setdefault("text/plain", REMOVED)
        elif mime in HTML_TYPES:
            data[mime] = inert_html(_join(data[mime]))
    if not data:
        data["text/plain"] = REMOVED


class InertOutputs(NbGraderPreprocessor):
    """Clean every output and every markdown cell of a learner's notebook."""

    def preprocess_cell(self, cell, resources, cell_index):  # noqa: ANN001, ANN201
        if cell.cell_type == "markdown":
            cell.source = inert_markdown(cell.source)
        for output in cell.get("outputs", []):
            inert_output(output)
        return cell, resources
