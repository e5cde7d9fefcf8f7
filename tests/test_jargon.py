"""The mark-the-jargon quiz, driven headless: toggle words, click, read the feedback."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from course import evaluation, quiz
from course.content import ContentError, JargonQuiz, load_quizzes, parse_quizzes, tokenize

MODULE, QUIZ = "00_einfuehrung", "jargon_markieren"


def _widget() -> quiz.JargonWidget:
    w = quiz.show(MODULE, QUIZ)
    assert isinstance(w, quiz.JargonWidget)
    return w


def _mark(w: quiz.JargonWidget, item: int, *words: str) -> None:
    for button, token in zip(w.toggles[item], w.quiz.items[item].tokens, strict=True):
        button.value = token.text in words


def _mark_all_jargon(w: quiz.JargonWidget) -> None:
    for n, item in enumerate(w.quiz.items):
        _mark(w, n, *(j.word for j in item.jargon))


def test_every_word_is_a_keyboard_toggle() -> None:
    """Is every word of every sentence a native toggle button (Tab, Space/Enter)?"""
    import ipywidgets as widgets

    w = _widget()
    for row, item in zip(w.toggles, w.quiz.items, strict=True):
        assert [b.description for b in row] == [t.text for t in item.tokens]
        assert all(isinstance(b, widgets.ToggleButton) and not b.value for b in row)


def test_toggle_shows_its_state_without_colour() -> None:
    """Does a marked word carry a check icon and a tooltip, not only a colour?"""
    button = _widget().toggles[0][1]
    button.value = True
    assert button.icon == "check" and "markiert" in button.tooltip
    button.value = False
    assert button.icon == ""


def test_first_try_names_hits_and_plain_words_but_only_counts_missed_jargon() -> None:
    """After one try: marked jargon explained, plain words flagged, missed jargon only counted."""
    w = _widget()
    first = w.quiz.items[0]  # "Ich pushe Ihnen ein Update über den SCCM-Client."
    _mark(w, 0, "pushe", "Update")
    w.check_button.click()
    text = w.feedback.value
    assert "Noch nicht ganz" in text
    assert "„pushe“ ist Fachsprache" in text and first.jargon[0].explanation in text
    assert "„Update“ versteht jede Kundin" in text
    assert "noch ein Fachbegriff" in text
    assert "SCCM-Client" not in text, "missed jargon must not be named after the first try"
    assert not w.solution_button.disabled


def test_second_try_names_missed_jargon() -> None:
    """From the second try on, does the feedback say which jargon was overlooked, and why?"""
    w = _widget()
    _mark(w, 0, "pushe")
    w.check_button.click()
    w.check_button.click()
    assert "Übersehen: „SCCM-Client“" in w.feedback.value
    assert w.quiz.items[0].jargon[1].explanation in w.feedback.value


def test_all_jargon_marked_is_right() -> None:
    """Are all sentences with exactly their jargon marked confirmed as right?"""
    w = _widget()
    _mark_all_jargon(w)
    w.check_button.click()
    assert "Alles richtig" in w.feedback.value
    assert "✗" not in w.feedback.value


def test_solution_lists_every_jargon_word() -> None:
    """Does "Lösung zeigen" list each jargon word with its explanation?"""
    w = _widget()
    w.check_button.click()
    assert "Du hast noch kein Wort markiert." in w.feedback.value
    w.solution_button.click()
    assert "Musterlösung" in w.feedback.value
    for item in w.quiz.items:
        for word in item.jargon:
            assert f"„{word.word}“: {word.explanation}" in w.feedback.value


def test_evaluate_is_a_plain_function() -> None:
    """Can the evaluation be called without widgets (token indexes per sentence)?"""
    q = load_quizzes(MODULE)[QUIZ]
    assert isinstance(q, JargonQuiz)
    right = [{i for i, t in enumerate(item.tokens) if t.jargon is not None} for item in q.items]
    assert evaluation.evaluate_jargon(q, right).correct
    wrong = [set(r) for r in right]
    wrong[0].add(0)  # "Ich"
    verdict = evaluation.evaluate_jargon(q, wrong)
    assert not verdict.correct
    assert [ln.ok for ln in verdict.lines if "„Ich“" in ln.text] == [False]


def test_tokens_keep_jargon_phrases_whole() -> None:
    """Is a multi-word or hyphenated jargon entry one clickable token?"""
    tokens = tokenize("Bitte im Active Directory den VPN-Client prüfen.", ("Active Directory",))
    assert [t.text for t in tokens] == ["Bitte", "im", "Active Directory", "den", "VPN-Client",
                                        "prüfen"]
    assert [t.jargon for t in tokens] == [None, None, 0, None, None, None]


def test_markup_in_items_is_escaped(tmp_path: Path) -> None:
    """Is markup in a sentence or explanation shown as text, never injected into the page?"""
    evil = "<img src=x onerror=alert(1)>"
    path = tmp_path / "quiz.yaml"
    path.write_text(textwrap.dedent(f"""
        quizzes:
          - id: x
            type: jargon
            question: "Frage {evil}"
            items:
              - sentence: "Das <b>NAS</b> ist voll."
                jargon: [{{word: NAS, explanation: "{evil}"}}]
    """), encoding="utf-8")
    w = quiz.make(parse_quizzes(path)["x"])
    assert "<img" not in w.question.value
    assert "<b>" not in "".join(c.value for c in w.children[1].children[:1])
    nas = next(i for i, t in enumerate(w.quiz.items[0].tokens) if t.jargon == 0)
    w.toggles[0][nas].value = True
    w.check_button.click()
    assert "<img" not in w.feedback.value and "&lt;img" in w.feedback.value
    w.solution_button.click()
    assert "<img" not in w.feedback.value and "<b>" not in w.feedback.value


BROKEN = {
    "word not in sentence": (
        "- {sentence: Ich starte den Router neu., jargon: [{word: Switch, explanation: e}]}",
        "item 1: jargon word 'Switch' does not occur in the sentence",
    ),
    "only part of a word": (
        "- {sentence: Der Drucker ist offline., jargon: [{word: Druck, explanation: e}]}",
        "item 1: jargon word 'Druck' does not occur in the sentence as a whole word",
    ),
    "missing explanation": (
        "- {sentence: Das NAS ist voll., jargon: [{word: NAS}]}",
        "item 1, jargon 1: field 'explanation' must be a non-empty text",
    ),
    "no jargon list": (
        "- {sentence: Das NAS ist voll.}",
        "item 1: field 'jargon' must be a list with at least 1 entries",
    ),
    "word listed twice": (
        "- {sentence: Das NAS ist voll., jargon: [{word: NAS, explanation: a},"
        " {word: NAS, explanation: b}]}",
        "item 1: a jargon word is listed twice",
    ),
    "overlapping words": (
        "- {sentence: Das NAS-Laufwerk ist voll., jargon: [{word: NAS-Laufwerk, explanation: a},"
        " {word: Laufwerk, explanation: b}]}",
        "item 1: jargon word 'Laufwerk' overlaps another jargon word",
    ),
    "misspelt field": (
        "- {sentence: Das NAS ist voll., jargon: [{wort: NAS, explanation: a}]}",
        "jargon 1: unknown field(s) ['wort']",
    ),
    "nothing but jargon": (
        "- {sentence: NAS, jargon: [{word: NAS, explanation: a}]}",
        "item 1: the sentence needs at least one plain word",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_malformed_jargon_item_names_file_item_and_problem(tmp_path: Path, case: str) -> None:
    """Does a broken jargon item fail on load, naming the file, the item and the problem?"""
    items, expected = BROKEN[case]
    path = tmp_path / "quiz.yaml"
    path.write_text("quizzes:\n  - id: fach\n    type: jargon\n    question: Welche?\n"
                    "    items:\n" + textwrap.indent(items, "      ") + "\n", encoding="utf-8")
    with pytest.raises(ContentError) as err:
        parse_quizzes(path)
    message = str(err.value)
    assert str(path) in message and "quiz 1 (id 'fach')" in message
    assert expected in message


def test_missed_count_agrees_with_its_verb() -> None:
    """„Hier steckt noch ein Fachbegriff“, but „Hier stecken noch 2 Fachbegriffe“."""
    from course.content import load_quizzes

    item_quiz = next(q for q in load_quizzes("00_einfuehrung").values()
                     if isinstance(q, quiz.JargonQuiz))
    several = next(n for n, i in enumerate(item_quiz.items) if len(i.jargon) >= 2)
    plain = next(k for k, t in enumerate(item_quiz.items[several].tokens) if t.jargon is None)
    marked = [set() for _ in item_quiz.items]
    marked[several] = {plain}
    text = " ".join(line.text for line in evaluation.evaluate_jargon(item_quiz, marked).lines)
    assert f"Hier stecken noch {len(item_quiz.items[several].jargon)} Fachbegriffe" in text
