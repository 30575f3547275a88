"""The one message pipeline every channel uses: input guardrail, small talk, retrieval, output check.

    message -> InputGuard --crisis/redirect--> guardrail reply (region, language)
                   | pass
                   v
               Smalltalk --match--> small-talk reply
                   | no match
                   v
               KnowledgeBase.search --score >= threshold--> entry, verbatim, with sources
                   | below threshold
                   v
               fallback: say so, offer related questions, how to reach a person

Every outgoing text passes ``check_output``; a blocked reply is replaced by the dosing
redirect and counted. Rasa's NLU component runs ``triage`` (the first two steps, which need
no torch); the action server and the CLI run ``Assistant.respond`` (all of it). Nothing here
imports Rasa.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from guardrails import InputGuard, InputVerdict, ReplyBook, Smalltalk, check_output
from guardrails.normalize import normalize
from guardrails.smalltalk import SmalltalkMatch

if TYPE_CHECKING:
    from knowledge.entry import Entry
    from knowledge.retriever import Candidate, KnowledgeBase

log = logging.getLogger(__name__)

ROUTES = ("crisis", "redirect", "answer", "fallback", "smalltalk")
# "yes, tell me more" after a reply with suggested questions means: the first suggestion.
_AFFIRM = re.compile(
    r"(yes|yeah|yep|yup|sure|ok|okay|please|go on|more|tell me more|yes please|yes tell me more|"
    r"ok tell me more|sure tell me more|si|claro)( please| tell me more| more)?"
)


@dataclass(frozen=True)
class Triage:
    """What can be decided without the knowledge base."""

    verdict: InputVerdict
    smalltalk: SmalltalkMatch | None

    @property
    def route(self) -> str | None:
        if self.verdict.route != "pass":
            return self.verdict.route
        if self.smalltalk is not None:
            return "smalltalk"
        return None


@dataclass(frozen=True)
class Decision:
    route: str
    rule: str | None
    entry_id: str | None
    score: float | None
    lang: str
    candidates: tuple[Any, ...] = ()
    category: str | None = None
    response: str | None = None  # the guardrail template for crisis/redirect
    smalltalk: SmalltalkMatch | None = None

    def as_route_line(self, text: str) -> dict[str, Any]:
        return {
            "text": text,
            "route": self.route,
            "entry_id": self.entry_id,
            "rule": self.rule,
            "score": None if self.score is None else round(self.score, 4),
        }


@dataclass(frozen=True)
class OutMessage:
    """One message to the user. ``data`` is the structured form channels may render richly."""

    text: str
    buttons: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Response:
    decision: Decision
    messages: tuple[OutMessage, ...]


def triage(guard: InputGuard, smalltalk: Smalltalk, text: str, context: Sequence[str] = ()) -> Triage:
    verdict = guard.check(text, context)
    match = None
    if verdict.route == "pass":
        try:
            match = smalltalk.match(text, verdict.lang)
        except Exception:  # noqa: BLE001 - small talk failing must not block an answer
            log.exception("small-talk matcher failed")
    return Triage(verdict=verdict, smalltalk=match)


def guard_message(book: ReplyBook, verdict: InputVerdict, region: str | None) -> OutMessage:
    """The crisis or redirect reply for a verdict, checked like every other reply."""
    reply = book.render(verdict.response or "redirect_fail_closed", region, verdict.lang)
    return OutMessage(
        text=reply.text,
        buttons=reply.suggestions,
        data={
            "route": verdict.route,
            "rule": verdict.rule,
            "category": verdict.category,
            "kind": reply.kind,
            "lang": verdict.lang,
            "region": book.region(region).code,
            "resources": list(reply.resources),
        },
    )


def format_answer(entry: "Entry") -> str:
    """The entry's answer verbatim, then its sources and review date."""
    lines = [entry.answer, "", "Sources:"]
    lines += [f"- {s.organisation}, \"{s.title}\": {s.url}" for s in entry.sources]
    review = "clinical review pending" if entry.clinical_review is None else f"clinically reviewed by {entry.clinical_review.role}, {entry.clinical_review.date}"
    lines.append(f"Reviewed {entry.reviewed_on.isoformat()} ({entry.reviewed_by}; {review}).")
    return "\n".join(lines)


@dataclass
class Assistant:
    """The full pipeline. Build with ``Assistant.load()``; models load in ``warm_up()``."""

    guard: InputGuard
    book: ReplyBook
    smalltalk: Smalltalk
    kb: "KnowledgeBase | None"
    threshold: float
    top_k: int = 3
    counters: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, *, kb: "KnowledgeBase | None" = None, with_kb: bool = True) -> "Assistant":
        from knowledge.retriever import KnowledgeBase, RetrievalConfig

        config = RetrievalConfig.load()
        if kb is None and with_kb:
            kb = KnowledgeBase.load()
        return cls(
            guard=InputGuard.from_files(),
            book=ReplyBook.from_files(),
            smalltalk=Smalltalk.from_file(),
            kb=kb,
            threshold=config.threshold,
            top_k=config.top_k,
        )

    def warm_up(self) -> None:
        if self.kb is not None:
            self.kb.warm_up()

    # -- deciding ---------------------------------------------------------------------------
    @staticmethod
    def resolve_followup(text: str, suggestions: Sequence[str]) -> str:
        """Turn "yes, tell me more" into the first question the previous reply suggested."""
        if suggestions:
            folded = re.sub(r"[^\w ]+", " ", normalize(text).text)
            if _AFFIRM.fullmatch(re.sub(r"\s+", " ", folded).strip()):
                return suggestions[0]
        return text

    def decide(self, text: str, context: Sequence[str] = (), suggestions: Sequence[str] = ()) -> Decision:
        text = self.resolve_followup(text, suggestions)
        tri = triage(self.guard, self.smalltalk, text, context)
        verdict = tri.verdict
        if tri.route in ("crisis", "redirect"):
            return Decision(tri.route, verdict.rule, None, None, verdict.lang, category=verdict.category,
                            response=verdict.response)
        if tri.route == "smalltalk":
            return Decision("smalltalk", None, None, None, verdict.lang, smalltalk=tri.smalltalk)
        if self.kb is None:
            return Decision("fallback", "retrieval.unavailable", None, None, verdict.lang)
        # Search with the normalized text, so "wh4t is kr4tom" finds what "what is kratom" finds.
        candidates = tuple(self.kb.search(normalize(text).text, k=max(3, self.top_k)))
        best = candidates[0] if candidates else None
        if best is not None and best.score >= self.threshold:
            return Decision("answer", None, best.entry_id, best.score, verdict.lang, candidates)
        return Decision("fallback", None, None, best.score if best else None, verdict.lang, candidates)

    # -- replying ---------------------------------------------------------------------------
    def respond(
        self,
        text: str,
        context: Sequence[str] = (),
        region: str | None = None,
        after_crisis: bool = False,
        suggestions: Sequence[str] = (),
    ) -> Response:
        """The reply to ``text``; ``suggestions`` are the questions the previous reply offered."""
        try:
            text = self.resolve_followup(text, suggestions)
            decision = self.decide(text, context)
            messages = self._messages(decision, region)
        except Exception:  # noqa: BLE001 - never let an error reach the user as silence or a trace
            log.exception("pipeline failed; replying with the fail-closed message")
            verdict = _fail_closed_verdict()
            decision = Decision("redirect", verdict.rule, None, None, verdict.lang, category=verdict.category,
                                response=verdict.response)
            messages = [guard_message(self.book, verdict, region)]
        messages = [self._checked(m, decision, region) for m in messages]
        if after_crisis and decision.route != "crisis":
            reminder = self.book.render("crisis_reminder", region, decision.lang)
            messages.append(OutMessage(text=reminder.text, data={"route": decision.route, "kind": "reminder"}))
        with self._lock:
            self.counters[f"route.{decision.route}"] += 1
        return Response(decision=decision, messages=tuple(messages))

    def _messages(self, decision: Decision, region: str | None) -> list[OutMessage]:
        if decision.route in ("crisis", "redirect"):
            verdict = InputVerdict(
                route=decision.route,  # type: ignore[arg-type]
                rule=decision.rule,
                category=decision.category,
                response=decision.response or "redirect_fail_closed",
                lang=decision.lang,  # type: ignore[arg-type]
            )
            return [guard_message(self.book, verdict, region)]
        if decision.route == "smalltalk":
            match = decision.smalltalk
            assert match is not None
            data = {"route": "smalltalk", "intent": match.intent, "kind": "smalltalk"}
            return [OutMessage(text=match.text, buttons=match.suggestions, data=data)]
        if decision.route == "answer":
            assert self.kb is not None and decision.entry_id is not None
            return self._answer(self.kb.entries[decision.entry_id], decision, region)
        return [self._fallback(decision, region)]

    def _answer(self, entry: "Entry", decision: Decision, region: str | None) -> list[OutMessage]:
        assert self.kb is not None
        related = [self.kb.entries[r].question for r in entry.related if r in self.kb.entries][:3]
        data = {
            "route": "answer",
            "kind": "answer",
            "entry_id": entry.id,
            "score": decision.score,
            "answer": entry.answer,
            "question": entry.question,
            "sources": [
                {"organisation": s.organisation, "title": s.title, "url": s.url, "checked_on": s.checked_on.isoformat()}
                for s in entry.sources
            ],
            "reviewed_on": entry.reviewed_on.isoformat(),
            "reviewed_by": entry.reviewed_by,
            "clinical_review": "pending" if entry.clinical_review is None else "signed",
        }
        messages = [OutMessage(text=format_answer(entry), buttons=tuple(related), data=data)]
        if decision.lang == "es":
            note = self.book.render("spanish_note", region, "es")
            messages.append(OutMessage(text=note.text, data={"route": "answer", "kind": "note"}))
        return messages

    def _fallback(self, decision: Decision, region: str | None) -> OutMessage:
        reply = self.book.render("fallback", region, decision.lang)  # type: ignore[arg-type]
        suggestions: list[str] = []
        if self.kb is not None:
            for cand in decision.candidates:
                # Only suggest entries that are at least loosely related to the question.
                if cand.score >= self.threshold * 0.6 and cand.entry_id in self.kb.entries:
                    suggestions.append(self.kb.entries[cand.entry_id].question)
        if not suggestions:
            suggestions = list(self.smalltalk_suggestions())
        return OutMessage(
            text=reply.text,
            buttons=tuple(suggestions[:3]),
            data={"route": "fallback", "kind": "fallback", "resources": list(reply.resources), "region": self.book.region(region).code},
        )

    def smalltalk_suggestions(self) -> tuple[str, ...]:
        for intent in self.smalltalk.intents:
            if intent.suggest:
                return intent.suggest
        return ()

    def _checked(self, message: OutMessage, decision: Decision, region: str | None) -> OutMessage:
        """The output rail: a reply with dose-like text is replaced by the dosing redirect."""
        texts = [message.text, *message.buttons]
        for text in texts:
            verdict = check_output(text)
            if not verdict.allowed:
                with self._lock:
                    self.counters[f"output_blocked.{verdict.rule}"] += 1
                log.warning("output check blocked a %s reply (rule %s)", decision.route, verdict.rule)
                safe = self.book.render("redirect_dosing", region, decision.lang)  # type: ignore[arg-type]
                return OutMessage(
                    text=safe.text,
                    buttons=safe.suggestions,
                    data={"route": "redirect", "rule": verdict.rule, "kind": "redirect", "blocked": True},
                )
        return message


def _fail_closed_verdict() -> InputVerdict:
    from guardrails.verdict import fail_closed

    return fail_closed()
