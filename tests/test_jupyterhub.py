"""The workshop's JupyterHub (deploy/jupyterhub_config.py) on loopback, with real accounts.

A learner (lena) and a trainer (tom) log in with their Unix passwords. The trainer releases
module 03 through the formgrader service; the learner's own server starts as her account
with the course package importable, fetches and submits through nbgrader's assignment list;
the trainer collects and autogrades in the formgrader, where the submission is under lena's
id. The formgrader answers the trainer (200) and refuses the learner (403); the learner's own
server has no formgrader.
"""

from __future__ import annotations

import json
import os
import pwd
import re
from collections.abc import Iterator
from dataclasses import dataclass

import nbformat
import pytest

from .nbgrader_course import solutions, submission
from .workshop_hub import CHP, HUB_BIN, Browser, Hub, running_hub
from .workshop_machine import COURSE_ID, IS_ROOT, REPO, Machine, workshop_machine

pytestmark = [
    pytest.mark.workshop,
    pytest.mark.skipif(
        not IS_ROOT,
        reason="LocalProcessSpawner starts servers as the learners' Unix accounts: needs root",
    ),
]

M03 = "03_vier_ohren"
FORMGRADER = f"/services/{COURSE_ID}/formgrader"


@dataclass
class Workshop:
    machine: Machine
    hub: Hub
    learner: Browser
    trainer: Browser
    submit_result: list[dict]


@pytest.fixture(scope="module")
def workshop() -> Iterator[Workshop]:
    missing = [p for p in (HUB_BIN, CHP) if not os.access(p, os.X_OK)]
    assert not missing, f"{missing} missing: run scripts/setup-hub (./run-tests does)"
    with workshop_machine(["lena"], trainers=["tom"]) as machine, running_hub(machine) as hub:
        lena = machine.learners[0].name
        tom = next(n for n in machine.passwords if n.endswith("_tom"))
        trainer = Browser(hub, tom, machine.passwords[tom])
        page = trainer.get(f"{FORMGRADER}/manage_assignments")  # OAuth, XSRF cookie
        assert page.status_code == 200, f"{page.status_code}:\n{hub.log_tail()}"
        for step in ("assign", "release"):
            r = trainer.post(f"{FORMGRADER}/api/assignment/{M03}/{step}")
            assert r.status_code == 200 and r.json()["success"], f"{step}: {r.text}"
        learner = Browser(hub, lena, machine.passwords[lena])
        learner.start_server()
        form = {"course_id": COURSE_ID, "assignment_id": M03}
        fetched = learner.post(f"/user/{lena}/assignments/fetch", data=form)
        assert fetched.status_code == 200, fetched.text
        nb = submission(machine.course, M03, solutions(M03))
        put = learner.put(
            f"/user/{lena}/api/contents/{M03}/{M03}.ipynb",
            json={"type": "notebook", "format": "json", "content": json.loads(nbformat.writes(nb))},
        )
        assert put.status_code in (200, 201), put.text
        submitted = learner.post(f"/user/{lena}/assignments/submit", data=form)
        assert submitted.status_code == 200, submitted.text
        yield Workshop(machine, hub, learner, trainer, submitted.json())


def test_learner_server_runs_as_her_account_with_the_course(workshop: Workshop) -> None:
    """Does the learner's server run as her Unix account, with the course package importable?"""
    out = workshop.learner.run_code(
        "import getpass, course, nbgrader\nprint(getpass.getuser(), course.__name__)"
    )
    assert out.split() == [workshop.learner.name, "course"], out


def test_trainer_gets_the_formgrader(workshop: Workshop) -> None:
    """Does the trainer reach the formgrader service (200)?"""
    r = workshop.trainer.get(f"{FORMGRADER}/manage_assignments")
    assert r.status_code == 200
    assert "Manage Assignments" in r.text


def test_learner_is_refused_the_formgrader(workshop: Workshop) -> None:
    """Is the learner refused the formgrader service (403)?"""
    assert workshop.learner.get(f"{FORMGRADER}/manage_assignments").status_code == 403
    assert workshop.learner.get(f"{FORMGRADER}/api/assignments").status_code == 403


def test_learner_has_no_formgrader_of_her_own(workshop: Workshop) -> None:
    """Has the learner's own server no formgrader, neither the page nor the Lab plug-in?"""
    name = workshop.learner.name
    assert workshop.learner.get(f"/user/{name}/formgrader").status_code == 404
    lab = workshop.learner.get(f"/user/{name}/lab").text
    match = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                      lab, re.S)
    assert match, "no page config in the Lab page"
    disabled = json.loads(match.group(1)).get("disabledExtensions", [])
    assert "@jupyter/nbgrader:formgrader" in disabled
    assert "@jupyter/nbgrader:create-assignment" in disabled


def test_submission_is_collected_under_the_learners_id(workshop: Workshop) -> None:
    """Is the submission from the learner's server collected and graded under her id?"""
    machine, name = workshop.machine, workshop.learner.name
    assert any(a.get("status") == "submitted" for a in workshop.submit_result["value"]), (
        workshop.submit_result
    )
    inbound = machine.exchange / COURSE_ID / "inbound"
    (folder,) = [p for p in inbound.iterdir() if p.name.startswith(f"{name}+{M03}+")]
    assert pwd.getpwuid(folder.stat().st_uid).pw_name == name
    trainer = workshop.trainer
    r = trainer.post(f"{FORMGRADER}/api/assignment/{M03}/collect")
    assert r.status_code == 200 and r.json()["success"], r.text
    assert (machine.course / "submitted" / name / M03 / f"{M03}.ipynb").is_file()
    r = trainer.post(f"{FORMGRADER}/api/submission/{M03}/{name}/autograde")
    assert r.status_code == 200 and r.json()["success"], r.text
    rows = trainer.get(f"{FORMGRADER}/api/submissions/{M03}").json()
    (row,) = [row for row in rows if row["student"] == name]
    assert row["autograded"] and row["code_score"] == 19.0, row


def test_hub_files_stay_outside_the_repository(workshop: Workshop) -> None:
    """Does the hub keep database and cookie secret in its own folder, not in the repository?"""
    assert (workshop.machine.base / "hub" / "jupyterhub.sqlite").is_file()
    assert not (REPO / "jupyterhub.sqlite").exists()
    assert not (REPO / "deploy" / "jupyterhub.sqlite").exists()
