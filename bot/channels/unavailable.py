"""The reply for "something behind Rasa failed": never silence, always where to get help."""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from typing import Any, Dict, List, Optional

log = logging.getLogger(__name__)

DEFAULT_REGION = os.environ.get("KRATOM_REGION", "US").upper()  # the environment, read once


@lru_cache(maxsize=1)
def _book():
    from guardrails import ReplyBook

    return ReplyBook.from_files()


def unavailable_messages(recipient_id: str, region: Optional[str]) -> List[Dict[str, Any]]:
    region = region or DEFAULT_REGION
    try:
        reply = _book().render("unavailable", region, "en")
        text, resources = reply.text, list(reply.resources)
    except Exception:  # noqa: BLE001
        log.exception("could not render the unavailable reply")
        from bot.pipeline import last_resort

        text, resources = last_resort(region).text, []
    return [
        {"recipient_id": recipient_id, "text": text},
        {"recipient_id": recipient_id, "custom": {"data": {"route": "fallback", "kind": "unavailable", "resources": resources}}},
    ]
