"""Two `rasa run` replicas sharing PostgreSQL (tracker store) and Redis (lock store).

The replicas run endpoints.production.yml and credentials.production.yml with the same
environment variable names docker/compose.yml sets, against real redis-server and PostgreSQL
on loopback (tests/e2e/services.py). One module-wide stack; the test that kills a replica
runs last.
"""

from __future__ import annotations

import concurrent.futures
import json
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest

from bot import devstack
from tests.e2e.conftest import Client, route_of
from tests.e2e.services import (  # noqa: F401 - the fixtures are used by name
    free_port, postgres_server, redis_server, replica_env, running_postgres, stored_sender_id,
)

pytestmark = pytest.mark.e2e

ENDPOINTS = devstack.PROJECT / "endpoints.production.yml"
CREDENTIALS = devstack.PROJECT / "credentials.production.yml"
HOLD_S = 2  # HEALTH_DEGRADED_HOLD_SECONDS for these replicas (production default: 60)
LOCK_LIFETIME_S = 5  # TICKET_LOCK_LIFETIME for these replicas (Rasa's default: 60)
UNAVAILABLE = "temporarily unavailable"


def health(base: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{base}/webhooks/health/", timeout=15) as resp:
            return resp.status, json.loads(resp.read().decode())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read().decode())


def health_becomes(base: str, status: int, timeout: float = 10) -> dict:
    """Poll until the health route answers ``status`` (its store probes are cached 2 s)."""
    deadline = time.monotonic() + timeout
    while True:
        got, body = health(base)
        if got == status or time.monotonic() > deadline:
            assert got == status, body
            return body
        time.sleep(0.5)


def replica(actions_url: str, redis, pg, name: str, **overrides: str) -> devstack.Server:
    # TICKET_LOCK_LIFETIME: a conversation whose turn died with a killed replica waits for
    # that turn's lock to expire; a short lifetime keeps those tests short.
    env = dict(HEALTH_DEGRADED_HOLD_SECONDS=str(HOLD_S), TICKET_LOCK_LIFETIME=str(LOCK_LIFETIME_S), **overrides)
    return devstack.rasa_server(
        actions_url, endpoints=ENDPOINTS, credentials=CREDENTIALS, log_name=f"scale-{name}",
        **replica_env(redis, pg, **env),
    )


class Scale:
    def __init__(self, actions, a, b, cold, cold_db_port):
        self.actions, self.a, self.b, self.cold, self.cold_db_port = actions, a, b, cold, cold_db_port
        self.clients = [Client(f"http://127.0.0.1:{s.port}") for s in (a, b)]

    def send(self, i: int, message: str, sender: str) -> list[dict]:
        return self.clients[i % 2].send(message, sender=sender)


@pytest.fixture(scope="module")
def scale(redis_server, postgres_server):  # noqa: F811
    actions = devstack.action_server(log_name="scale-actions").start()
    url = f"http://127.0.0.1:{actions.port}/webhook"
    a = replica(url, redis_server, postgres_server, "a").start()
    b = replica(url, redis_server, postgres_server, "b").start()
    # (f) a replica whose PostgreSQL does not answer at start-up: nothing listens on DB_PORT.
    cold_db_port = free_port()
    cold = replica(url, redis_server, postgres_server, "cold", DB_PORT=str(cold_db_port)).start()
    servers = [cold, b, a, actions]
    try:
        for server in (actions, a, b, cold):
            server.wait(240)
        yield Scale(actions, a, b, cold, cold_db_port)
    finally:
        for server in servers:
            server.stop()


def text_of(replies: list[dict]) -> str:
    return Client.text(replies)


def test_alternating_replicas_keep_one_history(scale, postgres_server):  # noqa: F811
    sender = f"scale-a-{uuid.uuid4().hex[:8]}"
    turns = ["hello there", "is kratom legal?", "what is kratom", "can kratom hurt my liver?", "thanks", "what are withdrawal symptoms like"]
    for i, message in enumerate(turns):
        replies = scale.send(i, message, sender)
        assert replies and UNAVAILABLE not in text_of(replies), (i, replies)
    sid = stored_sender_id(sender)
    assert postgres_server.user_turns([sid])[sid] == turns
    # Both replicas wrote to it, and the one history has a single session start.
    starts = postgres_server.psql(f"select count(*) from events where sender_id = '{sid}' and type_name = 'session_started'")
    assert starts == "1"


def test_follow_up_on_the_other_replica_uses_the_shared_context(scale):
    sender = f"scale-b-{uuid.uuid4().hex[:8]}"
    scale.send(0, "I take 8 grams of kratom every morning for my withdrawal", sender)
    replies = scale.send(1, "is that ok?", sender)
    assert route_of(replies) == "redirect", replies
    # Without the earlier turn, the same follow-up is not a redirect: the context did it.
    assert route_of(scale.send(1, "is that ok?", f"{sender}-alone")) != "redirect"


def test_backup_and_restore_keep_the_conversation(scale, postgres_server):  # noqa: F811
    """docs/DEPLOY.md's backup and restore, exercised: dump, drop, restore, and the same
    conversation continues with its history (a follow-up still sees the earlier turn)."""
    sender = f"scale-backup-{uuid.uuid4().hex[:8]}"
    scale.send(0, "I take 8 grams of kratom every morning for my withdrawal", sender)
    scale.send(1, "what is kratom", sender)
    sid = stored_sender_id(sender)
    before = postgres_server.user_turns([sid])[sid]
    dump = postgres_server.tmp / f"backup-{uuid.uuid4().hex[:6]}.dump"  # a folder the postgres user may write
    postgres_server.backup(dump)
    postgres_server.restore_into_empty(dump)
    assert postgres_server.user_turns([sid])[sid] == before
    deadline = time.monotonic() + 60
    replies = []
    while time.monotonic() < deadline:  # the replicas' pools reconnect after the drop
        replies = scale.send(0, "is that ok?", sender)
        if UNAVAILABLE not in text_of(replies):
            break
        time.sleep(1)
    assert route_of(replies) == "redirect", replies  # the restored first turn is the context
    after = postgres_server.user_turns([sid])[sid]
    assert after[: len(before)] == before and after[-1] == "is that ok?"


def test_health_reports_the_sql_store_and_no_fallback(scale):
    for client in scale.clients:
        status, body = health(client.base)
        assert status == 200, body
        assert body["status"] == "ok"
        assert body["tracker_store"] == "SQLTrackerStore"
        assert body["tracker_store_fallback"] is False
        assert body["lock_store"] == "RedisLockStore"


def test_postgres_restart_mid_conversation(scale, postgres_server):  # noqa: F811
    sender = f"scale-d-{uuid.uuid4().hex[:8]}"
    before = ["hello there", "is kratom legal?"]
    for i, message in enumerate(before):
        scale.send(i, message, sender)

    # A restart with no message during it costs nothing: cut connections are replaced.
    failures = health(scale.clients[0].base)[1]["tracker_store_failures"]
    postgres_server.restart()
    assert scale.send(0, "what is kratom", sender)
    status, body = health(scale.clients[0].base)
    assert (status, body["tracker_store_failures"]) == (200, failures), body
    before.append("what is kratom")

    # Down while a message arrives: the user still gets a reply, health turns degraded.
    postgres_server.stop()
    try:
        during = scale.send(1, "I want to end my life", sender)
        assert route_of(during) == "crisis" and "988" in text_of(during)
        for client in scale.clients:
            body = health_becomes(client.base, 503)
            assert body["status"] == "degraded" and body["tracker_store_fallback"] is True, body
            assert body["tracker_store"] == "SQLTrackerStore"
    finally:
        postgres_server.start()

    after = ["can kratom hurt my liver?", "thanks"]
    for i, message in enumerate(after):
        replies = scale.send(i, message, sender)
        assert replies and UNAVAILABLE not in text_of(replies), replies
    for client in scale.clients:
        assert health_becomes(client.base, 200, timeout=HOLD_S + 10)["status"] == "ok"
    assert scale.a.proc.poll() is None and scale.b.proc.poll() is None
    # Documented: the turn taken while PostgreSQL was down stays in that replica's memory;
    # every other turn is stored once, in order, and nothing was mixed into the history.
    sid = stored_sender_id(sender)
    assert postgres_server.user_turns([sid])[sid] == before + after


def test_sql_unreachable_at_start_up_is_reported(scale, postgres_server):  # noqa: F811
    base = f"http://127.0.0.1:{scale.cold.port}"
    status, body = health(base)
    assert status == 503, body
    assert body["status"] == "degraded" and body["tracker_store_fallback"] is True
    # Rasa still answers from memory, which is exactly what would go unnoticed otherwise.
    replies = Client(base).send("I want to end my life")
    assert route_of(replies) == "crisis"
    assert health(base)[0] == 503
    # Its database appears, empty (Rasa created no table at start-up): the health probe
    # creates the table, the replica recovers and stores what follows.
    with running_postgres(port=scale.cold_db_port, password=postgres_server.password) as late:
        health_becomes(base, 200, timeout=HOLD_S + 15)
        sender = f"scale-f-{uuid.uuid4().hex[:8]}"
        Client(base).send("is kratom legal?", sender=sender)
        sid = stored_sender_id(sender)
        assert late.user_turns([sid])[sid] == ["is kratom legal?"]
    health_becomes(base, 503)


def test_in_memory_primary_store_is_reported():
    """Rasa's other silent fallback: an in-memory primary store while SQL is configured."""
    code = (
        "import asyncio, json\n"
        "from rasa.core.agent import Agent\n"
        "from bot.channels.health import watch\n"
        "agent = Agent()\n"
        "print(json.dumps(asyncio.run(watch(agent, 'SQL').report(agent))))\n"
    )
    out = subprocess.run(
        [str(devstack.REPO / ".venv-rasa" / "bin" / "python"), "-c", code],
        capture_output=True, text=True, cwd=devstack.REPO, timeout=120, check=True,
    )
    body = json.loads(out.stdout.strip().splitlines()[-1])
    assert body["status"] == "degraded" and body["tracker_store"] == "InMemoryTrackerStore"
    assert body["tracker_store_fallback"] is True
    assert "TRACKER STORE FALLBACK" in out.stderr


def test_redis_down_still_gives_help_and_is_reported(scale, redis_server):  # noqa: F811
    """Without the lock store no turn is processed; the reply is still "unavailable" + resources."""
    sender = f"scale-r-{uuid.uuid4().hex[:8]}"
    redis_server.stop()
    try:
        replies = scale.send(0, "I want to end my life", sender)
        assert UNAVAILABLE in text_of(replies) and "988" in text_of(replies), replies
        body = health_becomes(scale.clients[0].base, 503)
        assert any("lock store" in reason for reason in body["reasons"]), body
    finally:
        redis_server.start()
    assert route_of(scale.send(1, "I want to end my life", sender)) == "crisis"
    health_becomes(scale.clients[0].base, 200)


def test_a_lock_left_by_a_dead_replica_does_not_hang_the_conversation(scale, redis_server):  # noqa: F811
    """A replica killed mid-turn leaves its ticket in Redis until it expires. Rasa 3.6's waiter
    ticket expires almost at the same moment, and Rasa then waits forever; the fix in
    bot/channels/health.py queues the waiter again. Here the dead replica's ticket is written
    directly, expiring just before the waiter's would."""
    sender = f"scale-l-{uuid.uuid4().hex[:8]}"
    sid = stored_sender_id(sender)
    dead = json.dumps({"number": 0, "expires": time.time() + LOCK_LIFETIME_S - 0.05})
    redis_server.command("SET", f"lock:{sid}", json.dumps({"conversation_id": sid, "tickets": [dead]}), db=redis_server.db)
    started = time.monotonic()
    replies = devstack.post(scale.clients[0].webhook, {"sender": sender, "message": "hello"}, timeout=LOCK_LIFETIME_S * 3)
    assert replies and time.monotonic() - started < LOCK_LIFETIME_S * 2.5


def test_killing_one_replica_under_load(scale, postgres_server):  # noqa: F811
    """Runs last: replica B is SIGKILLed while 8 conversations go on; A serves them all."""
    senders = [f"scale-e-{uuid.uuid4().hex[:8]}-{n}" for n in range(8)]
    questions = ["is kratom legal?", "hello", "what is kratom", "how many grams of kratom should I take", "thanks"] * 2
    clients = scale.clients
    done = []  # one entry per answered turn (list.append is atomic)

    def conversation(sender: str) -> list[str]:
        sent = []
        for turn, message in enumerate(questions):
            target = clients[turn % 2] if scale.b.proc.poll() is None else clients[0]
            try:
                replies = target.send(message, sender=sender)
            except OSError:  # URLError, a reset connection: B just died
                if target is clients[0]:
                    raise
                replies = clients[0].send(message, sender=sender)  # what the proxy does on a dead upstream
            assert replies and UNAVAILABLE not in text_of(replies)
            sent.append(message)
            done.append(sender)
        return sent

    with concurrent.futures.ThreadPoolExecutor(len(senders)) as pool:
        futures = {pool.submit(conversation, s): s for s in senders}
        deadline = time.monotonic() + 60
        while len(done) < len(senders) * 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        answered_before_kill = len(done)
        scale.b.kill()
        results = {futures[f]: f.result(timeout=180) for f in concurrent.futures.as_completed(futures, timeout=240)}

    assert answered_before_kill < len(senders) * len(questions) - len(senders), "B died after the load, not under it"
    assert scale.a.proc.poll() is None
    assert health(clients[0].base)[0] == 200
    stored = postgres_server.user_turns([stored_sender_id(s) for s in senders])
    for sender in senders:
        turns = stored[stored_sender_id(sender)]
        # A turn B had committed but not yet answered when it died is sent again to A, so it
        # may be stored twice in a row; nothing is lost, reordered or otherwise repeated.
        collapsed = [t for i, t in enumerate(turns) if i == 0 or t != turns[i - 1]]
        assert collapsed == results[sender] == questions, (sender, turns)
        assert len(turns) - len(collapsed) <= 1, (sender, turns)


def test_postgres_rows_hold_no_personal_data_and_purge_report_work(scale, postgres_server):  # noqa: F811
    """Issue: privacy on the production store too. The same checks as on SQLite, on PostgreSQL."""
    import json as _json
    import subprocess
    import sys
    import time as _time

    sender = f"pii-{uuid.uuid4().hex[:8]}@example.org"
    scale.send(0, "my name is Wilhelmina Fairweather, call 555-246-8135 or wil.fair@example.net. is kratom legal?", sender)
    sid = stored_sender_id(sender)
    dump = postgres_server.psql(f"select string_agg(sender_id || ' ' || coalesce(data, ''), ' ') from events where sender_id = '{sid}'")
    for secret in ("Wilhelmina", "Fairweather", "555-246-8135", "wil.fair", sender):
        assert secret not in dump, secret
    assert "[name]" in dump and "[phone]" in dump and "[email]" in dump
    pg = postgres_server
    url = f"postgresql://{pg.user}:{pg.password}@{pg.host}:{pg.port}/{pg.db}"
    report = subprocess.run([sys.executable, "-m", "bot.cli", "report", "--db", url, "--json"],
                            capture_output=True, text=True, check=True)
    assert _json.loads(report.stdout)["entries"].get("kratom-legal-status-us", 0) >= 1
    pg.psql(f"update events set timestamp = {_time.time() - 45 * 86400} where sender_id = '{sid}'")
    out = subprocess.run([sys.executable, "-m", "bot.cli", "purge", "--db", url, "--days", "30"],
                         capture_output=True, text=True, check=True)
    assert "deleted 1 conversation" in out.stdout
    assert pg.psql(f"select count(*) from events where sender_id = '{sid}'") == "0"
