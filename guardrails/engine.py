"""The input rail: decides crisis, redirect or pass for a user message.

    >>> guard = InputGuard.from_files(embedder=MiniLMEmbedder())
    >>> guard.check(guard.read("how many grams of kratom should I take")).rule
    'dosing.how_much'

Who decides, in this order:

1. **Crisis rules** always fire (recall first). They run before anything that could fail, so
   a crisis message gets crisis help even if the embedding model cannot run. A *soft* crisis
   rule (emergency words that general questions use too: "do Good Samaritan laws protect you
   if you call 911") still gives crisis help when the judge is confident the message is a
   general question or off topic: the reply it gets carries the crisis line first.
2. **The judge** (``judge.py``) adds crisis above a threshold chosen so that plain questions
   keep their answers; between that and a lower threshold chosen for recall, the verdict
   carries ``crisis_hint``: the reply it gets comes with the crisis line first. A short message
   the judge is nearly sure is small talk, off topic or a question ("aight im out") gets its
   reply with the crisis line first too, though its crisis score passed the first threshold.
3. **Hard redirect rules** (an explicit request for a personal amount, schedule, source or
   recipe) always redirect. **Soft** ones are overruled when the judge is confident the
   message asks for general information or is off topic ("is it dangerous to mix kratom and
   alcohol?" is a question about danger, not a request to mix).
4. The judge adds a redirect the rules missed.
5. **Context**: an incomplete follow-up ("and with xanax?", "how much would I need") is judged
   again together with the user's previous turns, so a request split across messages is still
   caught; a complete information question is judged on its own.

A suicide-type crisis about someone else (policy ``someone_else``) gets the reply for a helper,
``crisis_other``; the route, rule and category stay those of the crisis verdict.

Any error yields the fail-closed verdict (redirect with resources), never a pass.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .judge import CALM_CLASSES, JUDGE_FILE, REDIRECT_CLASSES, Judge, JudgeScores, windows
from .normalize import normalize
from .policy import Policy, Rule, load_policy
from .responses import DATA_DIR, load_response_keys
from .verdict import InputVerdict, Language, fail_closed

log = logging.getLogger(__name__)

POLICY_FILE = DATA_DIR / "policy.yml"
SOMEONE_ELSE_RESPONSE = "crisis_other"
FOLLOWUP_MAX_WORDS = 12  # longer messages are complete on their own
JUDGE_RESPONSES = {
    "crisis": ("suicide", "crisis_suicide"),
    "dosing": ("dosing", "redirect_dosing"),
    "self_treatment": ("self_treatment", "redirect_self_treatment"),
    "combination": ("combination", "redirect_combination"),
    "manufacture": ("manufacture", "redirect_manufacture"),
    "sourcing": ("sourcing", "redirect_sourcing"),
}


@dataclass
class Message:
    """One user message, read once: normalized text, language, windows and their embeddings."""

    text: str
    folded: str
    lang: Language
    windows: tuple[str, ...]
    vectors: np.ndarray | None = field(default=None, repr=False)
    embed_error: str | None = None
    read_error: bool = False

    @property
    def vector(self) -> np.ndarray | None:
        """The embedding of the whole (normalized) text: what retrieval searches with."""
        return None if self.vectors is None else self.vectors[0]


@dataclass
class InputGuard:
    policy: Policy | None
    load_error: str | None = None
    judge: Judge | None = None
    embedder: object | None = None  # embedding.Embedder; None only in rule-only unit tests

    @classmethod
    def from_files(
        cls,
        policy_path: Path | None = None,
        responses_path: Path | None = None,
        judge_path: Path | None = None,
        *,
        embedder: object | None = None,
        require_judge: bool = True,
    ) -> "InputGuard":
        """Load the policy and judge. A missing or invalid policy gives a guard that refuses
        everything; a missing or invalid judge keeps the crisis rules working and refuses the
        rest (crisis first, then fail closed)."""
        try:
            keys = load_response_keys(responses_path)
            policy = load_policy(policy_path or POLICY_FILE, keys)
        except Exception as exc:  # noqa: BLE001 - fail closed on any loading problem
            log.error("guardrail policy could not be loaded, refusing all messages: %s", exc)
            return cls(policy=None, load_error=str(exc))
        try:
            judge = Judge.load(judge_path or JUDGE_FILE) if require_judge else None
            if judge is not None and embedder is not None and getattr(embedder, "name", None) != judge.embedder:
                raise ValueError(f"the judge was fitted on {judge.embedder} embeddings, not {getattr(embedder, 'name', '?')}")
            return cls(policy=policy, judge=judge, embedder=embedder)
        except Exception as exc:  # noqa: BLE001
            log.error("guardrail judge could not be loaded: crisis rules only, everything else refused: %s", exc)
            return cls(policy=policy, load_error=str(exc), embedder=embedder)

    # -- reading ----------------------------------------------------------------------------
    def language(self, folded: str, raw: str = "") -> Language:
        if self.policy is None:
            return "en"
        return self.policy.language(folded, raw)  # type: ignore[return-value]

    def read(self, text: str) -> Message:
        """Normalize, detect the language and embed, once per message. Never raises: a
        message that cannot be read is marked, and ``check`` fails closed on it (after the
        crisis rules, run on the lower-cased text)."""
        try:
            folded = normalize(text).text
            message = Message(text=text, folded=folded, lang=self.language(folded, text), windows=tuple(windows(folded)))
        except Exception as exc:  # noqa: BLE001
            log.exception("normalization failed")
            return Message(text=text, folded=text.lower(), lang="en", windows=(text.lower(),), embed_error=type(exc).__name__,
                           read_error=True)
        if self.embedder is not None and self.judge is not None:
            try:
                message.vectors = self.embedder.embed(list(message.windows))  # type: ignore[attr-defined]
            except Exception as exc:  # noqa: BLE001 - check() fails closed on a message it cannot embed
                log.exception("embedding failed")
                message.embed_error = type(exc).__name__
        return message

    # -- deciding ---------------------------------------------------------------------------
    def _first_match(self, folded: str, route: str) -> Rule | None:
        if self.policy is None:
            raise RuntimeError("no policy loaded")
        for rule in self.policy.rules:
            if rule.route == route and rule.matches(folded):
                return rule
        return None

    def _crisis_rules(self, folded: str) -> tuple[Rule | None, Rule | None]:
        """The first hard crisis rule that matches, else the first soft one (never both)."""
        if self.policy is None:
            raise RuntimeError("no policy loaded")
        soft = None
        for rule in self.policy.rules:
            if rule.route == "crisis" and rule.matches(folded):
                if rule.strength == "hard":
                    return rule, None
                soft = soft or rule
        return None, soft

    def _scores(self, message: Message) -> JudgeScores | None:
        if self.judge is None:
            return None
        if message.vectors is None:
            raise RuntimeError(f"message could not be embedded ({message.embed_error or 'no embedder'})")
        return self.judge.score(message.vectors, message.windows)

    def _confident_not_a_request(self, scores: JudgeScores | None) -> bool:
        if scores is None or self.judge is None:
            return False
        bar = self.judge.thresholds["overrule"]
        return scores.probs["information"] >= bar or scores.probs["out_of_scope"] >= bar

    def _sure_not_crisis(self, scores: JudgeScores | None, message: Message) -> bool:
        """The judge is nearly sure the message is small talk, off topic or a question although
        its crisis score passed the recall-first crisis threshold ("aight im out"): its reply
        comes with the crisis line first instead of the crisis reply. The bar is chosen on
        calibration above the calm score of every crisis message that only the judge catches
        (bot/training/judge.py). Never for a request (a crisis often comes with one: "I'm done
        with subs, going to the lake and not coming back") and never for a message read in
        several windows (there the crisis score is the most urgent window's, the others the
        whole post's)."""
        if scores is None or self.judge is None or len(message.windows) > 1:
            return False
        return max(scores.probs[c] for c in CALM_CLASSES) >= self.judge.thresholds["not_crisis"]

    def _judge_redirect(self, scores: JudgeScores | None) -> str | None:
        if scores is None or self.judge is None:
            return None
        if scores.redirect >= self.judge.thresholds["redirect"] and scores.top in REDIRECT_CLASSES:
            return scores.redirect_category
        return None

    def _verdict_from_judge(self, label: str, lang: Language, scores: JudgeScores, via_context: bool = False) -> InputVerdict:
        category, response = JUDGE_RESPONSES[label]
        route = "crisis" if label == "crisis" else "redirect"
        return InputVerdict(route=route, rule=f"judge.{label}", category=category, response=response, lang=lang,
                            via_context=via_context, judge=scores.rounded())

    def check(self, message: Message | str, context: Sequence[Message | str] = ()) -> InputVerdict:
        """Judge one user message; ``context`` holds the user's earlier turns, oldest first."""
        if isinstance(message, str):
            message = self.read(message)
        lang = message.lang
        try:
            if self.policy is None:
                return fail_closed(lang)
            hard, soft = self._crisis_rules(message.folded)
            if hard is not None:
                return self._speak_to_helper(_from_rule(hard, lang), message)
            if self.load_error is not None or message.read_error:  # nothing else may pass
                return _from_rule(soft, lang) if soft is not None else fail_closed(lang)
            try:
                scores = self._scores(message)
            except Exception:  # noqa: BLE001 - no judge to overrule the soft crisis rule
                if soft is not None:
                    return _from_rule(soft, lang)
                raise
            judged_crisis = (scores is not None and self.judge is not None
                             and scores.probs["crisis"] >= self.judge.thresholds["crisis"])
            if judged_crisis and (soft is not None or not self._sure_not_crisis(scores, message)):
                return self._speak_to_helper(self._verdict_from_judge("crisis", lang, scores), message)
            if soft is not None and not self._confident_not_a_request(scores):
                return _from_rule(soft, lang, judge=None if scores is None else scores.rounded())
            hint = soft is not None or (scores is not None and self.judge is not None
                                        and scores.probs["crisis"] >= self.judge.thresholds["crisis_hint"])
            verdict = replace(self._below_crisis(message, context, scores), crisis_hint=hint)
            if soft is not None and verdict.overruled is None:
                verdict = replace(verdict, overruled=soft.id)
            elif judged_crisis and verdict.overruled is None:
                verdict = replace(verdict, overruled="judge.crisis")
            return verdict
        except Exception:  # noqa: BLE001 - a check that errors must not let the message through
            log.exception("input check failed; failing closed")
            return fail_closed(lang)

    def _below_crisis(self, message: Message, context: Sequence[Message | str], scores: JudgeScores | None) -> InputVerdict:
        """Steps 3 to 5: redirect rules, the judge's redirect, the context."""
        lang = message.lang
        judged = None if scores is None else scores.rounded()
        rule = self._first_match(message.folded, "redirect")
        overruled = None
        if rule is not None:
            if rule.strength == "soft" and self._confident_not_a_request(scores):
                overruled = rule.id
            else:
                return _from_rule(rule, lang, judge=judged)
        label = self._judge_redirect(scores)
        if label is not None and overruled is None:
            return self._verdict_from_judge(label, lang, scores)  # type: ignore[arg-type]
        if context and self._is_followup(message, scores):
            split = self._check_in_context(message, context)
            if split is not None:
                return split
        return InputVerdict(route="pass", rule=None, category=None, response=None, lang=lang,
                            judge=judged, overruled=overruled)

    def check_context(self, text: str, verdict: InputVerdict, context: Sequence[Message | str]) -> InputVerdict | None:
        """What ``check(read(text), context)`` would add to ``verdict``, the context-free verdict
        of the same text: a redirect read together with the earlier turns, or None.

        The action server uses it on every turn after the first: everything but the context step
        was decided already, so the text is not embedded or judged again, and the combined
        text is embedded only for a short follow-up that the judge did not find to be a complete
        information question (the same test as in ``check``)."""
        if not context or verdict.route != "pass" or self.policy is None:
            return None
        try:
            folded = normalize(text).text
            if len(folded.split()) > FOLLOWUP_MAX_WORDS:
                return None
            if (verdict.judge is not None and self.judge is not None
                    and verdict.judge.get("information", 0.0) >= self.judge.thresholds["overrule"]):
                return None
            message = Message(text=text, folded=folded, lang=verdict.lang, windows=(folded,))
            split = self._check_in_context(message, context)
            return None if split is None else replace(split, crisis_hint=verdict.crisis_hint)
        except Exception:  # noqa: BLE001 - a check that errors must not let the message through
            log.exception("context check failed; failing closed")
            return fail_closed(verdict.lang)

    def _speak_to_helper(self, verdict: InputVerdict, message: Message) -> InputVerdict:
        """A suicide-type crisis about someone else gets the reply for the person helping them."""
        assert self.policy is not None  # checked by the caller
        if verdict.response == "crisis_suicide" and self.policy.someone_else.about_other(message.folded):
            return replace(verdict, response=SOMEONE_ELSE_RESPONSE)
        return verdict

    def _is_followup(self, message: Message, scores: JudgeScores | None) -> bool:
        """Short, and not a complete information question on its own."""
        if len(message.folded.split()) > FOLLOWUP_MAX_WORDS:
            return False
        return not (scores is not None and self.judge is not None
                    and scores.probs["information"] >= self.judge.thresholds["overrule"])

    def _check_in_context(self, message: Message, context: Sequence[Message | str]) -> InputVerdict | None:
        assert self.policy is not None  # checked by the caller
        recent = [c if isinstance(c, Message) else None for c in context[-self.policy.context.max_turns :]]
        texts = [c.folded if c is not None else normalize(str(t)).text
                 for c, t in zip(recent, context[-self.policy.context.max_turns :])]
        combined_text = " ".join([*texts, message.folded])
        # Only redirect rules: an earlier crisis turn must not hide a split dosing question
        # (crisis turns already got crisis help, and later replies carry the crisis line).
        rule = self._first_match(combined_text, "redirect")
        if rule is not None:
            return _from_rule(rule, message.lang, via_context=True)
        if self.judge is None or self.embedder is None:
            return None
        combined = self.read(combined_text)
        scores = self._scores(combined)
        label = self._judge_redirect(scores)
        if label is not None and scores is not None:
            return self._verdict_from_judge(label, message.lang, scores, via_context=True)
        return None


def _from_rule(rule: Rule, lang: Language, *, via_context: bool = False, judge: dict[str, float] | None = None) -> InputVerdict:
    return InputVerdict(route=rule.route, rule=rule.id, category=rule.category, response=rule.response,  # type: ignore[arg-type]
                        lang=lang, via_context=via_context, judge=judge)
