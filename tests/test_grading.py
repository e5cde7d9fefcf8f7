"""Grading helpers: the points nbgrader will record and the messages a learner reads."""

from __future__ import annotations

import pytest

from course import grading
from course.grading import Hinweis, check_format, grade_labels, grade_order

EXPECTED = {
    "Der Drucker druckt nicht.": "sachinhalt",
    "Ich bin gestresst.": "selbstoffenbarung",
    "Ihr macht euren Job nicht.": "beziehung",
}
HINTS = {"Ihr macht euren Job nicht.": "Welches Ohr hört eine Aussage über die Beziehung?"}


def test_all_right_gives_full_points(notebook: dict, capsys: pytest.CaptureFixture[str]) -> None:
    """Does a fully correct dict get one point per item and a ✓ line per item?"""
    notebook["antwort"] = {"Der Drucker druckt nicht.": "Sachinhalt",
                           "Ich bin gestresst.": "selbstoffenbarung",
                           "Ihr macht euren Job nicht.": "Beziehungs-Ohr"}
    assert grade_labels("antwort", EXPECTED, "ohren") == 3.0
    assert capsys.readouterr().out.count("✓") == 3


def test_partial_answer_gives_partial_points(
    notebook: dict, capsys: pytest.CaptureFixture[str],
) -> None:
    """Does a wrong item cost exactly its point and show the friendly hint, not the answer?"""
    notebook["antwort"] = {"Der Drucker druckt nicht.": "Sachinhalt", "Ich bin gestresst.": "",
                           "Ihr macht euren Job nicht.": "Sachinhalt"}
    assert grade_labels("antwort", EXPECTED, "ohren", hints=HINTS) == 1.0
    out = capsys.readouterr().out
    assert ("✗ „Ihr macht euren Job nicht.“ gehört nicht zu „Sachinhalt“ – Welches Ohr hört "
            "eine Aussage über die Beziehung?") in out
    assert "✗ „Ich bin gestresst.“ – keine gültige Antwort." in out


def test_missing_variable_is_explained() -> None:
    """Does a learner who forgot to run the answer cell get told so in German?"""
    with pytest.raises(Hinweis, match="Die Variable `nicht_da` gibt es noch nicht"):
        grade_labels("nicht_da", EXPECTED, "ohren")


def test_changed_key_is_explained(notebook: dict) -> None:
    """Does a learner who edited a statement text get a message naming the missing entry?"""
    notebook["antwort"] = {"Der Drucker druckt nicht": "Sachinhalt"}
    with pytest.raises(Hinweis, match="fehlt der Eintrag „Der Drucker druckt nicht.“"):
        grade_labels("antwort", EXPECTED, "ohren")


def test_wrong_type_is_explained(notebook: dict) -> None:
    """Is a list instead of a dict reported as such, as an AssertionError nbgrader scores 0?"""
    notebook["antwort"] = ["Sachinhalt"]
    with pytest.raises(AssertionError, match="soll ein Dictionary sein"):
        grade_labels("antwort", EXPECTED, "ohren")


def test_check_format_never_raises(notebook: dict, capsys: pytest.CaptureFixture[str]) -> None:
    """Does the self-check print problems (so Run All goes on) without revealing answers?"""
    notebook["antwort"] = {k: "" for k in EXPECTED}
    assert not check_format("antwort", list(EXPECTED), "ohren")
    out = capsys.readouterr().out
    assert out.startswith("➜ Noch keine Antwort eingetragen") and "✗" not in out
    first, *rest = EXPECTED
    notebook["antwort"] = {first: "Appel", **{k: "" for k in rest}}
    assert not check_format("antwort", list(EXPECTED), "ohren")
    out = capsys.readouterr().out
    assert "„Appel“ ist keine gültige Antwort" in out and "Erlaubt sind: „Sachinhalt“" in out
    assert "noch leer" in out
    assert grading._quoted("„Jetzt stellen …“") == "„Jetzt stellen …“"
    assert grading._quoted("Appel") == "„Appel“"
    assert not check_format("fehlt", list(EXPECTED), "ohren")
    notebook["antwort"] = {k: "Appell" for k in EXPECTED}
    result = check_format("antwort", list(EXPECTED), "ohren")
    assert result and result._ipython_display_() is None  # no raw True under the cell
    assert "richtig" not in capsys.readouterr().out.split("Form in Ordnung")[-1].split(".")[0]


def test_self_checks_are_calm_before_any_answer(
    notebook: dict, capsys: pytest.CaptureFixture[str],
) -> None:
    """Run All in an unanswered notebook: the order, value and path self-checks print a
    calm note, no ✗; a wrong form still gets its ✗, a right one its ✓ (never "richtig")."""
    notebook.update(reihenfolge=["", "", "", ""], anteil=None, woche=None, pfad=[])
    assert not grading.check_order("reihenfolge", ["A", "B", "C", "D"])
    grading.check_answers(["anteil", "woche"])
    assert not grading.check_path("pfad", "vpn-wieder")
    out = capsys.readouterr().out
    assert "✗" not in out and out.count("➜ Noch keine Antwort eingetragen") == 3, out
    notebook["anteil"] = 0.5
    grading.check_answers(["anteil", "woche"])
    out = capsys.readouterr().out
    assert "✓ `anteil`: die Zahl 0.5." in out and "➜ `woche`: noch keine Antwort." in out
    notebook["reihenfolge"] = ["C", "d", "A", "A"]
    assert not grading.check_order("reihenfolge", ["A", "B", "C", "D"])
    out = capsys.readouterr().out
    assert out.startswith("✗ `reihenfolge` soll eine Liste sein, in der A, B, C und D je")
    notebook["reihenfolge"] = [" c", "D", "a", "B"]
    assert grading.check_order("reihenfolge", ["A", "B", "C", "D"])
    assert "richtig" not in capsys.readouterr().out


def test_grade_order_points_per_place(notebook: dict, capsys: pytest.CaptureFixture[str]) -> None:
    """Does an ordering get a point per step in its place, with case and umlauts ignored?"""
    steps = ["Beobachtung", "Gefühl", "Bedürfnis", "Bitte"]
    notebook["reihenfolge"] = ["beobachtung", "Beduerfnis", "Gefühl", "Bitte"]
    assert grade_order("reihenfolge", steps, hint="Was kommt zuerst?") == 2.0
    assert "✗ Platz 2: „Bedürfnis“ gehört nicht hierher" in capsys.readouterr().out
    notebook["reihenfolge"] = ["Beobachtung", "Wunsch"]
    with pytest.raises(Hinweis, match="„Wunsch“ steht nicht zur Auswahl"):
        grade_order("reihenfolge", steps, hint="")


def test_grade_rewrite_shares_the_points_among_the_content_criteria(
    notebook: dict,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Does only acknowledgement earn half, the reworded original nothing, both all points?"""
    from course.grading import grade_rewrite

    notebook["antwort"] = "Das ist wirklich ärgerlich, tut mir leid."
    assert grade_rewrite("antwort", "neu-gestartet") == 2.0
    assert "2 von 4 Punkten" in capsys.readouterr().out
    notebook["antwort"] = "Haben Sie den Drucker schon einmal neu gestartet?"
    assert grade_rewrite("antwort", "neu-gestartet") == 0.0
    out = capsys.readouterr().out
    assert "✗" in out and "Verständnis" in out and "0 von 4 Punkten" in out
    notebook["antwort"] = ("Das ist ärgerlich, gerade vor dem Termin. "
                           "Ich schaue mir den Drucker sofort an.")
    assert grade_rewrite("antwort", "neu-gestartet") == 4.0


def test_grade_rewrite_gives_nothing_without_r1_or_r4(
    notebook: dict, capsys: pytest.CaptureFixture[str],
) -> None:
    """Does an answer with a step but a calm-down phrase earn 0 points, and say why?"""
    from course.grading import grade_rewrite

    notebook["antwort"] = "Beruhigen Sie sich erst mal, ich kümmere mich darum."
    assert grade_rewrite("antwort", "nichts-machen") == 0.0
    assert "Ohne R1 gibt es keine Punkte" in capsys.readouterr().out


def test_grade_rewrite_gives_nothing_for_a_copied_example(
    notebook: dict,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Does pasting the module's „Besser so“ sentence earn 0 points with a note saying so?"""
    from course.grading import grade_rewrite

    notebook["antwort"] = "Das tut mir leid. Ich kümmere mich jetzt darum."
    assert grade_rewrite("antwort", "nicht-ich") == 0.0
    out = capsys.readouterr().out
    assert "wörtlich ein Beispielsatz aus dem Kurs" in out and "0 von 4 Punkten" in out


def test_visible_rewrite_test_is_calm_and_keyless(
    notebook: dict, capsys: pytest.CaptureFixture[str],
) -> None:
    """In the learner's own kernel: an empty answer gets a note instead of ✗ lines, the
    points a sentence instead of a raw number, and no rubric key; the trusted scorer
    (answers handed over) still prints the criteria line for the class report."""
    from course.grading import grade_rewrite, handed_over

    notebook["antwort"] = ""
    assert grade_rewrite("antwort", "neu-gestartet") == 0
    out = capsys.readouterr().out
    assert out.startswith("➜ Noch keine Antwort eingetragen") and "✗" not in out
    notebook["antwort"] = "Haben Sie den Drucker schon einmal neu gestartet?"
    points = grade_rewrite("antwort", "neu-gestartet")
    out = capsys.readouterr().out
    assert f"{points:g} von 4 Punkten" in out and "neu-gestartet" not in out
    assert points._ipython_display_() is None  # no raw Out[] under the cell
    with handed_over({"antwort": notebook["antwort"]}):
        scored = grade_rewrite("antwort", "neu-gestartet")
    assert type(scored) is float and scored == points
    assert "Kriterien (neu-gestartet):" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("sentence", "points", "message"),
    [
        ("Ich räume Ihr Postfach auf und rufe Sie bis 11 Uhr an. Passt das?", 3.0,
         "✓ Du nennst einen Zeitrahmen („bis 11 Uhr“)."),
        ("Ich kümmere mich darum.", 1.5, "✗ Es fehlt ein Zeitrahmen"),
        ("Ich melde mich in zehn Minuten bei dir.", 0.0, "du"),
        ("", 0.0, "➜ Noch keine Antwort eingetragen."),  # calm before answering
    ],
)
def test_grade_agree(
    notebook: dict,
    capsys: pytest.CaptureFixture[str], sentence: str, points: float, message: str
) -> None:
    """Does an Agree sentence earn half for the own step and half for its time frame, and
    nothing when it is rude or du-form?"""
    from course.grading import grade_agree

    notebook["agree_satz"] = sentence
    assert grade_agree("agree_satz") == points
    assert message in capsys.readouterr().out


def test_class_report_counts_the_missed_lines_grade_rewrite_prints(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Does the class report find a learner's ✗ line among grade_rewrite's output, but not the
    ✓ lines, the points note or the criteria summary?"""
    from course.grading import grade_rewrite, handed_over
    from course.report import _failures

    with handed_over({"antwort": "Vielen Dank für Ihren Anruf."}):
        grade_rewrite("antwort", "nichts-machen")
    printed = capsys.readouterr().out
    found = [line for line, _ in _failures({"ben": [printed]})]
    assert found == ["✗ Es fehlt ein nächster Schritt: Was tust du als Nächstes, und bis wann?"]
