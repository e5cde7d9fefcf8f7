"""The role-play as HTML: the escalation meter (label, colour, SVG chart), the lines of the
conversation and the debrief after the call. Plain strings, so the class report and the
widget (:mod:`course.simulator`) draw the same; every text goes through :func:`html.escape`,
the learner's own replies included.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from course.dialog import ENDING_KINDS, Conversation, Turn, best_score

MOODS = ((2, "ruhig"), (5, "angespannt"), (8, "verärgert"), (10, "kurz vorm Auflegen"))


def mood(meter: int, maximum: int) -> str:
    """German label for the meter, scaled to a 0–10 meter."""
    scaled = round(10 * meter / maximum)
    return next(label for limit, label in MOODS if scaled <= limit)


def bar_style(meter: int, maximum: int) -> str:
    """The meter's colour agrees with its label: green only while the customer is calm."""
    return {"ruhig": "success", "angespannt": "warning"}.get(mood(meter, maximum), "danger")


def path_code(variable: str, path: Sequence[int | str]) -> str:
    return f"{variable} = {list(path)!r}"


def meter_svg(meters: Sequence[int], maximum: int, width: int = 320, height: int = 130) -> str:
    """A small line plot of the meter over the turns, as inline SVG."""
    left, bottom, top, right = 34, height - 26, 8, width - 10
    steps = max(len(meters) - 1, 1)

    def x(i: int) -> float:
        return left + (right - left) * i / steps

    def y(v: int) -> float:
        return bottom - (bottom - top) * v / maximum

    points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(meters))
    dots = "".join(
        f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="#b3261e">'
        f"<title>Zug {i}: {v}</title></circle>"
        for i, v in enumerate(meters)
    )
    ticks = "".join(
        f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="10" text-anchor="end">{v}</text>'
        for v in (0, maximum // 2, maximum)
    ) + "".join(  # the turns on the other axis: 0 is the start of the call
        f'<text x="{x(i):.1f}" y="{bottom + 11}" font-size="10" text-anchor="middle">{i}</text>'
        for i in range(len(meters))
    )
    label = "Verlauf der Eskalation: " + ", ".join(str(v) for v in meters)
    return (
        f'<svg class="kurs-meterplot" role="img" aria-label="{label}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#666"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#666"/>{ticks}'
        f'<text x="{(left + right) / 2:.0f}" y="{height - 1}" font-size="11" '
        f'text-anchor="middle">Zug</text>'
        f'<text x="10" y="{(top + bottom) / 2:.0f}" font-size="11" text-anchor="middle" '
        f'transform="rotate(-90 10 {(top + bottom) / 2:.0f})">Eskalation</text>'
        f'<polyline points="{points}" fill="none" stroke="#b3261e" stroke-width="2"/>{dots}'
        "</svg>"
    )


def _turn_row(number: int, turn: Turn, models: dict[str, str]) -> str:
    e = html.escape
    verdict = "angewendet ✓" if turn.applied else "verletzt ✗"
    colour = "#1a7f37" if turn.applied else "#b3261e"
    cells = [
        f"{number}",
        e(quoted(turn.text)) if isinstance(turn.step, str) else e(turn.text),
        f'<b>{e(models[turn.model])}</b>: <span style="color:{colour}">{verdict}</span><br>'
        f"{e(turn.explanation)}",
        f"{turn.meter_before} → {turn.meter_after}",
        e(turn.better) if turn.better else "–",
    ]
    if turn.feedback:
        lines = "".join(f"<li>{e(str(line))}</li>" for line in turn.feedback)
        cells[1] += f'<ul class="kurs-checker" style="margin:4px 0;padding-left:1em">{lines}</ul>'
    return "<tr>" + "".join(f'<td style="vertical-align:top">{c}</td>' for c in cells) + "</tr>"


def debrief_html(talk: Conversation) -> str:
    """The debrief at an ending: every turn with its model, the meter plot, the score."""
    s, ending = talk.scenario, talk.ending
    assert ending is not None
    e = html.escape
    rows = "".join(_turn_row(n, t, s.models) for n, t in enumerate(talk.turns, start=1))
    return (
        f'<div class="kurs-debrief"><h4>Nachbesprechung: {e(ending.title)}</h4>'
        f"<p><i>Ende: {e(ENDING_KINDS[ending.kind])}.</i> {e(ending.text)}</p>"
        f"<p><b>Punktwert:</b> {talk.score()} von höchstens {best_score(s)} "
        "(ein Punkt für jeden Zug, in dem du ein Modell angewendet hast, minus zwei für "
        f"jeden, in dem du eins verletzt hast, plus {ending.points} für dieses Ende).</p>"
        '<table class="kurs-debrief-table"><tr><th>Zug</th><th>Du hast gesagt</th>'
        "<th>Modell</th><th>Eskalation</th><th>Besser wäre</th></tr>"
        f"{rows}</table>{meter_svg(talk.meters, s.meter_max)}</div>"
    )


def quoted(text: str) -> str:
    """The learner's own text in German quotes, unless they typed quotes themselves."""
    text = text.strip()
    return text if text[:1] in "„\"'“»" else f"„{text}“"


def speech_html(who: str, text: str, mine: bool = False) -> str:
    style = "margin:4px 0 4px 2em;color:#0b5394" if mine else "margin:4px 0"
    return f'<p style="{style}"><b>{html.escape(who)}:</b> {html.escape(text)}</p>'


def note_html(text: str) -> str:
    return f'<div class="kurs-line" style="color:#444">➜ {html.escape(text)}</div>'
