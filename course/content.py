"""Load and validate the course's content files (quiz items and label schemes).

Quiz types: ``single_choice``, ``ordering``, ``classification``, ``rewrite``, ``jargon``
(a sentence with the words a customer would not understand, each with an explanation) and
``dialog`` (a role-play scenario, see :mod:`course.dialog`).
Quiz items live as YAML under ``course/content/quizzes/<module>.yaml`` so that an
instructor can add or change an item without touching Python. Every file is validated
on load; a problem raises :class:`ContentError` naming the file, the item and the problem.

The course's rules (definitions and decision rules of every model) live in
``course/content/rules.yaml`` (:func:`load_rules`). A classification item whose quiz uses a
scheme with rules names the rule that decides it (``rule:``), and its answer must be the
label that rule leads to.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from course.content_io import CONTENT_DIR, DIALOG_DIR, ContentError, Reader, read_yaml

QUIZ_DIR = CONTENT_DIR / "quizzes"
LABELS_FILE = CONTENT_DIR / "labels.yaml"
RULES_FILE = CONTENT_DIR / "rules.yaml"  # the course's rules, see parse_rules


@dataclass(frozen=True)
class Option:
    text: str
    correct: bool
    explanation: str


@dataclass(frozen=True)
class SingleChoice:
    id: str
    question: str
    options: tuple[Option, ...]
    rule: str | None = None  # id of the rule in rules.yaml that decides the key


@dataclass(frozen=True)
class Step:
    text: str
    explanation: str
    hint: str


@dataclass(frozen=True)
class Ordering:
    """Steps are stored in their correct order; the widget shuffles them."""

    id: str
    question: str
    steps: tuple[Step, ...]
    rule: str | None = None


@dataclass(frozen=True)
class Item:
    text: str
    answer: str
    explanation: str
    hint: str
    rule: str | None = None  # id of the rule in rules.yaml that decides the answer


@dataclass(frozen=True)
class Classification:
    id: str
    question: str
    categories: dict[str, str]  # category id -> label shown to the learner
    items: tuple[Item, ...]
    scheme: str | None = None  # the label scheme the categories come from, if any


@dataclass(frozen=True)
class Rewrite:
    """A rewrite exercise; the situation and original come from the rewrite checker."""

    id: str
    question: str
    key: str


@dataclass(frozen=True)
class JargonWord:
    word: str  # exactly as it stands in the sentence
    explanation: str


@dataclass(frozen=True)
class Token:
    """A clickable word (or jargon phrase) of a sentence; ``jargon`` indexes the item's list."""

    text: str
    jargon: int | None


@dataclass(frozen=True)
class JargonItem:
    sentence: str
    jargon: tuple[JargonWord, ...]
    tokens: tuple[Token, ...]  # every word in reading order; jargon phrases as one token


@dataclass(frozen=True)
class JargonQuiz:
    """Mark the jargon: click the words a customer would not understand."""

    id: str
    question: str
    items: tuple[JargonItem, ...]


@dataclass(frozen=True)
class DialogQuiz:
    """A role-play scenario (``course/content/dialogs/<scenario>.yaml``) played in a widget."""

    id: str
    question: str
    scenario: str
    variable: str  # the answer variable the simulator's path line assigns


Quiz = SingleChoice | Ordering | Classification | Rewrite | JargonQuiz | DialogQuiz


@dataclass(frozen=True)
class Label:
    id: str
    label: str
    aliases: tuple[str, ...]


def fold(text: str) -> str:
    """Normalise free text for comparison: NFC, casefold, umlauts as ae/oe/ue, no punctuation."""
    text = unicodedata.normalize("NFC", text).casefold()
    for umlaut, ascii_form in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, ascii_form)
    return "".join(ch for ch in text if ch.isalnum())


class _Reader(Reader):
    """A quiz item's reader: also checks the item's 'rule' against the rule book."""

    def __init__(self, path: Path, where: str, data: Any, allowed: set[str],
                 rules: RuleBook | None = None) -> None:
        super().__init__(path, where, data, allowed)
        self.rules = rules if rules is not None else RuleBook({}, {})

    def rule(self, scheme: str | None = None, answer: str | None = None) -> str | None:
        """The item's optional 'rule' field: a rule of the rule book that leads to ``answer``.

        An item of a quiz whose scheme has rules must name one.
        """
        if "rule" not in self.data:
            if scheme is not None and scheme in self.rules.schemes():
                self.fail(f"field 'rule' is missing: the scheme '{scheme}' has rules in "
                          f"{RULES_FILE.name}, name the one that decides this item")
            return None
        rule_id = self.text("rule")
        rule = self.rules.rules.get(rule_id)
        if rule is None:
            self.fail(f"rule '{rule_id}' is not in {RULES_FILE.name}")
        if answer is not None:
            if rule.key is None or rule.scheme != scheme:
                self.fail(f"rule '{rule_id}' decides no label of the scheme '{scheme}'")
            if rule.key != answer:
                self.fail(f"answer '{answer}' contradicts rule '{rule_id}', which leads to "
                          f"'{rule.key}'")
        return rule_id


def _single_choice(r: _Reader, quiz_id: str) -> SingleChoice:
    options = []
    for n, raw in enumerate(r.items("options", 2), start=1):
        o = _Reader(r.path, f"{r.where}, option {n}", raw, {"text", "correct", "explanation"})
        options.append(Option(o.text("text"), o.flag("correct"), o.text("explanation")))
    if sum(o.correct for o in options) != 1:
        r.fail("exactly one option must have 'correct: true'")
    return SingleChoice(quiz_id, r.text("question"), tuple(options), r.rule())


def _ordering(r: _Reader, quiz_id: str) -> Ordering:
    steps = []
    for n, raw in enumerate(r.items("steps", 2), start=1):
        s = _Reader(r.path, f"{r.where}, step {n}", raw, {"text", "explanation", "hint"})
        steps.append(Step(s.text("text"), s.text("explanation"), s.text("hint")))
    if len({s.text for s in steps}) != len(steps):
        r.fail("two steps have the same text")
    return Ordering(quiz_id, r.text("question"), tuple(steps), r.rule())


def _classification(r: _Reader, quiz_id: str) -> Classification:
    categories = r.data.get("categories")
    if not isinstance(categories, dict) or len(categories) < 2:
        r.fail("field 'categories' must map at least two category ids to labels")
    for cid, label in categories.items():
        if not isinstance(label, str) or not label.strip():
            r.fail(f"category '{cid}' needs a label text")
    scheme = _quiz_scheme(r, set(categories))
    items = []
    for n, raw in enumerate(r.items("items", 2), start=1):
        i = _Reader(r.path, f"{r.where}, item {n}", raw,
                    {"text", "answer", "explanation", "hint", "rule"}, r.rules)
        answer = i.text("answer")
        if answer not in categories:
            i.fail(f"answer '{answer}' is not one of the categories {sorted(categories)}")
        rule = i.rule(scheme, answer)
        items.append(Item(i.text("text"), answer, i.text("explanation"), i.text("hint"), rule))
    return Classification(quiz_id, r.text("question"), dict(categories), tuple(items), scheme)


def _quiz_scheme(r: _Reader, categories: set[str]) -> str | None:
    """The quiz's label scheme: its 'scheme' field, else the labels.yaml scheme it uses."""
    if "scheme" in r.data:
        scheme = r.text("scheme")
        known = r.rules.schemes() | set(_all_labels())
        if scheme not in known:
            r.fail(f"unknown scheme '{scheme}' (not in labels.yaml or rules.yaml)")
        return scheme
    for name, labels in _all_labels().items():
        if categories <= set(labels):
            return name
    return None


_WORD = re.compile(r"\w+(?:[-./'’]\w+)*")


def tokenize(sentence: str, jargon: tuple[str, ...]) -> tuple[Token, ...]:
    """Split a sentence into clickable tokens; each jargon phrase becomes one token.

    Raises ValueError naming the first jargon word that does not stand in the sentence as
    whole word(s), or that overlaps another one.
    """
    spans: list[tuple[int, int, int]] = []
    for n, word in enumerate(jargon):
        match = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", sentence)
        if match is None:
            raise ValueError(f"jargon word {word!r} does not occur in the sentence as a whole word")
        start, end = match.span()
        if any(start < e and s < end for s, e, _ in spans):
            raise ValueError(f"jargon word {word!r} overlaps another jargon word")
        spans.append((start, end, n))
    tokens: list[Token] = []
    pos = 0
    for start, end, n in sorted(spans):
        tokens += [Token(m.group(), None) for m in _WORD.finditer(sentence, pos, start)]
        tokens.append(Token(sentence[start:end], n))
        pos = end
    tokens += [Token(m.group(), None) for m in _WORD.finditer(sentence, pos)]
    return tuple(tokens)


def _jargon(r: _Reader, quiz_id: str) -> JargonQuiz:
    items = []
    for n, raw in enumerate(r.items("items", 1), start=1):
        i = _Reader(r.path, f"{r.where}, item {n}", raw, {"sentence", "jargon"})
        sentence = i.text("sentence")
        words = []
        for k, entry in enumerate(i.items("jargon", 1), start=1):
            j = _Reader(r.path, f"{i.where}, jargon {k}", entry, {"word", "explanation"})
            words.append(JargonWord(j.text("word"), j.text("explanation")))
        if len({w.word for w in words}) != len(words):
            i.fail("a jargon word is listed twice")
        try:
            tokens = tokenize(sentence, tuple(w.word for w in words))
        except ValueError as err:
            i.fail(str(err))
        if all(t.jargon is not None for t in tokens):
            i.fail("the sentence needs at least one plain word besides the jargon")
        items.append(JargonItem(sentence, tuple(words), tokens))
    return JargonQuiz(quiz_id, r.text("question"), tuple(items))


def _rewrite(r: _Reader, quiz_id: str) -> Rewrite:
    from course.rewrite_lexicon import exercise_keys

    key = r.text("key")
    if key not in exercise_keys():
        r.fail(f"unknown rewrite exercise key '{key}' (course/content/rewrite/exercises.yaml "
               f"has {', '.join(exercise_keys())})")
    return Rewrite(quiz_id, r.text("question"), key)


def _dialog(r: _Reader, quiz_id: str) -> DialogQuiz:
    scenario, variable = r.text("scenario"), r.text("variable", "pfad")
    if not (DIALOG_DIR / f"{scenario}.yaml").exists():
        r.fail(f"no scenario file course/content/dialogs/{scenario}.yaml")
    if not variable.isidentifier():
        r.fail(f"'variable' must be a Python name, got {variable!r}")
    return DialogQuiz(quiz_id, r.text("question"), scenario, variable)


_FIELDS: dict[str, tuple[set[str], Callable[[_Reader, str], Quiz]]] = {
    "single_choice": ({"question", "options", "rule"}, _single_choice),
    "ordering": ({"question", "steps", "rule"}, _ordering),
    "classification": ({"question", "categories", "items", "scheme"}, _classification),
    "rewrite": ({"question", "key"}, _rewrite),
    "jargon": ({"question", "items"}, _jargon),
    "dialog": ({"question", "scenario", "variable"}, _dialog),
}


def parse_quizzes(path: Path, rules: RuleBook | None = None) -> dict[str, Quiz]:
    """Read and validate one quiz file against the rule book; return its quizzes by id."""
    rules = load_rules() if rules is None else rules
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("quizzes"), list):
        raise ContentError(f"{path}: expected a top-level 'quizzes:' list")
    quizzes: dict[str, Quiz] = {}
    for n, raw in enumerate(data["quizzes"], start=1):
        quiz_id = raw.get("id") if isinstance(raw, dict) else None
        where = f"quiz {n} (id {quiz_id!r})"
        if not isinstance(quiz_id, str) or not quiz_id.isidentifier():
            raise ContentError(f"{path}: {where}: 'id' must be an ASCII identifier")
        if quiz_id in quizzes:
            raise ContentError(f"{path}: {where}: duplicate id")
        kind = raw.get("type")
        if kind not in _FIELDS:
            raise ContentError(f"{path}: {where}: 'type' must be one of {sorted(_FIELDS)}")
        fields, build = _FIELDS[kind]
        reader = _Reader(path, where, raw, fields | {"id", "type"}, rules)
        quizzes[quiz_id] = build(reader, quiz_id)
    return quizzes


@cache
def load_quizzes(module: str) -> dict[str, Quiz]:
    """Return the validated quizzes of a module, e.g. ``load_quizzes("03_vier_ohren")``."""
    return parse_quizzes(QUIZ_DIR / f"{module}.yaml")


def quiz_modules() -> list[str]:
    return sorted(p.stem for p in QUIZ_DIR.glob("*.yaml"))


@dataclass(frozen=True)
class Rule:
    """One definition or decision rule of the course (``course/content/rules.yaml``)."""

    id: str  # "<topic>.<rule>"
    text: str
    modules: tuple[str, ...]
    basis: str
    scheme: str | None = None  # the label scheme the rule decides between
    key: str | None = None  # the label it leads to; None for a rule of conduct
    boundary: str | None = None


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    scheme: str | None


@dataclass(frozen=True)
class RuleBook:
    topics: dict[str, Topic]
    rules: dict[str, Rule]

    def schemes(self) -> set[str]:
        return {t.scheme for t in self.topics.values() if t.scheme}


_MODULE = re.compile(r"\d\d")


def _rule(path: Path, topic: Topic, rule_id: str, raw: Any, labels: dict) -> Rule:
    r = _Reader(path, f"topic '{topic.id}', rule '{rule_id}'", raw,
                {"key", "rule", "modules", "basis", "boundary"})
    modules = r.items("modules", 1)
    if not all(isinstance(m, str) and _MODULE.fullmatch(m) for m in modules):
        r.fail("'modules' must list two-digit module numbers as texts, e.g. [\"03\"]")
    key = r.text("key") if "key" in r.data else None
    if key is not None and topic.scheme is None:
        r.fail("a rule with a 'key' needs a 'scheme' in its topic")
    if key is not None and topic.scheme in labels and key not in labels[topic.scheme]:
        r.fail(f"key '{key}' is not a label of scheme '{topic.scheme}' in labels.yaml")
    boundary = r.text("boundary") if "boundary" in r.data else None
    return Rule(f"{topic.id}.{rule_id}", r.text("rule"), tuple(modules), r.text("basis"),
                topic.scheme, key, boundary)


def parse_rules(path: Path, labels_path: Path = LABELS_FILE) -> RuleBook:
    """Read and validate the rule book: topics with a title, an optional scheme and rules."""
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("topics"), dict):
        raise ContentError(f"{path}: expected a top-level 'topics:' mapping")
    labels = parse_labels(labels_path)
    topics: dict[str, Topic] = {}
    rules: dict[str, Rule] = {}
    for topic_id, raw in data["topics"].items():
        t = _Reader(path, f"topic '{topic_id}'", raw, {"title", "scheme", "rules"})
        scheme = t.text("scheme") if "scheme" in t.data else None
        topic = Topic(str(topic_id), t.text("title"), scheme)
        entries = t.data.get("rules")
        if not isinstance(entries, dict) or not entries:
            t.fail("field 'rules' must map rule ids to rules")
        for rule_id, entry in entries.items():
            rule = _rule(path, topic, str(rule_id), entry, labels)
            rules[rule.id] = rule
        topics[topic.id] = topic
    return RuleBook(topics, rules)


@cache
def load_rules() -> RuleBook:
    """The course's rule book (``course/content/rules.yaml``)."""
    return parse_rules(RULES_FILE)


def parse_labels(path: Path) -> dict[str, dict[str, Label]]:
    """Read label schemes: scheme id -> label id -> Label (with accepted spellings)."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected a mapping of label schemes")
    schemes: dict[str, dict[str, Label]] = {}
    for scheme, labels in data.items():
        if not isinstance(labels, dict) or len(labels) < 2:
            raise ContentError(f"{path}: scheme '{scheme}': needs at least two labels")
        schemes[scheme] = {}
        for label_id, raw in labels.items():
            r = _Reader(path, f"scheme '{scheme}', label '{label_id}'", raw, {"label", "aliases"})
            aliases = r.data.get("aliases", [])
            if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
                r.fail("'aliases' must be a list of texts")
            schemes[scheme][label_id] = Label(label_id, r.text("label"), tuple(aliases))
    return schemes


@cache
def _all_labels() -> dict[str, dict[str, Label]]:
    return parse_labels(LABELS_FILE)


@cache
def load_labels(scheme: str) -> dict[str, Label]:
    """Return one label scheme (e.g. ``"ohren"``) from ``course/content/labels.yaml``."""
    schemes = _all_labels()
    if scheme not in schemes:
        raise ContentError(f"{LABELS_FILE}: no label scheme '{scheme}' (have {sorted(schemes)})")
    return schemes[scheme]


def match_label(answer: str, scheme: Mapping[str, Label]) -> str | None:
    """Map a learner's spelling ("Beziehungs-Ohr", "appell ") onto a label id, or None."""
    folded = fold(answer)
    if not folded:
        return None
    for label in scheme.values():
        spellings = {label.id, label.label, *label.aliases}
        if folded in {fold(s) for s in spellings}:
            return label.id
    return None


# --------------------------------------------------------------------------- modules

MODULES_FILE = CONTENT_DIR / "modules.yaml"
_MODULE_ID = re.compile(r"\d\d_[a-z0-9_]+")


@dataclass(frozen=True)
class Module:
    id: str  # folder and notebook name in source/ and release/
    title: str
    topic: str


def parse_modules(path: Path) -> tuple[Module, ...]:
    """Read the course's module list: id, title and topic of each module, in order."""
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("modules"), list):
        raise ContentError(f"{path}: expected a top-level 'modules:' list")
    modules: list[Module] = []
    for n, raw in enumerate(data["modules"], start=1):
        name = raw.get("id") if isinstance(raw, dict) else None
        r = _Reader(path, f"module {n} ({name!r})", raw, {"id", "title", "topic"})
        module = Module(r.text("id"), r.text("title"), r.text("topic"))
        if not _MODULE_ID.fullmatch(module.id):
            r.fail("'id' must look like 03_vier_ohren (two digits, _, lower-case name)")
        if module.id in {m.id for m in modules}:
            r.fail("duplicate id")
        modules.append(module)
    return tuple(modules)


@cache
def load_modules() -> tuple[Module, ...]:
    """The course's modules (``course/content/modules.yaml``), in order."""
    return parse_modules(MODULES_FILE)


START_PAGE = CONTENT_DIR.parent.parent / "home" / "Start.ipynb"
_TABLE = re.compile(r"\| Modul \| Thema \|\n\|---\|---\|\n(?:\|.*\|\n?)*")


def module_table(modules: tuple[Module, ...]) -> str:
    """The start page's table of modules (markdown), one linked row per module."""
    rows = [f"| [{m.id[:2]} – {m.title}]({m.id}/{m.id}.ipynb) | {m.topic} |" for m in modules]
    return "| Modul | Thema |\n|---|---|\n" + "\n".join(rows) + "\n"


def sync_start_page(path: Path = START_PAGE, modules: tuple[Module, ...] | None = None) -> bool:
    """Write the module table of modules.yaml into the start page; True if it changed."""
    import json

    modules = load_modules() if modules is None else modules
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and _TABLE.search(source):
            new = _TABLE.sub(lambda _: module_table(modules), source, count=1)
            if new == source:
                return False
            cell["source"] = new.splitlines(keepends=True)
            path.write_text(json.dumps(nb, ensure_ascii=False, indent=1) + "\n",
                            encoding="utf-8")
            return True
    raise ContentError(f"{path}: no markdown cell with the table '| Modul | Thema |'")


def _start_page_problems(path: Path, modules: tuple[Module, ...]) -> None:
    import json

    text = "".join("".join(c["source"]) for c in json.loads(path.read_text("utf-8"))["cells"])
    if module_table(modules) not in text + "\n":
        raise ContentError(f"{path}: the module table differs from course/content/modules.yaml"
                           " – run: python -m course.content sync")


# --------------------------------------------------------------------------- check


def check(content: Path = CONTENT_DIR, notebooks: Path | None = None) -> list[tuple[Path, str]]:
    """Validate every content file (and what notebooks under ``notebooks`` refer to).

    Returns (file, problem or "") per file; an empty problem means the file is fine.
    """
    from course.dialog import check_examples, parse_scenario
    from course.rewrite_lexicon import load_exercises, load_lexicon

    results: list[tuple[Path, str]] = []

    def run(path: Path, action: Any) -> Any:
        try:
            value = action()
        except ContentError as err:
            results.append((path, str(err)))
            return None
        results.append((path, ""))
        return value

    labels = content / "labels.yaml"
    run(labels, lambda: parse_labels(labels))
    modules = run(content / "modules.yaml", lambda: _modules_problems(content, notebooks))
    rules = run(content / "rules.yaml", lambda: parse_rules(content / "rules.yaml", labels))
    run(content / "rewrite" / "exercises.yaml",
        lambda: load_exercises(content / "rewrite" / "exercises.yaml"))
    run(content / "rewrite" / "lexicon.yaml",
        lambda: load_lexicon(content / "rewrite" / "lexicon.yaml"))
    for path in sorted((content / "quizzes").glob("*.yaml")):
        if rules is not None:
            run(path, lambda path=path: parse_quizzes(path, rules))
    for path in sorted((content / "dialogs").glob("*.yaml")):
        run(path, lambda path=path: _scenario_problems(parse_scenario(path), check_examples))
    if notebooks is not None:
        for path in sorted(notebooks.glob("*/*.ipynb")):
            run(path, lambda path=path: _notebook_problems(path))
    start = (notebooks.parent if notebooks else content.parent.parent) / "home" / "Start.ipynb"
    if modules is not None and start.exists():
        run(start, lambda: _start_page_problems(start, modules))
    return results


def _modules_problems(content: Path, notebooks: Path | None) -> tuple[Module, ...]:
    """The module list, each module with its quiz file and (in the repository) its notebook,
    and no notebook folder missing from the list."""
    path = content / "modules.yaml"
    modules = parse_modules(path)
    for module in modules:
        if not (content / "quizzes" / f"{module.id}.yaml").exists():
            raise ContentError(f"{path}: module '{module.id}': no quiz file "
                               f"course/content/quizzes/{module.id}.yaml")
        if notebooks is not None and not (notebooks / module.id / f"{module.id}.ipynb").exists():
            raise ContentError(f"{path}: module '{module.id}': no notebook "
                               f"{notebooks.name}/{module.id}/{module.id}.ipynb")
    if notebooks is not None:
        unlisted = sorted({p.name for p in notebooks.iterdir() if p.is_dir()}
                          - {m.id for m in modules})
        if unlisted:
            raise ContentError(f"{path}: folders in {notebooks.name}/ that are no module here: "
                               f"{', '.join(unlisted)}")
    return modules


def _scenario_problems(scenario: Any, check_examples: Any) -> None:
    problems = check_examples(scenario)
    if problems:
        raise ContentError("; ".join(problems))


_SHOW = re.compile(r'show\(\s*"(\w+)"\s*,\s*"(\w+)"')
_REWRITE_KEY = re.compile(r'grade_rewrite\(\s*"\w+"\s*,\s*"([a-z-]+)"')
_SCENARIO = re.compile(r'grade_dialog\(\s*"\w+"\s*,\s*"([a-z0-9-]+)"')


def _notebook_problems(path: Path) -> None:
    """Every quiz, rewrite key and scenario a notebook's cells name exists."""
    import json

    from course.dialog import scenario_ids
    from course.rewrite_lexicon import exercise_keys

    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError) as err:
        raise ContentError(f"{path}: not a readable notebook ({err})") from None
    for number, cell in enumerate(cells, start=1):
        source = "".join(cell.get("source", ""))
        for module, quiz_id in _SHOW.findall(source):
            if quiz_id not in _quizzes_or_none(module):
                raise ContentError(f"{path}: cell {number}: show(\"{module}\", \"{quiz_id}\"): "
                                   f"no quiz '{quiz_id}' in course/content/quizzes/{module}.yaml")
        for key in _REWRITE_KEY.findall(source):
            if key not in exercise_keys():
                raise ContentError(f"{path}: cell {number}: unknown rewrite exercise key '{key}'")
        for scenario in _SCENARIO.findall(source):
            if scenario not in scenario_ids():
                raise ContentError(f"{path}: cell {number}: unknown role-play '{scenario}'")


def _quizzes_or_none(module: str) -> dict[str, Quiz]:
    try:
        return load_quizzes(module)
    except ContentError:
        return {}


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m course.content",
        description="Check every content file (quizzes, labels, rules, rewrite exercises and "
                    "lexicon, role-plays) and what the notebooks in source/ refer to.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("check", help="validate everything; exit 1 on any problem")
    run.add_argument("--content", type=Path, default=CONTENT_DIR, help="content folder")
    run.add_argument("--notebooks", type=Path, default=CONTENT_DIR.parent.parent / "source",
                     help="folder with one folder of notebooks per module")
    sub.add_parser("sync", help="write the module table of modules.yaml into home/Start.ipynb")
    args = parser.parse_args(argv)
    if args.command == "sync":
        changed = sync_start_page()
        print(f"{START_PAGE}: {'aktualisiert' if changed else 'schon aktuell'}")
        return 0
    notebooks = args.notebooks if args.notebooks.is_dir() else None
    results = check(args.content, notebooks)
    for path, problem in results:
        print(f"✗ {problem}" if problem else f"✓ {path}")
    failed = sum(bool(problem) for _, problem in results)
    print(f"{len(results)} Dateien geprüft, {failed} mit Fehlern.", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

