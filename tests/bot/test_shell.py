"""The terminal chat (``make chat``): wrapping, crisis and redirect markers, colour, the chat loop.

Replies come from the real pipeline (``fake_assistant``: real rules, templates, resources and
entries on a deterministic embedder) and are put in the list Rasa's REST channel returns, the
way the action server sends them (``rest_messages``). The chat loop is driven for real against
a small REST server on loopback that answers with those replies: once in-process (stdin fed
from a string) and once in a pseudo-terminal, where readline, colour and the history file can
only be checked for real. A full ``rasa run`` adds nothing here that tests/e2e does not cover.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import pty
import re
import select
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot import shell
from bot.contract import Reply, Route, Turn
from bot.devstack import chat
from guardrails.responses import load_regions
from tests.conftest import REPO

CRISIS_TEXT = "I want to kill myself, kratom withdrawal is too much"
DOSING_TEXT = "how many grams of kratom should I take"
ANSWER_TEXT = "Can kratom hurt my liver?"
EMERGENCY_TEXT = "someone is not breathing after taking kratom"
URL = re.compile(r"https?://\S+")
SGR = tuple(shell.STYLE.values())


def rest_messages(reply: Reply, recipient: str = "tester", domain_response: bool = False) -> list[dict]:
    """A pipeline reply as ``POST /webhooks/rest/webhook`` returns it (Rasa 3.6's collecting
    channel: text with buttons as one message, text without buttons split on blank lines, then
    the ``custom`` part; a domain response carries ``custom.data`` as a JSON string)."""
    out: list[dict] = []
    for message in reply.messages:
        if message.buttons:
            out.append({"recipient_id": recipient, "text": message.text,
                        "buttons": [{"title": b, "payload": b} for b in message.buttons]})
        else:
            out += [{"recipient_id": recipient, "text": part} for part in message.text.strip().split("\n\n")]
        data = message.data.encode() if domain_response else message.data.to_dict()
        out.append({"recipient_id": recipient, "custom": {"data": data}})
    return out


@pytest.fixture(scope="module")
def replies(fake_assistant):
    def make(text: str, region: str = "US", **kw) -> Reply:
        return fake_assistant.reply(Turn(text, region, **kw))
    return make


def emergency(region: str) -> str:
    return load_regions()[region].emergency.phone


def tokens(text: str) -> list[str]:
    return text.split()


def fits(line: str, width: int) -> bool:
    """Within the width, or over it only by one unbreakable token after the prefix and bullet."""
    body = re.sub(r"^(bot> |you> )?\s*(- |\[\d+\] )?", "", line)
    return len(line) <= width or len(body.split()) == 1


# -- wrapping ------------------------------------------------------------------------------------
WIDTHS = (30, 37, 44, 52, 61, 73, 80, 100)


def test_wrapping_keeps_every_word_and_url_whole_and_within_the_width(replies):
    reply = replies(ANSWER_TEXT)
    assert reply.route is Route.ANSWER
    text = reply.messages[0].text
    urls = URL.findall(text)
    assert urls  # the answer lists its sources
    for width in WIDTHS:
        lines = shell.wrap(text, width, shell.BOT, shell.INDENT)
        assert tokens("\n".join(lines)) == ["bot>", *tokens(text)]  # no word split, merged or lost
        for url in urls:
            assert any(url in line for line in lines), (width, url)
        for line in lines:
            assert fits(line, width), (width, line)


def test_a_token_longer_than_the_line_stays_whole_on_its_own_line():
    url = "https://example.org/" + "a" * 60
    lines = shell.wrap(f"See {url} for more.", 40)
    assert lines == ["See", url, "for more."]


def test_phone_numbers_are_never_broken(replies):
    regions = load_regions()
    spaced = set()
    for code in regions:
        reply = replies(EMERGENCY_TEXT, code)
        assert reply.route is Route.CRISIS, code
        text = reply.messages[0].text
        numbers = {n for r in regions[code].all_resources() for n in (r.phone, r.sms) if n and n in text}
        spaced |= {n for n in numbers if " " in n or "-" in n}
        for width in WIDTHS:
            printed = "\n".join(shell.wrap(text, width, shell.BOT, shell.INDENT))
            for number in numbers:
                assert printed.count(number) == text.count(number), (code, width, number)
    assert {"116 123", "13 11 14", "0477 13 11 14", "1-800-222-1222"} <= spaced


def test_bullets_hang_and_paragraphs_stay(replies):
    text = replies(EMERGENCY_TEXT, "UK").messages[0].text
    source_lines = text.split("\n")
    assert sum(line.startswith("- ") for line in source_lines) >= 3
    lines = shell.wrap(text, 40, shell.BOT, shell.INDENT)
    hung = shell.INDENT + "  "
    printed = iter(lines)
    for source in source_lines:  # each line of the reply starts a printed line and keeps its words
        words: list[str] = []
        group = []
        while words != source.split():
            group.append(next(printed))
            words += group[-1].split()[1 if group[-1].startswith(shell.BOT) else 0:]
            assert source.split()[:len(words)] == words, (source, group)
        if source.startswith("- "):
            assert group[0].startswith((shell.BOT + "- ", shell.INDENT + "- "))
            assert all(line.startswith(hung) and line[len(hung)] != " " for line in group[1:]), group
        else:
            assert not any(line.startswith(hung) for line in group), group
    assert next(printed, None) is None
    assert any(line.startswith(hung) for line in lines)  # at 40 columns the long bullets wrap


def test_blank_lines_are_kept_without_trailing_spaces():
    lines = shell.wrap("one\n\ntwo", 40, shell.BOT, shell.INDENT)
    assert lines == ["bot> one", "", "     two"]


def test_terminal_width_follows_the_terminal_with_a_fallback_and_a_cap(monkeypatch):
    monkeypatch.setenv("COLUMNS", "64")
    assert shell.terminal_width() == 64
    monkeypatch.setenv("COLUMNS", "240")
    assert shell.terminal_width() == shell.MAX_WIDTH


# -- grouping ------------------------------------------------------------------------------------
def test_text_parts_rasa_split_belong_to_the_reply_their_custom_part_closes(replies):
    answer = replies(ANSWER_TEXT)
    messages = rest_messages(answer)
    grouped = shell.group(messages)
    assert len(grouped) == len(answer.messages)
    assert grouped[0].text == answer.messages[0].text
    assert grouped[0].data == answer.messages[0].data
    assert tuple(grouped[0].buttons) == answer.messages[0].buttons


def test_spanish_note_without_buttons_is_rejoined(replies):
    reply = replies("¿El kratom puede dañar el hígado?")
    messages = rest_messages(reply)
    texts = [m for m in messages if "text" in m]
    grouped = shell.group(messages)
    assert [g.text for g in grouped] == [m.text.strip() for m in reply.messages]
    assert len(texts) >= len(grouped)


# -- markers ------------------------------------------------------------------------------------
@pytest.mark.parametrize("domain_response", [False, True])
@pytest.mark.parametrize("region", ["UK", "AU", "US"])
def test_a_crisis_reply_opens_with_the_marker_and_the_regions_emergency_number(replies, region, domain_response):
    reply = replies(CRISIS_TEXT, region)
    assert reply.route is Route.CRISIS
    rendered = shell.render(rest_messages(reply, domain_response=domain_response), 72)
    lines = rendered.text.split("\n")
    heading = next(line for line in lines if line.strip())
    assert heading == f"bot> !! CRISIS SUPPORT - emergency: {emergency(region)} !!"
    first_words = reply.messages[0].text.split()[:3]
    assert lines[lines.index(heading) + 1].split()[:3] == first_words


def test_the_emergency_number_comes_from_the_reply_not_the_shells_region(replies):
    reply = replies(CRISIS_TEXT, "UK")
    rendered = shell.render(rest_messages(reply), 72, region="US")
    assert "emergency: 999" in rendered.text and "emergency: 911" not in rendered.text


def test_a_spanish_crisis_reply_is_marked_in_spanish(replies):
    reply = replies("quiero suicidarme", "US")
    assert reply.route is Route.CRISIS and reply.messages[0].data.lang == "es"
    assert "!! APOYO EN CRISIS - emergencias: 911 !!" in shell.render(rest_messages(reply), 72).text


def test_an_answer_and_small_talk_carry_no_marker(replies):
    for text in (ANSWER_TEXT, "hello"):
        reply = replies(text)
        assert reply.route in (Route.ANSWER, Route.SMALLTALK)
        out = shell.render(rest_messages(reply), 72).text
        assert "CRISIS" not in out and "!!" not in out and shell.REDIRECT_LABEL["en"] not in out
        assert out.split("\n")[1].startswith("bot> ")


def test_a_redirect_gets_the_lighter_marker_and_its_suggestions_are_numbered(replies):
    reply = replies(DOSING_TEXT)
    assert reply.route is Route.REDIRECT
    rendered = shell.render(rest_messages(reply), 72)
    assert "bot> -- SAFETY NOTE --" in rendered.text and "CRISIS" not in rendered.text
    assert rendered.suggestions == reply.messages[0].buttons and rendered.suggestions
    for i, suggestion in enumerate(rendered.suggestions, 1):
        assert f"  [{i}] {suggestion}" in rendered.text


def test_the_reminder_after_a_crisis_is_not_marked_as_a_crisis(replies):
    reply = replies(ANSWER_TEXT, "UK", after_crisis=True)
    assert reply.messages[-1].data.kind == "reminder"
    out = shell.render(rest_messages(reply), 72).text
    assert "116 123" in out and "CRISIS SUPPORT" not in out


def test_unavailable_messages_without_data_still_render():
    from bot.channels.unavailable import unavailable_messages

    out = shell.render(unavailable_messages("x", "UK"), 72).text
    assert "116 123" in out


# -- colour --------------------------------------------------------------------------------------
def test_colour_only_when_asked(replies):
    messages = rest_messages(replies(CRISIS_TEXT, "UK"))
    plain = shell.render(messages, 72, color=False).text
    coloured = shell.render(messages, 72, color=True).text
    assert "\x1b[" not in plain
    assert shell.STYLE["crisis_heading"] in coloured and shell.RESET in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_use_color_needs_a_tty_and_no_NO_COLOR():
    assert not shell.use_color(io.StringIO(), {})
    master, slave = os.openpty()
    try:
        with os.fdopen(slave, "w", closefd=True) as tty:
            assert shell.use_color(tty, {"TERM": "xterm"})
            assert not shell.use_color(tty, {"TERM": "xterm", "NO_COLOR": "1"})
            assert not shell.use_color(tty, {"TERM": "dumb"})
    finally:
        os.close(master)


# -- the chat loop, against a REST server on loopback ------------------------------------------
class FakeRest:
    """``/webhooks/rest/webhook`` answering with the real pipeline's replies, in Rasa's format."""

    def __init__(self, assistant):
        self.requests: list[dict] = []
        self.history_lengths: list[int] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(body)
                if "readline" in sys.modules:
                    outer.history_lengths.append(sys.modules["readline"].get_current_history_length())
                reply = assistant.reply(Turn(body["message"], body["metadata"]["region"]))
                payload = json.dumps(rest_messages(reply, body["sender"])).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def rest(fake_assistant):
    with FakeRest(fake_assistant) as server:
        yield server


def run_chat(monkeypatch, capsys, url: str, lines: str, region: str = "UK", columns: int = 60) -> str:
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setattr(sys, "stdin", io.StringIO(lines))
    chat(url, region)
    return capsys.readouterr().out


def test_chat_loop_marks_a_crisis_and_a_number_picks_a_suggestion(rest, fake_assistant, monkeypatch, capsys):
    suggestions = fake_assistant.reply(Turn(DOSING_TEXT, "UK")).messages[0].buttons
    assert len(suggestions) >= 2
    out = run_chat(monkeypatch, capsys, rest.url, f"{CRISIS_TEXT}\n{DOSING_TEXT}\n2\n/quit\nnever sent\n")
    assert [r["message"] for r in rest.requests] == [CRISIS_TEXT, DOSING_TEXT, suggestions[1]]
    assert all(r["metadata"] == {"region": "UK"} for r in rest.requests)
    assert len({r["sender"] for r in rest.requests}) == 1
    assert "bot> !! CRISIS SUPPORT - emergency: 999 !!" in out
    assert "bot> -- SAFETY NOTE --" in out
    assert f"you> {suggestions[1]}" in out
    assert "\x1b[" not in out  # captured stdout is not a terminal
    assert "never written to a file" in " ".join(out.split())  # the banner says what happens to the history
    for line in out.split("\n"):
        assert fits(line, 60), line


def test_chat_loop_ends_on_end_of_input_and_forgets_what_was_picked(rest, monkeypatch, capsys):
    run_chat(monkeypatch, capsys, rest.url, f"{DOSING_TEXT}\n1\n{ANSWER_TEXT}\n")  # no /quit: EOF ends
    assert len(rest.requests) == 3
    readline = sys.modules.get("readline")
    if readline is None:
        pytest.fail("readline is missing from this Python: the shell would have no line editing")
    assert rest.history_lengths[2] >= 1  # the picked question went into the history ...
    assert readline.get_current_history_length() == 0  # ... which is cleared when the chat ends


def test_chat_loop_help_and_empty_lines_send_nothing(rest, monkeypatch, capsys):
    out = run_chat(monkeypatch, capsys, rest.url, "\n/help\n7\n/exit\n")
    assert [r["message"] for r in rest.requests] == ["7"]  # no suggestion 7: sent as typed
    assert "/quit, /exit or Ctrl-D" in out


def test_chat_loop_when_the_assistant_is_down_names_the_crisis_line(monkeypatch, capsys):
    from bot.devstack import free_port

    out = run_chat(monkeypatch, capsys, f"http://127.0.0.1:{free_port()}", "hello\n/quit\n")
    assert "could not reach the assistant" in out and "116 123" in out


# -- in a real terminal: readline, history, colour, no history file ------------------------------
def _read_until(fd: int, want: bytes, count: int, buf: bytearray, deadline: float) -> None:
    while buf.count(want) < count:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {count}x {want!r} from the chat; got {bytes(buf)[-2000:]!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                chunk = b""
            if not chunk:
                raise AssertionError(f"the chat ended early; got {bytes(buf)[-2000:]!r}")
            buf += chunk


def chat_in_a_terminal(url: str, home, keys: list[bytes], **env: str) -> bytes:
    """Run the real chat in a pseudo-terminal; send each key sequence after the next prompt."""
    master, slave = pty.openpty()
    child_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    child_env.update(HOME=str(home), TERM="xterm", COLUMNS="72", PYTHONPATH=str(REPO), **env)
    proc = subprocess.Popen([sys.executable, "-c", f"from bot.devstack import chat; chat({url!r}, 'UK')"],
                            stdin=slave, stdout=slave, stderr=slave, env=child_env, cwd=home, close_fds=True)
    os.close(slave)
    buf = bytearray()
    deadline = time.monotonic() + 120  # a guard against hanging, not a measurement
    try:
        for i, key in enumerate(keys, 1):
            _read_until(master, shell.PROMPT.encode(), i, buf, deadline)
            os.write(master, key)
        assert proc.wait(timeout=60) == 0
        with contextlib.suppress(OSError):
            while select.select([master], [], [], 0)[0]:
                chunk = os.read(master, 65536)
                if not chunk:
                    break
                buf += chunk
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return bytes(buf)


def test_in_a_terminal_up_recalls_the_last_question_colour_marks_the_crisis_and_no_history_file(rest, tmp_path):
    up = b"\x1b[A"
    out = chat_in_a_terminal(rest.url, tmp_path, [CRISIS_TEXT.encode() + b"\r", up + b"\r", b"\x04"])
    assert [r["message"] for r in rest.requests] == [CRISIS_TEXT, CRISIS_TEXT]  # up + Enter resent it
    assert shell.STYLE["crisis_heading"].encode() + b"bot> !! CRISIS SUPPORT - emergency: 999 !!" in out
    assert list(tmp_path.iterdir()) == []  # no ~/.python_history or any other file in HOME


def test_in_a_terminal_NO_COLOR_leaves_only_the_words(rest, tmp_path):
    out = chat_in_a_terminal(rest.url, tmp_path, [CRISIS_TEXT.encode() + b"\r", b"/quit\r"], NO_COLOR="1")
    assert b"bot> !! CRISIS SUPPORT - emergency: 999 !!" in out
    assert not any(code.encode() in out for code in SGR)


def test_the_crisis_line_put_before_an_answer_is_marked_too(fake_assistant):
    from dataclasses import replace

    turn = Turn("Can kratom hurt my liver?", "UK")
    decided = fake_assistant.decide(turn)
    hinted = fake_assistant.reply(turn, replace(decided, verdict=replace(decided.verdict, crisis_hint=True)))
    out = shell.render(rest_messages(hinted), 80).text
    first = [line for line in out.splitlines() if line.strip()][0]
    assert first.startswith("bot> !! ")
    assert out.index("116 123") < out.lower().index("liver")  # the line first, then the answer
    plain = shell.render(rest_messages(fake_assistant.reply(turn, decided)), 80).text
    assert "!!" not in plain
