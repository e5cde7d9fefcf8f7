"""Regression tests: every rewrite example of the reviews (shared/reviews), judged as the
rubric says, with the points a learner sees in the graded task."""

from __future__ import annotations

import pytest

from course.dialog import load_scenario
from course.grading import grade_agree, grade_rewrite, handed_over
from course.rewrite import check_rewrite, find_time_frame

ANLEITUNG = "Wie ich Ihnen bereits sagte: Das steht alles in der Anleitung."

# (task key or original, answer, passes) – the reviewers' false passes and false fails
REVIEWED = [
    # 05 A4 nicht-ich: blame moved to a colleague, and unusual own actions
    ("nicht-ich", "Tut mir leid, das war ein Kollege. Ich kümmere mich darum.", False),
    ("nicht-ich", "Sorry, das war der Kollege von gestern. Ich korrigiere es gleich.", False),
    ("nicht-ich", "Das tut mir leid, mein Kollege hat gestern das falsche Profil verteilt. "
                  "Ich korrigiere es gleich.", False),
    ("nicht-ich", "Das tut mir leid, ich war das nicht, aber ich repariere es sofort.", False),
    ("nicht-ich", "Das tut mir leid, dafür bin ich nicht verantwortlich.", False),
    ("nicht-ich", "Entschuldigung, da ist bei uns gestern etwas schiefgelaufen. Ich spiele "
                  "Ihnen jetzt das richtige Profil auf.", True),
    ("nicht-ich", "Das tut mir leid. Ich spiele Ihnen das richtige Profil gleich auf.", True),
    # 05 A1 beruhigen: calm-down variants, take-backs, filler
    ("beruhigen", "Jetzt mal ganz ruhig, ich verstehe Sie ja.", False),
    ("beruhigen", "Immer mit der Ruhe, ich verstehe Ihren Ärger.", False),
    ("beruhigen", "Ich verstehe Ihren Frust. Atmen Sie erst mal tief durch.", False),
    ("beruhigen", "Ich verstehe Sie ja, aber schreien Sie bitte nicht so.", False),
    ("beruhigen", "Ich verstehe Ihren Ärger. Bitte bleiben Sie trotzdem sachlich.", False),
    ("beruhigen", "Ich verstehe Ihre Frustration, aber so kommen wir nicht weiter.", False),
    ("beruhigen", "Regen Sie sich bitte nicht so auf, ich helfe Ihnen ja.", False),
    ("beruhigen", "Vielen Dank für Ihren Anruf.", False),
    # 05 A2/A3: reproach as a question; an alternative and a vague own action
    ("nicht-gesagt", "Warum sagen Sie das erst jetzt? Wie verbinden Sie sich zu Hause?", False),
    ("nichts-machen", "Der Dienstleister arbeitet daran. Bis dahin können Sie Ihre Mails über "
                      "Webmail lesen.", True),
    ("nichts-machen", "Die Störung liegt beim Anbieter. Ich halte Sie auf dem Laufenden.", True),
    # 03 A3 neu-gestartet: casual words about the situation; the original reworded
    ("neu-gestartet", "Das ist blöd, wenn man gerade drucken muss. Ich schaue mir das sofort "
                      "an.", True),
    ("neu-gestartet", "Das ist doof. Ich schaue gleich nach.", True),
    ("neu-gestartet", "Haben Sie es schon mit einem Neustart probiert?", False),
    ("neu-gestartet", "Haben Sie schon neu gestartet? Das ist ärgerlich.", False),
    # 06 A1/A2: handover vs. referral, an alternative the customer uses
    ("nicht-mein-job", "Das ist ärgerlich. Gehaltsdaten kann ich als IT nicht einsehen, das "
                       "macht die Personalabteilung. Ich stelle Sie direkt zu Frau Weber durch.",
     True),
    ("nicht-mein-job", "Ich stelle Sie zur Personalabteilung durch.", True),
    ("nicht-mein-job", "Ich verstehe, dass Sie das schnell klären möchten. Ihre Abrechnung kann "
                       "nur die Personalabteilung einsehen. Die Kollegen dort erreichen Sie unter "
                       "Durchwahl 312.", False),
    ("nicht-mein-job", "Bitte wenden Sie sich direkt an Frau Weber, Durchwahl 312 – sie klärt "
                       "das vertraulich.", False),
    ("geht-nicht", "Das verstehe ich, unterwegs wäre das praktisch. Das alte Programm läuft nur "
                   "unter Windows, über die Weboberfläche kommen Sie aber an dieselben Daten.",
     True),
    ("geht-nicht", "Nutzen Sie bitte den Browserzugang, der hat dieselben Funktionen.", True),
    ("geht-nicht", "Ich verstehe, dass Sie das prüfen lassen möchten. Auf dem Tablet läuft das "
                   "Programm leider nicht.", False),
    # 08 A2/A3: the original plus a step, "klären" as the customer's wish, own actions
    ("kundenfehler", "Das ist Ihr eigener Fehler, aber ich zeige Ihnen, wie Sie ihn beheben.",
     False),
    ("kundenfehler", "Das haben Sie sich selbst eingebrockt. Ich zeige Ihnen, wie Sie die Regel "
                     "löschen.", False),
    ("kundenfehler", "Ich sehe, Sie möchten das klären. Das ist leider Ihr eigener Fehler "
                     "gewesen.", False),
    ("kundenfehler", "Die Mails liegen im Ordner Archiv. Ich verschiebe sie Ihnen zurück und "
                     "passe die Regel an.", True),
    ("kundenfehler", "Das kann jedem passieren. Die Regel verschiebt die Mails ins Archiv, ich "
                     "deaktiviere sie für Sie.", True),
    ("kundenfehler", "Das ist ärgerlich. Ich lösche die Regel jetzt per Fernwartung, wenn Sie "
                     "einverstanden sind.", True),
    ("kundenfehler", "Wir ändern die Regel jetzt zusammen, dann sind die Mails wieder da.", True),
    ("faq", "Verstehe, dass Sie das schnell klären möchten. Die Anleitung finden Sie in den FAQ "
            "im Intranet.", False),
    # 10 A5: a dead end after „klären“, the original's words kept
    (ANLEITUNG, "Ich verstehe, dass Sie das klären möchten. Es steht alles in der Anleitung.",
     False),
    (ANLEITUNG, "Das steht alles in der Anleitung, ich schicke sie Ihnen gleich noch einmal.",
     False),
]


@pytest.mark.parametrize(("task", "answer", "passes"), REVIEWED)
def test_reviewed_answer_is_judged_as_the_rubric_says(task: str, answer: str,
                                                      passes: bool) -> None:
    """Does each answer from the reviews pass or fail as an instructor would decide?"""
    assert check_rewrite(task, answer).passed is passes, str(check_rewrite(task, answer))


# The eight false passes the lead's blind reader found (rewrite_heldout_lead_blind.jsonl),
# one per line, all R1: a dead end the checker read too literally.
BLIND_FALSE_PASSES = [
    # a rhetorical question is no way forward
    ("nicht-gesagt", "Davon war bisher keine Rede, wie soll ich das dann wissen?"),
    # the original's meaning with a synonym ("nicht erwähnt" for "nicht gesagt")
    ("nicht-gesagt", "Sie hatten das mit dem VPN nicht erwähnt, aber kein Problem. Ist der "
                     "VPN-Client gerade verbunden?"),
    # colloquial "nix" for "nichts"
    ("nichts-machen", "Da kann ich gerade nix machen, aber ich schreibe ein Ticket."),
    # "someone else did it" set against the speaker (zwar … aber)
    ("nicht-ich", "Das ist ärgerlich, tut mir leid. Das hat zwar jemand anderes eingestellt, "
                  "aber ich korrigiere das jetzt für Sie."),
    # a particle inside "Ich war das nicht"
    ("nicht-ich", "Ich war das zwar nicht, aber es tut mir leid. Ich leite es weiter."),
    # condescension with an instruction after it
    ("kundenfehler", "Das passiert vielen am Anfang, das ist doch ganz einfach: Gehen Sie auf "
                     "Datei > Wiederherstellen."),
    # reproach particle "doch" with the original's content
    ("faq", "Das ist doch eigentlich in den FAQ erklärt, aber ich zeige es Ihnen nochmal."),
    # the original as a sarcastic question
    ("faq", "Haben Sie schon mal in die FAQ geschaut? ;)"),
]


@pytest.mark.parametrize(("task", "answer"), BLIND_FALSE_PASSES)
def test_blind_readers_false_passes_fail_r1(task: str, answer: str) -> None:
    """Does each of the blind reader's eight false passes now fail, on R1?"""
    result = check_rewrite(task, answer)
    assert not result.passed and not result.criteria["R1"], str(result)


# The classes behind them, in phrasings of neither set: (task, answer, passes)
CLASSES = [
    # 1. questions: rhetorical and reproach questions fail, information and offer questions
    #    are a way forward
    ("weiss-nicht", "Woher soll ich das wissen? Ich bin ja nicht der Entwickler.", False),
    ("geht-nicht", "Wie stellen Sie sich das vor? Das System kann das nun mal nicht.", False),
    ("nichts-machen", "Was soll ich da denn machen? Der Server gehört mir nicht.", False),
    ("nicht-mein-job", "Ist das etwa mein Problem? Rufen Sie die Hausverwaltung an.", False),
    ("nicht-mein-job", "Sehe ich aus wie der Hausmeister? ;)", False),
    ("kundenfehler", "Haben Sie die Anleitung eigentlich gelesen?", False),
    ("faq", "Schon mal ins Handbuch geguckt? :)", False),
    ("faq", "Wissen Sie, wo die FAQ sind? Da steht das nämlich drin.", False),
    ("neu-gestartet", "Haben Sie es denn schon mal mit Aus- und Einschalten versucht? ;)", False),
    ("beruhigen", "Wollen Sie sich nicht erst mal hinsetzen und einen Kaffee trinken?", False),
    ("geht-nicht", "Wäre es für Sie auch in Ordnung, wenn wir die Liste einmal pro Woche "
                   "automatisch per Mail schicken?", True),
    ("faq", "Möchten Sie, dass ich Ihnen den Link zur passenden Anleitung schicke und wir "
            "das kurz gemeinsam durchgehen?", True),
    ("nicht-ich", "Hat jemand anderes im Büro das gleiche Problem? Das tut mir leid, ich sehe "
                  "sofort nach.", True),
    ("nicht-gesagt", "Haben Sie die Mail mit dem Link schon gesehen? Dann gehen wir die "
                     "Schritte zusammen durch.", True),
    ("geht-nicht", "Wie soll das bitte funktionieren?", False),
    ("nicht-mein-job", "Muss ich mich jetzt auch noch darum kümmern?", False),
    ("neu-gestartet", "Ist der etwa schon wieder kaputt? Haben Sie da wieder was verstellt?",
     False),
    ("faq", "Haben Sie's schon in der Hilfe versucht?", False),
    ("geht-nicht", "Das ist so nicht vorgesehen – möchten Sie, dass ich eine Sonderfreigabe bei "
                   "der Teamleitung anfrage?", True),
    ("nicht-gesagt", "Danke! Wie viele Kollegen sind etwa betroffen?", True),
    ("kundenfehler", "Haben Sie vielleicht etwas gelöscht oder verschoben? Dann stelle ich es "
                     "wieder her.", True),
    # 2. the original's meaning, not its words: synonyms, particles, colloquial forms
    ("kundenfehler", "Da haben Sie aber ordentlich was verstellt. Klicken Sie auf "
                     "Zurücksetzen.", False),
    ("kundenfehler", "Keine Sorge, Sie haben nichts kaputt gemacht. Ich setze das Profil "
                     "zurück.", True),
    ("faq", "Das ist eigentlich selbsterklärend, aber gut, ich zeige es Ihnen.", False),
    ("nicht-gesagt", "Nix davon stand in Ihrem Ticket. Was ist denn nun genau passiert?", False),
    ("nicht-gesagt", "Hätten Sie das mal gleich erwähnt. Welche Version nutzen Sie?", False),
    ("nicht-gesagt", "Das wusste ich ja nicht, woher auch? Seit wann passiert das?", False),
    ("nichts-machen", "Da kann ich echt nix dran machen, sorry.", False),
    ("nicht-ich", "Das hat die Buchhaltung falsch eingetragen, nicht ich. Entschuldigung, ich "
                  "korrigiere es gleich.", False),
    ("nicht-ich", "Das ging auf die Kappe vom Kollegen aus der Nachtschicht, ich schau's mir "
                  "aber an.", False),
    ("nicht-ich", "Nicht meine Schuld, aber ich helfe Ihnen.", False),
    ("nicht-mein-job", "Dafür bin ich eigentlich nicht zuständig, aber ich leite es weiter.",
     False),
    ("faq", "Das steht eigentlich auch im Wiki, ich erkläre es Ihnen aber gern.", False),
    ("faq", "Das weiß doch eigentlich jeder, aber gut: Sie gehen auf Einstellungen.", False),
    ("kundenfehler", "Das ist nicht Ihre Schuld, die Einstellung ist wirklich schwer zu finden. "
                     "Ich zeige sie Ihnen jetzt am Bildschirm.", True),
    ("nicht-mein-job", "Das fällt nicht in meinen Bereich, aber ich finde heraus, wer zuständig "
                       "ist, und rufe Sie zurück.", True),
    ("nichts-machen", "Sofort beheben kann ich das nicht, ich gebe es aber jetzt an die "
                      "Netzwerktechnik weiter und rufe Sie bis 15 Uhr zurück.", True),
    ("nicht-ich", "Das entscheide nicht ich, sondern die Teamleitung – das tut mir leid, ich "
                  "frage dort nach und melde mich bis 14 Uhr.", True),
    ("nicht-gesagt", "Wenn Sie mir das vorher gesagt hätten, wären wir schon weiter. Welche "
                     "Version haben Sie?", False),
    ("faq", "Wie wär's, wenn Sie einfach mal die FAQ lesen?", False),
    ("weiss-nicht", "Keine Ahnung, aber ich frag mal nach und melde mich morgen.", True),
    ("neu-gestartet", "Ach herrje, schon wieder der Drucker. Ich schaue mir die Warteschlange "
                      "jetzt aus der Ferne an.", True),
    # 3. condescension fails whatever follows
    ("kundenfehler", "Das ist doch ganz einfach: Sie müssen nur auf Speichern klicken, bevor "
                     "Sie das Fenster schließen.", False),
    ("kundenfehler", "Das ist doch wirklich ganz einfach – klicken Sie auf Speichern.", False),
    ("beruhigen", "Regen Sie sich nicht auf, das ist doch ganz einfach: Sie klicken oben "
                  "rechts auf Abmelden.", False),
]


@pytest.mark.parametrize(("task", "answer", "passes"), CLASSES)
def test_failure_classes_are_judged_as_the_rubric_says(task: str, answer: str,
                                                       passes: bool) -> None:
    """Are the classes of the blind reader's false passes judged as the rubric says, and do
    honest answers close to them still pass?"""
    result = check_rewrite(task, answer)
    assert result.passed is passes, str(result)
    if not passes:
        assert not result.criteria["R1"], str(result)


# Decisions where the rubric is unclear (see the issue-15b report)
UNCLEAR = [
    # a neutral cause with own ownership passes; "someone else did it" against the speaker
    # fails (above)
    ("nicht-ich", "Bei der Umstellung durch das Netzwerkteam heute Nacht ist Ihr Zugang "
                  "verloren gegangen. Das tut mir leid, ich richte ihn sofort neu ein.", True),
    ("nicht-ich", "Der Fehler kam von einem fehlerhaften Update heute Nacht. Das tut mir leid, "
                  "ich spiele jetzt die Korrektur ein.", True),
    # disbelief: "doch … erst/gerade" contradicts the customer's report
    ("neu-gestartet", "Schon wieder? Der war doch gestern erst repariert.", False),
    ("neu-gestartet", "Schon wieder? Den haben wir doch erst letzte Woche ausgetauscht.", False),
    ("neu-gestartet", "Schon wieder? Das tut mir leid. Welches Modell steht bei Ihnen?", True),
    # thanks for patience is a formula, thanks for something the customer did counts
    ("beruhigen", "Danke für Ihre Geduld, ich bin gleich für Sie da.", False),
    ("neu-gestartet", "Danke, dass Sie gleich Bescheid geben. Ich schicke einen Techniker "
                      "vorbei.", True),
    # a bare "Ok, verstehe." confirms the words; "Ich verstehe." and "Ich verstehe Sie" count
    ("beruhigen", "Ok, verstehe. Ich gucke gleich mal.", False),
    ("beruhigen", "Ich verstehe. Ich kümmere mich sofort darum.", True),
    # "wir finden eine Lösung" is a vague own action, like "Ich nehme das in die Hand"
    ("weiss-nicht", "Da bin ich überfragt, aber wir finden eine Lösung.", True),
]


@pytest.mark.parametrize(("task", "answer", "passes"), UNCLEAR)
def test_unclear_cases_follow_the_recorded_decision(task: str, answer: str,
                                                    passes: bool) -> None:
    """Are the cases the rubric leaves open judged as decided in issue 15b?"""
    assert check_rewrite(task, answer).passed is passes, str(check_rewrite(task, answer))


def test_klaeren_in_the_customers_clause_is_no_step() -> None:
    """Is „…, dass Sie das klären möchten“ not quoted as the speaker's way forward?"""
    result = check_rewrite("geht-nicht", "Ich verstehe, dass Sie das klären möchten. Das geht "
                                         "leider nicht.")
    assert not result.criteria["R3"]
    assert not any("klären" in line.text for line in result.feedback if line.criterion == "R3")


def test_casual_word_about_the_situation_is_not_called_an_insult() -> None:
    """Is „Das ist blöd, wenn …“ free of „beleidigt den Kunden“, but „Sie sind blöd“ not?"""
    kind = check_rewrite("neu-gestartet", "Das ist blöd, wenn man drucken muss. Ich schaue nach.")
    assert not any("beleidigt" in line.text for line in kind.feedback)
    rude = check_rewrite("neu-gestartet", "Sind Sie blöd? Ich schaue nach.")
    assert not rude.criteria["R4"]


FILLERS = ["Vielen Dank für Ihren Anruf.", "Guten Tag, hier ist der IT-Support."]
GRADED = [("03", "neu-gestartet"), ("05", "beruhigen"), ("05", "nicht-gesagt"),
          ("05", "nichts-machen"), ("05", "nicht-ich"), ("06", "nicht-mein-job"),
          ("06", "geht-nicht"), ("08", "weiss-nicht"), ("08", "kundenfehler"), ("08", "faq"),
          ("10", ANLEITUNG)]


def _graded(task: str, text: str) -> float:
    with handed_over({"antwort": text}):
        return grade_rewrite("antwort", task)


@pytest.mark.parametrize(("module", "task"), GRADED)
@pytest.mark.parametrize("filler", FILLERS)
def test_filler_earns_nothing_in_any_graded_rewrite(module: str, task: str, filler: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Does a greeting or a thank-you earn 0 points in every graded rewrite?"""
    assert _graded(task, filler) == 0.0, module


def test_copying_module_05_table_earns_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    """Does pasting module 05's „Besser so“ table into A1–A4 earn 0 of 13 points?"""
    table = {
        "beruhigen": "Ich kann gut verstehen, dass Sie sich ärgern.",
        "nicht-gesagt": "Danke, das hilft mir. Darf ich dazu noch etwas fragen?",
        "nichts-machen": "Das dauert leider etwas – bis 14 Uhr melde ich mich bei Ihnen.",
        "nicht-ich": "Das tut mir leid. Ich kümmere mich jetzt darum.",
    }
    assert sum(_graded(task, text) for task, text in table.items()) == 0.0
    assert "Beispielsatz aus dem Kurs" in capsys.readouterr().out


def test_original_and_its_question_form_earn_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    """Do the original phrases, and 03's original as a new question, earn 0 points?"""
    for task in ("beruhigen", "nicht-gesagt", "nichts-machen", "nicht-ich", "faq"):
        assert _graded(task, _original(task)) == 0.0
    assert _graded("neu-gestartet", "Haben Sie es schon mit einem Neustart probiert?") == 0.0


def _original(task: str) -> str:
    from course.rewrite import exercise

    return exercise(task).original


@pytest.mark.parametrize("sentence", [
    "Ich prüfe das und rufe Sie um halb drei an, passt das?",
    "Ich melde mich gegen 11 Uhr.", "Ich melde mich gegen elf Uhr.",
    "Ich rufe Sie in einer Viertelstunde zurück.", "Ich kläre das bis Feierabend.",
    "Ich kläre das bis zum Mittag.", "Ich melde mich um Viertel nach zehn.",
    "Ich melde mich nach der Mittagspause.", "Ich melde mich Ende der Woche.",
    "Ich rufe Sie Anfang nächster Woche an.", "Ich melde mich am 3. Dezember.",
    "Ich kläre das binnen einer Stunde.", "Ich rufe in ein paar Minuten zurück.",
])
def test_time_frames_a_german_reader_sees(sentence: str) -> None:
    """Are everyday German time expressions recognised as a time frame?"""
    assert find_time_frame(sentence)


@pytest.mark.parametrize("sentence", [
    "Ich melde mich irgendwann heute.", "Ich melde mich bald.", "Ich rufe später zurück.",
    "Ich melde mich spätestens.", "Ich schaue es mir demnächst an.",
    "Ich melde mich irgendwann nächste Woche.", "Ich kümmere mich zeitnah darum.",
])
def test_vague_time_words_are_no_time_frame(sentence: str) -> None:
    """Are „irgendwann heute“, „bald“, „später“ and a bare „spätestens“ no time frame?"""
    assert find_time_frame(sentence) is None


@pytest.mark.parametrize(("sentence", "points"), [
    ("Ich melde mich irgendwann heute.", 1.5),
    ("Bis 11 Uhr.", 0.0),
    ("Ich prüfe das und rufe Sie um halb drei an, passt das?", 3.0),
])
def test_agree_points_for_the_reviewed_sentences(sentence: str, points: float,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Does module 01's Agree task no longer give 3/3 for a vague or step-less sentence?"""
    with handed_over({"agree_satz": sentence}):
        assert grade_agree("agree_satz") == points


ROLE_PLAY = [
    ("unklare-anfrage", "eingegrenzt", "Schneller wäre es, ja – aber Zugriffe auf "
     "Buchhaltungsdaten gibt die Buchhaltungsleitung frei, nicht die IT. Ich stoße den Antrag "
     "jetzt für Sie an."),
    ("unklare-anfrage", "eingegrenzt", "Das darf ich leider nicht, das muss über Frau Adler "
     "laufen. Ich bereite Ihnen den Antrag aber gleich vor."),
    ("vip-crm", "rueckruf", "Es tut mir leid, es läuft noch nicht, die Serverkollegen rechnen "
     "mit 10:50 Uhr. Als Überbrückung gibt es die Kundenliste von heute Nacht als Excel-Datei."),
    ("vpn-wieder", "verlauf", "Das tut mir leid, dass das noch nicht gehalten hat. Ab jetzt bin "
     "ich Ihr Ansprechpartner und bleibe dran, bis es stabil läuft."),
]


@pytest.mark.parametrize(("scenario", "node", "text"), ROLE_PLAY)
def test_reviewed_role_play_answer_takes_the_applied_branch(scenario: str, node: str,
                                                            text: str) -> None:
    """Does a professional free-text reply in the role-play count as applying the model?"""
    free = load_scenario(scenario).nodes[node].free_text
    assert free is not None
    result = check_rewrite(free.task, text)
    branch = free.branches[free.branch_for({**result.criteria, "passed": result.passed})]
    assert branch.applied, str(result)
