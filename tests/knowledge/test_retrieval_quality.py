"""Retrieval quality with the real model, on sets written for this project (data/calibrate/)."""

import pytest

from bot.kb_commands import OUT_OF_SCOPE as OUT_OF_SCOPE_FILE
from bot.kb_commands import PARAPHRASES as PARAPHRASES_FILE
from tests.conftest import read_jsonl

PARAPHRASES = read_jsonl(PARAPHRASES_FILE)
OUT_OF_SCOPE = read_jsonl(OUT_OF_SCOPE_FILE)

pytestmark = pytest.mark.model  # the real embedding model and the built index


def test_paraphrases_are_not_copies_of_phrasings(assistant):
    import re

    fold = lambda t: re.sub(r"[^a-z0-9]+", " ", t.lower()).strip()  # noqa: E731
    known = {fold(t) for e in assistant.kb.entries.values() for t in e.texts}
    copies = [r["text"] for r in PARAPHRASES if fold(r["text"]) in known]
    assert not copies
    assert len(PARAPHRASES) >= 120 and len(OUT_OF_SCOPE) >= 40


def test_paraphrase_accuracy(assistant):
    top1 = top3 = 0
    misses = []
    for row in PARAPHRASES:
        ids = [c.entry_id for c in assistant.kb.search(row["text"], 3)]
        top1 += ids[0] == row["entry_id"]
        top3 += row["entry_id"] in ids
        if ids[0] != row["entry_id"]:
            misses.append((row["text"], row["entry_id"], ids))
    n = len(PARAPHRASES)
    print(f"\nparaphrases: top-1 {top1 / n:.1%}, top-3 {top3 / n:.1%} of {n}")
    assert top1 / n >= 0.90, misses
    assert top3 / n >= 0.97, misses


def test_out_of_scope_goes_to_fallback(assistant):
    routes = [assistant.decide(r["text"]).route for r in OUT_OF_SCOPE]
    rate = routes.count("fallback") / len(routes)
    print(f"\nout of scope -> fallback: {rate:.1%} of {len(routes)} (threshold {assistant.threshold})")
    assert rate >= 0.95


def test_paraphrases_are_answered_not_refused(assistant):
    routes = [assistant.decide(r["text"]).route for r in PARAPHRASES]
    answered = routes.count("answer") / len(routes)
    print(f"\nparaphrases answered: {answered:.1%}")
    assert answered >= 0.95
