"""The Slack channel end to end: real `rasa run` + action server, a fake Slack Web API.

The test plays Slack: it signs each request with the test signing secret (its own HMAC code,
not the channel's) and POSTs it to /webhooks/slack/webhook; the bot's replies arrive at the
fake Web API asynchronously, so every check polls it with a timeout.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest

from bot import devstack
from tests.e2e.fake_slack import BOT_ID, BOT_USER_ID, TEAM_ID, FakeSlack

pytestmark = pytest.mark.e2e

TOKEN = "xoxb-test"
SECRET = "test-secret"
CREDENTIALS = devstack.PROJECT / "credentials.slack.yml"
_ts = itertools.count(1)


@dataclass
class Slack:
    fake: FakeSlack
    webhook: str
    actions: devstack.Server
    rasa: devstack.Server


@pytest.fixture(scope="module")
def slack():
    fake = FakeSlack(token=TOKEN).start()
    actions = devstack.action_server(log_name="slack-actions").start()
    rasa = devstack.rasa_server(
        f"http://127.0.0.1:{actions.port}/webhook",
        credentials=CREDENTIALS,
        log_name="slack-rasa",
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.url + "/",
        SLACK_REGION="US",
    ).start()
    try:
        actions.wait(180)
        rasa.wait(180)
        yield Slack(fake, f"http://127.0.0.1:{rasa.port}/webhooks/slack/webhook", actions, rasa)
    finally:
        rasa.stop()
        actions.stop()
        fake.stop()


# -- playing Slack ----------------------------------------------------------------------------
@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes
    seconds: float

    def json(self):
        return json.loads(self.body.decode())


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    return "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()


def post(url: str, body: bytes, content_type: str, *, timestamp: int | None = None, secret: str = SECRET,
         signature: str | None = None, headers: dict | None = None) -> Reply:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    all_headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature or slack_signature(secret, ts, body),
        **(headers or {}),
    }
    req = urllib.request.Request(url, data=body, headers=all_headers, method="POST")
    start = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return Reply(resp.status, dict(resp.headers), resp.read(), time.monotonic() - start)
    except urllib.error.HTTPError as err:
        return Reply(err.code, dict(err.headers), err.read(), time.monotonic() - start)


def post_json(url: str, payload: dict, **kw) -> Reply:
    return post(url, json.dumps(payload).encode(), "application/json", **kw)


def new_channel(prefix: str = "D") -> str:
    return prefix + uuid.uuid4().hex[:10].upper()


def new_ts() -> str:
    return f"{int(time.time())}.{next(_ts):06d}"


def event(text: str, channel: str, *, kind: str = "message", channel_type: str | None = "im",
          user: str = "UWORKER01", thread_ts: str | None = None, authorizations: bool = True, **extra) -> dict:
    ts = new_ts()
    ev = {"type": kind, "user": user, "text": text, "ts": ts, "channel": channel, "event_ts": ts, "team": TEAM_ID}
    if channel_type:
        ev["channel_type"] = channel_type
    if thread_ts:
        ev["thread_ts"] = thread_ts
    ev.update(extra)
    payload = {
        "token": "unused-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "AKRATOM01",
        "type": "event_callback",
        "event_id": "Ev" + uuid.uuid4().hex[:12].upper(),
        "event_time": int(time.time()),
        "event": ev,
    }
    if authorizations:
        payload["authorizations"] = [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}]
    return payload


def send_dm(slack: Slack, text: str, channel: str | None = None) -> tuple[dict, str]:
    channel = channel or new_channel()
    payload = event(text, channel)
    reply = post_json(slack.webhook, payload)
    assert reply.status == 200, reply
    return payload, channel


def only_post(slack: Slack, channel: str, thread_ts: str):
    posts = slack.fake.wait_for("chat.postMessage", channel=channel)
    assert len(posts) == 1, [p.body for p in posts]
    assert posts[0]["thread_ts"] == thread_ts
    return posts[0]


# -- tests ------------------------------------------------------------------------------------
def test_dm_question_gets_one_threaded_answer_with_sources(slack):
    channel = new_channel()
    payload = event("Can kratom hurt my liver?", channel)
    reply = post_json(slack.webhook, payload)
    assert reply.status == 200 and reply.seconds < 3  # acknowledged at once, answered later
    post_ = only_post(slack, channel, payload["event"]["ts"])
    assert "liver" in post_["text"]  # plain-text fallback is always there
    blocks = post_["blocks"]
    assert blocks[0]["type"] == "section" and "liver" in blocks[0]["text"]["text"]
    context = "\n".join(e["text"] for b in blocks if b["type"] == "context" for e in b["elements"])
    assert "<https://livertox.nih.gov/Kratom.htm|Kratom>" in context
    assert "Reviewed 20" in context
    assert "Sources:" not in blocks[0]["text"]["text"]  # sources live in the context block
    assert post_.headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    "how",
    [
        {"secret": "wrong-secret"},
        {"signature": "v0=" + "0" * 64},
        {"age": 6 * 60},  # correctly signed, 6 minutes old
        {"age": -6 * 60},
    ],
    ids=["wrong-secret", "forged", "stale", "future"],
)
def test_badly_signed_or_stale_requests_get_401_and_no_post(slack, how):
    channel = new_channel()
    bad = event("Is kratom legal?", channel)
    if "age" in how:
        how = {"timestamp": int(time.time()) - how["age"]}
    reply = post_json(slack.webhook, bad, **how)
    assert reply.status == 401
    control = event("hello", channel)  # a good request afterwards, in the same channel
    assert post_json(slack.webhook, control).status == 200
    only_post(slack, channel, control["event"]["ts"])


def test_unsigned_request_gets_401(slack):
    req = urllib.request.Request(slack.webhook, data=json.dumps(event("hi", new_channel())).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code == 401


def test_slack_retries_and_duplicate_deliveries_are_not_answered_twice(slack):
    channel = new_channel()
    payload = event("Is kratom an opioid?", channel)
    assert post_json(slack.webhook, payload).status == 200
    retry = post_json(slack.webhook, payload, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert retry.status == 200
    assert post_json(slack.webhook, payload).status == 200  # same event_id again, no retry header
    posts = slack.fake.wait_for("chat.postMessage", channel=channel, settle=2.0)
    assert len(posts) == 1


def test_url_verification_echoes_the_challenge(slack):
    payload = {"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}
    reply = post_json(slack.webhook, payload)
    assert reply.status == 200
    assert reply.json()["challenge"] == payload["challenge"]
    assert post_json(slack.webhook, payload, secret="wrong").status == 401


def test_crisis_message_gets_unmistakable_crisis_blocks(slack):
    payload, channel = send_dm(slack, "I want to end my life")
    post_ = only_post(slack, channel, payload["event"]["ts"])
    header = post_["blocks"][0]
    assert header["type"] == "header" and "Get help now" in header["text"]["text"]
    assert "988" in post_.blocks_text() and "911" in post_.blocks_text()
    assert "988" in post_["text"]


def test_mention_in_a_channel_is_answered_in_a_thread(slack):
    channel = new_channel("C")
    payload = event(f"<@{BOT_USER_ID}> hi", channel, kind="app_mention", channel_type=None)
    assert post_json(slack.webhook, payload).status == 200
    post_ = only_post(slack, channel, payload["event"]["ts"])
    assert "Hi, I'm here" in post_["text"]  # small talk: only if the mention was stripped


def test_mention_inside_a_thread_replies_in_that_thread(slack):
    channel, parent = new_channel("C"), new_ts()
    # No `authorizations` this time: the channel learns its own user id from auth.test.
    payload = event(f"<@{BOT_USER_ID}> Is kratom legal in the US?", channel, kind="app_mention",
                    channel_type=None, thread_ts=parent, authorizations=False)
    assert post_json(slack.webhook, payload).status == 200
    post_ = only_post(slack, channel, parent)
    assert "<https://" in post_.blocks_text()


def test_channel_messages_without_a_mention_are_ignored(slack):
    channel = new_channel("C")
    assert post_json(slack.webhook, event("is kratom legal?", channel, channel_type="channel")).status == 200
    control = event(f"<@{BOT_USER_ID}> hello", channel, kind="app_mention", channel_type=None)
    assert post_json(slack.webhook, control).status == 200
    only_post(slack, channel, control["event"]["ts"])


def test_bot_messages_and_edits_are_ignored(slack):
    channel = new_channel()
    own = event("Hi, I'm here to share checked information", channel, user=BOT_USER_ID, bot_id=BOT_ID)
    other_bot = event("is kratom legal?", channel, subtype="bot_message", bot_id="BOTHER01")
    edited = event("is kratom legal?", channel, subtype="message_changed")
    for payload in (own, other_bot, edited):
        assert post_json(slack.webhook, payload).status == 200
    control = event("hello", channel)
    assert post_json(slack.webhook, control).status == 200
    only_post(slack, channel, control["event"]["ts"])


def test_leading_slash_cannot_force_an_intent(slack):
    payload, channel = send_dm(slack, "/greet how many grams should I take")
    post_ = only_post(slack, channel, payload["event"]["ts"])
    assert "1-800-662-4357" in post_["text"]
    assert "Hi, I'm here" not in post_["text"]


def test_overlong_message_gets_a_polite_reply(slack):
    payload, channel = send_dm(slack, "is kratom legal? " * 1200)  # over 20,000 characters
    post_ = only_post(slack, channel, payload["event"]["ts"])
    assert "20,000 characters" in post_["text"] and "988" in post_["text"]


def test_a_long_crisis_message_gets_crisis_help_wherever_the_sentence_sits(slack):
    story = "Week one off oxy, the sweats and the restless legs are constant and I cannot sleep at all. " * 30
    payload, channel = send_dm(slack, story + "I have the pills ready and I am going to end my life tonight.")
    assert len(payload["event"]["text"]) > 2500
    post_ = only_post(slack, channel, payload["event"]["ts"])
    assert "988" in post_["text"] and "Sources" not in post_["text"]


def test_slash_command_answers_with_one_ephemeral_message(slack):
    channel, user = new_channel("C"), "UWORKER02"
    form = {
        "token": "unused", "team_id": TEAM_ID, "channel_id": channel, "user_id": user,
        "command": "/kratom-info", "text": "Can kratom hurt my liver?",
        "response_url": "https://hooks.slack.com/commands/T/1/abc", "trigger_id": uuid.uuid4().hex,
    }
    reply = post(slack.webhook, urlencode(form).encode(), "application/x-www-form-urlencoded")
    assert reply.status == 200 and reply.seconds < 3
    posts = slack.fake.wait_for("chat.postEphemeral", channel=channel)
    assert len(posts) == 1 and posts[0]["user"] == user
    assert "liver" in posts[0]["text"] and "<https://" in posts[0].blocks_text()
    assert not slack.fake.find("chat.postMessage", channel=channel)


def test_unsupported_or_malformed_signed_bodies_are_refused(slack):
    assert post(slack.webhook, b"{not json", "application/json").status == 400
    assert post(slack.webhook, b"hello", "text/plain").status == 415
    payload, channel = send_dm(slack, "hello")  # and the server keeps serving
    only_post(slack, channel, payload["event"]["ts"])


def test_zz_unavailable_reply_when_the_action_server_is_down(slack):
    """Last on purpose: it stops the module's action server."""
    slack.actions.stop()
    payload, channel = send_dm(slack, "Is kratom legal?")
    post_ = only_post(slack, channel, payload["event"]["ts"])
    assert "temporarily unavailable" in post_["text"] and "988" in post_["text"]
    assert "Traceback" not in post_["text"]


@pytest.mark.parametrize(
    "credentials, env, error",
    [
        ({}, {"SLACK_SIGNING_SECRET": SECRET}, "SLACK_BOT_TOKEN"),
        ({}, {"SLACK_BOT_TOKEN": TOKEN}, "SLACK_SIGNING_SECRET"),
        ({"slack_token": "xoxb-committed"}, {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET}, "secrets"),
        ({}, {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_REGION": "XX"}, "SLACK_REGION"),
        ({}, {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_REGION": "ie"}, None),
    ],
    ids=["no-token", "no-secret", "secret-in-file", "bad-region", "ok"],
)
def test_channel_is_configured_from_the_environment_only(credentials, env, error):
    import os
    import subprocess

    code = (
        "import json, sys\n"
        "from bot.channels.slack import SafeSlackInput\n"
        "try:\n"
        f"    ch = SafeSlackInput.from_credentials(json.loads({json.dumps(json.dumps(credentials))}))\n"
        "except Exception as exc:\n"
        "    print('ERROR', exc); sys.exit(0)\n"
        "print('OK', ch.region)\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    out = subprocess.run([str(devstack.REPO / ".venv-rasa" / "bin" / "python"), "-c", code], capture_output=True,
                         text=True, cwd=devstack.REPO, env={**clean, **env}, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    line = out.stdout.strip().splitlines()[-1]
    if error:
        assert line.startswith("ERROR") and error in line, line
    else:
        assert line == "OK IE"


def test_two_replicas_answer_a_retried_event_exactly_once():
    """A Slack retry delivered to the other replica: the event id is shared through Redis."""
    from tests.e2e.services import running_redis

    fake = FakeSlack(token=TOKEN).start()
    with running_redis() as redis:
        actions = devstack.action_server(log_name="slack2-actions").start()
        env = dict(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.url + "/", SLACK_REGION="US",
                   REDIS_HOST="127.0.0.1", REDIS_PORT=str(redis.port), REDIS_PASSWORD=redis.password, REDIS_DB="0")
        replicas = [devstack.rasa_server(f"http://127.0.0.1:{actions.port}/webhook", credentials=CREDENTIALS,
                                         log_name=f"slack2-rasa-{n}", **env).start() for n in ("a", "b")]
        try:
            actions.wait(180)
            for r in replicas:
                r.wait(180)
            hooks = [f"http://127.0.0.1:{r.port}/webhooks/slack/webhook" for r in replicas]
            channel = new_channel()
            payload = event("I want to end my life tonight", channel)
            assert post_json(hooks[0], payload).status == 200
            retry = post_json(hooks[1], payload, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
            assert retry.status == 200
            posts = fake.wait_for("chat.postMessage", channel=channel, settle=3.0)
            assert len(posts) == 1
            # A retry whose first delivery never arrived (a replica was restarting) is answered.
            lost = event("Is kratom an opioid?", new_channel())
            assert post_json(hooks[1], lost, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}).status == 200
            assert len(fake.wait_for("chat.postMessage", channel=lost["event"]["channel"], settle=2.0)) == 1
        finally:
            for r in replicas:
                r.stop()
            actions.stop()
            fake.stop()
