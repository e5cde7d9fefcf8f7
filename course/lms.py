"""Grades for the school's LMS: a CSV file that Moodle's gradebook import takes as it is.

``./grade --export moodle`` writes ``noten-moodle.csv``: one row per learner of nbgrader's
gradebook, an identifier column Moodle maps to its users (e-mail address, username or ID
number, from the class list imported with ``nbgrader db student import``), then per module
a points column and a short German feedback column.

The layout follows what Moodle's CSV grade import reads (``grade/import/csv`` and
``lib/csvlib.class.php`` in Moodle; see the README, "Noten ins LMS"): UTF-8, comma between
fields, ``"`` around fields that need it, the same number of fields in every row, a decimal
point, and ``-`` for "no grade" (Moodle's own export writes it, its import reads it as an
empty grade, for existing and new grade items alike). A blank or unknown identifier makes
Moodle abort the whole import, so the export refuses such a class list itself, naming the
learners, and writes nothing. The file is written to a temporary file and renamed, so a
failed export never leaves half a file.

Everything comes from the gradebook (``CourseDirectory.db_url`` of the course's
``nbgrader_config.py``) and the existence of the autograded notebooks, never from text a
learner wrote: the feedback is built from fixed phrases and numbers only.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from course.files import write_atomic

if TYPE_CHECKING:  # nbgrader is imported only when exporting
    from nbgrader.api import (
        Assignment,
        Gradebook,
        Student,
        SubmittedAssignment,
        SubmittedNotebook,
    )
    from nbgrader.coursedir import CourseDirectory

FILENAME = "noten-moodle.csv"
NO_GRADE = "-"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\]')  # control characters; quote and backslash (PHP)
EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


class MoodleCsv(csv.Dialect):
    """The CSV dialect of the export, as Moodle's import reads it (fgetcsv, separator
    "Komma", enclosure ``"``; it also accepts ``\\r\\n``, this is what its export writes)."""

    delimiter = ","
    quotechar = '"'
    doublequote = True
    escapechar = None
    lineterminator = "\n"
    quoting = csv.QUOTE_MINIMAL
    skipinitialspace = False
    strict = True


@dataclass(frozen=True)
class Identifier:
    """A user field Moodle can map rows to, and where nbgrader keeps it."""

    header: str  # column header, as Moodle's German "Zuordnen zu" list names the field
    student_field: str  # attribute of nbgrader's Student
    column: str  # column of the class list for `nbgrader db student import`
    missing: str  # German: what the learner lacks


IDENTIFIERS = {
    "email": Identifier("E-Mail-Adresse", "email", "email", "keine E-Mail-Adresse"),
    "username": Identifier("Anmeldename", "lms_user_id", "lms_user_id", "kein Anmeldename"),
    "idnumber": Identifier("ID-Nummer", "lms_user_id", "lms_user_id", "keine ID-Nummer"),
}


class LmsExportError(RuntimeError):
    """The export cannot be written; the message (German) says why. Nothing was written."""


class ClassListError(LmsExportError):
    """Learners in the gradebook without a usable or with a shared LMS identifier."""

    def __init__(self, message: str, learners: Sequence[str]) -> None:
        super().__init__(message)
        self.learners = list(learners)


class State(Enum):
    GRADED = "bewertet"
    OPEN = "Bewertung offen"
    FAILED = "nicht bewertbar"
    MISSING = "keine Abgabe"


@dataclass(frozen=True)
class Result:
    """One learner's standing in one module, as the gradebook records it."""

    state: State
    points: float | None
    max_points: float
    seconds_late: float = 0.0
    penalty: float = 0.0


@dataclass(frozen=True)
class Learner:
    id: str
    name: str
    lms_id: str | None

    @property
    def label(self) -> str:
        return f"{self.id} ({self.name})" if self.name else self.id


@dataclass
class Export:
    """What was written, for the summary ``./grade`` prints."""

    path: Path
    identifier: Identifier
    learners: int
    max_points: dict[str, float]
    by_state: dict[str, dict[State, list[str]]] = field(default_factory=dict)
    late: dict[str, list[str]] = field(default_factory=dict)

    def summary(self) -> list[str]:
        lines = [f"Moodle-Export: {self.path} – {self.learners} Lernende, "
                 f"{len(self.max_points)} Modul(e), Kennung: {self.identifier.header}"]
        for module, top in self.max_points.items():
            lines.append(f"  {module}: höchstens {number(top)} Punkte")
            notes = [(State.FAILED, "ohne Punkte, nicht bewertbar"),
                     (State.OPEN, "ohne Punkte, Bewertung in formgrader offen"),
                     (State.MISSING, "keine Abgabe")]
            for state, text in notes:
                if who := self.by_state[module][state]:
                    lines.append(f"    {text}: {', '.join(who)}")
            if self.late[module]:
                lines.append(f"    zu spät abgegeben: {', '.join(self.late[module])}")
        return lines


def number(value: float) -> str:
    """Points as Moodle reads them: a decimal point, at most two decimals, no ".0"."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def german_number(value: float) -> str:
    return number(value).replace(".", ",")


def punkte(value: float, dative: bool = False) -> str:
    """"1 Punkt", "2 Punkte", "von 2 Punkten" (German, decimal comma)."""
    word = "Punkt" if number(value) == "1" else "Punkten" if dative else "Punkte"
    return f"{german_number(value)} {word}"


def inert_cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: no line breaks or tabs, and a leading
    ``=``, ``+``, ``-`` or ``@`` (a formula in Excel or LibreOffice) quoted with ``'``."""
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()
    return f"'{text}" if text.startswith(FORMULA_START) else text


def duration(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} {'Tag' if days == 1 else 'Tage'}"] if days else []
    parts += [f"{hours} Std."] if hours else []
    parts += [f"{minutes} Min."] if minutes else []
    return " ".join(parts)


def feedback(result: Result) -> str:
    """The short German summary for the learner's feedback in Moodle (fixed phrases)."""
    points = german_number(result.points or 0.0)
    top = punkte(result.max_points, dative=True)
    text = {
        State.GRADED: f"Bewertet: {points} von {top}.",
        State.OPEN: f"Noch nicht fertig bewertet: bisher {points} von {top}, "
                    "die Lehrkraft bewertet noch Antworten von Hand.",
        State.FAILED: "Nicht bewertet: Das Notebook ließ sich nicht automatisch bewerten. "
                      "Bitte bei der Lehrkraft melden.",
        State.MISSING: "Keine Abgabe.",
    }[result.state]
    if result.seconds_late > 0:
        text += f" Zu spät abgegeben: {duration(result.seconds_late)} nach dem Abgabetermin."
    if result.penalty > 0:
        text += f" Abzug für die Verspätung: {punkte(result.penalty)}."
    return inert_cell(text)


def grade_cell(result: Result) -> str:
    if result.state is not State.GRADED or result.points is None:
        return NO_GRADE
    return number(result.points)


def course_dir(root: Path) -> CourseDirectory:
    """The course's nbgrader settings (paths, gradebook URL) from its nbgrader_config.py."""
    from course.gradebook import course_dir as settings

    if not (root / "nbgrader_config.py").exists():
        raise LmsExportError(f"{root} ist kein Kursordner (ohne nbgrader_config.py).")
    coursedir = settings(root.resolve())
    db = coursedir.db_url.removeprefix("sqlite:///")
    if db != coursedir.db_url and not Path(db).exists():  # nbgrader would create an empty one
        raise LmsExportError(f"Kein Gradebook ({db}) – noch nichts bewertet?")
    return coursedir


def _learner(student: Student, identifier: Identifier) -> Learner:
    name = " ".join(p for p in (student.first_name, student.last_name) if p)
    value = getattr(student, identifier.student_field)
    return Learner(student.id, name, value.strip() if value else None)


def _problem(learner: Learner, kind: str) -> str | None:
    identifier = IDENTIFIERS[kind]
    value = learner.lms_id
    if not value:
        return f"{identifier.missing} (Spalte {identifier.column} der Klassenliste)"
    if value.startswith(FORMULA_START):
        return (f"{identifier.header} {value!r} beginnt mit {value[0]!r} – das läse ein "
                "Tabellenprogramm als Formel")
    if UNSAFE.search(value):
        return f"{identifier.header} {value!r} enthält Steuerzeichen, \" oder \\"
    if kind == "email" and not EMAIL.fullmatch(value):
        return f"{value!r} ist keine E-Mail-Adresse"
    return None


def _duplicates(learners: Sequence[Learner]) -> list[list[Learner]]:
    """Learners sharing an identifier, compared without case (Moodle's database may)."""
    seen: dict[str, list[Learner]] = {}
    for learner in learners:
        if learner.lms_id:
            seen.setdefault(learner.lms_id.casefold(), []).append(learner)
    return [group for group in seen.values() if len(group) > 1]


def check_identifiers(learners: Sequence[Learner], kind: str) -> None:
    """Every learner has a usable identifier of its own; else :class:`ClassListError`
    naming all learners concerned at once."""
    problems = [(learner, why) for learner in learners if (why := _problem(learner, kind))]
    lines = [f"  - {learner.label}: {why}" for learner, why in problems]
    named = [learner.id for learner, _ in problems]
    for same in _duplicates(learners):
        lines.append(f"  - {', '.join(s.label for s in same)}: dieselbe "
                     f"{IDENTIFIERS[kind].header} {same[0].lms_id!r}")
        named += [s.id for s in same]
    if lines:
        raise ClassListError(
            "Kennung fehlt, ist unbrauchbar oder doppelt – nichts geschrieben:\n"
            + "\n".join(lines) + "\nKlassenliste ergänzen und neu einlesen: nbgrader db "
            "student import klasse.csv (wer nicht zur Klasse gehört: nbgrader db student "
            "remove ID)", named)


def _tests_missing(notebook: SubmittedNotebook) -> bool:
    """Has a test cell no score at all? (autograde stopped before it scored the notebook)"""
    answers = {cell.name for cell in notebook.notebook.solution_cells}
    return any(g.auto_score is None and g.manual_score is None
               for g in notebook.grades if g.name not in answers)


# Errors the grading run writes into a notebook it could not run to the end: a cell over
# its time limit (nbgrader_config.py) or a kernel that was ended (course.limits).
STOPPED = ("Zeitüberschreitung", "KernelBeendet")


def not_gradable(coursedir: CourseDirectory, submission: SubmittedAssignment) -> bool:
    """Could a handed-in notebook not be graded? No test cell was scored, the submitted
    notebook has no autograded counterpart (nbgrader removes it on failure), or its run was
    stopped (the class report lists it under "Nicht lauffähig" too)."""
    args = (submission.student.id, submission.assignment.name)
    handed_in = Path(coursedir.format_path(coursedir.submitted_directory, *args))
    graded = Path(coursedir.format_path(coursedir.autograded_directory, *args))
    for notebook in submission.notebooks:
        name = f"{notebook.name}.ipynb"
        if _tests_missing(notebook) or ((handed_in / name).exists()
                                        and not (graded / name).exists()):
            return True
        if (graded / name).exists() and _stopped(graded / name):
            return True
    return False


def _stopped(path: Path) -> bool:
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return True
    return any(output.get("ename") in STOPPED
               for cell in cells for output in cell.get("outputs", []))


def result(gb: Gradebook, coursedir: CourseDirectory, assignment: Assignment,
           student_id: str, failed: Iterable[str] = ()) -> Result:
    """One learner's :class:`Result` for one module, from the gradebook."""
    from nbgrader.api import MissingEntry

    top = assignment.max_score
    try:
        sub = gb.find_submission(assignment.name, student_id)
    except MissingEntry:
        return Result(State.MISSING, None, top)
    late = sub.total_seconds_late
    if student_id in set(failed) or not_gradable(coursedir, sub):
        return Result(State.FAILED, None, top, late)
    penalty = sub.late_submission_penalty or 0.0
    points = max(0.0, sub.score - penalty)
    open_ = any(g.needs_manual_grade for nb in sub.notebooks for g in nb.grades)
    return Result(State.OPEN if open_ else State.GRADED, points, top, late, penalty)


def header(modules: Sequence[str], identifier: Identifier, with_feedback: bool) -> list[str]:
    cells = [identifier.header]
    for module in modules:
        cells += [inert_cell(module)] + ([inert_cell(f"{module} Feedback")]
                                         if with_feedback else [])
    return cells


def row(learner: Learner, results: Sequence[Result], with_feedback: bool) -> list[str]:
    cells = [learner.lms_id or ""]
    for r in results:
        cells += [grade_cell(r)] + ([feedback(r)] if with_feedback else [])
    return cells


def write_csv(path: Path, rows: Iterable[Sequence[str]]) -> None:
    """Write the CSV in Moodle's dialect, all or nothing (:func:`course.files.write_atomic`)."""
    text = io.StringIO()
    csv.writer(text, dialect=MoodleCsv).writerows(rows)
    write_atomic(path, text.getvalue())


def _modules(gb: Gradebook, names: Sequence[str] | None) -> list[Assignment]:
    from nbgrader.api import MissingEntry

    if not names:
        return sorted(gb.assignments, key=lambda a: a.name)
    try:
        return [gb.find_assignment(name) for name in names]
    except MissingEntry as err:
        raise LmsExportError(f"Modul nicht im Gradebook: {err}") from None


def _students(gb: Gradebook) -> list[Student]:
    students = sorted(gb.students, key=lambda s: (s.last_name or "", s.first_name or "", s.id))
    if not students:
        raise LmsExportError("Keine Lernenden im Gradebook – zuerst die Klassenliste "
                             "einlesen: nbgrader db student import klasse.csv")
    return students


def export_moodle(root: Path, modules: Sequence[str] | None = None, kind: str = "email",
                  with_feedback: bool = True, failed: dict[str, set[str]] | None = None,
                  path: Path | None = None) -> Export:
    """Write Moodle's import file for ``modules`` (default: all in the gradebook).

    ``failed`` names, per module, learners the current grading run could not grade (they
    count as not gradable even if the gradebook says otherwise). Raises
    :class:`LmsExportError` (or :class:`ClassListError`) before anything is written.
    """
    from nbgrader.api import Gradebook

    identifier = IDENTIFIERS[kind]
    coursedir = course_dir(root)
    path = path or root / FILENAME
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        assignments = _modules(gb, modules)
        learners = [_learner(s, identifier) for s in _students(gb)]
        check_identifiers(learners, kind)
        table = {a.name: [result(gb, coursedir, a, lr.id, (failed or {}).get(a.name, ()))
                          for lr in learners] for a in assignments}
        top = {a.name: a.max_score for a in assignments}
    names = list(table)
    rows = [header(names, identifier, with_feedback)]
    rows += [row(lr, [table[m][i] for m in names], with_feedback)
             for i, lr in enumerate(learners)]
    write_csv(path, rows)
    return _report(path, identifier, learners, table, top)


def _report(path: Path, identifier: Identifier, learners: Sequence[Learner],
            table: dict[str, list[Result]], top: dict[str, float]) -> Export:
    export = Export(path, identifier, len(learners), top)
    for module, results in table.items():
        export.by_state[module] = {state: [lr.id for lr, r in zip(learners, results,
                                                                 strict=True)
                                           if r.state is state] for state in State}
        export.late[module] = [lr.id for lr, r in zip(learners, results, strict=True)
                               if r.seconds_late > 0]
    return export
