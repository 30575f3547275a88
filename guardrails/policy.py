"""The guardrail policy: rules loaded from YAML into typed, validated objects.

Shape of ``policy.yml`` (see the file itself for the real thing)::

    version: 1
    terms:                 # named regex fragments, used in patterns as {NAME}
      KRATOM: 'kratom|mitragyn\\w*'
    context:               # how a short follow-up is judged with the turns before it
      max_turns: 3
      followup: ['^(and|what about) ']
    rules:
      - id: dosing.how_much
        route: redirect                 # crisis | redirect
        category: dosing                # what the reply explains
        response: redirect_dosing       # a template in responses.yml
        when:                           # fires if any item matches
          - 'how (much|many) .{0,40}{KRATOM}'
          - all: ['{AMOUNT}', '{KRATOM}']   # every pattern must match
            none: ['^why ']                 # and none of these
        unless: ['dose-dependent']      # never fires if one of these matches
        examples:
          fire: ['how much kratom should I take']
          pass: ['why will you not give me a dose?']

Patterns are Python regular expressions matched (``re.search``) against normalized text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .schema import PolicyError, check_keys, expect, load_yaml, string_list

ROUTES = ("crisis", "redirect")
STRENGTHS = ("hard", "soft")
CATEGORIES = {
    "crisis": ("suicide", "emergency", "lethal_amount"),
    "redirect": ("dosing", "self_treatment", "combination", "manufacture", "sourcing", "general"),
}
_TERM = re.compile(r"\{([A-Z_]+)\}")
_QUOTED = re.compile(r"(?<!\w)'[^']{3,300}'(?!\w)|\"[^\"]{3,300}\"|[“«][^”»]{3,300}[”»]")

_ACCENTED = re.compile("[áéíóúñ]")


@dataclass(frozen=True)
class Condition:
    """All of ``all_of`` match and none of ``none_of`` match."""

    all_of: tuple[re.Pattern[str], ...]
    none_of: tuple[re.Pattern[str], ...]

    def matches(self, text: str) -> bool:
        return all(p.search(text) for p in self.all_of) and not any(
            p.search(text) for p in self.none_of
        )


@dataclass(frozen=True)
class Rule:
    id: str
    route: str
    category: str
    response: str
    when: tuple[Condition, ...]
    unless: tuple[re.Pattern[str], ...]
    fire_examples: tuple[str, ...]
    pass_examples: tuple[str, ...]
    # "hard": always redirects (an explicit request for a personal amount, schedule, source
    # or recipe). "soft": the judge may overrule it when it is confident the message asks
    # for general information or is off topic. A soft *crisis* rule (words of an emergency
    # that general questions use too: "call 911", "medical emergency") is never dropped: when
    # the judge is confident the message is a general question, it gets its answer with the
    # crisis line first instead of the crisis reply.
    strength: str = "hard"

    def matches(self, text: str) -> bool:
        return any(c.matches(text) for c in self.when) and not any(
            p.search(text) for p in self.unless
        )


@dataclass(frozen=True)
class ContextPolicy:
    max_turns: int
    followup: tuple[re.Pattern[str], ...]

    def is_followup(self, text: str) -> bool:
        return any(p.search(text) for p in self.followup)


@dataclass(frozen=True)
class SomeoneElse:
    """Whether a crisis message is about another person ("my client says he wants to end his
    life") rather than the writer: then the reply speaks to the helper. ``self_`` wins: any sign
    that the writer is in crisis too keeps the first-person reply."""

    other: tuple[re.Pattern[str], ...] = ()
    self_: tuple[re.Pattern[str], ...] = ()
    helper: tuple[re.Pattern[str], ...] = ()  # the helper's own words, left out before ``self_``
    examples_other: tuple[str, ...] = ()
    examples_self: tuple[str, ...] = ()

    def about_other(self, text: str) -> bool:
        if not any(p.search(text) for p in self.other):
            return False
        own = _QUOTED.sub(" ", text)  # someone else's words, quoted, are not the writer's
        for pattern in self.helper:  # nor are the helper's own questions and worries
            own = pattern.sub(" ", own)
        return not any(p.search(own) for p in self.self_)


@dataclass(frozen=True)
class Policy:
    version: int
    rules: tuple[Rule, ...]
    context: ContextPolicy
    spanish: tuple[re.Pattern[str], ...]
    someone_else: SomeoneElse = SomeoneElse()
    english: tuple[re.Pattern[str], ...] = ()  # signs of English: Spanish must outnumber them

    def language(self, folded: str, raw: str = "") -> str:
        """"es" for a message with an inverted ? or !, or whose Spanish signs (an accented
        letter in the raw text counts as one) outnumber its English ones; else "en". The web
        widget's ``looksSpanish`` applies the same rule to the same lists."""
        if "¿" in raw or "¡" in raw:
            return "es"
        spanish = sum(len(p.findall(folded)) for p in self.spanish) + (1 if _ACCENTED.search(raw.lower()) else 0)
        english = sum(len(p.findall(folded)) for p in self.english)
        return "es" if spanish >= 1 and spanish > english else "en"

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def _compile(where: str, pattern: str, terms: dict[str, str]) -> re.Pattern[str]:
    def expand(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in terms:
            raise PolicyError(f"{where}: unknown term {{{name}}}")
        return f"(?:{terms[name]})"

    source = pattern
    for _ in range(5):  # terms may use other terms; five levels is plenty
        if not _TERM.search(source):
            break
        source = _TERM.sub(expand, source)
    else:
        raise PolicyError(f"{where}: terms nest too deeply in {pattern!r}")
    try:
        return re.compile(source)
    except re.error as exc:
        raise PolicyError(f"{where}: bad pattern {pattern!r}: {exc}") from exc


def _patterns(where: str, value: Any, terms: dict[str, str]) -> tuple[re.Pattern[str], ...]:
    return tuple(
        _compile(f"{where}[{i}]", p, terms) for i, p in enumerate(string_list(where, value))
    )


def _condition(where: str, item: Any, terms: dict[str, str]) -> Condition:
    if isinstance(item, str):
        return Condition(all_of=(_compile(where, item, terms),), none_of=())
    data = check_keys(where, item, {"all"}, {"none"})
    return Condition(
        all_of=_patterns(f"{where}.all", data["all"], terms),
        none_of=_patterns(f"{where}.none", data.get("none", []), terms),
    )


def _rule(where: str, data: Any, terms: dict[str, str], responses: set[str] | None) -> Rule:
    data = check_keys(
        where, data, {"id", "route", "category", "response", "when", "examples"}, {"unless", "strength"}
    )
    rule_id = expect(f"{where}.id", data["id"], str)
    where = f"rule {rule_id}"
    route = expect(f"{where}.route", data["route"], str)
    if route not in ROUTES:
        raise PolicyError(f"{where}.route: {route!r} is not one of {', '.join(ROUTES)}")
    category = expect(f"{where}.category", data["category"], str)
    if category not in CATEGORIES[route]:
        raise PolicyError(
            f"{where}.category: {category!r} is not a {route} category "
            f"({', '.join(CATEGORIES[route])})"
        )
    response = expect(f"{where}.response", data["response"], str)
    if responses is not None and response not in responses:
        raise PolicyError(f"{where}.response: no template {response!r} in responses.yml")
    strength = expect(f"{where}.strength", data.get("strength", "hard"), str)
    if strength not in STRENGTHS:
        raise PolicyError(f"{where}.strength: must be one of {', '.join(STRENGTHS)}")
    when = expect(f"{where}.when", data["when"], list)
    if not when:
        raise PolicyError(f"{where}.when: needs at least one pattern")
    examples = check_keys(f"{where}.examples", data["examples"], {"fire"}, {"pass"})
    fire = string_list(f"{where}.examples.fire", examples["fire"])
    if not fire:
        raise PolicyError(f"{where}.examples.fire: needs at least one example")
    return Rule(
        id=rule_id,
        route=route,
        category=category,
        response=response,
        when=tuple(_condition(f"{where}.when[{i}]", c, terms) for i, c in enumerate(when)),
        unless=_patterns(f"{where}.unless", data.get("unless", []), terms),
        fire_examples=fire,
        pass_examples=string_list(f"{where}.examples.pass", examples.get("pass", [])),
        strength=strength,
    )


def parse_policy(data: Any, responses: set[str] | None = None, where: str = "policy") -> Policy:
    """Build a Policy from already-parsed YAML; raise PolicyError naming the bad key."""
    data = check_keys(where, data, {"version", "terms", "context", "rules", "spanish"}, {"someone_else", "english"})
    version = expect(f"{where}.version", data["version"], int)
    if version != 1:
        raise PolicyError(f"{where}.version: only version 1 is understood, got {version}")
    terms_raw = expect(f"{where}.terms", data["terms"], dict)
    terms: dict[str, str] = {}
    for name, value in terms_raw.items():
        if not re.fullmatch(r"[A-Z_]+", str(name)):
            raise PolicyError(f"{where}.terms: name {name!r} must be UPPER_CASE")
        terms[name] = expect(f"{where}.terms.{name}", value, str)
    context = check_keys(f"{where}.context", data["context"], {"max_turns", "followup"})
    rules_raw = expect(f"{where}.rules", data["rules"], list)
    rules = tuple(_rule(f"{where}.rules[{i}]", r, terms, responses) for i, r in enumerate(rules_raw))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise PolicyError(f"{where}: duplicate rule id {rule.id}")
        seen.add(rule.id)
    return Policy(
        version=version,
        rules=rules,
        context=ContextPolicy(
            max_turns=expect(f"{where}.context.max_turns", context["max_turns"], int),
            followup=_patterns(f"{where}.context.followup", context["followup"], terms),
        ),
        spanish=_patterns(f"{where}.spanish", data["spanish"], terms),
        english=_patterns(f"{where}.english", data.get("english", []), terms),
        someone_else=_someone_else(f"{where}.someone_else", data.get("someone_else"), terms),
    )


def _someone_else(where: str, data: Any, terms: dict[str, str]) -> SomeoneElse:
    if data is None:
        return SomeoneElse()
    data = check_keys(where, data, {"other", "self"}, {"helper", "examples"})
    examples = check_keys(f"{where}.examples", data.get("examples") or {}, set(), {"other", "self"})
    return SomeoneElse(
        other=_patterns(f"{where}.other", data["other"], terms),
        self_=_patterns(f"{where}.self", data["self"], terms),
        helper=_patterns(f"{where}.helper", data.get("helper", []), terms),
        examples_other=tuple(string_list(f"{where}.examples.other", examples.get("other", []))),
        examples_self=tuple(string_list(f"{where}.examples.self", examples.get("self", []))),
    )


def load_policy(path: Path, responses: set[str] | None = None) -> Policy:
    return parse_policy(load_yaml(path), responses, where=str(path))
