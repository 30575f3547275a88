"""action_answer run directly with a Tracker built from a dict, as Rasa would send it."""

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import assistant_holder
from bot.actions.answer import ActionAnswer


def tracker(*user_texts, region=None, crisis_seen=False):
    events = []
    for text in user_texts:
        events.append({"event": "user", "text": text, "metadata": {"region": region} if region else {}})
        events.append({"event": "action", "name": "action_listen"})
    return Tracker.from_dict({
        "sender_id": "test", "slots": {"crisis_seen": crisis_seen}, "latest_message": {"text": user_texts[-1]},
        "events": events, "paused": False, "followup_action": None, "active_loop": {},
        "latest_action_name": "action_listen",
    })


@pytest.fixture()
def run_action(assistant, monkeypatch):
    monkeypatch.setattr(assistant_holder, "_assistant", assistant)

    def run(t):
        dispatcher = CollectingDispatcher()
        events = asyncio.run(ActionAnswer().run(dispatcher, t, {}))
        return dispatcher.messages, events

    return run


def test_answer_message_carries_text_buttons_and_data(run_action):
    messages, events = run_action(tracker("is kratom legal?"))
    assert events == []
    assert messages[0]["custom"]["data"]["route"] == "answer"
    assert "Sources:" in messages[0]["text"]
    assert messages[0]["buttons"] and all(b["title"] == b["payload"] for b in messages[0]["buttons"])


def test_action_rechecks_input_with_context(run_action):
    messages, _ = run_action(tracker("I'm coming off oxy and I have kratom", "how much?"))
    assert messages[0]["custom"]["data"]["route"] == "redirect"


def test_action_uses_the_region_from_metadata(run_action):
    messages, _ = run_action(tracker("what time is it in Tokyo", region="AU"))
    assert "1800 250 015" in messages[0]["text"]


def test_action_adds_crisis_line_after_a_crisis(run_action):
    messages, _ = run_action(tracker("is kratom legal?", crisis_seen=True))
    assert "988" in messages[-1]["text"]


def test_tell_me_more_uses_the_previous_replys_suggestions(run_action):
    t = Tracker.from_dict({
        "sender_id": "t", "slots": {}, "latest_message": {"text": "yes, tell me more"}, "paused": False,
        "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen",
        "events": [
            {"event": "user", "text": "Can kratom hurt my liver?"},
            {"event": "bot", "text": "...", "data": {"buttons": [{"title": "Is kratom safe?", "payload": "Is kratom safe?"}]}},
            {"event": "user", "text": "yes, tell me more"},
        ],
    })
    messages, _ = run_action(t)
    assert messages[0]["custom"]["data"]["entry_id"] == "is-kratom-safe"
