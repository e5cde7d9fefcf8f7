"""Rewrite checker: feedback on a learner's rewrite of a dismissive support phrase.

The criteria R1-R4 and the exercise table follow ``shared/spec/rewrite-rubric.md``.
Exercises live in ``content/rewrite/exercises.yaml``, the lexicon (phrases, rude words,
du-form markers ...) in ``content/rewrite/lexicon.yaml``; both load lazily on first use.

Usage::

    from course.rewrite import check_rewrite
    result = check_rewrite("beruhigen", "Ich verstehe Ihre Frustration.")
    result.passed, result.criteria, print(result)

Batch use: ``python -m course.rewrite < answers.jsonl`` (one JSON object per line with
``original`` and/or ``key`` and ``rewrite``; one JSON result per line on stdout).
"""

from __future__ import annotations

import html
import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from course.feedback import Line, Verdict
from course.rewrite_lexicon import (  # noqa: F401  (re-exported: the checker's public API)
    CRITERIA,
    EXERCISES_PATH,
    LEXICON_PATH,
    Exercise,
    Lexicon,
    _Category,
    _exercises,
    _lexicon,
    _normalise_with_map,
    _tokens,
    compile_phrase,
    exercise,
    exercise_keys,
    load_exercises,
    load_lexicon,
    normalise,
)

MIN_WORDS, MAX_WORDS = 3, 80
# Checked before any regex work, so a huge paste is answered at once.
MAX_CHARS = 1500
EMPTY_MESSAGE = "Bitte schreibe eine Antwort."

_KEY_LIKE = re.compile(r"^[a-z0-9äöüß]+(?:-[a-z0-9äöüß]+)+$")
_SENTENCE_END = re.compile(r"[.!?;]+|\n")
_SEGMENT_PUNCT = re.compile(r"[,:;.!?–—()\n]|\s-\s")
_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class RewriteResult:
    """Verdict and per-criterion feedback for one rewrite."""

    passed: bool
    criteria: dict[str, bool]
    required: tuple[str, ...]
    feedback: tuple[Line, ...]
    copied_example: bool = False

    def __str__(self) -> str:
        return "\n".join(map(str, self.feedback))

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.passed else "#b42318"
        verdict = "Bestanden" if self.passed else "Noch nicht bestanden"
        items = "".join(f"<li>{html.escape(str(line))}</li>" for line in self.feedback)
        return (
            f'<div class="rewrite-result"><strong style="color:{colour}">{verdict}</strong>'
            f'<ul style="list-style:none;padding-left:0">{items}</ul></div>'
        )

# --------------------------------------------------------------------------- text analysis


@dataclass
class _Text:
    """A normalised answer with its tokens, sentences and clause segments."""

    raw: str
    norm: str
    index: list[int]
    tokens: list[tuple[str, int, int]]
    sentence_ids: list[int]
    segment_ids: list[int]
    # Position in the full text for each character of ``norm`` (only in the particle-free
    # view; None for the full text itself).
    origin: list[int] | None = None
    bare: _Text | None = None

    def full_span(self, start: int, end: int) -> tuple[int, int]:
        if self.origin is None or start >= end:
            return start, end
        return self.origin[start], self.origin[end - 1] + 1

    def quote(self, start: int, end: int) -> str:
        if not self.index or start >= end:
            return ""
        return self.raw[self.index[start] : self.index[end - 1] + 1].strip()

    def token_at(self, pos: int) -> int:
        for number, (_, start, end) in enumerate(self.tokens):
            if pos < end:
                return number if pos >= start else max(number - 1, 0)
        return max(len(self.tokens) - 1, 0)


def _analyse(raw: str, lex: Lexicon) -> _Text:
    norm, index = _normalise_with_map(raw)
    norm, index = _correct_typos(norm, index, lex)
    tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(norm)]
    sentences = _boundary_ids(norm, tokens, _SENTENCE_END, frozenset())
    segments = _boundary_ids(norm, tokens, _SEGMENT_PUNCT, lex.clause_breaks)
    text = _Text(raw, norm, index, tokens, sentences, segments)
    text.bare = _without_particles(text, lex)
    return text


def _without_particles(text: _Text, lex: Lexicon) -> _Text | None:
    """The answer without modal particles ("Ich war das zwar nicht" -> "ich war das nicht"),
    so that a particle does not hide a dead end; None when there is none to drop."""
    drop = [(start, end) for word, start, end in text.tokens if word in lex.particles]
    if not drop:
        return None
    keep: list[int] = []
    last = 0
    for start, end in drop:
        # drop the particle and the blank before it
        cut = start
        while cut > last and text.norm[cut - 1] == " ":
            cut -= 1
        keep.extend(range(last, cut))
        last = end
    keep.extend(range(last, len(text.norm)))
    norm = "".join(text.norm[i] for i in keep)
    index = [text.index[i] for i in keep]
    tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(norm)]
    sentences = _boundary_ids(norm, tokens, _SENTENCE_END, frozenset())
    segments = _boundary_ids(norm, tokens, _SEGMENT_PUNCT, lex.clause_breaks)
    return _Text(text.raw, norm, index, tokens, sentences, segments, origin=keep)


def _boundary_ids(
    norm: str, tokens: list[tuple[str, int, int]], punct: re.Pattern[str], words: frozenset[str]
) -> list[int]:
    ids: list[int] = []
    current, last_end, previous = 0, 0, ""
    for word, start, end in tokens:
        if punct.search(norm, last_end, start) or (
            word in words and not (word == "aber" and previous in _ABER_AS_PARTICLE)
        ):
            current += 1
        ids.append(current)
        last_end, previous = end, word
    return ids


# "Ich kann Ihnen aber … einrichten": after a pronoun, "aber" is a particle inside the
# clause, not the start of a new one ("Ich verstehe Sie, aber …" has its comma).
_ABER_AS_PARTICLE = frozenset({"ihnen", "ich", "wir", "ihn", "mir", "uns", "dir"})


# --------------------------------------------------------------------------- typo tolerance


def _correct_typos(norm: str, index: list[int], lex: Lexicon) -> tuple[str, list[int]]:
    out: list[str] = []
    new_index: list[int] = []
    last = 0
    for match in _TOKEN.finditer(norm):
        fixed = _correct_word(match.group(), lex)
        if fixed == match.group():
            continue
        out.append(norm[last : match.start()])
        new_index.extend(index[last : match.start()])
        span = index[match.start() : match.end()]
        out.append(fixed)
        new_index.extend(span[min(i, len(span) - 1)] for i in range(len(fixed)))
        last = match.end()
    if not out:
        return norm, index
    out.append(norm[last:])
    new_index.extend(index[last:])
    return "".join(out), new_index


# Colloquial forms read as the standard word ("nix" -> "nichts").
_COLLOQUIAL = {"nix": "nichts", "nischt": "nichts", "nuescht": "nichts", "nich": "nicht",
               "nee": "nein", "isses": "ist es", "sies": "sie es", "gibts": "gibt es",
               "gehts": "geht es", "habs": "habe es", "ists": "ist es", "wirds": "wird es",
               "klappts": "klappt es"}


def _correct_word(word: str, lex: Lexicon) -> str:
    if word in _COLLOQUIAL:
        return _COLLOQUIAL[word]
    if len(word) < 5 or not word.isalpha() or word in lex.protected:
        return word
    if any(word.startswith(stem) for stem in lex.protected_stems):
        return word
    return _correct_unknown(word, lex.targets, lex.stems)


@lru_cache(maxsize=4096)
def _correct_unknown(word: str, targets: frozenset[str], stems: tuple[str, ...]) -> str:
    # Typos seldom hit the first letters; correcting there turns real words into lexicon
    # words ("alte" -> "halte", "Sicherheit" -> "Sucherheit").
    for known in sorted(targets):
        if known[0] == word[0] and abs(len(known) - len(word)) <= 1 \
                and _within_one_edit(word, known):
            return known
    if len(word) >= 5:
        for stem in stems:
            if stem[:2] != word[:2]:
                continue
            for cut in (len(stem) - 1, len(stem), len(stem) + 1):
                if 0 < cut <= len(word) and word[cut:] in _ENDINGS \
                        and _within_one_edit(word[:cut], stem):
                    return stem + word[cut:]
    return word


# What may follow a misspelt stem: an inflection or a common suffix, so that "Schutz" is not
# read as "schau" + "tz".
_ENDINGS = frozenset({
    "", "e", "en", "em", "er", "es", "n", "s", "t", "st", "et", "te", "ten", "tet", "end",
    "ung", "ungen", "lich", "liche", "lichen", "licher", "bar", "heit", "keit", "nis", "ig",
    "ige", "igen", "ierung", "iert", "ieren", "iere",
})


def _within_one_edit(a: str, b: str) -> bool:
    """True if a and b differ by at most one insertion, deletion, substitution or swap."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
        prefix += 1
    a, b = a[prefix:], b[prefix:]
    if len(a) == len(b):
        return a[1:] == b[1:] or (len(a) >= 2 and a[0] == b[1] and a[1] == b[0] and a[2:] == b[2:])
    return a[1:] == b if len(a) > len(b) else a == b[1:]


# --------------------------------------------------------------------------- detectors


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    quote: str
    kind: str = ""


def _find(patterns: Iterable[re.Pattern[str]], text: _Text) -> list[_Hit]:
    hits = []
    for pattern in patterns:
        for match in pattern.finditer(text.norm):
            if match.end() > match.start():
                hits.append(_Hit(match.start(), match.end(), text.quote(*match.span())))
    return sorted(hits, key=lambda h: h.start)


def _negated(text: _Text, hit: _Hit, lex: Lexicon, own_negation: bool = True) -> bool:
    """A negation in the hit's clause. With ``own_negation`` a negation the phrase itself
    contains ("nicht Ihre Schuld") does not count; steps contain none, so for them any
    negation counts, also one inside a gap ("ich habe das Profil nicht verteilt")."""
    first, last = text.token_at(hit.start), text.token_at(hit.end - 1)
    segment = text.segment_ids[first] if text.tokens else 0
    for number, (word, _, _) in enumerate(text.tokens):
        if text.segment_ids[number] == segment and word in lex.negation:
            if not own_negation or not (first <= number <= last) \
                    or word not in _words(hit, text):
                return True
    return False


def _words(hit: _Hit, text: _Text) -> set[str]:
    return set(_tokens(text.norm[hit.start : hit.end]))


def _acknowledgements(text: _Text, lex: Lexicon) -> tuple[list[_Hit], list[_Hit]]:
    """Return (valid, negated) acknowledgement hits."""
    valid: list[_Hit] = []
    negated: list[_Hit] = []
    formulas = _find(lex.formulas, text)  # "Danke für Ihren Anruf" is politeness, no R2
    for hit in _find(lex.acknowledgement, text):
        if _receipt(text, hit):
            continue  # "Ok, verstehe." confirms the words, not the customer's situation
        if not _overlaps(hit, formulas):
            (negated if _negated(text, hit, lex) else valid).append(hit)
    return valid, negated


_RECEIPT_LEAD = frozenset({"ok", "okay", "ah", "aha", "ach", "achso", "so", "alles", "klar",
                           "gut", "ja", "hm", "hmm"})
_UNDERSTOOD = frozenset({"dass", "wie", "warum", "wieso", "weshalb", "was", "wenn", "ob",
                         "sie", "ihre", "ihren", "ihr", "ihnen", "das", "gut", "voll", "total",
                         "vollkommen", "absolut", "sehr", "natuerlich", "ihrem", "den", "die",
                         "diese", "dieses", "es", "jetzt"})


def _receipt(text: _Text, hit: _Hit) -> bool:
    """A bare "(Ok,) verstehe." without subject and object confirms the words, not the
    customer's situation: no acknowledgement (R2). "Ich verstehe." still counts."""
    if not text.norm[hit.start : hit.end].startswith("versteh"):
        return False
    first = text.token_at(hit.start)
    sentence = text.sentence_ids[first]
    before = [w for n, (w, _, _) in enumerate(text.tokens[:first])
              if text.sentence_ids[n] == sentence]
    if any(w not in _RECEIPT_LEAD for w in before):
        return False
    following = first + 1
    if following < len(text.tokens) and text.sentence_ids[following] == sentence:
        if text.tokens[following][0] in _UNDERSTOOD:
            return False
        gap = text.norm[text.tokens[first][2] : text.tokens[following][1]]
        return "," in gap or "–" in gap or ":" in gap
    return True


_WISH = frozenset({"wuerde", "wuerden", "wuerd"})


def _own_actions(text: _Text, lex: Lexicon) -> list[_Hit]:
    found = []
    for hit in _find(lex.own_action, text):
        position = text.token_at(hit.start)
        if _wish(text, position):
            continue  # "Ich würde Ihnen gern helfen, aber …" promises nothing
        if _speaker_acts(text, position, lex) and not _customer_imperative(text, position, lex):
            if not _negated(text, hit, lex, own_negation=False):
                found.append(_Hit(hit.start, hit.end, _clause_quote(text, position), "own"))
    return found


def _wish(text: _Text, position: int) -> bool:
    words = set(_clause_words(text, position))
    return bool(words & _WISH) and bool(words & {"gern", "gerne"})


def _clause_words(text: _Text, position: int) -> list[str]:
    segment = text.segment_ids[position]
    return [text.tokens[n][0] for n, s in enumerate(text.segment_ids) if s == segment]


def _speaker_acts(text: _Text, position: int, lex: Lexicon) -> bool:
    """The speaker is the one who acts: first person in the clause, or in the sentence when
    the customer is not the clause's subject ("…, dass Sie das klären möchten")."""
    words = _clause_words(text, position)
    if any(w in lex.first_person for w in words):
        return True
    if _customer_clause(words, lex):
        return False
    return _has_first_person(text, position, lex) or _shared_subject(text, position, lex)


def _shared_subject(text: _Text, position: int, lex: Lexicon) -> bool:
    """ "Ich nehme das ins Ticket auf und teste es nach": a clause that starts with "und"
    and has no subject of its own shares the subject of the clause before it."""
    segment = text.segment_ids[position]
    first = text.segment_ids.index(segment)
    if text.tokens[first][0] not in ("und", "oder") or first == 0:
        return False
    before = _clause_words(text, first - 1)
    return text.sentence_ids[first - 1] == text.sentence_ids[first] and any(
        w in lex.first_person for w in before) and not _customer_clause(before, lex)


def _customer_clause(words: list[str], lex: Lexicon) -> bool:
    lead = words[1:] if words and words[0] in lex.clause_breaks else words
    if lead[:1] == ["sie"]:
        return True
    pairs = zip(words, words[1:], strict=False)
    return any(a in lex.customer_verbs and b == "sie" for a, b in pairs)


def _has_first_person(text: _Text, position: int, lex: Lexicon) -> bool:
    sentence = text.sentence_ids[position]
    low, high = max(position - 8, 0), min(position + 6, len(text.tokens))
    return any(
        text.tokens[n][0] in lex.first_person and text.sentence_ids[n] == sentence
        for n in range(low, high)
    )


def _customer_imperative(text: _Text, position: int, lex: Lexicon) -> bool:
    word = text.tokens[position][0]
    following = text.tokens[position + 1][0] if position + 1 < len(text.tokens) else ""
    if not word.endswith("en") or following != "sie":
        return False
    if position == 0 or text.segment_ids[position - 1] != text.segment_ids[position]:
        return True
    return text.tokens[position - 1][0] in lex.imperative_lead


def _clause_quote(text: _Text, position: int) -> str:
    segment = text.segment_ids[position]
    members = [n for n, s in enumerate(text.segment_ids) if s == segment]
    start, end = text.tokens[members[0]][1], text.tokens[members[-1]][2]
    words = text.quote(start, end)
    return words if len(words) <= 70 else words[:67] + "…"


def _in_question(text: _Text, pos: int) -> bool:
    end = _SENTENCE_END.search(text.norm, pos)
    return end is not None and "?" in end.group()


def _questions(text: _Text, lex: Lexicon) -> list[_Hit]:
    hits = []
    for match in re.finditer(r"[^.!?;\n]+\?", text.norm):
        words = _tokens(match.group())
        opening = " ".join(words[:2])
        if len(words) >= 3 and not any(opening.startswith(q) for q in lex.question_not_clarifying):
            hits.append(_Hit(match.start(), match.end(), text.quote(*match.span()), "question"))
    return hits


def _overlaps(hit: _Hit, others: Iterable[_Hit]) -> bool:
    return any(hit.start < other.end and other.start < hit.end for other in others)


def _ways_forward(text: _Text, lex: Lexicon) -> list[_Hit]:
    hits = _own_actions(text, lex)
    for kind, patterns in (
        ("handover", lex.handover), ("alternative", lex.alternative),
        ("instruction", lex.instruction),
    ):
        hits += [_Hit(h.start, h.end, h.quote, kind) for h in _find(patterns, text)
                 if not _negated(text, h, lex, own_negation=False)]
    hits += [_Hit(h.start, h.end, h.quote, "time") for h in _time_frames(text, lex)]
    hits += [_Hit(h.start, h.end, h.quote, "question") for h in _find(lex.clarifying, text)]
    hits += _questions(text, lex)
    # "Was kann ich für Sie tun?" is a greeting, not a step about the case.
    formulas = _find(lex.formulas, text)
    return sorted((h for h in hits if not _overlaps(h, formulas) and not _withdrawn(text, h, lex)),
                  key=lambda h: h.start)


_SUBJUNCTIVE = frozenset({"koennte", "koennten", "wuerde", "wuerden", "waere", "waeren",
                          "theoretisch"})


def _withdrawn(text: _Text, hit: _Hit, lex: Lexicon) -> bool:
    """ "Ich könnte ein Ticket schreiben, aber das bringt nichts": a step only imagined and
    then refused in the same sentence is no step; nor is one nobody commits to ("könnte
    man")."""
    position = text.token_at(hit.start)
    words = set(_clause_words(text, position))
    if not words & _SUBJUNCTIVE:
        return False
    if "man" in words:
        return True  # "…, könnte man über eine andere Lösung nachdenken": nobody commits
    sentence = text.sentence_ids[position]
    return any(
        text.tokens[n][0] in lex.contrast and text.sentence_ids[n] == sentence
        and any(w in lex.negation for w in _clause_words(text, n))
        for n in range(position + 1, len(text.tokens))
    )


def _time_frames(text: _Text, lex: Lexicon) -> list[_Hit]:
    """Time frames a German reader takes as a commitment: "irgendwann heute" is none."""
    vague = _find(lex.vague_time, text)
    found = []
    for hit in _find(lex.time_frame, text):
        close = [v for v in vague if v.start < hit.end and hit.start - v.end <= 2]
        if not close and not _told_to_customer(text, text.token_at(hit.start), lex):
            found.append(hit)
    return found


def _told_to_customer(text: _Text, position: int, lex: Lexicon) -> bool:
    """ "Versuchen Sie es in einer Stunde noch einmal": the time is the customer's task."""
    segment = text.segment_ids[position]
    return any(
        _customer_imperative(text, number, lex)
        for number in range(len(text.tokens)) if text.segment_ids[number] == segment
    )


def _dead_ends(text: _Text, lex: Lexicon, ways: list[_Hit]) -> list[tuple[_Category, _Hit]]:
    # "…, dann schauen wir weiter" waits for the customer to act first: no own step.
    own = any(h.kind in ("own", "handover") and not _conditional(text, h) for h in ways)
    step = any(h.kind in ("own", "handover", "alternative", "instruction") for h in ways)
    named = own and _names_target(text, lex)
    found = []
    for category in lex.dead_ends:
        if (category.neutralised_by == "step" and step) or (
            category.neutralised_by == "own_action" and own
        ) or (category.neutralised_by == "named_handover" and named):
            continue
        hit = _first_dead_end(text, lex, category)
        if hit is None and text.bare is not None:
            bare = _first_dead_end(text.bare, lex, category)
            if bare is not None:
                start, end = text.bare.full_span(bare.start, bare.end)
                hit = _Hit(start, end, bare.quote)
        if hit is not None:
            found.append((category, hit))
    return found


def _names_target(text: _Text, lex: Lexicon) -> bool:
    """The answer says who takes over ("an die Buchhaltung", "mit Frau Weber", "Der Einkauf
    ist zuständig") or that the speaker finds out who is ("ich kläre, wer zuständig ist")."""
    return any(p.search(text.norm) for p in lex.named_target)


def _conditional(text: _Text, hit: _Hit) -> bool:
    words = _clause_words(text, text.token_at(hit.start))
    return bool(words) and words[0] == "dann"


def _first_dead_end(text: _Text, lex: Lexicon, category: _Category) -> _Hit | None:
    for pattern, pattern_negations in category.patterns:
        for match in pattern.finditer(text.norm):
            if _extra_negation(match.group(), pattern_negations, lex):
                continue
            if category.only_in_questions and not _in_question(text, match.start()):
                continue
            lead = _clause_words(text, text.token_at(match.start()))[:1]
            if lead and lead[0] in category.skip_after:
                continue
            if category.negatable and _negation_before(text, match.start(), lex):
                continue
            return _Hit(match.start(), match.end(), text.quote(*match.span()))
    return None


def _take_back(text: _Text, lex: Lexicon, acks: list[_Hit], ways: list[_Hit]) -> _Hit | None:
    """An acknowledgement followed by "aber/trotzdem/jedoch …" with a negation and no way
    forward anywhere: the contrast takes the acknowledgement back."""
    if not acks or ways:
        return None
    first = text.token_at(acks[0].start)
    for number in range(first + 1, len(text.tokens)):
        if text.tokens[number][0] not in lex.contrast:
            continue
        if any(w in lex.negation for w in _clause_words(text, number)):
            return _Hit(text.tokens[number][1], text.tokens[number][2],
                        _clause_quote(text, number))
    return None


_CUSTOMER_WORDS = frozenset({"ihr", "ihre", "ihren", "ihrem", "ihrer", "ihnen"})


def _negation_before(text: _Text, pos: int, lex: Lexicon) -> bool:
    """ "Das ist nicht Ihre Schuld": a negation just before the phrase, in its clause."""
    number = text.token_at(pos)
    if not text.tokens or text.tokens[number][1] < pos:
        return False
    if text.tokens[number][0] not in _CUSTOMER_WORDS:
        return False  # "Nicht meine Schuld" still pushes the blame away
    segment = text.segment_ids[number]
    for back in range(number - 1, max(number - 4, -1), -1):
        word = text.tokens[back][0]
        if text.segment_ids[back] != segment:
            return False
        if word in lex.negation:
            return True
        if word not in lex.particles and word not in ("ist", "war", "sind", "das", "es"):
            return False
    return False


def _extra_negation(matched: str, expected: int, lex: Lexicon) -> bool:
    # "Das liegt nicht an Ihnen" must not count as "liegt an Ihnen" (blame).
    return sum(w in lex.negation for w in _tokens(matched)) > expected


def _core(words: Sequence[str], lex: Lexicon) -> list[str]:
    return [w for w in words if w not in lex.fillers]


def _contains(haystack: list[str], needle: list[str]) -> bool:
    size = len(needle)
    return any(haystack[i : i + size] == needle for i in range(len(haystack) - size + 1))


# --------------------------------------------------------------------------- register (R4)


def _missed(criterion: str, text: str) -> Line:
    return Line(criterion, Verdict.MISSED, text)


def _register_problems(text: _Text, lex: Lexicon, original: str) -> list[Line]:
    words = [t[0] for t in text.tokens]
    if not any(ch.isalpha() for ch in text.raw):
        return [_missed("R4", "Deine Antwort enthält keine Wörter – schreib einen ganzen Satz.")]
    problems = []
    if len(words) < MIN_WORDS:
        problems.append(_missed("R4", f"Zu kurz: Schreib mindestens {MIN_WORDS} Wörter."))
    elif len(words) > MAX_WORDS:
        problems.append(
            _missed("R4", f"Zu lang: höchstens {MAX_WORDS} Wörter (du hast {len(words)}).")
        )
    if _not_german(words, lex):
        problems.append(_missed("R4", "Bitte antworte auf Deutsch."))
    problems += _shouting(text, lex)
    problems += _du_form(text, lex, original)
    rude = _find(lex.rude, text)
    if rude:
        problems.append(
            _missed("R4", f"Unhöfliches Wort („{rude[0].quote}“) – das beleidigt den Kunden.")
        )
    return problems


def _not_german(words: list[str], lex: Lexicon) -> bool:
    german = sum(w in lex.german_words for w in words)
    foreign = sum(w in lex.foreign_words for w in words)
    return german == 0 or foreign > german


def _shouting(text: _Text, lex: Lexicon) -> list[Line]:
    caps = [
        w for w in re.findall(r"[^\W\d_]+", text.raw)
        if len(w) >= 2 and w.isupper() and w.upper() not in lex.acronyms
    ]
    loud = [w for w in caps if len(w) >= 4]
    if loud or len(caps) >= 2:
        return [_missed("R4", f"Großbuchstaben wirken wie Schreien („{(loud or caps)[0]}“).")]
    if re.search(r"[!?]{3,}", text.raw):
        return [_missed("R4", "„!!!“ wirkt wie Schreien – ein Ausrufezeichen reicht.")]
    return []


def _du_form(text: _Text, lex: Lexicon, original: str) -> list[Line]:
    hits = _find(lex.du_form, text)
    if not hits:
        return []
    if original and _find(lex.du_form, _analyse(original, lex)):
        return []
    return [_missed("R4", f"Du duzt den Kunden („{hits[0].quote}“) – bleib beim „Sie“.")]


# --------------------------------------------------------------------------- the check


@dataclass(frozen=True)
class _Task:
    original: str
    required: tuple[str, ...]
    original_is_dead_end: bool
    original_move: tuple[re.Pattern[str], ...] = ()
    shown: tuple[str, ...] = ()


def _task(found: Exercise) -> _Task:
    return _Task(found.original, found.required, found.original_is_dead_end,
                 found.original_move, found.shown)


def _resolve(original_or_key: str) -> _Task:
    if not isinstance(original_or_key, str):
        raise TypeError(
            "first argument must be an exercise key or the original phrase (str), "
            f"not {type(original_or_key).__name__}"
        )
    candidate = original_or_key.strip()
    table = _exercises()
    if candidate.casefold() in table:
        return _task(table[candidate.casefold()])
    if _KEY_LIKE.match(candidate):
        raise ValueError(f"unknown exercise key {candidate!r}; known keys: {', '.join(table)}")
    wanted = _tokens(normalise(candidate))
    for found in table.values():
        if _tokens(normalise(found.original)) == wanted:
            return _task(found)
    return _Task(candidate, ("R1", "R3", "R4"), True)


def check_rewrite(original_or_key: str, rewrite: str) -> RewriteResult:
    """Check a rewrite against an exercise key or a free original phrase.

    Raises TypeError for non-string arguments and ValueError for an unknown key; any
    string as ``rewrite`` gives a result.
    """
    task = _resolve(original_or_key)
    if not isinstance(rewrite, str):
        raise TypeError(f"rewrite must be a str, not {type(rewrite).__name__}")
    if not rewrite.strip():
        return _early(task, EMPTY_MESSAGE)
    if len(rewrite) > MAX_CHARS:
        return _early(
            task, f"Deine Antwort ist zu lang: höchstens {MAX_WORDS} Wörter. "
            "Kürze sie auf das Wesentliche."
        )
    lex = _lexicon()
    text = _analyse(unicodedata.normalize("NFC", rewrite), lex)
    return _judge(text, task, lex)


def find_time_frame(text: str) -> str | None:
    """The first time frame in ``text`` ("bis 14 Uhr", "um halb drei"), as written; vague
    ones ("irgendwann heute", "bald", "später") are none."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_CHARS:
        return None
    lex = _lexicon()
    hits = _time_frames(_analyse(unicodedata.normalize("NFC", text), lex), lex)
    return hits[0].quote if hits else None


def find_own_step(text: str) -> str | None:
    """The first step the speaker takes or hands over ("ich melde mich"), as written."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_CHARS:
        return None
    lex = _lexicon()
    ways = _ways_forward(_analyse(unicodedata.normalize("NFC", text), lex), lex)
    steps = [h for h in ways if h.kind in ("own", "handover")]
    return steps[0].quote if steps else None


def _early(task: _Task, message: str) -> RewriteResult:
    return RewriteResult(False, dict.fromkeys(CRITERIA, False), task.required,
                         (_missed("", message),))


def _judge(text: _Text, task: _Task, lex: Lexicon) -> RewriteResult:
    acks, negated_acks = _acknowledgements(text, lex)
    ways = _ways_forward(text, lex)
    ways = _without_original_move(text, task, ways, acks)
    dead = _dead_ends(text, lex, ways)
    # A step inside a dead end ("finden Sie in den FAQ") is no step; judge again without it.
    ways = [w for w in ways if not _overlaps(w, [hit for _, hit in dead])]
    dead = _dead_ends(text, lex, ways)
    take_back = _take_back(text, lex, acks, ways)
    copy, kept = _original_overlap(text, task, lex)
    insult = any(c.insult for c, _ in dead) or bool(_find(lex.rude, text))
    r1_lines = _r1_lines(dead, negated_acks, kept, task, take_back)
    r1 = not r1_lines
    r2_line, r2 = _r2_line(text, task, lex, acks, ways, hollow=not r1 or insult)
    r3_line, r3 = _r3_line(task, ways, dead)
    if _not_german([t[0] for t in text.tokens], lex):
        # The lexicon is German: no credit for acknowledgement or step in other languages.
        r2_line, r2 = _german_only("R2", "R2" in task.required), False
        r3_line, r3 = _german_only("R3", "R3" in task.required), False
    r4_lines = _register_problems(text, lex, task.original)
    if copy:
        r4_lines.insert(
            0, _missed("R4", "Das ist (fast) wörtlich das Original – formuliere es neu.")
        )
    if any(c.insult for c, _ in dead):
        r4_lines.append(_missed("R4", "Eine versteckte Beleidigung ist unhöflich."))
    r4 = not r4_lines
    criteria = {"R1": r1, "R2": r2, "R3": r3, "R4": r4}
    r1_ok = Line("R1", Verdict.MET, "Keine Sackgasse, keine Schuldzuweisung, kein Spott.")
    r4_ok = Line("R4", Verdict.MET,
                 f"Ton und Form passen: höflich, per „Sie“, {len(text.tokens)} Wörter.")
    feedback = (r1_lines or [r1_ok]) + [r2_line, r3_line] + (r4_lines or [r4_ok])
    copied = _copies_shown(text, task, lex)
    if copied:
        feedback.append(Line("", Verdict.NOTE, COPIED_EXAMPLE))
    passed = all(criteria[c] for c in task.required)
    return RewriteResult(passed, criteria, task.required, tuple(feedback), copied)


COPIED_EXAMPLE = (
    "Das ist (fast) wörtlich ein Beispielsatz aus dem Kurs. Zum Üben ist das in Ordnung; in "
    "einer bewerteten Aufgabe zählt nur eine eigene Antwort auf die neue Situation, eine Kopie "
    "bringt dort 0 Punkte."
)


def _without_original_move(
    text: _Text, task: _Task, ways: list[_Hit], acks: list[_Hit]
) -> list[_Hit]:
    """The original's own move ("neu gestartet?") is a step only after an acknowledgement."""
    if not task.original_move:
        return ways
    moves = [_Hit(m.start(), m.end(), "") for p in task.original_move
             for m in p.finditer(text.norm)]
    first_ack = min((a.start for a in acks), default=len(text.norm))
    return [w for w in ways if not _overlaps(w, moves) or first_ack < w.start]


def _copies_shown(text: _Text, task: _Task, lex: Lexicon) -> bool:
    answer = set(_core([t[0] for t in text.tokens], lex))
    for phrase in task.shown:
        shown = _shown_words(phrase)
        if shown and len(answer & shown) / len(answer | shown) >= 0.8:
            return True
    return False


@lru_cache(maxsize=256)
def _shown_words(phrase: str) -> frozenset[str]:
    lex = _lexicon()
    return frozenset(_core([t[0] for t in _analyse(phrase, lex).tokens], lex))


def _german_only(criterion: str, required: bool) -> Line:
    what = "Verständnis" if criterion == "R2" else "einen nächsten Schritt"
    return Line(criterion, Verdict.MISSED if required else Verdict.TIP,
                f"{what} erkenne ich nur in einer deutschen Antwort.")


def _original_overlap(text: _Text, task: _Task, lex: Lexicon) -> tuple[bool, bool]:
    """Return (is a copy, keeps the original's words)."""
    original = _core(_tokens(normalise(task.original)), lex)
    answer = _core([t[0] for t in text.tokens], lex)
    if not original:
        return False, False
    copy = answer == original or (bool(answer) and set(answer) <= set(original))
    # A clause of the original kept: word for word inside a longer clause ("Das steht alles
    # in der Anleitung"), or as a whole clause in another order ("Ich weiß es nicht").
    clauses = [_core(_tokens(c), lex) for c in re.split(r"[.:;!?,]", normalise(task.original))]
    segments = [_same_pronoun(_core(words, lex)) for words in _segments(text)]
    kept = any(
        (len(c) >= 4 and _contains(answer, c)) or (len(c) >= 3 and _same_pronoun(c) in segments)
        for c in clauses
    )
    return copy, kept and task.original_is_dead_end


def _segments(text: _Text) -> list[list[str]]:
    found: dict[int, list[str]] = {}
    for (word, _, _), segment in zip(text.tokens, text.segment_ids, strict=True):
        found.setdefault(segment, []).append(word)
    return list(found.values())


def _same_pronoun(words: list[str]) -> frozenset[str]:
    # "Das weiß ich nicht" and "Ich weiß es nicht" keep the same words
    return frozenset("das" if w in ("es", "dies") else w for w in words)


def _r1_lines(
    dead: list[tuple[_Category, _Hit]], negated_acks: list[_Hit], kept: bool, task: _Task,
    take_back: _Hit | None,
) -> list[Line]:
    lines = []
    if kept:
        lines.append(_missed(
            "R1", f"Du übernimmst die Worte des Originals („{task.original.rstrip('.?!')}“) – "
            "formuliere die Grenze neu und zeig, was du tust."
        ))
    for category, hit in dead:
        lines.append(_missed("R1", f"„{hit.quote}“: {category.feedback}"))
    if negated_acks:
        lines.append(_missed(
            "R1", f"Dein Verständnis ist verneint („{negated_acks[0].quote}“ mit „nicht“/„kein“) "
            "– das wirkt abweisend."
        ))
    if take_back is not None and not dead:
        lines.append(_missed(
            "R1", f"„{take_back.quote}“ nimmt dein Verständnis wieder zurück, und es folgt kein "
            "Schritt – sag, was du tust."
        ))
    return lines


def _r2_line(
    text: _Text, task: _Task, lex: Lexicon, acks: list[_Hit], ways: list[_Hit], hollow: bool
) -> tuple[Line, bool]:
    missing = Verdict.MISSED if "R2" in task.required else Verdict.TIP
    regrets = [
        h for h in _find(lex.regret_if_followed_by_step, text)
        if any(w.start > h.start for w in ways)
    ]
    found = sorted(acks + regrets, key=lambda h: h.start)
    if found and hollow:
        return Line("R2", missing, f"Dein Verständnis („{found[0].quote}“) wird durch Sackgasse, "
                    "Vorwurf oder Unhöflichkeit zurückgenommen – so zählt es nicht."), False
    if found:
        return Line("R2", Verdict.MET, f"Du zeigst Verständnis („{found[0].quote}“)."), True
    if missing is Verdict.MISSED:
        return Line("R2", missing, "Es fehlt eine Anerkennung: Zeig Verständnis, bedaure die "
                    "Lage oder entschuldige dich (z. B. „Das ist wirklich ärgerlich.“)."), False
    return Line("R2", missing, "Gut wäre noch ein Satz, der Verständnis zeigt "
                "(z. B. „Das ist ärgerlich.“)."), False


def _r3_line(
    task: _Task, ways: list[_Hit], dead: list[tuple[_Category, _Hit]]
) -> tuple[Line, bool]:
    missing = Verdict.MISSED if "R3" in task.required else Verdict.TIP
    if ways:
        found = f"Du bietest einen Weg nach vorn an („{ways[0].quote}“)."
        return Line("R3", Verdict.MET, found), True
    if any(c.ident in _REFERRALS for c, _ in dead):
        return Line("R3", missing, "Ein Verweis ohne Übergabe ist kein nächster Schritt: "
                    "Verbinde, eröffne ein Ticket oder kläre selbst, wer zuständig ist."), False
    if missing is Verdict.MISSED:
        return Line("R3", missing,
                    "Es fehlt ein nächster Schritt: Was tust du als Nächstes, und bis wann?"), False
    return Line("R3", missing, "Gut wäre noch ein nächster Schritt "
                "(z. B. „Ich kümmere mich sofort darum.“)."), False


# Dead-end categories that send the customer elsewhere (their R3 hint names the handover).
_REFERRALS = ("referral", "not-responsible", "customer-does-it")


# --------------------------------------------------------------------------- CLI


def _answer_line(number: int, line: str) -> dict[str, Any]:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"error": f"invalid JSON: {exc.msg}", "line": number}
    if not isinstance(item, dict):
        return {"error": "expected a JSON object", "line": number}
    first = item.get("key", item.get("original"))
    rewrite = item.get("rewrite")
    if not isinstance(first, str) or not isinstance(rewrite, str):
        return {"error": "need string fields 'rewrite' and 'key' or 'original'", "line": number}
    try:
        result = check_rewrite(first, rewrite)
    except (TypeError, ValueError) as exc:
        return {"error": str(exc), "line": number}
    return {"passed": result.passed, "criteria": result.criteria,
            "feedback": [str(line) for line in result.feedback]}


def main(argv: Sequence[str] | None = None) -> int:
    """Read JSON lines from stdin and write one JSON result line per input line."""
    if argv and any(arg in ("-h", "--help") for arg in argv):
        print(__doc__)
        return 0
    try:
        lines = sys.stdin.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"cannot read stdin: {exc}", file=sys.stderr)
        return 2
    for number, line in enumerate(lines, start=1):
        if line.strip():
            print(json.dumps(_answer_line(number, line), ensure_ascii=False), flush=False)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
