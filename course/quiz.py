"""Practice quiz widgets: immediate, explained feedback, retries, nothing graded.

The evaluation lives in plain functions (``evaluate_*``) returning feedback lines; the
widgets only collect the learner's choice and render those lines. Every text that reaches
the page goes through :func:`html.escape`, learner text included.

A quiz answered fully right is noted in the learner's own progress file
(:mod:`course.progress`, never graded); the start page shows it.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass

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
from course.handin import TEXT_STUB  # nbgrader's text in a learner's empty answer cell

PLEASE_CHOOSE = "– bitte wählen –"

# ipywidgets gives every radio row a fixed height of one line: a longer answer would wrap
# onto the row below and hide its button. Let the rows grow with their text instead.
RADIO_CSS = (
    "<style>.kurs-quiz .widget-radio-box label,.kurs-dialog .widget-radio-box label"
    "{display:flex!important;align-items:flex-start;height:auto!important;"
    "line-height:1.4!important;margin:3px 0}"
    ".kurs-quiz .widget-radio-box input,.kurs-dialog .widget-radio-box input"
    "{order:-1;float:none!important;flex:none;height:auto!important;margin-top:0.2em!important}"
    "</style>"
)

# Keyboard and screen readers inside JupyterLab. Lumino, which dispatches JupyterLab's
# shortcuts, looks for a key binding from the focused element up and stops at an element
# carrying ``data-lm-suppress-shortcuts``: with it on radios, selects and buttons, arrow
# keys, Space and Enter stay in the widget instead of moving the cell selection. Text
# fields keep JupyterLab's shortcuts (Ctrl+S), which ignore them already. The same script
# gives each radio group a name (arrow keys move within it natively) and a label, names
# unlabelled selects after their question and makes every feedback area a live region.
# ipywidgets offers no way to set attributes, so a hidden image runs it once per page
# (as COPY_BUTTON in course.simulator runs its code) and a MutationObserver keeps it
# applied to widgets rendered later. The role-play's announcer (only its new lines) is a
# log, a polite live region as well. A double click on a text cell (the reflection answer)
# opens it for typing: JupyterLab only un-renders it and stays in command mode, where the
# learner's first letters would insert, cut or delete cells. "DEINE ANTWORT HIER" is
# selected, so the answer replaces it. When the focused button is disabled (the role-play's
# "Antworten" at its end), focus moves to the debrief instead of falling to the page.
A11Y_SCRIPT = """(function(){if(window.kursA11y)return;window.kursA11y=1;var n=0,busy=0,last=null;
function text(el){return el?el.textContent.replace(/\\s+/g,' ').trim():''}
document.addEventListener('focusin',function(e){if(e.target.closest&&e.target.closest(ROOTS))
last=e.target},true);
function refocus(){var a=document.activeElement;
if(!last||!last.disabled||(a&&a!==document.body))return;
var root=last.closest(ROOTS),d=root&&root.querySelector('.kurs-debrief');last=null;if(!root)return;
if(d){d.tabIndex=-1;d.focus()}
else{var b=root.querySelector('button:not(:disabled)');if(b)b.focus()}}
function apply(){busy=0;refocus();setTimeout(refocus,300);
document.querySelectorAll(ROOTS).forEach(function(root){
var q=text(root.querySelector('b'));
root.querySelectorAll('input[type=radio],select,button').forEach(function(el){
if(!el.hasAttribute('data-lm-suppress-shortcuts'))el.setAttribute('data-lm-suppress-shortcuts','true')});
root.querySelectorAll('.widget-radio-box').forEach(function(box){
if(!box.dataset.kursGroup)box.dataset.kursGroup='kurs-gruppe-'+(++n);
box.setAttribute('role','radiogroup');if(q&&!box.hasAttribute('aria-label'))box.setAttribute('aria-label',q);
box.querySelectorAll('input[type=radio]').forEach(function(r){r.name=box.dataset.kursGroup})});
root.querySelectorAll('select').forEach(function(sel){if(sel.hasAttribute('aria-label'))return;
var row=sel.closest('.widget-vbox'),head=row&&row.querySelector('.widget-html');
var box=sel.closest('.widget-dropdown'),own=text(box&&box.querySelector('label'));
var name=[text(head),own].filter(Boolean).join(' – ');if(name)sel.setAttribute('aria-label',name)});
root.querySelectorAll('img:not([alt])').forEach(function(i){i.alt=CHART_ALT});
root.querySelectorAll('.kurs-feedback').forEach(function(f){f.setAttribute('role','status');
f.setAttribute('aria-live','polite')});
root.querySelectorAll('.kurs-announce').forEach(function(f){f.setAttribute('role','log');
f.setAttribute('aria-live','polite')})})}
document.addEventListener('dblclick',function(e){
var c=e.target.closest&&e.target.closest('.jp-MarkdownCell');if(!c)return;
function edit(){var ed=c.querySelector('.cm-content');
if(!ed||c.classList.contains('jp-mod-rendered')||ed.contains(document.activeElement))return;
ed.focus();if(text(ed)===STUB)window.getSelection().selectAllChildren(ed)}
setTimeout(edit,50);setTimeout(edit,250)},true);
new MutationObserver(function(){if(!busy){busy=1;requestAnimationFrame(apply)}})
.observe(document.body,{childList:true,subtree:true});apply()})()"""
A11Y_ROOTS = ".kurs-quiz,.kurs-dialog,.kurs-abgabe,.kurs-protokoll"
# The only picture in a course widget: the protocol's weekly chart (course.protocol).
CHART_ALT = ("Balkendiagramm: Anteil der Gespräche je Woche, in denen du ruhig geblieben bist; "
             "die Zahlen stehen unter „Deine Wochen“.")
A11Y_CSS = (
    "<style>:is(.kurs-quiz,.kurs-dialog,.kurs-abgabe,.kurs-protokoll) :focus-visible"
    "{outline:3px solid #1a4f8b!important;outline-offset:2px!important}"
    ".kurs-jargon .jupyter-button.mod-warning{background-color:#a84300!important;color:#fff}"
    # read by screen readers, not shown: the role-play's new lines (course.simulator)
    ".kurs-announce{position:absolute!important;width:1px;height:1px;overflow:hidden;"
    "clip-path:inset(50%);white-space:nowrap}"
    "</style>"
)
_PIXEL = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="


def _script() -> str:
    return (A11Y_SCRIPT.replace("ROOTS", repr(A11Y_ROOTS))
            .replace("CHART_ALT", repr(CHART_ALT)).replace("STUB", repr(TEXT_STUB)))


PAGE_HEAD = (
    RADIO_CSS + A11Y_CSS
    + f'<img alt="" src="{_PIXEL}" style="display:none" onload="'
    + html.escape(_script(), quote=True) + '">'
)


@dataclass(frozen=True)
class Line:
    """One feedback line: ok is True (✓), False (✗) or None (neutral note)."""

    ok: bool | None
    text: str

    def html(self) -> str:
        icon, color = {True: ("✓", "#1a7f37"), False: ("✗", "#b3261e"), None: ("➜", "#444")}[
            self.ok
        ]
        return (
            f'<div class="kurs-line" style="color:{color};margin:2px 0">'
            f"{icon} {html.escape(self.text)}</div>"
        )


@dataclass(frozen=True)
class Verdict:
    correct: bool
    lines: tuple[Line, ...]


def evaluate_single(quiz: SingleChoice, choice: int | None) -> Verdict:
    if choice is None:
        return Verdict(False, (Line(None, "Wähle zuerst eine Antwort aus."),))
    option = quiz.options[choice]
    lead = "Richtig!" if option.correct else "Leider nicht."
    return Verdict(option.correct, (Line(option.correct, f"{lead} {option.explanation}"),))


def solution_single(quiz: SingleChoice) -> tuple[Line, ...]:
    return tuple(Line(o.correct, f"{o.text} → {o.explanation}") for o in quiz.options)


def evaluate_ordering(quiz: Ordering, chosen: list[str | None]) -> Verdict:
    lines = []
    for place, (step, pick) in enumerate(zip(quiz.steps, chosen, strict=True), start=1):
        if pick is None:
            lines.append(Line(None, f"Platz {place}: noch leer."))
        elif pick == step.text:
            lines.append(Line(True, f"Platz {place}: „{pick}“ – {step.explanation}"))
        else:
            wrong = next(s for s in quiz.steps if s.text == pick)
            lines.append(Line(False, f"Platz {place}: „{pick}“ gehört woanders hin. {wrong.hint}"))
    if len({p for p in chosen if p}) < sum(p is not None for p in chosen):
        lines.append(Line(False, "Du hast einen Schritt mehrfach gewählt."))
    correct = all(p == s.text for p, s in zip(chosen, quiz.steps, strict=True))
    return Verdict(correct, _with_summary(correct, lines))


def solution_ordering(quiz: Ordering) -> tuple[Line, ...]:
    return tuple(
        Line(True, f"{n}. {s.text} – {s.explanation}") for n, s in enumerate(quiz.steps, 1)
    )


def evaluate_classification(quiz: Classification, chosen: list[str | None]) -> Verdict:
    lines = []
    for item, pick in zip(quiz.items, chosen, strict=True):
        if pick is None:
            lines.append(Line(None, f"{item.text} → noch nicht zugeordnet."))
        elif pick == item.answer:
            lines.append(Line(True, f"{item.text} → {item.explanation}"))
        else:
            label = quiz.categories[pick]
            lines.append(Line(False, f"{item.text} → passt nicht zu {label}. {item.hint}"))
    correct = all(p == i.answer for p, i in zip(chosen, quiz.items, strict=True))
    return Verdict(correct, _with_summary(correct, lines))


def solution_classification(quiz: Classification) -> tuple[Line, ...]:
    return tuple(
        Line(True, f"{i.text} → {quiz.categories[i.answer]}: {i.explanation}")
        for i in quiz.items
    )


def _with_summary(correct: bool, lines: list[Line]) -> tuple[Line, ...]:
    if correct:
        return (Line(True, "Alles richtig – sehr gut!"), *lines)
    return (Line(None, "Noch nicht ganz. Korrigiere die Zeilen mit einem Kreuz und prüfe erneut."),
            *lines)


def render(lines: tuple[Line, ...]) -> str:
    return "".join(line.html() for line in lines)


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
            note = _record(self.module, self.quiz.id)
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


def evaluate_rewrite(key: str, text: str) -> Verdict:
    from course.feedback import Verdict as Mark
    from course.rewrite import check_rewrite

    result = check_rewrite(key, text)
    # A tip keeps its 💡; the widget draws ✓, ✗ and ➜ (notes) itself.
    lines = [Line(line.ok, str(line) if line.verdict is Mark.TIP else line.text)
             for line in result.feedback]
    lead = Line(True, "Bestanden!") if result.passed else Line(False, "Noch nicht bestanden.")
    return Verdict(result.passed, (lead, *lines))


class RewriteWidget(QuizWidget):
    """Situation and original, a text area; per-criterion feedback from the rewrite checker."""

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


def evaluate_jargon(
    quiz: JargonQuiz, marked: list[set[int]], reveal_missed: bool = False
) -> Verdict:
    """Feedback on the marked tokens (indexes into each item's ``tokens``), item by item.

    Marked jargon gets ✓ and its explanation, a marked plain word ✗ ("verständlich").
    Missed jargon is only counted, unless ``reveal_missed`` (from the second try on).
    """
    lines: list[Line] = []
    correct = True
    for n, (item, picks) in enumerate(zip(quiz.items, marked, strict=True), start=1):
        prefix = f"Satz {n}: " if len(quiz.items) > 1 else ""
        hit = sorted({item.tokens[i].jargon for i in picks if item.tokens[i].jargon is not None})
        plain = [item.tokens[i].text for i in sorted(picks) if item.tokens[i].jargon is None]
        missed = [w for k, w in enumerate(item.jargon) if k not in hit]
        correct = correct and not plain and not missed
        if not picks:
            lines.append(Line(None, f"{prefix}Du hast noch kein Wort markiert."))
        for k in hit:
            word = item.jargon[k]
            lines.append(Line(True, f"{prefix}„{word.word}“ ist Fachsprache: {word.explanation}"))
        for text in plain:
            lines.append(Line(False, f"{prefix}„{text}“ versteht jede Kundin und jeder Kunde – "
                                    "das ist kein Fachjargon."))
        if missed and reveal_missed:
            for word in missed:
                lines.append(Line(False, f"{prefix}Übersehen: „{word.word}“ – {word.explanation}"))
        elif missed and picks:
            count = "ein Fachbegriff" if len(missed) == 1 else f"{len(missed)} Fachbegriffe"
            verb = "steckt" if len(missed) == 1 else "stecken"
            lines.append(Line(False, f"{prefix}Hier {verb} noch {count}. Welches Wort müsstest "
                                     "du einem Laien erklären?"))
        elif not missed and not plain:
            lines.append(Line(True, f"{prefix}Alle Fachbegriffe gefunden."))
    return Verdict(correct, _with_summary(correct, lines))


def solution_jargon(quiz: JargonQuiz) -> tuple[Line, ...]:
    lines = []
    for n, item in enumerate(quiz.items, start=1):
        prefix = f"Satz {n}: " if len(quiz.items) > 1 else ""
        words = ", ".join(f"„{w.word}“" for w in item.jargon)
        lines.append(Line(None, f"{prefix}{item.sentence} – Fachjargon: {words}"))
        lines += [Line(True, f"„{w.word}“: {w.explanation}") for w in item.jargon]
    return tuple(lines)


class JargonWidget(QuizWidget):
    """One toggle button per word: a native button, so Tab and Space/Enter operate it."""

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


_WIDGETS: dict[type, type[QuizWidget]] = {
    SingleChoice: SingleChoiceWidget,
    Ordering: OrderingWidget,
    Classification: ClassificationWidget,
    Rewrite: RewriteWidget,
    JargonQuiz: JargonWidget,
}


def _record(module: str, quiz_id: str) -> str | None:
    from course.progress import record

    try:
        return record(module, quiz_id)
    except Exception:  # progress is a convenience; it must never break a quiz
        return None


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
