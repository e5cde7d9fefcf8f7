"""The one reader of the course's content files and its one error type.

Every YAML file under ``course/content/`` (quizzes, labels, rules, rewrite exercises and
lexicon, dialogs) is read with :func:`read_yaml`; every problem with one of them raises
:class:`ContentError`, whose message names the file, the item and the problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class ContentError(ValueError):
    """A content file is malformed; the message names file, item and problem."""


def read_yaml(path: Path) -> Any:
    """The parsed file; a missing, unreadable or invalid file raises ContentError."""
    import yaml  # lazy: ``import course.rewrite`` stays fast until the first check

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is much faster
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except FileNotFoundError:
        raise ContentError(f"{path}: file not found") from None
    except OSError as err:
        raise ContentError(f"{path}: cannot read file ({err.strerror})") from None
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ContentError(f"{path}: not valid YAML: {err}") from None
