"""The assistant's decision as a Rasa 3 NLU component: decided once, in Rasa, per message.

For every message it calls ``Assistant.decide`` (normalize once, one embedding for the
guardrail's judge and for retrieval, as Rasa's ResponseSelector selects an FAQ answer inside
NLU) and sets:

- intent ``crisis`` / ``redirect`` / ``smalltalk`` with the rendered, output-checked reply as
  entities ``reply_text`` and ``reply_data`` (``ReplyData.encode()``); rules answer them with
  domain responses that interpolate those slots, so these replies need no action server;
- intent ``ask`` with entity ``decision`` (``Decision.encode()``): the action server renders
  the chosen entry, the fallback, or small talk that only the judge recognised ("is that
  ok?"), and revisits the decision for a follow-up in context;
- entity ``reminder_text``: the short crisis-resources line added to replies after a crisis.

The region comes from the message metadata (set by the channel) or ``KRATOM_REGION``, read
once here. If anything raises, the message gets ``last_resort``: it names the region's
crisis line. A broken check never lets a message through.
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.contract import Decision, Route, Turn, audience_of
from bot.pipeline import Assistant, last_resort
from bot.rasa_patches import install as install_rasa_patches

log = logging.getLogger(__name__)
EXTRACTOR = "GuardrailClassifier"


def _entity(name: str, value: str) -> Dict[str, Any]:
    return {"entity": name, "value": value, "start": 0, "end": 0, "confidence_entity": 1.0, "extractor": EXTRACTOR}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class GuardrailClassifier(GraphComponent, IntentClassifier):
    """Sets the intent, the reply and the decision from the shared pipeline."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"default_region": None}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._default_region = str(config.get("default_region") or os.environ.get("KRATOM_REGION", "US")).upper()
        self._assistant: Optional[Assistant] = None
        install_rasa_patches()
        try:
            assistant = Assistant.load()
            assistant.warm_up()
            self._assistant = assistant
        except Exception:  # noqa: BLE001 - fail closed at run time, never crash the server
            log.exception("assistant could not be loaded; crisis rules only, everything else refused")
            self._assistant = _crisis_rules_only()

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "GuardrailClassifier":
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
        turn = Turn(text=message.get(TEXT) or "", region=self._region(message),
                    audience=audience_of(message.get("metadata")))
        entities: List[Dict[str, Any]] = []
        try:
            if self._assistant is None:
                raise RuntimeError("assistant not loaded")
            decision = self._assistant.decide(turn)
            if decision.route.guarded or (decision.route is Route.SMALLTALK and self._assistant.is_plain_small_talk(turn.text, decision.lang)):
                rendered = self._assistant.render_checked(decision, turn)
                out = rendered[-1]  # the reply; a crisis hint before it goes in the same message
                if len(rendered) > 1:
                    out = replace(out, text="\n\n".join(m.text for m in rendered))
                # A dose-like small-talk reply or button replaced by the output check is a redirect.
                intent = "crisis" if decision.route is Route.CRISIS else (
                    "smalltalk" if out.data.route is Route.SMALLTALK else "redirect")
                data = out.data
                entities += [_entity("reply_text", out.text), _entity("reply_data", data.encode())]
            else:
                intent = "ask"
                entities.append(_entity("decision", decision.encode()))
            lang = "es" if decision.lang == "es" else "en"
            reminder = self._assistant.book.render("crisis_reminder", turn.region, lang).text
            entities.append(_entity("reminder_text", reminder))
        except Exception:  # noqa: BLE001
            log.exception("guardrail check failed; failing closed")
            out = last_resort(turn.region, "en", self._assistant.book if self._assistant else None)
            intent = "redirect"
            entities = [_entity("reply_text", out.text), _entity("reply_data", out.data.encode())]
        message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": 1.0}], add_to_output=True)
        kept = [e for e in (message.get(ENTITIES) or []) if e.get("extractor") != EXTRACTOR]
        message.set(ENTITIES, kept + entities, add_to_output=True)


def _crisis_rules_only() -> Optional[Assistant]:
    """The assistant with nothing but the crisis rules and the replies: crisis help still
    arrives, everything else gets the fail-closed reply. None if even that cannot load."""
    try:
        from guardrails import InputGuard, ReplyBook, Smalltalk
        from knowledge.retriever import RetrievalConfig

        guard = InputGuard.from_files(require_judge=False)
        guard.load_error = guard.load_error or "assistant not loaded"
        return Assistant(guard=guard, book=ReplyBook.from_files(), smalltalk=Smalltalk.from_file(), kb=None,
                         config=RetrievalConfig.load())
    except Exception:  # noqa: BLE001
        log.exception("not even the crisis rules could be loaded; every message gets the last-resort reply")
        return None


def decision_of(entities: List[Dict[str, Any]]) -> Optional[Decision]:
    """The decision the component attached to a message, if any (used by the action server)."""
    for entity in entities or []:
        if entity.get("entity") == "decision" and entity.get("extractor") == EXTRACTOR:
            return Decision.decode(entity["value"])
    return None
