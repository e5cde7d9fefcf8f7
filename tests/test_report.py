"""The class report's page: what an instructor reads, with learner text inert."""

from __future__ import annotations

import pandas as pd

from course.report import DialogStats, ReportData, render

EVIL = "<script>alert(1)</script>"


def _data(**extra: object) -> ReportData:
    per = pd.DataFrame({"mittel": [1.5], "max": [3.0], "volle_punkte": [0.5]},
                       index=[f"m03_test_{EVIL}"])
    return ReportData("03_vier_ohren", 22.0, pd.Series({"anna": 19.0, "ben": 7.0}), per,
                      pd.DataFrame(), **extra)  # type: ignore[arg-type]


def test_report_shows_the_class_and_escapes_every_text() -> None:
    """Does the page show submissions, mean, a described plot and the lists, with learner
    error messages, ids and role-play answers escaped (no tag of theirs survives)?"""
    choices = pd.DataFrame([{"knoten": "start", "nr": 1, "antwort": EVIL, "modell": "GFK",
                             "angewendet": True, "anzahl": 2, "anteil": 1.0}])
    endings = pd.DataFrame([{"ende": "gut", "art": "gut", "anzahl": 2, "anteil": 1.0}])
    dialog = DialogStats("vip-crm", "VIP <b>CRM</b>", 2, choices, endings, f"Fehler {EVIL}")
    page = render(_data(top_failures=[(f"NameError {EVIL}", 2)], not_submitted=["cem"],
                        failed_to_run={"dora": f"Zeitüberschreitung {EVIL}"},
                        dialogs=[dialog]))
    assert "<script" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 5
    assert "VIP &lt;b&gt;CRM&lt;/b&gt; (2 Pfade)" in page
    assert "2 Abgaben, Durchschnitt 13.0 von 22 Punkten" in page
    assert 'alt="Verteilung der Punkte (Histogramm)" src="data:image/png;base64,' in page
    assert "<h2>Keine Abgabe</h2>\n<ul><li>cem</li></ul>" in page
    assert "<h2>Umformulierungen: verfehlte Kriterien (R1–R4)</h2>\n<p>–</p>" in page


def test_report_without_submissions_says_so() -> None:
    """Does a module nobody handed in get a plain 'Keine Abgaben.' and no plot?"""
    empty = ReportData("04_gfk", 17.0, pd.Series(dtype=float), pd.DataFrame(columns=[
        "mittel", "max", "volle_punkte"]), pd.DataFrame())
    page = render(empty)
    assert "<p>Keine Abgaben.</p>" in page and "<img" not in page
