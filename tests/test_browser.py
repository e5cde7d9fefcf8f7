"""Learners in a real browser: JupyterLab from `python -m course.learner`, headless chromium.

One JupyterLab server and one browser serve all tests. Every module gets the same check:
Run All, answer its first choice or classification quiz wrong, read the hint, answer right.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from course.content import Classification, SingleChoice, load_quizzes

from .browser_lab import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    TOKEN,
    Lab,
    learner_lab,
    run_all,
    wait_for_kernel,
)
from .conftest import MODULES

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")

if not Path(CHROMIUM).exists():  # ./run-tests installs it; a bare pytest run may not have it
    pytest.skip("Debian chromium is not installed (run ./run-tests)", allow_module_level=True)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with learner_lab(tmp_path_factory.mktemp("lab")) as running:
        yield running


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, lab: Lab):  # noqa: ANN001, ANN201
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    yield page
    page.close()
    # Free the kernels this test started, so the module-wide server stays light.
    url = f"{lab.url}/api/kernels?token={TOKEN}"
    for kernel in json.load(urllib.request.urlopen(url)):
        req = urllib.request.Request(f"{lab.url}/api/kernels/{kernel['id']}?token={TOKEN}",
                                     method="DELETE")
        urllib.request.urlopen(req)


def _shot(page, name: str) -> None:  # noqa: ANN001
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def test_first_screen_is_the_start_page(page, lab: Lab) -> None:  # noqa: ANN001
    """Does JupyterLab open on the course's start notebook, with no dialog or pop-up in the way?"""
    page.goto(f"{lab.url}/?token={TOKEN}")
    title = page.locator(".jp-RenderedMarkdown h1", has_text="Willkommen zum Kurs")
    title.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    assert page.locator(".jp-Dialog").count() == 0, "a dialog (kernel picker?) is in the way"
    assert page.locator(".jp-Notification-Toast, .Toastify__toast").count() == 0
    assert page.locator(".lm-MenuBar-itemLabel:text-is('Nbgrader')").count() == 0
    _shot(page, "start-page.png")


def first_practice_quiz(module: str) -> SingleChoice | Classification:
    for quiz in load_quizzes(module).values():
        if isinstance(quiz, SingleChoice | Classification):
            return quiz
    raise AssertionError(f"{module} has no single-choice or classification quiz")


def _answer_single(widget, quiz: SingleChoice, right: bool) -> None:  # noqa: ANN001
    index = next(n for n, o in enumerate(quiz.options) if o.correct == right)
    widget.get_by_role("radio", name=quiz.options[index].text, exact=True).check()


def _answer_classification(widget, quiz: Classification, right: bool) -> None:  # noqa: ANN001
    selects = widget.locator("select")
    assert selects.count() == len(quiz.items)
    other = list(quiz.categories)
    for n, item in enumerate(quiz.items):
        pick = item.answer if right else next(c for c in other if c != item.answer)
        selects.nth(n).select_option(label=quiz.categories[pick])


@pytest.mark.parametrize("module", MODULES)
def test_quiz_wrong_then_right(page, lab: Lab, module: str) -> None:  # noqa: ANN001
    """Run All, answer a quiz wrong and see the explanation, answer right and see the ✓."""
    quiz = first_practice_quiz(module)
    page.goto(lab.open(f"{module}/{module}.ipynb"))
    wait_for_kernel(page)
    run_all(page)
    widget = page.locator(".kurs-quiz", has_text=quiz.question[:40]).first
    widget.wait_for(timeout=60_000)
    widget.scroll_into_view_if_needed()
    answer = _answer_single if isinstance(quiz, SingleChoice) else _answer_classification
    answer(widget, quiz, right=False)
    widget.locator("button", has_text="Prüfen").click()
    if isinstance(quiz, SingleChoice):
        wrong = next(o for o in quiz.options if not o.correct)
        expected_wrong = wrong.explanation[:40]
    else:
        expected_wrong = quiz.items[0].hint[:40]
    widget.locator(".kurs-line", has_text=expected_wrong).wait_for(timeout=10_000)
    answer(widget, quiz, right=True)
    widget.locator("button", has_text="Prüfen").click()
    confirmation = "Richtig!" if isinstance(quiz, SingleChoice) else "Alles richtig – sehr gut!"
    widget.locator(".kurs-line", has_text=confirmation).wait_for(timeout=10_000)
    _shot(page, f"quiz-{module}.png")


def test_rewrite_feedback_per_criterion(page, lab: Lab) -> None:  # noqa: ANN001
    """Type a rude rewrite and see what is missing; type a good one and see it pass."""
    module = "05_deeskalation"
    page.goto(lab.open(f"{module}/{module}.ipynb"))
    wait_for_kernel(page)
    run_all(page)
    widget = page.locator(".kurs-quiz", has_text="Formuliere „Beruhigen Sie sich mal.“").first
    widget.wait_for(timeout=60_000)
    widget.scroll_into_view_if_needed()
    box = widget.locator("textarea")
    box.fill("<b>Jetzt</b> beruhigen Sie sich mal!!!")
    widget.locator("button", has_text="Prüfen").click()
    widget.locator(".kurs-line", has_text="Noch nicht bestanden.").wait_for(timeout=10_000)
    assert "Es fehlt eine Anerkennung" in widget.inner_text()
    assert widget.locator("b", has_text="Jetzt").count() == 0, "learner text must stay text"
    box.fill("Ich verstehe gut, dass Sie sich ärgern. Ich kümmere mich sofort darum.")
    widget.locator("button", has_text="Prüfen").click()
    widget.locator(".kurs-line", has_text="Bestanden!").wait_for(timeout=10_000)
    assert "Du zeigst Verständnis" in widget.inner_text()
    widget.locator("button", has_text="Lösung zeigen").click()
    widget.locator(".kurs-line", has_text="Zum Beispiel:").wait_for(timeout=10_000)
    _shot(page, "rewrite-05.png")
