"""``nbgrader collect`` that takes only what a learner really handed in, when they did.

nbgrader's own collect trusts the inbound folder's name (``<learner>+<assignment>+<time>``)
and the ``timestamp.txt`` inside it, both written by whoever submitted; a wrong owner is
only logged. :class:`CheckedCollect` (wired in by ``course.nbgrader_ext.configure``, so it
holds for the command line and formgrader's button) instead

- skips a folder in a learner's name that another Unix account owns (logged as
  „abgelehnt“), so nobody can hand in for someone else;
- skips a folder whose claimed time lies before the folder existed (its ctime, which no
  learner can set) or whose ``timestamp.txt`` says another time than its name, so
  lateness cannot be back-dated; the learner's genuine submissions are collected as usual.

Where learners have no Unix accounts of their own (``--student``, one ``jovyan`` in every
pod), owners cannot be compared and nbgrader's behaviour is kept.
"""

from __future__ import annotations

import glob
import os
import pwd
from datetime import UTC, datetime, timedelta
from itertools import groupby
from pathlib import Path
from typing import Any

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import parse_utc

SLACK = timedelta(minutes=10)  # a submit copies its files after naming the folder


def _owner_refuses(path: str, learner: str) -> str | None:
    """Why the folder cannot be the learner's, or None."""
    try:
        expected = pwd.getpwnam(learner).pw_uid
    except KeyError:
        return None  # no Unix account of that name: nothing to compare with
    owner = os.stat(path).st_uid
    if owner == expected:
        return None
    try:
        name = pwd.getpwuid(owner).pw_name
    except KeyError:
        name = str(owner)
    return f"gehört {name}, nicht {learner}"


def _time_refuses(path: str, claimed: datetime) -> str | None:
    """Why the submission's time cannot be true, or None (times: nbgrader's naive UTC)."""
    created = datetime.fromtimestamp(os.stat(path).st_ctime, UTC).replace(tzinfo=None)
    if claimed < created - SLACK:
        return f"Zeitstempel {claimed:%Y-%m-%d %H:%M} liegt vor der Abgabe ({created:%H:%M} UTC)"
    try:
        inside = parse_utc(Path(path, "timestamp.txt").read_text(encoding="utf-8").strip())
    except (OSError, ValueError, OverflowError):
        return "timestamp.txt fehlt oder ist unlesbar"
    if inside != claimed:
        return "timestamp.txt passt nicht zum Namen der Abgabe"
    return None


class CheckedCollect(ExchangeCollect):
    def init_src(self) -> None:
        super().init_src()  # checks the course and reads the due date
        student = self.coursedir.student_id or "*"
        pattern = os.path.join(self.inbound_path, f"{student}+{self.coursedir.assignment_id}+*")
        checked = [self._checked(self._path_to_record(f)) for f in glob.glob(pattern)]
        records = sorted((r for r in checked if r), key=lambda r: r["username"])
        self.src_records = [self._choose(list(group))
                            for _, group in groupby(records, lambda r: r["username"])]

    def _checked(self, record: dict[str, Any]) -> dict[str, Any] | None:
        path = os.path.join(self.inbound_path, record["filename"])
        refused = _owner_refuses(path, record["username"]) or _time_refuses(
            path, record["timestamp"])
        if refused:
            self.log.error("abgelehnt / refused: %s: %s", record["filename"], refused)
            return None
        return record

    def _choose(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        newest = self._sort_by_timestamp(records)
        if self.duedate is None or not self.before_duedate:
            return newest[0]
        due = self.duedate.replace(tzinfo=None)
        early = [r for r in newest if r["timestamp"] <= due]
        return early[0] if early else newest[0]
