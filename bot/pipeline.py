"""The one message pipeline every channel uses: ``Assistant.reply(turn) -> Reply``.

    Turn ─▶ decide ─▶ render ─▶ check ─▶ Reply
            │          │          └ output rail on every text and button: a dose-like reply is
            │          │            replaced by the dosing redirect (guardrails/output_check.py)
            │          └ guardrail reply for the region and language / small talk / the entry
            │            verbatim with its strongest sources and review date / fallback
            └ read once (normalize, language, one embedding) ─▶ crisis rules ─▶ judge ─▶ hard and
              soft redirect rules ─▶ small talk ─▶ retrieval with the same embedding

On the Rasa path the NLU component calls ``decide`` and, for crisis, redirect and small talk,
``render_checked`` (domain responses, no action server needed); the action server calls
``reply`` with that decision and only renders. The CLI calls ``reply``. If anything fails, the
reply is ``last_resort(region, lang)``: it always names the region's crisis line.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from guardrails import InputGuard, ReplyBook, Smalltalk, check_output
from guardrails.normalize import normalize
from guardrails.verdict import InputVerdict, fail_closed

from .contract import Candidate, Decision, OutMessage, Reply, ReplyData, Resource, Route, Source, Turn

if TYPE_CHECKING:
    from knowledge.entry import Entry
    from knowledge.retriever import KnowledgeBase, RetrievalConfig

log = logging.getLogger(__name__)

# "yes, tell me more" after a reply with suggested questions means: the first suggestion.
_AFFIRM = re.compile(
    r"(yes|yeah|yep|yup|sure|ok|okay|please|go on|more|tell me more|yes please|yes tell me more|"
    r"ok tell me more|sure tell me more|si|claro)( please| tell me more| more)?"
)
MAX_SOURCES_SHOWN = 3  # a chat reply lists the entry's strongest sources; the rest on demand

# Used only when even guardrails/resources.yml cannot be read: the region's crisis line and
# emergency number, so a failure never sends a UK user the US number. A test checks these
# against resources.yml.
LAST_RESORT_LINES = {
    "US": ("call or text 988", "911"),
    "CA": ("call or text 988", "911"),
    "UK": ("call Samaritans on 116 123", "999"),
    "IE": ("call Samaritans on 116 123", "112"),
    "AU": ("call Lifeline on 13 11 14", "000"),
}
LAST_RESORT_TEXT = {
    "en": "I'm sorry, I can't answer right now. If you are in crisis, {line}. If someone's life is in danger, call {emergency}.",
    "es": "Lo siento, ahora no puedo responder. Si estás en crisis, {line}. Si la vida de alguien corre peligro, llama al {emergency}.",
}


def last_resort(region: str | None, lang: str = "en", book: ReplyBook | None = None) -> OutMessage:
    """The reply for every "something failed" path: the region's crisis help, whatever broke."""
    code = (region or "US").upper()
    if book is not None:
        try:
            reply = book.render("redirect_fail_closed", code, "es" if lang == "es" else "en")
            return OutMessage(reply.text, ReplyData(Route.REDIRECT, "redirect", lang, book.region(code).code,
                                                     rule="fail_closed.check_error", category="fail_closed",
                                                     resources=_resources(reply.resources)))
        except Exception:  # noqa: BLE001 - fall through to the text that needs no files
            log.exception("fail-closed reply could not be rendered")
    line, emergency = LAST_RESORT_LINES.get(code, LAST_RESORT_LINES["US"])
    text = LAST_RESORT_TEXT["es" if lang == "es" else "en"].format(line=line, emergency=emergency)
    return OutMessage(text, ReplyData(Route.REDIRECT, "redirect", lang, code, rule="fail_closed.check_error"))


def crisis_line(region: str | None, lang: str = "en", book: ReplyBook | None = None) -> str:
    """One short line with the region's crisis line and emergency number, for replies that
    skip the pipeline (too long, rate limited, unavailable). Never fails."""
    code = (region or "US").upper()
    try:
        return (book or _default_book()).render("crisis_reminder", code, "es" if lang == "es" else "en").text
    except Exception:  # noqa: BLE001 - the text below needs no files
        log.exception("crisis reminder could not be rendered")
        line, emergency = LAST_RESORT_LINES.get(code, LAST_RESORT_LINES["US"])
        return f"If you need help now, {line}. In an emergency call {emergency}."


_BOOK: ReplyBook | None = None


def _default_book() -> ReplyBook:
    global _BOOK
    if _BOOK is None:
        _BOOK = ReplyBook.from_files()
    return _BOOK


def _resources(raw: tuple[dict, ...] | list[dict]) -> tuple[Resource, ...]:
    return tuple(Resource(**{**r, "languages": tuple(r.get("languages") or ())}) for r in raw)


def resolve_followup(text: str, suggestions: tuple[str, ...]) -> str:
    """Turn "yes, tell me more" into the first question the previous reply suggested."""
    if suggestions:
        folded = re.sub(r"[^\w ]+", " ", normalize(text).text)
        if _AFFIRM.fullmatch(re.sub(r"\s+", " ", folded).strip()):
            return suggestions[0]
    return text


def _question_key(folded: str) -> str:
    """A normalized question with its punctuation and spacing dropped."""
    return re.sub(r"[\W_]+", " ", folded).strip()


@dataclass
class Assistant:
    """decide, render, check. Build with ``Assistant.load()``; models load in ``warm_up()``."""

    guard: InputGuard
    book: ReplyBook
    smalltalk: Smalltalk
    kb: "KnowledgeBase | None"
    config: "RetrievalConfig"
    _questions: set[str] | None = field(default=None, init=False, repr=False)

    @classmethod
    def load(cls, *, kb: "KnowledgeBase | None" = None, with_kb: bool = True, embedder: object | None = None) -> "Assistant":
        from knowledge.retriever import KnowledgeBase, RetrievalConfig

        if kb is None and with_kb:
            kb = KnowledgeBase.load(embedder=embedder)  # type: ignore[arg-type]
        embedder = embedder or (kb.embedder if kb is not None else None)
        if embedder is None:
            from embedding import MiniLMEmbedder

            embedder = MiniLMEmbedder()
        return cls(guard=InputGuard.from_files(embedder=embedder), book=ReplyBook.from_files(),
                   smalltalk=Smalltalk.from_file(), kb=kb, config=RetrievalConfig.load())

    def warm_up(self) -> None:
        warm = getattr(self.guard.embedder, "warm_up", None)
        if warm is not None:
            warm()
        if self.kb is not None:
            self.kb.warm_up()

    # -- the entry point -----------------------------------------------------------------
    def reply(self, turn: Turn, decided: Decision | None = None) -> Reply:
        """The reply to ``turn``. ``decided``: a decision already taken without context (the
        Rasa NLU component's); it is revisited only if the turn is a follow-up in context."""
        try:
            decision = self.revisit(decided, turn) if decided is not None else self.decide(turn)
            messages = self.render(decision, turn)
        except Exception:  # noqa: BLE001 - never let an error reach the user as silence or a trace
            log.exception("pipeline failed; replying with the last-resort message")
            decision = Decision.guarded(fail_closed())
            messages = [last_resort(turn.region, "en", self.book)]
        messages = [self.check(m, decision, turn.region) for m in messages]
        if turn.after_crisis and decision.route is not Route.CRISIS:
            messages.append(self._reminder(decision, turn.region))
        return Reply(decision=decision, messages=tuple(messages))

    # -- decide ------------------------------------------------------------------------------
    def decide(self, turn: Turn) -> Decision:
        question = resolve_followup(turn.text, turn.suggestions)
        message = self.guard.read(question)
        # A question the previous reply offered as a button is complete as it stands: it is
        # never the second half of a request split across turns, so it is judged on its own.
        context = () if question in turn.suggestions else turn.context
        verdict = self.guard.check(message, context)
        if verdict.route == "redirect" and (verdict.rule or "").startswith("judge.") and self._entry_question(message.folded):
            # Word for word a question a reviewed entry answers (its own question or phrasing,
            # e.g. the "Why won't you tell me how much to take?" button): the judge's guess that
            # it is a request gives way; a rule's never does.
            verdict = replace(verdict, route="pass", rule=None, category=None, response=None, overruled=verdict.rule)
        try:
            match = self.smalltalk.match(question, verdict.lang)
        except Exception:  # noqa: BLE001 - small talk failing must not block an answer
            log.exception("small-talk matcher failed")
            match = None
        if match is not None and verdict.route == "crisis" and verdict.rule == "judge.crisis":
            # The whole message is a greeting, thanks or goodbye ("ttyl gotta go", "hey it's me
            # again") and only the judge saw crisis in it (no rule did): it gets its small-talk
            # reply with the crisis line first, not the crisis reply instead of an answer.
            return Decision.small_talk(replace(verdict, route="pass", rule=None, category=None, response=None,
                                               overruled=verdict.rule, crisis_hint=True), match.intent)
        # A complete greeting or thank-you is never the second half of a split request: a
        # redirect that came only from the context yields to it (as on the Rasa path, where
        # small talk is decided before any context is seen).
        if verdict.route != "pass" and not (verdict.via_context and match is not None):
            return Decision.guarded(verdict)
        if match is not None:
            return Decision.small_talk(verdict, match.intent)
        # The judge does not know the whole KB's scope: it called a fifth of the KB's own
        # Spanish phrasings and some English ones off topic or small talk ("what is a needle
        # exchange", "vida media del kratom"; 2026-12-03). An entry's own question is answered.
        own = self._entry_question(message.folded)
        if self._judged_smalltalk(verdict) and not own:
            return Decision.small_talk(verdict, self.smalltalk.guess(question))
        if self.kb is None or (self._judged_off_topic(verdict) and not own):
            return Decision.fallback(verdict, question=question if question != turn.text else None)
        found = self.kb.search_vector(message.vector, self.config.top_k, text=message.folded) \
            if message.vector is not None else self.kb.search(message.folded, self.config.top_k)
        candidates = tuple(Candidate(c.entry_id, c.score) for c in found)
        question = question if question != turn.text else None
        if candidates and candidates[0].score >= self.config.threshold:
            return Decision.answer(verdict, candidates[0], candidates, question)
        return Decision.fallback(verdict, candidates, question)

    def _entry_question(self, folded: str) -> bool:
        """Word for word a question the assistant itself offers: an entry's own question or
        phrasing, or a suggestion button of a reply (each of which an entry answers).
        Punctuation and spacing do not count: "what is a needle exchange?" is the phrasing."""
        if self.kb is None:
            return False
        if self._questions is None:
            offered = [t for e in self.kb.entries.values() for _, t in e.index_texts]
            offered += [q for t in self.book.templates.values() for q in t.suggest]
            offered += [q for i in self.smalltalk.intents for q in i.suggest]
            self._questions = {_question_key(normalize(t).text) for t in offered}
        return _question_key(folded) in self._questions

    def is_plain_small_talk(self, text: str, lang: str = "en") -> bool:
        """A complete greeting, thank-you or goodbye by the small-talk patterns: never the
        second half of a split request, so it needs no context. (``lang`` from the decision:
        reading the message again would embed it a second time.)"""
        try:
            return self.smalltalk.match(text, "es" if lang == "es" else "en") is not None
        except Exception:  # noqa: BLE001
            return False

    def revisit(self, decided: Decision, turn: Turn) -> Decision:
        """Re-decide a context-free decision when the turn depends on the conversation."""
        if decided.route.guarded or (decided.route is Route.SMALLTALK and self.is_plain_small_talk(turn.text, decided.lang)):
            return decided
        if resolve_followup(turn.text, turn.suggestions) != turn.text:
            return self.decide(turn)
        if turn.context and turn.text not in turn.suggestions:  # a pressed suggestion stands alone
            # Only the context step is new here: the text itself was read, embedded and judged
            # when ``decided`` was made, so it is not embedded again.
            split = self.guard.check_context(turn.text, decided.verdict, turn.context)
            if split is not None:
                return Decision.guarded(split)
        return decided

    def _judged_off_topic(self, verdict: InputVerdict) -> bool:
        """The judge is confident the message is off topic: no entry, however close, answers it."""
        judge = self.guard.judge
        if judge is None or verdict.judge is None:
            return False
        return verdict.judge.get("out_of_scope", 0.0) >= judge.thresholds["out_of_scope"]

    def _judged_smalltalk(self, verdict: InputVerdict) -> bool:
        judge = self.guard.judge
        if judge is None or verdict.judge is None:
            return False
        return verdict.judge.get("smalltalk", 0.0) >= judge.thresholds["smalltalk"]

    # -- render ------------------------------------------------------------------------------
    def render(self, decision: Decision, turn: Turn) -> list[OutMessage]:
        region = self.book.region(turn.region).code
        return self._with_crisis_hint(self._render(decision, turn, region), decision, region)

    def _render(self, decision: Decision, turn: Turn, region: str) -> list[OutMessage]:
        lang = "es" if decision.lang == "es" else "en"
        if decision.route.guarded:
            verdict = decision.verdict
            reply = self.book.render(verdict.response or "redirect_fail_closed", region, lang, turn.audience)
            data = ReplyData(decision.route, reply.kind, lang, region, verdict.rule, verdict.category,
                             resources=_resources(reply.resources), buttons=tuple(reply.suggestions))
            return [OutMessage(reply.text, data, tuple(reply.suggestions))]
        if decision.route is Route.SMALLTALK:
            intent = self.smalltalk.intent(decision.smalltalk_intent or "greet")
            text = intent.reply[lang]
            data = ReplyData(Route.SMALLTALK, "smalltalk", lang, region, intent=intent.intent, buttons=tuple(intent.suggest))
            return [OutMessage(text, data, tuple(intent.suggest))]
        if decision.route is Route.ANSWER and self.kb is not None and decision.entry_id in self.kb.entries:
            return self._answer(self.kb.entries[decision.entry_id], decision, region, lang)
        return [self._fallback(decision, region, lang)]

    def _with_crisis_hint(self, messages: list[OutMessage], decision: Decision, region: str) -> list[OutMessage]:
        """A reply the judge thought might hide a crisis (below the crisis reply's threshold)
        comes with the crisis line first: the question keeps its answer, and a person in crisis
        who asked it sideways still sees where to get help at once."""
        if not decision.verdict.crisis_hint or decision.route is Route.CRISIS:
            return messages
        lang = "es" if decision.lang == "es" else "en"
        hint = self.book.render("crisis_hint", region, lang)
        data = ReplyData(decision.route, "crisis_hint", lang, self.book.region(region).code,
                         resources=_resources(hint.resources))
        return [OutMessage(hint.text, data), *messages]

    def render_checked(self, decision: Decision, turn: Turn) -> list[OutMessage]:
        """``render`` then ``check``: for callers that render without ``reply`` (the NLU component)."""
        return [self.check(m, decision, turn.region) for m in self.render(decision, turn)]

    def _answer(self, entry: "Entry", decision: Decision, region: str, lang: str) -> list[OutMessage]:
        assert self.kb is not None  # render() checked it
        spanish = entry.es if lang == "es" and entry.es is not None and entry.es.answer else None
        related = tuple(self._question_of(self.kb.entries[r], lang) for r in entry.related
                        if r in self.kb.entries)[: self.config.max_suggestions]
        answer = spanish.answer if spanish is not None else entry.answer
        question = spanish.question if spanish is not None else entry.question
        shown = entry.shown_sources(MAX_SOURCES_SHOWN, "es" if spanish is not None else "en")
        sources = tuple(Source(s.organisation, s.title, s.url, s.checked_on.isoformat()) for s in shown)
        review = "pending" if entry.clinical_review is None else "signed"
        data = ReplyData(Route.ANSWER, "answer", lang, region, entry_id=entry.id, score=decision.score,
                         question=question, answer=answer, sources=sources,
                         more_sources=max(0, len(_all_sources(entry, spanish is not None)) - len(sources)),
                         reviewed_on=entry.reviewed_on.isoformat(), reviewed_by=entry.reviewed_by,
                         clinical_review=review, buttons=related)
        messages = [OutMessage(format_answer(entry, answer, sources, lang), data, related)]
        if lang == "es" and spanish is None:
            note = self.book.render("spanish_note", region, "es")
            messages.append(OutMessage(note.text, ReplyData(Route.ANSWER, "note", "es", region)))
        return messages

    @staticmethod
    def _question_of(entry: "Entry", lang: str) -> str:
        """An entry's question in the conversation's language, for buttons."""
        return entry.es.question if lang == "es" and entry.es is not None else entry.question

    def _fallback(self, decision: Decision, region: str, lang: str) -> OutMessage:
        reply = self.book.render("fallback", region, lang)
        suggestions = [self._question_of(self.kb.entries[c.entry_id], lang) for c in decision.candidates
                       if self.kb is not None and c.score >= self.config.suggestion_floor and c.entry_id in self.kb.entries]
        if not suggestions:
            suggestions = list(self.smalltalk.intent("capabilities").suggest)
        buttons = tuple(suggestions[: self.config.max_suggestions])
        data = ReplyData(Route.FALLBACK, "fallback", lang, region, rule=decision.rule,
                         resources=_resources(reply.resources), buttons=buttons)
        return OutMessage(reply.text, data, buttons)

    def _reminder(self, decision: Decision, region: str) -> OutMessage:
        lang = "es" if decision.lang == "es" else "en"
        reminder = self.book.render("crisis_reminder", region, lang)
        return self.check(OutMessage(reminder.text, ReplyData(decision.route, "reminder", lang, self.book.region(region).code)),
                          decision, region)

    # -- check -------------------------------------------------------------------------------
    def check(self, message: OutMessage, decision: Decision, region: str) -> OutMessage:
        """The output rail: a reply with dose-like text or buttons is replaced by the dosing redirect."""
        try:
            for text in (message.text, *message.buttons):
                verdict = check_output(text)
                if not verdict.allowed:
                    log.warning("output check blocked a %s reply (rule %s)", decision.route.value, verdict.rule)
                    lang = "es" if decision.lang == "es" else "en"
                    safe = self.book.render("redirect_dosing", region, lang)
                    data = ReplyData(Route.REDIRECT, "redirect", lang, self.book.region(region).code, verdict.rule,
                                     "dosing", resources=_resources(safe.resources), blocked=True)
                    return OutMessage(safe.text, data, tuple(safe.suggestions))
            return message
        except Exception:  # noqa: BLE001 - a check that errors must not let the message through
            log.exception("output check failed; failing closed")
            return last_resort(region, decision.lang)


def _all_sources(entry: "Entry", spanish: bool) -> tuple:
    """The sources behind the answer shown: the Spanish companion's own, if it has them."""
    return entry.es.sources if spanish and entry.es is not None and entry.es.sources else entry.sources


def format_answer(entry: "Entry", answer: str, sources: tuple[Source, ...], lang: str = "en") -> str:
    """The entry's answer verbatim, then its strongest sources and review date."""
    es = lang == "es" and answer != entry.answer
    lines = [answer, "", "Fuentes:" if es else "Sources:"]
    lines += [f"- {s.organisation}, \"{s.title}\": {s.url}" for s in sources]
    extra = len(_all_sources(entry, es)) - len(sources)
    if extra > 0:
        lines.append(f"(+{extra} más)" if es else f"(+{extra} more {'source' if extra == 1 else 'sources'})")
    if entry.clinical_review is None:
        review = "revisión clínica pendiente" if es else "clinical review pending"
    else:
        review = f"clinically reviewed by {entry.clinical_review.role}, {entry.clinical_review.date}"
    lines.append(f"{'Revisado' if es else 'Reviewed'} {entry.reviewed_on.isoformat()} ({entry.reviewed_by}; {review}).")
    return "\n".join(lines)
