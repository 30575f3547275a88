"""The REST channel, hardened: Rasa's ``RestInput`` with its request handling replaced.

Differences from Rasa 3.6's channel, each for a reason:
- a leading "/" in user text is neutralised (it would force an intent past the guardrail);
- a request without a JSON body, a ``sender`` or a ``message`` is refused with 400 instead of
  being filed under one shared conversation called "default";
- a message over 2,000 characters gets a polite 413 instead of being processed;
- if processing raised or produced no reply (the action server is down, say), the user gets
  "information is temporarily unavailable" and where to get help, never silence or a trace;
- the sender id is stored only as a keyed hash and the text is redacted (phone numbers,
  e-mail and street addresses, "my name is ...") before Rasa sees either;
- per-sender and per-address rate limits answer 429 with a clear message.

Two more routes, for the web widget:
- ``POST /webhooks/rest/forget {"sender": ...}``: delete that conversation from the tracker
  store (bot/channels/forget.py). The raw sender id is the credential: only its keyed hash is
  stored, so only whoever holds the random id can name the conversation. 200 for every
  well-formed request, whether or not there was anything to delete; 400 on bad input, 429 when
  rate limited, 503 if the store could not delete (the client cannot retry by design: it has
  already dropped the id, and the retention purge deletes the conversation later).
- ``POST /webhooks/rest/feedback {"entry": id, "vote": "up" | "down"}``: one thumbs vote on a
  knowledge-base answer, kept as a count per entry (bot/feedback.py); nothing about who voted.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.feedback import FeedbackStore, well_formed
from bot.privacy import hash_sender, redact

from .forget import forget
from .ratelimit import from_env
from .text import MAX_MESSAGE_CHARS, crisis_line, neutralize, too_long
from .unavailable import unavailable_messages

RATE_LIMITED = "You're sending messages very quickly. Please wait a minute and try again."
VOTES = ("up", "down")  # what the widget may send; "flag" is Slack's
DEFAULT_REGION = os.environ.get("KRATOM_REGION", "US").upper()  # the environment, read once

log = logging.getLogger(__name__)


def error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def feedback_store_for(agent: Any) -> FeedbackStore:
    """Where answer feedback goes, for every channel: FEEDBACK_DB_URL or TRACKER_DB_URL if set;
    else the SQL tracker store's own database (so replicas share the counts); else a SQLite
    file under build/."""
    engine = None
    if not (os.environ.get("FEEDBACK_DB_URL") or os.environ.get("TRACKER_DB_URL")) and agent is not None:
        from .forget import stores_in

        engine = next((s.engine for s in stores_in(agent.tracker_store) if hasattr(s, "engine")), None)
    return FeedbackStore(engine=engine) if engine is not None else FeedbackStore.from_env()


class SafeRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def __init__(self) -> None:
        super().__init__()
        self.per_sender = from_env("RATE_LIMIT_PER_SENDER", 30)  # messages per minute
        self.per_address = from_env("RATE_LIMIT_PER_ADDRESS", 120)
        self._feedback: Optional[FeedbackStore] = None

    def feedback_store(self, agent: Any) -> FeedbackStore:
        if self._feedback is None:
            self._feedback = feedback_store_for(agent)
        return self._feedback

    def _payload(self, request: Request) -> Optional[Dict[str, Any]]:
        try:
            body = request.json
        except Exception:  # noqa: BLE001 - sanic raises on malformed JSON
            return None
        return body if isinstance(body, dict) else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @bp.middleware("response")
        async def security_headers(_: Request, resp: HTTPResponse) -> None:
            # Replies may describe someone's drug use: never cache them, never sniff them.
            resp.headers["Cache-Control"] = "no-store"
            resp.headers["X-Content-Type-Options"] = "nosniff"
            resp.headers["Referrer-Policy"] = "no-referrer"
            resp.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = self._payload(request)
            if body is None:
                return error(400, "expected a JSON object with 'sender' and 'message'")
            sender, text = body.get("sender"), body.get("message")
            if not valid_sender(sender):
                return error(400, "a non-empty 'sender' (at most 128 characters) is required")
            if not isinstance(text, str):
                return error(400, "'message' must be a string")
            raw_meta = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            # Keep only what the assistant needs: the region. Nothing else is stored.
            region = raw_meta.get("region")
            metadata = {"region": region.upper()[:2]} if isinstance(region, str) and region.isalpha() else {}
            if too_long(text):
                # Never a bare refusal: the error names the crisis line for the user's region.
                return error(413, f"That message is too long (over {MAX_MESSAGE_CHARS:,} characters). Please send it in "
                                  f"parts. {crisis_line(metadata.get('region') or DEFAULT_REGION)}")
            sender_id = hash_sender(sender)
            address = request.remote_addr or request.ip or "unknown"
            if not self.per_address.allow(address) or not self.per_sender.allow(sender_id):
                return error(429, f"{RATE_LIMITED} {crisis_line(metadata.get('region') or DEFAULT_REGION)}")
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        redact(neutralize(text)),
                        collector,
                        sender_id,
                        input_channel=self.name(),
                        metadata=metadata,
                    )
                )
            except Exception:  # noqa: BLE001
                log.exception("processing a REST message failed")
                collector.messages = []
            messages: List[Dict[str, Any]] = collector.messages
            if not messages:
                messages = unavailable_messages(sender_id, metadata.get("region"))
            return response.json(messages)

        @bp.route("/forget", methods=["POST"])
        async def forget_conversation(request: Request) -> HTTPResponse:
            # The widget sends this as text/plain (a "simple" request, no CORS preflight) so that
            # it still goes out while Quick exit leaves the page; the body is JSON all the same.
            body = self._payload(request)
            sender = body.get("sender") if body is not None else None
            if not valid_sender(sender):
                return error(400, "expected a JSON object with a non-empty 'sender' (at most 128 characters)")
            sender_id = hash_sender(sender)
            address = request.remote_addr or request.ip or "unknown"
            if not self.per_address.allow(address) or not self.per_sender.allow(sender_id):
                return error(429, f"{RATE_LIMITED} {crisis_line(DEFAULT_REGION)}")
            agent = getattr(request.app.ctx, "agent", None)
            try:
                if agent is None:
                    raise RuntimeError("no agent loaded")
                await forget(agent, sender_id)
            except Exception as exc:  # noqa: BLE001 - never a trace to the client
                log.error("forgetting a conversation failed (%s)", type(exc).__name__)
                return error(503, "the conversation could not be deleted right now; it is deleted when it expires")
            # The same answer whether or not anything was stored under that id.
            return response.json({"status": "forgotten"})

        @bp.route("/feedback", methods=["POST"])
        async def feedback(request: Request) -> HTTPResponse:
            body = self._payload(request)
            if body is None or set(body) - {"entry", "vote"}:
                return error(400, "expected a JSON object with 'entry' and 'vote' only")
            entry, vote = body.get("entry"), body.get("vote")
            if vote not in VOTES or not well_formed(entry):
                return error(400, "'entry' must be a knowledge-base entry id and 'vote' one of 'up', 'down'")
            address = request.remote_addr or request.ip or "unknown"
            if not self.per_address.allow(address):
                return error(429, RATE_LIMITED)
            try:
                store = self.feedback_store(getattr(request.app.ctx, "agent", None))
                recorded = await asyncio.to_thread(store.record, entry, vote)
            except Exception as exc:  # noqa: BLE001
                log.error("recording feedback failed (%s)", type(exc).__name__)
                return error(503, "feedback could not be recorded right now")
            if not recorded:
                return error(400, "'entry' must be a knowledge-base entry id and 'vote' one of 'up', 'down'")
            return response.json({"status": "recorded"})

        return bp


def valid_sender(sender: Any) -> bool:
    return isinstance(sender, str) and bool(sender.strip()) and len(sender) <= 128
