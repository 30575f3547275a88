"""``action_answer``: the knowledge-base reply, with the input re-checked in context."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from .assistant_holder import get_assistant

log = logging.getLogger(__name__)
CONTEXT_TURNS = 3


def user_turns(tracker: Tracker) -> List[Dict[str, Any]]:
    return [e for e in tracker.events if e.get("event") == "user"]


def region_of(event: Dict[str, Any] | None) -> str:
    metadata = (event or {}).get("metadata") or {}
    region = metadata.get("region") if isinstance(metadata, dict) else None
    return str(region or os.environ.get("KRATOM_REGION", "US")).upper()


class ActionAnswer(Action):
    def name(self) -> Text:
        return "action_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        turns = user_turns(tracker)
        latest = turns[-1] if turns else None
        text = (latest or {}).get("text") or tracker.latest_message.get("text") or ""
        context = [t.get("text") or "" for t in turns[:-1]][-CONTEXT_TURNS:]
        after_crisis = bool(tracker.get_slot("crisis_seen"))
        assistant = await asyncio.to_thread(get_assistant)
        response = await asyncio.to_thread(assistant.respond, text, context, region_of(latest), after_crisis)
        for message in response.messages:
            dispatcher.utter_message(
                text=message.text,
                buttons=[{"title": b, "payload": b} for b in message.buttons],
                json_message={"data": message.data},
            )
        return []
