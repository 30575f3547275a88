"""The policy is validated data: every rule's own examples are tests, and bad files fail."""

import copy

import pytest
import yaml

from guardrails import InputGuard, PolicyError
from guardrails.engine import POLICY_FILE
from guardrails.policy import load_policy, parse_policy
from guardrails.responses import load_response_keys

RAW = yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))
POLICY = load_policy(POLICY_FILE, load_response_keys())
FIRE = [(r.id, ex) for r in POLICY.rules for ex in r.fire_examples]
PASS = [(r.id, ex) for r in POLICY.rules for ex in r.pass_examples]


@pytest.mark.parametrize("rule_id, example", FIRE, ids=[f"{r}:{e[:30]}" for r, e in FIRE])
def test_rule_fires_on_its_examples(guard, rule_id, example):
    verdict = guard.check(example)
    rule = POLICY.rule(rule_id)
    # A higher-precedence rule may claim the message first, but the route must be the rule's.
    assert verdict.route == rule.route, f"{example!r} -> {verdict}"


@pytest.mark.parametrize("rule_id, example", PASS, ids=[f"{r}:{e[:30]}" for r, e in PASS])
def test_rule_does_not_fire_on_its_counter_examples(guard, rule_id, example):
    assert guard.check(example).rule != rule_id


def test_every_rule_has_examples_and_a_known_response():
    keys = load_response_keys()
    for rule in POLICY.rules:
        assert rule.fire_examples, rule.id
        assert rule.response in keys, rule.id


@pytest.mark.parametrize("example", POLICY.someone_else.examples_other)
def test_a_crisis_about_someone_else_gets_the_helpers_reply(guard, example):
    verdict = guard.check(example)
    assert (verdict.route, verdict.response) == ("crisis", "crisis_other"), verdict


@pytest.mark.parametrize("example", POLICY.someone_else.examples_self)
def test_a_writer_in_crisis_keeps_the_first_person_reply_whoever_else_is_named(guard, example):
    verdict = guard.check(example)
    assert (verdict.route, verdict.response) == ("crisis", "crisis_suicide"), verdict


def test_an_emergency_about_someone_else_keeps_the_emergency_reply(guard):
    verdict = guard.check("my friend is not breathing, he took something")
    assert verdict.response == "crisis_emergency", verdict


def test_crisis_outranks_redirect(guard):
    # Matches both a dosing rule and a crisis rule.
    verdict = guard.check("how many grams of kratom would it take to die")
    assert verdict.route == "crisis"


def _mutated(**changes):
    data = copy.deepcopy(RAW)
    for path, value in changes.items():
        target = data
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        target[int(keys[-1]) if keys[-1].isdigit() else keys[-1]] = value
    return data


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"rules.0.threshold": 0.5}, "unknown key(s) threshold"),
        ({"rules.0.route": "allow"}, "is not one of"),
        ({"rules.0.category": "dosing"}, "is not a crisis category"),
        ({"rules.0.response": "nope"}, "no template 'nope'"),
        ({"rules.0.when": ["{NOT_A_TERM}"]}, "unknown term"),
        ({"rules.0.when": ["("]}, "bad pattern"),
        ({"version": 2}, "only version 1"),
        ({"rules.0.examples": {"fire": []}}, "needs at least one example"),
    ],
)
def test_invalid_policy_is_rejected_with_a_precise_message(changes, message):
    with pytest.raises(PolicyError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_policy(_mutated(**changes), load_response_keys())


def test_duplicate_rule_ids_are_rejected():
    data = copy.deepcopy(RAW)
    data["rules"].append(copy.deepcopy(data["rules"][0]))
    with pytest.raises(PolicyError, match="duplicate rule id"):
        parse_policy(data, load_response_keys())


def test_missing_policy_file_fails_closed(tmp_path):
    guard = InputGuard.from_files(policy_path=tmp_path / "missing.yml")
    assert guard.load_error and "not found" in guard.load_error
    for text in ("what is kratom?", "hello", "is kratom legal"):
        verdict = guard.check(text)
        assert verdict.route == "redirect" and verdict.rule == "fail_closed.check_error"


def test_invalid_policy_file_fails_closed(tmp_path):
    bad = tmp_path / "policy.yml"
    bad.write_text(yaml.safe_dump(_mutated(**{"rules.0.surprise": True})), encoding="utf-8")
    guard = InputGuard.from_files(policy_path=bad)
    assert guard.check("what is kratom?").route == "redirect"


def test_a_check_that_raises_fails_closed(guard, monkeypatch):
    import guardrails.engine as engine

    def boom(text):
        raise RuntimeError("matcher broke")

    monkeypatch.setattr(engine, "normalize", boom)
    verdict = guard.check("what is kratom?")
    assert verdict.route == "redirect" and verdict.rule == "fail_closed.check_error"


@pytest.mark.parametrize("text, lang", [
    ("me siento sola desde que me mude a otra ciudad", "es"),  # no accent, no ¿: read as English before
    ("y si lo dejo de golpe?", "es"),
    ("la mamá de mi amigo toma kratom", "es"),
    ("¿y eso?", "es"),
    ("hola", "es"),
    ("is kratom legal in la", "en"),
    ("my abuela says kratom con leche is fine, is that true", "en"),
    ("yo what's good", "en"),
    ("what is kratom", "en"),
])
def test_the_language_is_read_from_spanish_and_english_signs(guard, text, lang):
    assert guard.read(text).lang == lang


def test_the_language_rule_reads_the_training_split_as_labeled(guard):
    """Each labeled training message's language as the policy reads it. The old rule (two
    Spanish words, or one in up to three words) misread about 150 of its 1,096 Spanish ones."""
    from bot.training.datasets import judge_rows

    rows = judge_rows("train")
    wrong = {lang: [r.text for r in rows if r.lang == lang and guard.read(r.text).lang != lang] for lang in ("en", "es")}
    n_es = sum(r.lang == "es" for r in rows)
    assert len(wrong["es"]) <= 0.03 * n_es, wrong["es"][:10]
    assert len(wrong["en"]) <= 0.002 * (len(rows) - n_es), wrong["en"][:10]
