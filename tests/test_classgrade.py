"""`./grade` on a simulated class: progress, summary, exit status, idempotence, report."""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from course.cgroup import Cgroup
from course.report import collect

from .conftest import REPO
from .nbgrader_course import (
    isolated_env,
    make_course,
    max_code_score,
    released_course,
    scores,
    solutions,
    submission,
    submit,
)

pytestmark = pytest.mark.nbgrader
M = "03_vier_ohren"
Run = subprocess.CompletedProcess[str]


def grade(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "course.classgrade", M, "--root", str(root), *args],
        cwd=root, env=isolated_env(root), capture_output=True, text=True, timeout=600,
    )


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run, Run]:
    root = released_course(tmp_path_factory.mktemp("klasse"), [M])
    sol = solutions(M)
    submit(root, "anna", M, submission(root, M, sol))
    submit(root, "ben", M, submission(root, M, sol))
    submit(root, "cem", M, submission(root, M, {
        **sol, "m03_umformulierung": 'umformulierung = "Haben Sie schon neu gestartet?"'}))
    submit(root, "dora", M, submission(root, M, {}))
    submit(root, "emil", M, '{"cells": kaputt')
    first = grade(root)
    grades_first = (root / "grades.csv").read_text(encoding="utf-8")
    second = grade(root)
    assert (root / "grades.csv").read_text(encoding="utf-8") == grades_first
    return root, first, second


def test_progress_and_summary(graded) -> None:  # noqa: ANN001
    """Does the command show each learner's progress and end with a summary naming failures?"""
    _, first, _ = graded
    for learner in ("anna", "ben", "cem", "dora"):
        assert f"✓ {learner} bewertet" in first.stdout
    assert "✗ emil:" in first.stdout and "NotJSONError" in first.stdout
    assert "Bewertet: 4 neu, 0 unverändert" in first.stdout
    assert "Fehlgeschlagen: 1" in first.stdout


def test_exit_status_flags_what_needs_attention(graded) -> None:  # noqa: ANN001
    """Is the exit status non-zero because one learner's notebook could not be graded?"""
    _, first, _ = graded
    assert first.returncode == 1, first.stdout + first.stderr


def test_second_run_changes_nothing(graded) -> None:  # noqa: ANN001
    """Does running the command again keep every grade and grade nobody twice?"""
    root, _, second = graded
    assert "Bewertet: 0 neu, 4 unverändert" in second.stdout
    assert scores(root, M)["anna"][0] == max_code_score(root, M)


def test_grades_exported_and_feedback_written(graded) -> None:  # noqa: ANN001
    """Are grades.csv and each graded learner's feedback written?"""
    root, _, _ = graded
    with (root / "grades.csv").open(encoding="utf-8") as f:
        rows = {r["student_id"]: float(r["raw_score"]) for r in csv.DictReader(f)
                if r["assignment"] == M}
    assert rows["anna"] == max_code_score(root, M) and rows["dora"] == 0.0
    for learner in ("anna", "ben", "cem", "dora"):
        assert (root / "feedback" / learner / M / f"{M}.html").exists()


def test_report_figures_match_the_gradebook(graded) -> None:  # noqa: ANN001
    """Do the report's scores, criterion shares and lists agree with the gradebook?"""
    root, _, _ = graded
    data = collect(root, M, {"emil": "NotJSONError"})
    gradebook = {s: v[0] for s, v in scores(root, M).items() if s != "emil"}
    assert data.scores.drop("emil", errors="ignore").to_dict() == gradebook
    missed = data.criteria_missed.loc["neu-gestartet"]
    # anna, ben: all met; cem: copy of the original (R2, R4 missed); dora: empty (all missed)
    assert missed["R1"] == pytest.approx(1 / 4)
    assert missed["R2"] == pytest.approx(2 / 4)
    assert missed["R4"] == pytest.approx(2 / 4)
    assert data.failed_to_run == {"emil": "NotJSONError"}
    html = (root / f"klassenbericht-{M}.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 3
    assert "Häufigste Fehlermeldungen" in html and "emil" in html


def test_no_sandbox_no_grading(tmp_path: Path) -> None:
    """Without bubblewrap, does the command refuse loudly before grading anything?"""
    root = make_course(tmp_path / "kurs", [M])
    env = isolated_env(root)
    env["PATH"] = str(Path(sys.executable).parent)  # no /usr/bin: bwrap is not found
    proc = subprocess.run([sys.executable, "-m", "course.classgrade", M, "--root", str(root)],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "!!! ABBRUCH" in proc.stderr and "bubblewrap" in proc.stderr
    assert not (root / "autograded").exists()


def test_resubmission_is_graded_again(graded) -> None:  # noqa: ANN001
    """Does a newer submission (later timestamp) replace the old grade, and only that one?"""
    root, _, _ = graded
    before = scores(root, M)
    folder = root / "submitted" / "dora" / M
    (folder / "timestamp.txt").write_text("2026-11-22 09:00:00.000000 UTC", encoding="utf-8")
    (root / "autograded" / "dora" / M / "timestamp.txt").write_text(
        "2026-11-22 08:00:00.000000 UTC", encoding="utf-8")
    submit(root, "dora", M, submission(root, M, solutions(M)))
    third = grade(root)
    assert "✓ dora bewertet" in third.stdout and "Bewertet: 1 neu, 3 unverändert" in third.stdout
    after = scores(root, M)
    assert after["dora"][0] == max_code_score(root, M) > before["dora"][0]
    assert {s: v for s, v in after.items() if s != "dora"} == \
        {s: v for s, v in before.items() if s != "dora"}


def test_several_assignments_share_the_workers(tmp_path: Path) -> None:
    """Can one run grade two modules, naming each learner with the module, one report each?"""
    root = released_course(tmp_path / "kurs", ["01_gespraechsstruktur", M])
    for module in ("01_gespraechsstruktur", M):
        submit(root, "anna", module, submission(root, module, solutions(module)))
    proc = subprocess.run(
        [sys.executable, "-m", "course.classgrade", "--all", "--root", str(root)],
        cwd=root, env=isolated_env(root), capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"✓ {M}/anna bewertet" in proc.stdout
    assert "✓ 01_gespraechsstruktur/anna bewertet" in proc.stdout
    assert f"{M}: Bewertet: 1 neu, 0 unverändert" in proc.stdout
    for module in ("01_gespraechsstruktur", M):
        assert (root / f"klassenbericht-{module}.html").exists()
        assert scores(root, module)["anna"][0] == max_code_score(root, module)


def test_report_counts_the_class_choices_in_the_role_plays(tmp_path: Path) -> None:
    """Does the module-10 report count, per scenario, each choice per node and each ending?"""
    import json

    from course.dialog import ending_stats, example_path, load_scenario

    m10 = "10_abschluss"
    root = released_course(tmp_path / "kurs", [m10])
    vpn = load_scenario("vpn-wieder")
    hung_up = example_path(vpn, ending_stats(vpn)["aufgelegt"].example)
    partial = json.loads((Path(__file__).parent / "data" / "partial" / f"{m10}.json")
                         .read_text(encoding="utf-8"))["answers"]
    paths = {  # learner -> the vpn-wieder path they hand in
        "anna": solutions(m10),
        "ben": partial,
        "cem": {**partial, "m10_pfad_vpn": f"pfad_vpn = {hung_up!r}",
                "m10_pfad_unklar": "pfad_unklar = []"},
    }
    for learner, answers in paths.items():
        submit(root, learner, m10, submission(root, m10, answers))
    proc = subprocess.run(
        [sys.executable, "-m", "course.classgrade", m10, "--root", str(root)],
        cwd=root, env=isolated_env(root), capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = collect(root, m10)
    stats = {d.scenario: d for d in data.dialogs}
    assert set(stats) == {"vpn-wieder", "vip-crm", "unklare-anfrage"}
    d = stats["vpn-wieder"]
    assert d.learners == 3
    endings = dict(zip(d.endings["ende"], d.endings["anzahl"], strict=True))
    titles = {e.id: e.title for e in vpn.endings.values()}
    assert endings[titles["geloest"]] == 1
    assert endings[titles["teamleitung"]] == 1
    assert endings[titles["aufgelegt"]] == 1
    first = d.choices[d.choices["knoten"] == vpn.start].set_index("nr")["anzahl"].to_dict()
    firsts = [hung_up[0], *(eval(a["m10_pfad_vpn"].split("=", 1)[1])[0]  # noqa: S307
                            for a in (paths["anna"], paths["ben"]))]
    assert first == {n: firsts.count(n) for n in first}
    assert d.mistake and "verletzt" in d.mistake
    assert stats["unklare-anfrage"].learners == 2, "cem's empty path is no path"
    html = (root / f"klassenbericht-{m10}.html").read_text(encoding="utf-8")
    assert "Rollenspiele: Entscheidungen der Klasse" in html and "Häufigster Fehler" in html
    for learner in paths:
        feedback = (root / "feedback" / learner / m10 / f"{m10}.html").read_text("utf-8")
        assert "BEGIN HIDDEN TESTS" not in feedback and "grade_dialog(" not in feedback
        assert "grade_mixed(" not in feedback and "Bewertungshinweis" not in feedback
        assert "Versteckte Tests – der Code bleibt verborgen" in feedback
    ben = (root / "feedback" / "ben" / m10 / f"{m10}.html").read_text("utf-8")
    assert "Punktwert -1 von 8: 0 von 4 Punkten." in ben, "ben reads why his path earned 0"


def test_watchdog_stops_one_learner_and_grades_the_rest(tmp_path: Path) -> None:
    """Does ./grade stop a learner whose grading runs past --learner-timeout, record them
    as failed with the reason, and still grade and give feedback to the learners that
    came after them in the same worker?"""
    root = released_course(tmp_path, [M])
    sol = solutions(M)
    slow = "import time\ntime.sleep(19)\n"  # 3 answer cells: under cell timeout and budget
    submit(root, "anna", M, submission(root, M, {
        key: slow + code for key, code in sol.items()}))
    submit(root, "ben", M, submission(root, M, sol))
    submit(root, "cem", M, submission(root, M, {}))
    run = grade(root, "--jobs", "1", "--learner-timeout", "15")
    assert run.returncode == 1
    assert "✗ anna: Zeitlimit von 15 s für eine Abgabe überschritten" in run.stdout
    assert "✓ ben bewertet" in run.stdout and "✓ cem bewertet" in run.stdout
    points = scores(root, M)
    assert points["ben"][0] == max_code_score(root, M) and points["cem"][0] == 0
    for learner in ("ben", "cem"):
        assert (root / "feedback" / learner / M / f"{M}.html").exists()
    group = Cgroup.named("x")
    places = [Path(tempfile.gettempdir()), *([group.path.parent] if group else [])]
    leftovers = [p for place in places for p in place.glob("kurs-kernel-*")
                 if not Path(f"/proc/{p.name.split('-')[2]}").exists()]
    assert leftovers == [], "socket folders or cgroups of the stopped worker's kernels"


def test_grade_script_grades_the_course_it_is_called_in(tmp_path: Path) -> None:
    """Does `/path/to/checkout/grade 03_vier_ohren`, called in another course folder (the
    workshop's grading account in its own folder), grade that folder, not the checkout?"""
    root = released_course(tmp_path, [M])
    submit(root, "anna", M, submission(root, M, solutions(M)))
    proc = subprocess.run([str(REPO / "grade"), M], cwd=root, env=isolated_env(root),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert scores(root, M)["anna"][0] == max_code_score(root, M)
    assert (root / "feedback" / "anna" / M / f"{M}.html").exists()


def test_a_failed_collect_stops_before_grading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Does `./grade` stop with exit 2 and nbgrader's last words when `nbgrader collect`
    fails, instead of grading an incomplete class?"""
    from course import classgrade

    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    graded: list[str] = []
    monkeypatch.setattr(classgrade, "refusal", lambda root: None)
    monkeypatch.setattr(classgrade, "exchange_inbox", lambda root: tmp_path / "inbound")
    monkeypatch.setattr(classgrade, "_run", lambda root, *args: subprocess.CompletedProcess(
        args, 1, "", "[CollectApp | ERROR] database is locked\n"))
    monkeypatch.setattr(classgrade, "autograde", lambda *args: graded.append("x"))
    status = classgrade.main([M, "--root", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 2 and graded == []
    assert f"nbgrader collect für {M} ist fehlgeschlagen (Exit-Code 1)" in err
    assert "database is locked" in err


def test_a_report_writer_that_died_is_named_and_nothing_hangs(tmp_path: Path) -> None:
    """If the report writer process is gone before it is asked (killed, crashed), does
    asking not break the grading lane, and does ``write`` say so instead of waiting?"""
    from course import classgrade

    writer = classgrade.ReportWriter(tmp_path, 1)
    writer.proc.kill()
    writer.proc.wait()
    writer.ask({M: classgrade.Outcome()})  # a lane thread asks: no exception there
    with pytest.raises(classgrade.ReportFailed):
        writer.write({M: classgrade.Outcome()})
    writer.close()


def test_grading_outside_a_course_folder_stops_at_once(tmp_path: Path) -> None:
    proc = subprocess.run([str(REPO / "grade"), M, "--root", str(tmp_path / "gibt-es-nicht")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert "ist kein Kursordner" in proc.stderr and "Traceback" not in proc.stderr
