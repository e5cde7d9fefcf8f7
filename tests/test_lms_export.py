"""Grades into Moodle: ``./grade --export moodle`` (course/lms.py).

Most tests build a gradebook directly with nbgrader's Gradebook API (fast); one grades a
small class of module 03 for real, class list imported with ``nbgrader db student import``.
"""

from __future__ import annotations

import csv
import datetime
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from course import files, lms
from course.classgrade import main
from course.lms import ClassListError, MoodleCsv, State, export_moodle, inert_cell

from .conftest import REPO
from .nbgrader_course import (
    isolated_env,
    nbgrader,
    released_course,
    solutions,
    submission,
    submit,
)

# nbgrader's own add_submission trips SQLAlchemy's autoflush warnings; not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
DATA = Path(__file__).parent / "data" / "lms"
COURSE = "kundenkommunikation"
CONFIG = f'c = get_config()  # noqa: F821\nc.CourseDirectory.course_id = "{COURSE}"\n'
DUE = datetime.datetime(2026, 11, 20, 8, 0)
M1, M2 = "01_gespraechsstruktur", "02_aktives_zuhoeren"
# name -> (first, last, email, lms_user_id)
CLASS = {
    "anna": ("Anna", "Albers", "anna.albers@schule.example", "a.albers"),
    "ben": ("Ben", "Berger", "ben.berger@schule.example", "b.berger"),
    "cem": ("Cem", "Celik", "cem.celik@schule.example", "c.celik"),
    "dora": ("Dora", "Demir", "dora.demir@schule.example", "d.demir"),
}


def touch(root: Path, step: str, student: str, module: str) -> None:
    folder = root / step / student / module
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{module}.ipynb").write_text("{}", encoding="utf-8")


def add_module(gb: Gradebook, module: str, tests: dict[str, float], written: float) -> None:
    gb.add_assignment(module, duedate=DUE)
    gb.add_notebook(module, module)
    for name, points in tests.items():
        gb.add_grade_cell(name, module, module, max_score=points, cell_type="code")
    if written:
        gb.add_grade_cell("reflexion", module, module, max_score=written, cell_type="markdown")
        gb.add_solution_cell("reflexion", module, module)


def hand_in(gb: Gradebook, root: Path, module: str, student: str,
            scores: dict[str, float | None], late: datetime.timedelta | None = None,
            penalty: float = 0.0, autograded: bool = True) -> None:
    """A submission as autograde leaves it: scores per cell (None: not scored)."""
    gb.add_submission(module, student, timestamp=DUE + late if late else None)
    for cell, score in scores.items():
        grade = gb.find_grade(cell, module, module, student)
        grade.auto_score, grade.needs_manual_grade = score, score is None
    gb.find_submission_notebook(module, module, student).late_submission_penalty = penalty
    gb.db.commit()
    touch(root, "submitted", student, module)
    if autograded:
        touch(root, "autograded", student, module)


def build(root: Path) -> Path:
    """Two modules, the class in the gradebook, and one learner in each state."""
    root.mkdir(parents=True)
    (root / "nbgrader_config.py").write_text(CONFIG, encoding="utf-8")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE) as gb:
        add_module(gb, M1, {"test_a": 4, "test_b": 4}, written=2)
        add_module(gb, M2, {"test_c": 6}, written=0)
        for sid, (first, last, email, lms_id) in CLASS.items():
            gb.add_student(sid, first_name=first, last_name=last, email=email,
                           lms_user_id=lms_id)
        # anna: graded, 7.5 points in M1; full points in M2
        hand_in(gb, root, M1, "anna", {"test_a": 4, "test_b": 3.5, "reflexion": 0})
        hand_in(gb, root, M2, "anna", {"test_c": 6})
        # ben: M1 late, 1 point off; M2 not handed in
        hand_in(gb, root, M1, "ben", {"test_a": 4, "test_b": 4, "reflexion": 0},
                late=datetime.timedelta(days=1, hours=2, minutes=30), penalty=1)
        # cem: M1 could not be graded (no test scored); M2 graded, 0 points
        hand_in(gb, root, M1, "cem", {}, autograded=False)
        hand_in(gb, root, M2, "cem", {"test_c": 0})
        # dora: M1 reflection open; M2 scores of an older notebook, the new one failed
        # (nbgrader removed its autograded copy)
        hand_in(gb, root, M1, "dora", {"test_a": 4, "test_b": 4, "reflexion": None})
        hand_in(gb, root, M2, "dora", {"test_c": 6}, autograded=False)
    return root


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once: a new gradebook costs nbgrader an `alembic heads` subprocess."""
    return build(tmp_path_factory.mktemp("vorlage") / "kurs")


def course(template: Path, tmp: Path, **people: tuple[str | None, ...]) -> Path:
    """A copy of the template course whose class list differs for ``people``."""
    root = Path(shutil.copytree(template, tmp / "kurs"))
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE) as gb:
        for sid, (first, last, email, lms_id) in people.items():
            gb.update_or_create_student(sid, first_name=first, last_name=last, email=email,
                                        lms_user_id=lms_id)
    return root


@pytest.fixture
def klasse(template: Path, tmp_path: Path) -> Path:
    return course(template, tmp_path)


def read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f, dialect=MoodleCsv))


def test_export_matches_the_expected_file(klasse: Path) -> None:
    """Is the file for a class with every case (graded, decimal points, late with penalty,
    not gradable, not handed in, manual points open) the hand-written one, byte for byte?"""
    export = export_moodle(klasse, kind="username")
    expected = (DATA / "moodle_zwei_module.csv").read_bytes()
    assert (klasse / "noten-moodle.csv").read_bytes() == expected
    assert export.by_state[M1][State.FAILED] == ["cem"]
    assert export.by_state[M2][State.FAILED] == ["dora"]
    assert export.by_state[M1][State.OPEN] == ["dora"]
    assert export.by_state[M2][State.MISSING] == ["ben"]
    assert export.late == {M1: ["ben"], M2: []}


def test_file_parses_under_the_documented_dialect(klasse: Path) -> None:
    """Does the csv module read it back under MoodleCsv: one identifier, then points (a
    number with a decimal point, or "-") and feedback per module, equally long rows,
    no text cell a spreadsheet would take for a formula?"""
    export_moodle(klasse)
    raw = (klasse / "noten-moodle.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw
    rows = read(klasse / "noten-moodle.csv")
    assert rows[0] == ["E-Mail-Adresse", M1, f"{M1} Feedback", M2, f"{M2} Feedback"]
    assert [r[0] for r in rows[1:]] == [CLASS[s][2] for s in ("anna", "ben", "cem", "dora")]
    for r in rows[1:]:
        assert len(r) == len(rows[0])
        for points, text in zip(r[1::2], r[2::2], strict=True):
            assert points == "-" or float(points) >= 0 and "," not in points
            assert text and not text.startswith(lms.FORMULA_START)
    assert rows[1][1] == "7.5" and "7,5 von 10 Punkten" in rows[1][2]


def test_points_only_without_feedback(klasse: Path) -> None:
    """With --no-feedback, is it one column per module and nothing else?"""
    export_moodle(klasse, kind="idnumber", with_feedback=False)
    rows = read(klasse / "noten-moodle.csv")
    assert rows[0] == ["ID-Nummer", M1, M2]
    assert rows[1:] == [["a.albers", "7.5", "6"], ["b.berger", "7", "-"],
                        ["c.celik", "-", "0"], ["d.demir", "-", "-"]]


def test_learners_the_grading_run_could_not_grade_get_no_points(klasse: Path) -> None:
    """Does a learner ./grade reported as failed (e.g. stopped by the watchdog) export
    without points even when the gradebook still holds older ones?"""
    export_moodle(klasse, failed={M2: {"anna"}})
    rows = {r[0]: r for r in read(klasse / "noten-moodle.csv")}
    assert rows[CLASS["anna"][2]][3] == "-"
    assert rows[CLASS["anna"][2]][4].startswith("Nicht bewertet")
    assert rows[CLASS["anna"][2]][1] == "7.5"


@pytest.mark.parametrize("ename", ["Zeitüberschreitung", "KernelBeendet"])
def test_a_run_stopped_by_a_limit_is_not_exported_as_points(klasse: Path, ename: str) -> None:
    """Is a notebook whose run hit the cell time limit or lost its kernel (the class report's
    "Nicht lauffähig") exported without points instead of the points of what ran?"""
    graded = klasse / "autograded" / "anna" / M2 / f"{M2}.ipynb"
    graded.write_text(json.dumps({"cells": [{"cell_type": "code", "source": "", "outputs": [
        {"output_type": "error", "ename": ename, "evalue": "…", "traceback": []}]}]}),
        encoding="utf-8")
    export_moodle(klasse)
    row = {r[0]: r for r in read(klasse / "noten-moodle.csv")}[CLASS["anna"][2]]
    assert row[3] == "-" and row[4].startswith("Nicht bewertet")
    assert row[1] == "7.5", "the other module keeps its points"


@pytest.mark.parametrize(("kind", "field", "column"), [
    ("email", 2, "email"), ("username", 3, "lms_user_id"), ("idnumber", 3, "lms_user_id")])
def test_learner_without_identifier_is_named_and_nothing_written(
        template: Path, tmp_path: Path, kind: str, field: int, column: str) -> None:
    """Does a class list without ben's identifier stop the export with an error naming
    ben and the column to fill in, leaving an earlier export as it was?"""
    ben = tuple(None if i == field else v for i, v in enumerate(CLASS["ben"]))
    root = course(template, tmp_path, ben=ben)
    (root / "noten-moodle.csv").write_text("alt\n", encoding="utf-8")
    with pytest.raises(ClassListError) as err:
        export_moodle(root, kind=kind)
    assert err.value.learners == ["ben"]
    assert "ben (Ben Berger)" in str(err.value) and f"Spalte {column}" in str(err.value)
    assert (root / "noten-moodle.csv").read_text(encoding="utf-8") == "alt\n"
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".")) == []


def test_identifier_twice_names_both_learners(template: Path, tmp_path: Path) -> None:
    """Do two learners with the same e-mail address (up to case and spaces) stop the
    export, naming both, with no file written?"""
    dora = (*CLASS["dora"][:2], " Anna.Albers@Schule.example", "d.demir")
    root = course(template, tmp_path, dora=dora)
    with pytest.raises(ClassListError) as err:
        export_moodle(root)
    assert sorted(err.value.learners) == ["anna", "dora"]
    assert "anna (Anna Albers), dora (Dora Demir): dieselbe E-Mail-Adresse" in str(err.value)
    assert not (root / "noten-moodle.csv").exists()


@pytest.mark.parametrize("bad", ["=1+2", "@SUMME(A1)", "a.albers\nb.berger", 'x"y'])
def test_identifier_a_spreadsheet_would_run_is_refused(template: Path, tmp_path: Path,
                                                       bad: str) -> None:
    """An identifier cannot be quoted away (Moodle must find the user by it): is one that
    starts like a formula or breaks the CSV refused, naming the learner?"""
    root = course(template, tmp_path, cem=(*CLASS["cem"][:3], bad))
    with pytest.raises(ClassListError) as err:
        export_moodle(root, kind="username")
    assert err.value.learners == ["cem"]
    assert not (root / "noten-moodle.csv").exists()


def test_every_problem_of_the_class_list_at_once(template: Path, tmp_path: Path) -> None:
    """Are all learners with a problem named in one error, so one fix of the list does?"""
    root = course(template, tmp_path, ben=(*CLASS["ben"][:2], None, None),
                  cem=(*CLASS["cem"][:2], "keine-adresse", None))
    with pytest.raises(ClassListError) as err:
        export_moodle(root)
    assert err.value.learners == ["ben", "cem"]


def test_no_gradebook_no_export(tmp_path: Path) -> None:
    """Without a gradebook, is the export refused instead of creating an empty one?"""
    (tmp_path / "nbgrader_config.py").write_text(CONFIG, encoding="utf-8")
    with pytest.raises(lms.LmsExportError, match="Kein Gradebook"):
        export_moodle(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nbgrader_config.py"]


def test_text_cells_are_inert() -> None:
    """Does a text cell starting with =, +, -, @ or a tab get a leading ' and lose line
    breaks, so a spreadsheet shows it as text?"""
    assert inert_cell('=HYPERLINK("http://x";"klick")') == "'=HYPERLINK(\"http://x\";\"klick\")"
    for start in "+-@":
        assert inert_cell(f"{start}1") == f"'{start}1"
    assert inert_cell("\t=1") == "'=1"
    assert inert_cell("Zeile 1\nZeile 2") == "Zeile 1 Zeile 2"
    assert inert_cell("Keine Abgabe.") == "Keine Abgabe."


def test_file_is_replaced_whole_or_not_at_all(klasse: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """If writing fails at the last step, is the earlier export untouched and no
    temporary file left behind?"""
    (klasse / "noten-moodle.csv").write_text("alt\n", encoding="utf-8")

    def broken(src: str, dst: str) -> None:
        raise OSError("Datenträger voll")

    monkeypatch.setattr(files.os, "replace", broken)
    with pytest.raises(OSError, match="Datenträger voll"):
        export_moodle(klasse)
    assert (klasse / "noten-moodle.csv").read_text(encoding="utf-8") == "alt\n"
    assert [p.name for p in klasse.iterdir() if p.name.startswith(".")] == []


def test_export_command_reports_a_bad_class_list(template: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Does `./grade --export moodle` say which learner lacks an identifier, exit 1, and
    write nothing?"""
    root = course(template, tmp_path, ben=(*CLASS["ben"][:2], "", None))
    assert main(["--root", str(root), "--export", "moodle"]) == 1
    err = capsys.readouterr().err
    assert "!!! Kein Moodle-Export" in err and "ben (Ben Berger): keine E-Mail-Adresse" in err
    assert not (root / "noten-moodle.csv").exists()


def test_export_command_alone_needs_no_widgets_and_no_grading(klasse: Path) -> None:
    """Does `./grade --export moodle` alone write the file from the gradebook, without
    grading and without importing ipywidgets (or pandas)?"""
    code = ("import sys; from course.classgrade import main; "
            f"rc = main(['--root', {str(klasse)!r}, '--export', 'moodle']); "
            "print(rc, 'ipywidgets' in sys.modules, 'pandas' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env=isolated_env(klasse))
    assert proc.stdout.splitlines()[-1] == "0 False False", proc.stdout + proc.stderr
    assert "Moodle-Export:" in proc.stdout and "4 Lernende, 2 Modul(e)" in proc.stdout
    assert "    ohne Punkte, nicht bewertbar: cem" in proc.stdout
    assert not (klasse / "grade.log").exists() and not (klasse / "feedback").exists()
    assert read(klasse / "noten-moodle.csv")[0][0] == "E-Mail-Adresse"


M = "03_vier_ohren"
KLASSE = """id,first_name,last_name,email,lms_user_id
anna,Anna,Albers,anna.albers@schule.example,
ben,Ben,Berger,ben.berger@schule.example,
dora,Dora,Demir,dora.demir@schule.example,
emil,Emil,Engel,emil.engel@schule.example,
fritz,Fritz,Fischer,fritz.fischer@schule.example,
"""


@pytest.mark.nbgrader
def test_graded_class_exports_as_expected(tmp_path: Path) -> None:
    """A real class of module 03 through `./grade 03_vier_ohren --export moodle`: class
    list imported into nbgrader, anna graded, ben late, dora without submission, emil's
    file corrupt (its text a spreadsheet formula), fritz's reflection still to be graded
    by hand. Is the export the hand-written file, byte for byte?"""
    root = released_course(tmp_path / "kurs", [M])
    (root / "klasse.csv").write_text(KLASSE, encoding="utf-8")
    nbgrader(root, "db", "student", "import", "klasse.csv")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE) as gb:
        gb.update_or_create_assignment(M, duedate=DUE)
    sol = solutions(M)
    submit(root, "anna", M, submission(root, M, sol))
    submit(root, "ben", M, submission(root, M, sol))
    (root / "submitted" / "ben" / M / "timestamp.txt").write_text(
        "2026-11-20 10:05:00.000000 UTC", encoding="utf-8")
    submit(root, "emil", M, '=HYPERLINK("https://example.org";"klick")')
    fritz = submission(root, M, sol)
    for cell in fritz.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "m03_reflexion":
            cell.source = "Ich achte jetzt auf das Appell-Ohr."
    submit(root, "fritz", M, fritz)
    proc = subprocess.run(
        [sys.executable, "-m", "course.classgrade", M, "--root", str(root), "--jobs", "2",
         "--export", "moodle"],
        cwd=root, env=isolated_env(root), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # emil needs attention
    written = (root / "noten-moodle.csv").read_bytes()
    assert b"HYPERLINK" not in written
    assert written == (DATA / "moodle_03_vier_ohren.csv").read_bytes()
    (root / "noten-moodle.csv").unlink()
    export_moodle(root)  # alone, from the gradebook: emil is still not gradable
    assert (root / "noten-moodle.csv").read_bytes() == written
    assert "    ohne Punkte, nicht bewertbar: emil" in proc.stdout
    assert "    ohne Punkte, Bewertung in formgrader offen: fritz" in proc.stdout
    assert "    zu spät abgegeben: ben" in proc.stdout
