"""The input rail: decides crisis, redirect or pass for a user message.

    >>> guard = InputGuard.from_files()
    >>> guard.check("how many grams of kratom should I take").rule
    'dosing.how_much'

Crisis rules always win over redirect rules, whatever order they appear in. A short follow-up
("how much?", "and with xanax?") is judged again together with the user's previous turns, so a
request split across messages is still caught. Any error inside the check yields the
fail-closed verdict (redirect with resources), never a pass.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .classifier import MODEL_FILE, GuardModel
from .normalize import normalize
from .policy import Policy, Rule, load_policy
from .responses import DATA_DIR, load_response_keys
from .verdict import InputVerdict, Language, fail_closed

log = logging.getLogger(__name__)

POLICY_FILE = DATA_DIR / "policy.yml"


# Rule ids used when the statistical model, not a written rule, flags a message.
MODEL_RULES = {"crisis": ("model.crisis", "suicide", "crisis_suicide"),
               "redirect": ("model.redirect", "general", "redirect_general")}


@dataclass
class InputGuard:
    policy: Policy | None
    load_error: str | None = None
    model: GuardModel | None = None

    @classmethod
    def from_files(
        cls, policy_path: Path | None = None, responses_path: Path | None = None, model_path: Path | None = None
    ) -> "InputGuard":
        """Load the policy and model; a missing or invalid file gives a guard that refuses everything."""
        try:
            keys = load_response_keys(responses_path)
            return cls(
                policy=load_policy(policy_path or POLICY_FILE, keys),
                model=GuardModel.load(model_path or MODEL_FILE),
            )
        except Exception as exc:  # noqa: BLE001 - fail closed on any loading problem
            log.error("guardrail policy could not be loaded, refusing all messages: %s", exc)
            return cls(policy=None, load_error=str(exc))

    def language(self, text: str) -> Language:
        if self.policy is None:
            return "en"
        folded = normalize(text).text
        hits = sum(len(p.findall(folded)) for p in self.policy.spanish)
        words = max(1, len(folded.split()))
        return "es" if hits >= 2 or (hits >= 1 and words <= 3) or "¿" in text else "en"

    def _first_match(self, folded: str, routes: tuple[str, ...] = ("crisis", "redirect")) -> Rule | None:
        assert self.policy is not None
        for route in routes:
            for rule in self.policy.rules:
                if rule.route == route and rule.matches(folded):
                    return rule
        return None

    def check(self, text: str, context: Sequence[str] = ()) -> InputVerdict:
        """Judge one user message; ``context`` holds the user's earlier turns, oldest first."""
        try:
            if self.policy is None:
                return fail_closed()
            lang = self.language(text)
            folded = normalize(text).text
            rule = self._first_match(folded)
            via_context = False
            if rule is None and context and self.policy.context.is_followup(folded):
                recent = [normalize(t).text for t in context[-self.policy.context.max_turns :]]
                # Only redirect rules: an earlier crisis turn must not hide a split dosing question.
                combined = self._first_match(" ".join([*recent, folded]), routes=("redirect",))
                if combined is not None:
                    rule, via_context = combined, True
            if rule is not None and rule.route == "redirect" and self.model is not None:
                # Crisis outranks redirect: "what amount would make sure I don't wake up" reads
                # as a dosing question to the rules, but it is a request for a lethal amount.
                if self.model.verdict(text) == "crisis":
                    rule_id, category, response = MODEL_RULES["crisis"]
                    return InputVerdict(route="crisis", rule=rule_id, category=category, response=response, lang=lang)
            if rule is None and self.model is not None:
                # The model adds recall for wordings the rules miss; it never removes a verdict.
                flagged = self.model.verdict(text)
                if flagged is None and context and self.policy.context.is_followup(folded):
                    flagged = self.model.verdict(" ".join([*context[-self.policy.context.max_turns :], text]))
                    flagged = flagged if flagged == "redirect" else None
                if flagged is not None:
                    rule_id, category, response = MODEL_RULES[flagged]
                    return InputVerdict(route=flagged, rule=rule_id, category=category, response=response, lang=lang)  # type: ignore[arg-type]
            if rule is None:
                return InputVerdict(route="pass", rule=None, category=None, response=None, lang=lang)
            return InputVerdict(
                route=rule.route,  # type: ignore[arg-type]
                rule=rule.id,
                category=rule.category,
                response=rule.response,
                lang=lang,
                via_context=via_context,
            )
        except Exception:  # noqa: BLE001 - a check that errors must not let the message through
            log.exception("input check failed; failing closed")
            return fail_closed()
