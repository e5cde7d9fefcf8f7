"""Plots with a text description (course.figures): what the alt text says, and that the
grader's views keep the plain picture."""

from __future__ import annotations

import html
import re

import matplotlib
import pytest
from nbformat import NotebookNode

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from course import figures, inert  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():  # noqa: ANN202
    yield
    plt.close("all")


def test_line_plot_is_described_with_its_values() -> None:
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3, 4], [0.4, 0.4545, 2 / 3, 0.9], marker="o")
    ax.set_title("Ruhige Reaktionen je Woche")
    ax.set_xlabel("Woche")
    ax.set_ylabel("Anteil")
    text = figures.describe(fig)
    assert text == ("Diagramm „Ruhige Reaktionen je Woche“. Waagerecht: Woche, senkrecht: "
                    "Anteil. Linie: Woche 1: 0,4; Woche 2: 0,45; Woche 3: 0,67; Woche 4: 0,9.")


def test_bars_with_categories_and_an_empty_figure() -> None:
    fig, ax = plt.subplots()
    ax.bar(["Telefon", "Chat"], [3, 5])
    assert figures.describe(fig) == "Diagramm ohne Titel. Balken: Telefon: 3; Chat: 5."
    empty, _ = plt.subplots()
    assert figures.describe(empty).endswith("Noch keine Daten eingezeichnet.")
    assert figures.describe(plt.figure()) == "Leere Abbildung: noch kein Diagramm."


def test_long_series_is_summarised() -> None:
    fig, ax = plt.subplots()
    ax.plot(range(40), [x / 10 for x in range(40)])
    assert "Linie mit 40 Werten zwischen 0 und 3,9." in figures.describe(fig)


def test_figure_html_is_an_image_with_the_description_as_alt() -> None:
    fig, ax = plt.subplots()
    ax.bar([1, 2], [1, 2])
    ax.set_title('Quote " <b>')
    page = figures.figure_html(fig)
    match = re.fullmatch(r'<img class="kurs-figur" alt="([^"]*)" src="data:image/png;base64,'
                         r'[A-Za-z0-9+/=]+">', page)
    assert match, page[:200]
    assert html.unescape(match.group(1)) == figures.describe(fig)


def test_grader_views_keep_the_png_of_a_described_figure() -> None:
    fig, ax = plt.subplots()
    ax.plot([1, 2], [1, 2])
    out = NotebookNode(output_type="display_data", metadata={}, data={
        "text/html": figures.figure_html(fig), "image/png": "iVBORw0KGgo=",
        "text/plain": "<Figure>"})
    inert.inert_output(out)
    assert "text/html" not in out.data and out.data["image/png"] == "iVBORw0KGgo="
    other = NotebookNode(output_type="display_data", metadata={}, data={
        "text/html": "<b>x</b><script>1</script>", "image/png": "iVBORw0KGgo="})
    inert.inert_output(other)
    assert other.data["text/html"] == "<b>x</b>", "other HTML is cleaned, not dropped"
