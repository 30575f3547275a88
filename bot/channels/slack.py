"""The Slack channel: a Rasa ``InputChannel`` written on slack_sdk, not a ``SlackInput`` subclass.

Register it in a credentials file (``bot/rasa_project/credentials.slack.yml``)::

    bot.channels.slack.SafeSlackInput: {}

Two ways to reach Slack, configured from the environment only (docs/slack/SLACK.md):

- **Socket Mode** (the default install): with ``SLACK_APP_TOKEN`` (``xapp-...``) the channel
  opens a WebSocket to Slack when the server starts (slack_sdk's aiohttp ``SocketModeClient``)
  and receives events, the slash command and button presses over it. No public address, no
  certificate; ``rasa run`` listens on 127.0.0.1 only (``make slack``).
- **HTTP** (optional): with ``SLACK_SIGNING_SECRET`` it also serves
  ``POST /webhooks/slack/webhook`` for the Events API, the slash command and interactivity.
  Without a signing secret that endpoint answers 404: nothing unauthenticated is ever served.

    SLACK_BOT_TOKEN       xoxb-... bot token (required)
    SLACK_APP_TOKEN       xapp-... app-level token with connections:write (Socket Mode)
    SLACK_SIGNING_SECRET  the app's signing secret (HTTP mode)
    SLACK_REGION          the default region for phone numbers (US, CA, UK, IE, AU; default US);
                          each person can choose their own on the app's Home tab
    SLACK_API_URL         tests only: base URL of a fake Slack Web API

Every delivery, whatever the transport:
1. HTTP only: its v0 signature and timestamp (within 5 minutes) are checked; anything else gets
   401 and nothing more happens. Socket Mode envelopes are acknowledged at once.
2. An event whose ``event_id`` (or channel + ts) was already handled, by this replica or another
   (shared through Redis when REDIS_HOST is set), is dropped; a retry of one that never arrived
   (a restart) is answered, once.
3. Answered: a person's direct message (in the DM, in its thread only if written in one), an
   @mention (in a thread), the slash command (privately, with "Share in channel"), a pressed
   suggestion button (as if typed), the "Ask Kratom Info" message shortcut (privately, about
   the message it was used on), "Flag this answer" (counted for the knowledge-base
   authors, ``kratom-assistant report``), "Share in channel", the Home tab and its region
   setting. Context is per person per DM and per person per thread.
4. Replies are in the **worker voice** (``audience: worker`` in the metadata): Slack's users
   help someone else. Slack markup is cleaned, a leading "/" neutralised, over-long messages
   answered politely without processing, Rasa's replies rendered as Block Kit
   (``slack_blocks.build_message``) and posted once; if Rasa produced nothing, the "temporarily
   unavailable" reply with the region's crisis line is posted instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import uuid
from dataclasses import dataclass
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
    ASK_ACTION,
    ENTRY_ID,
    FLAG_ACTION,
    REGION_ACTION,
    SHARE_ACTION,
    TOO_LONG_TEXT,
    SeenCache,
    SharedSeenCache,
    SlackMessage,
    bot_user_ids,
    build_message,
    classify_event,
    clean_text,
    conversation_key,
    home_view,
    is_direct_message,
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


def _redis_from_env() -> Any:
    host = (os.environ.get("REDIS_HOST") or "").strip()
    if not host:
        return None
    import redis

    return redis.Redis(host=host, port=int(os.environ.get("REDIS_PORT") or 6379),
                       password=os.environ.get("REDIS_PASSWORD") or None, db=int(os.environ.get("REDIS_DB") or 0),
                       socket_timeout=2, socket_connect_timeout=2)


def _seen_cache_from_env() -> Any:
    """Shared de-duplication when the Redis lock store is configured (REDIS_HOST), else local."""
    client = _redis_from_env()
    return SharedSeenCache(client) if client is not None else SeenCache()


class RegionSettings:
    """Each person's region (from the Home tab), keyed by a keyed hash of team and user id: the
    only thing kept about a person beyond the conversation. In Redis when REDIS_HOST is set
    (shared by every replica), else in this process's memory."""

    PREFIX = "kratom:slack:region:"

    def __init__(self, client: Any = None) -> None:
        self.client = client
        self._local: Dict[str, str] = {}

    @staticmethod
    def _key(team: Optional[str], user: str) -> str:
        return hash_sender(f"slack-region:{team or '-'}:{user}")

    def get(self, team: Optional[str], user: str) -> Optional[str]:
        key = self._key(team, user)
        if self.client is not None:
            try:
                value = self.client.get(self.PREFIX + key)
                return value.decode() if isinstance(value, bytes) else value
            except Exception:  # noqa: BLE001 - Redis down: the workspace default applies
                log.warning("region settings: Redis unreachable")
        return self._local.get(key)

    def set(self, team: Optional[str], user: str, region: str) -> None:
        key = self._key(team, user)
        self._local[key] = region
        if self.client is not None:
            try:
                self.client.set(self.PREFIX + key, region)
            except Exception:  # noqa: BLE001
                log.warning("region settings: Redis unreachable; kept in this replica only")


class _Collector(CollectingOutputChannel):
    """Collects Rasa's replies for one message without splitting texts on blank lines."""

    @classmethod
    def name(cls) -> Text:
        return "slack"

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=text))


MESSAGE_SHORTCUT = "kratom_ask_message"  # callback_id of the message shortcut in the manifests
SOCKET_MODE_HINT = "HTTP events are off: this app runs in Socket Mode (set SLACK_SIGNING_SECRET to enable them)"
FLAGGED_TEXT = {
    "en": "Thanks: this answer is flagged for the knowledge-base authors to review. Only the answer's id is kept.",
    "es": "Gracias: esta respuesta queda señalada para que la revisen los autores. Solo se guarda el identificador de la respuesta.",
}
FLAG_FAILED_TEXT = "Sorry, the flag could not be saved just now. Please try again later."
SHARE_FAILED_TEXT = "Sorry, that answer can't be shared right now. You can ask me again in the channel with an @mention."


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
                "SLACK_BOT_TOKEN and SLACK_APP_TOKEN (or SLACK_SIGNING_SECRET) in the environment instead"
            )
        token = os.environ.get("SLACK_BOT_TOKEN", "").strip()
        app_token = os.environ.get("SLACK_APP_TOKEN", "").strip()
        secret = os.environ.get("SLACK_SIGNING_SECRET", "").strip()
        if not token:
            raise ConfigError("the Slack channel needs SLACK_BOT_TOKEN in the environment (see docs/slack/SLACK.md)")
        if not app_token and not secret:
            raise ConfigError("the Slack channel needs SLACK_APP_TOKEN (Socket Mode, the default) or SLACK_SIGNING_SECRET "
                              "(HTTP events) in the environment (see docs/slack/SLACK.md)")
        if app_token and not app_token.startswith("xapp-"):
            raise ConfigError("SLACK_APP_TOKEN must be an app-level token (xapp-...), with the connections:write scope")
        region = (os.environ.get("SLACK_REGION") or "US").strip().upper()
        if region not in known_regions():
            raise ConfigError(f"SLACK_REGION={region!r} is not one of {', '.join(known_regions())}")
        api_url = (os.environ.get("SLACK_API_URL") or "").strip() or None
        redis_client = _redis_from_env()
        return cls(token, secret or None, region=region, api_url=api_url, app_token=app_token or None,
                   seen=SharedSeenCache(redis_client) if redis_client is not None else SeenCache(),
                   settings=RegionSettings(redis_client))

    def __init__(self, token: str, signing_secret: Optional[str] = None, region: str = "US", api_url: Optional[str] = None,
                 seen: Any = None, app_token: Optional[str] = None, settings: Optional[RegionSettings] = None) -> None:
        if not token or not (signing_secret or app_token):
            raise ConfigError("the Slack channel needs a bot token and an app token or a signing secret")
        self.signing_secret = signing_secret
        self.app_token = app_token
        self.region = region
        base_url = api_url or DEFAULT_API_URL
        if not base_url.endswith("/"):
            base_url += "/"
        self.base_url = base_url
        self.client = AsyncWebClient(
            token=token,
            base_url=base_url,
            timeout=15,
            retry_handlers=[AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
        )
        self.seen = seen or SeenCache()
        self.settings = settings or RegionSettings()
        self.socket_client: Any = None
        self._feedback: Any = None
        self._app: Any = None
        self._own_ids: Set[str] = set()
        self._auth_checked = False
        self._tasks: Set[asyncio.Task] = set()

    # -- transports -----------------------------------------------------------------------
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("kratom_slack_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            socket = None if self.app_token is None else bool(self.socket_client is not None and await self.socket_client.is_connected())
            return response.json({"status": "ok", "socket_mode": socket, "http_events": self.signing_secret is not None})

        @bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if self.signing_secret is None:
                return response.json({"error": SOCKET_MODE_HINT}, status=404)
            body: bytes = request.body or b""
            if not verify_signature(
                self.signing_secret,
                request.headers.get("X-Slack-Request-Timestamp"),
                request.headers.get("X-Slack-Signature"),
                body,
            ):
                return response.json({"error": "invalid or missing Slack signature"}, status=401)
            # A retry (X-Slack-Retry-Num) is handled like any delivery: its event_id decides.
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
                if payload.get("type") == "url_verification":
                    return response.json({"challenge": payload.get("challenge", "")})
                self.dispatch_event(payload, on_new_message)
                return response.text("", status=200)
            if ctype == "application/x-www-form-urlencoded":
                form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
                if form.get("command"):
                    self.dispatch_command(form, on_new_message)
                elif form.get("payload"):
                    try:
                        interaction = json.loads(form["payload"])
                    except ValueError:
                        return response.json({"error": "malformed payload"}, status=400)
                    if isinstance(interaction, dict):
                        self.dispatch_interaction(interaction, on_new_message)
                return response.text("", status=200)
            return response.json({"error": "unsupported content type"}, status=415)

        @bp.listener("after_server_start")
        async def start_socket_mode(app: Any, loop: Any) -> None:
            self._app = app  # its agent's tracker store is where flags are counted, as the REST channel does
            if self.app_token:
                await self.start_socket_mode(on_new_message)

        @bp.listener("before_server_stop")
        async def stop_socket_mode(app: Any, loop: Any) -> None:
            if self.socket_client is not None:
                with contextlib.suppress(Exception):
                    await self.socket_client.close()

        return bp

    async def start_socket_mode(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Connect to Slack over a WebSocket and handle every envelope; reconnects on its own."""
        from slack_sdk.socket_mode.aiohttp import SocketModeClient
        from slack_sdk.socket_mode.request import SocketModeRequest
        from slack_sdk.socket_mode.response import SocketModeResponse

        async def on_request(client: Any, request: SocketModeRequest) -> None:
            # Acknowledge first (Slack re-sends an envelope not acknowledged within 3 s).
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
            payload = request.payload if isinstance(request.payload, dict) else {}
            if request.type == "events_api":
                self.dispatch_event(payload, on_new_message)
            elif request.type == "slash_commands":
                self.dispatch_command({k: str(v) for k, v in payload.items()}, on_new_message)
            elif request.type == "interactive":
                self.dispatch_interaction(payload, on_new_message)

        web = AsyncWebClient(base_url=self.base_url, timeout=15,
                             retry_handlers=[AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler(max_retry_count=2)])
        self.socket_client = SocketModeClient(app_token=self.app_token, web_client=web, auto_reconnect_enabled=True)
        self.socket_client.socket_mode_request_listeners.append(on_request)
        # connect() retries on its own until it succeeds; never block the server's start on it.
        self._spawn(self.socket_client.connect())

    # -- dispatch (the same for HTTP and Socket Mode) --------------------------------------
    def dispatch_event(self, payload: Dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        if payload.get("type") != "event_callback":
            return
        event = payload.get("event")
        if isinstance(event, dict) and event.get("type") == "app_home_opened":
            if event.get("tab") == "home" and event.get("user"):
                self._spawn(self._publish_home(payload.get("team_id"), event["user"]))
            return
        why_not = classify_event(payload, self._own_ids)
        if why_not is not None:
            log.debug("ignoring Slack event: %s", why_not)
            return
        event = payload["event"]
        channel, ts = event["channel"], event["ts"]
        if self.seen.seen([f"event:{payload.get('event_id')}" if payload.get("event_id") else None, f"msg:{channel}:{ts}"]):
            log.debug("ignoring a Slack event already handled")
            return
        self._own_ids |= bot_user_ids(payload)
        self._spawn(self._answer_event(on_new_message, event, payload.get("team_id") or event.get("team")))

    def dispatch_command(self, form: Mapping[str, str], on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        channel, user = form.get("channel_id"), form.get("user_id")
        if not channel or not user:
            return
        if self.seen.seen([f"trigger:{form['trigger_id']}" if form.get("trigger_id") else None]):
            return
        self._spawn(self._answer_command(on_new_message, form))

    def dispatch_interaction(self, payload: Dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        if payload.get("type") == "message_action" and payload.get("callback_id") == MESSAGE_SHORTCUT:
            self._ask_about_message(payload, on_new_message)
            return
        if payload.get("type") != "block_actions":
            return
        actions = payload.get("actions") or []
        user = (payload.get("user") or {}).get("id")
        if not actions or not isinstance(actions[0], dict) or not user:
            return
        action = actions[0]
        team = (payload.get("team") or {}).get("id") or (payload.get("user") or {}).get("team_id")
        key = f"action:{user}:{action.get('action_ts') or ''}:{action.get('action_id')}"
        if action.get("action_ts") and self.seen.seen([key]):
            return
        action_id = str(action.get("action_id") or "")
        where = _Place.of(payload, user)
        if action_id == REGION_ACTION:
            region = str((action.get("selected_option") or {}).get("value") or "").upper()
            if region in known_regions():
                self.settings.set(team, user, region)
                self._spawn(self._publish_home(team, user))
        elif action_id == FLAG_ACTION and where is not None:
            self._spawn(self._flag(str(action.get("value") or ""), where))
        elif action_id == SHARE_ACTION and where is not None:
            self._spawn(self._share(on_new_message, str(action.get("value") or ""), where, team))
        elif action_id.startswith(ASK_ACTION + "_") and where is not None:
            text = str(action.get("value") or "")
            self._spawn(self._answer_at(on_new_message, text, where, team))

    def _ask_about_message(self, payload: Dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """The "Ask Kratom Info" message shortcut: a worker asks about a message someone wrote
        (a participant's question, a forwarded text); the answer only the worker sees."""
        user = (payload.get("user") or {}).get("id")
        channel = (payload.get("channel") or {}).get("id")
        message = payload.get("message") or {}
        if not user or not channel or self.seen.seen([f"trigger:{payload['trigger_id']}" if payload.get("trigger_id") else None]):
            return
        team = (payload.get("team") or {}).get("id")
        where = _Place(channel=channel, user=user, thread=message.get("thread_ts"), ephemeral=True,
                       response_url=payload.get("response_url"))
        text = clean_text(str(message.get("text") or ""), self._own_ids)
        self._spawn(self._answer_at(on_new_message, text, where, team,
                                    hint="That message has no text to ask about."))

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

    def region_for(self, team: Optional[str], user: str) -> str:
        region = self.settings.get(team, user)
        return region if region in known_regions() else self.region

    async def _answer_event(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], event: Dict[str, Any],
                            team: Optional[str]) -> None:
        try:
            mention = event.get("type") == "app_mention"
            own = await self._own_user_ids() if mention else self._own_ids
            text = clean_text(event.get("text") or "", own, strip_leading_mention=mention)
            thread = reply_thread(event)
            where = _Place(channel=event["channel"], user=event["user"], thread=thread, ephemeral=False)
            await self._answer_at(on_new_message, text, where, team,
                                  hint="Mention me with a question, for example: @kratom-info is kratom legal?")
        except Exception:  # noqa: BLE001 - a failed post must not take the server down
            log.exception("answering a Slack message failed")

    async def _answer_command(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], form: Mapping[str, str]) -> None:
        command = form.get("command") or "/kratom-info"
        where = _Place(channel=form["channel_id"], user=form["user_id"], thread=None, ephemeral=True,
                       response_url=form.get("response_url"))
        await self._answer_at(on_new_message, clean_text(form.get("text") or ""), where, form.get("team_id"),
                              hint=f"Type a question after the command, for example: {command} is kratom legal?")

    async def _answer_at(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], text: str, where: "_Place",
                         team: Optional[str], hint: str = "Ask me a question about kratom or opioid withdrawal.") -> None:
        """Answer ``text`` from ``where.user`` in the place it was asked (DM, thread, or privately)."""
        try:
            sender = conversation_key(team, where.channel, where.user, where.thread)
            message = await self._reply_for(on_new_message, text, sender, self.region_for(team, where.user), hint,
                                            shareable=where.ephemeral)
            await self._post(where, message)
        except Exception:  # noqa: BLE001
            log.exception("answering a Slack message failed")

    async def _post(self, where: "_Place", message: SlackMessage) -> None:
        extra: Dict[str, Any] = {"thread_ts": where.thread} if where.thread else {}
        if not where.ephemeral:
            await self.client.chat_postMessage(channel=where.channel, unfurl_links=False, unfurl_media=False,
                                               **extra, **message.as_kwargs())
            return
        try:
            await self.client.chat_postEphemeral(channel=where.channel, user=where.user, **extra, **message.as_kwargs())
        except SlackApiError as exc:
            url = where.response_url or ""
            if not url.startswith(RESPONSE_URL_PREFIX):
                raise
            log.info("chat.postEphemeral failed (%s); answering through response_url", exc.response.get("error"))
            await AsyncWebhookClient(url).send(response_type="ephemeral", **message.as_kwargs())

    async def _reply_for(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], text: str, sender: str,
                         region: str, hint: str, *, shareable: bool = False, interactive: bool = True,
                         shared_by: Optional[str] = None) -> SlackMessage:
        """Rasa's reply to ``text`` as one Slack message; never empty."""
        if too_long(text):
            return build_message([
                {"text": f"{TOO_LONG_TEXT}\n\n{crisis_line(region)}"},
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
                UserMessage(text, collector, sender, input_channel=self.name(),
                            metadata={"region": region, "audience": "worker"})
            )
        except Exception:  # noqa: BLE001
            log.exception("processing a Slack message failed")
            collector.messages = []
        messages: List[Dict[str, Any]] = collector.messages
        message = build_message(messages, question=text, shareable=shareable, interactive=interactive,
                                shared_by=shared_by) if messages else None
        if message is None or not message.blocks:
            message = build_message(unavailable_messages(sender, region))
        return message

    # -- buttons and the Home tab -----------------------------------------------------------
    def _feedback_store(self) -> Any:
        if self._feedback is None:
            from .rest import feedback_store_for

            agent = getattr(getattr(self._app, "ctx", None), "agent", None) if self._app is not None else None
            self._feedback = feedback_store_for(agent)
        return self._feedback

    async def _flag(self, entry: str, where: "_Place") -> None:
        try:
            ok = ENTRY_ID.match(entry) is not None and await asyncio.to_thread(self._feedback_store().record, entry, "flag")
        except Exception:  # noqa: BLE001
            log.exception("saving a flag failed")
            ok = False
        text = FLAGGED_TEXT["en"] if ok else FLAG_FAILED_TEXT
        await self._notice(where, text)

    async def _share(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], value: str, where: "_Place",
                     team: Optional[str]) -> None:
        """Post a private answer to the channel: asked again, with no one's context, and posted only
        if it is still the same knowledge-base answer (never a crisis or redirect reply)."""
        try:
            data = json.loads(value)
            question, entry = str(data["q"]), str(data["e"])
        except (ValueError, KeyError, TypeError):
            await self._notice(where, SHARE_FAILED_TEXT)
            return
        try:
            sender = f"slack:{team or '-'}:{where.channel}:shared:{uuid.uuid4().hex}"
            message = await self._reply_for(on_new_message, question, sender, self.region_for(team, where.user), "",
                                            interactive=False, shared_by=where.user)
            if message.answer_entry() != entry:
                await self._notice(where, SHARE_FAILED_TEXT)
                return
            await self.client.chat_postMessage(channel=where.channel, unfurl_links=False, unfurl_media=False,
                                               **message.as_kwargs())
        except Exception:  # noqa: BLE001
            log.exception("sharing an answer failed")
            with contextlib.suppress(Exception):
                await self._notice(where, SHARE_FAILED_TEXT)

    async def _notice(self, where: "_Place", text: str) -> None:
        """A short message only the person who pressed the button sees."""
        extra: Dict[str, Any] = {"thread_ts": where.thread} if where.thread else {}
        try:
            await self.client.chat_postEphemeral(channel=where.channel, user=where.user, text=text, **extra)
        except SlackApiError:
            if (where.response_url or "").startswith(RESPONSE_URL_PREFIX):
                await AsyncWebhookClient(where.response_url).send(response_type="ephemeral", replace_original=False, text=text)
            else:
                raise

    async def _publish_home(self, team: Optional[str], user: str) -> None:
        try:
            book = _book()
            code = self.region_for(team, user)
            region = book.region(code)
            view = home_view(region.code, region.name, [r.as_dict() for r in region.all_resources()],
                             [(c, book.region(c).name) for c in known_regions()])
            await self.client.views_publish(user_id=user, view=view)
        except Exception:  # noqa: BLE001
            log.exception("publishing the Home tab failed")


@dataclass(frozen=True)
class _Place:
    """Where a reply goes: a channel (or DM), optionally a thread, optionally only for ``user``."""

    channel: str
    user: str
    thread: Optional[str]
    ephemeral: bool
    response_url: Optional[str] = None

    @classmethod
    def of(cls, payload: Mapping[str, Any], user: str) -> Optional["_Place"]:
        """The place of the message whose button was pressed (block_actions payload)."""
        container = payload.get("container") or {}
        channel = (payload.get("channel") or {}).get("id") or container.get("channel_id")
        if not channel:
            return None
        if container.get("is_ephemeral"):
            return cls(channel=channel, user=user, thread=container.get("thread_ts"), ephemeral=True,
                       response_url=payload.get("response_url"))
        message = payload.get("message") or {}
        event = {"channel": channel, "ts": message.get("ts") or container.get("message_ts"),
                 "thread_ts": message.get("thread_ts") or container.get("thread_ts")}
        thread = event["thread_ts"] if is_direct_message(event) else reply_thread(event)
        return cls(channel=channel, user=user, thread=thread, ephemeral=False, response_url=payload.get("response_url"))
