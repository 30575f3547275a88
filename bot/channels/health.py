"""``GET /webhooks/health/``: is this replica keeping conversations where they are shared?

Rasa 3.6 never says when it stops doing so. It wraps the tracker store in a
``FailSafeTrackerStore`` that, when a read or save on PostgreSQL fails, logs one line and goes
on with an in-memory copy that no other replica sees (and that Rasa itself never reads back);
and if the endpoints file cannot be read it runs on an ``InMemoryTrackerStore`` from the
start. Replies keep coming either way, so the only symptom would be replicas that forget
earlier turns. This channel makes it visible:

    200 {"status": "ok",       "tracker_store": "SQLTrackerStore", "tracker_store_fallback": false,
         "lock_store": "RedisLockStore", "reasons": [], ...}
    503 {"status": "degraded", "tracker_store_fallback": true,
         "reasons": ["tracker store failed (OperationalError) ..."], ...}

Degraded while any of these holds (each is logged at ERROR/CRITICAL with "TRACKER STORE
FALLBACK" or "LOCK STORE"):
- the primary store is in memory (Rasa fell back at start-up, or no shared store is set up:
  this channel is for replicated deployments) — until the replica is restarted;
- a read or save on the primary store failed: degraded until the primary store has worked
  again (a conversation read or saved, or the health probe's query succeeded) AND at least
  ``HEALTH_DEGRADED_HOLD_SECONDS`` (default 60) have passed since the last failure, so a
  monitor polling every 30 s still sees a short outage;
- the probe fails: a one-row query on the events table (at most every 2 s, 3 s timeout), or
  a PING to the Redis lock store.

Once the server has started, it also hardens the stores it watches (each fix is tested in
tests/e2e/test_scale.py and fails there without it):
- connections are checked before use (SQLAlchemy's ``pool_pre_ping``), so connections cut by a
  PostgreSQL restart are replaced instead of failing the next conversation turn;
- a tracker that could not be read from PostgreSQL is never written back to it: Rasa would
  start a fresh tracker and append whatever part of it outnumbers the stored rows (it counts
  rows, not ids) to the stored history. Such a turn is answered and kept in memory only;
- the events table is created if it is missing (a replica started while PostgreSQL was down
  never creates it), and the in-memory copies of an outage are dropped once the store works
  again (Rasa never reads them back; they would only grow);
- a conversation whose lock was held by a replica that died mid-turn no longer hangs forever
  (``requeue_expired_waiters``).

The response names no host, user or error message: the route is reachable from the proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 3.0
PROBE_CACHE_S = 2.0
LOG_EVERY_S = 10.0


def hold_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get("HEALTH_DEGRADED_HOLD_SECONDS", "60")))
    except ValueError:
        log.error("HEALTH_DEGRADED_HOLD_SECONDS must be a number of seconds; using 60")
        return 60.0


def configured_tracker_store_type(argv: Optional[List[str]] = None) -> Optional[str]:
    """The tracker store type in the endpoints file `rasa run` was started with, if any."""
    argv = sys.argv if argv is None else argv
    path = "endpoints.yml"
    for i, arg in enumerate(argv):
        if arg == "--endpoints" and i + 1 < len(argv):
            path = argv[i + 1]
        elif arg.startswith("--endpoints="):
            path = arg.split("=", 1)[1]
    try:
        from rasa.utils.endpoints import read_endpoint_config

        config = read_endpoint_config(path, "tracker_store")
    except Exception as exc:  # noqa: BLE001 - a broken file must not break the health route
        log.error("health: cannot read the tracker store from %s: %s", path, exc)
        return None
    return config.type if config is not None else None


def _short(exc: BaseException) -> str:
    """An error's first line, without SQLAlchemy's echo of the statement and its parameters
    (they hold users' messages, which must not end up in logs)."""
    inner = getattr(exc, "orig", None) or exc
    first = (str(inner).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first[:300]}"


def _iso(ts: Optional[float]) -> Optional[str]:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds") if ts else None


class TrackerStoreWatch:
    """Watches one agent's FailSafeTrackerStore: failures, recoveries, probes."""

    def __init__(self, failsafe: Any, expected_type: Optional[str]) -> None:
        from rasa.core.tracker_store import AwaitableTrackerStore

        self.failsafe = failsafe
        self.expected_type = expected_type
        self.primary = failsafe._tracker_store
        inner = self.primary
        while isinstance(inner, AwaitableTrackerStore):
            inner = inner._tracker_store
        self.inner = inner
        self.failures = 0
        self.last_failure_at: Optional[float] = None
        self.last_failure_kind: Optional[str] = None
        self.last_ok_at: Optional[float] = None
        self.unread: Dict[str, float] = {}  # senders whose last read failed on this replica
        self._last_log_at = 0.0
        self._suppressed = 0
        self._probe: Optional[asyncio.Task] = None
        self._probe_at = 0.0

    # ---- installation

    @property
    def primary_name(self) -> str:
        return type(self.inner).__name__

    @property
    def in_memory(self) -> bool:
        from rasa.core.tracker_store import InMemoryTrackerStore

        return isinstance(self.inner, InMemoryTrackerStore)

    def install(self) -> None:
        self.failsafe._on_tracker_store_error = self.record_failure
        if self.in_memory:
            asked = f"the endpoints file asks for '{self.expected_type}'" if self.expected_type else "no tracker_store is configured"
            log.critical(
                "TRACKER STORE FALLBACK: this replica keeps conversations in memory (%s); other replicas "
                "cannot see them and they are lost on restart. Health reports degraded until it is fixed "
                "and the replica restarted.", asked,
            )
            return
        self._guard_primary()
        self._enable_pre_ping()
        if self.failsafe._fallback_tracker_store is not None:
            self.record_failure(RuntimeError("the fallback store was used before the health channel started"))
        log.info("health: watching %s for fallbacks", self.primary_name)

    def _guard_primary(self) -> None:
        primary = self.primary
        read, save = primary.retrieve, primary.save

        async def retrieve(sender_id: Text) -> Any:
            try:
                tracker = await read(sender_id)
            except Exception:
                if len(self.unread) > 10_000:  # a turn takes seconds; old marks are moot
                    cutoff = time.time() - 600
                    self.unread = {s: t for s, t in self.unread.items() if t > cutoff}
                self.unread[sender_id] = time.time()
                raise
            self.unread.pop(sender_id, None)
            self.record_ok()
            return tracker

        async def guarded_save(tracker: Any) -> None:
            if tracker.sender_id in self.unread:
                # FailSafeTrackerStore catches this, calls record_failure, keeps it in memory.
                raise RuntimeError("not saving a tracker whose stored history could not be read")
            await save(tracker)
            self.record_ok()

        primary.retrieve = retrieve
        primary.save = guarded_save

    def _enable_pre_ping(self) -> None:
        pool = getattr(getattr(self.inner, "engine", None), "pool", None)
        if pool is not None and hasattr(pool, "_pre_ping"):
            pool._pre_ping = True  # SQLAlchemy's create_engine(pool_pre_ping=True), after the fact

    # ---- events

    def record_failure(self, error: Exception) -> None:
        now = time.time()
        self.failures += 1
        self.last_failure_at = now
        self.last_failure_kind = type(error).__name__
        if now - self._last_log_at >= LOG_EVERY_S:
            more = f" ({self._suppressed} more since the last report)" if self._suppressed else ""
            log.error(
                "TRACKER STORE FALLBACK: a read or save on %s failed (%s)%s. This turn is kept in memory "
                "on this replica only; earlier turns may be missing from its reply. Health reports "
                "degraded until the store works again.", self.primary_name, _short(error), more,
            )
            self._last_log_at, self._suppressed = now, 0
        else:
            self._suppressed += 1

    def record_ok(self) -> None:
        was_failing = self.failing(time.time(), hold=0.0)
        self.last_ok_at = time.time()
        if was_failing:
            log.warning("TRACKER STORE RECOVERED: %s answers again (after %d failures)", self.primary_name, self.failures)
            fallback = self.failsafe._fallback_tracker_store
            if fallback is not None and hasattr(fallback, "store"):
                fallback.store.clear()  # Rasa never reads these copies back

    def failing(self, now: float, hold: Optional[float] = None) -> bool:
        if self.last_failure_at is None:
            return False
        hold = hold_seconds() if hold is None else hold
        recovered = self.last_ok_at is not None and self.last_ok_at > self.last_failure_at
        return not recovered or now - self.last_failure_at < hold

    # ---- probes

    def _probe_sql(self) -> None:
        import sqlalchemy as sa
        from rasa.core.tracker_store import SQLTrackerStore

        engine = self.inner.engine
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1 FROM events LIMIT 1")).fetchall()
        except sa.exc.ProgrammingError:
            # Started while PostgreSQL was down: Rasa logged "Could not create tables" and went on.
            log.warning("health: the events table is missing; creating it")
            SQLTrackerStore.Base.metadata.create_all(engine)

    def _probe_lock_store(self, lock_store: Any) -> None:
        lock_store.red.ping()

    async def probe(self, lock_store: Any) -> List[str]:
        """Reasons the stores do not answer (cached for PROBE_CACHE_S; one probe at a time)."""
        if self._probe is None or (self._probe.done() and time.monotonic() - self._probe_at > PROBE_CACHE_S):
            self._probe_at = time.monotonic()
            self._probe = asyncio.ensure_future(self._run_probes(lock_store))
        try:
            return await asyncio.wait_for(asyncio.shield(self._probe), PROBE_TIMEOUT_S + 0.5)
        except asyncio.TimeoutError:
            return ["the store probes did not finish in time"]

    async def _run_probes(self, lock_store: Any) -> List[str]:
        reasons = []
        checks = []
        if hasattr(self.inner, "engine"):
            checks.append(("tracker", self._probe_sql))
        if hasattr(lock_store, "red"):
            checks.append(("lock", lambda: self._probe_lock_store(lock_store)))
        for kind, check in checks:
            try:
                await asyncio.wait_for(asyncio.to_thread(check), PROBE_TIMEOUT_S)
            except Exception as exc:  # noqa: BLE001
                if isinstance(exc, asyncio.TimeoutError):
                    exc = TimeoutError(f"no answer within {PROBE_TIMEOUT_S:.0f} s")
                reasons.append(f"{kind} store probe failed ({type(exc).__name__})")
                if kind == "tracker":
                    self.record_failure(exc)
                else:
                    log.error("LOCK STORE: %s does not answer (%s); messages cannot be processed", type(lock_store).__name__, _short(exc))
            else:
                if kind == "tracker":
                    self.record_ok()
        return reasons

    # ---- report

    async def report(self, agent: Any) -> Dict[str, Any]:
        lock_store = agent.lock_store
        reasons: List[str] = []
        if self.in_memory:
            reasons.append(
                f"tracker store fell back to memory at start-up (configured: {self.expected_type})"
                if self.expected_type else "no shared tracker store is configured"
            )
        if type(lock_store).__name__ == "InMemoryLockStore":
            reasons.append("no shared lock store is configured")
        if not self.in_memory:
            reasons += await self.probe(lock_store)
        now = time.time()
        if self.failing(now):
            reasons.append(f"tracker store failed ({self.last_failure_kind}) at {_iso(self.last_failure_at)}; replies used the in-memory fallback")
        if not agent.is_ready():
            reasons.append("no model loaded")
        return {
            "status": "degraded" if reasons else "ok",
            "tracker_store": self.primary_name,
            "tracker_store_fallback": self.in_memory or self.failing(now),
            "lock_store": type(lock_store).__name__,
            "reasons": reasons,
            "tracker_store_failures": self.failures,
            "last_tracker_store_failure": _iso(self.last_failure_at),
        }


def requeue_expired_waiters(lock_store: Any) -> None:
    """Fix Rasa 3.6's ticket lock for a holder that died (a replica killed mid-turn).

    The dead holder's ticket stays in Redis until it expires. The next turn of that
    conversation waits behind it, but its own ticket was issued a moment later with the same
    lifetime, so both expire within that moment; Rasa polls once a second, almost always
    misses it, and then waits forever (a waiter whose ticket is gone is never served). Here a
    waiter whose ticket expired queues once more; if that expires too, LockError (the REST
    channel then answers "temporarily unavailable" with help lines).
    """
    from rasa.core.lock_store import LOCK_LIFETIME, LockError

    if getattr(lock_store, "_kratom_requeue", False) or not hasattr(lock_store, "issue_ticket"):
        return

    @contextlib.asynccontextmanager
    async def lock(conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1) -> Any:
        ticket = lock_store.issue_ticket(conversation_id, lock_lifetime)
        requeued = False
        try:
            while True:
                current = lock_store.get_lock(conversation_id)
                if current is None or current._ticket_for_ticket_number(ticket) is None:
                    if requeued:
                        raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
                    log.warning("LOCK STORE: a turn waited for a lock whose holder never released it (a replica stopped mid-turn?); queued again")
                    ticket, requeued = lock_store.issue_ticket(conversation_id, lock_lifetime), True
                    continue
                if not current.is_locked(ticket):
                    break
                await asyncio.sleep(wait_time_in_seconds)
                lock_store.update_lock(conversation_id)
            yield current
        finally:
            lock_store.cleanup(conversation_id, ticket)

    lock_store.lock = lock
    lock_store._kratom_requeue = True


def watch(agent: Any, expected_type: Optional[str]) -> Optional[TrackerStoreWatch]:
    """The watch on ``agent``'s tracker store; installed, with the lock fix, on first use."""
    from rasa.core.tracker_store import FailSafeTrackerStore

    store = getattr(agent, "tracker_store", None)
    if not isinstance(store, FailSafeTrackerStore):
        return None
    existing = getattr(store, "_kratom_health_watch", None)
    if existing is None:
        existing = TrackerStoreWatch(store, expected_type)
        existing.install()
        requeue_expired_waiters(agent.lock_store)
        store._kratom_health_watch = existing
    return existing


class HealthInput(InputChannel):
    """Serves only ``GET /webhooks/health/``; it receives no messages."""

    @classmethod
    def name(cls) -> Text:
        return "health"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("kratom_health", __name__)
        expected = configured_tracker_store_type()

        @bp.listener("after_server_start")
        async def install_watch(app: Any, _loop: Any) -> None:
            # The agent is loaded in a before_server_start listener; poll in case it is late.
            for _ in range(600):
                agent = getattr(app.ctx, "agent", None)
                if agent is not None and watch(agent, expected) is not None:
                    return
                await asyncio.sleep(0.5)
            log.error("health: no agent after 5 minutes; the tracker store is not watched")

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            agent = getattr(request.app.ctx, "agent", None)
            watcher = watch(agent, expected) if agent is not None else None
            if watcher is None:
                return response.json({"status": "degraded", "reasons": ["the agent is not loaded yet"]}, status=503)
            body = await watcher.report(agent)
            return response.json(body, status=200 if body["status"] == "ok" else 503)

        return bp
