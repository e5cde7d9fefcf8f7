"""The learner's own empathy protocol (module 09), and checks for its graded pandas task.

The learner writes down, for four weeks, how difficult contacts went: date, channel and
the protocol's four questions (was the customer upset, how did I react, did I stay calm,
what would I do differently). Entries are kept as CSV in the learner's course folder,
``<kursordner>/mein_empathie_protokoll.csv`` – a name that is not in ``release/``, so a
course update (:mod:`course.learner`) never touches it. Nothing is graded or sent anywhere.

The logic lives in plain functions (:func:`make_entry`, :func:`add_entry`,
:func:`load_entries`, :func:`weekly_summary`, :func:`export_html`); the form is a thin view
over them in :mod:`course.protocol_view`. pandas and matplotlib are imported inside the
functions that need them, so ``import course.protocol`` stays as light as ``import course``.

Safety of the file:

- Appends take an exclusive lock (``fcntl.flock`` on a lock file beside the CSV) and write
  one row with a single ``write`` in append mode, so parallel kernels lose nothing.
- A file that cannot be read (broken header, a torn or garbled row, not UTF-8) is never
  thrown away: it is renamed to ``mein_empathie_protokoll.defekt-<zeitstempel>.csv`` and a
  fresh file is started with every row that could still be read.

The ``grade_*`` functions at the end serve the test cells of the graded task in module 09
(analysing a sample protocol); the expected values stay in the hidden tests.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import astuple, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from course.learner import find_course_dir

try:  # POSIX; elsewhere appends are still single writes, just not locked
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

FILE_NAME = "mein_empathie_protokoll.csv"
EXPORT_NAME = "mein_empathie_protokoll_export.html"


COLUMNS = (
    "datum",
    "kanal",
    "stimmung_kunde",
    "eigene_reaktion",
    "ruhig_geblieben",
    "was_ich_anders_machen_wuerde",
)
CHANNELS = ("Telefon", "E-Mail", "Chat", "Video", "vor Ort")
MOODS = ("freundlich", "gestresst", "verärgert", "panisch")
UPSET = "verärgert"
QUESTIONS = {
    "stimmung_kunde": "Wie war die Stimmung – war die Person verärgert?",
    "eigene_reaktion": "Wie habe ich reagiert?",
    "ruhig_geblieben": "Bin ich ruhig geblieben?",
    "was_ich_anders_machen_wuerde": "Was würde ich beim nächsten Mal anders sagen oder tun?",
}
MAX_TEXT = 1000
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4}|\d{2})?$")
# "Passwort: x", "PIN lautet x", "Kennwort ist Sommer2026" – but not "Passwort ist abgelaufen"
_SECRET = re.compile(
    r"\b(passwort|kennwort|password|pin|tan)\b\s*"
    r"(?:(?:[:=]|lautet|lautete)\s*\S+|(?:ist|war)\s+\S*[\d!$%&*#@?+]\S*)",
    re.IGNORECASE,
)


class ProtokollFehler(ValueError):
    """An entry the learner has to correct; ``problems`` holds one German message each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# --- where the protocol lives -------------------------------------------------------------


def course_dir(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    """The learner's course folder (see :func:`course.learner.find_course_dir`), else the
    working directory itself."""
    return find_course_dir(cwd, env) or (cwd or Path.cwd()).resolve()


def protocol_path(folder: Path | str | None = None) -> Path:
    return Path(folder) / FILE_NAME if folder is not None else course_dir() / FILE_NAME


# --- one entry ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    datum: date
    kanal: str
    stimmung_kunde: str
    eigene_reaktion: str
    ruhig_geblieben: bool
    was_ich_anders_machen_wuerde: str

    def row(self) -> list[str]:
        values = list(astuple(self))
        values[0] = self.datum.isoformat()
        values[4] = "ja" if self.ruhig_geblieben else "nein"
        return values

    @classmethod
    def from_row(cls, row: list[str]) -> Entry:
        """Read a stored row (ISO date); raises ProtokollFehler if any field is off."""
        if len(row) != len(COLUMNS):
            raise ProtokollFehler([f"{len(row)} statt {len(COLUMNS)} Spalten"])
        try:
            day = date.fromisoformat(row[0])
        except ValueError:
            raise ProtokollFehler([f"Datum „{row[0]}“ nicht lesbar"]) from None
        return make_entry(day, *row[1:], stored=True)


def format_date(day: date) -> str:
    return f"{day.day}.{day.month}.{day.year}"


def parse_date(value: Any, today: date | None = None) -> date:
    """A date from a date object, German text (3.11.2026, 03.11.26, 3.11.) or ISO text.

    With ``today`` given, a date after it is refused."""
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif not isinstance(value, str) or not value.strip():
        raise ProtokollFehler(["Bitte gib das Datum des Gesprächs an, z. B. 3.11.2026."])
    else:
        text = value.strip()
        match = _GERMAN_DATE.match(text)
        try:
            if match:
                d, m, y = match.groups()
                year = (today or date.today()).year if y is None else int(y)
                year += 2000 if y is not None and len(y) == 2 else 0
                day = date(year, int(m), int(d))
            else:
                day = date.fromisoformat(text)
        except ValueError:
            raise ProtokollFehler(
                [f"„{text}“ ist kein gültiges Datum. Schreib es zum Beispiel so: 3.11.2026."]
            ) from None
    if today is not None and day > today:
        raise ProtokollFehler(
            [f"Der {format_date(day)} liegt in der Zukunft. Trag nur Gespräche ein, "
             "die schon stattgefunden haben."]
        )
    return day


def _choice(value: Any, allowed: tuple[str, ...], question: str) -> tuple[str | None, str | None]:
    text = value.strip() if isinstance(value, str) else ""
    for option in allowed:
        if text.casefold() == option.casefold():
            return option, None
    shown = ", ".join(f"„{o}“" for o in allowed)
    if not text:
        return None, f"Bitte wähle bei „{question}“ eine Antwort: {shown}."
    return None, f"„{text}“ passt nicht zu „{question}“. Möglich sind: {shown}."


def _text(value: Any, question: str, stored: bool) -> tuple[str, str | None]:
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if not text:
        return "", f"Bitte beantworte die Frage „{question}“ in ein paar Worten."
    if stored:  # what is already in the file is the learner's: only check its form
        return text, None
    if len(text) > MAX_TEXT:
        return text, (f"Die Antwort auf „{question}“ ist mit {len(text)} Zeichen zu lang "
                      f"(höchstens {MAX_TEXT}). Fasse dich etwas kürzer.")
    if _SECRET.search(text):
        return text, (f"In der Antwort auf „{question}“ steht offenbar ein Passwort oder eine "
                      "PIN. So etwas gehört in kein Protokoll – bitte entfernen.")
    return text, None


def _yes_no(value: Any) -> tuple[bool | None, str | None]:
    if isinstance(value, bool):
        return value, None
    text = value.strip().casefold() if isinstance(value, str) else ""
    if text in {"ja", "j", "yes"}:
        return True, None
    if text in {"nein", "n", "no"}:
        return False, None
    return None, f"Bitte wähle bei „{QUESTIONS['ruhig_geblieben']}“ „ja“ oder „nein“."


def make_entry(
    datum: Any = None,
    kanal: Any = None,
    stimmung_kunde: Any = None,
    eigene_reaktion: Any = None,
    ruhig_geblieben: Any = None,
    was_ich_anders_machen_wuerde: Any = None,
    *,
    today: date | None = None,
    stored: bool = False,
) -> Entry:
    """Check one entry and return it; raises :class:`ProtokollFehler` with every problem.

    A date after ``today`` (default: the real date) is refused. ``stored=True`` reads a row
    of the file: only its form is checked (no date limit, length or password check).
    """
    if today is None and not stored:
        today = date.today()
    fields = (datum, kanal, stimmung_kunde, eigene_reaktion, ruhig_geblieben,
              was_ich_anders_machen_wuerde)
    if all(v is None or (isinstance(v, str) and not v.strip()) for v in fields):
        raise ProtokollFehler(
            ["Der Eintrag ist noch leer. Trag Datum und Kanal ein und beantworte die vier Fragen."]
        )
    problems: list[str] = []
    day: date | None = None
    try:
        day = parse_date(datum, today)
    except ProtokollFehler as err:
        problems += err.problems
    channel, p1 = _choice(kanal, CHANNELS, "Kanal")
    mood, p2 = _choice(stimmung_kunde, MOODS, QUESTIONS["stimmung_kunde"])
    reaction, p3 = _text(eigene_reaktion, QUESTIONS["eigene_reaktion"], stored)
    calm, p4 = _yes_no(ruhig_geblieben)
    better, p5 = _text(was_ich_anders_machen_wuerde, QUESTIONS["was_ich_anders_machen_wuerde"],
                       stored)
    problems += [p for p in (p1, p2, p3, p4, p5) if p]
    if problems:
        raise ProtokollFehler(problems)
    assert day is not None and channel and mood and calm is not None
    return Entry(day, channel, mood, reaction, calm, better)


# --- the file -----------------------------------------------------------------------------


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Exclusive lock on ``.<name>.lock`` beside ``path`` (the CSV itself may be renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "a+b") as lock:
        if fcntl is not None:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _csv_text(rows: Iterable[Iterable[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()


def _read(path: Path) -> tuple[list[Entry], list[str]]:
    """Entries of a stored file and the problems found (empty list: file is healthy)."""
    raw = path.read_bytes()
    if not raw:
        return [], []
    problems = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        problems.append("Die Datei ist nicht als Text (UTF-8) lesbar.")
        text = raw.decode("utf-8", errors="replace")  # to rescue the rows that are intact
    if "\x00" in text:
        problems.append("Die Datei enthält Steuerzeichen.")
        text = text.replace("\x00", "")
    if not text.endswith("\n"):
        problems.append("Die letzte Zeile ist unvollständig.")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as err:
        return [], [*problems, f"Die Datei ist kein gültiges CSV ({err})."]
    start = 1 if rows and tuple(rows[0]) == COLUMNS else 0
    if start == 0:
        problems.append("Die Kopfzeile fehlt oder ist verändert.")
    entries = []
    for number, row in enumerate(rows[start:], start=start + 1):
        if not row or tuple(row) == COLUMNS:
            continue
        try:
            entries.append(Entry.from_row(row))
        except ProtokollFehler as err:
            problems.append(f"Zeile {number}: {err.problems[0]}")
    return entries, problems


def _set_aside(path: Path, now: datetime) -> Path:
    stamp = now.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.defekt-{stamp}{path.suffix}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.stem}.defekt-{stamp}-{n}{path.suffix}")
    os.rename(path, target)
    return target


def _write_fresh(path: Path, entries: list[Entry]) -> None:
    tmp = path.with_name(f".{path.name}.neu")
    tmp.write_text(_csv_text([COLUMNS, *(e.row() for e in entries)]), encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class Loaded:
    entries: list[Entry]
    set_aside: Path | None = None  # where a damaged file was moved
    problems: list[str] = field(default_factory=list)

    def notice(self) -> str | None:
        if self.set_aside is None:
            return None
        return (
            f"Deine Protokolldatei war beschädigt ({self.problems[0]}). Sie liegt unverändert "
            f"als „{self.set_aside.name}“ daneben. Eine neue Datei ist angelegt; "
            f"{len(self.entries)} lesbare Einträge wurden übernommen."
        )


def _repair_if_needed(path: Path, now: datetime | None = None) -> Loaded:
    """Call with the lock held. Reads the file; a damaged one is set aside and restarted."""
    if not path.exists():
        return Loaded([])
    entries, problems = _read(path)
    if not problems:
        return Loaded(entries)
    aside = _set_aside(path, now or datetime.now())
    _write_fresh(path, entries)
    return Loaded(entries, aside, problems)


def load_entries(path: Path | str | None = None, now: datetime | None = None) -> Loaded:
    """All entries of the learner's protocol (oldest first). Creates nothing if there is
    no file yet; a damaged file is set aside and a fresh one started (see ``Loaded``)."""
    path = protocol_path() if path is None else Path(path)
    if not path.exists():
        return Loaded([])
    with _locked(path):
        loaded = _repair_if_needed(path, now)
    loaded.entries.sort(key=lambda e: e.datum)
    return loaded


def add_entry(entry: Entry | Mapping[str, Any], path: Path | str | None = None) -> Loaded:
    """Check and append one entry; returns what the file holds afterwards."""
    if not isinstance(entry, Entry):
        entry = make_entry(**entry)
    path = protocol_path() if path is None else Path(path)
    with _locked(path):
        loaded = _repair_if_needed(path)
        text = _csv_text([entry.row()])
        if not path.exists() or path.stat().st_size == 0:
            text = _csv_text([COLUMNS]) + text
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, text.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
    loaded.entries.append(entry)
    loaded.entries.sort(key=lambda e: e.datum)
    return loaded


# --- summary, plot, export ----------------------------------------------------------------


def weekly_summary(entries: Iterable[Entry]) -> Any:
    """A pandas DataFrame, one row per protocol week (week 1 starts with the first entry):
    ``ab`` (first day), ``eintraege``, ``kunde_veraergert``, ``ruhig_geblieben``,
    ``anteil_ruhig`` (0–1; empty weeks in between have 0 entries and no share)."""
    import pandas as pd

    columns = ["ab", "eintraege", "kunde_veraergert", "ruhig_geblieben", "anteil_ruhig"]
    entries = sorted(entries, key=lambda e: e.datum)
    if not entries:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="woche", dtype="int64"))
    first = entries[0].datum
    rows: dict[int, list[Entry]] = {}
    for e in entries:
        rows.setdefault((e.datum - first).days // 7 + 1, []).append(e)
    data = []
    for week in range(1, max(rows) + 1):
        items = rows.get(week, [])
        calm = sum(e.ruhig_geblieben for e in items)
        data.append({
            "ab": date.fromordinal(first.toordinal() + 7 * (week - 1)),
            "eintraege": len(items),
            "kunde_veraergert": sum(e.stimmung_kunde == UPSET for e in items),
            "ruhig_geblieben": calm,
            "anteil_ruhig": calm / len(items) if items else float("nan"),
        })
    return pd.DataFrame(data, index=pd.Index(range(1, max(rows) + 1), name="woche"))


def summary_lines(summary: Any) -> list[str]:
    """The weekly summary as German sentences."""
    if len(summary) == 0:
        return ["Noch keine Einträge. Dein erster Eintrag startet Woche 1."]
    lines = []
    for week, row in summary.iterrows():
        if row["eintraege"] == 0:
            lines.append(f"Woche {week} (ab {format_date(row['ab'])}): keine Einträge.")
            continue
        n = row["eintraege"]
        noun = "Eintrag" if n == 1 else "Einträge"
        lines.append(
            f"Woche {week} (ab {format_date(row['ab'])}): {n} {noun}, "
            f"{row['kunde_veraergert']}× verärgert, {row['ruhig_geblieben']}× ruhig geblieben "
            f"({round(100 * row['anteil_ruhig'])} %)."
        )
    if len(summary) < 4:
        lines.append(f"Du bist in Woche {len(summary)} von 4 – bleib dran!")
    return lines


def summary_png(summary: Any) -> bytes:
    """A bar chart (PNG) of the share of calm reactions per week; no pyplot involved."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    filled = summary[summary["eintraege"] > 0] if len(summary) else summary
    weeks = [int(w) for w in filled.index]
    shares = [100 * float(s) for s in filled["anteil_ruhig"]]
    ax.bar(weeks, shares, color="#4c72b0")
    for week, share, n in zip(weeks, shares, filled["eintraege"], strict=True):
        ax.annotate(f"{n} Eintr.", (week, share), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(1, max([4, *weeks]) + 1))
    ax.set_ylim(0, 110)
    ax.set_xlabel("Woche")
    ax.set_ylabel("ruhig geblieben (%)")
    ax.set_title("Mein Empathie-Protokoll")
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def _template(name: str) -> Any:
    """A page template of course/templates/ (autoescaped: the learner's entries are inert)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    folder = Path(__file__).parent / "templates"
    env = Environment(loader=FileSystemLoader(folder), autoescape=select_autoescape(["j2"]),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    return env.get_template(name)


def export_html(path: Path | str | None = None, now: datetime | None = None) -> Path:
    """Write ``mein_empathie_protokoll_export.html`` beside the protocol (summary, chart and
    all entries) for a talk with a mentor; returns its path. Nothing is sent anywhere."""
    import base64

    path = protocol_path() if path is None else Path(path)
    loaded = load_entries(path)
    summary = weekly_summary(loaded.entries)
    stamp = (now or datetime.now()).strftime("%d.%m.%Y %H:%M")
    rows = [[format_date(e.datum), *e.row()[1:]] for e in loaded.entries]
    png = base64.b64encode(summary_png(summary)).decode("ascii") if rows else ""
    page = _template("protokoll_export.html.j2").render(
        stamp=stamp, summary=summary_lines(summary), rows=rows, png=png,
        head=["Datum", "Kanal", *QUESTIONS.values()],
        chart_alt="Anteil ruhig geblieben je Woche")
    target = path.with_name(EXPORT_NAME)
    tmp = target.with_name(f".{target.name}.neu")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, target)
    return target
