"""The guardrail as a Rasa 3 NLU component: crisis, redirect and small talk decided in Rasa.

For every message it runs the same ``triage`` the CLI and the action server use, and sets:

- intent ``crisis`` / ``redirect`` / ``smalltalk`` with the reply text and its structured data
  as entities (``reply_text``, ``reply_data``); rules answer them with domain responses that
  interpolate those slots, so these replies need no action server;
- intent ``ask`` for everything else (the action server answers it from the knowledge base);
- entity ``reminder_text``: the short crisis-resources line added to replies after a crisis.

It uses only what the Rasa environment has (no torch). If anything here raises, the message
gets the fail-closed redirect reply: a broken check never lets a message through.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.pipeline import guard_message, triage
from guardrails import InputGuard, ReplyBook, Smalltalk
from guardrails.verdict import fail_closed

log = logging.getLogger(__name__)

# Used only if even the reply files cannot be loaded: still points to help.
LAST_RESORT = (
    "I'm sorry, I can't answer right now. If you are in crisis, call or text 988 "
    "(US) or your local emergency number. For treatment help: SAMHSA 1-800-662-4357."
)


def _entity(name: str, value: str) -> Dict[str, Any]:
    return {"entity": name, "value": value, "start": 0, "end": 0, "confidence_entity": 1.0,
            "extractor": "GuardrailClassifier"}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class GuardrailClassifier(GraphComponent, IntentClassifier):
    """Sets the intent from the guardrail engine and the small-talk matcher."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"default_region": None}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._default_region = config.get("default_region") or os.environ.get("KRATOM_REGION", "US")
        self._guard: Optional[InputGuard] = None
        self._book: Optional[ReplyBook] = None
        self._smalltalk: Optional[Smalltalk] = None
        try:
            self._guard = InputGuard.from_files()
            self._book = ReplyBook.from_files()
            self._smalltalk = Smalltalk.from_file()
        except Exception:  # noqa: BLE001 - fail closed at run time, never crash the server
            log.exception("guardrail files could not be loaded; every message will be refused")

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "GuardrailClassifier":
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._process_one(message)
        return messages

    def _region(self, message: Message) -> str:
        metadata = message.get("metadata") or {}
        region = metadata.get("region") if isinstance(metadata, dict) else None
        return str(region or self._default_region).upper()

    def _process_one(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        region = self._region(message)
        try:
            if self._guard is None or self._book is None or self._smalltalk is None:
                raise RuntimeError("guardrail not loaded")
            tri = triage(self._guard, self._smalltalk, text)
            reminder = self._book.render("crisis_reminder", region, tri.verdict.lang).text
            if tri.route in ("crisis", "redirect"):
                out = guard_message(self._book, tri.verdict, region)
                intent, reply, data = tri.route, out.text, {**out.data, "buttons": list(out.buttons)}
            elif tri.route == "smalltalk":
                match = tri.smalltalk
                intent, reply = "smalltalk", match.text
                data = {"route": "smalltalk", "kind": "smalltalk", "intent": match.intent,
                        "lang": tri.verdict.lang, "buttons": list(match.suggestions)}
            else:
                intent, reply, data = "ask", "", {}
        except Exception:  # noqa: BLE001
            log.exception("guardrail check failed; failing closed")
            intent, reminder = "redirect", ""
            try:
                out = guard_message(self._book, fail_closed(), region)  # type: ignore[arg-type]
                reply, data = out.text, out.data
            except Exception:  # noqa: BLE001
                reply, data = LAST_RESORT, {"route": "redirect", "rule": "fail_closed.check_error"}
        message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": 1.0}], add_to_output=True)
        entities = [e for e in (message.get(ENTITIES) or []) if e.get("extractor") != "GuardrailClassifier"]
        if reply:
            entities.append(_entity("reply_text", reply))
            entities.append(_entity("reply_data", json.dumps(data, ensure_ascii=False)))
        if reminder:
            entities.append(_entity("reminder_text", reminder))
        message.set(ENTITIES, entities, add_to_output=True)
