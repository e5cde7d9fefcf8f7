"""Data of the rewrite checker: the exercise table and the compiled lexicon.

``content/rewrite/exercises.yaml`` holds the exercises, ``content/rewrite/lexicon.yaml`` the
phrases (syntax documented there). Both load lazily on first use and are cached; a broken
file raises ValueError naming file, item and problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from course.content_io import ContentError, read_yaml

CONTENT_DIR = Path(__file__).resolve().parent / "content" / "rewrite"
EXERCISES_PATH = CONTENT_DIR / "exercises.yaml"
LEXICON_PATH = CONTENT_DIR / "lexicon.yaml"

CRITERIA = ("R1", "R2", "R3", "R4")

_KEY_FORMAT = re.compile(r"^[a-z][a-z0-9-]*$")
_SEP = r"[\s,\-–—\"„“”'‚‘’«»:]+"
_WORD_GAP = r"[^\s.!?;]+"
_NUMBER = (
    r"(?:\d+(?:[.:,]\d+)?|ein|eine|einer|einem|einen|zwei|drei|vier|fuenf|sechs|sieben|acht|"
    r"neun|zehn|elf|zwoelf|fuenfzehn|zwanzig|dreissig|vierzig|fuenfzig|sechzig|halbe|halben|"
    r"paar)"
)
_TRANSLIT = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"}
_APOSTROPHES = set("'’‘`´")
_TOKEN = re.compile(r"\w+")


# --------------------------------------------------------------------------- data classes


@dataclass(frozen=True)
class Exercise:
    """One row of the rubric's exercise table."""

    key: str
    situation: str
    original: str
    required: tuple[str, ...]
    example: str
    original_is_dead_end: bool = True
    # Phrases that restate the original's own move ("neu gestartet?"): such a step counts
    # for R3 only after an acknowledgement.
    original_move: tuple[re.Pattern[str], ...] = ()
    # Phrases the course shows for this exercise (model answers): a copy earns no content
    # credit in a graded task.
    shown: tuple[str, ...] = ()



@dataclass(frozen=True)
class _Category:
    ident: str
    neutralised_by: str
    feedback: str
    insult: bool
    patterns: tuple[tuple[re.Pattern[str], int], ...]
    only_in_questions: bool = False
    # A match in a clause opened by one of these words describes the customer's problem
    # ("Ich verstehe, dass es nicht klappt") and is no dead end.
    skip_after: frozenset[str] = frozenset()
    # A negation just before the phrase turns it round ("nicht Ihre Schuld").
    negatable: bool = False


@dataclass(frozen=True)
class Lexicon:
    """The compiled lexicon (see ``content/rewrite/lexicon.yaml`` for the meaning)."""

    acknowledgement: tuple[re.Pattern[str], ...]
    regret_if_followed_by_step: tuple[re.Pattern[str], ...]
    own_action: tuple[re.Pattern[str], ...]
    handover: tuple[re.Pattern[str], ...]
    alternative: tuple[re.Pattern[str], ...]
    time_frame: tuple[re.Pattern[str], ...]
    clarifying: tuple[re.Pattern[str], ...]
    instruction: tuple[re.Pattern[str], ...]
    rude: tuple[re.Pattern[str], ...]
    du_form: tuple[re.Pattern[str], ...]
    dead_ends: tuple[_Category, ...]
    negation: frozenset[str]
    clause_breaks: frozenset[str]
    first_person: frozenset[str]
    imperative_lead: frozenset[str]
    question_not_clarifying: tuple[str, ...]
    acronyms: frozenset[str]
    german_words: frozenset[str]
    foreign_words: frozenset[str]
    fillers: frozenset[str]
    formulas: tuple[re.Pattern[str], ...] = ()
    vague_time: tuple[re.Pattern[str], ...] = ()
    contrast: frozenset[str] = frozenset()
    customer_verbs: frozenset[str] = frozenset()
    particles: frozenset[str] = frozenset()
    named_target: tuple[re.Pattern[str], ...] = ()
    protected: frozenset[str] = field(default_factory=frozenset)
    protected_stems: tuple[str, ...] = ()
    targets: frozenset[str] = field(default_factory=frozenset)
    stems: tuple[str, ...] = ()


# --------------------------------------------------------------------------- normalisation


def normalise(text: str) -> str:
    """Lower-case, transliterate umlauts (ä->ae, ß->ss) and drop apostrophes."""
    return _normalise_with_map(text)[0]


def _normalise_with_map(text: str) -> tuple[str, list[int]]:
    out: list[str] = []
    index: list[int] = []
    for pos, char in enumerate(text):
        if char in _APOSTROPHES:
            continue
        for piece in char.casefold():
            mapped = _TRANSLIT.get(piece, piece)
            out.append(mapped)
            index.extend([pos] * len(mapped))
    return "".join(out), index


def _tokens(norm: str) -> list[str]:
    return _TOKEN.findall(norm)


# --------------------------------------------------------------------------- phrase compiler


def compile_phrase(phrase: str) -> re.Pattern[str]:
    """Compile one lexicon phrase (mini syntax documented in lexicon.yaml) to a regex."""
    if phrase.startswith("re:"):
        return re.compile(phrase[3:])
    parts = re.findall(r"\([^)]*\)|\[[^\]]*\]|\S+", phrase.strip())
    if not parts:
        raise ContentError("empty phrase")
    body = ""
    for number, part in enumerate(parts):
        piece, optional = _compile_part(part)
        if number == 0:
            body = f"(?:{piece})?" if optional else piece
        elif optional:
            body += f"(?:{_SEP}{piece})?"
        elif piece.startswith("(?:" + _SEP):
            body += piece
        else:
            body += _SEP + piece
    return re.compile(rf"(?<!\w){body}(?!\w)")


def _compile_part(part: str) -> tuple[str, bool]:
    gap = re.fullmatch(r"~(\d+)", part)
    if gap:
        return f"(?:{_SEP}{_WORD_GAP}){{0,{gap.group(1)}}}", False
    if part.startswith("[") and part.endswith("]"):
        return _compile_words(part[1:-1]), True
    if part.startswith("(") and part.endswith(")"):
        options = [_compile_words(option) for option in part[1:-1].split("|")]
        return "(?:" + "|".join(options) + ")", False
    return _compile_words(part), False


def _compile_words(words: str) -> str:
    pieces = []
    for word in words.split():
        if word == "<zahl>":
            pieces.append(_NUMBER)
            continue
        star = word.endswith("*")
        literal = re.escape(normalise(word.rstrip("*")))
        pieces.append(literal + (r"\w*" if star else ""))
    if not pieces:
        raise ContentError("empty alternative")
    return _SEP.join(pieces)


# Short first-person forms ("ich schick", "ich test") that are also common nouns.
_NO_SHORT_FORM = frozenset({"test", "druck", "scan", "tausch", "wechsel", "buch"})


def verb_phrases(verb: str) -> list[str]:
    """Lexicon phrases for the speaker doing what a German infinitive names.

    A separable verb is written with a hyphen: "auf-nehmen" gives
    "(nehme|nehm|nehmen) ~10 auf" (main clause) and "(aufnehme|aufnehmen|aufzunehmen)"
    (infinitive, subordinate clause); "testen" gives "(teste|testen)".
    """
    prefix, _, base = verb.rpartition("-")
    if not re.fullmatch(r"[a-z]*", prefix) or not re.fullmatch(r"[a-z]{2,}(en|eln|ern)", base):
        raise ContentError("expected an infinitive ending in -en, -eln or -ern, separable "
                         "verbs as 'auf-nehmen'")
    if base.endswith(("eln", "ern")):  # wechseln: ich wechsle / wechsele / wechsel
        stem = base[:-1]
        forms = [stem[:-2] + stem[-1] + "e", stem + "e", stem, base]
    else:
        stem = base[:-2]
        forms = [stem + "e", stem + "en"]
        if len(stem) >= 4 and stem not in _NO_SHORT_FORM:
            forms.insert(1, stem)
    finite = "(" + "|".join(forms) + ")"
    # "ich habe Ihnen den Drucker eingerichtet": the speaker did it, with "haben"
    done = f"(habe|hab|haben) ~12 {_participle(prefix, stem)}"
    if not prefix:
        return [finite, done]
    joined = "|".join(prefix + form for form in forms if form != stem)
    # no "aufnehm*": a star would also take nouns ("ansprech*" -> "Ansprechpartnerin")
    return [f"{finite} ~10 {prefix}", f"({joined}|{prefix}zu{base})", done]


_INSEPARABLE = ("be", "emp", "ent", "er", "ge", "miss", "ver", "zer", "ueber", "unter",
                "hinter", "wider")


def _participle(prefix: str, stem: str) -> str:
    """The weak past participle: ein-richten -> eingerichtet, bestellen -> bestellt,
    konfigurieren -> konfiguriert (strong verbs would need their own entry)."""
    ending = "et" if re.search(r"(?:[td]|[^aeioulr][mn])$", stem) else "t"
    if stem.endswith("ier") or (not prefix and stem.startswith(_INSEPARABLE)):
        return prefix + stem + ending
    return prefix + "ge" + stem + ending


def _verb_phrases(path: Path, data: dict[str, Any]) -> list[str]:
    phrases = []
    for number, verb in enumerate(_string_list(path, data, "action_verbs"), start=1):
        try:
            phrases += verb_phrases(normalise(verb.strip()))
        except ValueError as exc:
            raise ContentError(
                f"{path}: section 'action_verbs', item {number} ({verb!r}): {exc}"
            ) from exc
    return phrases


def _literal_words(phrase: str) -> list[str]:
    if phrase.startswith("re:"):
        return []
    return [w for w in re.findall(r"[^\s()|\[\]~*]+\*?", phrase) if not w[0].isdigit()]


# --------------------------------------------------------------------------- loading

_LIST_SECTIONS = (
    "acknowledgement", "regret_if_followed_by_step", "own_action", "handover", "alternative",
    "time_frame", "clarifying", "instruction", "rude", "du_form", "formulas", "vague_time",
    "named_target",
)
_WORD_SECTIONS = (
    "negation", "clause_breaks", "first_person", "imperative_lead", "question_not_clarifying",
    "acronyms", "german_words", "foreign_words", "fillers", "known_words", "contrast",
    "customer_verbs", "particles",
)
_NEUTRALISERS = ("never", "step", "own_action", "named_handover")
_CORRECTION_SECTIONS = (
    "acknowledgement", "own_action", "handover", "alternative", "time_frame", "clarifying",
)


def _string_list(path: Path, data: dict[str, Any], section: str) -> list[str]:
    value = data.get(section)
    if not isinstance(value, list) or not value:
        raise ContentError(f"{path}: section '{section}' must be a non-empty list")
    for number, item in enumerate(value, start=1):
        if not isinstance(item, str) or not item.strip():
            raise ContentError(
                f"{path}: section '{section}', item {number} ({item!r}): "
                "must be a non-empty string"
            )
    return value


def _compile_list(path: Path, section: str, phrases: Iterable[str]) -> tuple[re.Pattern, ...]:
    compiled = []
    for number, phrase in enumerate(phrases, start=1):
        try:
            compiled.append(compile_phrase(phrase))
        except (re.error, ValueError) as exc:
            raise ContentError(
                f"{path}: section '{section}', item {number} ({phrase!r}): invalid pattern: {exc}"
            ) from exc
    return tuple(compiled)


def _load_category(path: Path, number: int, item: Any, negation: frozenset[str]) -> _Category:
    where = f"{path}: section 'dead_ends', item {number}"
    if not isinstance(item, dict):
        raise ContentError(f"{where}: must be a mapping with id, neutralised_by, feedback, phrases")
    ident = item.get("id")
    where += f" ({ident!r})"
    unknown = set(item) - {"id", "neutralised_by", "feedback", "phrases", "insult",
                           "only_in_questions", "skip_after", "negatable"}
    if unknown:
        raise ContentError(f"{where}: unknown field(s) {sorted(unknown)}")
    if not isinstance(ident, str) or not ident:
        raise ContentError(f"{where}: 'id' must be a non-empty string")
    if item.get("neutralised_by") not in _NEUTRALISERS:
        raise ContentError(f"{where}: 'neutralised_by' must be one of {list(_NEUTRALISERS)}")
    if not isinstance(item.get("feedback"), str) or not item["feedback"].strip():
        raise ContentError(f"{where}: 'feedback' must be a non-empty string")
    for flag in ("insult", "only_in_questions", "negatable"):
        if not isinstance(item.get(flag, False), bool):
            raise ContentError(f"{where}: '{flag}' must be true or false")
    skip = item.get("skip_after", [])
    if not isinstance(skip, list) or not all(isinstance(w, str) for w in skip):
        raise ContentError(f"{where}: 'skip_after' must be a list of words")
    phrases = _string_list(path, item, "phrases") if "phrases" in item else None
    if phrases is None:
        raise ContentError(f"{where}: 'phrases' must be a non-empty list")
    patterns = _compile_list(path, f"dead_ends/{ident}", phrases)
    negs = [_expected_negations(p, negation) for p in phrases]
    return _Category(
        ident, item["neutralised_by"], item["feedback"].strip(), item.get("insult", False),
        tuple(zip(patterns, negs, strict=True)), item.get("only_in_questions", False),
        frozenset(normalise(w) for w in skip), item.get("negatable", False),
    )


def _expected_negations(phrase: str, negation: frozenset[str]) -> int:
    if phrase.startswith("re:"):
        return 1_000  # raw patterns handle negation themselves
    return sum(w in negation for w in map(normalise, _literal_words(phrase)))


def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """Load and compile a lexicon file; raise ValueError naming file, item and problem."""
    path = Path(path) if path is not None else LEXICON_PATH
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(f"{path}: top level must be a mapping of sections")
    lists = {s: _string_list(path, data, s) for s in _LIST_SECTIONS + _WORD_SECTIONS}
    words = {s: frozenset(normalise(w) for w in lists[s]) for s in _WORD_SECTIONS}
    raw_ends = data.get("dead_ends")
    if not isinstance(raw_ends, list) or not raw_ends:
        raise ContentError(f"{path}: section 'dead_ends' must be a non-empty list")
    ends = tuple(
        _load_category(path, n, item, words["negation"]) for n, item in enumerate(raw_ends, 1)
    )
    verbs = _verb_phrases(path, data)
    compiled = {s: _compile_list(path, s, lists[s]) for s in _LIST_SECTIONS}
    compiled["own_action"] += _compile_list(path, "action_verbs", verbs)
    # The verbs are protected from typo correction but never a target of it: otherwise
    # "berechtigte" would become "berechtige".
    protected, targets, protected_stems, stems = _correction_vocabulary(
        data, {**lists, "action_verbs": verbs})
    return Lexicon(
        **compiled,
        dead_ends=ends,
        negation=words["negation"],
        clause_breaks=words["clause_breaks"],
        first_person=words["first_person"],
        imperative_lead=words["imperative_lead"],
        question_not_clarifying=tuple(sorted(words["question_not_clarifying"])),
        acronyms=frozenset(a.upper() for a in lists["acronyms"]),
        german_words=words["german_words"],
        foreign_words=words["foreign_words"],
        fillers=words["fillers"],
        contrast=words["contrast"],
        customer_verbs=words["customer_verbs"],
        particles=words["particles"],
        protected=protected,
        protected_stems=protected_stems,
        targets=targets,
        stems=stems,
    )


def _correction_vocabulary(
    data: dict[str, Any], lists: dict[str, list[str]]
) -> tuple[frozenset[str], frozenset[str], tuple[str, ...], tuple[str, ...]]:
    """Words typo tolerance leaves alone, and the words/stems it may correct towards."""
    protected: set[str] = set()
    targets: set[str] = set()
    protected_stems: set[str] = set()
    target_stems: set[str] = set()
    phrases = [p for section in lists.values() for p in section]
    phrases += [p for item in data["dead_ends"] for p in item["phrases"]]
    for phrase in phrases:
        for word in _literal_words(phrase):
            stem = normalise(word.rstrip("*"))
            (protected_stems if word.endswith("*") else protected).add(stem)
    for section in _CORRECTION_SECTIONS:
        for phrase in lists[section]:
            for word in _literal_words(phrase):
                stem = normalise(word.rstrip("*"))
                (target_stems if word.endswith("*") else targets).add(stem)
    return (
        frozenset(protected),
        frozenset(w for w in targets if len(w) >= 4),
        tuple(sorted(s for s in protected_stems if len(s) >= 4)),
        tuple(sorted(s for s in target_stems if len(s) >= 5)),
    )


def load_exercises(path: str | Path | None = None) -> dict[str, Exercise]:
    """Load the exercise table; raise ValueError naming file, item and problem."""
    path = Path(path) if path is not None else EXERCISES_PATH
    data = read_yaml(path)
    items = data.get("exercises") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise ContentError(f"{path}: expected a top-level 'exercises' list")
    exercises: dict[str, Exercise] = {}
    for number, item in enumerate(items, start=1):
        exercise = _parse_exercise(path, number, item)
        if exercise.key in exercises:
            raise ContentError(f"{path}: exercise {number} ({exercise.key!r}): duplicate key")
        exercises[exercise.key] = exercise
    return exercises


def _parse_exercise(path: Path, number: int, item: Any) -> Exercise:
    where = f"{path}: exercise {number}"
    if not isinstance(item, dict):
        raise ContentError(f"{where}: must be a mapping")
    where += f" ({item.get('key')!r})"
    allowed = {"key", "situation", "original", "requires", "example", "original_is_dead_end",
               "original_move", "shown"}
    if set(item) - allowed:
        raise ContentError(f"{where}: unknown field(s) {sorted(set(item) - allowed)}")
    for name in ("key", "situation", "original", "example"):
        if not isinstance(item.get(name), str) or not item[name].strip():
            raise ContentError(f"{where}: '{name}' is missing or not a non-empty string")
    if not _KEY_FORMAT.match(item["key"]):
        raise ContentError(f"{where}: 'key' must be lowercase letters, digits and hyphens")
    requires = item.get("requires")
    if not isinstance(requires, list) or not set(requires) <= {"R2", "R3"}:
        raise ContentError(f"{where}: 'requires' must be a list with R2 and/or R3")
    dead_end = item.get("original_is_dead_end", True)
    if not isinstance(dead_end, bool):
        raise ContentError(f"{where}: 'original_is_dead_end' must be true or false")
    required = tuple(c for c in CRITERIA if c in {"R1", "R4", *requires})
    moves = _compile_list(path, f"exercise {number} original_move",
                          _optional_strings(where, item, "original_move"))
    shown = (item["example"].strip(), *_optional_strings(where, item, "shown"))
    return Exercise(
        item["key"], item["situation"].strip(), item["original"].strip(), required,
        item["example"].strip(), dead_end, moves, shown,
    )


def _optional_strings(where: str, item: dict[str, Any], name: str) -> list[str]:
    value = item.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ContentError(f"{where}: '{name}' must be a list of non-empty strings")
    return value


@lru_cache(maxsize=1)
def _lexicon() -> Lexicon:
    return load_lexicon()


@lru_cache(maxsize=1)
def _exercises() -> dict[str, Exercise]:
    return load_exercises()


def load_now() -> None:
    """Read and compile the lexicon and the exercise table now (a grading process does it
    once before it forks its workers, which then share them)."""
    _lexicon()
    _exercises()


def exercise_keys() -> tuple[str, ...]:
    """The keys of the exercise table, in table order."""
    return tuple(_exercises())


def exercise(key: str) -> Exercise:
    """The exercise with this key; ValueError naming the known keys otherwise."""
    if not isinstance(key, str):
        raise TypeError(f"exercise key must be a str, not {type(key).__name__}")
    found = _exercises().get(key.strip().casefold())
    if found is None:
        raise ValueError(f"unknown exercise key {key!r}; known keys: {', '.join(exercise_keys())}")
    return found
