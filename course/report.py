"""The class report: an HTML page with embedded plots, written next to grades.csv.

Figures come from the gradebook (scores per learner and per exercise) and from the
autograded notebooks (which rubric criteria each rewrite missed, the failing test messages).
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup

from course.feedback import Verdict
from course.feedback import parse as parse_line
from course.grading import CRITERIA_PREFIX, PATH_PREFIX

TEMPLATES = Path(__file__).parent / "templates"

CRITERIA_LINE = re.compile(rf"^{CRITERIA_PREFIX} \(([\w-]+)\): (.*)$", re.M)
PATH_LINE = re.compile(rf"^{PATH_PREFIX} \(([\w-]+)\): (.*) => ([\w-]+)$", re.M)
MARK = re.compile(r"(R\d) ([✓✗])")
TIMEOUT = "Zeitüberschreitung"


@dataclass
class ReportData:
    assignment: str
    max_score: float
    scores: pd.Series  # learner -> autograded points
    per_exercise: pd.DataFrame  # grade_id -> mean, max, share of full marks
    criteria_missed: pd.DataFrame  # rewrite key -> share of learners missing R1..R4
    top_failures: list[tuple[str, int]] = field(default_factory=list)
    not_submitted: list[str] = field(default_factory=list)
    failed_to_run: dict[str, str] = field(default_factory=dict)
    dialogs: list[DialogStats] = field(default_factory=list)


@dataclass
class DialogStats:
    """How the class played one role-play scenario (from the replayed paths)."""

    scenario: str
    title: str
    learners: int
    choices: pd.DataFrame  # one row per node and choice (or free-text branch): how often taken
    endings: pd.DataFrame  # one row per ending: how many learners reached it
    mistake: str | None  # the broken-model choice taken by most learners


def _gradebook(root: Path, assignment: str) -> tuple[pd.Series, pd.DataFrame, float, list[str]]:
    from nbgrader.api import Gradebook, MissingEntry

    from course.gradebook import gradebook_url

    rows, totals, missing = [], {}, []
    with Gradebook(gradebook_url(root)) as gb:
        max_score = gb.find_assignment(assignment).max_code_score
        for student in gb.students:
            try:
                sub = gb.find_submission(assignment, student.id)
            except MissingEntry:
                missing.append(student.id)
                continue
            totals[student.id] = sub.code_score
            for nb in sub.notebooks:
                for grade in nb.grades:
                    if grade.cell_type == "code" and grade.auto_score is not None:
                        rows.append((grade.name, grade.score, grade.max_score))
    frame = pd.DataFrame(rows, columns=["aufgabe", "punkte", "max"])
    by_task = frame.groupby("aufgabe")
    per = pd.DataFrame({
        "mittel": by_task["punkte"].mean(),
        "max": by_task["max"].first(),
        "volle_punkte": (frame["punkte"] >= frame["max"]).groupby(frame["aufgabe"]).mean(),
    })
    return pd.Series(totals, name="punkte", dtype=float), per, max_score, sorted(missing)


def _test_outputs(root: Path, assignment: str) -> dict[str, list[str]]:
    """learner -> text printed by (or raised in) the test cells of the autograded notebooks."""
    out: dict[str, list[str]] = {}
    for path in sorted((root / "autograded").glob(f"*/{assignment}/*.ipynb")):
        learner = path.parent.parent.name
        nb = json.loads(path.read_text(encoding="utf-8"))
        texts = out.setdefault(learner, [])
        for cell in nb["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream":
                    text = "".join(output.get("text", ""))
                elif output.get("output_type") == "error":
                    text = f"{output.get('ename')}: {output.get('evalue')}"
                else:
                    continue
                if meta.get("grade") and not meta.get("solution") or TIMEOUT in text:
                    texts.append(text)
    return out


def _criteria(outputs: dict[str, list[str]]) -> pd.DataFrame:
    records = []
    for learner, texts in outputs.items():
        for text in texts:
            for key, marks in CRITERIA_LINE.findall(text):
                for criterion, mark in MARK.findall(marks):
                    records.append((learner, key, criterion, mark == "✗"))
    if not records:
        return pd.DataFrame()
    frame = pd.DataFrame(records, columns=["lernende", "aufgabe", "kriterium", "verfehlt"])
    return frame.pivot_table(index="aufgabe", columns="kriterium", values="verfehlt",
                             aggfunc="mean")


def _failures(outputs: dict[str, list[str]]) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    for texts in outputs.values():
        seen = set()
        for text in texts:
            for line in text.splitlines():
                line = line.strip()
                parsed = parse_line(line)
                missed = parsed is not None and parsed.verdict is Verdict.MISSED
                if (missed or "Error:" in line or "Hinweis:" in line) and \
                        not line.startswith(CRITERIA_PREFIX):
                    seen.add(line)
        counts.update(seen)  # count learners, not lines
    return counts.most_common(3)


def _paths(outputs: dict[str, list[str]]) -> dict[str, list[tuple[list[tuple[str, int]], str]]]:
    """scenario -> one (steps, ending) per learner, from the lines grade_dialog prints."""
    found: dict[str, dict[str, tuple[list[tuple[str, int]], str]]] = {}
    for learner, texts in outputs.items():
        for text in texts:
            for scenario, steps, ending in PATH_LINE.findall(text):
                pairs = [step.rsplit(":", 1) for step in steps.split(" | ") if ":" in step]
                found.setdefault(scenario, {})[learner] = (
                    [(node, int(n)) for node, n in pairs if n.isdigit()], ending)
    return {scenario: list(by_learner.values()) for scenario, by_learner in found.items()}


def _dialog_stats(scenario_id: str, paths: list[tuple[list[tuple[str, int]], str]]
                  ) -> DialogStats:
    from course.dialog import ENDING_KINDS, load_scenario

    s = load_scenario(scenario_id)
    taken = Counter(step for steps, _ in paths for step in steps)
    reached = Counter(ending for _, ending in paths)
    rows = []
    for node in s.nodes.values():
        options = (
            [(f"freie Antwort, Zweig {n}: " + (", ".join(f"{c} {'✓' if v else '✗'}"
              for c, v in b.when.items()) or "sonst"), b.applied)
             for n, b in enumerate(node.free_text.branches, start=1)]
            if node.free_text else [(c.text, c.applied) for c in node.choices]
        )
        model = node.free_text.model if node.free_text else None
        visits = sum(taken[(node.id, n)] for n in range(1, len(options) + 1))
        for n, (text, applied) in enumerate(options, start=1):
            rows.append({
                "knoten": node.id, "nr": n, "antwort": text,
                "modell": s.models[model or node.choices[n - 1].model],
                "angewendet": applied, "anzahl": taken[(node.id, n)],
                "anteil": taken[(node.id, n)] / visits if visits else 0.0,
            })
    choices = pd.DataFrame(rows)
    endings = pd.DataFrame([
        {"ende": e.title, "art": ENDING_KINDS[e.kind], "anzahl": reached[e.id],
         "anteil": reached[e.id] / len(paths) if paths else 0.0}
        for e in s.endings.values()
    ])
    wrong = choices[~choices["angewendet"] & (choices["anzahl"] > 0)]
    mistake = None
    if not wrong.empty:
        top = wrong.sort_values(["anzahl", "knoten"], ascending=[False, True]).iloc[0]
        mistake = (f"Bei „{top['knoten']}“ wählten {top['anzahl']} von {len(paths)} Lernenden "
                   f"„{top['antwort']}“ ({top['modell']} verletzt).")
    return DialogStats(scenario_id, s.title, len(paths), choices, endings, mistake)


def collect(root: Path, assignment: str, failed: dict[str, str] | None = None) -> ReportData:
    scores, per, max_score, missing = _gradebook(root, assignment)
    outputs = _test_outputs(root, assignment)
    broken = dict(failed or {})
    for learner, texts in outputs.items():
        if any(TIMEOUT in t for t in texts):
            broken.setdefault(learner, "Zeitüberschreitung (Endlosschleife?)")
    scores = scores.drop(list(broken), errors="ignore")  # nbgrader books a 0 for them
    dialogs = [_dialog_stats(sid, paths) for sid, paths in sorted(_paths(outputs).items())]
    return ReportData(assignment, max_score, scores, per, _criteria(outputs),
                      _failures(outputs), missing, broken, dialogs)


@dataclass(frozen=True)
class _Image:
    alt: str
    png: str  # base64


def _png(fig, alt: str) -> _Image:  # noqa: ANN001
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return _Image(alt, base64.b64encode(buf.getvalue()).decode())


def _figure(height: float = 3) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(6, height))


def _plots(data: ReportData) -> list[_Image]:
    images = []
    fig = _figure()
    ax = fig.subplots()
    ax.hist(data.scores, bins=range(int(data.max_score) + 2), color="#4472c4", rwidth=0.9)
    ax.set(title="Verteilung der Punkte", xlabel="Punkte (automatisch)", ylabel="Lernende")
    ax.yaxis.get_major_locator().set_params(integer=True)
    images.append(_png(fig, "Verteilung der Punkte (Histogramm)"))
    if not data.per_exercise.empty:
        fig = _figure(0.4 * len(data.per_exercise) + 1)
        ax = fig.subplots()
        share = data.per_exercise["mittel"] / data.per_exercise["max"]
        ax.barh(share.index, share.values, color="#70ad47")
        ax.set(title="Durchschnitt je Aufgabe (Anteil der Punkte)", xlim=(0, 1))
        images.append(_png(fig, "Durchschnitt je Aufgabe als Anteil der Punkte"))
    if not data.criteria_missed.empty:
        fig = _figure()
        ax = fig.subplots()
        data.criteria_missed.plot.bar(ax=ax, rot=0)
        ax.set(title="Umformulierungen: Anteil, der ein Kriterium verfehlt", ylim=(0, 1),
               xlabel="Aufgabe", ylabel="Anteil der Lernenden")
        images.append(_png(fig, "Umformulierungen: Anteil, der jedes Kriterium verfehlt"))
    return images


def _table(frame: pd.DataFrame, **options: Any) -> Markup:
    # pandas escapes the cells' text (escape=True): safe to put into the page as it is
    return Markup(frame.to_html(float_format="%.2f", **options))


def _dialog(d: DialogStats) -> dict[str, Any]:
    choices = d.choices.rename(columns={
        "knoten": "Stelle", "nr": "Nr.", "antwort": "Antwort", "modell": "Modell",
        "angewendet": "Modell angewendet", "anzahl": "Anzahl", "anteil": "Anteil"})
    choices["Modell angewendet"] = choices["Modell angewendet"].map({True: "ja", False: "nein"})
    endings = d.endings.rename(columns={"ende": "Ende", "art": "Art", "anzahl": "Anzahl",
                                        "anteil": "Anteil"})
    return {"title": d.title, "learners": d.learners, "mistake": d.mistake,
            "choices": _table(choices, index=False, classes="kurs-dialog-choices"),
            "endings": _table(endings, index=False, classes="kurs-dialog-endings")}


def render(data: ReportData) -> str:
    """The class report as HTML (template ``course/templates/klassenbericht.html.j2``;
    every text from the gradebook or a learner is escaped)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    per_exercise = data.per_exercise.rename(columns={
        "mittel": "Durchschnitt", "max": "Maximum", "volle_punkte": "Anteil volle Punkte"})
    return env.get_template("klassenbericht.html.j2").render(
        assignment=data.assignment, submissions=len(data.scores),
        mean=data.scores.mean() if len(data.scores) else 0.0, max_score=data.max_score,
        plots=_plots(data) if len(data.scores) else [],
        per_exercise=_table(per_exercise),
        criteria_missed=None if data.criteria_missed.empty else _table(data.criteria_missed),
        dialogs=[_dialog(d) for d in data.dialogs],
        lists=[("Häufigste Fehlermeldungen", [f"{m} ({n}×)" for m, n in data.top_failures]),
               ("Keine Abgabe", data.not_submitted),
               ("Nicht lauffähig", [f"{s}: {r}" for s, r in data.failed_to_run.items()])],
    )


def write_report(root: Path, assignment: str, failed: dict[str, str] | None = None) -> Path:
    path = root / f"klassenbericht-{assignment}.html"
    path.write_text(render(collect(root, assignment, failed)), encoding="utf-8")
    return path


def write_reports(root: Path, failed: dict[str, dict[str, str]], jobs: int) -> list[Path]:
    """One report per assignment (``failed``: assignment -> learner -> why it did not run);
    several are written in parallel processes."""
    if len(failed) == 1 or jobs < 2:
        return [write_report(root, a, f) for a, f in failed.items()]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(write_report, root, a, f) for a, f in failed.items()]
        return [f.result() for f in futures]


def serve(root: Path, jobs: int) -> int:
    """``python -m course.report --serve``: ``./grade``'s report writer. It loads what the
    reports need (pandas, matplotlib and its fonts, nbgrader's gradebook) at once, then
    waits for one line on stdin (JSON: assignment -> learner -> why not gradable) and answers with
    the reports' paths as JSON. Without that line (stdin closed) it writes nothing."""
    from course.gradebook import lighten_nbgrader_import

    os.nice(10)  # grading comes first: this only takes what the workers leave over
    lighten_nbgrader_import()
    import nbgrader.api  # noqa: F401

    _png(_figure(), "")
    request = sys.stdin.readline()
    if not request.strip():
        return 0
    paths = write_reports(root, json.loads(request), jobs)
    print(json.dumps([str(p) for p in paths]), flush=True)
    # Nothing is left to write or flush; Python's own clean-up of pandas, matplotlib and
    # nbgrader would take another 0.3 s, which the end of every grading run waits for.
    os._exit(0)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Klassenberichte für ./grade schreiben")
    parser.add_argument("--serve", action="store_true", required=True)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--jobs", type=int, default=1)
    arguments = parser.parse_args()
    raise SystemExit(serve(arguments.root, arguments.jobs))
