"""Conversation tests as data (tests/e2e/conversations.yml), on the real stack, plus Rasa's own
check of the project (``rasa data validate``)."""

import subprocess
import uuid
from pathlib import Path

import pytest
import yaml

from bot import devstack
from tests.conftest import REPO
from tests.e2e.conftest import route_of

pytestmark = pytest.mark.e2e
CONVERSATIONS = yaml.safe_load((Path(__file__).parent / "conversations.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=[c["name"] for c in CONVERSATIONS])
def test_conversation(client, conversation):
    sender = f"conv-{uuid.uuid4().hex[:8]}"
    for n, turn in enumerate(conversation["turns"], 1):
        replies = client.send(turn["user"], sender=sender, region=conversation.get("region"))
        text = client.text(replies)
        where = f"turn {n} ({turn['user']!r}): {text[:300]!r}"
        assert replies, where
        assert route_of(replies) == turn["route"], where
        for needle in turn.get("contains", []):
            assert needle in text, f"{needle!r} missing in {where}"
        for needle in turn.get("absent", []):
            assert needle not in text, f"{needle!r} present in {where}"


def test_rasa_data_validate_passes():
    project = devstack.PROJECT
    done = subprocess.run(
        [str(devstack.RASA_BIN), "data", "validate", "--domain", str(project / "domain.yml"), "--data",
         str(project / "data"), "--config", str(project / "config.yml"), "--fail-on-warnings"],
        capture_output=True, text=True, cwd=REPO, timeout=300,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
