"""A small fake Slack Web API on loopback that records what the bot posts.

    fake = FakeSlack(token="xoxb-test").start()
    ... SLACK_API_URL=fake.url + "/" ...
    calls = fake.wait_for("chat.postMessage", channel="D1", count=1)
    fake.stop()

Answers ``chat.postMessage`` and ``chat.postEphemeral`` with ``{"ok": true, "ts": ...}``,
``views.publish`` with the view, ``auth.test`` with the fake bot's identity and, for the app-level
token, ``apps.connections.open`` with the URL of ``FakeSocketMode`` (a local WebSocket server
standing in for Slack's Socket Mode: it says hello, sends envelopes and records the
acknowledgements); anything else gets ``unknown_method``. JSON and form bodies are both parsed
(a form's ``blocks`` or ``view`` is a JSON string, decoded here). The standard library plus
``websockets`` (already in the app environment), so it runs there.

    socket = FakeSocketMode().start()
    fake = FakeSlack(token="xoxb-test", app_token="xapp-test", socket_url=socket.url).start()
    socket.wait_connected()
    envelope_id = socket.send("events_api", {...event_callback body...})
    socket.wait_ack(envelope_id)
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

BOT_USER_ID = "UKRATOMBOT"
BOT_ID = "BKRATOMBOT"
TEAM_ID = "TTEST0001"


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)

    def __getitem__(self, key: str) -> Any:
        return self.body[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.body.get(key, default)

    def blocks_text(self) -> str:
        """Every text in the blocks, flattened, for assertions."""
        out: list[str] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if isinstance(node.get("text"), str):
                    out.append(node["text"])
                for value in node.values():
                    if isinstance(value, (dict, list)):
                        walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(self.body.get("blocks") or [])
        return "\n".join(out)


class FakeSlack:
    def __init__(self, token: str = "xoxb-test", app_token: str | None = None, socket_url: str | None = None) -> None:
        self.token = token
        self.app_token, self.socket_url = app_token, socket_url
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> "FakeSlack":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                method = self.path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
                body = fake._parse(raw, self.headers.get("Content-Type") or "")
                if not body and "?" in self.path:
                    body = {k: v[0] for k, v in parse_qs(self.path.split("?", 1)[1]).items()}
                headers = {k.lower(): v for k, v in self.headers.items()}
                answer = fake._record(method, body, headers)
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-slack", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        """The Web API base, without the trailing slash: ``http://127.0.0.1:PORT/api``."""
        assert self._server is not None, "not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}/api"

    # -- requests --------------------------------------------------------------------------
    @staticmethod
    def _parse(raw: bytes, content_type: str) -> dict[str, Any]:
        if not raw:
            return {}
        text = raw.decode("utf-8", "replace")
        if "json" in content_type:
            try:
                body = json.loads(text)
            except ValueError:
                return {"_raw": text}
            return body if isinstance(body, dict) else {"_raw": body}
        body = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
        for key in ("blocks", "attachments", "view"):
            if isinstance(body.get(key), str):
                try:
                    body[key] = json.loads(body[key])
                except ValueError:
                    pass
        return body

    def _record(self, method: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            self.calls.append(Call(method, body, headers))
            ts = f"{int(time.time())}.{next(self._ts):06d}"
        token = headers.get("authorization", "").removeprefix("Bearer ").strip() or body.get("token")
        if method == "apps.connections.open":
            if self.app_token is None or token != self.app_token or not self.socket_url:
                return {"ok": False, "error": "invalid_auth" if token != self.app_token else "not_allowed_token_type"}
            return {"ok": True, "url": self.socket_url}
        if token != self.token:
            return {"ok": False, "error": "invalid_auth"}
        if method == "views.publish":
            return {"ok": True, "view": body.get("view")}
        if method == "auth.test":
            return {"ok": True, "url": "https://test.slack.com/", "team": "Test", "user": "kratom-info",
                    "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID}
        if method in ("chat.postMessage", "chat.postEphemeral"):
            if not body.get("channel"):
                return {"ok": False, "error": "channel_not_found"}
            if method == "chat.postEphemeral":
                return {"ok": True, "message_ts": ts}
            return {"ok": True, "channel": body["channel"], "ts": ts, "message": {"text": body.get("text", ""), "ts": ts}}
        return {"ok": False, "error": "unknown_method"}

    # -- assertions ------------------------------------------------------------------------
    def find(self, method: str, **match: Any) -> list[Call]:
        with self._lock:
            calls = list(self.calls)
        return [c for c in calls if c.method == method and all(c.body.get(k) == v for k, v in match.items())]

    def wait_for(self, method: str, count: int = 1, timeout: float = 45, settle: float = 1.0, **match: Any) -> list[Call]:
        """Wait until ``count`` matching calls arrived, then ``settle`` seconds more for extras.

        Returns every matching call (so ``len(...) == count`` checks "exactly"); raises
        AssertionError if fewer than ``count`` arrived in time.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.find(method, **match)) >= count:
                time.sleep(settle)
                return self.find(method, **match)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} {method} call(s) matching {match} within {timeout}s; got {self.find(method, **match)}")


class FakeSocketMode:
    """Slack's Socket Mode end, on loopback: every connection gets ``hello``; ``send`` puts an
    envelope on the newest connection; acknowledgements (``{"envelope_id": ...}``) are recorded."""

    def __init__(self) -> None:
        import asyncio

        self.acks: list[dict[str, Any]] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._sockets: list[Any] = []
        self._server: Any = None
        self._port = 0
        self._thread: threading.Thread | None = None

    def start(self) -> "FakeSocketMode":
        import asyncio

        from websockets.asyncio.server import serve

        ready = threading.Event()

        async def handler(ws: Any) -> None:
            with self._lock:
                self._sockets.append(ws)
                self.connections += 1
            await ws.send(json.dumps({"type": "hello", "num_connections": 1,
                                      "debug_info": {"host": "fake-socket-mode"},
                                      "connection_info": {"app_id": "AKRATOM01"}}))
            try:
                async for raw in ws:
                    try:
                        data = json.loads(raw)
                    except ValueError:
                        continue
                    if isinstance(data, dict) and data.get("envelope_id"):
                        with self._lock:
                            self.acks.append(data)
            finally:
                with self._lock:
                    if ws in self._sockets:
                        self._sockets.remove(ws)

        async def main() -> None:
            self._server = await serve(handler, "127.0.0.1", 0)
            self._port = self._server.sockets[0].getsockname()[1]
            ready.set()
            await self._server.serve_forever()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(main())
            except (Exception, asyncio.CancelledError):  # noqa: BLE001 - stopped
                pass

        self._thread = threading.Thread(target=run, name="fake-socket-mode", daemon=True)
        self._thread.start()
        assert ready.wait(10), "fake Socket Mode server did not start"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
            if self._thread is not None:
                self._thread.join(5)
            self._server = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._port}/link/?ticket=fake"

    def wait_connected(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._sockets:
                    return
            time.sleep(0.05)
        raise AssertionError(f"no Socket Mode connection within {timeout}s")

    def send(self, kind: str, payload: dict[str, Any], envelope_id: str | None = None, **extra: Any) -> str:
        """Send one envelope (``events_api``, ``slash_commands``, ``interactive``) and return its id."""
        import asyncio
        import uuid

        envelope_id = envelope_id or uuid.uuid4().hex
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                    "accepts_response_payload": kind != "events_api", **extra}
        with self._lock:
            assert self._sockets, "no Socket Mode connection"
            ws = self._sockets[-1]
        asyncio.run_coroutine_threadsafe(ws.send(json.dumps(envelope)), self._loop).result(10)
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for ack in self.acks:
                    if ack.get("envelope_id") == envelope_id:
                        return ack
            time.sleep(0.05)
        raise AssertionError(f"envelope {envelope_id} was not acknowledged within {timeout}s")

    def drop_connections(self) -> None:
        """Close every connection, as Slack does when it rotates them: the client must reconnect."""
        import asyncio

        with self._lock:
            sockets = list(self._sockets)
        for ws in sockets:
            asyncio.run_coroutine_threadsafe(ws.close(), self._loop).result(10)
