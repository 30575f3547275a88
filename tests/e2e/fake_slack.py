"""A small fake Slack Web API on loopback that records what the bot posts.

    fake = FakeSlack(token="xoxb-test").start()
    ... SLACK_API_URL=fake.url + "/" ...
    calls = fake.wait_for("chat.postMessage", channel="D1", count=1)
    fake.stop()

Answers ``chat.postMessage`` and ``chat.postEphemeral`` with ``{"ok": true, "ts": ...}`` and
``auth.test`` with the fake bot's identity; anything else gets ``unknown_method``. JSON and
form bodies are both parsed (a form's ``blocks`` is a JSON string, decoded here). Only the
standard library, so it runs in the app environment.
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
    def __init__(self, token: str = "xoxb-test") -> None:
        self.token = token
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
        for key in ("blocks", "attachments"):
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
        if token != self.token:
            return {"ok": False, "error": "invalid_auth"}
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
