"""Trusted scoring: no code a learner hands in can raise a grade or see an answer key.

Module 03 (19 autograded points). Each attacker leaves every answer empty (honest score 0)
and puts one attack into the first answer cell. The same class is graded on both paths,
``nbgrader autograde`` (what formgrader's button runs) and ``./grade``, together with two
honest learners whose scores must not move.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from .conftest import REPO
from .nbgrader_course import (
    formgrader_html,
    isolated_env,
    max_code_score,
    nbgrader,
    released_course,
    scores,
    solutions,
    submission,
    submit,
)

pytestmark = pytest.mark.nbgrader
M = "03_vier_ohren"
LABELS = "sachinhalt|selbstoffenbarung|beziehung|appell"
ANSWER_VARS = ("ohren_nachricht_a", "ohren_nachricht_b", "welches_ohr")
PARTIAL = json.loads((REPO / "tests" / "data" / "partial" / f"{M}.json").read_text("utf-8"))

# Turns any text that holds the key ("…": "beziehung") into full answers for every task.
USE_KEY = f'''
import re as _re
def _use_key(text):
    pairs = dict(_re.findall(r'"([^"\\\\]+)":\\s*"({LABELS})"', text))
    if pairs:
        for var in {ANSWER_VARS!r}:
            get_ipython().user_ns[var] = dict(pairs)
        get_ipython().user_ns["umformulierung"] = "Ich kümmere mich sofort darum."
'''

ATTACKS = {
    "grading_ersetzt": """
import course.grading as g
for n in dir(g):
    if n.startswith(("grade_", "answer")):
        setattr(g, n, lambda *a, **k: None)
""",
    "module_ersetzt": """
import sys, types
for name in ("course.grading", "course.handover", "course"):
    fake = types.ModuleType(name)
    fake.hand_over = fake.grade_labels = fake.grade_rewrite = lambda *a, **k: None
    sys.modules[name] = fake
""",
    "import_ersetzt": """
import builtins, types
_real = builtins.__import__
def _imp(name, *a, **k):
    if name.startswith("course"):
        return types.SimpleNamespace(hand_over=lambda *a, **k: None,
                                     grade_labels=lambda *a, **k: None)
    return _real(name, *a, **k)
builtins.__import__ = _imp
""",
    "keine_anzeige": "get_ipython().ast_node_interactivity = 'none'\n",
    "ausgabe_geloescht": """
from IPython.display import clear_output
get_ipython().events.register("post_run_cell", lambda result: clear_output())
""",
    "zelle_geleert": """
get_ipython().input_transformers_cleanup.append(
    lambda lines: ["pass\\n"] if any("hand_over" in l or "grade_" in l for l in lines) else lines)
""",
    "float_wort": """
f = get_ipython().display_formatter.formatters["text/plain"]
f.for_type(float, lambda o, p, c: p.text("voll"))
f.for_type(int, lambda o, p, c: p.text("19"))
""",
    "print_ersetzt": "import builtins\nbuiltins.print = lambda *a, **k: None\n",
    "punkte_gefaelscht": """
ip = get_ipython()
ip.events.register("post_run_cell", lambda result: ip.displayhook(19.0))
print(19.0)
""",
    "vorab_hook": USE_KEY + """
def _steal(info):
    print(info.raw_cell)
    _use_key(info.raw_cell)
get_ipython().events.register("pre_run_cell", _steal)
""",
    "settrace": USE_KEY + """
import sys, threading
def _tracer(frame, event, arg):
    for value in list(frame.f_locals.values()) + list(frame.f_globals.values()):
        if isinstance(value, dict):
            _use_key(repr(value).replace("'", '"'))
    return _tracer
sys.settrace(_tracer)
threading.settrace(_tracer)
""",
    "subklasse": """
import sys
class Sly(dict):
    def _key(self):
        f = sys._getframe(1)
        while f is not None:
            for v in f.f_locals.values():
                if isinstance(v, dict) and v and all(isinstance(x, str) for x in v.values()):
                    return v
            f = f.f_back
        return {}
    def __getitem__(self, k):
        return self._key().get(k, "")
    def __contains__(self, k):
        return True
class Text(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__
ohren_nachricht_a, ohren_nachricht_b, welches_ohr = Sly(), Sly(), Sly()
umformulierung = Text("x")
""",
    "dateien_lesen": USE_KEY + f"""
import glob, json, os
_texts = []
_roots = [".", "..", "../..", "../../..", os.environ.get("KURS_COURSE_ROOT", "/nirgends"),
          {str(REPO)!r}, "/opt", "/srv", "/work"]
for _root in _roots:
    for _path in glob.glob(_root + "/**/*.ipynb", recursive=True)[:200]:
        try:
            _nb = json.load(open(_path, encoding="utf-8"))
            _texts.append("\\n".join("".join(c["source"]) for c in _nb["cells"]))
        except Exception:
            pass
    for _path in glob.glob(_root + "/**/*.db", recursive=True)[:20]:
        try:
            _texts.append(open(_path, "rb").read().decode("utf-8", "replace"))
        except Exception:
            pass
print("\\n".join(_texts)[:200000])
_use_key("\\n".join(_texts))
""",
    "alles_ausgeben": """
import os
ip = get_ipython()
ip.events.register("pre_run_cell", lambda info: print(info.raw_cell))
ip.events.register("post_run_cell", lambda result: print(result.info.raw_cell))
print(dict(os.environ))
for _dir in (".", os.environ.get("KURS_COURSE_ROOT", "/nirgends")):
    for _name in sorted(os.listdir(_dir)) if os.path.isdir(_dir) else []:
        try:
            print(open(os.path.join(_dir, _name), encoding="utf-8").read())
        except Exception:
            pass
""",
}
HONEST = {"loesung": solutions(M), "teilweise": PARTIAL["answers"]}


def _key_lines() -> list[str]:
    """Lines of the hidden tests that carry the key, e.g. '"Sie könnten…": "beziehung",'."""
    nb = nbformat.read(REPO / "source" / M / f"{M}.ipynb", as_version=4)
    lines = []
    for cell in nb.cells:
        for block in re.findall(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS",
                                cell.source, re.S):
            lines += [ln.strip() for ln in block.splitlines() if re.search(f'"({LABELS})"', ln)]
    assert len(lines) >= 12
    return lines


def _class(root: Path) -> Path:
    released_course(root, [M])
    for student, answers in HONEST.items():
        submit(root, student, M, submission(root, M, answers))
    for student, code in ATTACKS.items():
        submit(root, student, M, submission(root, M, {"m03_ohren_nachrichten": code}))
    return root


@pytest.fixture(scope="module")
def nbgrader_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _class(tmp_path_factory.mktemp("vertrauen-nbgrader"))
    nbgrader(root, "autograde", M, "--force", check=False)
    nbgrader(root, "generate_feedback", M, "--force", check=False)
    return root


@pytest.fixture(scope="module")
def grade_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _class(tmp_path_factory.mktemp("vertrauen-grade"))
    subprocess.run([sys.executable, "-m", "course.classgrade", M, "--root", str(root)],
                   cwd=root, env=isolated_env(root), capture_output=True, text=True,
                   timeout=900)
    return root


@pytest.fixture(params=["nbgrader autograde", "./grade"])
def graded(request: pytest.FixtureRequest) -> Path:
    name = "nbgrader_path" if request.param == "nbgrader autograde" else "grade_path"
    return request.getfixturevalue(name)


def test_honest_learners_keep_their_scores(graded: Path) -> None:
    """Do the solution and the partly right answers get exactly the points they get alone?"""
    points = scores(graded, M)
    assert points["loesung"][0] == max_code_score(graded, M) == 19
    assert points["teilweise"][0] == PARTIAL["points"]


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_earns_only_the_honest_score(graded: Path, attack: str) -> None:
    """Does an answer cell that attacks the grading earn what its answers are worth: 0?"""
    assert scores(graded, M)[attack][0] == 0.0


def _artifacts(root: Path, student: str) -> dict[str, str]:
    autograded = root / "autograded" / student / M / f"{M}.ipynb"
    feedback = root / "feedback" / student / M / f"{M}.html"
    return {"autograded notebook": autograded.read_text("utf-8"),
            "feedback HTML": feedback.read_text("utf-8"),
            "formgrader view": formgrader_html(root, student, M)}


@pytest.mark.parametrize("student", ["alles_ausgeben", "dateien_lesen", "vorab_hook", "loesung"])
def test_no_key_in_anything_shown(graded: Path, student: str) -> None:
    """Do the autograded notebook, formgrader's view and the feedback hold no hidden test
    and no key, even when the learner's code printed everything it could reach?"""
    for where, text in _artifacts(graded, student).items():
        unescaped = text.replace("&quot;", '"').replace('\\"', '"')
        assert "BEGIN HIDDEN TESTS" not in unescaped, where
        for line in _key_lines():
            assert line.rstrip(",") not in unescaped, f"{where} shows the key: {line}"


def test_attack_notebook_says_why(nbgrader_path: Path) -> None:
    """Does a learner whose answers are objects read in German why they earned nothing?"""
    text = (nbgrader_path / "feedback" / "subklasse" / M / f"{M}.html").read_text("utf-8")
    assert "ist vom Typ Sly" in text


# --- grading refuses to start without sandbox or trusted scorer (both paths) ------------


@pytest.fixture(scope="module")
def small_class(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = released_course(tmp_path_factory.mktemp("geschlossen"), [M])
    submit(root, "anna", M, submission(root, M, solutions(M)))
    return root


def _broken_course(tmp: Path) -> str:
    """A PYTHONPATH entry whose `course` package cannot be imported."""
    package = tmp / "kaputt" / "course"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text('raise ImportError("Kurspaket beschädigt")\n')
    return str(package.parent)


def _no_bwrap_path(tmp: Path) -> str:
    """PATH with the environment's tools but without bwrap."""
    bin_dir = tmp / "ohne-bwrap"
    bin_dir.mkdir(exist_ok=True)
    for tool in Path("/usr/bin").iterdir():
        if tool.name != "bwrap" and not (bin_dir / tool.name).exists():
            (bin_dir / tool.name).symlink_to(tool)
    assert shutil.which("bwrap", path=str(bin_dir)) is None
    return f"{Path(sys.executable).parent}{os.pathsep}{bin_dir}"


def _run(root: Path, cmd: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=root, env={**isolated_env(root), **env},
                          capture_output=True, text=True, timeout=300)


CASES = {"course fehlt": "PYTHONPATH", "bwrap fehlt": "PATH"}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("path", ["nbgrader autograde", "./grade"])
def test_grading_refuses_to_start(small_class: Path, tmp_path: Path, case: str,
                                  path: str) -> None:
    """Without the course package or bwrap, does grading stop loudly and execute nothing?"""
    root = small_class
    value = _broken_course(tmp_path) if case == "course fehlt" else _no_bwrap_path(tmp_path)
    if path == "nbgrader autograde":
        cmd = [str(Path(sys.executable).parent / "nbgrader"), "autograde", M, "--force"]
    else:
        cmd = [str(REPO / "grade"), M, "--root", str(root), "--force"]
    proc = _run(root, cmd, **{CASES[case]: value})
    assert proc.returncode != 0
    assert "ABBRUCH" in proc.stdout + proc.stderr
    assert not (root / "autograded" / "anna" / M / f"{M}.ipynb").exists()
    assert not (root / f"klassenbericht-{M}.html").exists()
    assert not _still_running(str(root)), "./grade's report writer outlived the refusal"


def _still_running(marker: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"course.report" in argv and marker.encode() in argv:
            found.append(b" ".join(argv).decode(errors="replace"))
    return found


def test_formgrader_button_refuses_without_bwrap(small_class: Path, tmp_path: Path) -> None:
    """Does nbgrader's API (formgrader's Autograde button) refuse too, with the reason?"""
    code = ("from nbgrader.apps.api import NbGraderAPI\n"
            "from traitlets.config.loader import PyFileConfigLoader\n"
            "c = PyFileConfigLoader('nbgrader_config.py', path='.').load_config()\n"
            f"r = NbGraderAPI(config=c).autograde({M!r}, 'anna', force=True, create=True)\n"
            "print('ERFOLG' if r['success'] else r['error'] + r['log'])\n")
    proc = _run(small_class, [sys.executable, "-c", code], PATH=_no_bwrap_path(tmp_path))
    assert "ERFOLG" not in proc.stdout
    assert "bwrap" in proc.stdout
    assert not (small_class / "autograded" / "anna" / M / f"{M}.ipynb").exists()


@pytest.mark.parametrize("path", ["nbgrader autograde", "./grade"])
def test_grading_refuses_when_the_course_config_does_not_load(small_class: Path,
                                                              path: str) -> None:
    """If the course's nbgrader_config.py itself fails (traitlets would only log it and
    nbgrader would grade with its defaults, unsandboxed), does grading refuse and
    execute nothing? (deploy/nbgrader_failclosed.py, installed into the environment)"""
    config = small_class / "nbgrader_config.py"
    original = config.read_text("utf-8")
    config.write_text('raise RuntimeError("Konfiguration kaputt")\n' + original, "utf-8")
    try:
        if path == "nbgrader autograde":
            cmd = [str(Path(sys.executable).parent / "nbgrader"), "autograde", M, "--force"]
        else:
            cmd = [str(REPO / "grade"), M, "--root", str(small_class), "--force"]
        proc = _run(small_class, cmd)
    finally:
        config.write_text(original, "utf-8")
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "nicht geladen" in out or "ABBRUCH" in out
    assert not (small_class / "autograded" / "anna" / M / f"{M}.ipynb").exists()
