"""Forgetting a conversation and counting thumbs, against a real stack on PostgreSQL.

One `rasa run` whose tracker store is SQL on real PostgreSQL (tests/e2e/services.py), with no
FEEDBACK_DB_URL: the REST channel keeps the vote counts in the tracker's own database, and
``kratom-assistant report --db`` reads them from there. Chromium drives the real widget for the
two clicks that matter: "Clear conversation" (and Quick exit) delete the rows; a thumb adds one
to the count the report shows. The last test runs bot/channels/forget.py in Rasa's environment
on each kind of tracker store it supports (in memory, SQLite, real Redis), wrapped as Rasa wraps them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot import devstack
from bot.web.static_server import StaticServer
from tests.e2e.conftest import Client, route_of
from tests.e2e.services import (  # noqa: F401 - the fixtures are used by name
    SENDER_HASH_KEY, postgres_server, redis_server, stored_sender_id,
)
from tests.e2e.test_widget import REPLY_TIMEOUT, Widget, chromium, expect  # noqa: F401 - chromium is a fixture

pytestmark = [pytest.mark.e2e]
REPO = Path(__file__).resolve().parents[2]
PER_SENDER = 8


@pytest.fixture(scope="module")
def pg_stack(postgres_server, tmp_path_factory):  # noqa: F811
    pg = postgres_server
    endpoints = tmp_path_factory.mktemp("forget") / "endpoints.yml"
    endpoints.write_text(
        "action_endpoint:\n  url: ${ACTION_ENDPOINT_URL}\n"
        f"tracker_store:\n  type: SQL\n  dialect: postgresql\n  url: {pg.host}\n  port: {pg.port}\n"
        f"  username: {pg.user}\n  password: {pg.password}\n  db: {pg.db}\n"
    )
    rasa_port = devstack.free_port()
    rasa_url = f"http://127.0.0.1:{rasa_port}"
    with StaticServer(rasa_url) as static:
        actions = devstack.action_server(log_name="forget-actions").start()
        rasa = devstack.rasa_server(
            f"http://127.0.0.1:{actions.port}/webhook", rasa_port, endpoints=endpoints, cors=[static.origin],
            log_name="forget-rasa", SENDER_HASH_KEY=SENDER_HASH_KEY, RATE_LIMIT_PER_SENDER=str(PER_SENDER),
            RATE_LIMIT_PER_ADDRESS="100000", FEEDBACK_DB_URL="", TRACKER_DB_URL="",
            SQLALCHEMY_SILENCE_UBER_WARNING="1",
        ).start()
        stack = devstack.Stack(actions, rasa)
        try:
            actions.wait(180)
            rasa.wait(180)
            yield SimpleNamespace(pg=pg, rasa_url=rasa_url, demo=static.url, static=static, client=Client(rasa_url),
                                  db_url=f"postgresql://{pg.user}:{pg.password}@{pg.host}:{pg.port}/{pg.db}")
        finally:
            stack.stop()


def post(url: str, body: bytes, content_type: str = "application/json") -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read().decode())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read().decode())


def forget(stack, sender, content_type: str = "text/plain") -> tuple[int, dict]:
    return post(f"{stack.rasa_url}/webhooks/rest/forget", json.dumps({"sender": sender}).encode(), content_type)


def vote(stack, payload) -> tuple[int, dict]:
    return post(f"{stack.rasa_url}/webhooks/rest/feedback", json.dumps(payload).encode())


def rows(stack, sender: str) -> int:
    return int(stack.pg.psql(f"select count(*) from events where sender_id = '{stored_sender_id(sender)}'"))


def report(stack) -> dict:
    out = subprocess.run([sys.executable, "-m", "bot.cli", "report", "--db", stack.db_url, "--json"],
                         capture_output=True, text=True, cwd=REPO, check=True)
    return json.loads(out.stdout)


def new_sender() -> str:
    return f"web-{uuid.uuid4().hex}"


# ----------------------------------------------------------------------------------- forget
def test_forget_deletes_that_conversation_and_no_other(pg_stack):
    alice, bob = new_sender(), new_sender()
    for sender in (alice, bob):
        assert route_of(pg_stack.client.send("What is kratom?", sender=sender)) == "answer"
        pg_stack.client.send("is kratom legal?", sender=sender)
    alice_rows, bob_rows = rows(pg_stack, alice), rows(pg_stack, bob)
    assert alice_rows > 4 and bob_rows > 4

    assert forget(pg_stack, alice) == (200, {"status": "forgotten"})
    assert rows(pg_stack, alice) == 0
    assert rows(pg_stack, bob) == bob_rows
    # The same id starts afresh: nothing of the old conversation comes back with the next turn.
    pg_stack.client.send("hello", sender=alice)
    sid = stored_sender_id(alice)
    assert pg_stack.pg.user_turns([sid])[sid] == ["hello"]
    assert pg_stack.pg.psql(f"select count(*) from events where sender_id = '{sid}' and type_name = 'session_started'") == "1"


def test_forget_answers_the_same_whether_or_not_there_was_a_conversation(pg_stack):
    used, never = new_sender(), new_sender()
    pg_stack.client.send("hello", sender=used)
    assert rows(pg_stack, used) > 0
    assert forget(pg_stack, used) == forget(pg_stack, never) == (200, {"status": "forgotten"})
    assert forget(pg_stack, used, content_type="application/json") == (200, {"status": "forgotten"})


@pytest.mark.parametrize("body", [b"not json", b"[]", b"{}", b'{"sender": ""}', b'{"sender": "   "}',
                                  b'{"sender": 5}', json.dumps({"sender": "w" * 129}).encode()])
def test_forget_refuses_bad_input(pg_stack, body):
    status, answer = post(f"{pg_stack.rasa_url}/webhooks/rest/forget", body, "text/plain")
    assert status == 400, (body, status, answer)
    assert "sender" in answer["error"] and "Traceback" not in json.dumps(answer)


def test_forget_is_rate_limited_per_sender(pg_stack):
    sender = new_sender()
    statuses = [forget(pg_stack, sender)[0] for _ in range(PER_SENDER + 1)]
    assert statuses == [200] * PER_SENDER + [429], statuses
    assert forget(pg_stack, new_sender())[0] == 200  # another sender is not held back


# --------------------------------------------------------------------------------- feedback
def test_feedback_is_counted_in_the_tracker_database_and_reported(pg_stack):
    before = report(pg_stack)["feedback"].get("naloxone", {"up": 0, "down": 0, "flag": 0})
    assert vote(pg_stack, {"entry": "naloxone", "vote": "down"}) == (200, {"status": "recorded"})
    assert vote(pg_stack, {"entry": "naloxone", "vote": "down"}) == (200, {"status": "recorded"})
    after = report(pg_stack)["feedback"]["naloxone"]
    assert after == {**before, "down": before["down"] + 2}
    # Counts only: the table has no column for text, sender or time.
    columns = pg_stack.pg.psql("select string_agg(column_name, ',' order by ordinal_position) from "
                               "information_schema.columns where table_name = 'feedback_counts'")
    assert columns == "entry_id,kind,count"


@pytest.mark.parametrize("payload", [
    {"entry": "Naloxone", "vote": "up"}, {"entry": "../naloxone", "vote": "up"}, {"entry": "naloxone", "vote": "flag"},
    {"entry": "naloxone", "vote": "meh"}, {"entry": "naloxone"}, {"vote": "up"}, {"entry": 7, "vote": "up"},
    {"entry": "naloxone", "vote": "up", "sender": "web-1"}, ["naloxone", "up"],
])
def test_feedback_refuses_malformed_votes(pg_stack, payload):
    before = report(pg_stack)["feedback"]
    status, answer = vote(pg_stack, payload)
    assert status == 400, (payload, answer)
    assert report(pg_stack)["feedback"] == before


# ---------------------------------------------------------------------------------- browser
@pytest.fixture
def widget(chromium):
    ctx = chromium.new_context(viewport={"width": 375, "height": 740})
    ctx.route("https://www.google.com/**", lambda route: route.fulfill(status=200, content_type="text/html",
                                                                      body="<title>weather</title>"))
    yield Widget(ctx.new_page())
    ctx.close()


@pytest.mark.browser
def test_clear_conversation_in_chromium_deletes_the_stored_rows(widget, pg_stack):
    widget.goto(pg_stack.demo)
    widget.open()
    widget.ask("What is kratom?")
    sender = widget.page.evaluate("() => localStorage.getItem('kratom-widget.sender')")
    assert rows(pg_stack, sender) > 0
    widget.loc(".kw-clear").click()
    with widget.page.expect_response(lambda r: r.url.endswith("/webhooks/rest/forget"), timeout=REPLY_TIMEOUT) as answer:
        widget.page.get_by_role("button", name="Yes, clear").click()
    assert answer.value.status == 200
    assert rows(pg_stack, sender) == 0


@pytest.mark.browser
def test_quick_exit_in_chromium_deletes_the_stored_rows(widget, pg_stack):
    widget.goto(pg_stack.demo)
    widget.open()
    widget.ask("is kratom legal?")
    sender = widget.page.evaluate("() => localStorage.getItem('kratom-widget.sender')")
    assert rows(pg_stack, sender) > 0
    with widget.page.expect_request(lambda r: r.url.endswith("/webhooks/rest/forget")) as sent:
        widget.page.get_by_role("button", name="Quick exit").click()
    widget.page.wait_for_url("https://www.google.com/**")
    # The request left as the page did (keepalive), so the browser reports no answer to it:
    # wait for its effect instead.
    assert json.loads(sent.value.post_data) == {"sender": sender}
    assert rows_become_zero(pg_stack, sender), rows(pg_stack, sender)


def rows_become_zero(stack, sender: str, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while rows(stack, sender) != 0:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.mark.browser
def test_a_thumb_clicked_in_chromium_is_in_the_report(widget, pg_stack):
    widget.goto(pg_stack.demo)
    widget.open()
    reply = widget.ask("Can kratom hurt my liver?")
    expect(reply).to_have_attribute("data-route", "answer")
    before = report(pg_stack)["feedback"].get("kratom-liver-injury", {"up": 0, "down": 0, "flag": 0})
    with widget.page.expect_response(lambda r: r.url.endswith("/webhooks/rest/feedback")) as answer:
        reply.get_by_role("button", name="Helpful", exact=True).click()
    assert answer.value.status == 200
    assert report(pg_stack)["feedback"]["kratom-liver-injury"] == {**before, "up": before["up"] + 1}
    text = subprocess.run([sys.executable, "-m", "bot.cli", "report", "--db", pg_stack.db_url],
                          capture_output=True, text=True, cwd=REPO, check=True).stdout
    line = next(row for row in text.split("answer feedback (up, down, flag):")[1].splitlines()
                if row.strip().endswith(" kratom-liver-injury"))
    assert line.split()[0] == str(before["up"] + 1)


# ------------------------------------------------------------- each kind of tracker store
FORGET_SCRIPT = r"""
import asyncio, json, sys, tempfile
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import (AwaitableTrackerStore, FailSafeTrackerStore, InMemoryTrackerStore,
                                     RedisTrackerStore, SQLTrackerStore, TrackerStore)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from types import SimpleNamespace
from bot.channels.forget import forget

domain = Domain.empty()
port, password = int(sys.argv[1]), sys.argv[2]
stores = {
    "memory": InMemoryTrackerStore(domain),
    "sql": SQLTrackerStore(domain, dialect="sqlite", db=tempfile.mkdtemp() + "/t.db"),
    "redis": RedisTrackerStore(domain, host="127.0.0.1", port=port, password=password, db=3),
}

async def main():
    out = {}
    for name, store in stores.items():
        wrapped = FailSafeTrackerStore(AwaitableTrackerStore(store))
        for sender in ("keep", "drop"):
            await wrapped.save(DialogueStateTracker.from_events(sender, [UserUttered("hi " + sender)]))
        # A copy in the fail-safe's in-memory fallback too, as after a failed save.
        await wrapped.fallback_tracker_store.save(DialogueStateTracker.from_events("drop", [UserUttered("x")]))
        agent = SimpleNamespace(tracker_store=wrapped, lock_store=InMemoryLockStore())
        removed = await forget(agent, "drop")
        again = await forget(agent, "drop")
        kept = await store.retrieve("keep")
        out[name] = {"removed": removed, "again": again, "drop": await store.retrieve("drop") is not None,
                     "fallback": "drop" in wrapped.fallback_tracker_store.store,
                     "keep": kept is not None and kept.latest_message.text == "hi keep"}
    class Other(TrackerStore):
        pass
    try:
        await forget(SimpleNamespace(tracker_store=FailSafeTrackerStore(Other(domain)), lock_store=InMemoryLockStore()), "x")
        out["unsupported"] = "no error"
    except Exception as exc:
        out["unsupported"] = type(exc).__name__
    print(json.dumps(out))

asyncio.run(main())
"""


def test_forget_clears_every_kind_of_tracker_store(redis_server):  # noqa: F811
    out = subprocess.run([str(REPO / ".venv-rasa" / "bin" / "python"), "-c", FORGET_SCRIPT,
                          str(redis_server.port), redis_server.password],
                         capture_output=True, text=True, cwd=REPO, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    for name in ("memory", "sql", "redis"):
        got = result[name]
        assert got["drop"] is False and got["fallback"] is False and got["keep"] is True, (name, got)
        assert got["removed"] >= 2 and got["again"] == 0, (name, got)  # the store's copy and the fallback's
    assert result["unsupported"] == "UnsupportedTrackerStore"
