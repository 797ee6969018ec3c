"""Evidence that states the fact: cue sentences, the verified sentence, and bare mentions that are not evidence."""

from __future__ import annotations

import pytest

from adapters.cues import find_cues, owning_cue, states_fact
from adapters.sentences import sentence_of, text_sentences
from adapters.stated_evidence import CUE_SENTENCE, VERIFIED_SENTENCE, VerifiedSentence, stated_evidence

TEXT = (
    "Item 1. Business\n"
    "Harbor Tools, Inc. was founded in 1882 and incorporated in the State of Delaware in 1960. It makes pumps.\n"
    "We operate stores in Virginia, Maryland and Texas.\n"
    "Our principal executive offices are located at 5 Main Street, Austin, Texas 78701.\n"
    "We aim to reduce the emissions of our workforce by 2030.\n"
    "As of December 31, 2023, we had approximately 12,500 employees in 39 offices across 20 countries.\n"
    "Our shares trade on the New York Stock Exchange.\n"
)


def spans_text(text, ev):
    return [text[a:b] for a, b in ev.spans]


@pytest.mark.parametrize(("question", "truth", "expected"), [
    ("inc_state", "Delaware", ["Delaware"]),
    ("inc_year", "1960", ["1960"]),
    ("employees", "12500", ["12,500"]),
    ("hq_state", "Texas", ["Texas"]),
])
def test_the_stating_sentence_is_the_evidence(question, truth, expected):
    ev = stated_evidence(TEXT, question, truth)
    assert ev.status == "usable" and ev.rule == CUE_SENTENCE and spans_text(TEXT, ev) == expected
    for (a, b), (s, e) in zip(ev.spans, ev.sentences, strict=True):
        assert s <= a < b <= e and TEXT[s:e].endswith(".")
    hq = stated_evidence(TEXT, "hq_state", "Texas")
    assert hq.spans[0][0] == TEXT.index("Austin, Texas") + len("Austin, ")  # not the list of markets


@pytest.mark.parametrize(("question", "truth", "why"), [
    ("inc_year", "2030", "workforce by 2030"),  # a bare mention: not an incorporation
    ("inc_year", "1882", "founded"),  # the founding year, not the incorporation year
    ("hq_state", "Virginia", "a list of markets"),
    ("inc_state", "Texas", "the headquarters, not the incorporation"),
    ("employees", "39", "offices, not employees"),
    ("employees", "2023", "a date"),
    ("hq_state", "New York", "New York Stock Exchange"),
])
def test_a_bare_mention_is_not_evidence(question, truth, why):
    ev = stated_evidence(TEXT, question, truth)
    assert ev.status == "no_stating_sentence", why
    assert ev.spans == [] and ev.rule is None and "no sentence that states" in ev.reason


def test_an_answer_not_in_the_text_has_no_evidence():
    ev = stated_evidence(TEXT, "inc_state", "Oregon")
    assert ev.status == "no_evidence" and "not found in the text" in ev.reason


def test_the_verified_sentence_wins_and_is_narrowed_to_the_answer():
    sentence = "Our principal executive offices are located at 5 Main Street, Austin, Texas 78701."
    v = VerifiedSentence(sentence=sentence, offset=TEXT.index(sentence), surface="Austin, Texas", answer="Texas")
    ev = stated_evidence(TEXT, "hq_state", "Texas", v)
    assert ev.rule == VERIFIED_SENTENCE and spans_text(TEXT, ev) == ["Texas"] and not ev.warnings
    assert ev.sentences == [(TEXT.index(sentence), TEXT.index(sentence) + len(sentence))]
    moved = VerifiedSentence(sentence=sentence, offset=3, surface="Austin, Texas")  # found by its text
    assert stated_evidence(TEXT, "hq_state", "Texas", moved).spans == ev.spans


@pytest.mark.parametrize(("verified", "problem"), [
    (VerifiedSentence("Texas is big.", 0, "Texas"), "does not occur in the text"),
    (VerifiedSentence("We operate stores in Virginia, Maryland and Texas.", 0, "Ohio"), "surface 'Ohio'"),
    (VerifiedSentence("We operate stores in Virginia, Maryland and Texas.", 0, "Texas", answer="Ohio"),
     "not the ground truth"),
])
def test_an_unusable_verified_sentence_falls_back_to_the_cue_rule_with_a_warning(verified, problem):
    ev = stated_evidence(TEXT, "hq_state", "Texas", verified)
    assert ev.rule == CUE_SENTENCE and spans_text(TEXT, ev) == ["Texas"]
    assert len(ev.warnings) == 1 and problem in ev.warnings[0]


@pytest.mark.parametrize(("sentence", "question", "value", "states"), [
    ("We are a New York corporation formed in 1983.", "inc_state", "New York", True),
    ("We are a New York corporation formed in 1983.", "inc_year", "1983", True),
    ("FactSet was founded as a Delaware corporation in 1978, and our principal executive office is in "
     "Norwalk, Connecticut.", "inc_year", "1978", True),
    ("FactSet was founded as a Delaware corporation in 1978, and our principal executive office is in "
     "Norwalk, Connecticut.", "hq_state", "Connecticut", True),
    ("FactSet was founded as a Delaware corporation in 1978, and our principal executive office is in "
     "Norwalk, Connecticut.", "hq_state", "Delaware", False),
    ("EMCORE was established in 1986 as a New Jersey corporation.", "inc_year", "1986", True),
    ("The Company was originally incorporated in California in 1987 and reincorporated in Delaware in 2001.",
     "inc_state", "Delaware", True),
    ("The Company was originally incorporated in California in 1987 and reincorporated in Delaware in 2001.",
     "inc_year", "2001", False),
    ("We were incorporated in Delaware, and we operate stores in Texas.", "inc_state", "Texas", False),
    ("On December 29, 2020, the Company incorporated Rayont Malaysia Sdn Bhd.", "inc_year", "2020", False),
    ("At December 10, 2022, we employed 1,901 persons, 339 of whom were full-time.", "employees", "1,901", True),
    ("We had 39 offices across 20 countries with 11,203 employees.", "employees", "11,203", True),
    ("We had 39 offices across 20 countries with 11,203 employees.", "employees", "20", False),
    ("Our headquarters is in Seattle, Washington.", "hq_state", "Washington", True),
])
def test_which_cue_an_occurrence_belongs_to(sentence, question, value, states):
    at = sentence.index(value)
    assert states_fact(sentence, (0, len(sentence)), (at, at + len(value)), question) is states


def test_cues_overlap_resolution_and_bad_question():
    s = "Harbor was founded as a Delaware corporation in 1978."
    (cue,) = [c for c in find_cues(s) if c.kind == "incorporation"]
    assert s[cue.start : cue.end] == "founded as a Delaware corporation"  # the longer cue holds "founded"
    assert not [c for c in find_cues(s) if c.kind == "event"]
    assert owning_cue(s, [], (0, 3), "inc_year") is None
    with pytest.raises(ValueError, match="unknown question"):
        states_fact(s, (0, len(s)), (0, 3), "ceo")


def test_sentences_of_a_text():
    text = "Harbor Tools, Inc. On June 1, 2020, it moved. It sells U.S. pumps.\nHeading\nNo end"
    sents = text_sentences(text)
    assert [text[a:b] for a, b in sents] == ["Harbor Tools, Inc.", "On June 1, 2020, it moved.",
                                             "It sells U.S. pumps.", "Heading", "No end"]
    assert sentence_of(sents, (text.index("pumps"), text.index("pumps") + 5)) == sents[2]
    assert sentence_of(sents, (0, len(text))) is None
