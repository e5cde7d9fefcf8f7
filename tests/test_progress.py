"""The learner's progress record: where it lives, what a right answer adds, broken files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from course import learner, progress, quiz
from course.content import load_quizzes

from .conftest import REPO


@pytest.fixture
def kurs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A learner's course folder (with the sync record) as working directory; no KURS_DIR."""
    folder = tmp_path / "Kundenkommunikation"
    (folder / "03_vier_ohren").mkdir(parents=True)
    (folder / learner.MANIFEST).write_text("{}", encoding="utf-8")
    monkeypatch.delenv("KURS_DIR", raising=False)
    monkeypatch.chdir(folder / "03_vier_ohren")
    progress._noted.clear()
    return folder


def _answer_right(module: str, quiz_id: str) -> quiz.QuizWidget:
    w = quiz.show(module, quiz_id)
    assert isinstance(w, quiz.ClassificationWidget)
    for pick, item in zip(w.picks, w.quiz.items, strict=True):
        pick.value = item.answer
    w.check_button.click()
    assert "Alles richtig" in w.feedback.value
    return w


def test_folder_is_found_from_the_notebook_directory(kurs: Path) -> None:
    """Is the course folder the first folder above the notebook that holds .kursstand.json?"""
    assert progress.course_dir() == kurs.resolve()


def test_kurs_dir_wins(kurs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Does $KURS_DIR point to the course folder even without a sync record?"""
    other = tmp_path / "anderswo"
    other.mkdir()
    monkeypatch.setenv("KURS_DIR", str(other))
    assert progress.course_dir() == other.resolve()


def test_right_answer_is_recorded_and_survives_a_restart(kurs: Path) -> None:
    """Does a fully right quiz land in .fortschritt.json, readable by a fresh process?"""
    _answer_right("03_vier_ohren", "drucker_ohren")
    data = json.loads((kurs / progress.FILE).read_text(encoding="utf-8"))
    assert data["version"] == 1
    assert set(data["richtig"]["03_vier_ohren"]) == {"drucker_ohren"}
    assert progress.load().solved == data["richtig"], "a new session reads the same record"
    assert not list(kurs.glob("*.tmp")), "no temporary file is left behind"


def test_wrong_answer_is_not_recorded(kurs: Path) -> None:
    """Does a wrong or incomplete answer leave no trace?"""
    w = quiz.show("03_vier_ohren", "drucker_ohren")
    w.check_button.click()
    assert not (kurs / progress.FILE).exists()


def test_first_success_time_is_kept(kurs: Path) -> None:
    """Does answering a quiz right again keep the record (and the first date) unchanged?"""
    progress.record("03_vier_ohren", "vpn_ohren")
    before = (kurs / progress.FILE).read_text(encoding="utf-8")
    assert progress.record("03_vier_ohren", "vpn_ohren") is None
    assert (kurs / progress.FILE).read_text(encoding="utf-8") == before


def test_corrupt_file_starts_fresh_with_one_note(kurs: Path) -> None:
    """Does an unreadable record start fresh, with a German note once, instead of an error?"""
    (kurs / progress.FILE).write_text("{kaputt", encoding="utf-8")
    loaded = progress.load()
    assert loaded.solved == {} and loaded.note and "nicht lesbar" in loaded.note
    assert "nicht lesbar" in progress.home_html(loaded)
    w = _answer_right("03_vier_ohren", "drucker_ohren")
    assert "Fortschrittsdatei" in w.feedback.value, "the note is shown with the feedback"
    data = json.loads((kurs / progress.FILE).read_text(encoding="utf-8"))
    assert data["richtig"] == {"03_vier_ohren": {"drucker_ohren": data["richtig"][
        "03_vier_ohren"]["drucker_ohren"]}}
    w.check_button.click()
    assert "Fortschrittsdatei" not in w.feedback.value


@pytest.mark.parametrize("content", ['["liste"]', '{"richtig": {"03_vier_ohren": 5}}', "\xff"])
def test_wrong_shape_counts_as_corrupt(kurs: Path, content: str) -> None:
    """Is valid JSON of the wrong shape (or not UTF-8) treated like a corrupt file?"""
    (kurs / progress.FILE).write_bytes(content.encode("latin-1"))
    loaded = progress.load()
    assert loaded.solved == {} and loaded.note


def test_missing_file_is_an_empty_record(kurs: Path) -> None:
    """Does a course folder without a record show no progress and no error?"""
    loaded = progress.load()
    assert loaded.folder == kurs.resolve() and loaded.solved == {} and loaded.note is None
    assert all(done == 0 for done, _ in progress.counts(loaded).values())
    assert "Noch keine Übung gelöst" in progress.home_html(loaded)


def test_without_course_folder_nothing_is_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside a learner's copy (e.g. in the repository), is nothing written anywhere?"""
    monkeypatch.delenv("KURS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert progress.course_dir() is None
    assert progress.record("03_vier_ohren", "drucker_ohren") is None
    assert list(tmp_path.iterdir()) == []
    assert "./start" in progress.home_html(progress.load())


def test_unwritable_folder_gives_a_note_not_an_error(
    kurs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the record cannot be written, does the quiz still work and say so once?"""
    def fail(*_: object) -> None:
        raise PermissionError(13, "Keine Berechtigung")

    monkeypatch.setattr(progress, "_write", fail)
    w = _answer_right("03_vier_ohren", "drucker_ohren")
    assert "konnte nicht gespeichert werden" in w.feedback.value


def test_counts_per_module(kurs: Path) -> None:
    """Are right answers counted per module against the quizzes in its YAML file?"""
    progress.record("03_vier_ohren", "drucker_ohren")
    progress.record("03_vier_ohren", "vpn_ohren")
    progress.record("03_vier_ohren", "gibt_es_nicht_mehr")
    progress.record("01_gespraechsstruktur", "schritte_ordnen")
    counts = progress.counts(progress.load())
    assert counts["03_vier_ohren"] == (2, len(load_quizzes("03_vier_ohren")))
    assert counts["01_gespraechsstruktur"] == (1, len(load_quizzes("01_gespraechsstruktur")))
    assert set(progress.module_titles()) <= set(counts)


def test_home_shows_a_bar_and_link_per_module(kurs: Path) -> None:
    """Does the home table have a link and (with quizzes) a progress bar for every module?"""
    progress.record("03_vier_ohren", "drucker_ohren")
    page = progress.home_html(progress.load())
    total = len(load_quizzes("03_vier_ohren"))
    assert f'<progress value="1" max="{total}"' in page
    for module in progress.module_titles():
        assert f'href="{module}/{module}.ipynb"' in page


def test_learner_sync_leaves_progress_alone(kurs: Path) -> None:
    """Does a course update (./start again) keep the progress file untouched?"""
    progress.record("03_vier_ohren", "drucker_ohren")
    before = (kurs / progress.FILE).read_text(encoding="utf-8")
    learner.sync(kurs)
    assert (kurs / progress.FILE).read_text(encoding="utf-8") == before
    assert progress.FILE not in learner.course_files()


def test_start_page_lists_every_module_and_shows_progress() -> None:
    """Does the start page link all modules 00-09 and call show_home()?"""
    start = json.loads((REPO / "home" / "Start.ipynb").read_text(encoding="utf-8"))
    text = "\n".join("".join(c["source"]) for c in start["cells"])
    for module in progress.module_titles():
        assert f"({module}/{module}.ipynb)" in text
    assert any("show_home()" in "".join(c["source"]) for c in start["cells"]
               if c["cell_type"] == "code")


def test_import_course_stays_light() -> None:
    """Does `import course.progress` avoid loading ipywidgets?"""
    import subprocess
    import sys

    code = ("import sys, course, course.progress; "
            "print('ipywidgets' in sys.modules, 'IPython' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, check=True).stdout.split()
    assert out == ["False", "False"]
