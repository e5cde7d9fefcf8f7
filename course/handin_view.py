"""The start page's hand-in panel: the honest check and, alone, self-study grading.

A thin view: :func:`course.handin.check` and ``python -m course.selfgrade`` do the work.
Self-study grading runs in its own process (nbgrader must not run inside this kernel).
"""

from __future__ import annotations

import html
import subprocess
import sys
from pathlib import Path

import ipywidgets as widgets

from course import handin, learner, selfgrade
from course.evaluation import Line, render
from course.page import PAGE_HEAD, PLEASE_CHOOSE


def _course_dir() -> Path:
    return learner.find_course_dir() or Path.cwd()


def _check(module: str, folder: Path) -> str:
    notebook = folder / module / f"{module}.ipynb"
    delivered = learner.REPO / "release" / module / f"{module}.ipynb"
    if not notebook.is_file():
        return render((Line(False, f"Dein Notebook {module}.ipynb fehlt im Kursordner."),))
    result = handin.check(notebook, delivered)
    head, *rest = result.lines()
    body = [Line(False if ln.startswith("✗") else None, ln[2:]) for ln in rest[:-1]]
    return render((Line(result.complete, head), *body, Line(None, rest[-1])))


def _grade(module: str, folder: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "course.selfgrade", module, "--dir", str(folder)],
        capture_output=True, text=True, timeout=600, cwd=learner.REPO,
    )
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines()
             if ln.strip() and not ln.startswith("Bewerte dein")]
    if proc.returncode != 0:
        return render(tuple(Line(False, ln) for ln in lines[-3:]))
    page = folder / module / f"{module}{selfgrade.FEEDBACK_SUFFIX}"
    link = (f'<div class="kurs-line"><a href="{html.escape(f"{module}/{page.name}")}" '
            f'target="_blank">Ausführliches Feedback öffnen</a></div>') if page.is_file() else ""
    return render(tuple(Line(None, ln) for ln in lines if "Feedback:" not in ln)) + link


def show() -> widgets.VBox:
    """Module picker, "Vor der Abgabe prüfen" and, where source/ exists, "Selbst bewerten"."""
    folder = _course_dir()
    names = sorted(p.name for p in (learner.REPO / "release").iterdir() if p.is_dir())
    pick = widgets.Dropdown(options=[(PLEASE_CHOOSE, None), *[(n, n) for n in names]],
                            index=0, description="Modul:")
    out = widgets.HTML()
    out.add_class("kurs-feedback")
    check = widgets.Button(description="Vor der Abgabe prüfen", button_style="primary",
                           layout=widgets.Layout(width="auto"))
    buttons = [check]

    def run(action) -> None:  # noqa: ANN001
        if pick.value is None:
            out.value = render((Line(None, "Wähle zuerst ein Modul."),))
            return
        out.value = render((Line(None, "Einen Moment …"),))
        out.value = action(pick.value, folder)

    check.on_click(lambda _: run(_check))
    workshop = learner.in_workshop()
    if selfgrade.modules() and not workshop:
        grade = widgets.Button(description="Selbst bewerten", layout=widgets.Layout(width="auto"))
        grade.on_click(lambda _: run(_grade))
        buttons.append(grade)
    head = widgets.HTML(f"{PAGE_HEAD}<b>Welches Modul willst du abgeben?</b>")
    rows = [head, pick, widgets.HBox(buttons), out]
    if workshop:
        rows.insert(3, widgets.HTML(
            "Abgeben im Workshop: Menü <b>Nbgrader → Assignment List</b>, beim Modul auf "
            "<b>Submit</b> (so oft du willst, es zählt die letzte Abgabe)."))
    box = widgets.VBox(rows)
    box.add_class("kurs-abgabe")
    return box
