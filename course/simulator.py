"""The role-play widget: play a scenario, watch the escalation meter, read the debrief.

The rules live in :mod:`course.dialog`; this module only shows the conversation and
collects the learner's replies. Every text that reaches the page goes through
:func:`html.escape`, the learner's own replies included.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from course.debrief import bar_style, debrief_html, mood, note_html, path_code, speech_html
from course.dialog import Conversation, PathError, Scenario
from course.page import PAGE_HEAD
from course.progress import note_solved

# ipywidgets has no clipboard; a plain button copies the path line in the browser (select the
# text area, then execCommand, which also works where navigator.clipboard is missing: http).
COPY_BUTTON = (
    '<button type="button" class="kurs-copy jupyter-button" onclick="(function(b){'
    "const t=b.closest('.kurs-dialog').querySelector('.kurs-path textarea');"
    "t.focus();t.select();let ok=false;try{ok=document.execCommand('copy')}catch(e){}"
    "if(!ok&&navigator.clipboard){navigator.clipboard.writeText(t.value);ok=true}"
    "b.textContent=ok?'Kopiert ✓ – jetzt in die Antwortzelle einfügen (Strg+V)':"
    "'Markiert – kopiere mit Strg+C';})(this)\">Pfad kopieren</button>"
)
class DialogWidget(widgets.VBox):
    """Play one scenario: choose or write replies, step back, restart, read the debrief."""

    module: str | None = None  # set by course.quiz.show(); progress is recorded only then
    quiz_id: str | None = None

    def __init__(self, scenario: Scenario, variable: str = "pfad") -> None:
        self.scenario, self.variable = scenario, variable
        self.talk = Conversation(scenario)
        e = html.escape
        header = widgets.HTML(
            f"{PAGE_HEAD}<h3>{e(scenario.title)}</h3><p>{e(scenario.situation)}</p>"
            f"<p>Am Telefon: <b>{e(scenario.customer)}</b></p>"
        )
        self.meter = widgets.IntProgress(
            min=0, max=scenario.meter_max, description="Eskalation:",
            style={"description_width": "initial"},
        )
        self.mood = widgets.HTML()
        self.transcript = widgets.HTML()
        # Screen readers hear what is new in the conversation, not the whole transcript
        # again: the new lines go into a live region of their own (course.page.A11Y_SCRIPT).
        self.announce = widgets.HTML()
        self.announce.add_class("kurs-announce")
        self._heard: list[str] = []
        self.prompt = widgets.HTML()
        self.options = widgets.RadioButtons(options=[], value=None,
                                            layout=widgets.Layout(width="auto"))
        self.text = widgets.Textarea(layout=widgets.Layout(width="100%", height="5em"))
        self.say_button = widgets.Button(description="Antworten", button_style="primary",
                                         tooltip="Deine Antwort abschicken")
        self.back_button = widgets.Button(description="Schritt zurück", icon="undo",
                                          tooltip="Den letzten Zug zurücknehmen")
        self.restart_button = widgets.Button(description="Neu starten", icon="refresh",
                                             tooltip="Das Gespräch von vorn beginnen")
        self.message = widgets.HTML()
        self.debrief = widgets.HTML()
        for live in (self.mood, self.message, self.debrief):
            live.add_class("kurs-feedback")
        self.path_label = widgets.HTML()
        self.path_box = widgets.Textarea(layout=widgets.Layout(width="100%", height="4em"))
        self.path_box.add_class("kurs-path")
        self.copy_button = widgets.HTML(COPY_BUTTON)
        self.inputs = widgets.VBox()
        self.say_button.on_click(lambda _: self.say())
        self.back_button.on_click(lambda _: self.back())
        self.restart_button.on_click(lambda _: self.restart())
        super().__init__([
            header, widgets.HBox([self.meter, self.mood]), self.transcript, self.announce,
            self.inputs,
            widgets.HBox([self.say_button, self.back_button, self.restart_button]),
            self.message, self.debrief, self.path_label, self.path_box, self.copy_button,
        ])
        self.add_class("kurs-dialog")
        self._render()

    # ------------------------------------------------------------------ actions

    def say(self) -> None:
        """Send the selected choice or the typed text."""
        node = self.talk.node
        if node is None:
            return
        try:
            if node.free_text:
                if not self.text.value.strip():
                    self.message.value = note_html("Schreib zuerst deine Antwort in das Feld.")
                    return
                self.talk.answer(self.text.value)
                self.text.value = ""
            else:
                if self.options.value is None:
                    self.message.value = note_html("Wähle zuerst eine Antwort aus.")
                    return
                self.talk.choose(self.options.value)
        except PathError as err:
            self.message.value = note_html(str(err))
            return
        self._render()

    def back(self) -> None:
        self.talk.back()
        self._render("Zug zurückgenommen.")

    def restart(self) -> None:
        self.talk.restart()
        self._render("Das Gespräch beginnt von vorn.")

    # ------------------------------------------------------------------ display

    def _render(self, note: str = "") -> None:
        s, talk = self.scenario, self.talk
        self.meter.value = talk.meter
        self.meter.bar_style = bar_style(talk.meter, s.meter_max)
        state = "Gespräch beendet" if talk.ending else mood(talk.meter, s.meter_max)
        self.mood.value = f"&nbsp;{talk.meter}/{s.meter_max} – {state}"
        lines = self._lines()
        self.transcript.value = '<div class="kurs-transcript">' + "".join(
            speech_html(who, text, mine=mine) if who else
            f'<p class="kurs-ending"><b>{html.escape(text)}</b></p>'
            for who, text, mine in lines) + "</div>"
        self.announce.value = html.escape(" ".join(
            [note] * bool(note) + self._news([f"{who}: {text}" if who else text
                                              for who, text, mine in lines if not mine])))
        self.message.value = ""
        self.back_button.disabled = not talk.turns
        node = talk.node
        self.say_button.disabled = node is None
        if node is None:
            self.inputs.children = []
            self.debrief.value = debrief_html(talk)
            self._record()
        elif node.free_text:
            self.prompt.value = (
                f"<b>Deine Antwort (freier Text):</b> {html.escape(node.free_text.prompt)}"
            )
            self.text.placeholder = f"Deine Antwort an {s.customer} …"
            self.inputs.children = [self.prompt, self.text]
            self.debrief.value = ""
        else:
            self.prompt.value = "<b>Was antwortest du?</b>"
            self.options.options = [
                (f"{n}. {c.text}", n) for n, c in enumerate(node.choices, start=1)
            ]
            self.options.value = None
            self.inputs.children = [self.prompt, self.options]
            self.debrief.value = ""
        done = node is None
        self.path_label.value = (
            "<b>Fertig!</b> Kopiere diese Zeile in die Antwortzelle unten („Pfad kopieren“ "
            "oder Text markieren und Strg+C, in der Zelle Strg+V):" if done else
            "Dein Pfad bisher (das Gespräch ist noch nicht zu Ende):"
        )
        self.path_box.value = path_code(self.variable, talk.path)

    def _lines(self) -> list[tuple[str, str, bool]]:
        """The transcript: (speaker, text, is it the learner's own line); speaker "" for
        the line that names the ending."""
        s = self.scenario
        lines = []
        for turn in self.talk.turns:
            lines.append((s.customer, s.nodes[turn.node].line, False))
            lines.append(("Du", turn.text, True))
        ending = self.talk.ending
        if self.talk.node:
            lines.append((s.customer, self.talk.node.line, False))
        elif ending:
            if ending.line:
                lines.append((s.customer, ending.line, False))
            lines.append(("", f"Ende: {ending.title}", False))
        return lines

    def _news(self, heard: list[str]) -> list[str]:
        """What the learner has not heard yet: the lines after the ones heard before; after
        a step back or a restart, the line the conversation now stands at."""
        before, self._heard = self._heard, heard
        if not before:
            return []  # the first line is read with the rest of the widget
        if heard[:len(before)] == before:
            return heard[len(before):]
        return heard[-1:]

    def _record(self) -> None:
        ending = self.talk.ending
        if self.module and self.quiz_id and ending and ending.kind == "resolved":
            note = note_solved(self.module, self.quiz_id)
            if note:
                self.message.value = note_html(note)
