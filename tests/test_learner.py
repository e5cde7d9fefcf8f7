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


def _open_run_and_save(path: Path) -> None:
    """What JupyterLab does to a notebook the learner only opens, runs and autosaves."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["metadata"]["kernelspec"]["display_name"] = "Python 3 (ipykernel)"
    nb["metadata"]["language_info"].update(version="3.11.2", mimetype="text/x-python")
    for n, cell in enumerate(nb["cells"]):
        cell["metadata"]["trusted"] = True
        if cell["cell_type"] == "code":
            cell["execution_count"] = n
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["False\n"]}]
            cell["source"] = "".join(cell["source"]).splitlines(keepends=True)
    path.write_text(json.dumps(nb, indent=2, ensure_ascii=True), encoding="utf-8")


def test_opened_and_saved_notebook_still_gets_updates(tmp_path: Path, fake_repo: Path) -> None:
    """Does a notebook JupyterLab opened, ran and saved (metadata, outputs, other JSON
    layout) still count as the course's, so a new version replaces it?"""
    target = tmp_path / "kurs"
    learner.sync(target, fake_repo)
    for rel in (NB, "Start.ipynb"):
        _open_run_and_save(target / rel)
    assert learner.sync(target, fake_repo).lines() == [], "only opened: nothing to report"
    _publish(fake_repo, NB, "Version 2")
    report = learner.sync(target, fake_repo)
    assert report.updated == [NB] and report.kept == []
    assert "Version 2" in (target / NB).read_text(encoding="utf-8")
    assert not (target / "03_vier_ohren" / "03_vier_ohren.neu.ipynb").exists()


def test_delivered_notebook_opens_unchanged(tmp_path: Path) -> None:
    """Does a delivered notebook carry the metadata JupyterLab would write when the kernel
    starts (so opening it leaves no unsaved change), with the course's cells untouched?"""
    target = tmp_path / "kurs"
    learner.sync(target)
    expected = learner.kernel_metadata()
    assert expected["language_info"]["version"].startswith("3.")
    assert expected["kernelspec"]["display_name"] != "Python 3"  # what release/ holds
    for rel in (NB, "Start.ipynb"):
        nb = json.loads((target / rel).read_text(encoding="utf-8"))
        assert {k: nb["metadata"][k] for k in expected} == expected
        source = REPO / ("home" if rel == "Start.ipynb" else "release") / rel
        assert learner.fingerprint(target / rel) == learner.fingerprint(source)


def test_empty_cell_added_is_no_work(tmp_path: Path, fake_repo: Path) -> None:
    """Shift+Enter on the last cell adds an empty cell: the page still gets updates."""
    target = tmp_path / "kurs"
    learner.sync(target, fake_repo)
    start = target / "Start.ipynb"
    nb = json.loads(start.read_text(encoding="utf-8"))
    nb["cells"].append({"cell_type": "code", "execution_count": None, "id": "neu",
                        "metadata": {}, "outputs": [], "source": ["\n"]})
    start.write_text(json.dumps(nb), encoding="utf-8")
    assert learner.sync(target, fake_repo).lines() == []
    page = fake_repo / "home" / "Start.ipynb"
    published = json.loads(page.read_text(encoding="utf-8"))
    published["cells"][0]["source"] = "# Neue Startseite\n"
    page.write_text(json.dumps(published), encoding="utf-8")
    assert learner.sync(target, fake_repo).updated == ["Start.ipynb"]
    nb["cells"][-1]["source"] = ["notiz = 1"]  # text in the new cell: the learner's
    start.write_text(json.dumps(nb), encoding="utf-8")
    published["cells"][0]["source"] = "# Noch neuer\n"
    page.write_text(json.dumps(published), encoding="utf-8")
    assert learner.sync(target, fake_repo).kept == ["Start.ipynb"]


def test_answer_in_a_saved_notebook_is_kept(tmp_path: Path, fake_repo: Path) -> None:
    """Is an answer typed into an opened and saved notebook never overwritten?"""
    target = tmp_path / "kurs"
    learner.sync(target, fake_repo)
    _open_run_and_save(target / NB)
    nb = json.loads((target / NB).read_text(encoding="utf-8"))
    answer = next(c for c in nb["cells"]
                  if c["metadata"].get("nbgrader", {}).get("grade_id") == "m03_umformulierung")
    answer["source"] = ['umformulierung = "Das klingt ärgerlich, ich helfe Ihnen."\n']
    (target / NB).write_text(json.dumps(nb), encoding="utf-8")
    mine = (target / NB).read_text(encoding="utf-8")
    _publish(fake_repo, NB, "Version 2")
    report = learner.sync(target, fake_repo)
    assert report.kept == [NB] and (target / NB).read_text(encoding="utf-8") == mine


def test_record_from_before_fingerprints(tmp_path: Path, fake_repo: Path) -> None:
    """A delivery record that holds byte digests (older course versions): an untouched
    notebook still gets the update, and no new version is put beside a changed one
    while the course has none."""
    target = tmp_path / "kurs"
    learner.sync(target, fake_repo)
    legacy = {}
    for rel, source in learner.course_files(fake_repo).items():  # delivered byte for byte
        shutil.copyfile(source, target / rel)
        legacy[rel] = learner._digest(target / rel)
    (target / learner.MANIFEST).write_text(json.dumps(legacy), encoding="utf-8")
    other = "01_gespraechsstruktur/01_gespraechsstruktur.ipynb"
    (target / other).write_text("{}", encoding="utf-8")
    assert learner.sync(target, fake_repo).lines() == []
    _publish(fake_repo, NB, "Version 2")
    assert learner.sync(target, fake_repo).updated == [NB]


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


def test_lab_settings_german_without_news(tmp_path: Path) -> None:
    """Does the learner's JupyterLab read defaults that switch off the news pop-up and
    set the German language pack?"""
    cmd = learner.lab_command(tmp_path, [])
    assert f"--LabApp.app_settings_dir={learner.LEARNER_CONFIG}" in cmd
    settings = json.loads((learner.LEARNER_CONFIG / "overrides.json").read_text("utf-8"))
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert settings["@jupyterlab/translation-extension:plugin"]["locale"] == "de_DE"
    requirements = (REPO / "requirements.txt").read_text(encoding="utf-8")
    assert "jupyterlab-language-pack-de-de" in requirements


def test_start_page_links_every_module() -> None:
    """Does the start page link every module a learner receives?"""
    start = (REPO / "home" / "Start.ipynb").read_text(encoding="utf-8")
    for module in (REPO / "release").iterdir():
        assert f"({module.name}/{module.name}.ipynb)" in start
