"""The learner's kernel during grading, started by :mod:`course.sandbox` inside bwrap.

It is ipykernel's own launcher (``python -m ipykernel_launcher``) without the debugger:
importing debugpy is about a quarter of a kernel's start-up CPU, every graded notebook
starts a kernel of its own, and nobody debugs a notebook while it is graded.

It runs as ``python -P -m course.grading_kernel``: the kernel's own code is never looked
up in the notebook's folder (ipykernel_launcher, too, takes that folder off the path while
it starts). IPython would put the folder back, but not under ``-P``; so this launcher does,
where IPython would, and the learner's code imports a module handed in next to the
notebook as it does in JupyterLab.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path


def main() -> None:
    sys.modules["debugpy"] = None  # type: ignore[assignment]  # ipykernel then has no debugger
    # The start-up creates a few hundred thousand objects that live as long as the kernel;
    # the garbage collector would scan them again and again while they are made.
    gc.disable()
    from ipykernel import kernelapp

    sys.path.insert(_after_standard_library(), "")
    app = kernelapp.IPKernelApp.instance()  # what launch_new_instance does, in two steps
    app.initialize()
    gc.freeze()
    gc.enable()
    app.start()


def _after_standard_library() -> int:
    """Where IPython's ``init_path`` puts the working folder: before site-packages."""
    for index, path in enumerate(sys.path):
        if Path(path).name in {"site-packages", "dist-packages"}:
            return index
    return len(sys.path)


if __name__ == "__main__":
    main()
