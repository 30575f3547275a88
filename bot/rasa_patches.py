"""Nine changes to Rasa 3.6's per-turn work, each measured in BENCHMARKS.md; none changes a result.

1. **One HTTP session.** ``EndpointConfig.request`` opens a new aiohttp ``ClientSession`` (and
   so a new TCP connection) for every action call and closes it after. Here each endpoint
   keeps one session per event loop, with keep-alive connections.
2. **A bounded tracker.** ``RemoteAction`` posts the whole conversation (every event) on every
   call, so a turn's cost grows with the conversation. ``action_answer`` reads only the latest
   user turn, up to three before it and the buttons in between; here the tracker sent holds
   the events from the ``TRACKER_USER_TURNS``-th last user turn on, plus the slots and the
   latest message as before. Building it walks back from the end, so it does not grow either.
   The domain is still sent (it is small and constant; rasa-sdk 3.21 answers 449 to a call
   without it, which Rasa 3.6 does not retry).

3. **Event types found once.** Rebuilding a tracker from the store (every turn, every event)
   calls ``Event.resolve_by_type``, which walks every ``Event`` subclass and asks
   ``inspect.isabstract`` of each, for each event: a third of a turn's time by turn 200 (py-spy,
   BENCHMARKS.md). Here a name, once resolved, is looked up in a dict; an unknown name still
   goes to Rasa's own function (so it raises, or finds a subclass imported later).
4. **The action response schema compiled once.** ``RemoteAction._validate_action_result`` calls
   ``jsonschema.validate``, which checks the schema itself against the metaschema on every
   call before validating the response. Here one validator is built per schema and reused; a
   response that does not match still raises the same ``ValidationError``.
5. **Rules matched on the recent turns.** ``RulePolicy`` turns the whole conversation into
   states every time it predicts (two or three times a turn) and deep-copies them for a debug
   log line, though this project's rules (``data/rules.yml``) are one intent and one action,
   none tied to the conversation start. Here the states come from the events since the
   ``PREDICTION_USER_TURNS``-th last user turn. A conversation with an active loop, or a
   reverted action or utterance in that window (which could reach back beyond it), is read
   whole as before. Tested to predict the same action as the whole conversation at every turn.
6. **No count query before each SQL save.** ``SQLTrackerStore.save`` finds the events to insert
   by counting, in PostgreSQL, the conversation's stored events since its last session start
   (13% of a replica's time under load). The tracker this store just read, or just saved, knows
   that number already: it is kept on the tracker object, and the count is asked only for a
   tracker the store has not seen. The lock store lets one replica at a time handle a
   conversation, so no other writer adds events between the read and the save.

7. **The in-memory store keeps events, not JSON.** ``InMemoryTrackerStore`` writes the whole
   conversation as one JSON text on every save and parses it all back on every read: half a
   replica's time by turn 100 (py-spy, BENCHMARKS.md). Here it keeps the saved events (each
   copied once through its JSON form, as Rasa's store would give it back) and appends only a
   save's new ones; a read rebuilds the tracker from them as Rasa's own does from the text
   (the trackers it returns share event objects, as ``DialogueStateTracker.copy`` does), the
   last session only. With ``max_event_history`` set it is Rasa's store unchanged.

8. **Applied events carried forward.** ``DialogueStateTracker.applied_events`` walks the
   whole conversation each time it is asked, and a turn asks several times (the session check,
   ``get_last_event_for``, the rules' states): a fifth of a replica's time by turn 100. It is a
   left fold over the events, so here a tracker keeps the result with the number of events it
   covers and folds only the events appended since, with Rasa's own undo steps. It folds from
   scratch whenever that is not the same computation: the event deque replaced or trimmed
   (``max_event_history``), or a new ``ActiveLoop`` name (Rasa collects loop names over the
   whole conversation first, so a later one changes how earlier events count). Callers get a
   new list each time, as before.

9. **A tracker copied by its state.** ``MessageProcessor._run_action`` copies the tracker
   before every action, and ``DialogueStateTracker.copy`` replays every event of the
   conversation into a fresh tracker: an eighth of a replica's time by turn 80. Every field an
   event can set (``rasa/shared/core/events.py``: slots, the active loop, the latest message,
   bot utterance and action, the follow-up action, paused) is a function of the events, so here
   the copy takes the same events and copies those fields instead of recomputing them. A
   subclass, a rule tracker or a tracker without declared slots is copied by Rasa's replay.
   Tested field by field against Rasa's copy over random conversations.

``install()`` is idempotent; the NLU component calls it, so every ``rasa run`` has it.
Rasa-only module (imported in the Rasa environment).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, Text

log = logging.getLogger(__name__)
TRACKER_USER_TURNS = 4  # the latest user turn and the three the action server reads as context
PREDICTION_USER_TURNS = 3  # the rules are two steps long; three user turns leave room
_installed = False
ORIGINALS: Dict[str, Any] = {}  # Rasa's own functions, kept so tests can compare against them


class _KeptOpen:
    """``async with`` on a shared session: yields it and leaves it open."""

    def __init__(self, session: Any) -> None:
        self._session = session

    async def __aenter__(self) -> Any:
        return self._session

    async def __aexit__(self, *exc: Any) -> bool:
        return False


def recent_events(events: Any, user_turns: int = TRACKER_USER_TURNS) -> list:
    """The events from the ``user_turns``-th last user event to the end (all, if fewer)."""
    kept: list = []
    seen = 0
    for event in reversed(events):
        kept.append(event)
        if getattr(event, "type_name", None) == "user":
            seen += 1
            if seen >= user_turns:
                break
    kept.reverse()
    return kept


def install() -> None:
    global _installed
    if _installed:
        return
    import rasa
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.trackers import EventVerbosity
    from rasa.utils.endpoints import EndpointConfig

    create_session = EndpointConfig.session
    ORIGINALS.update(session=create_session, call_format=RemoteAction._action_call_format)
    sessions: Dict[tuple, Any] = {}

    def shared_session(self: EndpointConfig) -> Any:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called outside a loop: Rasa's own behaviour
            return create_session(self)
        key = (id(loop), self.url, repr(self.basic_auth), repr(sorted((self.headers or {}).items())))
        session = sessions.get(key)
        if session is None or session.closed:
            session = create_session(self)
            sessions[key] = session
        return _KeptOpen(session)

    def bounded_call_format(self: RemoteAction, tracker: Any, domain: Any) -> Dict[Text, Any]:
        state = tracker.current_state(EventVerbosity.NONE)
        state["events"] = [event.as_dict() for event in recent_events(tracker.events)]
        result: Dict[Text, Any] = {"next_action": self._name, "sender_id": tracker.sender_id, "tracker": state,
                                   "version": rasa.__version__}
        if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
            result["domain"] = domain.as_dict()
        return result

    EndpointConfig.session = shared_session  # type: ignore[method-assign]
    RemoteAction._action_call_format = bounded_call_format  # type: ignore[method-assign]
    _install_event_type_cache()
    _install_schema_cache()
    _install_recent_rule_states()
    _install_sql_save_without_count()
    _install_in_memory_events()
    _install_applied_events_fold()
    _install_state_copy()
    _installed = True
    log.info("action calls: one HTTP session per endpoint, tracker bounded to %d user turns; "
             "event types and the response schema resolved once; rules on the last %d user turns; "
             "SQL saves without a count; in-memory trackers kept as events; applied events folded on; trackers copied by state", TRACKER_USER_TURNS, PREDICTION_USER_TURNS)


def _install_event_type_cache() -> None:
    from rasa.shared.core.events import Event

    resolve = ORIGINALS["resolve_by_type"] = Event.resolve_by_type  # the staticmethod's function
    found: Dict[Text, Any] = {}

    def resolve_by_type(type_name: Text, default: Any = None) -> Any:
        cls = found.get(type_name)
        if cls is None:
            cls = resolve(type_name, default)
            if cls is not None and cls is not default:
                found[type_name] = cls
        return cls

    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]


def _install_schema_cache() -> None:
    from jsonschema import validators
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import RemoteAction

    checked: Dict[Any, Any] = {}
    original = ORIGINALS["validate_action_result"] = RemoteAction._validate_action_result

    def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        key = type(self).action_response_format_spec  # a static method: one schema per class
        validator = checked.get(key)
        if validator is None:
            schema = self.action_response_format_spec()
            cls = validators.validator_for(schema)
            cls.check_schema(schema)  # as jsonschema.validate does, once per schema
            validator = checked[key] = cls(schema)
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        original(self, result)  # raises Rasa's own ValidationError, with its message
        raise error  # only if Rasa's validator disagreed: an invalid response never passes

    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


def recent_view(tracker: Any, user_turns: int = PREDICTION_USER_TURNS) -> Any:
    """A tracker holding the events since the ``user_turns``-th last user turn, with the same
    slots, or the tracker itself when the window could read differently from the whole."""
    from rasa.shared.core.events import ActionReverted, ActiveLoop, UserUtteranceReverted

    if tracker.active_loop_name:
        return tracker
    window = recent_events(tracker.events, user_turns)
    if len(window) == len(tracker.events):
        return tracker
    if any(isinstance(e, (ActionReverted, UserUtteranceReverted, ActiveLoop)) for e in window):
        return tracker
    view = tracker.init_copy()
    view.events = view._create_events(window)
    return view


def _install_recent_rule_states() -> None:
    from rasa.core.policies.rule_policy import RulePolicy

    prediction_states = ORIGINALS["prediction_states"] = RulePolicy._prediction_states

    def recent_prediction_states(self: Any, tracker: Any, domain: Any, *args: Any, **kwargs: Any) -> Any:
        return prediction_states(self, recent_view(tracker), domain, *args, **kwargs)

    RulePolicy._prediction_states = recent_prediction_states  # type: ignore[method-assign]


_STORED = "_kratom_stored_events"  # (the store, how many of tracker.events it holds)


def _install_sql_save_without_count() -> None:
    import itertools

    from rasa.core.tracker_store import SQLTrackerStore

    retrieve = ORIGINALS["sql_retrieve"] = SQLTrackerStore._retrieve
    save = ORIGINALS["sql_save"] = SQLTrackerStore.save
    additional = ORIGINALS["sql_additional_events"] = SQLTrackerStore._additional_events

    async def _retrieve(self: Any, sender_id: Text, fetch_events_from_all_sessions: bool) -> Any:
        tracker = await retrieve(self, sender_id, fetch_events_from_all_sessions)
        if tracker is not None and not fetch_events_from_all_sessions:
            setattr(tracker, _STORED, (self, len(tracker.events)))
        return tracker

    def _additional_events(self: Any, session: Any, tracker: Any) -> Any:
        mark = getattr(tracker, _STORED, None)
        if mark is None or mark[0] is not self:
            return additional(self, session, tracker)
        return itertools.islice(tracker.events, mark[1], len(tracker.events))

    async def save_tracker(self: Any, tracker: Any) -> None:
        await save(self, tracker)
        setattr(tracker, _STORED, (self, len(tracker.events)))

    SQLTrackerStore._retrieve = _retrieve  # type: ignore[method-assign]
    SQLTrackerStore._additional_events = _additional_events  # type: ignore[method-assign]
    SQLTrackerStore.save = save_tracker  # type: ignore[method-assign]


class _KeptEvents:
    """One conversation in the in-memory store: its saved events, oldest first."""

    __slots__ = ("events",)

    def __init__(self, events: list) -> None:
        self.events = events


_KEPT = "_kratom_kept_events"  # (the store, its _KeptEvents, where the tracker's events start in it, how many)


def _install_in_memory_events() -> None:
    import json

    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.constants import ACTION_SESSION_START_NAME
    from rasa.shared.core.events import ActionExecuted, Event, split_events
    from rasa.shared.core.trackers import DialogueStateTracker

    save = ORIGINALS["memory_save"] = InMemoryTrackerStore.save
    retrieve = ORIGINALS["memory_retrieve"] = InMemoryTrackerStore._retrieve

    def copied(events: Any) -> list:
        return [Event.from_parameters(json.loads(json.dumps(e.as_dict()))) for e in events]

    async def save_events(self: Any, tracker: Any) -> None:
        if self.max_event_history is not None:
            return await save(self, tracker)
        await self.stream_events(tracker)
        kept = self.store.get(tracker.sender_id)
        mark = getattr(tracker, _KEPT, None)
        events = list(tracker.events)
        if (isinstance(kept, _KeptEvents) and mark is not None and mark[0] is self and mark[1] is kept
                and len(kept.events) == mark[2] + mark[3] and len(events) >= mark[3]):
            new = copied(events[mark[3]:])
            if mark[2] == 0:
                kept.events.extend(new)
            else:  # the tracker was the last session: Rasa's store then keeps only that session
                kept = _KeptEvents(kept.events[mark[2]:] + new)
        else:
            kept = _KeptEvents(copied(events))
        self.store[tracker.sender_id] = kept
        setattr(tracker, _KEPT, (self, kept, 0, len(kept.events)))

    async def retrieve_events(self: Any, sender_id: Text, fetch_all_sessions: bool) -> Any:
        kept = self.store.get(sender_id)
        if not isinstance(kept, _KeptEvents):
            return await retrieve(self, sender_id, fetch_all_sessions)
        events = kept.events
        start = 0
        if not fetch_all_sessions:
            sessions = split_events(events, ActionExecuted, {"action_name": ACTION_SESSION_START_NAME},
                                    include_splitting_event=True)
            if len(sessions) > 1:
                start = len(events) - len(sessions[-1])
        tracker = DialogueStateTracker.from_events(sender_id, events[start:], self.domain.slots,
                                                   max_event_history=self.max_event_history)
        setattr(tracker, _KEPT, (self, kept, start, len(events) - start))
        return tracker

    InMemoryTrackerStore.save = save_events  # type: ignore[method-assign]
    InMemoryTrackerStore._retrieve = retrieve_events  # type: ignore[method-assign]


_APPLIED = "_kratom_applied"  # (the events deque, how many events, the last of them, loop names, the result)


def _install_applied_events_fold() -> None:
    import itertools

    from rasa.shared.core.events import (
        ActionExecuted, ActionReverted, ActiveLoop, Restarted, SessionStarted, UserUttered, UserUtteranceReverted,
    )
    from rasa.shared.core.trackers import DialogueStateTracker

    applied = ORIGINALS["applied_events"] = DialogueStateTracker.applied_events

    def fold(tracker: Any, events: Any, loop_names: list, done: list) -> list:
        # Rasa's loop body (rasa/shared/core/trackers.py, DialogueStateTracker.applied_events).
        for event in events:
            if isinstance(event, (Restarted, SessionStarted)):
                done = []
            elif isinstance(event, ActionReverted):
                tracker._undo_till_previous(ActionExecuted, done)
            elif isinstance(event, UserUtteranceReverted):
                tracker._undo_till_previous(UserUttered, done)
                tracker._undo_till_previous(ActionExecuted, done)
            elif (isinstance(event, ActionExecuted) and event.action_name in loop_names
                  and not tracker._first_loop_execution_or_unhappy_path(event.action_name, done)):
                tracker._undo_till_previous_loop_execution(event.action_name, done)
            else:
                done.append(event)
        return done

    def applied_events(self: Any) -> Any:
        events = self.events
        n = len(events)
        if events.maxlen is not None:
            return applied(self)
        kept = self.__dict__.get(_APPLIED)
        if kept is not None and kept[0] is events and kept[1] <= n and (kept[1] == 0 or events[kept[1] - 1] is kept[2]):
            new = list(itertools.islice(events, kept[1], n))
            if not any(isinstance(e, ActiveLoop) and e.name and e.name not in kept[3] for e in new):
                done = fold(self, new, kept[3], list(kept[4]))
                self.__dict__[_APPLIED] = (events, n, events[-1] if n else None, kept[3], done)
                return list(done)
        loop_names = [e.name for e in events if isinstance(e, ActiveLoop) and e.name]
        done = fold(self, events, loop_names, [])
        self.__dict__[_APPLIED] = (events, n, events[-1] if n else None, loop_names, done)
        return list(done)

    DialogueStateTracker.applied_events = applied_events  # type: ignore[method-assign]


_STATE_FIELDS = ("_paused", "latest_message", "latest_bot_utterance", "followup_action")


def _install_state_copy() -> None:
    import copy as copying
    import dataclasses

    from rasa.shared.core.trackers import DialogueStateTracker

    replay_copy = ORIGINALS["tracker_copy"] = DialogueStateTracker.copy

    def state_copy(self: Any) -> Any:
        if type(self) is not DialogueStateTracker or self.is_rule_tracker or type(self.slots) is not dict:
            return replay_copy(self)
        new = self.init_copy()
        new.events = new._create_events(list(self.events))
        new.slots = {name: copying.copy(slot) for name, slot in self.slots.items()}
        for name in _STATE_FIELDS:
            setattr(new, name, getattr(self, name))
        new.latest_action = dict(self.latest_action) if isinstance(self.latest_action, dict) else self.latest_action
        new.active_loop = None if self.active_loop is None else dataclasses.replace(self.active_loop)
        return new

    DialogueStateTracker.copy = state_copy  # type: ignore[method-assign]
