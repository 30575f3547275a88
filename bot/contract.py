"""The reply contract: what a turn is, what was decided, and what every channel receives.

Read this module and ``bot/pipeline.py`` to follow any message from any channel::

    channel ──Turn──▶ Assistant.reply(turn) ──▶ Reply(decision, messages)
                         decide → render → check
    every OutMessage carries ReplyData; channels and the widget read it with ReplyData.decode

On the Rasa path the same objects travel as JSON: the NLU component puts
``Decision.encode()`` and the rendered guardrail reply's ``ReplyData.encode()`` in entities,
the domain responses and the action server pass them on, and the channels decode them. One
``encode``/``decode`` pair per shape; decoding rejects unknown keys. Nothing here imports Rasa.

ReplyData as JSON (what the widget and Slack read, ``custom.data`` in Rasa's REST output)::

    {"route": "answer", "kind": "answer", "lang": "en", "region": "US",
     "rule": null, "category": null, "entry_id": "kratom-liver-injury", "score": 0.83,
     "question": "...", "answer": "...", "sources": [{"organisation", "title", "url", "checked_on"}],
     "more_sources": 2, "reviewed_on": "2026-11-26", "reviewed_by": "...", "clinical_review": "pending",
     "resources": [{"label", "source", "phone", "sms", "web"}], "buttons": ["..."], "intent": null, "blocked": false}
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from typing import Any

from guardrails.verdict import InputVerdict

log = logging.getLogger(__name__)


class Route(str, Enum):
    CRISIS = "crisis"
    REDIRECT = "redirect"
    ANSWER = "answer"
    FALLBACK = "fallback"
    SMALLTALK = "smalltalk"

    @property
    def guarded(self) -> bool:
        return self in (Route.CRISIS, Route.REDIRECT)


class ContractError(ValueError):
    """Encoded data that does not match the contract."""


@dataclass(frozen=True)
class Turn:
    """One user message as a channel hands it over. ``region`` is resolved once, at the edge."""

    text: str
    region: str
    context: tuple[str, ...] = ()  # the user's earlier turns, oldest first
    suggestions: tuple[str, ...] = ()  # what the previous reply offered as buttons
    after_crisis: bool = False  # a crisis reply was sent earlier in this conversation
    audience: str = "person"  # "worker": someone helping another person (the Slack app)


AUDIENCES = ("person", "worker")


def audience_of(metadata: Any) -> str:
    """The audience a channel put in the message metadata; anything unknown is "person"."""
    audience = metadata.get("audience") if isinstance(metadata, dict) else None
    return audience if audience in AUDIENCES else "person"


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    score: float


@dataclass(frozen=True)
class Decision:
    """What to reply with, and why. Holds the input verdict rather than copying it."""

    route: Route
    verdict: InputVerdict
    entry_id: str | None = None
    score: float | None = None
    candidates: tuple[Candidate, ...] = ()
    smalltalk_intent: str | None = None
    question: str | None = None  # the text decided on ("yes, tell me more" -> the suggestion)

    # named constructors -------------------------------------------------------------------
    @classmethod
    def guarded(cls, verdict: InputVerdict) -> "Decision":
        return cls(Route(verdict.route), verdict)

    @classmethod
    def small_talk(cls, verdict: InputVerdict, intent: str) -> "Decision":
        return cls(Route.SMALLTALK, verdict, smalltalk_intent=intent)

    @classmethod
    def answer(cls, verdict: InputVerdict, best: Candidate, candidates: tuple[Candidate, ...], question: str | None = None) -> "Decision":
        return cls(Route.ANSWER, verdict, best.entry_id, best.score, candidates, question=question)

    @classmethod
    def fallback(cls, verdict: InputVerdict, candidates: tuple[Candidate, ...] = (), question: str | None = None) -> "Decision":
        best = candidates[0].score if candidates else None
        return cls(Route.FALLBACK, verdict, None, best, candidates, question=question)

    @property
    def lang(self) -> str:
        return self.verdict.lang

    @property
    def rule(self) -> str | None:
        return self.verdict.rule

    def route_line(self, text: str) -> dict[str, Any]:
        """The ``kratom-assistant route`` output for this decision."""
        return {"text": text, "route": self.route.value, "entry_id": self.entry_id, "rule": self.rule,
                "score": None if self.score is None else round(self.score, 4),
                "judge": self.verdict.judge, "overruled": self.verdict.overruled}

    # wire format --------------------------------------------------------------------------
    def encode(self) -> str:
        payload = {
            "route": self.route.value, "verdict": asdict(self.verdict), "entry_id": self.entry_id,
            "score": self.score, "candidates": [[c.entry_id, c.score] for c in self.candidates],
            "smalltalk_intent": self.smalltalk_intent, "question": self.question,
        }
        return json.dumps(payload, ensure_ascii=False)

    @classmethod
    def decode(cls, raw: str | dict[str, Any]) -> "Decision":
        data = _load(raw, {"route", "verdict", "entry_id", "score", "candidates", "smalltalk_intent", "question"}, "Decision")
        verdict_fields = {f.name for f in fields(InputVerdict)}
        v = data["verdict"]
        if not isinstance(v, dict) or set(v) != verdict_fields:
            raise ContractError("Decision.verdict does not match InputVerdict")
        try:
            return cls(
                route=Route(data["route"]), verdict=InputVerdict(**v), entry_id=data["entry_id"], score=data["score"],
                candidates=tuple(Candidate(str(e), float(s)) for e, s in data["candidates"]),
                smalltalk_intent=data["smalltalk_intent"], question=data["question"],
            )
        except (TypeError, ValueError) as exc:
            raise ContractError(f"bad Decision: {exc}") from exc


@dataclass(frozen=True)
class Source:
    organisation: str
    title: str
    url: str
    checked_on: str


@dataclass(frozen=True)
class Resource:
    """A help line as guardrails/resources.yml describes it (phone, text and web are optional)."""

    label: str
    source: str | None = None  # the page the line was checked on
    phone: str | None = None
    sms: str | None = None
    web: str | None = None
    languages: tuple[str, ...] = ()
    note_es: str | None = None


@dataclass(frozen=True)
class ReplyData:
    """The structured form of one outgoing message, for channels that render richly."""

    route: Route
    kind: str  # crisis | redirect | smalltalk | answer | fallback | note | reminder | unavailable | crisis_hint
    lang: str = "en"
    region: str | None = None
    rule: str | None = None
    category: str | None = None
    entry_id: str | None = None
    score: float | None = None
    question: str | None = None
    answer: str | None = None
    sources: tuple[Source, ...] = ()
    more_sources: int = 0  # sources the entry keeps beyond those shown
    reviewed_on: str | None = None
    reviewed_by: str | None = None
    clinical_review: str | None = None
    resources: tuple[Resource, ...] = ()
    buttons: tuple[str, ...] = ()
    intent: str | None = None
    blocked: bool = False

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["route"] = self.route.value
        out["sources"] = [asdict(s) for s in self.sources]
        out["resources"] = [{k: v for k, v in asdict(r).items() if v not in (None, ())} for r in self.resources]
        out["buttons"] = list(self.buttons)
        return out

    def encode(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def decode(cls, raw: str | dict[str, Any]) -> "ReplyData":
        data = _load(raw, {f.name for f in fields(cls)}, "ReplyData", partial=True)
        try:
            return cls(
                **{**data,
                   "route": Route(data["route"]),
                   "sources": tuple(Source(**s) for s in data.get("sources") or ()),
                   "resources": tuple(Resource(**{**r, "languages": tuple(r.get("languages") or ())})
                                      for r in data.get("resources") or ()),
                   "buttons": tuple(str(b) for b in data.get("buttons") or ())},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ContractError(f"bad ReplyData: {exc}") from exc


@dataclass(frozen=True)
class OutMessage:
    """One message to the user: its text, its buttons, and its structured data."""

    text: str
    data: ReplyData
    buttons: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Reply:
    decision: Decision
    messages: tuple[OutMessage, ...]

    @property
    def route(self) -> Route:
        return self.decision.route


def _load(raw: str | dict[str, Any], allowed: set[str], name: str, partial: bool = False) -> dict[str, Any]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise ContractError(f"{name}: not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ContractError(f"{name}: expected an object")
    unknown = set(raw) - allowed
    missing = set() if partial else allowed - set(raw)
    if unknown or missing:
        raise ContractError(f"{name}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
    return raw


def reply_data_of(custom: Any) -> ReplyData | None:
    """The ReplyData in a Rasa message's ``custom`` part (``{"data": ...}``), or None.

    Action replies carry it as an object, domain responses as the JSON string the NLU
    component encoded; both decode here, and nowhere else."""
    if not isinstance(custom, dict) or "data" not in custom:
        return None
    try:
        return ReplyData.decode(custom["data"])
    except ContractError:
        log.warning("reply data that does not match the contract was ignored")
        return None


@dataclass
class RestReply:
    """One reply as a channel's message list carries it: its text parts joined, its button
    dicts, and its ``custom`` part (None if the list ended without one)."""

    text: str = ""
    buttons: list[dict[str, Any]] = field(default_factory=list)
    custom: Any = None


def group_rest_messages(messages: Any) -> list[RestReply]:
    """Rasa sends a reply's text (and buttons) first, then its ``custom`` part: text and buttons
    accumulate until a custom part closes the reply (Rasa's collecting channel may split one
    text on blank lines, so several text parts can belong to one reply). A last reply without a
    custom part is kept if it has text or buttons."""
    replies: list[RestReply] = []
    current = RestReply()
    for msg in messages:
        if not isinstance(msg, Mapping):
            continue
        text = msg.get("text")
        if isinstance(text, str) and text.strip():
            current.text = f"{current.text}\n\n{text.strip()}" if current.text else text.strip()
        current.buttons += [dict(b) for b in msg.get("buttons") or [] if isinstance(b, Mapping)]
        if msg.get("custom") is not None:
            current.custom = msg["custom"]
            replies.append(current)
            current = RestReply()
    if current.text or current.buttons:
        replies.append(current)
    return replies
