"""Practice quiz widgets: immediate, explained feedback, retries, nothing graded.

The widgets are thin views: they collect the learner's choice and draw the lines that
:mod:`course.evaluation` returns. Every text that reaches the page goes through
:func:`html.escape`, learner text included.

A quiz answered fully right is noted in the learner's own progress file
(:mod:`course.progress`, never graded); the start page shows it.
"""

from __future__ import annotations

import html
import random
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from course.content import (
    Classification,
    DialogQuiz,
    JargonQuiz,
    Ordering,
    Quiz,
    Rewrite,
    SingleChoice,
    load_quizzes,
)
from course.evaluation import (
    Line,
    Verdict,
    evaluate_classification,
    evaluate_jargon,
    evaluate_ordering,
    evaluate_rewrite,
    evaluate_single,
    render,
    solution_classification,
    solution_jargon,
    solution_ordering,
    solution_single,
)
from course.page import PAGE_HEAD, PLEASE_CHOOSE
from course.progress import note_solved


class QuizWidget(widgets.VBox):
    """Question, inputs, a "Prüfen" button, and a "Lösung zeigen" button after a first try."""

    module: str | None = None  # set by show(); progress is recorded only then
    quiz: Quiz

    def __init__(self, question: str, inputs: list[widgets.Widget]) -> None:
        self.question = widgets.HTML(f"<b>{html.escape(question)}</b>")
        self.check_button = widgets.Button(description="Prüfen", button_style="primary")
        self.solution_button = widgets.Button(description="Lösung zeigen", disabled=True)
        self.feedback = widgets.HTML(layout=widgets.Layout(margin="6px 0"))
        self.feedback.add_class("kurs-feedback")
        self.tries = 0
        self.check_button.on_click(lambda _: self._on_check())
        self.solution_button.on_click(lambda _: self._on_solution())
        buttons = widgets.HBox([self.check_button, self.solution_button])
        super().__init__([self.question, *inputs, buttons, self.feedback,
                          widgets.HTML(PAGE_HEAD)])
        self.add_class("kurs-quiz")

    def _on_check(self) -> None:
        self.tries += 1
        verdict = self.evaluate()
        lines = verdict.lines
        if verdict.correct and self.module:
            note = note_solved(self.module, self.quiz.id)
            if note:
                lines = (*lines, Line(None, note))
        self.feedback.value = render(lines)
        self.solution_button.disabled = False

    def _on_solution(self) -> None:
        self.feedback.value = render((Line(None, "Musterlösung:"), *self.solution()))

    def evaluate(self) -> Verdict:
        raise NotImplementedError

    def solution(self) -> tuple[Line, ...]:
        raise NotImplementedError


class SingleChoiceWidget(QuizWidget):
    quiz: SingleChoice

    def __init__(self, quiz: SingleChoice) -> None:
        self.quiz = quiz
        self.choice = widgets.RadioButtons(
            options=[(o.text, n) for n, o in enumerate(quiz.options)],
            value=None,
            layout=widgets.Layout(width="auto"),
        )
        super().__init__(quiz.question, [self.choice])

    def evaluate(self) -> Verdict:
        return evaluate_single(self.quiz, self.choice.value)

    def solution(self) -> tuple[Line, ...]:
        return solution_single(self.quiz)


def _dropdown(options: list[tuple[str, str]], description: str) -> widgets.Dropdown:
    return widgets.Dropdown(
        options=[(PLEASE_CHOOSE, None), *options],
        index=0,  # the prompt shows and is selected; value=None would leave it blank
        description=description,
        style={"description_width": "initial"},
        layout=widgets.Layout(width="auto"),
    )


class OrderingWidget(QuizWidget):
    quiz: Ordering

    def __init__(self, quiz: Ordering) -> None:
        self.quiz = quiz
        shuffled = [s.text for s in quiz.steps]
        random.Random(quiz.id).shuffle(shuffled)
        self.places = [
            _dropdown([(t, t) for t in shuffled], f"Platz {n}:")
            for n in range(1, len(quiz.steps) + 1)
        ]
        super().__init__(quiz.question, self.places)

    def evaluate(self) -> Verdict:
        return evaluate_ordering(self.quiz, [d.value for d in self.places])

    def solution(self) -> tuple[Line, ...]:
        return solution_ordering(self.quiz)


class ClassificationWidget(QuizWidget):
    quiz: Classification

    def __init__(self, quiz: Classification) -> None:
        self.quiz = quiz
        options = [(label, cid) for cid, label in quiz.categories.items()]
        self.picks = [_dropdown(options, "Zuordnung:") for _ in quiz.items]
        rows = [
            widgets.VBox([widgets.HTML(html.escape(i.text)), pick])
            for i, pick in zip(quiz.items, self.picks, strict=True)
        ]
        super().__init__(quiz.question, rows)

    def evaluate(self) -> Verdict:
        return evaluate_classification(self.quiz, [d.value for d in self.picks])

    def solution(self) -> tuple[Line, ...]:
        return solution_classification(self.quiz)


class RewriteWidget(QuizWidget):
    """Situation and original, a text area; per-criterion feedback from the rewrite checker."""

    quiz: Rewrite

    def __init__(self, quiz: Rewrite) -> None:
        from course.rewrite import exercise

        self.quiz = quiz
        self.exercise = exercise(quiz.key)
        intro = widgets.HTML(
            f"Situation: {html.escape(self.exercise.situation)}<br>"
            f"So NICHT: <i>{html.escape(self.exercise.original)}</i>"
        )
        self.text = widgets.Textarea(
            placeholder="Deine Formulierung …", layout=widgets.Layout(width="100%", height="5em")
        )
        super().__init__(quiz.question, [intro, self.text])

    def evaluate(self) -> Verdict:
        return evaluate_rewrite(self.quiz.key, self.text.value)

    def solution(self) -> tuple[Line, ...]:
        return (Line(None, f"Zum Beispiel: „{self.exercise.example}“"),)


class JargonWidget(QuizWidget):
    """One toggle button per word: a native button, so Tab and Space/Enter operate it."""

    quiz: JargonQuiz

    def __init__(self, quiz: JargonQuiz) -> None:
        self.quiz = quiz
        self.toggles: list[list[widgets.ToggleButton]] = []
        rows = []
        for n, item in enumerate(quiz.items, start=1):
            buttons = [self._toggle(token.text) for token in item.tokens]
            self.toggles.append(buttons)
            label = f"Satz {n}:" if len(quiz.items) > 1 else "Satz:"
            rows.append(widgets.VBox([
                widgets.HTML(f"{label} <i>„{html.escape(item.sentence)}“</i>"),
                widgets.HBox(buttons, layout=widgets.Layout(flex_flow="row wrap")),
            ]))
        super().__init__(quiz.question, rows)
        self.add_class("kurs-jargon")

    @staticmethod
    def _toggle(text: str) -> widgets.ToggleButton:
        button = widgets.ToggleButton(
            value=False, description=text, tooltip=f"„{text}“ markieren",
            layout=widgets.Layout(width="auto", margin="2px"),
        )

        def changed(change: dict) -> None:
            button.icon = "check" if change["new"] else ""
            button.button_style = "warning" if change["new"] else ""
            button.tooltip = f"„{text}“ ist markiert" if change["new"] else f"„{text}“ markieren"

        button.observe(changed, names="value")
        return button

    def marked(self) -> list[set[int]]:
        return [{i for i, b in enumerate(row) if b.value} for row in self.toggles]

    def evaluate(self) -> Verdict:
        return evaluate_jargon(self.quiz, self.marked(), reveal_missed=self.tries > 1)

    def solution(self) -> tuple[Line, ...]:
        return solution_jargon(self.quiz)


_WIDGETS: dict[type, Callable[[Any], QuizWidget]] = {
    SingleChoice: SingleChoiceWidget,
    Ordering: OrderingWidget,
    Classification: ClassificationWidget,
    Rewrite: RewriteWidget,
    JargonQuiz: JargonWidget,
}


def make(quiz: Quiz) -> QuizWidget | widgets.VBox:
    if isinstance(quiz, DialogQuiz):
        from course.dialog import load_scenario
        from course.simulator import DialogWidget

        widget = DialogWidget(load_scenario(quiz.scenario), quiz.variable)
        widget.quiz_id = quiz.id
        question = widgets.HTML(f"<b>{html.escape(quiz.question)}</b>")
        widget.children = (question, *widget.children)
        return widget
    return _WIDGETS[type(quiz)](quiz)


def show(module: str, quiz_id: str) -> QuizWidget | widgets.VBox:
    """Return the widget for one quiz of a module; the notebook cell displays it."""
    quizzes = load_quizzes(module)
    if quiz_id not in quizzes:
        raise KeyError(f"Quiz '{quiz_id}' gibt es in Modul {module} nicht: {sorted(quizzes)}")
    widget = make(quizzes[quiz_id])
    widget.module = module
    return widget
