"""Real servers on loopback: the action server and `rasa run`, started once per session."""

from __future__ import annotations

import json
import uuid

import pytest

from bot import devstack


def route_of(replies: list[dict]) -> str | None:
    for reply in replies:
        data = (reply.get("custom") or {}).get("data")
        if isinstance(data, str):
            data = json.loads(data)
        if isinstance(data, dict) and data.get("route"):
            return data["route"]
    return None


class Client:
    def __init__(self, base: str):
        self.base = base
        self.webhook = f"{base}/webhooks/rest/webhook"

    def send(self, message: str, sender: str | None = None, **metadata) -> list[dict]:
        payload = {"sender": sender or f"t-{uuid.uuid4().hex[:10]}", "message": message}
        if metadata:
            payload["metadata"] = metadata
        return devstack.post(self.webhook, payload)

    @staticmethod
    def text(replies: list[dict]) -> str:
        return "\n".join(r.get("text", "") for r in replies)


@pytest.fixture(scope="session")
def stack():
    # One stack serves every e2e module from this loopback address: the per-address limit
    # (a production default, tested on its own in test_privacy_security.py) is raised here.
    with devstack.running_stack(RATE_LIMIT_PER_ADDRESS="100000") as s:
        yield s


@pytest.fixture(scope="session")
def client(stack) -> Client:
    return Client(stack.rasa_url)
