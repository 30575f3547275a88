"""The Slack channel's pure parts: Block Kit replies, signatures, event filtering (no Rasa, no server)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from bot.channels.slack_blocks import (
    MAX_BLOCKS,
    MAX_SECTION_CHARS,
    SeenCache,
    build_message,
    classify_event,
    clean_text,
    escape,
    group_messages,
    parse_data,
    reply_thread,
    conversation_key,
    home_view,
    FLAG_ACTION,
    SHARE_ACTION,
    REGION_ACTION,
    signature,
    verify_signature,
)
from bot.channels.text import neutralize
from bot.contract import ReplyData
from bot.channels.unavailable import unavailable_messages
from tests.conftest import REPO

SOURCES = [
    {"organisation": "NIH LiverTox (NIDDK)", "title": "Kratom", "url": "https://livertox.nih.gov/Kratom.htm", "checked_on": "2026-11-26"},
    {"organisation": "Clinical Pharmacology & Therapeutics", "title": "A <review> & more", "url": "https://example.org/a?b=1&c=2",
     "checked_on": "2026-11-26"},
]


def answer_messages(answer: str = "Kratom can rarely injure the liver.", buttons=("Is kratom safe?",)) -> list[dict]:
    data = {"route": "answer", "kind": "answer", "answer": answer, "sources": SOURCES, "reviewed_on": "2026-11-26",
            "entry_id": "kratom-liver-injury"}
    text = f"{answer}\n\nSources:\n- NIH LiverTox (NIDDK), \"Kratom\": https://livertox.nih.gov/Kratom.htm\nReviewed 2026-11-26 (editorial)."
    return [
        {"recipient_id": "u", "text": text, "buttons": [{"title": b, "payload": b} for b in buttons]},
        {"recipient_id": "u", "custom": {"data": data}},
    ]


CRISIS_DATA = {
    "route": "crisis", "kind": "crisis", "lang": "en", "region": "US",
    "resources": [
        {"label": "Emergency services", "phone": "911"},
        {"label": "988 Suicide & Crisis Lifeline", "phone": "988", "sms": "988", "web": "https://988lifeline.org/"},
    ],
    "buttons": [],
}
CRISIS_TEXT = "I'm really glad you told me.\n- 988 Suicide & Crisis Lifeline: call or text 988\nIf you are in danger now, call 911."


def all_text(blocks: list[dict]) -> str:
    out = []
    for block in blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        for element in block.get("elements", []):
            text = element["text"]
            out.append(text["text"] if isinstance(text, dict) else text)
    return "\n".join(out)


def assert_valid_blocks(blocks: list[dict]) -> None:
    assert 0 < len(blocks) <= MAX_BLOCKS
    for block in blocks:
        assert block["type"] in {"section", "context", "header", "divider", "actions"}
        if block["type"] == "actions":
            assert 1 <= len(block["elements"]) <= 25
            ids = [e["action_id"] for e in block["elements"]]
            assert len(ids) == len(set(ids))  # Slack rejects repeated action ids in a block
            for element in block["elements"]:
                assert element["type"] == "button"
                assert 0 < len(element["text"]["text"]) <= 75 and len(element["value"]) <= 2000
        if block["type"] == "section":
            assert block["text"]["type"] == "mrkdwn" and 0 < len(block["text"]["text"]) <= MAX_SECTION_CHARS
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text" and len(block["text"]["text"]) <= 150
        if block["type"] == "context":
            assert 1 <= len(block["elements"]) <= 10
    json.dumps(blocks)  # serialisable as is


# -- Block Kit ---------------------------------------------------------------------------------
def test_escape_follows_slack_rules():
    assert escape("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    assert escape("&amp;") == "&amp;amp;"  # & first, so nothing is double-decoded
    assert escape("*bold* _it_ 'q' \"q\"") == "*bold* _it_ 'q' \"q\""


def test_answer_is_a_section_with_sources_and_review_date_in_context():
    message = build_message(answer_messages())
    blocks = message.blocks
    assert_valid_blocks(blocks)
    assert blocks[0] == {"type": "section", "text": {"type": "mrkdwn", "text": "Kratom can rarely injure the liver."}}
    context = all_text([b for b in blocks if b["type"] == "context"])
    assert "<https://livertox.nih.gov/Kratom.htm|Kratom>" in context
    assert "<https://example.org/a?b=1&amp;c=2|A &lt;review&gt; &amp; more>" in context
    assert "Clinical Pharmacology &amp; Therapeutics" in context
    assert "Reviewed 2026-11-26" in context
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [(e["text"]["text"], e["value"]) for e in buttons if e["action_id"].startswith("kratom_ask_")] == [
        ("Is kratom safe?", "Is kratom safe?")]  # suggestions are buttons that ask them
    assert "Sources:" not in blocks[0]["text"]["text"]
    assert message.text.startswith("Kratom can rarely injure the liver.")  # plain fallback keeps everything
    assert "livertox.nih.gov" in message.text


def test_answer_without_structured_answer_uses_the_text_before_sources():
    msgs = answer_messages()
    del msgs[1]["custom"]["data"]["answer"]
    assert build_message(msgs).blocks[0]["text"]["text"] == "Kratom can rarely injure the liver."


def test_unsafe_source_urls_are_not_linked():
    data = {"route": "answer", "kind": "answer", "answer": "x", "reviewed_on": "2026-01-01",
            "sources": [{"organisation": "X", "title": "Bad", "url": "javascript:alert(1)", "checked_on": "2026-01-01"},
                        {"organisation": "Y", "title": "Pipe", "url": "https://a.b/c|d", "checked_on": "2026-01-01"}]}
    context = all_text(build_message([{"text": "x"}, {"custom": {"data": data}}]).blocks)
    assert "javascript" not in context and "<https://a.b" not in context
    assert "Bad" in context and "Pipe" in context


def test_custom_data_may_be_a_json_string():
    parsed = parse_data({"data": json.dumps(CRISIS_DATA)})
    assert parsed == ReplyData.decode(CRISIS_DATA).to_dict()
    assert {k: parsed[k] for k in CRISIS_DATA if k != "resources"} == {k: v for k, v in CRISIS_DATA.items() if k != "resources"}
    assert [r["phone"] for r in parsed["resources"]] == ["911", "988"]
    assert parse_data({"data": "{not json"}) == {}
    assert parse_data({"data": "[1, 2]"}) == {}
    assert parse_data("nope") == {}


@pytest.mark.parametrize("as_string", [True, False])
def test_crisis_reply_is_unmistakable(as_string):
    data = json.dumps(CRISIS_DATA) if as_string else CRISIS_DATA
    message = build_message([{"text": CRISIS_TEXT}, {"custom": {"data": data}}])
    blocks = message.blocks
    assert_valid_blocks(blocks)
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["text"] == ":rotating_light: Get help now"
    text = all_text(blocks)
    assert "*911*" in text and "call or text *988*" in text
    assert "<https://988lifeline.org/|988lifeline.org>" in text
    assert "• 988 Suicide &amp; Crisis Lifeline" in text  # "- " lines as bullets, escaped
    assert message.text.startswith(":rotating_light: Get help now") and "988" in message.text


def test_spanish_crisis_header():
    data = {**CRISIS_DATA, "lang": "es"}
    blocks = build_message([{"text": "Llama al 988."}, {"custom": {"data": data}}]).blocks
    assert blocks[0]["text"]["text"] == ":rotating_light: Busca ayuda ahora"
    assert "llama o envía un texto al *988*" in all_text(blocks)


@pytest.mark.parametrize("route", ["redirect", "fallback", "smalltalk"])
def test_redirect_fallback_and_smalltalk_are_plain_sections_with_suggestions(route):
    data = {"route": route, "kind": route, "buttons": ["What is kratom?", "Is kratom safe?"]}
    message = build_message([{"text": "I can't help with amounts.\n- SAMHSA: call 1-800-662-4357"}, {"custom": {"data": json.dumps(data)}}])
    blocks = message.blocks
    assert_valid_blocks(blocks)
    assert [b["type"] for b in blocks] == ["section", "context", "actions"]
    assert "• SAMHSA: call 1-800-662-4357" in blocks[0]["text"]["text"]
    assert blocks[1]["elements"][0]["text"] == ":speech_balloon: You could also ask:"
    assert [(e["action_id"], e["value"]) for e in blocks[2]["elements"]] == [
        ("kratom_ask_0", "What is kratom?"), ("kratom_ask_1", "Is kratom safe?")]
    assert FLAG_ACTION not in json.dumps(blocks)  # only answers can be flagged


def test_text_split_by_rasa_belongs_to_one_reply_and_replies_stay_in_order():
    messages = [
        {"text": "Part one."}, {"text": "Part two."}, {"custom": {"data": '{"route": "redirect", "kind": "redirect"}'}},
        *answer_messages(),
        {"text": "If you need to talk to someone now: 988."}, {"custom": {"data": {"route": "answer", "kind": "reminder"}}},
    ]
    replies = group_messages(messages)
    assert [r.route for r in replies] == ["redirect", "answer", "answer"]
    assert replies[0].text == "Part one.\n\nPart two."
    blocks = build_message(messages).blocks
    assert blocks[0]["text"]["text"] == "Part one.\n\nPart two."
    assert blocks[-1]["text"]["text"] == "If you need to talk to someone now: 988."


def test_unavailable_reply_renders_with_help():
    message = build_message(unavailable_messages("u1", "US"))
    assert_valid_blocks(message.blocks)
    assert "temporarily unavailable" in message.text and "988" in message.text
    assert message.blocks[0]["type"] == "section"


def test_no_messages_give_an_empty_message():
    message = build_message([])
    assert message.blocks == [] and message.text == ""


def test_long_replies_respect_block_kit_limits():
    long_answer = "\n\n".join(f"Paragraph {i}. " + "word " * 120 for i in range(20))
    assert len(long_answer) > 3 * MAX_SECTION_CHARS
    message = build_message(answer_messages(answer=long_answer))
    assert_valid_blocks(message.blocks)
    sections = [b for b in message.blocks if b["type"] == "section"]
    assert len(sections) >= 3
    assert " ".join(s["text"]["text"] for s in sections).count("Paragraph") == 20
    many = [m for _ in range(40) for m in answer_messages()]
    assert_valid_blocks(build_message(many).blocks)
    assert len(build_message(many).text) < 4000


# -- signatures --------------------------------------------------------------------------------
def test_signature_matches_slack_sdk_and_rejects_anything_else():
    from slack_sdk.signature import SignatureVerifier

    body, secret = b'{"type":"event_callback"}', "s3cret"
    ts = str(int(time.time()))
    sig = signature(secret, ts, body)
    assert SignatureVerifier(secret).is_valid(body=body, timestamp=ts, signature=sig)
    assert verify_signature(secret, ts, sig, body)
    assert not verify_signature("other", ts, sig, body)
    assert not verify_signature(secret, ts, sig, body + b" ")
    assert not verify_signature(secret, ts, sig.upper(), body)
    assert not verify_signature(secret, None, sig, body)
    assert not verify_signature(secret, ts, None, body)
    assert not verify_signature("", ts, signature("", ts, body), body)
    assert not verify_signature(secret, "not-a-number", sig, body)
    stale = str(int(time.time()) - 6 * 60)
    assert not verify_signature(secret, stale, signature(secret, stale, body), body)
    future = str(int(time.time()) + 6 * 60)
    assert not verify_signature(secret, future, signature(secret, future, body), body)
    recent = str(int(time.time()) - 4 * 60)
    assert verify_signature(secret, recent, signature(secret, recent, body), body)


# -- events ------------------------------------------------------------------------------------
def payload(**event) -> dict:
    base = {"type": "message", "channel_type": "im", "user": "UHUMAN", "text": "hi", "ts": "1.000001", "channel": "D1"}
    base.update(event)
    return {"type": "event_callback", "event_id": "Ev1", "event": {k: v for k, v in base.items() if v is not None},
            "authorizations": [{"user_id": "UBOT", "is_bot": True}]}


@pytest.mark.parametrize(
    "event, answered",
    [
        ({}, True),
        ({"type": "app_mention", "channel_type": None, "channel": "C1"}, True),
        ({"subtype": "thread_broadcast"}, True),
        ({"channel_type": "channel", "channel": "C1"}, False),  # channel chatter without a mention
        ({"channel_type": "mpim"}, False),
        ({"bot_id": "B1"}, False),
        ({"subtype": "bot_message", "bot_id": "B2"}, False),
        ({"subtype": "message_changed", "user": None}, False),
        ({"subtype": "message_deleted"}, False),
        ({"subtype": "channel_join"}, False),
        ({"user": "UBOT"}, False),  # our own post
        ({"user": None}, False),
        ({"type": "reaction_added"}, False),
        ({"text": None}, False),
    ],
)
def test_only_people_writing_to_the_app_are_answered(event, answered):
    assert (classify_event(payload(**event)) is None) is answered


def test_own_user_id_learned_elsewhere_is_ignored_too():
    p = payload(user="UBOT2")
    p.pop("authorizations")
    assert classify_event(p) is None
    assert classify_event(p, {"UBOT2"}) == "own message"


def test_a_mention_is_answered_in_a_thread_and_a_dm_in_the_dm():
    assert reply_thread({"ts": "2.0", "channel": "C1"}) == "2.0"
    assert reply_thread({"ts": "2.0", "thread_ts": "1.0", "channel": "C1"}) == "1.0"
    assert reply_thread({"ts": "2.0", "channel": "D1", "channel_type": "im"}) is None
    assert reply_thread({"ts": "2.0", "thread_ts": "1.0", "channel": "D1", "channel_type": "im"}) == "1.0"


def test_context_is_kept_per_person_per_thread():
    keys = {conversation_key("T", "C1", "U1", "1.0"), conversation_key("T", "C1", "U1", "2.0"),
            conversation_key("T", "C1", "U2", "1.0"), conversation_key("T", "D1", "U1", None)}
    assert len(keys) == 4


def test_an_answer_can_be_flagged_and_a_private_one_shared():
    public = build_message(answer_messages(), question="can kratom hurt my liver?")
    actions = [e for b in public.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [e["value"] for e in actions if e["action_id"] == FLAG_ACTION] == ["kratom-liver-injury"]
    assert SHARE_ACTION not in [e["action_id"] for e in actions]
    private = build_message(answer_messages(), question="can kratom hurt my liver?", shareable=True)
    assert_valid_blocks(private.blocks)
    share = [e for b in private.blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == SHARE_ACTION]
    assert [json.loads(e["value"]) for e in share] == [{"q": "can kratom hurt my liver?", "e": "kratom-liver-injury"}]
    assert private.answer_entry() == "kratom-liver-injury"


def test_crisis_replies_have_no_share_or_flag_buttons():
    message = build_message([{"text": CRISIS_TEXT}, {"custom": {"data": CRISIS_DATA}}], question="x", shareable=True)
    assert "actions" not in [b["type"] for b in message.blocks]
    assert message.answer_entry() is None


def test_a_shared_answer_says_who_shared_it():
    message = build_message(answer_messages(), shared_by="UWORKER01", interactive=False)
    assert message.blocks[0]["elements"][0]["text"] == "Shared by <@UWORKER01>"
    assert "actions" not in [b["type"] for b in message.blocks]
    assert "<@" not in json.dumps(build_message(answer_messages(), shared_by="<!channel>").blocks)


def test_home_view_shows_the_users_region_numbers_and_the_region_setting():
    from guardrails import REGIONS, ReplyBook

    book = ReplyBook.from_files()
    region = book.region("UK")
    view = home_view("UK", region.name, [r.as_dict() for r in region.all_resources()],
                     [(c, book.region(c).name) for c in REGIONS])
    text = json.dumps(view)
    assert "116 123" in text and "999" in text and "988" not in text
    select = [b for b in view["blocks"] if b.get("accessory", {}).get("action_id") == REGION_ACTION][0]["accessory"]
    assert select["initial_option"]["value"] == "UK"
    assert [o["value"] for o in select["options"]] == list(REGIONS)


@pytest.mark.parametrize(
    "raw, own, leading, expected",
    [
        ("<@UBOT> is kratom legal?", {"UBOT"}, True, "is kratom legal?"),
        ("hey <@UBOT>, is kratom legal?", {"UBOT"}, True, "hey , is kratom legal?"),
        ("<@UBOT|kratom-info> hi", set(), True, "hi"),  # id unknown: the leading mention goes
        ("<@UOTHER> said kratom is fine", {"UBOT"}, True, "<@UOTHER> said kratom is fine"),
        ("see <https://fda.gov/x|the FDA page> &amp; <http://a.b>", set(), False, "see the FDA page & http://a.b"),
        ("in <#C123|general> &lt;3", set(), False, "in #general <3"),
        ("<!here> what is kratom", set(), False, "what is kratom"),
    ],
)
def test_clean_text(raw, own, leading, expected):
    assert clean_text(raw, own, strip_leading_mention=leading) == expected


def test_mention_then_slash_cannot_force_an_intent():
    assert neutralize(clean_text("<@UBOT> /greet how many grams", {"UBOT"}, True)) == "greet how many grams"


def test_seen_cache_is_bounded_and_forgets_old_ids():
    cache = SeenCache(maxsize=3, ttl=10)
    assert not cache.seen(["a", "msg:1"], now=0)
    assert cache.seen(["a"], now=1)
    assert cache.seen([None, "msg:1"], now=1)  # same message under another event id
    for key in "bcd":
        assert not cache.seen([key], now=2)
    assert len(cache) == 3
    assert not cache.seen(["a"], now=3)  # evicted by size
    assert not cache.seen(["b"], now=20)  # expired
    assert not cache.seen([None], now=21)


def test_block_builder_imports_without_rasa_sanic_or_slack_sdk():
    code = (
        "import sys, bot.channels.slack_blocks;"
        "print(','.join(m for m in ('rasa', 'sanic', 'slack_sdk') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == ""


def test_credentials_file_registers_only_the_slack_channel_and_holds_no_secrets():
    import yaml

    creds = yaml.safe_load((REPO / "bot" / "rasa_project" / "credentials.slack.yml").read_text(encoding="utf-8"))
    assert creds == {"bot.channels.slack.SafeSlackInput": {}}  # no REST channel opened by accident


def test_a_crisis_hint_stands_out_above_the_answer_it_comes_with():
    hint = [{"text": "If you are having thoughts of ending your life, you can talk to someone now: 988."},
            {"custom": {"data": {"route": "answer", "kind": "crisis_hint"}}}]
    message = build_message(hint + answer_messages())
    assert_valid_blocks(message.blocks)
    assert message.blocks[0]["text"]["text"].startswith(":telephone_receiver: *If you are having thoughts")
    assert message.blocks[1]["text"]["text"] == "Kratom can rarely injure the liver."
    assert message.text.startswith("If you are having thoughts")
