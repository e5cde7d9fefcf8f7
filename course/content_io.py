"""The one reader of the course's content files and its one error type.

Every YAML file under ``course/content/`` (quizzes, labels, rules, rewrite exercises and
lexicon, dialogs) is read with :func:`read_yaml`; every problem with one of them raises
:class:`ContentError`, whose message names the file, the item and the problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

CONTENT_DIR = Path(__file__).parent / "content"
DIALOG_DIR = CONTENT_DIR / "dialogs"  # role-play scenarios, see course.dialog


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


class Reader:
    """Reads one item's fields and reports problems with file and item in the message."""

    def __init__(self, path: Path, where: str, data: Any, allowed: set[str]) -> None:
        self.path, self.where = path, where
        if not isinstance(data, dict):
            self.fail(f"expected a mapping with keys {sorted(allowed)}, got {type(data).__name__}")
        unknown = set(data) - allowed
        if unknown:
            self.fail(f"unknown field(s) {sorted(unknown)}; allowed are {sorted(allowed)}")
        self.data = data

    def fail(self, problem: str) -> NoReturn:
        raise ContentError(f"{self.path}: {self.where}: {problem}")

    def text(self, field: str, default: str | None = None) -> str:
        value = self.data.get(field, default)
        if not isinstance(value, str) or not value.strip():
            self.fail(f"field '{field}' must be a non-empty text")
        return value.strip()

    def flag(self, field: str) -> bool:
        value = self.data.get(field, False)
        if not isinstance(value, bool):
            self.fail(f"field '{field}' must be true or false, got {value!r}")
        return value

    def items(self, field: str, minimum: int) -> list[Any]:
        value = self.data.get(field)
        if not isinstance(value, list) or len(value) < minimum:
            self.fail(f"field '{field}' must be a list with at least {minimum} entries")
        return value

