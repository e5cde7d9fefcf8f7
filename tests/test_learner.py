"""The learner's working copy: first copy, updates, and work that is never overwritten."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from course import learner

from .conftest import REPO


@pytest.fixture
def fake_repo(tmp_path: Path) -> Path:
    """A copy of the course's release/ and home/ that a test can 'publish' into."""
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "release", repo / "release")
    shutil.copytree(REPO / "home", repo / "home")
    return repo


def _publish(repo: Path, rel: str, marker: str) -> None:
    path = repo / "release" / rel
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"][0]["source"] = f"# {marker}\n"
    path.write_text(json.dumps(nb), encoding="utf-8")


NB = "03_vier_ohren/03_vier_ohren.ipynb"


def test_first_run_copies_every_module_and_the_start_page(tmp_path: Path) -> None:
    """Does the first start put the start page and every student notebook in the folder?"""
    target = tmp_path / "kurs"
    report = learner.sync(target)
    assert "Start.ipynb" in report.copied and NB in report.copied
    for module in (REPO / "release").iterdir():
        assert (target / module.name / f"{module.name}.ipynb").exists()
    assert "BEGIN SOLUTION" not in (target / NB).read_text(encoding="utf-8")


def test_second_run_changes_nothing(tmp_path: Path) -> None:
    """Does starting the course again leave the folder as it is?"""
    target = tmp_path / "kurs"
    learner.sync(target)
    report = learner.sync(target)
    assert report.lines() == []


def test_untouched_notebook_gets_the_new_version(tmp_path: Path, fake_repo: Path) -> None:
    """Does a notebook the learner never changed receive a newer course version?"""
    target = tmp_path / "kurs"
    learner.sync(target, fake_repo)
    _publish(fake_repo, NB, "Version 2")
    report = learner.sync(target, fake_repo)
    assert report.updated == [NB]
    assert "Version 2" in (target / NB).read_text(encoding="utf-8")


def test_learners_work_is_never_overwritten(tmp_path: Path, fake_repo: Path) -> None:
    """Does a notebook the learner worked in stay theirs, with the new version beside it?"""
    target = tmp_path / "kurs"
    learner.sync(target, fake_repo)
    mine = (target / NB).read_text(encoding="utf-8").replace('umformulierung = \\"\\"',
                                                             'umformulierung = \\"Meins\\"')
    (target / NB).write_text(mine, encoding="utf-8")
    assert learner.sync(target, fake_repo).lines() == [], "no new version, nothing to say"
    _publish(fake_repo, NB, "Version 2")
    report = learner.sync(target, fake_repo)
    assert report.kept == [NB]
    assert (target / NB).read_text(encoding="utf-8") == mine
    beside = target / "03_vier_ohren" / "03_vier_ohren.neu.ipynb"
    assert "Version 2" in beside.read_text(encoding="utf-8")
    assert "Deine Fassung bleibt: 03_vier_ohren/03_vier_ohren.ipynb" in report.lines()[0]


def test_lost_record_keeps_existing_files(tmp_path: Path) -> None:
    """If the record of delivered files is lost or corrupt, are existing notebooks kept?"""
    target = tmp_path / "kurs"
    learner.sync(target)
    (target / NB).write_text("{}", encoding="utf-8")
    (target / learner.MANIFEST).write_text("kaputt", encoding="utf-8")
    report = learner.sync(target)
    assert report.kept == [NB] and (target / NB).read_text(encoding="utf-8") == "{}"


def test_lab_opens_on_the_start_notebook(tmp_path: Path) -> None:
    """Is JupyterLab started in the learner's folder with the start page as first screen?"""
    cmd = learner.lab_command(tmp_path, ["--no-browser"])
    assert f"--ServerApp.root_dir={tmp_path}" in cmd
    assert "--LabApp.default_url=/lab/tree/Start.ipynb" in cmd


def test_lab_settings_switch_off_news(tmp_path: Path) -> None:
    """Are the news pop-up and the update check switched off for the learner?"""
    path = learner.write_lab_settings(tmp_path)
    settings = json.loads(path.read_text(encoding="utf-8"))
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


def test_start_page_links_every_module() -> None:
    """Does the start page link every module a learner receives?"""
    start = (REPO / "home" / "Start.ipynb").read_text(encoding="utf-8")
    for module in (REPO / "release").iterdir():
        assert f"({module.name}/{module.name}.ipynb)" in start
