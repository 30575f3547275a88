"""Slack helpers that need neither Rasa nor a network: Block Kit replies, signatures, event filters.

``bot.channels.slack`` (which runs inside ``rasa run``) uses these; the unit tests import them
from the app environment, where Rasa is not installed, so nothing here may import Rasa,
sanic or slack_sdk.

- ``build_message(messages)`` turns the messages Rasa produced for one user message (the
  REST channel's format: ``{"text", "buttons"}`` and ``{"custom": {"data": ...}}`` entries,
  ``custom.data`` a dict or a JSON string of one) into one ``chat.postMessage`` payload:
  a plain ``text`` fallback and Block Kit ``blocks``.
- ``verify_signature`` checks Slack's v0 request signature and timestamp.
- ``classify_event`` / ``clean_text`` decide whether an Events API event is a user message
  the assistant should answer and extract its text.
"""

from __future__ import annotations

from bot.contract import group_rest_messages, reply_data_of

import hashlib
import logging
import hmac
import json
import re
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# -- Block Kit limits (https://api.slack.com/reference/block-kit) --------------------------
MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_CHARS = 2000
MAX_FALLBACK_CHARS = 3900  # Slack truncates `text` long before its 40k hard limit in notifications
MAX_SUGGESTIONS = 5
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000

# Interactive elements (block_actions): what the channel does when one is pressed.
ASK_ACTION = "kratom_ask"  # a suggestion: ask it as if typed (action ids kratom_ask_0 ... _4)
FLAG_ACTION = "kratom_flag"  # flag an answer for the knowledge-base authors (value: entry id)
SHARE_ACTION = "kratom_share"  # post a private answer to the channel (value: {"q", "e"})
REGION_ACTION = "kratom_region"  # App Home: the user's region for phone numbers
ENTRY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")

LABELS = {
    "en": {
        "crisis_header": ":rotating_light: Get help now",
        "reach": ":telephone_receiver: *Reach a person now*",
        "call": "call",
        "text": "text",
        "call_or_text": "call or text",
        "sources": "Sources",
        "reviewed": "Reviewed",
        "suggest": ":speech_balloon: You could also ask:",
        "flag": "Flag this answer",
        "share": "Share in channel",
        "shared_by": "Shared by",
    },
    "es": {
        "crisis_header": ":rotating_light: Busca ayuda ahora",
        "reach": ":telephone_receiver: *Habla con una persona ahora*",
        "call": "llama al",
        "text": "texto al",
        "call_or_text": "llama o envía un texto al",
        "sources": "Fuentes",
        "reviewed": "Revisado",
        "suggest": ":speech_balloon: También puedes preguntar:",
        "flag": "Señalar esta respuesta",
        "share": "Compartir en el canal",
        "shared_by": "Compartido por",
    },
}

TOO_LONG_TEXT = (
    "That message is a bit too long for me to read: please keep it under 20,000 characters, "
    "or ask one question at a time."
)


# -- text ------------------------------------------------------------------------------------
def escape(text: str) -> str:
    """Slack's mrkdwn escaping: only &, < and > (in that order), nothing else."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _bullets(text: str) -> str:
    """"- item" lines (how the reply book lists resources) as Slack bullets."""
    return "\n".join("• " + line[2:] if line.startswith("- ") else line for line in text.splitlines())


def _chunks(text: str, limit: int = MAX_SECTION_CHARS) -> list[str]:
    """Split text into pieces under ``limit``, at paragraph, then line, then word boundaries."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    out: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = -1
        for sep in ("\n\n", "\n", " "):
            cut = rest.rfind(sep, 0, limit)
            if cut > 0:
                break
        if cut <= 0:
            cut = limit
        out.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        out.append(rest)
    return out


def _safe_url(url: Any) -> str | None:
    if not isinstance(url, str) or not re.match(r"^https?://", url):
        return None
    if any(c in url for c in "<>| \t\n\"'"):
        return None
    return url.replace("&", "&amp;")


def link(url: Any, title: str) -> str:
    """``<url|title>`` for an http(s) URL; the escaped title alone for anything else."""
    label = escape(title.replace("|", "/")) if title else ""
    safe = _safe_url(url)
    if safe is None:
        return label
    return f"<{safe}|{label or safe}>"


# -- Rasa messages -> replies ----------------------------------------------------------------
def parse_data(custom: Any) -> dict[str, Any]:
    """``custom.data`` as a dict: it is a dict (action server) or a JSON string (domain responses)."""
    data = reply_data_of(dict(custom)) if isinstance(custom, Mapping) else None
    return data.to_dict() if data is not None else {}


@dataclass
class BotReply:
    """One reply as the assistant meant it: its text, suggestions and structured data."""

    text: str = ""
    buttons: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def route(self) -> str:
        return str(self.data.get("route") or "")

    @property
    def kind(self) -> str:
        return str(self.data.get("kind") or "")

    @property
    def lang(self) -> str:
        return "es" if self.data.get("lang") == "es" else "en"

    def suggestions(self) -> list[str]:
        seen: list[str] = []
        extra = self.data.get("buttons")
        for b in [*self.buttons, *(extra if isinstance(extra, list) else [])]:
            if isinstance(b, str) and b.strip() and b not in seen:
                seen.append(b)
        return seen[:MAX_SUGGESTIONS]


def group_messages(messages: Iterable[Mapping[str, Any]]) -> list[BotReply]:
    """The messages Rasa produced for one user message as replies (``group_rest_messages``)."""
    replies = []
    for part in group_rest_messages(messages):
        titles = [b.get("title") or b.get("payload") for b in part.buttons]
        reply = BotReply(text=part.text, buttons=[t for t in titles if isinstance(t, str)])
        if part.custom is not None:
            reply.data = parse_data(part.custom)
        replies.append(reply)
    return [r for r in replies if r.text or r.data]


# -- replies -> blocks -----------------------------------------------------------------------
def _section(text: str) -> list[dict[str, Any]]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": piece}} for piece in _chunks(text)]


def _context(texts: Sequence[str]) -> dict[str, Any] | None:
    elements = [{"type": "mrkdwn", "text": t[:MAX_CONTEXT_CHARS]} for t in texts if t][:MAX_CONTEXT_ELEMENTS]
    return {"type": "context", "elements": elements} if elements else None


def _button(text: str, action_id: str, value: str) -> dict[str, Any]:
    label = text if len(text) <= MAX_BUTTON_TEXT else text[: MAX_BUTTON_TEXT - 1].rstrip() + "…"
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": label, "emoji": False},
            "value": value}


def _suggestion_blocks(reply: BotReply) -> list[dict[str, Any]]:
    """Suggestions as buttons (pressing one asks it), under a short label."""
    items = [q for q in reply.suggestions() if len(q) <= MAX_BUTTON_VALUE]
    if not items:
        return []
    label = _context([LABELS[reply.lang]["suggest"]])
    buttons = [_button(q, f"{ASK_ACTION}_{i}", q) for i, q in enumerate(items)]
    return [label, {"type": "actions", "block_id": "kratom_suggestions", "elements": buttons}]  # type: ignore[list-item]


def _answer_actions(reply: BotReply, question: str | None, shareable: bool) -> dict[str, Any] | None:
    """Under an answer: "Flag this answer" always; "Share in channel" for a private answer."""
    entry = reply.data.get("entry_id")
    if not isinstance(entry, str) or not ENTRY_ID.match(entry):
        return None
    labels = LABELS[reply.lang]
    elements = []
    if shareable and question:
        value = json.dumps({"q": question, "e": entry}, ensure_ascii=False)
        if len(value) <= MAX_BUTTON_VALUE:
            elements.append(_button(labels["share"], SHARE_ACTION, value))
    elements.append(_button(labels["flag"], FLAG_ACTION, entry))
    return {"type": "actions", "block_id": f"kratom_answer_{entry}"[:255], "elements": elements}


def _answer_text(reply: BotReply) -> str:
    answer = reply.data.get("answer")
    if isinstance(answer, str) and answer.strip():
        return answer
    # The pipeline's text is the answer, a blank line, then "Sources:"; show the answer part.
    return reply.text.split("\n\nSources:", 1)[0]


def _source_links(sources: Any) -> list[str]:
    out = []
    for src in sources if isinstance(sources, list) else []:
        if not isinstance(src, Mapping):
            continue
        title = str(src.get("title") or src.get("organisation") or src.get("url") or "").strip()
        org = str(src.get("organisation") or "").strip()
        item = link(src.get("url"), title)
        if org and org != title and item:
            item = f"{escape(org)}: {item}"
        if item:
            out.append(item)
    return out


def _answer_blocks(reply: BotReply) -> list[dict[str, Any]]:
    labels = LABELS[reply.lang]
    blocks = _section(escape(_answer_text(reply)))
    parts: list[str] = []
    links = _source_links(reply.data.get("sources"))
    if links:
        line = f"*{labels['sources']}:* "
        for item in links:
            candidate = line + ("" if line.endswith(" ") else " · ") + item
            if len(candidate) > MAX_CONTEXT_CHARS:
                break
            line = candidate
        parts.append(line)
    reviewed = reply.data.get("reviewed_on")
    if isinstance(reviewed, str) and reviewed:
        parts.append(f"{labels['reviewed']} {escape(reviewed)}")
    ctx = _context(parts)
    if ctx:
        blocks.append(ctx)
    return blocks


def resource_line(resource: Mapping[str, Any], lang: str = "en") -> str:
    """``• *988 Suicide & Crisis Lifeline*: call or text *988* · <https://988lifeline.org/|988lifeline.org>``"""
    labels = LABELS["es" if lang == "es" else "en"]
    phone, sms, web = resource.get("phone"), resource.get("sms"), resource.get("web")
    how: list[str] = []
    if phone and sms and phone == sms:
        how.append(f"{labels['call_or_text']} *{escape(str(phone))}*")
    else:
        if phone:
            how.append(f"{labels['call']} *{escape(str(phone))}*")
        if sms:
            how.append(f"{labels['text']} *{escape(str(sms))}*")
    if web:
        shown = re.sub(r"^https?://(www\.)?", "", str(web)).rstrip("/")
        how.append(link(web, shown))
    line = f"• *{escape(str(resource.get('label') or ''))}*"
    if how:
        line += ": " + " · ".join(how)
    if lang == "es" and resource.get("note_es"):
        line += f" ({escape(str(resource['note_es']))})"
    return line


def _crisis_blocks(reply: BotReply) -> list[dict[str, Any]]:
    labels = LABELS[reply.lang]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": labels["crisis_header"][:MAX_HEADER_CHARS], "emoji": True}}
    ]
    blocks += _section(_bullets(escape(reply.text)))
    resources = [r for r in reply.data.get("resources") or [] if isinstance(r, Mapping) and (r.get("phone") or r.get("sms") or r.get("web"))]
    if resources:
        lines = [labels["reach"], *(resource_line(r, reply.lang) for r in resources)]
        blocks.append({"type": "divider"})
        blocks += _section("\n".join(lines))
    return blocks


def is_answer(reply: BotReply) -> bool:
    return reply.route == "answer" and reply.kind in ("answer", "") and bool(reply.data.get("sources") or reply.data.get("answer"))


def reply_blocks(reply: BotReply, *, question: str | None = None, shareable: bool = False,
                 interactive: bool = True) -> list[dict[str, Any]]:
    """The blocks for one reply, by route: crisis, answer, or a plain section for the rest.

    ``interactive``: suggestion buttons and, under an answer, "Flag this answer" (and "Share in
    channel" when ``shareable``: a private answer, with the ``question`` that produced it)."""
    if reply.route == "crisis" or reply.kind == "crisis":
        blocks = _crisis_blocks(reply)
    elif is_answer(reply):
        blocks = _answer_blocks(reply)
        actions = _answer_actions(reply, question, shareable) if interactive else None
        if actions:
            blocks.append(actions)
    elif reply.kind == "crisis_hint":  # the crisis line put before an ordinary reply
        blocks = _section(":telephone_receiver: *" + escape(reply.text) + "*") if reply.text else []
    else:  # redirect, fallback, unavailable, small talk, notes and reminders
        blocks = _section(_bullets(escape(reply.text))) if reply.text else []
    if interactive:
        blocks += _suggestion_blocks(reply)
    else:
        items = reply.suggestions()
        if items:
            blocks.append(_context([LABELS[reply.lang]["suggest"] + " " + " · ".join(f"“{escape(q)}”" for q in items)]))
    return blocks


@dataclass(frozen=True)
class SlackMessage:
    """What goes into ``chat.postMessage`` / ``chat.postEphemeral``: fallback text and blocks."""

    text: str
    blocks: list[dict[str, Any]]
    replies: tuple[BotReply, ...] = ()  # what the assistant replied, for the channel's decisions

    def answer_entry(self) -> str | None:
        """The knowledge-base entry this message answers with, if it is an answer."""
        for reply in self.replies:
            if is_answer(reply) and isinstance(reply.data.get("entry_id"), str):
                return reply.data["entry_id"]
        return None

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def fallback_text(replies: Sequence[BotReply]) -> str:
    """The plain ``text``: notifications, screen readers and clients without Block Kit."""
    parts = []
    for reply in replies:
        if not reply.text:
            continue
        if reply.route == "crisis" or reply.kind == "crisis":
            parts.append(LABELS[reply.lang]["crisis_header"] + "\n" + escape(reply.text))
        else:
            parts.append(escape(reply.text))
    text = "\n\n".join(parts)
    if len(text) > MAX_FALLBACK_CHARS:
        text = text[: MAX_FALLBACK_CHARS - 1].rstrip() + "…"
    return text


def build_message(messages: Iterable[Mapping[str, Any]], *, question: str | None = None, shareable: bool = False,
                  interactive: bool = True, shared_by: str | None = None) -> SlackMessage:
    """One Slack message from all the Rasa messages for one user message.

    Empty input gives an empty message: the channel replaces "Rasa said nothing" with the
    "temporarily unavailable" reply before calling this. ``shared_by`` (a Slack user id) adds
    "Shared by @user" on top: an answer someone shared from a private reply.
    """
    replies = group_messages(messages)
    blocks: list[dict[str, Any]] = []
    if shared_by and re.match(r"^[UW][A-Z0-9]+$", shared_by):
        lang = replies[0].lang if replies else "en"
        blocks.append(_context([f"{LABELS[lang]['shared_by']} <@{shared_by}>"]))  # type: ignore[list-item]
    for reply in replies:
        blocks += reply_blocks(reply, question=question, shareable=shareable, interactive=interactive)
    if len(blocks) > MAX_BLOCKS:
        blocks = blocks[:MAX_BLOCKS]
    text = fallback_text(replies)
    if not text and blocks:
        text = " "
    return SlackMessage(text=text, blocks=blocks, replies=tuple(replies))


# -- request signatures ----------------------------------------------------------------------
MAX_SIGNATURE_AGE = 5 * 60


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 signature: ``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    timestamp: str | None,
    sig: str | None,
    body: bytes,
    now: float | None = None,
    max_age: int = MAX_SIGNATURE_AGE,
) -> bool:
    """True only for a correctly signed request whose timestamp is within ``max_age`` seconds."""
    if not secret or not timestamp or not sig:
        return False
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - ts) > max_age:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body).encode(), sig.encode())


# -- events ----------------------------------------------------------------------------------
# Message subtypes that are still a person writing; every other subtype (bot_message,
# message_changed, message_deleted, channel_join, ...) is ignored.
USER_SUBTYPES = frozenset({"thread_broadcast", "file_share"})


def bot_user_ids(payload: Mapping[str, Any]) -> set[str]:
    """The app's own bot user id(s), from the event's ``authorizations``."""
    ids = set()
    for auth in payload.get("authorizations") or []:
        if isinstance(auth, Mapping) and auth.get("is_bot") and auth.get("user_id"):
            ids.add(str(auth["user_id"]))
    return ids


def classify_event(payload: Mapping[str, Any], own_ids: Iterable[str] = ()) -> str | None:
    """Why an ``event_callback`` should be ignored, or ``None`` if it is a message to answer.

    Answered: a person's direct message to the app (``message`` with ``channel_type`` im) and
    an @mention in a channel (``app_mention``). Channel messages that don't mention the app are
    ignored, so a mention (which Slack may also deliver as a ``message``) is answered once.
    """
    event = payload.get("event")
    if not isinstance(event, Mapping):
        return "no event"
    kind = event.get("type")
    if kind not in ("message", "app_mention"):
        return f"event type {kind}"
    if event.get("bot_id") or event.get("bot_profile"):
        return "bot message"
    subtype = event.get("subtype")
    if subtype and subtype not in USER_SUBTYPES:
        return f"subtype {subtype}"
    if event.get("hidden"):
        return "hidden"
    user = event.get("user")
    if not user:
        return "no user"
    if user in set(own_ids) | bot_user_ids(payload):
        return "own message"
    if not event.get("channel") or not event.get("ts"):
        return "no channel or ts"
    if kind == "message" and event.get("channel_type") != "im":
        return "channel message without a mention"
    if not isinstance(event.get("text"), str):
        return "no text"
    return None


def is_direct_message(event: Mapping[str, Any]) -> bool:
    return event.get("channel_type") == "im" or str(event.get("channel") or "").startswith("D")


def reply_thread(event: Mapping[str, Any]) -> str | None:
    """Where the reply goes. A direct message is answered in the DM itself (in its thread only
    if it was written in one); an @mention in a channel is answered in a thread: the message's
    own thread if it is in one, else a new thread under the message."""
    if is_direct_message(event):
        return event.get("thread_ts") or None
    return event.get("thread_ts") or event.get("ts")


def conversation_key(team: str | None, channel: str, user: str, thread: str | None) -> str:
    """The conversation (Rasa sender) a message belongs to: one per person per DM, and one per
    person per thread, so context never mixes two threads or two people's words."""
    base = f"slack:{team or '-'}:{channel}:{user}"
    return f"{base}:{thread}" if thread else base


# -- App Home ------------------------------------------------------------------------------------
HOME_INTRO = (
    "*What I do:* answer questions about kratom, opioid withdrawal, treatment and overdose safety "
    "with short entries checked against health agencies' sources, each with its sources and review date.\n"
    "*What I don't do:* give doses, plan a taper or detox, say what is safe to mix, or recommend products. "
    "I point to people who can help instead. Crisis messages get crisis lines straight away.\n"
    "Information only, not medical advice. Written for people helping someone else: replies about "
    "a third person speak to you as their helper."
)
HOME_HOW = (
    "*How to ask:* send me a direct message, mention me in a channel (I answer in a thread), or type "
    "`/kratom-info your question` for an answer only you see, which you can then share in the channel."
)
HOME_PRIVACY = (
    "*Privacy:* messages are processed by your organisation's own server, never sent to third parties. "
    "Your Slack id is stored only as a keyed hash; phone numbers, e-mail and street addresses and names "
    "are removed from messages before they are stored, and stored conversations are deleted after the "
    "retention period your admin sets. Your region setting is kept so replies use your phone numbers. "
    "\"Flag this answer\" sends only the answer's id to the knowledge-base authors."
)


def home_view(region_code: str, region_name: str, resources: Sequence[Mapping[str, Any]],
              regions: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The App Home tab: what the app does, help numbers for the user's region, privacy, and
    the region setting (a select; choosing sends ``REGION_ACTION``)."""
    options = [{"text": {"type": "plain_text", "text": name[:75]}, "value": code} for code, name in regions]
    current = next((o for o in options if o["value"] == region_code), options[0])
    reach = [LABELS["en"]["reach"] + f" ({escape(region_name)})", *(resource_line(r) for r in resources)]
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Kratom & opioid withdrawal information"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": HOME_INTRO}},
            {"type": "section", "text": {"type": "mrkdwn", "text": HOME_HOW}},
            {"type": "divider"},
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(reach)[:MAX_SECTION_CHARS]}},
            {"type": "section", "block_id": "kratom_region",
             "text": {"type": "mrkdwn", "text": "*Your region* (which phone numbers replies show):"},
             "accessory": {"type": "static_select", "action_id": REGION_ACTION, "options": options,
                           "initial_option": current}},
            {"type": "divider"},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": HOME_PRIVACY}]},
        ],
    }


_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_LEADING_MENTION = re.compile(r"^\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>[\s,:]*")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#[CG][A-Z0-9]+(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!([a-z]+)(?:\^[^|>]*)?(?:\|([^>]*))?>")


def clean_text(text: str, own_ids: Iterable[str] = (), strip_leading_mention: bool = False) -> str:
    """Slack's message markup as plain text: the app's mention removed, links and channel names
    as written, ``&amp;`` ``&lt;`` ``&gt;`` decoded. (The leading-"/" rule is applied after this.)"""
    ids = set(own_ids)
    if strip_leading_mention and not ids:
        text = _LEADING_MENTION.sub("", text, count=1)
    text = _MENTION.sub(lambda m: " " if m.group(1) in ids else m.group(0), text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1).removeprefix("mailto:"), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(1) or "channel"), text)
    text = _SPECIAL.sub(lambda m: m.group(2) or "", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return re.sub(r"[ \t]+", " ", text).strip()


log = logging.getLogger(__name__)


class SharedSeenCache:
    """Event ids remembered in Redis, so every replica knows what any replica answered.

    ``SET key 1 NX EX ttl`` is atomic: of two replicas that get the same event at once, one
    wins. If Redis cannot be reached, the local memory decides (a rare double answer is
    better than a dropped crisis message)."""

    PREFIX = "kratom:slack:seen:"

    def __init__(self, client: Any, ttl: float = 3600.0, fallback: "SeenCache | None" = None) -> None:
        self.client, self.ttl = client, int(ttl)
        self.fallback = fallback or SeenCache(ttl=ttl)

    def seen(self, keys: Iterable[str | None], now: float | None = None) -> bool:
        keys = [k for k in keys if k]
        local = self.fallback.seen(keys, now)
        try:
            pipe = self.client.pipeline()
            for key in keys:
                pipe.set(self.PREFIX + key, "1", nx=True, ex=self.ttl)
            return not all(pipe.execute())
        except Exception:  # noqa: BLE001 - Redis down: the local memory decides
            log.warning("Slack de-duplication: Redis unreachable, using this replica's memory")
            return local


class SeenCache:
    """A small bounded memory of event ids already handled (Slack may deliver an event twice)."""

    def __init__(self, maxsize: int = 2048, ttl: float = 3600.0) -> None:
        self.maxsize, self.ttl = maxsize, ttl
        self._items: "OrderedDict[str, float]" = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def seen(self, keys: Iterable[str | None], now: float | None = None) -> bool:
        """True if any key was seen before; otherwise remember all of them and return False."""
        now = time.monotonic() if now is None else now
        while self._items:
            oldest_key, stamp = next(iter(self._items.items()))
            if now - stamp <= self.ttl:
                break
            self._items.pop(oldest_key)
        keys = [k for k in keys if k]
        if any(k in self._items for k in keys):
            return True
        for k in keys:
            self._items[k] = now
        while len(self._items) > self.maxsize:
            self._items.popitem(last=False)
        return False
