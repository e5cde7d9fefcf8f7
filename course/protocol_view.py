"""The empathy protocol form of module 09: a thin view over :mod:`course.protocol`."""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

import ipywidgets as widgets

from course.page import PAGE_HEAD, PLEASE_CHOOSE
from course.protocol import (
    CHANNELS,
    MOODS,
    QUESTIONS,
    Loaded,
    ProtokollFehler,
    add_entry,
    export_html,
    format_date,
    load_entries,
    protocol_path,
    summary_lines,
    summary_png,
    weekly_summary,
)


def show(folder: Path | str | None = None) -> ProtocolWidget:
    """The protocol form for a notebook cell: new entry, weekly summary, export."""
    return ProtocolWidget(protocol_path(folder).resolve())


def choose(options: tuple[str, ...]) -> widgets.Dropdown:
    """A dropdown that starts at a prompt (value ""), not at a preselected answer."""
    return widgets.Dropdown(options=[(PLEASE_CHOOSE, ""), *[(o, o) for o in options]],
                            value="")



class ProtocolWidget(widgets.VBox):
    def __init__(self, path: Path) -> None:
        self.path = path
        wide = widgets.Layout(width="95%")
        self.datum = widgets.Text(value=format_date(date.today()),
                                  placeholder="z. B. 3.11.2026")
        self.kanal = choose(CHANNELS)
        self.stimmung = choose(MOODS)
        self.reaktion = widgets.Textarea(layout=wide)
        self.ruhig = widgets.RadioButtons(options=["ja", "nein"], value=None)
        self.anders = widgets.Textarea(layout=wide)
        fit = widgets.Layout(width="auto")  # the whole label, not "Export für Mentor…"
        self.save_button = widgets.Button(description="Eintrag speichern",
                                          button_style="primary", layout=fit)
        self.export_button = widgets.Button(description="Export für Mentor/in",
                                            layout=widgets.Layout(width="auto"))
        self.message = widgets.HTML()
        self.message.add_class("kurs-feedback")
        self.summary = widgets.HTML()
        self.chart = widgets.Image(format="png", layout=widgets.Layout(display="none"))
        self.save_button.on_click(lambda _: self.save())
        self.export_button.on_click(lambda _: self.export())
        form = [("Datum", self.datum), ("Kanal", self.kanal),
                (QUESTIONS["stimmung_kunde"], self.stimmung),
                (QUESTIONS["eigene_reaktion"], self.reaktion),
                (QUESTIONS["ruhig_geblieben"], self.ruhig),
                (QUESTIONS["was_ich_anders_machen_wuerde"], self.anders)]
        super().__init__([
            widgets.HTML(f"{PAGE_HEAD}<small>Gespeichert wird nur bei dir: "
                         f"<code>{html.escape(str(path))}</code> – nicht bewertet, "
                         "nirgendwohin geschickt.</small>"),
            *(widgets.VBox([widgets.HTML(f"<b>{html.escape(q)}</b>"), w]) for q, w in form),
            widgets.HBox([self.save_button, self.export_button]),
            self.message, self.summary, self.chart,
        ])
        self.add_class("kurs-protokoll")
        self.refresh()

    def _say(self, ok: bool, lines: list[str]) -> None:
        color = "#1a7f37" if ok else "#b3261e"
        icon = "✓" if ok else "✗"
        self.message.value = "".join(
            f'<div style="color:{color}">{icon} {html.escape(line)}</div>' for line in lines
        )

    def refresh(self, loaded: Loaded | None = None) -> None:
        loaded = loaded or load_entries(self.path)
        if loaded.notice():
            self._say(False, [loaded.notice() or ""])
        summary = weekly_summary(loaded.entries)
        self.summary.value = "<b>Deine Wochen</b>" + "".join(
            f"<div>{html.escape(line)}</div>" for line in summary_lines(summary))
        if loaded.entries:
            self.chart.value = summary_png(summary)
            self.chart.layout.display = None

    def save(self) -> None:
        try:
            loaded = add_entry({
                "datum": self.datum.value, "kanal": self.kanal.value,
                "stimmung_kunde": self.stimmung.value,
                "eigene_reaktion": self.reaktion.value, "ruhig_geblieben": self.ruhig.value,
                "was_ich_anders_machen_wuerde": self.anders.value,
            }, self.path)
        except ProtokollFehler as err:
            self._say(False, err.problems)
            return
        except OSError as err:
            self._say(False, [f"Speichern hat nicht geklappt: {err.strerror or err}."])
            return
        lines = [f"Gespeichert – das ist dein Eintrag Nr. {len(loaded.entries)}."]
        if loaded.notice():
            lines.append(loaded.notice() or "")
        self._say(True, lines)
        self.reaktion.value = self.anders.value = ""
        self.kanal.value = self.stimmung.value = ""
        self.ruhig.value = None
        self.refresh(loaded)

    def export(self) -> None:
        try:
            target = export_html(self.path)
        except OSError as err:
            self._say(False, [f"Export hat nicht geklappt: {err.strerror or err}."])
            return
        self._say(True, [f"Export gespeichert: {target}. Öffne die Datei im Browser "
                         "oder drucke sie aus. Prüf vorher, dass keine Namen oder "
                         "privaten Daten darin stehen."])
