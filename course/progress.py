"""The learner's own progress: which practice quizzes were answered fully right at least once.

Nothing here is graded and nothing leaves the machine. The record is a small JSON file in
the learner's course folder (the working copy that ``./start`` made)::

    <kursordner>/.fortschritt.json
    {
      "version": 1,
      "richtig": {
        "03_vier_ohren": {"drucker_ohren": "2025-03-04T10:15:00", ...},
        ...
      }
    }

``richtig`` maps module -> quiz id -> when the quiz was first answered fully right (local
time, ISO 8601). The course folder is ``$KURS_DIR`` if that is set, else the first folder
at or above the working directory that holds ``.kursstand.json`` (written by
``course.learner``); without one, nothing is recorded. ``course.learner`` never touches this
file, so it survives restarts and course updates. A missing or unreadable file starts
fresh with a German note instead of an error; writes are atomic (temporary file, then
``os.replace``).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from course.files import write_atomic
from course.learner import find_course_dir as course_dir

FILE = ".fortschritt.json"
VERSION = 1

def module_titles() -> dict[str, str]:
    """Module id -> title, in course order (``course/content/modules.yaml``)."""
    from course.content import load_modules

    return {m.id: m.title for m in load_modules()}

NOTE_CORRUPT = (
    "Hinweis: Deine Fortschrittsdatei ({path}) war nicht lesbar. Dein Fortschritt beginnt "
    "neu – deine Notebooks und Antworten sind davon nicht betroffen."
)
NOTE_UNWRITABLE = "Hinweis: Dein Fortschritt konnte nicht gespeichert werden ({error})."
NOTE_NO_FOLDER = (
    "Dein Fortschritt wird nur in deiner eigenen Kurskopie gespeichert. Öffne den Kurs mit "
    "„./start“, dann erscheint er hier."
)

_noted: set[str] = set()  # notes already shown in this Python session


@dataclass
class Progress:
    """What the file says, plus a note for the learner when it could not be read."""

    folder: Path | None
    solved: dict[str, dict[str, str]] = field(default_factory=dict)
    note: str | None = None

    @property
    def path(self) -> Path | None:
        return self.folder / FILE if self.folder else None


def _parse(data: Any) -> dict[str, dict[str, str]] | None:
    if not isinstance(data, dict) or not isinstance(data.get("richtig"), dict):
        return None
    solved: dict[str, dict[str, str]] = {}
    for module, quizzes in data["richtig"].items():
        if not isinstance(quizzes, dict):
            return None
        solved[module] = {str(q): str(when) for q, when in quizzes.items()}
    return solved


def load(folder: Path | None = None, *, find: bool = True) -> Progress:
    """Read the progress file; a missing or corrupt file gives an empty record (and a note)."""
    if folder is None and find:
        folder = course_dir()
    progress = Progress(folder)
    if progress.path is None:
        return progress
    try:
        text = progress.path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return progress
    except (OSError, UnicodeDecodeError):
        text = ""
    try:
        solved = _parse(json.loads(text))
    except ValueError:
        solved = None
    if solved is None:
        progress.note = NOTE_CORRUPT.format(path=progress.path)
    else:
        progress.solved = solved
    return progress


def _write(path: Path, solved: dict[str, dict[str, str]]) -> None:
    data = {"version": VERSION, "richtig": solved}
    write_atomic(path, json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True))


def _once(note: str | None) -> str | None:
    if note is None or note in _noted:
        return None
    _noted.add(note)
    return note


def record(module: str, quiz_id: str, folder: Path | None = None) -> str | None:
    """Note that ``quiz_id`` of ``module`` was answered fully right.

    Returns a German note for the learner (at most once per session and problem) or None.
    Never raises for file problems: progress is a convenience, not part of the course.
    """
    progress = load(folder)
    if progress.path is None:
        return None
    note = progress.note
    quizzes = progress.solved.setdefault(module, {})
    if quiz_id in quizzes and note is None:
        return None
    quizzes.setdefault(quiz_id, datetime.now().replace(microsecond=0).isoformat())
    try:
        _write(progress.path, progress.solved)
    except OSError as err:
        return _once(NOTE_UNWRITABLE.format(error=err.strerror or err))
    return _once(note)


def counts(progress: Progress) -> dict[str, tuple[int, int]]:
    """Module -> (quizzes answered right, quizzes in the module), from the quiz files.

    Every module of :func:`module_titles` and every module with a quiz file is listed; a quiz id
    in the record that no longer exists does not count.
    """
    from course.content import ContentError, load_quizzes, quiz_modules

    result: dict[str, tuple[int, int]] = {}
    titles = module_titles()
    for module in [*titles, *sorted(set(quiz_modules()) - set(titles))]:
        try:
            ids = set(load_quizzes(module))
        except ContentError:
            ids = set()
        done = ids & set(progress.solved.get(module, {}))
        result[module] = (len(done), len(ids))
    return result


def home_html(progress: Progress) -> str:
    """The progress table of the start page: one row and bar per module."""
    rows = []
    titles = module_titles()
    for module, (done, total) in counts(progress).items():
        title = titles.get(module, module)
        link = f"{module}/{module}.ipynb"
        if total:
            bar = (
                f'<progress value="{done}" max="{total}" style="width:12em" '
                f'aria-label="{html.escape(title)}: {done} von {total}"></progress>'
            )
            text = f"{done} von {total} Übungen richtig" + (" ✓" if done == total else "")
        else:
            bar, text = "", "noch keine Übungen"
        rows.append(
            f'<tr><td><a href="{html.escape(link)}">{html.escape(module[:2])} – '
            f"{html.escape(title)}</a></td><td>{bar}</td><td>{html.escape(text)}</td></tr>"
        )
    notes = []
    if progress.folder is None:
        notes.append(NOTE_NO_FOLDER)
    elif progress.note:
        notes.append(progress.note)
    elif not progress.solved:
        notes.append("Noch keine Übung gelöst – los geht's mit Modul 00!")
    note_html = "".join(f"<p><i>{html.escape(n)}</i></p>" for n in notes)
    return (
        '<div class="kurs-fortschritt"><table>'
        "<tr><th>Modul</th><th>Fortschritt</th><th>Stand</th></tr>"
        + "".join(rows)
        + "</table>"
        + note_html
        + "</div>"
    )


def show_home(folder: Path | None = None) -> Any:
    """Display the learner's progress per module (for the start page)."""
    from IPython.display import HTML

    return HTML(home_html(load(folder)))


def note_solved(module: str, quiz_id: str) -> str | None:
    """:func:`record` for a widget: progress is a convenience and never breaks a quiz."""
    try:
        return record(module, quiz_id)
    except Exception:  # noqa: BLE001 - a broken progress file must not stop the quiz
        return None

