"""The output rail: no reply may carry dose-like instructions, whatever produced it.

It is deliberately stricter than the input rules: an amount with a unit, "N times a day",
"every N hours" or a taper step blocks the reply. Phone numbers, years, percentages and
counts of people pass, because they carry no unit. The same check guards knowledge-base
entries at validation time, so a dose cannot be written into an answer in the first place.
"""

from __future__ import annotations

import re

from .normalize import normalize
from .verdict import OutputVerdict

_NUM = r"(?:\d+(?:[.,]\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|half(?: a)?|a half|a quarter|quarter)"
_UNITS = (
    r"g|gs|gr|grams?|gramos?|mg|mgs|milligrams?|miligramos?|mcg|micrograms?|µg|ug|kg|ml|mls|"
    r"milliliters?|cc|oz|ounces?|capsules?|caps|capsulas?|pills?|pastillas?|tabs?|tablets?|"
    r"teaspoons?|tsps?|tablespoons?|tbsps?|cucharaditas?|scoops?|spoons?|drops?|gotas?"
)

_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("output.dose_unit", re.compile(rf"\b{_NUM}\s?(?:-|to|–)?\s?(?:{_NUM}\s?)?(?:{_UNITS})\b")),
    (
        "output.frequency",
        re.compile(
            rf"\b(?:{_NUM}|once|twice|thrice)\s?(?:-|to)?\s?(?:{_NUM}\s)?(?:times?\s)?(?:a|per|each|every)\s(?:day|night|week|morning|evening)\b"
            r"|\b(?:once|twice|thrice)\s(?:daily|nightly)\b|\bveces al dia\b"
        ),
    ),
    (
        "output.interval",
        re.compile(rf"\bevery\s(?:{_NUM}\s?(?:-|to)?\s?(?:{_NUM}\s)?)?(?:hours?|hrs?|h)\b"),
    ),
    (
        "output.taper_step",
        re.compile(
            r"\b(?:reduce|cut|lower|decrease|drop|taper)\s(?:it|your\s\w+|the\s\w+|by)?\s?(?:by\s)?\d+\s?(?:%|percent)"
            r"|\b(?:week|day)\s\d+\s?[:\-]\s?.{0,20}\d"
        ),
    ),
)


def check_output(text: str) -> OutputVerdict:
    """Return whether a reply may be sent, naming the rule that blocked it if not.

    Raises nothing: any internal error blocks the reply (fail closed).
    """
    try:
        folded = normalize(text).text
        for rule_id, pattern in _RULES:
            match = pattern.search(folded)
            if match:
                return OutputVerdict(allowed=False, rule=rule_id, excerpt=match.group(0))
        return OutputVerdict(allowed=True)
    except Exception:  # noqa: BLE001 - a check that fails must block, not pass
        return OutputVerdict(allowed=False, rule="output.check_error")
