"""Privacy and security against a real stack whose tracker store is a SQLite file."""

import json
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot import devstack
from tests.e2e.conftest import Client, route_of

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
ORIGIN = "http://127.0.0.1:8089"
PII = {
    "name": "Zebulon Quackenbush",
    "phone": "555-867-5309",
    "email": "zeb.quack@example.org",
    "address": "1234 Maplewood Avenue",
}
PII_MESSAGE = (
    f"my name is {PII['name']}, my number is {PII['phone']}, email {PII['email']}, "
    f"I live at {PII['address']}. is kratom legal?"
)
RAW_SENDER = "person-zeb.quack@example.org"


@pytest.fixture(scope="module")
def private_stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("privacy")
    db = tmp / "tracker.db"
    endpoints = tmp / "endpoints.yml"
    endpoints.write_text(
        "action_endpoint:\n  url: ${ACTION_ENDPOINT_URL}\n"
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {db}\n"
    )
    actions = devstack.action_server(log_name="privacy-actions").start()
    rasa = devstack.rasa_server(
        f"http://127.0.0.1:{actions.port}/webhook", endpoints=endpoints, cors=[ORIGIN], log_name="privacy-rasa",
        SENDER_HASH_KEY="test-key", RATE_LIMIT_PER_SENDER="6", RATE_LIMIT_PER_ADDRESS="1000",
    ).start()
    stack = devstack.Stack(actions, rasa)
    try:
        actions.wait(180)
        rasa.wait(180)
        yield stack, db
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def conversation(private_stack):
    stack, db = private_stack
    client = Client(stack.rasa_url)
    replies = {
        "pii": client.send(PII_MESSAGE, sender=RAW_SENDER),
        "crisis": client.send("I want to end my life", sender="s-crisis"),
        "redirect": client.send("how many grams of kratom should I take", sender="s-redirect"),
        "fallback": client.send(f"what is the capital of peru, ask {PII['email']}", sender="s-fallback"),
        "marker": client.send("zebracornium question about kratom legality", sender="s-marker"),
    }
    return client, db, replies


def rows(db):
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT sender_id, type_name, timestamp, data FROM events").fetchall()


def test_stored_rows_hold_no_personal_data(conversation):
    _, db, replies = conversation
    assert route_of(replies["pii"]) == "answer"
    dump = json.dumps(rows(db))
    for value in PII.values():
        for piece in value.split():
            assert piece not in dump, piece
    assert RAW_SENDER not in dump and "zeb.quack" not in dump
    assert "[phone]" in dump and "[email]" in dump and "[name]" in dump


def test_sender_ids_are_keyed_hashes(conversation):
    _, db, _ = conversation
    senders = {r[0] for r in rows(db)}
    assert senders and all(len(s) == 40 and all(c in "0123456789abcdef" for c in s) for s in senders)


def test_logs_hold_no_message_text(conversation, private_stack):
    stack, _ = private_stack
    logs = stack.rasa.log_path.read_text(errors="replace") + stack.actions.log_path.read_text(errors="replace")
    assert "zebracornium" not in logs
    assert "Quackenbush" not in logs


def test_report_counts_routes_rules_entries_and_redacted_fallbacks(conversation):
    _, db, _ = conversation
    out = subprocess.run([sys.executable, "-m", "bot.cli", "report", "--db", f"sqlite:///{db}", "--json"],
                         capture_output=True, text=True, cwd=REPO, check=True)
    report = json.loads(out.stdout)
    assert report["routes"]["crisis"] >= 1 and report["routes"]["redirect"] >= 1
    assert report["routes"]["answer"] >= 1 and report["routes"]["fallback"] >= 1
    assert "dosing.how_much" in report["rules"]
    assert "kratom-legal-status-us" in report["entries"]
    assert any("[email]" in q for q in report["fallback_questions"])
    assert PII["email"] not in out.stdout


def test_purge_deletes_old_conversations_only(conversation, private_stack):
    client, db, _ = conversation
    with sqlite3.connect(db) as conn:
        old_sender = conn.execute("SELECT sender_id FROM events WHERE data LIKE '%capital of peru%'").fetchone()[0]
        conn.execute("UPDATE events SET timestamp = ? WHERE sender_id = ?", (time.time() - 40 * 86400, old_sender))
    before = {r[0] for r in rows(db)}
    out = subprocess.run([sys.executable, "-m", "bot.cli", "purge", "--db", f"sqlite:///{db}", "--days", "30"],
                         capture_output=True, text=True, cwd=REPO, check=True)
    after = {r[0] for r in rows(db)}
    assert "deleted 1 conversation" in out.stdout
    assert before - after == {old_sender}


def _request(url, method="GET", headers=None, body=None):
    req = urllib.request.Request(url, method=method, headers=headers or {}, data=body)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read().decode()


@pytest.mark.parametrize("path", ["/conversations/s-crisis/tracker", "/status", "/model/parse", "/conversations/default/messages"])
def test_http_api_is_not_open(conversation, path):
    client = conversation[0]
    status, _, body = _request(client.base + path, method="POST" if "parse" in path or "messages" in path else "GET",
                               headers={"Content-Type": "application/json"}, body=b'{"text": "hi"}' if "parse" in path or "messages" in path else None)
    assert status in (401, 403, 404, 405)
    assert "events" not in body and "Traceback" not in body


def test_cors_allows_only_the_configured_origin(conversation):
    client = conversation[0]
    payload = json.dumps({"sender": "cors", "message": "hello"}).encode()
    for origin, allowed in [(ORIGIN, True), (ORIGIN + ".evil.example", False), ("http://127.0.0.1:8089x", False),
                            ("http://evil.example", False), ("http://127a0a0a1:8089", False)]:
        _, headers, _ = _request(client.webhook, "POST", {"Content-Type": "application/json", "Origin": origin}, payload)
        got = {k.lower(): v for k, v in headers.items()}.get("access-control-allow-origin")
        assert (got == origin) if allowed else (got is None), (origin, got)


def test_rate_limit_per_sender_gives_a_clear_message(conversation):
    client = conversation[0]
    statuses = []
    for _ in range(8):
        status, _, body = _request(client.webhook, "POST", {"Content-Type": "application/json"},
                                   json.dumps({"sender": "flooder", "message": "hello"}).encode())
        statuses.append(status)
    assert statuses[:6] == [200] * 6 and statuses[-1] == 429
    assert "988" in json.loads(body)["error"]
    assert route_of(client.send("hello", sender="someone-else")) == "smalltalk"


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)"])
def test_xss_payloads_are_not_reflected(conversation, payload):
    client = conversation[0]
    text = json.dumps(client.send(payload))
    assert "<script" not in text and "onerror" not in text and "javascript:" not in text


def test_errors_show_no_trace_or_path(conversation):
    client = conversation[0]
    for url in (client.base + "/no/such/page", client.base + "/webhooks/rest/webhook"):
        status, _, body = _request(url)
        assert status >= 400
        assert "Traceback" not in body and "/work/" not in body and "site-packages" not in body


def test_chat_responses_carry_security_headers(conversation):
    client = conversation[0]
    _, headers, _ = _request(client.webhook, "POST", {"Content-Type": "application/json"},
                             json.dumps({"sender": "headers", "message": "hello"}).encode())
    lower = {k.lower(): v for k, v in headers.items()}
    assert lower["cache-control"] == "no-store"
    assert lower["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in lower["content-security-policy"]
