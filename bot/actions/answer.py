"""``action_answer``: the knowledge-base reply, with the input re-checked in context."""

from __future__ import annotations

import asyncio
import json
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


def last_suggestions(tracker: Tracker) -> List[str]:
    """The questions the bot's previous reply offered as buttons (action or domain replies)."""
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "user":
            break
    for event in reversed(events[:index]):
        if event.get("event") == "user":
            return []
        if event.get("event") != "bot":
            continue
        data = event.get("data") or {}
        buttons = [b.get("payload") or b.get("title") for b in data.get("buttons") or []]
        custom = (data.get("custom") or {}).get("data")
        if isinstance(custom, str):
            try:
                custom = json.loads(custom)
            except ValueError:
                custom = None
        if isinstance(custom, dict):
            buttons += [b for b in custom.get("buttons") or [] if isinstance(b, str)]
        if buttons:
            return [b for b in buttons if isinstance(b, str)]
    return []


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
        response = await asyncio.to_thread(
            assistant.respond, text, context, region_of(latest), after_crisis, last_suggestions(tracker)
        )
        for message in response.messages:
            dispatcher.utter_message(
                text=message.text,
                buttons=[{"title": b, "payload": b} for b in message.buttons],
                json_message={"data": message.data},
            )
        return []
