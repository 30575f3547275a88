"""``action_answer``: renders the entry the NLU component chose (or the fallback).

The decision arrives with the message (entity ``decision``); the action server only renders
it, and revisits it only when the turn depends on the conversation: "yes, tell me more" after
suggested questions, or a short follow-up that completes a split request ("and with
xanax?"). It reads the latest user turns and the previous reply's buttons, never the whole
history, so its work per turn does not grow with the conversation.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.contract import ContractError, Decision, Turn, audience_of, reply_data_of

from .assistant_holder import get_assistant

log = logging.getLogger(__name__)
CONTEXT_TURNS = 3
DEFAULT_REGION = os.environ.get("KRATOM_REGION", "US").upper()  # the environment, read once
EXTRACTOR = "GuardrailClassifier"


def recent_turns(tracker: Tracker) -> tuple[Dict[str, Any] | None, List[str], List[str]]:
    """The latest user event, up to CONTEXT_TURNS earlier user texts, and the buttons the bot
    offered just before the latest turn. Walks back from the end and stops early."""
    latest: Dict[str, Any] | None = None
    context: List[str] = []
    buttons: List[str] | None = None
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if latest is None:
                latest = event
            else:
                context.insert(0, event.get("text") or "")
                if buttons is None:
                    buttons = []
                if len(context) >= CONTEXT_TURNS:
                    break
        elif kind == "bot" and latest is not None and buttons is None:
            data = event.get("data") or {}
            found = [b.get("payload") or b.get("title") for b in data.get("buttons") or []]
            reply = reply_data_of(data.get("custom"))
            found += list(reply.buttons) if reply is not None else []
            if found:
                buttons = [b for b in found if isinstance(b, str)]
    return latest, context, buttons or []


def decision_in(event: Dict[str, Any] | None) -> Decision | None:
    for entity in ((event or {}).get("parse_data") or {}).get("entities") or []:
        if entity.get("entity") == "decision" and entity.get("extractor") == EXTRACTOR:
            try:
                return Decision.decode(entity["value"])
            except ContractError:
                log.warning("a decision that does not match the contract was ignored")
    return None


def region_of(event: Dict[str, Any] | None) -> str:
    metadata = (event or {}).get("metadata") or {}
    region = metadata.get("region") if isinstance(metadata, dict) else None
    return str(region or DEFAULT_REGION).upper()


class ActionAnswer(Action):
    def name(self) -> Text:
        return "action_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        latest, context, suggestions = recent_turns(tracker)
        text = (latest or {}).get("text") or tracker.latest_message.get("text") or ""
        turn = Turn(text=text, region=region_of(latest), context=tuple(context), suggestions=tuple(suggestions),
                    after_crisis=bool(tracker.get_slot("crisis_seen")),
                    audience=audience_of((latest or {}).get("metadata")))
        assistant = await asyncio.to_thread(get_assistant)
        reply = await asyncio.to_thread(assistant.reply, turn, decision_in(latest))
        for message in reply.messages:
            dispatcher.utter_message(
                text=message.text,
                buttons=[{"title": b, "payload": b} for b in message.buttons],
                json_message={"data": message.data.to_dict()},
            )
        return []
