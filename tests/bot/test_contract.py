"""The reply contract: every route round-trips through its one encode/decode pair."""

import json

import pytest

from bot.contract import Candidate, ContractError, Decision, ReplyData, Resource, Route, Source, reply_data_of
from guardrails.verdict import InputVerdict


def _verdict(route="pass", **kw):
    return InputVerdict(route=route, rule=kw.get("rule"), category=kw.get("category"), response=kw.get("response"),
                        lang=kw.get("lang", "en"), judge=kw.get("judge"), overruled=kw.get("overruled"))


DECISIONS = [
    Decision.guarded(_verdict("crisis", rule="crisis.suicide_intent", category="suicide", response="crisis_suicide")),
    Decision.guarded(_verdict("redirect", rule="judge.dosing", category="dosing", response="redirect_dosing",
                              judge={"dosing": 0.97, "information": 0.01})),
    Decision.small_talk(_verdict(lang="es"), "greet"),
    Decision.answer(_verdict(judge={"information": 0.99}, overruled="combination.with_substance"),
                    Candidate("kratom-with-depressants-danger", 0.91),
                    (Candidate("kratom-with-depressants-danger", 0.91), Candidate("kratom-drug-interactions", 0.7))),
    Decision.fallback(_verdict(), (Candidate("what-is-kratom", 0.2),), question="What is kratom?"),
]


def test_every_route_is_covered():
    assert {d.route for d in DECISIONS} == set(Route)


@pytest.mark.parametrize("decision", DECISIONS, ids=[d.route.value for d in DECISIONS])
def test_decision_round_trips(decision):
    assert Decision.decode(decision.encode()) == decision
    assert Decision.decode(json.loads(decision.encode())) == decision


@pytest.mark.parametrize("route", list(Route))
def test_reply_data_round_trips(route):
    data = ReplyData(route, route.value, "es", "UK", rule="r", entry_id="e", score=0.5,
                     sources=(Source("FDA", "FDA and Kratom", "https://www.fda.gov/x", "2026-12-01"),),
                     more_sources=2, resources=(Resource("Samaritans", "https://www.samaritans.org", phone="116 123"),),
                     buttons=("What is kratom?",), blocked=True)
    assert ReplyData.decode(data.encode()) == data
    assert reply_data_of({"data": data.encode()}) == data
    assert reply_data_of({"data": data.to_dict()}) == data


@pytest.mark.parametrize("raw", [
    '{"route": "answer", "kind": "answer", "surprise": 1}',
    '{"route": "not-a-route", "kind": "answer"}',
    "not json",
    "[1, 2]",
])
def test_bad_reply_data_is_refused(raw):
    with pytest.raises(ContractError):
        ReplyData.decode(raw)
    assert reply_data_of({"data": raw}) is None


def test_a_decision_with_a_changed_verdict_shape_is_refused():
    raw = json.loads(DECISIONS[0].encode())
    raw["verdict"]["extra"] = True
    with pytest.raises(ContractError):
        Decision.decode(raw)
