"""Where a course keeps its gradebook: nbgrader's ``CourseDirectory.db_url`` from the
course's own ``nbgrader_config.py`` (never a path written into the code)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


def lighten_nbgrader_import() -> None:
    """Call before nbgrader is imported. nbgrader imports jupyter_server, whose event
    schemas make jsonschema build ~40 parsers from rfc3987_syntax (1.5 s per process) only
    to check "iri" formats that grading never uses; without them nbgrader loads in half
    the time."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def course_dir(root: Path) -> Any:
    """The course's nbgrader settings (paths, gradebook URL) from its nbgrader_config.py;
    a folder without one gets nbgrader's defaults for that root."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    if (root / "nbgrader_config.py").exists():
        config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    return CourseDirectory(config=config)


def gradebook_url(root: Path) -> str:
    """The gradebook's database URL for the course in ``root``."""
    return str(course_dir(Path(root).resolve()).db_url)
