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
    feedback_url: str


@pytest.fixture(scope="module")
def slack(tmp_path_factory):
    fake = FakeSlack(token=TOKEN).start()
    feedback_url = f"sqlite:///{tmp_path_factory.mktemp('slack-feedback') / 'feedback.db'}"
    actions = devstack.action_server(log_name="slack-actions").start()
    rasa = devstack.rasa_server(
        f"http://127.0.0.1:{actions.port}/webhook",
        credentials=CREDENTIALS,
        log_name="slack-rasa",
        health_path="/webhooks/slack/",
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.url + "/",
        SLACK_REGION="US",
        FEEDBACK_DB_URL=feedback_url,
    ).start()
    try:
        actions.wait(180)
        rasa.wait(180)
        yield Slack(fake, f"http://127.0.0.1:{rasa.port}/webhooks/slack/webhook", actions, rasa, feedback_url)
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


DM = None  # a direct message is answered in the DM, not in a thread


def only_post(slack: Slack, channel: str, thread_ts: str | None):
    """The one post in ``channel``; ``thread_ts`` None: in the DM itself, not in a thread."""
    posts = slack.fake.wait_for("chat.postMessage", channel=channel)
    assert len(posts) == 1, [p.body for p in posts]
    assert posts[0].get("thread_ts") == thread_ts
    return posts[0]


# -- tests ------------------------------------------------------------------------------------
def test_dm_question_gets_one_answer_in_the_dm_with_sources(slack):
    channel = new_channel()
    payload = event("Can kratom hurt my liver?", channel)
    reply = post_json(slack.webhook, payload)
    assert reply.status == 200 and reply.seconds < 3  # acknowledged at once, answered later
    post_ = only_post(slack, channel, None)  # in the DM, not hidden in a thread
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
    only_post(slack, channel, DM)


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
    post_ = only_post(slack, channel, DM)
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
    only_post(slack, channel, DM)


def test_leading_slash_cannot_force_an_intent(slack):
    payload, channel = send_dm(slack, "/greet how many grams should I take")
    post_ = only_post(slack, channel, DM)
    assert "1-800-662-4357" in post_["text"]
    assert "Hi, I'm here" not in post_["text"]


def test_overlong_message_gets_a_polite_reply(slack):
    payload, channel = send_dm(slack, "is kratom legal? " * 1200)  # over 20,000 characters
    post_ = only_post(slack, channel, DM)
    assert "20,000 characters" in post_["text"] and "988" in post_["text"]


def test_a_long_crisis_message_gets_crisis_help_wherever_the_sentence_sits(slack):
    story = "Week one off oxy, the sweats and the restless legs are constant and I cannot sleep at all. " * 30
    payload, channel = send_dm(slack, story + "I have the pills ready and I am going to end my life tonight.")
    assert len(payload["event"]["text"]) > 2500
    post_ = only_post(slack, channel, DM)
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
    only_post(slack, channel, DM)


# -- worker voice, buttons, threads, Home tab ----------------------------------------------------
def mrkdwn(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_a_workers_report_of_a_client_in_crisis_gets_the_reply_for_a_helper(slack):
    from guardrails import ReplyBook

    payload, channel = send_dm(slack, "my client says he wants to end his life, what do I do")
    text = only_post(slack, channel, DM)["text"]
    expected = ReplyBook.from_files().render("crisis_other", "US", "en", "worker").text
    assert mrkdwn(expected.splitlines()[0]) in text
    assert "I'm really glad you told me" not in text  # the first-person reply, written to the person in crisis
    assert "911" in text and "988" in text


def test_a_workers_question_about_a_participant_is_redirected_in_the_worker_voice(slack):
    payload, channel = send_dm(slack, "my participant wants to quit methadone and switch to kratom at home, how should she do it")
    text = only_post(slack, channel, DM)["text"]
    assert "for the person you" in text and "1-800-662-4357" in text
    assert "Wanting to get off opioids" not in text


def button(post_, action_id_prefix: str) -> dict:
    found = [e for b in post_["blocks"] if b["type"] == "actions" for e in b["elements"]
             if e["action_id"].startswith(action_id_prefix)]
    assert found, post_["blocks"]
    return found[0]


def press(slack: Slack, user: str, channel: str | None, element: dict, *, message: dict | None = None,
          container: dict | None = None) -> Reply:
    action = {"action_id": element["action_id"], "block_id": "b", "type": element.get("type", "button"),
              "action_ts": new_ts(), **({"value": element["value"]} if "value" in element else {}),
              **({"selected_option": element["selected_option"]} if "selected_option" in element else {})}
    payload = {"type": "block_actions", "team": {"id": TEAM_ID}, "user": {"id": user, "team_id": TEAM_ID},
               "api_app_id": "AKRATOM01", "trigger_id": uuid.uuid4().hex, "actions": [action],
               "response_url": "https://hooks.slack.com/actions/T/1/abc",
               "container": container or {"type": "message", "channel_id": channel, "is_ephemeral": False,
                                          "message_ts": (message or {}).get("ts")}}
    if channel:
        payload["channel"] = {"id": channel}
    if message is not None:
        payload["message"] = message
    return post(slack.webhook, urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded")


def test_a_pressed_suggestion_is_asked_and_answered_in_the_same_thread(slack):
    channel = new_channel("C")
    payload = event(f"<@{BOT_USER_ID}> how many grams of kratom should I take", channel, kind="app_mention", channel_type=None)
    assert post_json(slack.webhook, payload).status == 200
    root = payload["event"]["ts"]
    first = only_post(slack, channel, root)
    suggestion = button(first, "kratom_ask_")
    reply_ts = "9" + root  # the bot's reply, in the thread under the question
    assert press(slack, "UWORKER01", channel, suggestion, message={"ts": reply_ts, "thread_ts": root}).status == 200
    posts = slack.fake.wait_for("chat.postMessage", channel=channel, count=2)
    assert len(posts) == 2 and posts[1]["thread_ts"] == root
    assert "<https://" in posts[1].blocks_text()  # an answer with sources, not the redirect again


def test_flag_this_answer_is_counted_for_the_authors_and_confirmed_privately(slack):
    from bot.feedback import FeedbackStore
    from bot.ops import feedback_counts

    payload, channel = send_dm(slack, "Can kratom hurt my liver?")
    post_ = only_post(slack, channel, DM)
    flag = button(post_, "kratom_flag")
    entry = flag["value"]
    before = FeedbackStore(slack.feedback_url).counts().get(entry, {}).get("flag", 0)
    assert press(slack, "UWORKER01", channel, flag, message={"ts": "1.1"}).status == 200
    notice = slack.fake.wait_for("chat.postEphemeral", channel=channel)
    assert len(notice) == 1 and notice[0]["user"] == "UWORKER01" and "flagged" in notice[0]["text"]
    assert FeedbackStore(slack.feedback_url).counts()[entry]["flag"] == before + 1
    assert feedback_counts(slack.feedback_url)[entry]["flag"] == before + 1  # what `kratom-assistant report` prints


def test_a_private_answer_can_be_shared_in_the_channel_without_the_question(slack):
    channel, user = new_channel("C"), "UWORKER03"
    question = "Can kratom hurt my liver? asking for my client Dana"
    form = {"team_id": TEAM_ID, "channel_id": channel, "user_id": user, "command": "/kratom-info", "text": question,
            "response_url": "https://hooks.slack.com/commands/T/1/abc", "trigger_id": uuid.uuid4().hex}
    assert post(slack.webhook, urlencode(form).encode(), "application/x-www-form-urlencoded").status == 200
    private = slack.fake.wait_for("chat.postEphemeral", channel=channel)[0]
    share = button(private, "kratom_share")
    assert not slack.fake.find("chat.postMessage", channel=channel)  # nothing public until shared
    assert press(slack, user, channel, share, container={"type": "message", "channel_id": channel, "is_ephemeral": True,
                                                          "message_ts": "1.2"}).status == 200
    shared = slack.fake.wait_for("chat.postMessage", channel=channel)
    assert len(shared) == 1 and shared[0].get("thread_ts") is None
    assert f"<@{user}>" in shared[0].blocks_text() and "liver" in shared[0]["text"]
    assert "Dana" not in json.dumps(shared[0].body) and "asking for" not in json.dumps(shared[0].body)


def test_the_message_shortcut_answers_the_worker_privately_about_that_message(slack):
    channel, user = new_channel("C"), "UWORKER04"
    shortcut = {"type": "message_action", "callback_id": "kratom_ask_message", "team": {"id": TEAM_ID},
                "user": {"id": user}, "channel": {"id": channel}, "trigger_id": uuid.uuid4().hex,
                "response_url": "https://hooks.slack.com/app/T/1/abc",
                "message": {"type": "message", "user": "UPARTICIPANT", "ts": new_ts(),
                            "text": "someone told me kratom is totally safe because it is natural, is that true?"}}
    reply = post(slack.webhook, urlencode({"payload": json.dumps(shortcut)}).encode(), "application/x-www-form-urlencoded")
    assert reply.status == 200
    private = slack.fake.wait_for("chat.postEphemeral", channel=channel)
    assert len(private) == 1 and private[0]["user"] == user and "<https://" in private[0].blocks_text()
    assert not slack.fake.find("chat.postMessage", channel=channel)


def test_a_crisis_in_one_thread_does_not_follow_the_worker_into_another(slack):
    """Context is per thread: the crisis reminder stays in the thread where crisis came up."""
    channel = new_channel("C")
    crisis = event(f"<@{BOT_USER_ID}> I want to end my life", channel, kind="app_mention", channel_type=None)
    assert post_json(slack.webhook, crisis).status == 200
    thread_a = crisis["event"]["ts"]
    slack.fake.wait_for("chat.postMessage", channel=channel, count=1)
    same = event(f"<@{BOT_USER_ID}> Is kratom legal in the US?", channel, kind="app_mention", channel_type=None,
                 thread_ts=thread_a)
    other = event(f"<@{BOT_USER_ID}> Is kratom legal in the US?", channel, kind="app_mention", channel_type=None)
    for payload in (same, other):
        assert post_json(slack.webhook, payload).status == 200
    posts = slack.fake.wait_for("chat.postMessage", channel=channel, count=3)
    by_thread = {p.get("thread_ts"): p["text"] for p in posts[1:]}
    assert set(by_thread) == {thread_a, other["event"]["ts"]}
    assert "If you need to talk to someone now" in by_thread[thread_a]
    assert "If you need to talk to someone now" not in by_thread[other["event"]["ts"]]


def test_home_tab_shows_help_and_the_region_each_person_chooses(slack):
    user = "UHOME" + uuid.uuid4().hex[:6].upper()
    opened = {"type": "event_callback", "team_id": TEAM_ID, "event_id": "Ev" + uuid.uuid4().hex[:12].upper(),
              "event": {"type": "app_home_opened", "user": user, "channel": new_channel(), "tab": "home",
                        "event_ts": new_ts()}}
    assert post_json(slack.webhook, opened).status == 200
    home = slack.fake.wait_for("views.publish", user_id=user)[0]
    view = json.dumps(home["view"])
    assert home["view"]["type"] == "home" and "988" in view and "Privacy" in view
    select = [b["accessory"] for b in home["view"]["blocks"] if b.get("accessory", {}).get("action_id") == "kratom_region"][0]
    uk = [o for o in select["options"] if o["value"] == "UK"][0]
    chosen = {"action_id": "kratom_region", "type": "static_select", "selected_option": uk}
    assert press(slack, user, None, chosen, container={"type": "view", "view_id": "VHOME1"}).status == 200
    updated = slack.fake.wait_for("views.publish", user_id=user, count=2)[1]
    assert "116 123" in json.dumps(updated["view"]) and "988" not in json.dumps(updated["view"])
    # Their replies now use the UK's numbers; another person's stay on the workspace default.
    channel = new_channel()
    assert post_json(slack.webhook, event("I want to end my life", channel, user=user)).status == 200
    text = only_post(slack, channel, DM)["text"]
    assert "116 123" in text and "999" in text and "988" not in text
    payload, other = send_dm(slack, "I want to end my life")
    assert "988" in only_post(slack, other, DM)["text"]


def test_the_slack_credentials_open_no_rest_channel(slack):
    for path in ("/webhooks/rest/webhook", "/webhooks/rest/"):
        req = urllib.request.Request(f"http://127.0.0.1:{slack.rasa.port}{path}", data=b'{"sender": "x", "message": "hi"}',
                                     headers={"Content-Type": "application/json"}, method="POST")
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=10)
        assert err.value.code in (404, 405)


def test_zz_unavailable_reply_when_the_action_server_is_down(slack):
    """Last on purpose: it stops the module's action server."""
    slack.actions.stop()
    payload, channel = send_dm(slack, "Is kratom legal?")
    post_ = only_post(slack, channel, DM)
    assert "temporarily unavailable" in post_["text"] and "988" in post_["text"]
    assert "Traceback" not in post_["text"]


@pytest.mark.parametrize(
    "credentials, env, error",
    [
        ({}, {"SLACK_SIGNING_SECRET": SECRET}, "SLACK_BOT_TOKEN"),
        ({}, {"SLACK_BOT_TOKEN": TOKEN}, "SLACK_APP_TOKEN (Socket Mode"),
        ({}, {"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": "xoxb-not-an-app-token"}, "xapp-"),
        ({}, {"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": "xapp-1-A-1-x", "SLACK_REGION": "au"}, None),
        ({"slack_token": "xoxb-committed"}, {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET}, "secrets"),
        ({}, {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_REGION": "XX"}, "SLACK_REGION"),
        ({}, {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_REGION": "ie"}, None),
    ],
    ids=["no-token", "neither-app-token-nor-secret", "bot-token-as-app-token", "socket-mode-ok", "secret-in-file",
         "bad-region", "ok"],
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
        assert line == "OK " + env["SLACK_REGION"].upper()


def test_two_replicas_answer_a_retried_event_exactly_once():
    """A Slack retry delivered to the other replica: the event id is shared through Redis."""
    from tests.e2e.services import running_redis

    fake = FakeSlack(token=TOKEN).start()
    with running_redis() as redis:
        actions = devstack.action_server(log_name="slack2-actions").start()
        env = dict(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.url + "/", SLACK_REGION="US",
                   REDIS_HOST="127.0.0.1", REDIS_PORT=str(redis.port), REDIS_PASSWORD=redis.password, REDIS_DB="0")
        replicas = [devstack.rasa_server(f"http://127.0.0.1:{actions.port}/webhook", credentials=CREDENTIALS,
                                         log_name=f"slack2-rasa-{n}", health_path="/webhooks/slack/", **env).start()
                    for n in ("a", "b")]
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
