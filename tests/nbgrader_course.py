"""A temporary copy of the real course for nbgrader runs, and learner submissions for it."""

from __future__ import annotations

import copy
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION\n?", re.S)
BIN = Path(sys.executable).parent

# Module 03, message B partly right (3 of 5 points): a partly right submission for several tests.
SWAPPED_B = '''ohren_nachricht_b = {
    "Es gibt ein Problem mit dem Kalender, das dreimal gemeldet wurde.": "Sachinhalt",
    "Ich habe langsam keine Geduld mehr.": "Beziehung",
    "Sie hören mir offenbar nicht richtig zu.": "Selbstoffenbarung",
    "Ich fühle mich von Ihnen allein gelassen.": "Beziehung",
    "Kümmern Sie sich jetzt endlich verbindlich darum.": "Appell",
}'''


def make_course(root: Path, modules: list[str] | None = None) -> Path:
    """Copy nbgrader_config.py and source/ (some or all modules) into ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "nbgrader_config.py", root)
    for module in modules or [p.name for p in (REPO / "source").iterdir() if p.is_dir()]:
        shutil.copytree(REPO / "source" / module, root / "source" / module)
    return root


# Courses already built with `nbgrader generate_assignment` (source/, release/, gradebook),
# shared by every test file and worker of a run; keyed by what the build reads.
CACHE = Path(tempfile.gettempdir()) / f"kurs-nbgrader-courses-{os.getuid()}"


def _build_key(modules: list[str]) -> str:
    digest = hashlib.sha256(" ".join(modules).encode())
    files = [REPO / "nbgrader_config.py", *sorted((REPO / "course").glob("*.py"))]
    for module in modules:
        files += sorted(p for p in (REPO / "source" / module).rglob("*") if p.is_file())
    for path in files:
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def released_course(root: Path, modules: list[str] | None = None) -> Path:
    """``make_course`` plus ``nbgrader generate_assignment`` for each module: built once per
    set of modules and content, then copied (nbgrader is slow to start and to build)."""
    modules = modules or [p.name for p in sorted((REPO / "source").iterdir()) if p.is_dir()]
    built = CACHE / _build_key(modules)
    CACHE.mkdir(exist_ok=True)
    with (CACHE / f"{built.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be building the same course
        if not built.exists():
            draft = make_course(CACHE / f"{built.name}.draft-{os.getpid()}", modules)
            for module in modules:
                nbgrader(draft, "generate_assignment", module, "--force")
            shutil.rmtree(draft / ".home", ignore_errors=True)
            draft.rename(built)
    shutil.copytree(built, root, dirs_exist_ok=True)
    return root


def isolated_env(root: Path) -> dict[str, str]:
    home = root / ".home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".local/share/jupyter"),
        JUPYTER_RUNTIME_DIR=str(home / ".runtime"),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def nbgrader(root: Path, *args: str, check: bool = True,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(BIN / "nbgrader"), *args],
        cwd=root, env={**isolated_env(root), **(env or {})}, capture_output=True, text=True,
        timeout=900,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def release_nb(root: Path, module: str) -> nbformat.NotebookNode:
    return nbformat.read(root / "release" / module / f"{module}.ipynb", as_version=4)


def solutions(module: str) -> dict[str, str]:
    """grade_id -> source of each answer cell with its solution filled in (markers removed)."""
    nb = nbformat.read(REPO / "source" / module / f"{module}.ipynb", as_version=4)
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            m = SOLUTION.search(cell.source)
            out[meta["grade_id"]] = m.group(1) if m else cell.source
    return out


Edit = Callable[[nbformat.NotebookNode], None]


def submission(root: Path, module: str, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The student version with the given answer cells replaced (by grade_id)."""
    nb = copy.deepcopy(release_nb(root, module))
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def submit(root: Path, student: str, module: str, nb: nbformat.NotebookNode | str) -> Path:
    folder = root / "submitted" / student / module
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{module}.ipynb"
    if isinstance(nb, str):
        path.write_text(nb, encoding="utf-8")
    else:
        nbformat.write(nb, path)
    return path


def scores(root: Path, module: str) -> dict[str, tuple[float, float]]:
    """student -> (autograded points, written/manual points) as nbgrader recorded them."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        result = {}
        for sub in gb.assignment_submissions(module):
            nb = sub.notebooks[0]
            result[sub.student_id] = (nb.code_score, nb.written_score)
        return result


def max_code_score(root: Path, module: str) -> float:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return gb.find_assignment(module).max_code_score


def autograded_nb(root: Path, student: str, module: str) -> Path:
    """The notebook nbgrader wrote after executing a learner's submission."""
    return root / "autograded" / student / module / f"{module}.ipynb"


def formgrader_html(root: Path, student: str, module: str) -> str:
    """The page formgrader shows for a submission (its exporter and template, as its
    SubmissionHandler renders the autograded notebook)."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers

    exporter = HTMLExporter(template_name="formgrade",
                            extra_template_basedirs=[handlers.template_path])
    resources = {"assignment_id": module, "notebook_id": module, "submission_id": "x",
                 "index": 0, "total": 1, "base_url": "/", "student": student,
                 "last_name": "", "first_name": "", "notebook_path": "x"}
    html, _ = exporter.from_filename(str(autograded_nb(root, student, module)),
                                     resources=resources)
    return html
