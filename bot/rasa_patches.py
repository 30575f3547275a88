"""Two changes to Rasa 3.6's calls to the action server, each measured in BENCHMARKS.md.

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

``install()`` is idempotent; the NLU component calls it, so every ``rasa run`` has it.
Rasa-only module (imported in the Rasa environment).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, Text

log = logging.getLogger(__name__)
TRACKER_USER_TURNS = 4  # the latest user turn and the three the action server reads as context
_installed = False


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
    _installed = True
    log.info("action calls: one HTTP session per endpoint, tracker bounded to %d user turns", TRACKER_USER_TURNS)
