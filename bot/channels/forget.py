"""Delete one conversation from Rasa 3.6's tracker store: what "Clear conversation" asks for.

Rasa's tracker stores have no delete method, so there is one here per kind of store:

- ``InMemoryTrackerStore``: pop the sender from its dict;
- ``SQLTrackerStore``: delete the sender's rows of the ``events`` table, through the store's session;
- ``RedisTrackerStore``: delete the sender's key (its key prefix + the sender id).

The agent's store is usually wrapped: ``FailSafeTrackerStore`` (which may also hold in-memory
copies of turns whose save failed) around an ``AwaitableTrackerStore`` around the real store.
Every layer is unwrapped and every store found is cleared, the fallback copies included. Any
other kind of store raises ``UnsupportedTrackerStore``: forgetting must not silently do nothing.

The caller holds the conversation's lock while deleting (``forget``), so a turn still being
processed finishes first and cannot save the conversation again afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, List

log = logging.getLogger(__name__)


class UnsupportedTrackerStore(RuntimeError):
    """The tracker store is of a kind this module cannot delete from."""


def stores_in(store: Any) -> List[Any]:
    """The concrete stores behind ``store`` (wrappers unwrapped), primary first."""
    from rasa.core.tracker_store import AwaitableTrackerStore, FailSafeTrackerStore

    found: List[Any] = []
    pending = [store]
    while pending:
        current = pending.pop(0)
        if current is None:
            continue
        if isinstance(current, FailSafeTrackerStore):
            pending += [current._tracker_store, current._fallback_tracker_store]
        elif isinstance(current, AwaitableTrackerStore):
            pending.append(current._tracker_store)
        else:
            found.append(current)
    return found


def _delete_memory(store: Any, sender_id: str) -> int:
    return 1 if store.store.pop(sender_id, None) is not None else 0


def _delete_sql(store: Any, sender_id: str) -> int:
    event = store.SQLEvent
    with store.session_scope() as session:
        deleted = session.query(event).filter(event.sender_id == sender_id).delete(synchronize_session=False)
        session.commit()
    return int(deleted or 0)


def _delete_redis(store: Any, sender_id: str) -> int:
    return int(store.red.delete(store.key_prefix + sender_id) or 0)


def _deleter(store: Any) -> Callable[[Any, str], int]:
    from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore, SQLTrackerStore

    if isinstance(store, InMemoryTrackerStore):
        return _delete_memory
    if isinstance(store, SQLTrackerStore):
        return _delete_sql
    if isinstance(store, RedisTrackerStore):
        return _delete_redis
    raise UnsupportedTrackerStore(f"cannot delete conversations from a {type(store).__name__}")


def delete_from(store: Any, sender_id: str) -> int:
    """Delete ``sender_id`` from one concrete store (blocking). Returns rows or keys removed."""
    return _deleter(store)(store, sender_id)


async def forget(agent: Any, sender_id: str) -> int:
    """Delete the conversation ``sender_id`` (an already hashed id) from ``agent``'s tracker store.

    Waits for the conversation's lock, so an unfinished turn is saved first and deleted with the
    rest. Returns what was removed (for logs and tests only: callers must not tell clients)."""
    plan = [(store, _deleter(store)) for store in stores_in(agent.tracker_store)]  # fail before deleting anything
    removed = 0
    async with agent.lock_store.lock(sender_id):
        for store, delete in plan:
            # SQL and Redis calls block: keep them off the event loop.
            removed += await asyncio.to_thread(delete, store, sender_id)
    return removed
