"""Practice widgets, driven headless as a learner would: choose, click, read the feedback."""

from __future__ import annotations

import pytest

from course import evaluation, quiz
from course.content import Classification, Item, Option, Ordering, SingleChoice, load_quizzes


def test_single_choice_wrong_then_right() -> None:
    """Does a wrong pick get its explanation, a retry the confirmation, and then the solution?"""
    w = quiz.show("03_vier_ohren", "beste_reaktion")
    assert w.solution_button.disabled, "the solution is offered only after a first try"
    w.choice.value = 0  # "Haben Sie schon neu gestartet?"
    w.check_button.click()
    assert "Leider nicht." in w.feedback.value and "Nur Sach-Ohr" in w.feedback.value
    assert not w.solution_button.disabled
    right = next(n for n, o in enumerate(w.quiz.options) if o.correct)
    w.choice.value = right
    w.check_button.click()
    assert "Richtig!" in w.feedback.value
    w.solution_button.click()
    assert "Musterlösung" in w.feedback.value
    assert w.feedback.value.count("kurs-line") == len(w.quiz.options) + 1


def test_single_choice_without_pick_asks_for_one() -> None:
    """Does clicking "Prüfen" without a choice ask the learner to choose first?"""
    w = quiz.show("01_gespraechsstruktur", "agree_inhalt")
    w.check_button.click()
    assert "Wähle zuerst eine Antwort aus." in w.feedback.value


def test_classification_gives_feedback_per_item() -> None:
    """Does each item get ✓ with explanation or ✗ with a hint that does not give the answer?"""
    w = quiz.show("03_vier_ohren", "drucker_ohren")
    items = w.quiz.items
    for pick, item in zip(w.picks, items, strict=True):
        pick.value = "appell" if item.answer != "appell" else "sachinhalt"
    w.check_button.click()
    assert "Noch nicht ganz" in w.feedback.value
    assert w.feedback.value.count("✗") == len(items)
    assert items[0].hint in w.feedback.value
    assert items[0].explanation not in w.feedback.value
    for pick, item in zip(w.picks, items, strict=True):
        pick.value = item.answer
    w.check_button.click()
    assert "Alles richtig" in w.feedback.value
    assert w.feedback.value.count("✓") == len(items) + 1


def test_ordering_shuffles_and_grades_positions() -> None:
    """Are the steps offered shuffled, and is each place marked right or wrong?"""
    w = quiz.show("01_gespraechsstruktur", "schritte_ordnen")
    steps = [s.text for s in w.quiz.steps]
    offered = [v for _, v in w.places[0].options if v]
    assert sorted(offered) == sorted(steps) and offered != steps
    for place, text in zip(w.places, reversed(steps), strict=True):
        place.value = text
    w.check_button.click()
    assert "gehört woanders hin" in w.feedback.value
    for place, text in zip(w.places, steps, strict=True):
        place.value = text
    w.check_button.click()
    assert "Alles richtig" in w.feedback.value


def test_ordering_reports_duplicates_and_gaps() -> None:
    """Does the ordering quiz say when a step is chosen twice or a place is empty?"""
    q = load_quizzes("01_gespraechsstruktur")["schritte_ordnen"]
    assert isinstance(q, Ordering)
    first = q.steps[0].text
    verdict = evaluation.evaluate_ordering(q, [first, first, None, None, None])
    texts = [line.text for line in verdict.lines]
    assert "Du hast einen Schritt mehrfach gewählt." in texts
    assert "Platz 3: noch leer." in texts
    assert not verdict.correct


def test_widgets_are_keyboard_controls() -> None:
    """Are all inputs native controls (radio, select, button) that a keyboard can operate?"""
    import ipywidgets as widgets

    for module in ("01_gespraechsstruktur", "03_vier_ohren"):
        for quiz_id, item in load_quizzes(module).items():
            if item.__class__.__name__ == "Rewrite":
                continue
            w = quiz.show(module, quiz_id)
            inputs = getattr(w, "choice", None) or getattr(w, "places", None) or w.picks
            for control in inputs if isinstance(inputs, list) else [inputs]:
                assert isinstance(control, widgets.RadioButtons | widgets.Dropdown)


def test_content_text_is_escaped() -> None:
    """Is markup in an item shown as text, never injected into the page?"""
    evil = "<img src=x onerror=alert(1)>"
    q = Classification("x", f"Frage {evil}", {"a": "A<b>", "b": "B"},
                       (Item(evil, "a", evil, evil), Item("ok", "b", "e", "h")))
    w = quiz.make(q)
    w.picks[0].value = "b"
    w.check_button.click()
    assert "<img" not in w.feedback.value and "&lt;img" in w.feedback.value
    assert "<img" not in w.question.value
    s = SingleChoice("y", "?", (Option(evil, True, evil), Option("b", False, "c")))
    w2 = quiz.make(s)
    w2.choice.value = 0
    w2.check_button.click()
    assert "<img" not in w2.feedback.value


def test_unknown_quiz_id_is_named() -> None:
    """Does a typo in a quiz id name the module and the ids that exist?"""
    with pytest.raises(KeyError, match="drucker_ohren"):
        quiz.show("03_vier_ohren", "druker_ohren")


def test_rewrite_practice_draws_tips_and_notes_once() -> None:
    """Does the rewrite practice show a tip with its 💡 and the copy note without a second ➜?"""
    from course.evaluation import evaluate_rewrite

    verdict = evaluate_rewrite("beruhigen", "Ich verstehe Ihre Frustration.")
    texts = [line.text for line in verdict.lines]
    assert verdict.correct
    assert any(t.startswith("💡 Gut wäre noch") for t in texts)
    assert any(t.startswith("Das ist (fast) wörtlich ein Beispielsatz") for t in texts)
