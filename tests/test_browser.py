"""A learner in a real browser: JupyterLab from ./start, headless chromium, playwright."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from course.content import Classification, load_quizzes

from .browser_lab import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    TOKEN,
    learner_lab,
    run_all,
    wait_for_kernel,
)

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")

if not Path(CHROMIUM).exists():  # ./run-tests installs it; a bare pytest run may not have it
    pytest.skip("Debian chromium is not installed (run ./run-tests)", allow_module_level=True)


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_first_screen_is_the_start_page(tmp_path: Path, browser) -> None:  # noqa: ANN001
    """Does JupyterLab open on the course's start notebook, with no dialog or pop-up in the way?"""
    with learner_lab(tmp_path) as lab:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{lab.url}/?token={TOKEN}")
        title = page.locator(".jp-RenderedMarkdown h1", has_text="Willkommen zum Kurs")
        title.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        assert page.locator(".jp-Dialog").count() == 0, "a dialog (kernel picker?) is in the way"
        assert page.locator(".jp-Notification-Toast, .Toastify__toast").count() == 0
        assert page.locator(".lm-MenuBar-itemLabel:text-is('Nbgrader')").count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "start-page.png"))


def test_four_ears_quiz_wrong_then_right(tmp_path: Path, browser) -> None:  # noqa: ANN001
    """Run All in module 03, answer the four-ears quiz wrong, see hints, answer right, see ✓."""
    quiz = load_quizzes("03_vier_ohren")["drucker_ohren"]
    assert isinstance(quiz, Classification)
    with learner_lab(tmp_path) as lab:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(lab.open("03_vier_ohren/03_vier_ohren.ipynb"))
        wait_for_kernel(page)
        run_all(page)
        widget = page.locator(".kurs-quiz").first
        widget.wait_for(timeout=60_000)
        selects = widget.locator("select")
        assert selects.count() == len(quiz.items)
        for n, item in enumerate(quiz.items):
            wrong = "Appell" if item.answer != "appell" else "Sachinhalt"
            selects.nth(n).select_option(label=wrong)
        widget.locator("button", has_text="Prüfen").click()
        widget.locator(".kurs-line", has_text=quiz.items[0].hint).wait_for(timeout=10_000)
        assert "Noch nicht ganz" in widget.inner_text()
        for n, item in enumerate(quiz.items):
            selects.nth(n).select_option(label=quiz.categories[item.answer])
        widget.locator("button", has_text="Prüfen").click()
        widget.locator(".kurs-line", has_text="Alles richtig – sehr gut!").wait_for(timeout=10_000)
        widget.scroll_into_view_if_needed()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "vier-ohren-quiz.png"))
        shutil.copy(lab.folder / "Start.ipynb", tmp_path / "start-copy.ipynb")
