"""`python -m course.content check`: every content file and what notebooks refer to."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from course.content import CONTENT_DIR, check

from .conftest import REPO


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def _edit(path: Path, change) -> None:  # noqa: ANN001
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _problems(results: list[tuple[Path, str]]) -> dict[str, str]:
    return {path.name: problem for path, problem in results if problem}


def test_shipped_content_and_notebooks_pass() -> None:
    """Does the check accept every shipped file and every notebook in source/?"""
    results = check(CONTENT_DIR, REPO / "source")
    assert _problems(results) == {}
    names = {path.name for path, _ in results}
    assert {"exercises.yaml", "lexicon.yaml", "labels.yaml", "rules.yaml",
            "03_vier_ohren.yaml", "vip-crm.yaml", "03_vier_ohren.ipynb"} <= names


def test_broken_exercise_file_names_file_item_and_problem(tmp_path: Path) -> None:
    """Does an exercise without 'original' fail the check (exit 1) with file, item and
    problem, without a traceback, while the other files are still checked?"""
    content = _copy(tmp_path)
    _edit(content / "rewrite" / "exercises.yaml", lambda d: d["exercises"][1].pop("original"))
    proc = subprocess.run(
        [sys.executable, "-m", "course.content", "check", "--content", str(content)],
        capture_output=True, text=True, cwd=REPO, timeout=120, check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("✗"))
    assert "exercises.yaml" in line and "exercise 2 ('nicht-gesagt')" in line
    assert "'original'" in line
    assert f"✓ {content / 'rewrite' / 'lexicon.yaml'}" in proc.stdout


def test_rewrite_quiz_with_an_unknown_key_is_named(tmp_path: Path) -> None:
    """Is a rewrite quiz whose key no exercise has reported with file and quiz id?"""
    content = _copy(tmp_path)
    quizzes = content / "quizzes" / "05_deeskalation.yaml"

    def break_key(data: dict) -> None:
        quiz = next(q for q in data["quizzes"] if q["type"] == "rewrite")
        quiz["key"] = "gibt-es-nicht"

    _edit(quizzes, break_key)
    problem = _problems(check(content))["05_deeskalation.yaml"]
    assert str(quizzes) in problem and "unknown rewrite exercise key 'gibt-es-nicht'" in problem
    assert "quiz" in problem and "(id '" in problem


def test_notebook_naming_a_missing_quiz_is_named(tmp_path: Path) -> None:
    """Does a notebook cell that shows a quiz id no quiz file has fail with cell number?"""
    folder = tmp_path / "source" / "03_vier_ohren"
    folder.mkdir(parents=True)
    nb = {"cells": [{"cell_type": "markdown", "source": ["# Titel"]},
                    {"cell_type": "code", "source": ['show("03_vier_ohren", "gibt_es_nicht")']}]}
    (folder / "03_vier_ohren.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    problem = _problems(check(CONTENT_DIR, tmp_path / "source"))["03_vier_ohren.ipynb"]
    assert "cell 2" in problem and "no quiz 'gibt_es_nicht'" in problem


def test_broken_yaml_in_a_dialog_is_named(tmp_path: Path) -> None:
    """Is a role-play file that is not YAML reported as such, the others still checked?"""
    content = _copy(tmp_path)
    (content / "dialogs" / "vip-crm.yaml").write_text("nodes: [unclosed\n", encoding="utf-8")
    problems = _problems(check(content))
    assert list(problems) == ["vip-crm.yaml"]
    assert "not valid YAML" in problems["vip-crm.yaml"]


def _course_copy(tmp_path: Path) -> tuple[Path, Path]:
    """content/, source/ and home/Start.ipynb of the course, copied (source/ only 00)."""
    content = _copy(tmp_path)
    source = tmp_path / "source"
    shutil.copytree(REPO / "source", source)
    (tmp_path / "home").mkdir()
    shutil.copy(REPO / "home" / "Start.ipynb", tmp_path / "home" / "Start.ipynb")
    return content, source


def test_a_new_module_needs_only_data_files(tmp_path: Path) -> None:
    """Following the README's "Add a module" with data files only (notebook, quiz file,
    modules.yaml, then `sync`): does the check pass and the start page list the module?"""
    from course.content import parse_modules, sync_start_page

    content, source = _course_copy(tmp_path)
    (source / "11_telefon").mkdir()
    shutil.copy(source / "00_einfuehrung" / "00_einfuehrung.ipynb",
                source / "11_telefon" / "11_telefon.ipynb")
    quizzes = content / "quizzes"
    shutil.copy(quizzes / "00_einfuehrung.yaml", quizzes / "11_telefon.yaml")
    modules = content / "modules.yaml"
    modules.write_text(modules.read_text(encoding="utf-8") + "  - id: 11_telefon\n"
                       "    title: Telefonieren\n    topic: Am Telefon freundlich bleiben\n",
                       encoding="utf-8")
    start = tmp_path / "home" / "Start.ipynb"
    assert "modules.yaml" in _problems(check(content, source))["Start.ipynb"]
    assert sync_start_page(start, parse_modules(modules)) is True
    assert _problems(check(content, source)) == {}
    assert "[11 – Telefonieren](11_telefon/11_telefon.ipynb) | Am Telefon" in start.read_text()


def test_module_list_problems_are_named(tmp_path: Path) -> None:
    """Are a module without quiz file, a notebook folder missing from the list and a bad id
    each reported with modules.yaml, the module and the problem?"""
    content, source = _course_copy(tmp_path)
    (content / "quizzes" / "04_gfk.yaml").unlink()
    problem = _problems(check(content, source))["modules.yaml"]
    assert "module '04_gfk': no quiz file" in problem

    content, source = _course_copy(tmp_path / "zwei")
    (source / "12_extra").mkdir()
    assert "no module here: 12_extra" in _problems(check(content, source))["modules.yaml"]

    _edit(content / "modules.yaml", lambda d: d["modules"][3].update(id="Vier Ohren"))
    problem = _problems(check(content, source))["modules.yaml"]
    assert "module 4 ('Vier Ohren')" in problem and "'id' must look like" in problem
