"""Learners in a real browser: JupyterLab from `python -m course.learner`, headless chromium.

One JupyterLab server and one browser serve all tests. Every module gets the same check:
Run All, answer its first choice or classification quiz wrong, read the hint, answer right.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from course import learner
from course.content import (
    Classification,
    JargonQuiz,
    Ordering,
    Rewrite,
    SingleChoice,
    load_quizzes,
)
from course.debrief import mood
from course.dialog import (
    ENDING_KINDS,
    Conversation,
    Scenario,
    ending_stats,
    example_path,
    load_scenario,
    replay,
    walks,
)
from course.handin import TEXT_STUB
from course.page import PLEASE_CHOOSE

from .browser_lab import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    TOKEN,
    Lab,
    learner_lab,
    run_all,
    wait_for_kernel,
    workshop_lab,
)
from .conftest import MODULES, REPO
from .nbgrader_course import solutions

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
    # each choice reaches the kernel as its own message; on a busy machine the last one can
    # arrive after the click on "Prüfen" is handled, so give the widget a moment
    widget.page.wait_for_timeout(500)


def _open_widget(page, lab: Lab, module: str, css: str, text: str):  # noqa: ANN001, ANN202
    """Open a module, Run All, and return the first widget ``css`` that shows ``text``."""
    page.goto(lab.open(f"{module}/{module}.ipynb"))
    wait_for_kernel(page)
    run_all(page)
    widget = page.locator(css, has_text=text).first
    widget.wait_for(timeout=60_000)
    widget.scroll_into_view_if_needed()
    return widget


@pytest.mark.parametrize("module", MODULES)
def test_quiz_wrong_then_right(page, lab: Lab, module: str) -> None:  # noqa: ANN001
    """Run All, answer a quiz wrong and see the explanation, answer right and see the ✓."""
    quiz = first_practice_quiz(module)
    widget = _open_widget(page, lab, module, ".kurs-quiz", quiz.question[:40])
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
    widget.locator(".kurs-line", has_text=confirmation).wait_for(timeout=30_000)
    _shot(page, f"quiz-{module}.png")


def test_rewrite_feedback_per_criterion(page, lab: Lab) -> None:  # noqa: ANN001
    """Type a rude rewrite and see what is missing; type a good one and see it pass."""
    widget = _open_widget(page, lab, "05_deeskalation", ".kurs-quiz",
                          "Formuliere „Beruhigen Sie sich mal.“")
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


# --------------------------------------------------------------------------- module 10 simulator

DIALOG_MODULE = "10_abschluss"


def _open_dialog(page, lab: Lab, quiz_id: str):  # noqa: ANN001, ANN202
    """Run All on module 10 and return its simulator widget for ``quiz_id``."""
    quiz = load_quizzes(DIALOG_MODULE)[quiz_id]
    return _open_widget(page, lab, DIALOG_MODULE, ".kurs-dialog", quiz.question[:40])


def _expect_dialog_state(widget, talk: Conversation) -> None:  # noqa: ANN001
    """What the learner sees after the turns of ``talk``: meter, mood, transcript length."""
    s = talk.scenario
    row = widget.locator(".widget-hbox").filter(has=widget.page.locator(".widget-hprogress"))
    state = "Gespräch beendet" if talk.ending else mood(talk.meter, s.meter_max)
    label = f"{talk.meter}/{s.meter_max} – {state}"
    playwright.expect(row).to_have_text(re.compile(rf"^Eskalation:\s*{re.escape(label)}\s*$"))
    width = 100 * talk.meter / s.meter_max  # as the widget's JavaScript writes it
    width_css = f"{width:.0f}" if width == int(width) else repr(width)
    playwright.expect(row.locator(".progress-bar")).to_have_attribute(
        "style", re.compile(rf"width: {re.escape(width_css)}%"))
    # the customer's line per turn, the learner's reply per turn, then the open line or the end
    lines = 2 * len(talk.turns) + 1
    if talk.ending:
        lines += 1 if talk.ending.line else 0
    playwright.expect(widget.locator(".kurs-transcript > p")).to_have_count(lines)


def _play_step(widget, talk: Conversation, step: int | str) -> None:  # noqa: ANN001
    """Choose reply ``step`` (a number) or type it (a text), click „Antworten“, wait for it."""
    node = talk.node
    assert node is not None
    if isinstance(step, int):
        name = f"{step}. {node.choices[step - 1].text}"
        radio = widget.get_by_role("radio", name=name, exact=True)
        # Click the reply's text, as a learner does: a long reply wraps onto the options below
        # it, which then cover its round button (see test_dialog_long_replies_stay_readable).
        text = widget.page.get_by_role("radio", name=name, exact=True)
        widget.locator(".widget-radio-box label").filter(has=text).click()
        playwright.expect(radio).to_be_checked()
        talk.choose(step)
    else:
        box = widget.get_by_placeholder(f"Deine Antwort an {talk.scenario.customer} …")
        box.fill(step)
        talk.answer(step)
    widget.get_by_role("button", name="Antworten").click()
    _expect_dialog_state(widget, talk)


def _watch_js_errors(page) -> list[str]:  # noqa: ANN001
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    return errors


def _assert_no_error_shown(page, errors: list[str]) -> None:  # noqa: ANN001
    assert errors == [], f"JavaScript errors on the page: {errors}"
    assert page.locator(".jp-Dialog").count() == 0, page.locator(".jp-Dialog").inner_text()


def _shot_dialog(page, widget, name: str) -> None:  # noqa: ANN001
    """The whole simulator in one picture: a viewport tall enough for the notebook to show it."""
    ARTIFACTS.mkdir(exist_ok=True)
    height = widget.bounding_box()["height"]
    page.set_viewport_size({"width": 1400, "height": int(height) + 400})
    widget.scroll_into_view_if_needed()
    widget.screenshot(path=str(ARTIFACTS / name))
    page.set_viewport_size({"width": 1400, "height": 1000})


def _solved(lab: Lab) -> dict[str, str]:
    path = lab.folder / ".fortschritt.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))["richtig"].get(DIALOG_MODULE, {})


def test_dialog_resolved_with_free_text(page, lab: Lab) -> None:  # noqa: ANN001
    """Play „Das VPN streikt schon wieder“ to its resolved ending, one turn typed by hand,
    one step taken back; read the debrief and the path line to copy."""
    errors = _watch_js_errors(page)
    s = load_scenario("vpn-wieder")
    ending = next(e for e in s.endings.values() if e.kind == "resolved")
    path = example_path(s, ending_stats(s)[ending.id].example)
    assert any(isinstance(step, str) for step in path), "the path needs a free-text turn"
    widget = _open_dialog(page, lab, "vpn_wieder")
    talk = Conversation(s)
    _expect_dialog_state(widget, talk)
    back = widget.get_by_role("button", name="Schritt zurück")
    playwright.expect(back).to_be_disabled()
    worst = max(range(1, len(s.nodes[s.start].choices) + 1),
                key=lambda n: s.nodes[s.start].choices[n - 1].meter)
    _play_step(widget, talk, worst)  # a reply that drives the meter up …
    assert talk.meter > s.meter_start
    _shot(page, "dialog-before-back.png")
    back.click()  # … taken back: the meter returns to where it started
    talk.back()
    _expect_dialog_state(widget, talk)
    assert talk.meter == s.meter_start
    playwright.expect(back).to_be_disabled()
    for step in path:
        _play_step(widget, talk, step)
        if isinstance(step, str):
            widget.locator(".kurs-transcript", has_text=step).wait_for()
    assert talk.ending == ending

    debrief = widget.locator(".kurs-debrief")
    playwright.expect(debrief).to_be_focused()  # not lost to the page when „Antworten“ ends
    playwright.expect(debrief.locator("h4")).to_have_text(f"Nachbesprechung: {ending.title}")
    playwright.expect(widget.locator(".kurs-ending")).to_have_text(f"Ende: {ending.title}")
    free = next(t for t in talk.turns if isinstance(t.step, str))
    assert free.feedback, "the checker says something about a typed reply"
    checker = debrief.locator(".kurs-checker li")
    playwright.expect(checker).to_have_text([str(line) for line in free.feedback])
    playwright.expect(debrief.locator("table.kurs-debrief-table tr")).to_have_count(
        1 + len(talk.turns))
    plot = debrief.locator("svg.kurs-meterplot")
    playwright.expect(plot).to_be_visible()
    playwright.expect(plot.locator("circle")).to_have_count(len(talk.meters))
    assert plot.get_attribute("aria-label") == "Verlauf der Eskalation: " + ", ".join(
        str(m) for m in talk.meters)
    box = widget.locator("textarea").last
    playwright.expect(box).to_have_value(re.compile(r"^pfad_vpn = \["))
    assert box.input_value() == f"pfad_vpn = {path!r}"
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy = widget.locator("button.kurs-copy")
    playwright.expect(copy).to_have_text("Pfad kopieren")
    copy.click()
    playwright.expect(copy).to_have_text(re.compile(r"^Kopiert ✓"))
    assert page.evaluate("navigator.clipboard.readText()") == f"pfad_vpn = {path!r}"
    playwright.expect(widget.get_by_role("button", name="Antworten")).to_be_disabled()
    assert "vpn_wieder" in _solved(lab), "a resolved ending counts on the start page"
    _assert_no_error_shown(page, errors)
    debrief.scroll_into_view_if_needed()
    _shot(page, "dialog-resolved.png")
    _shot_dialog(page, widget, "dialog-resolved-widget.png")


def _escalating_walk(s: Scenario) -> tuple[list[int | str], int]:
    """A walk to the hang-up that includes a free-text turn answered rudely (R1 false);
    the position of that turn in the path."""
    for walk in sorted(walks(s), key=lambda w: len(w.edges)):
        if s.endings[walk.ending].kind != "hung_up":
            continue
        for n, (node_id, edge) in enumerate(walk.edges):
            free = s.nodes[node_id].free_text
            if free and free.branches[edge].when == {"R1": False}:
                return example_path(s, walk), n
    raise AssertionError(f"{s.id}: no way to the hang-up through a rude free-text reply")


def test_dialog_escalates_and_escapes_html(page, lab: Lab) -> None:  # noqa: ANN001
    """Play „Der Vertriebsleiter und das CRM“ until Herr Schmidt hangs up; the typed reply
    contains HTML, which must show as text."""
    errors = _watch_js_errors(page)
    s = load_scenario("vip-crm")
    path, free_at = _escalating_walk(s)
    path[free_at] = f"<b>{path[free_at]}</b> <i>Basta.</i>"
    expected = replay(s, path)  # the tags do not change the branch the checker picks
    assert expected.ending is not None and expected.ending.kind == "hung_up"
    widget = _open_dialog(page, lab, "vip_crm")
    talk = Conversation(s)
    for step in path:
        _play_step(widget, talk, step)
    assert talk.ending == expected.ending and talk.meters == expected.meters

    transcript = widget.locator(".kurs-transcript")
    playwright.expect(transcript).to_contain_text(path[free_at])  # literally, tags included
    for tag in ("b", "i"):
        assert transcript.locator(tag, has_text="Basta").count() == 0, "learner text is text"
    debrief = widget.locator(".kurs-debrief")
    playwright.expect(debrief).to_contain_text(path[free_at])
    assert debrief.locator("b, i", has_text="Basta").count() == 0
    playwright.expect(debrief.locator("h4")).to_have_text(
        f"Nachbesprechung: {expected.ending.title}")
    playwright.expect(debrief).to_contain_text(f"Ende: {ENDING_KINDS['hung_up']}.")
    playwright.expect(widget.locator(".kurs-ending")).to_have_text(
        f"Ende: {expected.ending.title}")
    bar = widget.locator(".widget-hprogress .progress-bar")
    playwright.expect(bar).to_have_class(re.compile("progress-bar-danger"))
    box = widget.locator("textarea").last
    assert box.input_value() == f"pfad_vip = {path!r}"
    assert "vip_crm" not in _solved(lab), "hanging up does not count as solved"
    _assert_no_error_shown(page, errors)
    debrief.scroll_into_view_if_needed()
    _shot(page, "dialog-escalated.png")
    _shot_dialog(page, widget, "dialog-escalated-widget.png")

    widget.get_by_role("button", name="Neu starten").click()
    talk.restart()
    _expect_dialog_state(widget, talk)
    playwright.expect(debrief).to_have_count(0)
    playwright.expect(widget.locator("textarea").last).to_have_value("pfad_vip = []")
    playwright.expect(widget.get_by_role("button", name="Antworten")).to_be_enabled()
    _assert_no_error_shown(page, errors)


def test_dialog_long_replies_stay_readable(page, lab: Lab) -> None:  # noqa: ANN001
    """Every reply of the first turn fits in its own row, its round button beside it."""
    widget = _open_dialog(page, lab, "vpn_wieder")
    labels = widget.locator(".widget-radio-box label")
    playwright.expect(labels).to_have_count(len(load_scenario("vpn-wieder").nodes["anruf"].choices))
    rows = labels.evaluate_all("""labels => labels.map(label => {
        const box = label.getBoundingClientRect();
        const radio = label.querySelector('input').getBoundingClientRect();
        return {text: label.innerText.slice(0, 30), top: box.top, bottom: box.bottom,
                overflow: label.scrollHeight - label.clientHeight,
                radioInside: radio.top >= box.top - 1 && radio.bottom <= box.bottom + 1,
                radioFirstLine: radio.top <= box.top + 12};
    })""")
    _shot_dialog(page, widget.locator(".widget-radio-box"), "dialog-long-replies.png")
    for row in rows:
        assert row["overflow"] <= 1, f"reply {row['text']!r} does not fit in its row"
        assert row["radioInside"], f"the button of reply {row['text']!r} is outside its row"
        assert row["radioFirstLine"], f"the button of reply {row['text']!r} is not beside it"
    for above, below in itertools.pairwise(rows):
        assert above["bottom"] <= below["top"] + 1, f"{above['text']!r} overlaps the next one"


def test_dialog_is_keyboard_operable(page, lab: Lab) -> None:  # noqa: ANN001
    """Can a learner choose a reply, step back, restart and type a free reply with the
    keyboard alone, without a cell moved or duplicated? A screen reader hears each new
    line, not the transcript."""
    s = load_scenario("vip-crm")
    widget = _open_dialog(page, lab, "vip_crm")
    cells = _cell_texts(page)
    talk = Conversation(s)
    announce = widget.locator(".kurs-announce")
    playwright.expect(announce).to_have_attribute("aria-live", "polite")
    playwright.expect(announce).to_have_attribute("role", "log")
    assert widget.locator(".kurs-transcript").evaluate(
        "t => t.closest('[aria-live]')") is None, "the whole transcript is a live region"
    radios = widget.get_by_role("radio")
    playwright.expect(radios.first).to_have_attribute("data-lm-suppress-shortcuts", "true")
    radios.first.focus()
    page.keyboard.press("Space")  # select reply 1
    playwright.expect(radios.first).to_be_checked()
    page.wait_for_timeout(150)  # at a person's pace: each change reaches the kernel
    page.keyboard.press("ArrowDown")  # the replies are one radio group: arrows move in it
    playwright.expect(radios.nth(1)).to_be_checked()
    page.wait_for_timeout(150)
    answer = widget.get_by_role("button", name="Antworten")
    for _ in range(len(s.nodes[s.start].choices) + 3):  # Tab from the radios to the button
        if answer.evaluate("b => b === document.activeElement"):
            break
        page.keyboard.press("Tab")
    assert answer.evaluate("b => b === document.activeElement"), "Tab never reached Antworten"
    page.keyboard.press("Enter")
    talk.choose(2)
    _expect_dialog_state(widget, talk)
    reply = s.nodes[talk.position].line if talk.node else talk.ending.line
    playwright.expect(announce).to_have_text(f"{s.customer}: {reply}")
    back = widget.get_by_role("button", name="Schritt zurück")
    back.focus()
    page.keyboard.press("Enter")
    talk.back()
    _expect_dialog_state(widget, talk)
    playwright.expect(announce).to_have_text(
        f"Zug zurückgenommen. {s.customer}: {s.nodes[s.start].line}")
    restart = widget.get_by_role("button", name="Neu starten")
    restart.focus()
    page.keyboard.press("Space")
    _expect_dialog_state(widget, Conversation(s))

    # a free-text turn: Shift+Tab from „Antworten“ into the text, type, Tab back, Enter
    s = load_scenario("vpn-wieder")
    widget = page.locator(".kurs-dialog", has_text=load_quizzes(DIALOG_MODULE)[
        "vpn_wieder"].question[:40]).first
    widget.scroll_into_view_if_needed()
    talk = Conversation(s)
    free = next(n for n, c in enumerate(s.nodes[s.start].choices, start=1)
                if c.next in s.nodes and s.nodes[c.next].free_text)
    radios = widget.get_by_role("radio")
    radios.first.focus()
    page.keyboard.press("Space")
    for _ in range(free - 1):
        page.wait_for_timeout(150)
        page.keyboard.press("ArrowDown")
    playwright.expect(radios.nth(free - 1)).to_be_checked()
    page.wait_for_timeout(150)
    answer = widget.get_by_role("button", name="Antworten")
    answer.focus()
    page.keyboard.press("Enter")
    talk.choose(free)
    _expect_dialog_state(widget, talk)
    page.keyboard.press("Shift+Tab")
    box = widget.get_by_placeholder(f"Deine Antwort an {s.customer} …")
    playwright.expect(box).to_be_focused()
    text = "Das ist ärgerlich, dass das VPN wieder streikt. Ich schaue mir das sofort an."
    page.keyboard.type(text, delay=5)
    page.wait_for_timeout(300)
    page.keyboard.press("Tab")
    playwright.expect(answer).to_be_focused()
    page.keyboard.press("Enter")
    talk.answer(text)
    _expect_dialog_state(widget, talk)
    widget.locator(".kurs-transcript", has_text=text).wait_for()
    assert _cell_texts(page) == cells, "a key went to JupyterLab and changed the cells"


# --------------------------------------------------------------------------- the learner's lab

SMALL = {"width": 1024, "height": 768}
AXE = ARTIFACTS / "node" / "node_modules" / "axe-core" / "axe.min.js"  # scripts/setup-axe
ROOTS = ".kurs-quiz, .kurs-dialog, .kurs-abgabe, .kurs-protokoll"


def _cell_texts(page) -> list[str]:  # noqa: ANN001
    """Every cell's input, in order: a duplicated, inserted or moved cell changes it."""
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").evaluate_all(
        "cells => cells.map(c => (c.querySelector('.jp-MarkdownOutput')"
        " || c.querySelector('.jp-InputArea-editor') || c).textContent"
        ".replace(/\\s+/g, ' ').trim().slice(0, 120))")


def test_lab_is_german_and_lands_on_the_start_page(page, lab: Lab) -> None:  # noqa: ANN001
    """Does /lab open the start page (not the Launcher), with German menus, at 1024×768?"""
    page.set_viewport_size(SMALL)
    page.goto(f"{lab.url}/lab?token={TOKEN}")
    page.locator(".jp-RenderedMarkdown h1", has_text="Willkommen zum Kurs").wait_for(
        timeout=60_000)
    assert "/lab/tree/Start.ipynb" in page.url
    menus = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
    assert {"Datei", "Bearbeiten", "Ausführen", "Hilfe"} <= set(menus), menus
    assert page.locator(".jp-Launcher").count() == 0
    wait_for_kernel(page)
    page.wait_for_timeout(1500)  # the kernel's info has arrived: JupyterLab has compared it
    assert page.locator(".lm-TabBar-tab.jp-mod-dirty").count() == 0, "opening changed the page"
    cells = _cell_texts(page)
    code = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell")
    progress = code.nth(code.count() - 1)  # the last one now, not after a cell was added
    progress.locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")  # run the progress cell, as the page says
    progress.locator(".jp-OutputArea-output table").wait_for(timeout=30_000)
    assert _cell_texts(page) == cells, "Shift+Enter on the start page added a cell"
    _shot(page, "lab-start-1024.png")


def _published_copy(tmp_path: Path, rel: str) -> Path:
    """A copy of release/ and home/ with a newer course version of ``rel``."""
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "release", repo / "release")
    shutil.copytree(REPO / "home", repo / "home")
    nb = json.loads((repo / "release" / rel).read_text(encoding="utf-8"))
    nb["cells"][0]["source"] = "# Neue Kursfassung\n"
    (repo / "release" / rel).write_text(json.dumps(nb), encoding="utf-8")
    return repo


def test_opened_and_saved_notebook_still_gets_updates(page, lab: Lab,  # noqa: ANN001
                                                      tmp_path: Path) -> None:
    """Open a module, Run All, save (Strg+S): the file changes on disk, yet the next course
    update replaces it (no .neu.ipynb), because no answer was touched."""
    rel = "07_kundentypen/07_kundentypen.ipynb"
    before = (lab.folder / rel).read_bytes()
    page.goto(lab.open(rel))
    wait_for_kernel(page)
    run_all(page)
    page.locator(".kurs-quiz").first.wait_for(timeout=60_000)
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-MarkdownCell").first.click()
    page.keyboard.press("Control+s")
    for _ in range(50):
        if (lab.folder / rel).read_bytes() != before:
            break
        page.wait_for_timeout(200)
    assert (lab.folder / rel).read_bytes() != before, "JupyterLab did not save the notebook"
    report = learner.sync(lab.folder, _published_copy(tmp_path, rel))
    assert rel in report.updated and rel not in report.kept
    assert "# Neue Kursfassung" in (lab.folder / rel).read_text(encoding="utf-8")
    assert not (lab.folder / "07_kundentypen" / "07_kundentypen.neu.ipynb").exists()
    learner.sync(lab.folder)  # back to the course's own version for the other tests


def _restless_outputs(page) -> list[str]:  # noqa: ANN001
    """Outputs that alarm a learner who has not answered yet: a ✗, a raw True/False/0,
    doubled quotes, an internal key."""
    texts = [t.strip() for t in page.locator(
        ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output").all_inner_texts()]
    return [t for t in texts if "✗" in t or t in {"True", "False", "0", "0.0"}
            or "„„" in t or "““" in t or "Kriterien (" in t]


def _expect_calm_before_answering(page) -> None:  # noqa: ANN001
    """After Run All in an unanswered notebook: notes, but no ✗ and no raw True/False/0."""
    page.set_viewport_size({"width": 1024, "height": 20_000})  # every cell rendered
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    panel.locator(".jp-OutputArea-output", has_text="Noch keine Antwort eingetragen").last.wait_for(
        timeout=60_000)
    assert len(panel.locator(".jp-OutputArea-output").all_inner_texts()) > 5
    assert _restless_outputs(page) == []


def _contrast(css_a: str, css_b: str) -> float:
    """WCAG contrast ratio of two CSS colours ``rgb(r, g, b)``."""
    def luminance(css: str) -> float:
        r, g, b = (int(v) / 255 for v in re.findall(r"\d+", css)[:3])
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((luminance(css_a), luminance(css_b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _pick_by_keyboard(page, select, option: str) -> None:  # noqa: ANN001
    """Focus a dropdown and move to ``option`` with the arrow keys, at a person's pace."""
    options = select.locator("option").evaluate_all(  # ipywidgets writes spaces as &nbsp;
        "os => os.map(o => o.textContent.replace(/\\u00a0/g, ' '))")
    assert option in options, (option, options)
    select.focus()
    for _ in range(options.index(option) - select.evaluate("s => s.selectedIndex")):
        page.keyboard.press("ArrowDown")
        page.wait_for_timeout(120)  # each change reaches the kernel
    assert select.evaluate("s => s.selectedIndex") == options.index(option), option


def _check_by_keyboard(page, box, expected: str) -> None:  # noqa: ANN001
    """Enter on „Prüfen“ and wait for ``expected`` in the quiz's feedback."""
    page.wait_for_timeout(300)
    box.get_by_role("button", name="Prüfen").focus()
    page.keyboard.press("Enter")
    try:
        box.locator(".kurs-line", has_text=expected).wait_for(timeout=10_000)
    except playwright.Error:
        _shot(page, "keyboard-failed.png")
        raise AssertionError(box.locator(".kurs-feedback").inner_text()) from None


def test_quizzes_by_keyboard_alone(page, lab: Lab) -> None:  # noqa: ANN001
    """Module 05 has every kind of practice quiz but the jargon one (own test): single
    choice, ordering and classification (dropdowns, a prompt first) and a rewrite. Arrow
    keys choose within a radio group and a dropdown, letters go into the text, Tab and
    Enter check; no cell is moved or duplicated, feedback sits in a live region; a double
    click opens the reflection answer for typing. nbgrader's English Validate button is
    gone."""
    module = "05_deeskalation"
    quizzes = load_quizzes(module)
    single = next(q for q in quizzes.values() if isinstance(q, SingleChoice))
    widget = _open_widget(page, lab, module, ".kurs-quiz", single.question[:40])
    _expect_calm_before_answering(page)
    page.set_viewport_size(SMALL)
    widget.scroll_into_view_if_needed()
    cells = _cell_texts(page)
    assert page.locator(".jp-Toolbar button", has_text="Validate").count() == 0
    group = widget.get_by_role("radiogroup")
    playwright.expect(group).to_have_count(1)
    radios = group.get_by_role("radio")
    playwright.expect(radios.first).to_have_attribute("data-lm-suppress-shortcuts", "true")
    radios.first.focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    playwright.expect(radios.nth(1)).to_be_checked()
    assert radios.nth(1).evaluate("r => r === document.activeElement")
    page.keyboard.press("Tab")  # one tab stop per group: on to „Prüfen“
    ring = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
        return [document.activeElement.textContent, s.outlineStyle, s.outlineWidth,
                s.outlineColor]; }""")
    assert ring[:3] == ["Prüfen", "solid", "3px"], ring
    assert _contrast(ring[3], "rgb(255, 255, 255)") >= 3, f"focus ring {ring[3]} on white"
    page.keyboard.press("Enter")
    feedback = widget.locator(".kurs-feedback")
    playwright.expect(feedback).to_have_attribute("aria-live", "polite")
    feedback.locator(".kurs-line").first.wait_for(timeout=10_000)

    order = next(q for q in quizzes.values() if isinstance(q, Ordering))
    box = page.locator(".kurs-quiz", has_text=order.question[:40]).first
    box.scroll_into_view_if_needed()
    selects = box.locator("select")
    playwright.expect(selects).to_have_count(len(order.steps))
    for n, step in enumerate(order.steps):
        _pick_by_keyboard(page, selects.nth(n), step.text)
    _check_by_keyboard(page, box, "Alles richtig")

    classify = next(q for q in quizzes.values() if isinstance(q, Classification))
    box = page.locator(".kurs-quiz", has_text=classify.question[:40]).first
    box.scroll_into_view_if_needed()
    selects = box.locator("select")
    playwright.expect(selects.first.locator("option").first).to_have_text(PLEASE_CHOOSE)
    playwright.expect(selects.last).to_have_attribute("data-lm-suppress-shortcuts", "true")
    assert selects.first.get_attribute("aria-label"), "select without a name"
    for n, item in enumerate(classify.items):
        _pick_by_keyboard(page, selects.nth(n), classify.categories[item.answer])
    _check_by_keyboard(page, box, "Alles richtig")

    rewrite = next(q for q in quizzes.values() if isinstance(q, Rewrite))
    box = page.locator(".kurs-quiz", has_text=rewrite.question[:40]).first
    box.scroll_into_view_if_needed()
    box.locator("textarea").focus()
    # letters that are notebook shortcuts in command mode (a, b, m, y, d d, x) stay text
    page.keyboard.type("Ich verstehe gut, dass Sie sich ärgern. Ich kümmere mich sofort "
                       "darum, bis Mittag haben Sie ein Ergebnis.", delay=5)
    page.keyboard.press("Tab")
    assert box.get_by_role("button", name="Prüfen").evaluate(
        "b => b === document.activeElement"), "Tab from the text did not reach „Prüfen“"
    _check_by_keyboard(page, box, "Bestanden!")
    assert _cell_texts(page) == cells, "a key went to JupyterLab and changed the cells"
    _shot(page, "keyboard-05-1024.png")

    # the reflection answer: a double click opens it for typing, the stub gives way
    reflection = page.locator(f"{PANEL} .jp-MarkdownCell", has_text=TEXT_STUB).last
    reflection.scroll_into_view_if_needed()
    index = cells.index(TEXT_STUB)
    reflection.locator(".jp-RenderedMarkdown").dblclick()
    page.wait_for_timeout(400)
    page.keyboard.type("Ab max. dd xy: meine Antwort", delay=5)  # shortcut letters
    after = _cell_texts(page)
    assert after[index] == "Ab max. dd xy: meine Antwort", after[index]
    assert after[:index] + after[index + 1:] == cells[:index] + cells[index + 1:]
    assert page.locator(".jp-Dialog").count() == 0


def _axe(page, roots: str) -> list[dict]:  # noqa: ANN001
    """axe-core on every course widget: violations of impact critical or serious."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async (roots) => {
            const widgets = document.querySelectorAll(roots);
            if (!widgets.length) return [{id: 'no-widgets', impact: 'critical', nodes: []}];
            const r = await axe.run(widgets, {resultTypes: ['violations']});
            return r.violations.filter(v => ['critical', 'serious'].includes(v.impact))
                .map(v => ({id: v.id, impact: v.impact,
                            nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}));
        }""", roots)


PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
# Everything the course puts on the page: its widgets, its text, every cell's output (plots,
# tables). JupyterLab's own chrome (toolbar, editors) is not the course's to fix.
CONTENT = f"{ROOTS}, {PANEL} .jp-RenderedMarkdown, {PANEL} .jp-OutputArea-output"


def _wait_until_all_ran(page) -> None:  # noqa: ANN001
    """Run All is done: every code cell has its execution number."""
    page.wait_for_function(
        """panel => {
            const ps = [...document.querySelectorAll(panel + ' .jp-CodeCell .jp-InputPrompt')];
            return ps.length > 0 && ps.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""", arg=PANEL, timeout=90_000)


def _sideways(page) -> list[str]:  # noqa: ANN001
    """The code cells whose lines run off to the right (the editor scrolls sideways)."""
    return page.locator(f"{PANEL} .jp-CodeCell .cm-scroller").evaluate_all(
        "ss => ss.filter(s => s.scrollWidth - s.clientWidth > 1)"
        ".map(s => s.textContent.slice(0, 60))")


def _expect_described_plots(page) -> None:  # noqa: ANN001
    """Module 09: the example chart and the learner's own figure carry a description, and
    the protocol's dropdowns start at the prompt."""
    plots = page.locator(f"{PANEL} .jp-OutputArea-output img.kurs-figur")
    playwright.expect(plots).to_have_count(2)
    example, mine = (plots.nth(n).get_attribute("alt") or "" for n in range(2))
    assert "Beispiel: Telefonkontakte je Woche" in example and "Woche 1:" in example, example
    assert mine.endswith("Noch keine Daten eingezeichnet."), mine
    for select in page.locator(".kurs-protokoll select").all():
        playwright.expect(select.locator("option").first).to_have_text(PLEASE_CHOOSE)
        assert select.evaluate("s => s.selectedIndex") == 0


@pytest.mark.skipif(not AXE.exists(), reason="axe-core missing (scripts/setup-axe)")
@pytest.mark.parametrize("module", MODULES)
def test_module_passes_axe_and_fits_at_1024(page, lab: Lab, module: str) -> None:  # noqa: ANN001
    """After Run All, axe-core finds no critical or serious violation in anything the course
    shows (widgets, text, outputs, plots); at 1024 px no code cell scrolls sideways; no ✗
    or raw value before any answer; a screenshot at 1024×768 of the graded part."""
    page.set_viewport_size(SMALL)
    page.goto(lab.open(f"{module}/{module}.ipynb"))
    wait_for_kernel(page)
    run_all(page)
    _wait_until_all_ran(page)
    page.set_viewport_size({"width": 1024, "height": 20_000})  # every cell rendered
    page.locator(ROOTS).first.wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    assert _axe(page, CONTENT) == []
    assert _sideways(page) == []
    assert _restless_outputs(page) == [], "a calm notebook before any answer"
    if module == "09_video_und_dokumentation":
        _expect_described_plots(page)
    page.set_viewport_size(SMALL)
    graded = page.locator(f"{PANEL} .jp-MarkdownCell",
                          has_text=re.compile("Bewertete Aufgaben|Abschlusstest")).last
    graded.scroll_into_view_if_needed()
    _shot(page, f"graded-{module}-1024.png")


def _write_answers(lab: Lab, module: str, answers: dict[str, str]) -> None:
    path = lab.folder / module / f"{module}.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
    path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")


def test_honest_check_and_self_grading(page, lab: Lab) -> None:  # noqa: ANN001
    """On the start page (axe-core: no critical or serious violation): the check names a
    misspelt label and never says „richtig“; the self-study grading shows the points of a
    wrong and then of a right notebook."""
    module = "03_vier_ohren"
    sol = solutions(module)
    wrong = {**sol, "m03_welches_ohr": sol["m03_welches_ohr"].replace('"Appell"', '"Appel"', 1)}
    _write_answers(lab, module, wrong)
    try:
        page.set_viewport_size(SMALL)
        page.goto(lab.open("Start.ipynb"))
        wait_for_kernel(page)
        run_all(page)
        widget = page.locator(".kurs-abgabe").first
        widget.wait_for(timeout=60_000)
        _wait_until_all_ran(page)
        if AXE.exists():  # the start page, with its hand-in panel and progress table
            assert _axe(page, CONTENT) == []
        widget.scroll_into_view_if_needed()
        widget.locator("select").select_option(module)
        out = widget.locator(".kurs-feedback")
        widget.get_by_role("button", name="Vor der Abgabe prüfen").click()
        out.locator(".kurs-line", has_text="„Appel“ ist keine gültige Antwort").wait_for(
            timeout=20_000)
        assert "Success" not in out.inner_text()
        assert "ob deine Antworten richtig sind".lower() in out.inner_text().lower()
        widget.get_by_role("button", name="Selbst bewerten").click()
        out.locator(".kurs-line", has_text="von 19 Punkten").wait_for(timeout=120_000)
        assert "19 von 19" not in out.inner_text()
        _shot(page, "check-wrong-1024.png")
        _write_answers(lab, module, {**sol, "m03_reflexion": "Meine Gedanken dazu."})
        widget.get_by_role("button", name="Vor der Abgabe prüfen").click()
        out.locator(".kurs-line", has_text="Alle Antworten sind ausgefüllt").wait_for(
            timeout=20_000)
        widget.get_by_role("button", name="Selbst bewerten").click()
        out.locator(".kurs-line", has_text="19 von 19 Punkten").wait_for(timeout=120_000)
        link = out.get_by_role("link", name="Ausführliches Feedback öffnen")
        playwright.expect(link).to_be_visible()
        assert (lab.folder / module / f"{module}.bewertung.html").is_file()
        _shot(page, "check-right-1024.png")
    finally:
        (lab.folder / module / f"{module}.ipynb").write_bytes(
            (REPO / "release" / module / f"{module}.ipynb").read_bytes())


def test_jargon_by_keyboard(page, lab: Lab) -> None:  # noqa: ANN001
    """Mark every jargon word with Tab and Space, check with Enter: all found, the marked
    toggle readable (contrast), and no cell changed."""
    module = "00_einfuehrung"
    jargon = next(q for q in load_quizzes(module).values() if isinstance(q, JargonQuiz))
    widget = _open_widget(page, lab, module, ".kurs-jargon", jargon.question[:40])
    cells = _cell_texts(page)
    toggles = widget.locator(".widget-toggle-button")
    playwright.expect(toggles.first).to_have_attribute("data-lm-suppress-shortcuts", "true")
    offset = 0
    for item in jargon.items:
        for n, token in enumerate(item.tokens):
            if token.jargon is not None:
                toggles.nth(offset + n).focus()
                page.keyboard.press("Space")
                page.wait_for_timeout(100)
        offset += len(item.tokens)
    marked = widget.locator(".widget-toggle-button.mod-active").first
    color = marked.evaluate("b => getComputedStyle(b).backgroundColor")
    assert color == "rgb(168, 67, 0)", color  # #a84300: 6:1 against the white text
    widget.get_by_role("button", name="Prüfen").focus()
    page.keyboard.press("Enter")
    widget.locator(".kurs-line", has_text="Alles richtig").wait_for(timeout=10_000)
    assert _cell_texts(page) == cells, "a key went to JupyterLab and changed the cells"
    _shot(page, "jargon-keyboard.png")


# --------------------------------------------------------------------------- workshop learner


def test_workshop_lab_is_german_with_the_assignment_list_and_an_honest_check(
        browser, tmp_path: Path) -> None:  # noqa: ANN001
    """The workshop learner's JupyterLab (deploy/jupyter-learner/, as the hub starts it):
    German, opens the start page, the Assignment List is there, nbgrader's Validate is not
    (toolbar and Assignment List) and its endpoint gives the honest check; the start page
    offers the check but no self-grading."""
    module = "03_vier_ohren"
    with workshop_lab(tmp_path) as lab:
        fetched = lab.folder / module / f"{module}.ipynb"  # where nbgrader's fetch puts it
        fetched.parent.mkdir()
        fetched.write_bytes((REPO / "release" / module / f"{module}.ipynb").read_bytes())
        sol = solutions(module)
        _write_answers(lab, module, {
            **sol, "m03_welches_ohr": sol["m03_welches_ohr"].replace('"Appell"', '"Appel"', 1)})
        req = urllib.request.Request(
            f"{lab.url}/assignments/validate", method="POST",
            data=json.dumps({"path": f"{module}/{module}.ipynb"}).encode(),
            headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"})
        answer = json.load(urllib.request.urlopen(req))
        assert isinstance(answer["value"], dict), f"nbgrader's own Validate: {answer}"
        (failed,) = answer["value"]["failed"]  # nbgrader's dialog never shows "Success!"
        assert failed["source"].startswith(f"{module}: vor der Abgabe noch zu klären")
        assert "„Appel“ ist keine gültige Antwort" in failed["error"]
        assert "Ob deine Antworten richtig sind" in failed["error"]
        css = urllib.request.urlopen(f"{lab.url}/custom/custom.css?token={TOKEN}").read()
        assert b"#fetched_assignments_list .nested_list_item .item_status button" in css

        page = browser.new_page(viewport=SMALL)
        try:
            page.goto(f"{lab.url}/lab?token={TOKEN}")
            page.locator(".jp-RenderedMarkdown h1", has_text="Willkommen zum Kurs").wait_for(
                timeout=60_000)
            assert "/lab/tree/Start.ipynb" in page.url
            assert (lab.folder / "Start.ipynb").is_file()
            assert page.locator('link[href$="custom/custom.css"]').count() == 1
            menus = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
            assert {"Datei", "Ausführen", "Nbgrader"} <= set(menus), menus
            page.click(".lm-MenuBar-item:has(.lm-MenuBar-itemLabel:text-is('Nbgrader'))")
            page.locator(".lm-Menu-itemLabel", has_text="Assignment List").wait_for()
            page.keyboard.press("Escape")
            wait_for_kernel(page)
            run_all(page)
            panel = page.locator(".kurs-abgabe").first
            panel.wait_for(timeout=60_000)
            panel.scroll_into_view_if_needed()  # Run All ends at the last cell
            playwright.expect(panel).to_contain_text("Nbgrader → Assignment List")
            playwright.expect(panel.get_by_role("button", name="Vor der Abgabe prüfen")
                              ).to_have_count(1)
            playwright.expect(panel.get_by_role("button", name="Selbst bewerten")
                              ).to_have_count(0)
            _shot(page, "workshop-start-1024.png")
            page.goto(lab.open(f"{module}/{module}.ipynb"))  # a workspace of its own
            wait_for_kernel(page)
            assert page.locator(".jp-NotebookPanel-toolbar .validate-button").count() == 0
            assert page.locator(".jp-Toolbar button", has_text="Validate").count() == 0
        finally:
            page.close()
