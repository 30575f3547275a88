"""The Slack channel in Socket Mode, the default install: real `rasa run` + action server, a
fake Slack Web API and a local WebSocket server standing in for Slack's Socket Mode.

Nothing here is HTTP from Slack: the channel opens the WebSocket itself (apps.connections.open
with the app-level token), acknowledges every envelope and answers over the Web API. No signing
secret is configured, so the HTTP webhook must answer 404 and the REST channel must not exist.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

import pytest

from bot import devstack
from tests.e2e.fake_slack import BOT_USER_ID, TEAM_ID, FakeSlack, FakeSocketMode
from tests.e2e.test_slack import CREDENTIALS, TOKEN, event, new_channel, new_ts

pytestmark = pytest.mark.e2e

APP_TOKEN = "xapp-1-AKRATOM01-1-test"


@dataclass
class SocketSlack:
    fake: FakeSlack
    socket: FakeSocketMode
    rasa: devstack.Server


@pytest.fixture(scope="module")
def socket_slack():
    socket = FakeSocketMode().start()
    fake = FakeSlack(token=TOKEN, app_token=APP_TOKEN, socket_url=socket.url).start()
    actions = devstack.action_server(log_name="slack-socket-actions").start()
    rasa = devstack.rasa_server(
        f"http://127.0.0.1:{actions.port}/webhook",
        credentials=CREDENTIALS,
        log_name="slack-socket-rasa",
        health_path="/webhooks/slack/",
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_API_URL=fake.url + "/",
        SLACK_REGION="US",
    ).start()
    try:
        actions.wait(180)
        rasa.wait(180)
        socket.wait_connected(60)
        yield SocketSlack(fake, socket, rasa)
    finally:
        rasa.stop()
        actions.stop()
        fake.stop()
        socket.stop()


def test_the_app_connects_with_its_app_level_token(socket_slack):
    opened = socket_slack.fake.find("apps.connections.open")
    assert opened and opened[0].headers["authorization"] == f"Bearer {APP_TOKEN}"
    with urllib.request.urlopen(f"http://127.0.0.1:{socket_slack.rasa.port}/webhooks/slack/", timeout=10) as resp:
        health = json.loads(resp.read())
    assert health == {"status": "ok", "socket_mode": True, "http_events": False}


def test_a_crisis_dm_over_the_socket_is_acknowledged_and_answered_with_crisis_help(socket_slack):
    channel = new_channel()
    envelope = socket_slack.socket.send("events_api", event("I want to end my life tonight", channel))
    assert socket_slack.socket.wait_ack(envelope) == {"envelope_id": envelope}
    posts = socket_slack.fake.wait_for("chat.postMessage", channel=channel)
    assert len(posts) == 1 and posts[0].get("thread_ts") is None  # in the DM itself
    assert "988" in posts[0]["text"] and "911" in posts[0]["text"]
    assert posts[0]["blocks"][0]["type"] == "header"


def test_a_redelivered_envelope_is_answered_once(socket_slack):
    channel = new_channel()
    payload = event("Is kratom an opioid?", channel)
    first = socket_slack.socket.send("events_api", payload)
    again = socket_slack.socket.send("events_api", payload, retry_attempt=1, retry_reason="timeout")
    socket_slack.socket.wait_ack(first)
    socket_slack.socket.wait_ack(again)  # acknowledged, so Slack stops re-sending it
    assert len(socket_slack.fake.wait_for("chat.postMessage", channel=channel, settle=3.0)) == 1


def test_the_slash_command_over_the_socket_answers_privately(socket_slack):
    channel, user = new_channel("C"), "UWORKER05"
    form = {"team_id": TEAM_ID, "channel_id": channel, "user_id": user, "command": "/kratom-info",
            "text": "Can kratom hurt my liver?", "response_url": "https://hooks.slack.com/commands/T/1/abc",
            "trigger_id": uuid.uuid4().hex}
    socket_slack.socket.wait_ack(socket_slack.socket.send("slash_commands", form))
    private = socket_slack.fake.wait_for("chat.postEphemeral", channel=channel)
    assert len(private) == 1 and private[0]["user"] == user and "liver" in private[0]["text"]
    assert not socket_slack.fake.find("chat.postMessage", channel=channel)


def test_a_button_pressed_over_the_socket_is_answered(socket_slack):
    channel = new_channel("C")
    mention = event(f"<@{BOT_USER_ID}> how many grams of kratom should I take", channel, kind="app_mention", channel_type=None)
    socket_slack.socket.send("events_api", mention)
    root = mention["event"]["ts"]
    first = socket_slack.fake.wait_for("chat.postMessage", channel=channel)[0]
    suggestion = [e for b in first["blocks"] if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"].startswith("kratom_ask_")][0]
    pressed = {"type": "block_actions", "team": {"id": TEAM_ID}, "user": {"id": "UWORKER01", "team_id": TEAM_ID},
               "channel": {"id": channel}, "message": {"ts": "9" + root, "thread_ts": root},
               "container": {"type": "message", "channel_id": channel, "is_ephemeral": False, "message_ts": "9" + root},
               "actions": [{"action_id": suggestion["action_id"], "value": suggestion["value"], "type": "button",
                            "action_ts": new_ts()}]}
    socket_slack.socket.wait_ack(socket_slack.socket.send("interactive", pressed))
    posts = socket_slack.fake.wait_for("chat.postMessage", channel=channel, count=2)
    assert len(posts) == 2 and posts[1]["thread_ts"] == root and "<https://" in posts[1].blocks_text()


def test_no_http_endpoint_is_open_without_a_signing_secret(socket_slack):
    base = f"http://127.0.0.1:{socket_slack.rasa.port}"
    for path in ("/webhooks/slack/webhook", "/webhooks/rest/webhook"):
        req = urllib.request.Request(base + path, data=json.dumps(event("hi", new_channel())).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=10)
        assert err.value.code == 404, path


def test_zz_after_slack_drops_the_connection_the_app_reconnects_and_answers(socket_slack):
    """Slack rotates Socket Mode connections every few hours; a message after that still arrives."""
    before = socket_slack.socket.connections
    socket_slack.socket.drop_connections()
    deadline_connections = before + 1
    import time

    deadline = time.monotonic() + 60
    while socket_slack.socket.connections < deadline_connections and time.monotonic() < deadline:
        time.sleep(0.2)
    assert socket_slack.socket.connections >= deadline_connections
    socket_slack.socket.wait_connected(30)
    channel = new_channel()
    socket_slack.socket.wait_ack(socket_slack.socket.send("events_api", event("my friend is not breathing", channel)))
    posts = socket_slack.fake.wait_for("chat.postMessage", channel=channel)
    assert len(posts) == 1 and "911" in posts[0]["text"]


def test_make_slack_refuses_to_start_without_tokens(tmp_path):
    import os
    import subprocess

    clean = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    out = subprocess.run([str(devstack.APP_PYTHON), "-m", "bot.devstack", "slack"], capture_output=True, text=True,
                         cwd=tmp_path, env={**clean, "PYTHONPATH": str(devstack.REPO)}, timeout=120)
    assert out.returncode != 0 and "SLACK_APP_TOKEN" in out.stderr


def test_make_slack_runs_the_app_in_socket_mode_until_interrupted():
    """What `make slack` runs (bot.devstack slack), tokens from the environment: it connects,
    answers a DM, and stops both servers on Ctrl-C."""
    import os
    import signal
    import subprocess
    import time

    socket = FakeSocketMode().start()
    fake = FakeSlack(token=TOKEN, app_token=APP_TOKEN, socket_url=socket.url).start()
    port = devstack.free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SLACK_")},
           "SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_API_URL": fake.url + "/"}
    proc = subprocess.Popen([str(devstack.APP_PYTHON), "-m", "bot.devstack", "slack", "--port", str(port)],
                            cwd=devstack.REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        socket.wait_connected(240)
        channel = new_channel()
        socket.wait_ack(socket.send("events_api", event("I want to end my life", channel)))
        posts = fake.wait_for("chat.postMessage", channel=channel)
        assert len(posts) == 1 and "988" in posts[0]["text"]
        with pytest.raises(urllib.error.HTTPError) as err:  # only the Slack channel: no REST webhook
            urllib.request.urlopen(f"http://127.0.0.1:{port}/webhooks/rest/webhook", data=b"{}", timeout=5)
        assert err.value.code == 404
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
        fake.stop()
        socket.stop()
    assert proc.returncode == 0, output[-3000:]
    assert "Socket Mode" in output
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/webhooks/slack/", timeout=2)
        except (urllib.error.URLError, ConnectionError, OSError):
            break
        time.sleep(0.5)
    else:
        raise AssertionError("rasa still listening after Ctrl-C")
