"""Self-study grading: the course's trusted scorer on a learner's own notebook.

``./bewerten MODUL`` (or ``python -m course.selfgrade MODUL``) is for a learner who works
alone with a clone of this repository. It grades the learner's notebook exactly as a
workshop is graded: a temporary nbgrader course is set up from this repository's
``source/`` (the only place that holds hidden tests and keys), the notebook is handed in
there and graded by ``nbgrader autograde`` under the course's ``nbgrader_config.py``
(sandboxed kernel, scoring outside it), and nbgrader's feedback is written. Only that
feedback page, which shows no hidden test, is copied into the learner's folder as
``<modul>.bewertung.html``; the temporary course is removed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from course import learner

STUDENT = "selbst"
FEEDBACK_SUFFIX = ".bewertung.html"


class CannotGrade(RuntimeError):
    """Self-study grading is not possible here; the message (German) says why."""


@dataclass
class Task:
    number: int
    score: float
    max_score: float
    manual: bool = False  # a free-text answer: graded by a person, not here

    def line(self) -> str:
        if self.manual:
            return (f"  Teil {self.number}: Freitext ({_num(self.max_score)} Punkte) – "
                    "bewertet eine Lehrkraft von Hand, hier nicht")
        return f"  Teil {self.number}: {_num(self.score)} von {_num(self.max_score)}"


@dataclass
class SelfGrade:
    module: str
    tasks: list[Task] = field(default_factory=list)
    feedback: Path | None = None

    @property
    def score(self) -> float:
        return sum(t.score for t in self.tasks if not t.manual)

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tasks if not t.manual)

    def lines(self) -> list[str]:
        out = [f"Bewertung von {self.module}: {_num(self.score)} von "
               f"{_num(self.max_score)} Punkten (automatisch bewertet)"]
        out += [t.line() for t in self.tasks]
        if self.feedback:
            out.append(f"Ausführliches Feedback: {self.feedback}")
        return out


def _num(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def modules(repo: Path = learner.REPO) -> list[str]:
    """The modules this repository can grade (those with a source notebook)."""
    return sorted(p.parent.name for p in (repo / "source").glob("*/*.ipynb")
                  if p.stem == p.parent.name)


def _check_inputs(module: str, notebook: Path, repo: Path) -> None:
    if not (repo / "source" / module / f"{module}.ipynb").is_file():
        raise CannotGrade(
            f"Für „{module}“ fehlt hier die Lehrkraft-Fassung (source/). Selbst bewerten "
            "geht nur im eigenen Klon des Kurs-Repositorys; im Workshop bekommst du dein "
            "Feedback über die Aufgabenliste (Assignments).")
    if not notebook.is_file():
        raise CannotGrade(f"Dein Notebook {notebook} gibt es nicht.")


@contextmanager
def _course(module: str, repo: Path) -> Iterator[Path]:
    """A temporary nbgrader course holding only this module's source (and its keys)."""
    with tempfile.TemporaryDirectory(prefix="kurs-selbst-") as tmp:
        root = Path(tmp)
        shutil.copy(repo / "nbgrader_config.py", root)
        shutil.copytree(repo / "source" / module, root / "source" / module)
        yield root


def _grade_ids(root: Path, module: str) -> list[str]:
    """The graded cells in notebook order."""
    import nbformat

    nb = nbformat.read(root / "source" / module / f"{module}.ipynb", as_version=4)
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade")]


def _tasks(root: Path, module: str) -> list[Task]:
    from nbgrader.api import Gradebook

    from course.gradebook import gradebook_url

    order = _grade_ids(root, module)
    with Gradebook(gradebook_url(root)) as gb:
        nb = gb.find_submission_notebook(module, module, STUDENT)
        grades = sorted(nb.grades, key=lambda g: order.index(g.name))
        return [Task(n, float(g.score or 0.0), float(g.max_score or 0.0),
                     manual=g.cell.cell_type == "markdown")
                for n, g in enumerate(grades, 1)]


def _api(root: Path):  # noqa: ANN202
    from course import classgrade

    if not classgrade.trusted_config(root):
        raise CannotGrade("Die Bewertung läuft nur mit Sandbox (bubblewrap) und dem "
                          "Kurspaket; hier fehlt eines davon. Es wird nicht bewertet.")
    return classgrade.load_api(root)


def _run(api, step: str, *args: object) -> None:  # noqa: ANN001
    result = getattr(api, step)(*args)
    if not result["success"]:
        reason = (result.get("error") or result.get("log") or "").strip().splitlines()
        raise CannotGrade(f"Die Bewertung ist abgebrochen ({step}): "
                          f"{reason[-1] if reason else 'ohne Meldung'}")


def grade(module: str, course_dir: Path, repo: Path = learner.REPO) -> SelfGrade:
    """Grade ``course_dir/module/module.ipynb`` with the trusted scorer; write feedback."""
    notebook = course_dir / module / f"{module}.ipynb"
    _check_inputs(module, notebook, repo)
    with _course(module, repo) as root:
        api = _api(root)
        _run(api, "generate_assignment", module, True, True)
        inbox = root / "submitted" / STUDENT / module
        inbox.mkdir(parents=True)
        shutil.copyfile(notebook, inbox / notebook.name)
        _run(api, "autograde", module, STUDENT, True, True)
        _run(api, "generate_feedback", module, STUDENT, True)
        result = SelfGrade(module, _tasks(root, module))
        page = root / "feedback" / STUDENT / module / f"{module}.html"
        if page.is_file():
            result.feedback = notebook.with_name(module + FEEDBACK_SUFFIX)
            shutil.copyfile(page, result.feedback)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Eigenes Notebook mit der Kursbewertung bewerten (Selbststudium)")
    parser.add_argument("modul", help="z. B. 03_vier_ohren")
    parser.add_argument("--dir", type=Path,
                        default=Path(os.environ.get("KURS_DIR", learner.DEFAULT_DIR)))
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")  # nbgrader's SQLAlchemy notes are not for learners
    if args.modul not in modules():
        print(f"Unbekanntes Modul „{args.modul}“. Möglich: {', '.join(modules())}",
              file=sys.stderr)
        return 2
    print("Bewerte dein Notebook mit der Kursbewertung … (einen Moment)", flush=True)
    try:
        result = grade(args.modul, args.dir.expanduser().resolve())
    except CannotGrade as err:
        print(str(err), file=sys.stderr)
        return 1
    print("\n".join(result.lines()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
