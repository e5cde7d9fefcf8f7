"""The learner's working copy of the course, and JupyterLab started on it.

``python -m course.learner`` copies the student notebooks (``release/``) and the start
page (``home/``) into the learner's folder and opens JupyterLab there. A notebook the
learner has changed is never overwritten: a newer course version of it is written
beside it as ``<name>.neu.ipynb``. What was delivered is recorded in ``.kursstand.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DIR = Path.home() / "Kundenkommunikation"
MANIFEST = ".kursstand.json"
START = "Start.ipynb"
LEARNER_CONFIG = REPO / "jupyter-config" / "learner"
# Set by the workshop learner's JupyterLab (course.workshop_lab) for its kernels: there the
# hand-in goes through nbgrader's Assignment List and nobody grades themselves.
WORKSHOP_ENV = "KURS_WORKSHOP"


def in_workshop(env: Mapping[str, str] | None = None) -> bool:
    return bool((os.environ if env is None else env).get(WORKSHOP_ENV))


@dataclass
class SyncReport:
    copied: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # learner's work, new version beside it

    def lines(self) -> list[str]:
        out = [f"Neu: {p}" for p in self.copied] + [f"Aktualisiert: {p}" for p in self.updated]
        out += [
            f"Deine Fassung bleibt: {p} (neue Kursfassung daneben: {_beside(Path(p)).name})"
            for p in self.kept
        ]
        return out


NOTEBOOK_MARK = "cells:"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cell_sources(path: Path) -> list[list[str]] | None:
    """Type and source of every cell that holds text, or None if the file is no readable
    notebook. Empty cells do not count: Shift+Enter on the last cell adds one."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        sources = [[c["cell_type"], "".join(c["source"]) if isinstance(c["source"], list)
                    else c["source"]] for c in cells]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None
    return [cell for cell in sources if isinstance(cell[1], str) and cell[1].strip()]


def fingerprint(path: Path) -> str:
    """What makes a file the learner's work: for a notebook the text of its cells only
    (not metadata, outputs, execution counts or empty cells, which JupyterLab changes or
    adds on open, run and autosave); for any other file, or a notebook that cannot be
    read, its bytes."""
    cells = _cell_sources(path) if path.suffix == ".ipynb" else None
    if cells is None:
        return _digest(path)
    text = json.dumps(cells, ensure_ascii=False, separators=(",", ":"))
    return NOTEBOOK_MARK + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _unchanged_since_delivery(dest: Path, recorded: str | None) -> bool:
    """Is ``dest`` what the course delivered? Records written before fingerprints hold
    the delivered file's byte digest."""
    if recorded is None:
        return False
    if recorded.startswith(NOTEBOOK_MARK):
        return fingerprint(dest) == recorded
    return _digest(dest) == recorded


def kernel_metadata() -> dict[str, dict]:
    """The notebook metadata JupyterLab writes when this environment's Python kernel
    starts. A notebook delivered with it opens unchanged (no unsaved-changes dot, nothing
    for autosave to write, no "save changes?" question when the tab is closed)."""
    display_name = "Python 3 (ipykernel)"
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        display_name = KernelSpecManager().get_kernel_spec("python3").display_name
    except Exception:  # noqa: BLE001 - no kernel spec here: ipykernel's default name
        pass
    return {
        "kernelspec": {"display_name": display_name, "language": "python", "name": "python3"},
        "language_info": {
            "codemirror_mode": {"name": "ipython", "version": sys.version_info[0]},
            "file_extension": ".py",
            "mimetype": "text/x-python",
            "name": "python",
            "nbconvert_exporter": "python",
            "pygments_lexer": f"ipython{sys.version_info[0]}",
            "version": sys.version.split()[0],  # as ipykernel reports it
        },
    }


def _deliver(source: Path, dest: Path, metadata: dict[str, dict]) -> None:
    """Copy a course file; a notebook gets the local kernel's metadata on the way."""
    if source.suffix == ".ipynb":
        try:
            nb = json.loads(source.read_text(encoding="utf-8"))
            nb.setdefault("metadata", {}).update(metadata)
        except (UnicodeDecodeError, ValueError, AttributeError):
            pass
        else:
            dest.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", "utf-8")
            return
    shutil.copyfile(source, dest)


def _beside(path: Path) -> Path:
    return path.with_name(f"{path.stem}.neu{path.suffix}")


def course_files(repo: Path = REPO) -> dict[str, Path]:
    """Relative path in the learner's folder -> file in the repository."""
    files = {START: repo / "home" / START}
    for path in sorted((repo / "release").rglob("*")):
        if path.is_file() and ".ipynb_checkpoints" not in path.parts:
            files[path.relative_to(repo / "release").as_posix()] = path
    return files


def _read_manifest(target: Path) -> dict[str, str]:
    try:
        data = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def sync(target: Path, repo: Path = REPO, only: Iterable[str] | None = None) -> SyncReport:
    """Bring the learner's folder up to date without touching work the learner changed;
    ``only`` limits it to some of the course's files (the workshop delivers just the start
    page: the modules come through nbgrader's Assignment List)."""
    manifest = _read_manifest(target)
    report = SyncReport()
    metadata = kernel_metadata()
    files = course_files(repo)
    if only is not None:
        files = {rel: files[rel] for rel in only}
    for rel, source in files.items():
        dest = target / rel
        new = fingerprint(source)
        if not dest.exists():
            report.copied.append(rel)
        elif fingerprint(dest) == new:
            manifest[rel] = new
            continue
        elif _unchanged_since_delivery(dest, manifest.get(rel)):
            report.updated.append(rel)
        else:
            # Changed by the learner, or of unknown origin: theirs. A newer course
            # version goes beside it.
            if manifest.get(rel) not in (new, _digest(source)):
                _deliver(source, _beside(dest), metadata)
                report.kept.append(rel)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        _deliver(source, dest, metadata)
        manifest[rel] = new
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), "utf-8")
    return report


def find_course_dir(start: Path | None = None,
                    env: Mapping[str, str] | None = None) -> Path | None:
    """The learner's course folder: $KURS_DIR if it is a folder, else the nearest parent of
    ``start`` (default: the working directory) holding the delivery record; else None."""
    env = os.environ if env is None else env
    if env.get("KURS_DIR", "").strip():
        folder = Path(env["KURS_DIR"].strip()).expanduser()
        return folder.resolve() if folder.is_dir() else None
    here = (start or Path.cwd()).resolve()
    return next((f for f in (here, *here.parents) if (f / MANIFEST).is_file()), None)


def lab_command(target: Path, extra: list[str]) -> list[str]:
    # Containers and CI machines often run as root; JupyterLab refuses that without the flag.
    root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return [
        sys.executable, "-m", "jupyterlab",
        f"--ServerApp.root_dir={target}",
        f"--LabApp.default_url=/lab/tree/{START}",
        # The learner's defaults (German, no news pop-up) are read from the repository,
        # not written into the environment's JupyterLab.
        f"--LabApp.app_settings_dir={LEARNER_CONFIG}",
        *root,
        *extra,
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Kurs in JupyterLab öffnen")
    parser.add_argument("--dir", type=Path, default=Path(os.environ.get("KURS_DIR", DEFAULT_DIR)))
    parser.add_argument("--sync-only", action="store_true", help="nur kopieren, nicht starten")
    args, extra = parser.parse_known_args(argv)
    target = args.dir.expanduser().resolve()
    target.mkdir(parents=True, exist_ok=True)
    for line in sync(target).lines():
        print(line)
    print(f"Dein Kursordner: {target}")
    if args.sync_only:
        return 0
    env = dict(os.environ)
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        p for p in (str(LEARNER_CONFIG), env.get("JUPYTER_CONFIG_PATH", "")) if p
    )
    os.chdir(target)
    os.execvpe(sys.executable, lab_command(target, extra), env)
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
