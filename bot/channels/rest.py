"""The REST channel, hardened: Rasa's ``RestInput`` with its request handling replaced.

Differences from Rasa 3.6's channel, each for a reason:
- a leading "/" in user text is neutralised (it would force an intent past the guardrail);
- a request without a JSON body, a ``sender`` or a ``message`` is refused with 400 instead of
  being filed under one shared conversation called "default";
- a message over 2,000 characters gets a polite 413 instead of being processed;
- if processing raised or produced no reply (the action server is down, say), the user gets
  "information is temporarily unavailable" and where to get help, never silence or a trace.
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

from .text import MAX_MESSAGE_CHARS, neutralize, too_long
from .unavailable import unavailable_messages

log = logging.getLogger(__name__)


def error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


class SafeRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def _payload(self, request: Request) -> Optional[Dict[str, Any]]:
        try:
            body = request.json
        except Exception:  # noqa: BLE001 - sanic raises on malformed JSON
            return None
        return body if isinstance(body, dict) else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

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
            if too_long(text):
                return error(413, f"That message is too long. Please keep it under {MAX_MESSAGE_CHARS} characters.")
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        neutralize(text),
                        collector,
                        sender,
                        input_channel=self.name(),
                        metadata=metadata,
                    )
                )
            except Exception:  # noqa: BLE001
                log.exception("processing a REST message failed")
                collector.messages = []
            messages: List[Dict[str, Any]] = collector.messages
            if not messages:
                messages = unavailable_messages(sender, (metadata or {}).get("region"))
            return response.json(messages)

        return bp
