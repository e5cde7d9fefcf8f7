"""The course's rules: one rule book, every keyed item follows it, no key by elimination."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from course.content import CONTENT_DIR as CONTENT
from course.content import (
    ContentError,
    Rule,
    RuleBook,
    Topic,
    load_rules,
    parse_quizzes,
    parse_rules,
    quiz_modules,
)
from course.dialog import load_scenario, scenario_ids
from course.keys import (
    GradedCall,
    KeyedItem,
    conflicts,
    elimination_problems,
    graded_calls,
    keyed_items,
    main,
)

from .conftest import MODULES, REPO


def test_rule_book_loads() -> None:
    """Does the rule book load, with rules for every model the graded matchings use?"""
    book = load_rules()
    assert {"ohren", "fragen", "gfk", "kundentypen", "grenzen", "saeulen"} <= book.schemes()
    assert all(r.text and r.modules for r in book.rules.values())


def test_every_keyed_item_follows_its_rule() -> None:
    """Does every item (practice and graded) name a rule, and do equal texts and equal rules
    have equal keys across all modules?"""
    assert conflicts(keyed_items(quiz_modules())) == []


def test_graded_matchings_cannot_be_solved_by_elimination() -> None:
    """Does no graded matching use every label equally often (knowing n-1 gives the last)?"""
    calls = [c for m in MODULES for c in graded_calls(m)]
    assert elimination_problems(calls) == []


def test_elimination_check_finds_a_one_to_one_matching() -> None:
    items = tuple(_item(t, k, f"ohren.{k}") for t, k in [("a", "appell"), ("b", "beziehung")])
    problems = elimination_problems([GradedCall("03_vier_ohren", "m03_x", items)])
    assert problems and "every label used 1×" in problems[0]


def _book() -> RuleBook:
    topic = Topic("ohren", "Ohren", "ohren")
    rules = {
        "ohren.appell": Rule("ohren.appell", "Appell", ("03",), "SvT", "ohren", "appell"),
        "ohren.beziehung": Rule("ohren.beziehung", "Bez.", ("03",), "SvT", "ohren", "beziehung"),
    }
    return RuleBook({"ohren": topic}, rules)


def _item(text: str, key: str, rule: str | None, graded: bool = True) -> KeyedItem:
    return KeyedItem("03_vier_ohren", "bewertet x", text, key, "ohren", rule, "", graded)


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([_item("Sie könnten doch …", "appell", "ohren.appell"),
          _item("Sie könnten doch …", "beziehung", "ohren.beziehung")], "same text"),
        ([_item("A", "appell", "ohren.appell"), _item("B", "beziehung", "ohren.appell")],
         "contradicts rule 'ohren.appell'"),
        ([_item("A", "appell", None)], "no rule named"),
        ([_item("A", "appell", "ohren.gibtsnicht", graded=False)], "not in rules.yaml"),
    ],
)
def test_consistency_check_finds_conflicts(items: list[KeyedItem], expected: str) -> None:
    """Does the check report two keys for one text, a key against its rule, a missing rule?"""
    problems = conflicts(items, _book())
    assert any(expected in p for p in problems), problems


def test_consistency_check_passes_agreeing_items() -> None:
    items = [_item("Sie könnten doch …", "appell", "ohren.appell"),
             _item("Installieren Sie das.", "appell", "ohren.appell", graded=False)]
    assert conflicts(items, _book()) == []


BROKEN_RULES = {
    "key outside scheme": (
        """
        topics:
          ohren:
            title: Ohren
            scheme: ohren
            rules:
              laut: {key: lautstaerke, rule: Laut, modules: ["03"], basis: x}
        """,
        "topic 'ohren', rule 'laut': key 'lautstaerke' is not a label of scheme 'ohren'",
    ),
    "no modules": (
        """
        topics:
          ohren:
            title: Ohren
            rules:
              a: {rule: Text, modules: [3], basis: x}
        """,
        "topic 'ohren', rule 'a': 'modules' must list two-digit module numbers",
    ),
    "key without scheme": (
        """
        topics:
          t:
            title: T
            rules:
              a: {key: ja, rule: Text, modules: ["09"], basis: x}
        """,
        "topic 't', rule 'a': a rule with a 'key' needs a 'scheme'",
    ),
    "misspelt field": (
        """
        topics:
          t:
            title: T
            rules:
              a: {rule: Text, modules: ["09"], basis: x, boundry: y}
        """,
        "topic 't', rule 'a': unknown field(s) ['boundry']",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN_RULES))
def test_malformed_rule_book_names_file_rule_and_problem(tmp_path: Path, case: str) -> None:
    text, expected = BROKEN_RULES[case]
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(ContentError) as err:
        parse_rules(path)
    assert str(path) in str(err.value) and expected in str(err.value)


QUIZ = """
quizzes:
  - id: ohren
    type: classification
    question: Welches Ohr?
    categories: {sachinhalt: S, selbstoffenbarung: O, beziehung: B, appell: A}
    items:
      - {text: a, answer: appell, explanation: e, hint: h, rule: RULE}
      - {text: b, answer: sachinhalt, explanation: e, hint: h, rule: ohren.sachinhalt}
"""


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("ohren.beziehung", "item 1: answer 'appell' contradicts rule 'ohren.beziehung'"),
        ("ohren.gibtsnicht", "item 1: rule 'ohren.gibtsnicht' is not in rules.yaml"),
        (None, "item 1: field 'rule' is missing"),
    ],
)
def test_quiz_item_against_its_rule(tmp_path: Path, rule: str | None, expected: str) -> None:
    """Does a practice item whose answer contradicts its rule (or names none) fail to load?"""
    text = QUIZ.replace("rule: RULE", f"rule: {rule}" if rule else "")
    text = text.replace(", }", "}")
    path = tmp_path / "quiz.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError, match=expected):
        parse_quizzes(path)


def test_key_reader_prints_items_keys_and_rules(capsys: pytest.CaptureFixture[str]) -> None:
    """Does `python -m course.keys 03` show each graded item with its key and rule text?"""
    main(["03"])
    out = capsys.readouterr().out
    for call in graded_calls("03_vier_ohren"):
        for item in call.items:
            assert f"{item.text} → {item.key}" in " ".join(out.split())
    assert "Regel ohren.appell:" in out and "[bewertet m03_reflexion" in out


SUPERVISOR = re.compile(r"verbinde Sie\b.*\b(Teamleit|Vorgesetzt|Chef)", re.S)


@pytest.mark.parametrize("scenario", scenario_ids())
def test_connecting_to_the_supervisor_on_request_is_never_a_broken_model(scenario: str) -> None:
    """Rule vorgesetzte.verbinden: do the role-plays mark 'I'll connect you to my team lead'
    as applied, in every scenario alike?"""
    s = load_scenario(scenario)
    wrong = [f"{node_id}: {c.text[:60]}" for node_id, node in s.nodes.items()
             for c in node.choices if SUPERVISOR.search(c.text) and not c.applied]
    assert wrong == [], wrong


def _course_sentences() -> list[tuple[str, str]]:
    """Every sentence of the learner-facing content (quizzes, dialogs, notebook texts)."""
    files = [*CONTENT.glob("quizzes/*.yaml"), *CONTENT.glob("dialogs/*.yaml"),
             *(REPO / "source").glob("*/*.ipynb")]
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            cells = json.loads(text)["cells"]
            text = " ".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        found += [(path.name, s) for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split()))]
    return found


def test_a_defensive_justification_is_heard_with_the_beziehungs_ohr() -> None:
    """Rule ohren.rechtfertigung: does no text say a justification answers the Sach-Ohr?"""
    wrong = [f"{name}: {s[:120]}" for name, s in _course_sentences()
             if re.search(r"[Rr]echtfertig|verteidig", s) and "Sach-Ohr" in s
             and "Beziehungs-Ohr" not in s]
    assert wrong == [], wrong


def test_a_threat_ends_the_call_without_warning_everywhere() -> None:
    """Rule grenzen.drohung: does every sentence that pairs a threat with warning say that a
    threat itself ends the call at once (06 and 08 used to disagree)?"""
    wrong = [f"{name}: {s[:120]}" for name, s in _course_sentences()
             if re.search(r"Drohung", s) and re.search(r"\bwarn", s, re.I)
             and not re.search(r"sofort|ohne (vorherige )?Warnung|keine (Drohung|Warnung)", s)]
    assert wrong == [], wrong
