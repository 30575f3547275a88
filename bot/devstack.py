"""Start the local stack (action server + ``rasa run``) on loopback; used by make and by tests.

    python -m bot.devstack serve [--port 5005]      # foreground until Ctrl-C, stops both
    python -m bot.devstack chat [--region UK]       # starts both, opens a terminal chat, stops both
    python -m bot.devstack slack                     # the Slack app (Socket Mode) until Ctrl-C

Each server gets a free port unless one is given, a log file under build/logs/, and is stopped
(SIGTERM, then SIGKILL) on exit. ``GET /`` on the Rasa port answers once both are ready.
"""

from __future__ import annotations

from bot import shell

import argparse
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROJECT = REPO / "bot" / "rasa_project"
MODEL = REPO / "build" / "models" / "kratom.tar.gz"
LOGS = REPO / "build" / "logs"
RASA_BIN = REPO / ".venv-rasa" / "bin" / "rasa"
APP_PYTHON = REPO / ".venv" / "bin" / "python"


def cors_patterns(origins: list[str]) -> list[str]:
    """Exact-match CORS patterns for ``rasa run --cors``.

    sanic-cors treats an origin containing regex characters as a pattern and matches it with
    ``re.match`` (anchored only at the start), so "https://example.org" would also admit
    "https://example.org.evil.net" and "https://exampleXorg". Escaping and anchoring both
    ends leaves exactly the configured origins.
    """
    return [f"^{re.escape(origin)}$" for origin in origins if origin and origin != "*"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status < 500:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s")


@dataclass
class Server:
    name: str
    cmd: list[str]
    env: dict[str, str]
    health_url: str
    log_path: Path
    port: int = 0
    proc: subprocess.Popen | None = None

    def start(self) -> "Server":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
            start_new_session=True,
        )
        log.close()
        return self

    def wait(self, timeout: float = 120) -> "Server":
        assert self.proc is not None
        try:
            wait_http(self.health_url, timeout, self.proc)
        except Exception as exc:
            tail = self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""
            raise RuntimeError(f"{self.name} failed to start: {exc}\n--- {self.log_path}\n{tail}") from exc
        return self

    def stop(self, timeout: float = 15) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def base_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
        PYTHONUNBUFFERED="1", LOG_LEVEL=env.get("LOG_LEVEL", "INFO"),
    )
    env.update(extra)
    return env


def action_server(port: int | None = None, *, log_name: str = "actions", **env: str) -> Server:
    port = port or free_port()
    return Server(
        name="action server",
        cmd=[str(APP_PYTHON), "-m", "bot.actions.server", "--host", "127.0.0.1", "--port", str(port)],
        env=base_env(**env),
        health_url=f"http://127.0.0.1:{port}/health",
        log_path=LOGS / f"{log_name}-{port}.log",
        port=port,
    )


def rasa_server(
    actions_url: str,
    port: int | None = None,
    *,
    endpoints: Path = PROJECT / "endpoints.yml",
    credentials: Path = PROJECT / "credentials.yml",
    cors: list[str] | None = None,
    log_name: str = "rasa",
    model: Path = MODEL,
    health_path: str = "/webhooks/rest/",
    **env: str,
) -> Server:
    """``health_path``: a channel's health route (the Slack credentials open no REST channel)."""
    port = port or free_port()
    cmd = [
        str(RASA_BIN), "run", "--model", str(model), "--endpoints", str(endpoints),
        "--credentials", str(credentials), "--interface", "127.0.0.1", "--port", str(port),
    ]
    patterns = cors_patterns(cors or [])
    if patterns:  # one flag with every origin: Rasa keeps only the last --cors flag given
        cmd += ["--cors", *patterns]
    return Server(
        name="rasa",
        cmd=cmd,
        env=base_env(ACTION_ENDPOINT_URL=actions_url, **env),
        health_url=f"http://127.0.0.1:{port}{health_path}",
        log_path=LOGS / f"{log_name}-{port}.log",
        port=port,
    )


@dataclass
class Stack:
    actions: Server
    rasa: Server
    extra: list[Server] = field(default_factory=list)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa.port}"

    def stop(self) -> None:
        for server in (*self.extra, self.rasa, self.actions):
            server.stop()


class StopRequested(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: stop like Ctrl-C, so every ``finally`` stops its servers."""


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP all end the dev tools the way Ctrl-C does.

    The servers run in their own process groups (so a terminal's Ctrl-C reaches only us, and
    we stop them in order); without this, a SIGTERM from a service manager, ``docker stop``
    or a CI job, or the SIGHUP of a closed terminal, ended this process and left them running.
    """

    def raise_stop(signum: int, _frame: object) -> None:
        # Once: a second signal (make passes SIGTERM on to us as well) must not interrupt the
        # cleanup the first one started.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        raise StopRequested(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, raise_stop) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def running_stack(port: int | None = None, actions_port: int | None = None, **rasa_kwargs) -> Iterator[Stack]:
    actions = action_server(actions_port).start()
    rasa = rasa_server(f"http://127.0.0.1:{actions.port}/webhook", port, **rasa_kwargs).start()
    stack = Stack(actions, rasa)
    try:
        actions.wait(180)
        rasa.wait(180)
        yield stack
    finally:
        stack.stop()


def post(url: str, payload: dict, timeout: float = 60) -> list[dict]:
    req = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read().decode())


def _failure_text(exc: Exception, region: str | None) -> str:
    """What to print when a message got no reply: the server's own words if it sent any (a 413 or
    429 names the crisis line), else that it could not be reached, and always where help is."""
    if isinstance(exc, urllib.error.HTTPError):
        with contextlib.suppress(Exception):
            message = json.loads(exc.read().decode()).get("error")
            if isinstance(message, str) and message.strip():
                return message
    from bot.pipeline import crisis_line  # never fails: it has a text that needs no files

    return f"(could not reach the assistant: {exc}) {crisis_line(region or 'US')}"


def chat(rasa_url: str, region: str | None) -> None:
    """A small terminal chat over the REST channel: number keys pick a suggested question.

    Rendering (wrapping, crisis and redirect markers, colour on a TTY) is ``bot.shell``'s; line
    editing and history come from readline where it exists, in memory only (no history file).
    """
    sender = f"shell-{uuid.uuid4().hex[:12]}"
    webhook = f"{rasa_url}/webhooks/rest/webhook"
    buttons: tuple[str, ...] = ()
    editing = shell.line_editing()
    print(shell.render_banner(shell.terminal_width(), editing is not None) + "\n", flush=True)
    try:
        while True:
            try:
                text = input(shell.PROMPT).strip()
            except (EOFError, KeyboardInterrupt):
                print()
                return
            if text in ("/quit", "/exit"):
                return
            if text in ("/help", "/?"):
                print(shell.render_help(shell.terminal_width()) + "\n", flush=True)
                continue
            if text.isdigit() and 1 <= int(text) <= len(buttons):
                text = buttons[int(text) - 1]
                shell.remember(editing, text)
                print("\n".join(shell.wrap(text, shell.terminal_width(), shell.PROMPT, " " * len(shell.PROMPT))))
            if not text:
                continue
            try:
                replies = post(webhook, {"sender": sender, "message": text, "metadata": {"region": region or "US"}})
            except Exception as exc:  # noqa: BLE001
                print("\n".join(shell.wrap(_failure_text(exc, region), shell.terminal_width())) + "\n", flush=True)
                continue
            rendered = shell.render(replies, shell.terminal_width(), color=shell.use_color(sys.stdout), region=region)
            buttons = rendered.suggestions
            print(rendered.text + "\n", flush=True)
    finally:
        shell.forget_history(editing)


SLACK_ENV_FILE = REPO / ".env.slack"


def slack_env(path: Path = SLACK_ENV_FILE) -> dict[str, str]:
    """SLACK_* settings from the environment, else from ``.env.slack`` (KEY=value lines; git
    ignores it). Raises SystemExit with what is missing, before anything starts."""
    env = {k: v for k, v in os.environ.items() if k.startswith("SLACK_") and v.strip()}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.strip().partition("=")
            if sep and key.startswith("SLACK_") and key not in env and not key.startswith("#"):
                env[key] = value.strip().strip("'\"")
    if not env.get("SLACK_BOT_TOKEN") or not (env.get("SLACK_APP_TOKEN") or env.get("SLACK_SIGNING_SECRET")):
        raise SystemExit("make slack needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN (Socket Mode), in the environment or in "
                         f"{path.name}: see docs/slack/SLACK.md")
    return env


def slack(port: int) -> None:
    """The Slack app: action server + ``rasa run`` with only the Slack channel, on 127.0.0.1.
    In Socket Mode the app connects out to Slack; nothing needs to reach this machine."""
    env = slack_env()
    with running_stack(port=port, credentials=PROJECT / "credentials.slack.yml", health_path="/webhooks/slack/",
                       log_name="slack-rasa", **env) as stack:
        mode = "Socket Mode" if env.get("SLACK_APP_TOKEN") else "HTTP events"
        print(f"Slack app running ({mode}; logs in {LOGS}). Try a DM to the app: Is kratom legal? "
              f"Ctrl-C stops. [pids rasa {stack.rasa.proc.pid} actions {stack.actions.proc.pid}]", flush=True)
        while stack.rasa.proc.poll() is None and stack.actions.proc.poll() is None:
            time.sleep(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5005")))
    c = sub.add_parser("chat")
    c.add_argument("--region", default=os.environ.get("REGION"))
    k = sub.add_parser("slack")
    k.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5005")))
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt), stop_on_signals():
        if args.cmd == "slack":
            slack(args.port)
            return 0
        if args.cmd == "serve":
            with running_stack(port=args.port) as stack:
                print(f"ready: {stack.rasa_url}/webhooks/rest/webhook (logs in {LOGS}); Ctrl-C stops "
                      f"[pids rasa {stack.rasa.proc.pid} actions {stack.actions.proc.pid}; "
                      f"ports {stack.rasa.port} {stack.actions.port}]", flush=True)
                while stack.rasa.proc.poll() is None and stack.actions.proc.poll() is None:
                    time.sleep(1)
            return 0
        print("starting the assistant (action server and Rasa)...", flush=True)
        with running_stack() as stack:
            print(f"[pids rasa {stack.rasa.proc.pid} actions {stack.actions.proc.pid}; "
                  f"ports {stack.rasa.port} {stack.actions.port}]", flush=True)
            chat(stack.rasa_url, args.region)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
