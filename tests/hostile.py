"""Hostile submissions: code a learner puts into an answer cell (PORT, MEMORY, ROOT,
ELSEWHERE and ETCSECRET are replaced by the test). Shared by the sandbox and the grading-run
tests."""

import re
from pathlib import Path

PAYLOADS = {
    "gradebook": """
import os, sqlite3
for path in ("../../../gradebook.db", "ROOT/gradebook.db"):
    con = sqlite3.connect(path)
    con.execute("UPDATE grade SET manual_score = 99")
    con.commit()
""",
    "ausserhalb": """
import os
open("../../../pwned.txt", "w").write("pwned")
open("ROOT/pwned.txt", "w").write("pwned")
""",
    "andere": """
import glob, os
root = "ROOT"
found = glob.glob(root + "/*/*/*/*.ipynb") + glob.glob("../../*/*/*.ipynb")
texts = [open(p).read() for p in found]
print(texts)
assert any("GEHEIM-" + "ANTWORT" in t for t in texts), "nothing found"
""",
    "netzwerk": """
import socket
socket.create_connection(("127.0.0.1", PORT), timeout=3).sendall(b"leak")
""",
    "prozesse": """
import os, time
for _ in range(500):
    if os.fork() == 0:
        time.sleep(600)
        os._exit(0)
""",
    "speicher": """
block = bytearray(16 * 1024**3)
""",
    # Each process stays under the limit; together they do not (MEMORY is the sandbox's).
    "mehrere_prozesse": """
import subprocess, sys
child = "import time; block = b'x' * (MEMORY // 5 * 2); time.sleep(5)"
procs = [subprocess.Popen([sys.executable, "-c", child]) for _ in range(3)]
codes = [p.wait() for p in procs]
assert codes == [0, 0, 0], codes
""",
    "tmp_und_prozess": """
import subprocess, sys
for folder in ("/tmp", "/dev/shm"):
    with open(folder + "/fuellung", "wb") as f:
        for _ in range(MEMORY // 5 // 1024**2):
            f.write(b"x" * 1024**2)
code = subprocess.run([sys.executable, "-c", "block = b'x' * (MEMORY // 5 * 3)"]).returncode
assert code == 0, code
""",
    # The grader's environment (a hub token), whatever lies outside the known places and a
    # secret in /etc (the sandbox shows only the files of /etc that Python needs).
    "umgebung": """
import os, sys
print("UMGEBUNG", sorted(os.environ.items()))
found = []
for top, dirs, files in os.walk("/"):
    skip = top in ("/proc", "/sys", "/dev", "/usr", "/etc")
    if skip or top.startswith((os.getcwd(), sys.prefix)):
        dirs[:] = []
        continue
    found += [os.path.join(top, f) for f in files if f.endswith((".ipynb", ".db"))]
print("FUNDE", found)
print("ETC", sorted(os.listdir("/etc")))
try:
    print(open("ETCSECRET").read())
except OSError as err:
    print("ETC-GEHEIMNIS", type(err).__name__)
print(open("ELSEWHERE/anna/03_vier_ohren/03_vier_ohren.ipynb").read())
""",
    # Its kernel's socket folder: private, and gone after grading with what was put there.
    "sockets": """
import os
from ipykernel.connect import get_connection_file
folder = os.path.dirname(get_connection_file())
mode = os.stat(folder)
print("ORDNER", folder, oct(mode.st_mode & 0o777), mode.st_uid == os.getuid())
with open(os.path.join(folder, "ballast"), "wb") as f:
    f.write(b"x" * 50 * 1024**2)
raise RuntimeError("Ballast abgelegt")
""",
}
MEMORY = 1024**3  # the test course's c.SandboxKernelManager.memory_limit


def socket_folder(text: str) -> tuple[str, str, str] | None:
    """(folder, mode, owned by the kernel's uid) as the "sockets" payload printed them."""
    found = re.search(r"ORDNER (\S+) (0o\d+) (\w+)", text)
    return found.groups() if found else None


# A ``course`` package handed in next to the notebook: if Python imported it instead of the
# real one when the sandbox kernel starts, it would run unsandboxed as the grading account.
FAKE_SANDBOX = """
import os, sys
with open(os.path.join(os.getcwd(), "..", "..", "..", "entkommen.txt"), "w") as f:
    f.write(str(os.getuid()))
os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *sys.argv[1:]])
"""


def hand_in_fake_course_package(folder: Path) -> list[Path]:
    """Put ``course/__init__.py``, ``course/sandbox.py`` (the launcher outside the sandbox)
    and ``course/grading_kernel.py`` (the kernel inside) into ``folder``; the paths."""
    package = folder / "course"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "sandbox.py").write_text(FAKE_SANDBOX, encoding="utf-8")
    (package / "grading_kernel.py").write_text(FAKE_SANDBOX, encoding="utf-8")
    return [package, package / "__init__.py", package / "sandbox.py",
            package / "grading_kernel.py"]
