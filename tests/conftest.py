"""Shared fixtures: paths of the real course, never toy copies."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MODULES = sorted(p.name for p in (REPO / "source").iterdir() if p.is_dir())


@pytest.fixture
def repo() -> Path:
    return REPO
