"""Typed results of the input and output checks: never a bare bool.

    InputVerdict(route="redirect", rule="dosing.how_much", category="dosing", ...)
    OutputVerdict(allowed=False, rule="output.dose_unit", excerpt="5 g")
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

InputRoute = Literal["crisis", "redirect", "pass"]
Language = Literal["en", "es"]

REDIRECT_LABELS = ("dosing", "self_treatment", "combination", "manufacture", "sourcing")

# Rule ids used when the check itself cannot run: the message is redirected, never passed.
FAIL_CLOSED_RULE = "fail_closed.check_error"


@dataclass(frozen=True)
class InputVerdict:
    """What the input check decided and who decided it.

    ``rule`` names the policy rule or the judge (``judge.crisis``, ``judge.dosing``, ...);
    ``judge`` holds the judge's class probabilities when it ran; ``overruled`` names a soft
    rule that fired but was overruled because the judge was confident the message asks for
    general information (or is off topic).
    """

    route: InputRoute
    rule: str | None
    category: str | None
    response: str | None
    lang: Language
    via_context: bool = False
    judge: dict[str, float] | None = None
    overruled: str | None = None
    crisis_hint: bool = False  # the judge's crisis score is below the crisis reply but above the hint:
    # the ordinary reply comes with the crisis line first

    @property
    def score(self) -> float | None:
        """The judge's probability for the class behind this verdict, if the judge decided it."""
        if self.judge is None or self.rule is None or not self.rule.startswith("judge."):
            return None
        if self.route == "redirect":
            return round(sum(self.judge.get(c, 0.0) for c in REDIRECT_LABELS), 4)
        return self.judge.get(self.rule.split(".", 1)[1])

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
