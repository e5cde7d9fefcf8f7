"""Role-play scenarios: validation for authors, replay for grading, the simulator widget."""

from __future__ import annotations

import copy
import html
import io
from contextlib import redirect_stdout
from pathlib import Path
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course import dialog, grading
from course.dialog import (
    DialogError,
    PathError,
    ending_stats,
    example_path,
    load_scenario,
    parse_scenario,
    replay,
    scenario_ids,
)
from course.simulator import DialogWidget

from .conftest import REPO

FIXTURE = REPO / "tests" / "data" / "dialogs" / "testgespraech.yaml"
# Every scenario that ships: a new file in course/content/dialogs/ is tested like these.
SHIPPED = scenario_ids()
SEEDED = ["unklare-anfrage", "vip-crm", "vpn-wieder"]  # the three of the seed documents


def test_three_scenarios_ship() -> None:
    """Are the three scenarios of the seeds there (angry user, VIP, unclear request)?"""
    assert set(SEEDED) <= set(SHIPPED)


@pytest.mark.parametrize("scenario_id", SHIPPED)
def test_shipped_scenario_is_valid_and_big_enough(scenario_id: str,
                                                   capsys: pytest.CaptureFixture) -> None:
    """Does every shipped scenario pass `check`, with ≥ 12 nodes, ≥ 3 endings, free text?"""
    path = dialog.DIALOG_DIR / f"{scenario_id}.yaml"
    assert dialog.main(["check", str(path)]) == 0, capsys.readouterr().out
    s = load_scenario(scenario_id)
    assert len(s.nodes) >= 12
    assert len(s.endings) >= 3
    assert any(n.free_text for n in s.nodes.values())
    assert {e.kind for e in s.endings.values()} >= {"resolved", "hung_up"}
    assert all(st.reachable for st in ending_stats(s).values()), "every ending can be reached"


# --------------------------------------------------------------------------- validation


def _raw() -> dict:
    return yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))


def _break_target(d: dict) -> None:
    d["nodes"]["frei"]["free_text"]["branches"][1]["next"] = "gibtsnicht"


def _break_unreachable(d: dict) -> None:
    d["nodes"]["waise"] = copy.deepcopy(d["nodes"]["nachfrage"])


def _break_endless(d: dict) -> None:
    d["nodes"]["begruessung"]["choices"][1]["meter"] = 0
    d["nodes"]["nachfrage"]["choices"][0]["meter"] = 0


def _break_trap(d: dict) -> None:
    for choice in d["nodes"]["nachfrage"]["choices"]:
        choice["next"] = "nachfrage"


def _break_meter_low(d: dict) -> None:
    d["meter"]["start"] = 1
    d["nodes"]["begruessung"]["choices"][0]["meter"] = -2


def _break_meter_high(d: dict) -> None:
    del d["meter"]["hang_up"]


def _break_explanation(d: dict) -> None:
    del d["nodes"]["nachfrage"]["choices"][1]["explanation"]


def _break_model(d: dict) -> None:
    d["nodes"]["nachfrage"]["choices"][0]["model"] = "bauchgefuehl"


def _break_fallback(d: dict) -> None:
    d["nodes"]["frei"]["free_text"]["branches"][2]["when"] = {"R2": True}


BROKEN = {
    "unknown target": (_break_target, "node 'frei'", "unknown target 'gibtsnicht'"),
    "unreachable node": (_break_unreachable, "node 'waise'", "unreachable"),
    "path never ends": (_break_endless, "node 'begruessung'", "a path never ends"),
    "cycle without way out": (_break_trap, "node 'nachfrage'", "a cycle with no way out"),
    "meter below range": (_break_meter_low, "node 'begruessung', choice 1",
                          "the meter leaves its range"),
    "meter above range": (_break_meter_high, "node '", "the meter leaves its range 0…10"),
    "missing explanation": (_break_explanation, "node 'nachfrage', choice 2",
                            "missing explanation"),
    "unknown model": (_break_model, "node 'nachfrage', choice 1", "unknown model tag"),
    "fallback branch": (_break_fallback, "node 'frei', free_text, branch 3", "last branch"),
}


@pytest.mark.parametrize("kind", BROKEN)
def test_broken_scenario_names_file_and_node(kind: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture) -> None:
    """Does each kind of authoring mistake fail with a message naming file and node?"""
    breaker, where, problem = BROKEN[kind]
    data = _raw()
    breaker(data)
    path = tmp_path / f"{kind.replace(' ', '-')}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DialogError) as err:
        parse_scenario(path)
    message = str(err.value)
    assert str(path) in message and where in message and problem in message, message
    assert dialog.main(["check", str(path)]) == 1
    assert problem in capsys.readouterr().out


def test_fixture_with_a_loop_that_raises_the_meter_is_valid() -> None:
    """Is a loop allowed when it raises the meter, so that it ends at hang_up?"""
    s = parse_scenario(FIXTURE)
    assert dialog.check_examples(s) == []
    talk = replay(s, [2, 1, 2, 1])  # neu gestartet / noch einmal … until she hangs up
    assert talk.ending and talk.ending.id == "aufgelegt"
    assert talk.meters == [4, 6, 7, 9, 10]


def test_not_yaml_and_unknown_field(tmp_path: Path) -> None:
    """Do a YAML syntax error and a misspelt field get a clear message?"""
    bad = tmp_path / "kaputt.yaml"
    bad.write_text("title: [unclosed\n", encoding="utf-8")
    with pytest.raises(DialogError, match="kaputt.yaml: not valid YAML"):
        parse_scenario(bad)
    data = _raw()
    data["nodes"]["frei"]["free_text"]["prompts"] = "x"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DialogError, match=r"node 'frei', free_text: unknown field\(s\)"):
        parse_scenario(bad)


def test_example_taking_the_wrong_branch_is_reported(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    """Does `check` catch a free-text example that the checker sends down another branch?"""
    data = _raw()
    data["nodes"]["frei"]["free_text"]["branches"][1]["example"] = "Ich schaue mir das an."
    path = tmp_path / "beispiel.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert dialog.main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "node 'frei', branch 2: the example takes branch 3" in out


def test_outline_shows_graph_endings_and_scores(capsys: pytest.CaptureFixture) -> None:
    """Does `outline` print the tree, each ending's reachability and best / worst score?"""
    assert dialog.main(["outline", str(FIXTURE)]) == 0
    out = capsys.readouterr().out
    assert "START → begruessung" in out
    assert "→ begruessung (siehe oben)" in out
    # geloest: directly 2 applied + 3 = 5; via the loop 3 applied − 2 × 1 broken + 3 = 4
    assert "geloest [resolved]: erreichbar; 5 / 4" in out
    assert "aufgelegt [hung_up]: erreichbar; -1 / -5" in out
    assert "Bester Punktwert insgesamt: 5" in out
    assert "9 Pfade, 2 bis 4 Züge lang" in out


def test_outline_marks_an_ending_that_cannot_be_reached(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture) -> None:
    data = _raw()
    data["endings"]["extra"] = {"kind": "resolved_bad", "title": "X", "text": "Y", "points": 1}
    path = tmp_path / "extra.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert dialog.main(["outline", str(path)]) == 0
    assert "extra [resolved_bad]: NICHT erreichbar" in capsys.readouterr().out


# --------------------------------------------------------------------------- replay


@pytest.mark.parametrize("scenario_id", SHIPPED)
def test_replay_reaches_every_ending(scenario_id: str) -> None:
    """Can a learner's path (numbers and example texts) reach every ending, with its score?"""
    s = load_scenario(scenario_id)
    for ending_id, stats in ending_stats(s).items():
        talk = replay(s, example_path(s, stats.example))
        assert talk.ending is not None and talk.ending.id == ending_id
        assert talk.score() == stats.best


@pytest.mark.parametrize(("path", "message"), [
    ("1, 2", "Der Pfad soll eine Liste sein"),
    ([], "Dein Pfad ist noch leer"),
    ([3], "Schritt 1: Hier gibt es die Antworten 1–2, nicht 3."),
    ([True], "Schritt 1: „True“ ist weder eine Antwortnummer noch ein Text."),
    ([1, 1], "Schritt 2: Hier ist eine freie Antwort gefragt"),
    ([2, "Hallo"], "Schritt 2: Hier wählst du eine der vorgegebenen Antworten"),
    ([2], "Der Pfad endet mitten im Gespräch (nach 1 Schritt)"),
    ([2, 2, 1], "Nach Schritt 2 ist das Gespräch schon zu Ende („Aufgelegt“)"),
])
def test_a_path_the_scenario_does_not_allow_says_why(path: object, message: str) -> None:
    with pytest.raises(PathError) as err:
        replay(parse_scenario(FIXTURE), path)
    assert message in str(err.value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_id=st.sampled_from(SHIPPED), data=st.data())
def test_random_walks_end_in_bounded_turns_with_meter_in_range(scenario_id: str,
                                                               data: st.DataObject) -> None:
    """Does every random walk end within a bounded number of turns, the meter in range?"""
    s = load_scenario(scenario_id)
    talk = dialog.Conversation(s)
    bound = len(s.nodes) * (s.meter_max + 1)  # (node, meter) states; none may repeat
    texts = ["Beruhigen Sie sich.", "ok", "Das tut mir leid. Ich kümmere mich bis 14 Uhr darum.",
             "DAS IST NICHT MEIN JOB!!!", "Ich verstehe Ihren Ärger, ich rufe Sie gleich an."]
    for _ in range(bound):
        node = talk.node
        if node is None:
            break
        if node.free_text:
            talk.answer(data.draw(st.sampled_from(
                texts + [b.example for b in node.free_text.branches])))
        else:
            talk.choose(data.draw(st.integers(1, len(node.choices))))
        assert 0 <= talk.meter <= s.meter_max
    assert talk.ending is not None, f"no ending after {bound} turns"


# --------------------------------------------------------------------------- grading


def _graded(path: object, scenario_id: str = "vpn-wieder", points: float = 4) -> tuple[float, str]:
    from course.grading import grade_dialog

    out = io.StringIO()
    with redirect_stdout(out):
        score = _call(grade_dialog, path, scenario_id, points)
    return score, out.getvalue()


def _call(fn, path, scenario_id, points):  # noqa: ANN001, ANN202
    with mock.patch.object(grading, "notebook_namespace", return_value={"pfad": path}):
        return fn("pfad", scenario_id, points)


@pytest.mark.parametrize("scenario_id", SHIPPED)
def test_best_path_gets_full_points_and_worst_gets_none(scenario_id: str) -> None:
    s = load_scenario(scenario_id)
    walks = list(dialog.walks(s))
    best = max(walks, key=lambda w: w.score)
    score, out = _graded(example_path(s, best), scenario_id)
    assert score == 4, out
    worst = min(walks, key=lambda w: w.score)
    score, out = _graded(example_path(s, worst), scenario_id)
    assert worst.score < 0 and score == 0, "a negative score earns nothing, not less"
    good_detour = [w for w in walks if w.ending == best.ending and w.score < best.score]
    if good_detour:
        score, _ = _graded(example_path(s, good_detour[0]), scenario_id)
        assert score == round(4 * max(good_detour[0].score, 0) / best.score * 2) / 2 < 4
    assert f"Pfad ({scenario_id}): " in out and f"=> {worst.ending}" in out


def test_path_not_allowed_earns_nothing_with_a_german_reason() -> None:
    score, out = _graded([99])
    assert score == 0
    assert "✗ Diesen Pfad gibt es im Gespräch" in out and "Schritt 1: Hier gibt es" in out


# --------------------------------------------------------------------------- widget


def test_widget_plays_steps_back_restarts_and_debriefs() -> None:
    """Can a learner choose, write, step back, restart and read a debrief with a plot?"""
    w = DialogWidget(parse_scenario(FIXTURE), "pfad_test")
    assert w.meter.value == 4 and "angespannt" in w.mood.value
    w.say_button.click()
    assert "Wähle zuerst eine Antwort aus." in w.message.value
    w.options.value = 2
    w.say_button.click()
    assert w.meter.value == 6 and w.talk.position == "nachfrage"
    w.back_button.click()
    assert w.meter.value == 4 and w.talk.position == "begruessung"
    w.options.value = 1
    w.say_button.click()
    assert w.text in w.inputs.children, "a free-text turn shows a text area"
    w.say_button.click()
    assert "Schreib zuerst deine Antwort" in w.message.value
    w.text.value = "<script>alert(1)</script> Das ist ärgerlich, wenn man drucken muss. " \
        "Ich schaue mir das sofort an."
    w.say_button.click()
    assert w.talk.ending and w.talk.ending.id == "geloest"
    for html_text in (w.transcript.value, w.debrief.value):
        assert "<script>" not in html_text and "&lt;script&gt;" in html_text
    assert "Nachbesprechung: Gelöst" in w.debrief.value
    assert "Deeskalation in 60 Sekunden" in w.debrief.value and "angewendet ✓" in w.debrief.value
    assert "Du zeigst Verständnis" in w.debrief.value, "the checker's feedback is shown"
    assert "<svg" in w.debrief.value and 'aria-label="Verlauf der Eskalation: 4, 3, 1"' \
        in w.debrief.value
    assert "Punktwert:</b> 5 von höchstens 5" in w.debrief.value
    assert w.say_button.disabled and "Fertig!" in w.path_label.value
    namespace: dict = {}
    exec(w.path_box.value, namespace)  # the line the learner copies into the answer cell
    assert replay(parse_scenario(FIXTURE), namespace["pfad_test"]).ending.id == "geloest"
    w.restart_button.click()
    assert w.talk.turns == [] and w.meter.value == 4 and w.debrief.value == ""
    assert w.path_box.value == "pfad_test = []"


def test_meter_colour_agrees_with_its_label() -> None:
    """Green only while the label says „ruhig“: 3 of 10 is „angespannt“, so not green."""
    from course.debrief import bar_style, meter_svg, mood

    assert (mood(3, 10), bar_style(3, 10)) == ("angespannt", "warning")
    assert (mood(2, 10), bar_style(2, 10)) == ("ruhig", "success")
    assert bar_style(8, 10) == bar_style(10, 10) == "danger"
    svg = meter_svg([4, 6, 3], 10)
    assert all(f'text-anchor="middle">{i}</text>' in svg for i in range(3)), "turn labels"


def test_widget_announces_only_the_new_lines() -> None:
    """Does the live region hold only what is new (the customer's reply, the ending), not
    the whole transcript, and say so after a step back or a restart?"""
    s = parse_scenario(FIXTURE)
    w = DialogWidget(s, "pfad_test")
    assert w.announce.value == "", "the first line is read with the widget itself"
    w.options.value = 2
    w.say_button.click()
    heard = html.unescape(w.announce.value)
    assert heard == f"{s.customer}: {s.nodes['nachfrage'].line}"
    assert s.nodes["begruessung"].line not in heard, "the whole transcript again"
    w.back_button.click()
    assert html.unescape(w.announce.value) == (
        f"Zug zurückgenommen. {s.customer}: {s.nodes['begruessung'].line}")
    for pick in (2, 2):
        w.options.value = pick
        w.say_button.click()
    ending = w.talk.ending
    assert html.unescape(w.announce.value).endswith(f"Ende: {ending.title}")
    assert s.nodes["nachfrage"].line not in html.unescape(w.announce.value)
    w.restart_button.click()
    assert html.unescape(w.announce.value).startswith("Das Gespräch beginnt von vorn.")
    assert "kurs-announce" in w.announce._dom_classes


def test_widget_shows_the_better_reply_for_a_broken_model() -> None:
    w = DialogWidget(parse_scenario(FIXTURE))
    for pick in (2, 2):
        w.options.value = pick
        w.say_button.click()
    assert w.talk.ending.id == "aufgelegt"
    assert "verletzt ✗" in w.debrief.value
    assert "„Das ist ärgerlich. Ich schaue sofort nach.“" in w.debrief.value


def test_dialog_quiz_from_content_records_progress(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Does the module-10 quiz show the simulator and count a resolved ending as solved?"""
    from course import progress, quiz

    monkeypatch.setenv("KURS_DIR", str(tmp_path))
    w = quiz.show("10_abschluss", "vpn_wieder")
    assert isinstance(w, DialogWidget) and w.variable == "pfad_vpn"
    s = w.scenario
    stats = ending_stats(s)
    good = next(e for e, e_ in s.endings.items() if e_.kind == "resolved")
    for step in example_path(s, stats[good].example):
        if isinstance(step, int):
            w.options.value = step
        else:
            w.text.value = step
        w.say_button.click()
    assert w.talk.ending.id == good
    assert "vpn_wieder" in progress.load(tmp_path).solved["10_abschluss"]
