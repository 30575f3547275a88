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
"""

from __future__ import annotations

import logging
import os
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.privacy import hash_sender, redact

from .ratelimit import from_env
from .text import MAX_MESSAGE_CHARS, crisis_line, neutralize, too_long
from .unavailable import unavailable_messages

RATE_LIMITED = "You're sending messages very quickly. Please wait a minute and try again."
DEFAULT_REGION = os.environ.get("KRATOM_REGION", "US").upper()  # the environment, read once

log = logging.getLogger(__name__)


def error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


class SafeRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def __init__(self) -> None:
        super().__init__()
        self.per_sender = from_env("RATE_LIMIT_PER_SENDER", 30)  # messages per minute
        self.per_address = from_env("RATE_LIMIT_PER_ADDRESS", 120)

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
            if not isinstance(sender, str) or not sender.strip() or len(sender) > 128:
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

        return bp
