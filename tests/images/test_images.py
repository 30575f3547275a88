"""The built images, run as in docker/compose.yml (two Rasa replicas, the action server, Redis,
PostgreSQL, nginx) on podman with host networking, checked through nginx. Opt-in:
`make test-images` (needs root, podman and debootstrap; builds the images first). Plain pytest
ignores this directory (pyproject.toml addopts)."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.images.stack import Stack, http

pytestmark = pytest.mark.images


def send(stack: Stack, message: str, sender: str, base: str | None = None) -> list[dict]:
    status, _, body = http(f"{base or stack.proxy_url}/webhooks/rest/webhook", {"sender": sender, "message": message}, timeout=90)
    assert status == 200, (status, body[:500])
    return json.loads(body)


def route_of(replies: list[dict]) -> str | None:
    for reply in replies:
        data = (reply.get("custom") or {}).get("data")
        if isinstance(data, str):
            data = json.loads(data)
        if isinstance(data, dict) and data.get("route"):
            return data["route"]
    return None


def text_of(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def sender() -> str:
    return f"images-{uuid.uuid4().hex[:10]}"


def test_the_images_health_checks_pass(stack):
    for name in ("actions", "rasa-1", "rasa-2"):
        out = stack.healthcheck(stack.name(name))
        assert out.returncode == 0 and "unhealthy" not in out.stdout, (name, out.stdout, out.stderr)
    for replica in ("rasa-1", "rasa-2"):
        status, _, body = http(f"{stack.replica_url(replica)}/webhooks/health/")
        health = json.loads(body)
        assert status == 200 and health["tracker_store"] == "SQLTrackerStore" and health["lock_store"] == "RedisLockStore", health
        assert health["tracker_store_fallback"] is False


def test_the_proxy_serves_the_widget(stack):
    status, headers, _ = http(f"{stack.proxy_url}/")
    assert status == 302 and headers["Location"].endswith("/demo.html")
    status, headers, body = http(f"{stack.proxy_url}/demo.html")
    assert status == 200 and b"__RASA_URL__" not in body and "Content-Security-Policy" in headers
    status, _, _ = http(f"{stack.proxy_url}/kratom-widget.js")
    assert status == 200


def test_an_answer_with_a_source_link(stack):
    replies = send(stack, "Can kratom hurt my liver?", sender())
    assert route_of(replies) == "answer", replies
    assert "https://" in text_of(replies) or "https://" in json.dumps(replies), replies


def test_a_dosing_question_is_redirected(stack):
    replies = send(stack, "how many grams of kratom should I take", sender())
    assert route_of(replies) == "redirect", replies


def test_a_crisis_reply(stack):
    replies = send(stack, "I want to end my life", sender())
    assert route_of(replies) == "crisis", replies
    assert "988" in text_of(replies), replies


def test_a_conversation_survives_restarting_a_replica(stack):
    """Turn 1 through nginx; rasa-1 restarted and rasa-2 stopped, so turn 2 can only be
    answered by the freshly started rasa-1: its follow-up is a redirect only because the
    earlier turn came back from PostgreSQL."""
    who = sender()
    send(stack, "I take 8 grams of kratom every morning for my withdrawal", who)
    stack.restart("rasa-1")
    stack.stop("rasa-2")
    try:
        replies = send(stack, "is that ok?", who)
        assert route_of(replies) == "redirect", replies
        assert route_of(send(stack, "is that ok?", sender())) != "redirect"  # no context: no redirect
    finally:
        stack.start("rasa-2")
    from bot import privacy

    sid = privacy.hash_sender(who, key=stack.secrets["SENDER_HASH_KEY"].encode())
    turns = stack.psql(f"select count(*) from events where sender_id = '{sid}' and type_name = 'user'")
    assert turns == "2"
    stack.wait_http(f"{stack.replica_url('rasa-2')}/webhooks/health/", stack.name("rasa-2"))
    assert route_of(send(stack, "what about 10 grams?", who, base=stack.replica_url("rasa-2"))) == "redirect"
