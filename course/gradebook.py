"""Where a course keeps its gradebook: nbgrader's ``CourseDirectory.db_url`` from the
course's own ``nbgrader_config.py`` (never a path written into the code)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


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
