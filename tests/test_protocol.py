"""The learner's own empathy protocol: entries, validation, damaged files, parallel writes,
weekly summary, export – and the checks used by the graded pandas task of module 09."""

from __future__ import annotations

import csv
import multiprocessing
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from unittest import mock

import pytest

from course import grading, protocol, protocol_view
from course.grading import Hinweis
from course.page import PLEASE_CHOOSE
from course.protocol import COLUMNS, Entry, ProtokollFehler

from .conftest import REPO

TODAY = date(2026, 12, 31)


def entry(day: str = "3.11.2026", **changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "datum": day,
        "kanal": "Telefon",
        "stimmung_kunde": "verärgert",
        "eigene_reaktion": "Zugehört und den Ärger anerkannt.",
        "ruhig_geblieben": "ja",
        "was_ich_anders_machen_wuerde": "Früher einen Rückruf anbieten.",
    }
    fields.update(changes)
    return fields


def make(day: str = "3.11.2026", **changes: object) -> Entry:
    return protocol.make_entry(**entry(day, **changes), today=TODAY)


def rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


# --- where the file lives -----------------------------------------------------------------


def test_course_dir_prefers_kurs_dir_then_the_marked_folder_then_cwd(tmp_path: Path) -> None:
    """Is the protocol kept in the learner's course folder, wherever the notebook runs?"""
    kurs = tmp_path / "kurs"
    module = kurs / "09_video_und_dokumentation"
    module.mkdir(parents=True)
    assert protocol.course_dir({}, module) == module  # no marker yet: the working folder
    (kurs / ".kursstand.json").write_text("{}", encoding="utf-8")
    assert protocol.course_dir({}, module) == kurs
    other = tmp_path / "anderswo"
    assert protocol.course_dir({"KURS_DIR": str(other)}, module) == module, "no such folder"
    other.mkdir()
    assert protocol.course_dir({"KURS_DIR": str(other)}, module) == other.resolve()


def test_protocol_file_is_not_a_course_file() -> None:
    """Can a course update never overwrite the protocol (its name is not in release/)?"""
    from course.learner import course_files

    names = {Path(rel).name for rel in course_files()}
    assert protocol.FILE_NAME not in names and protocol.EXPORT_NAME not in names


def test_import_stays_light() -> None:
    """Does importing the module load neither pandas, matplotlib nor ipywidgets?"""
    code = ("import sys, course.protocol; "
            "print([m for m in ('pandas', 'matplotlib', 'ipywidgets') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- entries and validation ---------------------------------------------------------------


def test_add_entry_and_reload(tmp_path: Path) -> None:
    """Is a saved entry in the file and read back exactly, also after a second entry?"""
    path = tmp_path / protocol.FILE_NAME
    first = make("3.11.2026")
    protocol.add_entry(first, path)
    protocol.add_entry(make("28.10.2026", kanal="video", ruhig_geblieben="nein"), path)
    assert rows(path)[0] == list(COLUMNS)
    assert rows(path)[1] == ["2026-11-03", "Telefon", "verärgert",
                             "Zugehört und den Ärger anerkannt.", "ja",
                             "Früher einen Rückruf anbieten."]
    loaded = protocol.load_entries(path)
    assert loaded.set_aside is None and loaded.problems == []
    assert [e.datum for e in loaded.entries] == [date(2026, 10, 28), date(2026, 11, 3)]
    assert loaded.entries[1] == first
    assert loaded.entries[0].kanal == "Video" and loaded.entries[0].ruhig_geblieben is False


def test_add_entry_accepts_a_mapping_and_checks_it(tmp_path: Path) -> None:
    """Does add_entry validate a plain dict before anything is written?"""
    path = tmp_path / protocol.FILE_NAME
    with pytest.raises(ProtokollFehler):
        protocol.add_entry(entry(kanal="Brieftaube"), path)
    assert not path.exists()
    protocol.add_entry(entry("1.11.2026"), path)
    assert len(protocol.load_entries(path).entries) == 1


def test_loading_a_missing_protocol_creates_nothing(tmp_path: Path) -> None:
    """Does merely showing the protocol (e.g. in nbgrader or nbval runs) write no file?"""
    assert protocol.load_entries(tmp_path / protocol.FILE_NAME).entries == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.11.2026", date(2026, 11, 3)),
        ("03.11.2026", date(2026, 11, 3)),
        (" 3. 11. 2026 ", date(2026, 11, 3)),
        ("3.11.26", date(2026, 11, 3)),
        ("3.11.", date(2026, 11, 3)),
        ("2026-11-03", date(2026, 11, 3)),
        (date(2026, 11, 3), date(2026, 11, 3)),
        (datetime(2026, 11, 3, 14, 30), date(2026, 11, 3)),
    ],
)
def test_dates_german_and_iso(text: object, expected: date) -> None:
    """Are German dates (3.11.2026, 03.11.26, 3.11.) and ISO dates understood?"""
    assert protocol.parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"datum": "31.2.2026"}, "„31.2.2026“ ist kein gültiges Datum. Schreib es zum Beispiel "
                                 "so: 3.11.2026."),
        ({"datum": "gestern"}, "„gestern“ ist kein gültiges Datum"),
        ({"datum": ""}, "Bitte gib das Datum des Gesprächs an, z. B. 3.11.2026."),
        ({"datum": "5.1.2027"}, "Der 5.1.2027 liegt in der Zukunft."),
        ({"kanal": "Fax"}, "„Fax“ passt nicht zu „Kanal“. Möglich sind: „Telefon“"),
        ({"kanal": None}, "Bitte wähle bei „Kanal“ eine Antwort"),
        ({"stimmung_kunde": "sauer"}, "„sauer“ passt nicht zu „Wie war die Stimmung"),
        ({"eigene_reaktion": "   "}, "Bitte beantworte die Frage „Wie habe ich reagiert?“"),
        ({"ruhig_geblieben": "vielleicht"}, "„Bin ich ruhig geblieben?“ „ja“ oder „nein“"),
        ({"was_ich_anders_machen_wuerde": "x" * 1001}, "zu lang (höchstens 1000)"),
        ({"eigene_reaktion": "Sein Passwort ist Sommer2026, habe es notiert."},
         "steht offenbar ein Passwort"),
    ],
)
def test_validation_messages(changes: dict[str, object], message: str) -> None:
    """Does each kind of bad input get a clear German message naming the field?"""
    with pytest.raises(ProtokollFehler) as err:
        protocol.make_entry(**entry(**changes), today=TODAY)
    assert any(message in p for p in err.value.problems), err.value.problems
    assert len(err.value.problems) == 1, "only the broken field is reported"


def test_empty_entry_is_refused_with_one_message() -> None:
    """Is an entirely empty form refused with one friendly message, not six?"""
    with pytest.raises(ProtokollFehler) as err:
        protocol.make_entry(datum=" ", kanal=None, eigene_reaktion="", today=TODAY)
    assert err.value.problems == [
        "Der Eintrag ist noch leer. Trag Datum und Kanal ein und beantworte die vier Fragen."
    ]


def test_several_problems_are_reported_together() -> None:
    """Are all problems of an entry listed at once, so the learner fixes them in one go?"""
    with pytest.raises(ProtokollFehler) as err:
        protocol.make_entry(**entry("32.1.2026", kanal="", ruhig_geblieben=None), today=TODAY)
    assert len(err.value.problems) == 3


@pytest.mark.parametrize(
    "text",
    ["Das Passwort ist abgelaufen, neu gesetzt.", "PIN-Brief nachbestellt.",
     "Erklärt, wie man ein sicheres Kennwort wählt."],
)
def test_talking_about_passwords_is_fine(text: str) -> None:
    """Is only a written-down secret refused, not an entry that mentions passwords?"""
    assert make(eigene_reaktion=text).eigene_reaktion == text


@pytest.mark.parametrize("text", ["Passwort: geheim", "Die PIN lautet 4711.",
                                  "Kennwort war Herbst!2026"])
def test_written_down_secrets_are_refused(text: str) -> None:
    """Is an entry that contains a password, PIN or code refused?"""
    with pytest.raises(ProtokollFehler, match="Passwort oder eine PIN"):
        make(was_ich_anders_machen_wuerde=text)


def test_text_is_kept_on_one_line(tmp_path: Path) -> None:
    """Are line breaks and commas in an answer stored safely and read back as one line?"""
    path = tmp_path / protocol.FILE_NAME
    protocol.add_entry(make(eigene_reaktion='Erst "Moment", dann\n  ruhig erklärt, ok.'), path)
    assert protocol.load_entries(path).entries[0].eigene_reaktion == (
        'Erst "Moment", dann ruhig erklärt, ok.')


# --- damaged files ------------------------------------------------------------------------


def test_corrupt_file_is_kept_aside_and_a_fresh_one_started(tmp_path: Path) -> None:
    """Is a damaged file renamed with a time stamp (unchanged) and a fresh file started with
    the entries that could still be read?"""
    path = tmp_path / protocol.FILE_NAME
    protocol.add_entry(make("2.11.2026"), path)
    protocol.add_entry(make("4.11.2026"), path)
    damaged = path.read_bytes() + b"2026-11-05,Telefon,ver\xc3"  # torn, half a character
    path.write_bytes(damaged)
    loaded = protocol.load_entries(path, now=datetime(2026, 11, 6, 8, 15, 0))
    aside = tmp_path / "mein_empathie_protokoll.defekt-20261106-081500.csv"
    assert loaded.set_aside == aside
    assert aside.read_bytes() == damaged
    assert [e.datum.day for e in loaded.entries] == [2, 4]
    assert "liegt unverändert als „mein_empathie_protokoll.defekt-20261106-081500.csv“" in (
        loaded.notice() or "")
    assert rows(path)[0] == list(COLUMNS) and len(rows(path)) == 3
    assert protocol.load_entries(path).set_aside is None, "the fresh file is healthy"
    protocol.add_entry(make("6.11.2026"), path)
    assert len(protocol.load_entries(path).entries) == 3


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe\x00garbage",  # not UTF-8 at all
        b"Datum;Kanal\n3.11.2026;Telefon\n",  # saved from a spreadsheet with semicolons
        b"datum,kanal\n",  # header cut off
        (",".join(COLUMNS) + "\n2026-13-01,Telefon,verärgert,a,ja,b\n").encode(),  # bad date
    ],
)
def test_every_kind_of_damage_starts_fresh(tmp_path: Path, content: bytes) -> None:
    """Does any unreadable content lead to a kept-aside copy and a fresh, empty protocol?"""
    path = tmp_path / protocol.FILE_NAME
    path.write_bytes(content)
    loaded = protocol.load_entries(path)
    assert loaded.set_aside is not None and loaded.set_aside.read_bytes() == content
    assert loaded.entries == [] and rows(path) == [list(COLUMNS)]


def test_two_damages_in_one_second_keep_both_copies(tmp_path: Path) -> None:
    """Is an earlier kept-aside copy never overwritten by a later one?"""
    path = tmp_path / protocol.FILE_NAME
    now = datetime(2026, 11, 6, 8, 15, 0)
    for junk in (b"kaputt 1", b"kaputt 2"):
        path.write_bytes(junk)
        protocol.load_entries(path, now=now)
    kept = sorted(p.read_bytes() for p in tmp_path.glob("*.defekt-*.csv"))
    assert kept == [b"kaputt 1", b"kaputt 2"]


def test_adding_to_a_damaged_file_keeps_it_aside_first(tmp_path: Path) -> None:
    """Does saving an entry into a damaged file also set the old file aside first?"""
    path = tmp_path / protocol.FILE_NAME
    path.write_text("nicht, mein, Format\n", encoding="utf-8")
    loaded = protocol.add_entry(make(), path)
    assert loaded.set_aside is not None
    assert [e.datum for e in protocol.load_entries(path).entries] == [date(2026, 11, 3)]


# --- parallel writes ----------------------------------------------------------------------


def _writer(path: str, worker: int, count: int) -> None:
    for n in range(count):
        protocol.add_entry(
            protocol.make_entry(**entry("3.11.2026", eigene_reaktion=f"Prozess {worker} Nr. {n}"),
                                today=TODAY),
            path,
        )


def test_parallel_writers_lose_nothing(tmp_path: Path) -> None:
    """Do several processes (e.g. two open notebooks) appending at once lose no entry and
    leave a file that reads without damage?"""
    path = tmp_path / protocol.FILE_NAME
    workers, count = 6, 25
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), w, count)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    loaded = protocol.load_entries(path)
    assert loaded.set_aside is None, loaded.problems
    texts = sorted(e.eigene_reaktion for e in loaded.entries)
    assert texts == sorted(f"Prozess {w} Nr. {n}" for w in range(workers) for n in range(count))
    assert rows(path).count(list(COLUMNS)) == 1, "the header is written once"


# --- weekly summary, chart and export -----------------------------------------------------


def four_weeks() -> list[Entry]:
    plan = [  # (day in November, calm?, upset?)
        (2, False, True), (3, True, False), (5, False, True),
        (9, True, True), (11, True, False),
        (23, True, False), (24, True, True), (27, False, False),
    ]
    return [make(f"{d}.11.2026", ruhig_geblieben="ja" if calm else "nein",
                 stimmung_kunde="verärgert" if upset else "gestresst")
            for d, calm, upset in plan]


def test_weekly_summary_figures() -> None:
    """Are entries, upset customers, calm reactions and the calm share right per week – with
    an empty week in between shown as zero entries?"""
    summary = protocol.weekly_summary(four_weeks())
    assert list(summary.index) == [1, 2, 3, 4]
    assert list(summary["eintraege"]) == [3, 2, 0, 3]
    assert list(summary["kunde_veraergert"]) == [2, 1, 0, 1]
    assert list(summary["ruhig_geblieben"]) == [1, 2, 0, 2]
    shares = summary["anteil_ruhig"]
    assert shares[1] == pytest.approx(1 / 3) and shares[2] == 1
    assert shares[4] == pytest.approx(2 / 3)
    assert shares.isna()[3]
    assert summary.loc[3, "ab"] == date(2026, 11, 16)
    lines = protocol.summary_lines(summary)
    assert lines[0] == ("Woche 1 (ab 2.11.2026): 3 Einträge, 2× verärgert, 1× ruhig geblieben "
                        "(33 %).")
    assert lines[2] == "Woche 3 (ab 16.11.2026): keine Einträge."


def test_summary_of_an_empty_protocol() -> None:
    """Does an empty protocol give an empty table and an encouraging line, not an error?"""
    summary = protocol.weekly_summary([])
    assert len(summary) == 0
    assert protocol.summary_lines(summary) == [
        "Noch keine Einträge. Dein erster Eintrag startet Woche 1."]


def test_chart_is_a_png() -> None:
    """Is the weekly chart rendered as PNG without pyplot (and so without a GUI backend)?"""
    png = protocol.summary_png(protocol.weekly_summary(four_weeks()))
    assert png.startswith(b"\x89PNG")


def test_export_for_the_mentor(tmp_path: Path) -> None:
    """Does the export write an HTML file beside the protocol with summary, chart and every
    entry – with the learner's text escaped?"""
    path = tmp_path / protocol.FILE_NAME
    for e in four_weeks():
        protocol.add_entry(e, path)
    protocol.add_entry(make("26.11.2026", eigene_reaktion="<b>laut</b> & schnell"), path)
    target = protocol.export_html(path, now=datetime(2026, 11, 28, 9, 0))
    assert target == tmp_path / protocol.EXPORT_NAME
    text = target.read_text(encoding="utf-8")
    assert "Stand: 28.11.2026 09:00 · 9 Einträge" in text
    assert "Woche 4 (ab 23.11.2026): 4 Einträge" in text
    assert "data:image/png;base64," in text
    assert "&lt;b&gt;laut&lt;/b&gt; &amp; schnell" in text and "<b>laut</b>" not in text
    assert text.count("<tr>") == 1 + 9
    assert rows(path)[1][0] == "2026-11-02", "the protocol itself is unchanged"


def test_export_of_an_empty_protocol(tmp_path: Path) -> None:
    """Does exporting before the first entry still give a readable page?"""
    target = protocol.export_html(tmp_path / protocol.FILE_NAME)
    assert "Noch keine Einträge" in target.read_text(encoding="utf-8")


# --- the widget (thin) --------------------------------------------------------------------


def test_widget_saves_shows_errors_and_exports(tmp_path: Path) -> None:
    """Does the form save a valid entry, refuse a bad one with messages, and export?"""
    w = protocol_view.show(tmp_path)
    assert w.export_button.layout.width == "auto", "the whole label shows"
    for select in (w.kanal, w.stimmung):  # a prompt first, no answer preselected
        assert select.index == 0 and select.label == PLEASE_CHOOSE and select.value == ""
    w.save_button.click()
    assert "✗" in w.message.value and not (tmp_path / protocol.FILE_NAME).exists()
    assert "Bitte wähle bei „Kanal“ eine Antwort" in w.message.value
    w.datum.value = "2.11.2026"
    w.kanal.value = "Chat"
    w.stimmung.value = "panisch"
    w.reaktion.value = "Schnell geholfen."
    w.ruhig.value = "ja"
    w.anders.value = "Sagen, wie lange es dauert."
    w.save_button.click()
    assert "Gespeichert" in w.message.value and "Nr. 1" in w.message.value
    assert "Woche 1 (ab 2.11.2026): 1 Eintrag," in w.summary.value
    assert bytes(w.chart.value).startswith(b"\x89PNG")
    assert w.reaktion.value == "" and w.kanal.value == "", "the form is ready for the next"
    assert w.kanal.label == w.stimmung.label == PLEASE_CHOOSE
    w.export_button.click()
    assert str(tmp_path / protocol.EXPORT_NAME) in w.message.value


def test_widget_reports_a_damaged_file(tmp_path: Path) -> None:
    """Does opening the form on a damaged file say where the old file went?"""
    (tmp_path / protocol.FILE_NAME).write_text("kaputt", encoding="utf-8")
    w = protocol_view.show(tmp_path)
    assert "beschädigt" in w.message.value and ".defekt-" in w.message.value


# --- checks for the graded task (module 09) -----------------------------------------------


def _grade(func, name: str, value: object, *args: object) -> float:  # noqa: ANN001
    with mock.patch.object(grading, "notebook_namespace", return_value={name: value}):
        return func(name, *args)  # the learner's notebook holds only this answer


EXPECTED = {1: 0.4, 2: 5 / 11, 3: 2 / 3, 4: 0.9}


@pytest.mark.parametrize(
    ("value", "points"),
    [
        ("series", 4.0),
        ({1: 0.4, 2: 0.45, 3: 0.67, 4: 0.9}, 4.0),  # rounded to two decimals
        ({"Woche 1": 40, "Woche 2": 45.45, "Woche 3": 66.7, "Woche 4": 90}, 4.0),  # percent
        ({1: 0.4, 2: 0.5, 3: 0.7, 4: 0.9}, 2.0),
        ({1: 0.6, 2: 0.55, 3: 0.33, 4: 0.1}, 0.0),  # share of "nein"
    ],
)
def test_grade_weekly_shares(value: object, points: float) -> None:
    """Are weekly shares accepted as Series or dict, as fractions or percent, with a tolerance
    of rounding to two decimals – and a point per week?"""
    import pandas as pd

    if value == "series":
        value = pd.Series(EXPECTED, name="ruhig_geblieben").rename_axis("woche")
    hint = "Nur die Einträge dieser Woche."
    assert _grade(grading.grade_weekly_shares, "a", value, EXPECTED, hint) == points


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "soll eine pandas-Series oder ein Dictionary sein"),
        ({1: 0.4, 2: 0.5}, "fehlt Woche 3"),
        ({"erste": 0.4}, "ist „erste“ keine Wochennummer"),
    ],
)
def test_grade_weekly_shares_form_problems(value: object, message: str) -> None:
    """Does a wrong form fail with a German hint (and no points) instead of a traceback?"""
    with pytest.raises(Hinweis, match=message):
        _grade(grading.grade_weekly_shares, "a", value, EXPECTED, "h")


def test_grade_single_figures(capsys: pytest.CaptureFixture[str]) -> None:
    """Do share, week and bool checks give their point for right answers in any usual type,
    and a hint without the answer for wrong ones?"""
    import numpy as np

    assert _grade(grading.grade_share, "s", np.float64(0.6), 0.6, "h") == 1.0
    assert _grade(grading.grade_share, "s", 60, 0.6, "h") == 1.0
    assert _grade(grading.grade_share, "s", 0.4, 0.6, "Zähle genau.") == 0.0
    assert "passt noch nicht. Zähle genau." in capsys.readouterr().out
    assert _grade(grading.grade_week, "w", np.int64(2), 2, "h") == 1.0
    assert _grade(grading.grade_week, "w", "Woche 2", 2, "h") == 1.0
    assert _grade(grading.grade_week, "w", 3, 2, "h") == 0.0
    assert _grade(grading.grade_bool, "b", np.bool_(True), True, "h") == 1.0
    assert _grade(grading.grade_bool, "b", False, True, "h") == 0.0
    with pytest.raises(Hinweis, match="soll True oder False sein"):
        _grade(grading.grade_bool, "b", "ja", True, "h")
    with pytest.raises(Hinweis, match="Die Variable `fehlt` gibt es noch nicht"):
        grading.grade_share("fehlt", 0.6, "h")


def test_grade_figure() -> None:
    """Does a figure with data get the point, and an empty or missing one 0 – never an error?"""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert _grade(grading.grade_figure, "abbildung", fig) == 0.0
    ax.bar([1, 2, 3, 4], [0.4, 0.45, 0.67, 0.9])
    assert _grade(grading.grade_figure, "abbildung", fig) == 1.0
    plt.close("all")
    assert _grade(grading.grade_figure, "abbildung", None) == 0.0
