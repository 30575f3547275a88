"""The Slack channel: a Rasa ``InputChannel`` written on slack_sdk, not a ``SlackInput`` subclass.

Register it in a credentials file (``bot/rasa_project/credentials.slack.yml``)::

    bot.channels.slack.SafeSlackInput: {}

It serves ``POST /webhooks/slack/webhook`` (Events API and the slash command) and is
configured from the environment only:

    SLACK_BOT_TOKEN       xoxb-... bot token (required)
    SLACK_SIGNING_SECRET  the app's signing secret (required)
    SLACK_REGION          which region's phone numbers replies use (US, CA, UK, IE, AU; default US)
    SLACK_API_URL         tests only: base URL of a fake Slack Web API

Every request, in order:
1. its v0 signature and timestamp (within 5 minutes) are checked; anything else gets 401 and
   nothing more happens;
2. a Slack retry (``X-Slack-Retry-Num``) gets 200 and is dropped: the first delivery is being
   answered already;
3. ``url_verification`` gets its challenge back; an event that is not a person's DM or
   @mention (bots, our own posts, edits, joins...) or whose ``event_id`` was already seen gets
   200 and is dropped;
4. the message is acknowledged with 200 at once and answered in a background task: Slack
   markup cleaned, a leading "/" neutralised, over-long messages answered politely without
   processing, region passed as metadata, Rasa's replies rendered as Block Kit
   (``slack_blocks.build_message``) and posted once, in the message's thread; if Rasa produced
   nothing, the "temporarily unavailable" reply is posted instead;
5. the slash command answers with an ephemeral message (``chat.postEphemeral``; if Slack refuses
   that, e.g. the app is not in the channel, the command's ``response_url``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from functools import lru_cache
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Set, Text
from urllib.parse import parse_qs

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from .slack_blocks import (
    TOO_LONG_TEXT,
    SeenCache,
    SharedSeenCache,
    SlackMessage,
    bot_user_ids,
    build_message,
    classify_event,
    clean_text,
    reply_thread,
    verify_signature,
)
from bot.privacy import hash_sender, redact

from .text import crisis_line, neutralize, too_long
from .unavailable import unavailable_messages

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
MAX_BODY_BYTES = 256 * 1024
RESPONSE_URL_PREFIX = "https://hooks.slack.com/"
# Keys that must never be in a committed credentials file.
SECRET_KEYS = {"slack_token", "slack_signing_secret", "token", "signing_secret", "bot_token"}


class ConfigError(RasaException):
    """The Slack channel is not configured (raised at start-up, never per request)."""


@lru_cache(maxsize=1)
def _book():
    from guardrails import ReplyBook

    return ReplyBook.from_files()


def known_regions() -> tuple[str, ...]:
    from guardrails.responses import REGIONS

    return tuple(REGIONS)


def _seen_cache_from_env() -> Any:
    """Shared de-duplication when the Redis lock store is configured (REDIS_HOST), else local."""
    host = (os.environ.get("REDIS_HOST") or "").strip()
    if not host:
        return SeenCache()
    import redis

    client = redis.Redis(host=host, port=int(os.environ.get("REDIS_PORT") or 6379),
                         password=os.environ.get("REDIS_PASSWORD") or None, db=int(os.environ.get("REDIS_DB") or 0),
                         socket_timeout=2, socket_connect_timeout=2)
    return SharedSeenCache(client)


class _Collector(CollectingOutputChannel):
    """Collects Rasa's replies for one message without splitting texts on blank lines."""

    @classmethod
    def name(cls) -> Text:
        return "slack"

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=text))


class SafeSlackInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "slack"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "SafeSlackInput":
        credentials = credentials or {}
        committed = sorted(k for k in credentials if str(k).lower() in SECRET_KEYS)
        if committed:
            raise ConfigError(
                f"credentials file has Slack secrets ({', '.join(committed)}); remove them and set "
                "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET in the environment instead"
            )
        token = os.environ.get("SLACK_BOT_TOKEN", "").strip()
        secret = os.environ.get("SLACK_SIGNING_SECRET", "").strip()
        missing = [n for n, v in (("SLACK_BOT_TOKEN", token), ("SLACK_SIGNING_SECRET", secret)) if not v]
        if missing:
            raise ConfigError(f"the Slack channel needs {' and '.join(missing)} in the environment (see docs/slack/SLACK.md)")
        region = (os.environ.get("SLACK_REGION") or "US").strip().upper()
        if region not in known_regions():
            raise ConfigError(f"SLACK_REGION={region!r} is not one of {', '.join(known_regions())}")
        api_url = (os.environ.get("SLACK_API_URL") or "").strip() or None
        return cls(token, secret, region=region, api_url=api_url, seen=_seen_cache_from_env())

    def __init__(self, token: str, signing_secret: str, region: str = "US", api_url: Optional[str] = None,
                 seen: Any = None) -> None:
        if not token or not signing_secret:
            raise ConfigError("the Slack channel needs a bot token and a signing secret")
        self.signing_secret = signing_secret
        self.region = region
        base_url = api_url or DEFAULT_API_URL
        if not base_url.endswith("/"):
            base_url += "/"
        self.client = AsyncWebClient(
            token=token,
            base_url=base_url,
            timeout=15,
            retry_handlers=[AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
        )
        self.seen = seen or SeenCache()
        self._own_ids: Set[str] = set()
        self._auth_checked = False
        self._tasks: Set[asyncio.Task] = set()

    # -- request handling -----------------------------------------------------------------
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("kratom_slack_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            body: bytes = request.body or b""
            if not verify_signature(
                self.signing_secret,
                request.headers.get("X-Slack-Request-Timestamp"),
                request.headers.get("X-Slack-Signature"),
                body,
            ):
                return response.json({"error": "invalid or missing Slack signature"}, status=401)
            # A retry (X-Slack-Retry-Num) is handled like any delivery: its event_id decides.
            # If the first attempt reached a replica, the id is remembered (shared through
            # Redis when configured) and the retry is dropped; if it never arrived (a restart),
            # the retry is answered, once.
            if len(body) > MAX_BODY_BYTES:
                return response.json({"error": "request too large"}, status=413)
            ctype = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype == "application/json":
                try:
                    payload = json.loads(body)
                except ValueError:
                    return response.json({"error": "malformed JSON"}, status=400)
                if not isinstance(payload, dict):
                    return response.json({"error": "expected a JSON object"}, status=400)
                return self._handle_json(payload, on_new_message)
            if ctype == "application/x-www-form-urlencoded":
                form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
                if form.get("command"):
                    return self._handle_command(form, on_new_message)
                return response.text("", status=200)  # interactivity is off; nothing else to do
            return response.json({"error": "unsupported content type"}, status=415)

        return bp

    def _handle_json(self, payload: Dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        kind = payload.get("type")
        if kind == "url_verification":
            return response.json({"challenge": payload.get("challenge", "")})
        if kind != "event_callback":
            return response.text("", status=200)
        why_not = classify_event(payload, self._own_ids)
        if why_not is not None:
            log.debug("ignoring Slack event: %s", why_not)
            return response.text("", status=200)
        event: Dict[str, Any] = payload["event"]
        channel, ts = event["channel"], event["ts"]
        if self.seen.seen([f"event:{payload.get('event_id')}" if payload.get("event_id") else None, f"msg:{channel}:{ts}"]):
            log.debug("ignoring a Slack event already handled")
            return response.text("", status=200)
        self._own_ids |= bot_user_ids(payload)
        sender = f"slack:{payload.get('team_id') or event.get('team') or '-'}:{channel}:{event['user']}"
        self._spawn(
            self._answer_event(on_new_message, event, sender)
        )
        return response.text("", status=200)

    def _handle_command(self, form: Mapping[str, str], on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        channel, user = form.get("channel_id"), form.get("user_id")
        if not channel or not user:
            return response.text("", status=200)
        if self.seen.seen([f"trigger:{form['trigger_id']}" if form.get("trigger_id") else None]):
            return response.text("", status=200)
        sender = f"slack:{form.get('team_id') or '-'}:{channel}:{user}"
        self._spawn(self._answer_command(on_new_message, form, sender))
        return response.text("", status=200)

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- answering (background) -----------------------------------------------------------
    async def _own_user_ids(self) -> Set[str]:
        if not self._own_ids and not self._auth_checked:
            self._auth_checked = True
            try:
                auth = await self.client.auth_test()
                if auth.get("user_id"):
                    self._own_ids.add(auth["user_id"])
            except Exception:  # noqa: BLE001
                log.warning("auth.test failed; mentions are stripped by position only")
        return self._own_ids

    async def _answer_event(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], event: Dict[str, Any], sender: str) -> None:
        try:
            mention = event.get("type") == "app_mention"
            own = await self._own_user_ids() if mention else self._own_ids
            text = clean_text(event.get("text") or "", own, strip_leading_mention=mention)
            message = await self._reply_for(on_new_message, text, sender, hint="Mention me with a question, for example: @kratom-info is kratom legal?")
            await self.client.chat_postMessage(
                channel=event["channel"],
                thread_ts=reply_thread(event),
                unfurl_links=False,
                unfurl_media=False,
                **message.as_kwargs(),
            )
        except Exception:  # noqa: BLE001 - a failed post must not take the server down
            log.exception("answering a Slack message failed")

    async def _answer_command(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], form: Mapping[str, str], sender: str) -> None:
        command = form.get("command") or "/kratom-info"
        try:
            text = clean_text(form.get("text") or "")
            message = await self._reply_for(on_new_message, text, sender, hint=f"Type a question after the command, for example: {command} is kratom legal?")
            try:
                await self.client.chat_postEphemeral(channel=form["channel_id"], user=form["user_id"], **message.as_kwargs())
            except SlackApiError as exc:
                url = form.get("response_url") or ""
                if not url.startswith(RESPONSE_URL_PREFIX):
                    raise
                log.info("chat.postEphemeral failed (%s); answering through response_url", exc.response.get("error"))
                await AsyncWebhookClient(url).send(response_type="ephemeral", **message.as_kwargs())
        except Exception:  # noqa: BLE001
            log.exception("answering a Slack slash command failed")

    async def _reply_for(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], text: str, sender: str, hint: str) -> SlackMessage:
        """Rasa's reply to ``text`` as one Slack message; never empty."""
        if too_long(text):
            return build_message([
                {"text": f"{TOO_LONG_TEXT}\n\n{crisis_line(self.region)}"},
                {"custom": {"data": {"route": "fallback", "kind": "too_long"}}},
            ])
        text = redact(neutralize(text))
        if not text:
            return build_message([{"text": hint}, {"custom": {"data": {"route": "fallback", "kind": "hint"}}}])
        # Stored ids are keyed hashes; replies go to the Slack channel from the event itself.
        sender = hash_sender(sender)
        collector = _Collector()
        try:
            await on_new_message(
                UserMessage(text, collector, sender, input_channel=self.name(), metadata={"region": self.region})
            )
        except Exception:  # noqa: BLE001
            log.exception("processing a Slack message failed")
            collector.messages = []
        messages: List[Dict[str, Any]] = collector.messages
        message = build_message(messages) if messages else None
        if message is None or not message.blocks:
            message = build_message(unavailable_messages(sender, self.region))
        return message
