"""Typed results of the input and output checks: never a bare bool.

    InputVerdict(route="redirect", rule="dosing.how_much", category="dosing", ...)
    OutputVerdict(allowed=False, rule="output.dose_unit", excerpt="5 g")
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

InputRoute = Literal["crisis", "redirect", "pass"]
Language = Literal["en", "es"]

# Rule ids used when the check itself cannot run: the message is redirected, never passed.
FAIL_CLOSED_RULE = "fail_closed.check_error"


@dataclass(frozen=True)
class InputVerdict:
    route: InputRoute
    rule: str | None
    category: str | None
    response: str | None
    lang: Language
    via_context: bool = False

    @property
    def guarded(self) -> bool:
        return self.route != "pass"


@dataclass(frozen=True)
class OutputVerdict:
    allowed: bool
    rule: str | None = None
    excerpt: str | None = None


def fail_closed(lang: Language = "en") -> InputVerdict:
    """The verdict used when the policy is missing or a check raised."""
    return InputVerdict(
        route="redirect",
        rule=FAIL_CLOSED_RULE,
        category="fail_closed",
        response="redirect_fail_closed",
        lang=lang,
    )
