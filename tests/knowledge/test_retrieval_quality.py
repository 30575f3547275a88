"""Retrieval, graded by the entry it picks, on the evaluation split (data/eval/).

The threshold is calibrated on data/calibrate/ (``kratom-assistant kb calibrate``); none of
these questions was used for it or copied from an entry. Every figure goes through
``Assistant.decide``, exactly as a user's message does (normalized, one embedding, the judge).
"""

from collections import defaultdict

import pytest

from bot.contract import Route, Turn
from tests.conftest import DATA, read_jsonl

EVAL = DATA / "eval"
PARAPHRASES = read_jsonl(EVAL / "paraphrases.jsonl")
SPANISH = read_jsonl(EVAL / "paraphrases-es.jsonl")
CONFUSABLES = read_jsonl(EVAL / "confusables.jsonl")
OUT_OF_SCOPE = read_jsonl(EVAL / "out-of-scope.jsonl")


def _picks(assistant, rows):
    out = []
    for row in rows:
        decision = assistant.decide(Turn(row["text"], "US"))
        ids = [c.entry_id for c in decision.candidates]
        out.append((row, decision, ids))
    return out


def _top(picks):
    top1 = sum(d.route is Route.ANSWER and d.entry_id == r["entry_id"] for r, d, _ in picks) / len(picks)
    top3 = sum(r["entry_id"] in ids for r, _, ids in picks) / len(picks)
    return top1, top3


def test_the_sets_are_fresh_and_cover_every_entry(assistant):
    import re

    fold = lambda t: re.sub(r"[^a-z0-9]+", " ", t.lower()).strip()  # noqa: E731
    known = {fold(t) for e in assistant.kb.entries.values() for t in e.texts}
    if_copied = [r["text"] for r in PARAPHRASES + SPANISH + CONFUSABLES if fold(r["text"]) in known]
    assert not if_copied
    per_entry = defaultdict(int)
    for row in PARAPHRASES:
        per_entry[row["entry_id"]] += 1
    thin = sorted(e for e in assistant.kb.entries if per_entry[e] < 3)
    assert not thin, thin


def test_paraphrases_get_their_own_entry(assistant):
    picks = _picks(assistant, PARAPHRASES)
    top1, top3 = _top(picks)
    misses = [(r["text"], r["entry_id"], d.route.value, ids[:3]) for r, d, ids in picks
              if not (d.route is Route.ANSWER and d.entry_id == r["entry_id"])]
    print(f"\nparaphrases (eval): top-1 {top1:.1%}, top-3 {top3:.1%} of {len(picks)}")
    for miss in misses:
        print("  ", miss)
    assert top1 >= FLOORS["top1"] and top3 >= FLOORS["top3"]


def test_spanish_paraphrases_get_their_own_entry(assistant):
    picks = _picks(assistant, SPANISH)
    top1, top3 = _top(picks)
    print(f"\nSpanish paraphrases (eval): top-1 {top1:.1%}, top-3 {top3:.1%} of {len(picks)}")
    for r, d, ids in picks:
        if not (d.route is Route.ANSWER and d.entry_id == r["entry_id"]):
            print("  ", r["text"], r["entry_id"], d.route.value, ids[:3])
    assert top1 >= FLOORS["es_top1"]


def test_confusable_pairs_each_get_their_own_entry(assistant):
    picks = _picks(assistant, CONFUSABLES)
    by_pair = defaultdict(lambda: [0, 0])
    for r, d, _ in picks:
        by_pair[r["pair"]][0] += d.route is Route.ANSWER and d.entry_id == r["entry_id"]
        by_pair[r["pair"]][1] += 1
    print("\nconfusable pairs (eval):", {k: f"{ok}/{n}" for k, (ok, n) in sorted(by_pair.items())})
    wrong = [(r["pair"], r["text"], r["entry_id"], d.entry_id) for r, d, _ in picks if d.entry_id != r["entry_id"]]
    assert len(wrong) <= FLOORS["confusable_misses"], wrong


def test_naloxone_is_never_answered_with_naltrexone(assistant):
    for text in ("What is naloxone?", "what is narcan", "how does naloxone reverse an overdose"):
        decision = assistant.decide(Turn(text, "US"))
        assert decision.entry_id in ("naloxone", "naloxone-vs-naltrexone"), (text, decision.entry_id)


def test_out_of_scope_goes_to_fallback(assistant):
    routes = [assistant.decide(Turn(r["text"], "US")).route for r in OUT_OF_SCOPE]
    rate = routes.count(Route.FALLBACK) / len(routes)
    print(f"\nout of scope -> fallback (eval): {rate:.1%} of {len(routes)}")
    assert rate >= FLOORS["oos_fallback"]


# Measured with the committed index and judge; targets: top-1 0.92, top-3 0.98, Spanish
# top-1 0.85, out of scope 0.95, confusables all right. See README for which are met.
# Measured 2026-12-02 (the judge with the crisis reply's threshold chosen over plain questions too):
# English top-1 79.6%, top-3 86.0%; Spanish top-1 59.3%; confusables 55 of 74 right; out of scope
# 95.0% (2026-12-01: 78.7, 85.6, 53.4, 55, 91.0). Floors one point under; targets not met yet.
FLOORS = {"top1": 0.786, "top3": 0.85, "es_top1": 0.583, "confusable_misses": 20, "oos_fallback": 0.94}



def test_an_entrys_own_question_is_answered_whatever_the_judge_calls_it(assistant):
    """The judge does not know the whole KB's scope: it calls some of the KB's own questions
    and phrasings off topic or small talk. Asked word for word, each is answered, from its own
    entry; its punctuation does not count."""
    from knowledge.entry import load_entries

    judged_away = []
    for entry in load_entries():
        texts = [entry.question, *entry.phrasings, *((entry.es.question, *entry.es.phrasings) if entry.es else ())]
        for text in texts:
            message = assistant.guard.read(text)
            verdict = assistant.guard.check(message)
            if verdict.route != "pass" or assistant.smalltalk.match(text, verdict.lang) is not None:
                continue  # a rule or a small-talk pattern decides: not the judge's guess
            if assistant._judged_off_topic(verdict) or assistant._judged_smalltalk(verdict):
                judged_away.append((text, entry.id))
    assert len(judged_away) >= 20
    decided = [(t, e, assistant.decide(Turn(t, "US"))) for t, e in judged_away]
    wrong = [(t, e, d.route, d.entry_id) for t, e, d in decided if d.route is not Route.ANSWER or d.entry_id != e]
    assert not wrong, wrong[:10]
    assert all(assistant._entry_question(assistant.guard.read(t.rstrip("?!. ") + " ?!").folded) for t, _ in judged_away)
