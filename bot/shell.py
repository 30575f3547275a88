"""What the terminal chat (``make chat``) prints: the REST channel's replies, wrapped and marked.

Pure functions, no Rasa and no terminal needed::

    rendered = render(messages, width=terminal_width(), color=use_color(sys.stdout))
    print(rendered.text)          # "bot> ..." lines, each at most ``width`` columns
    rendered.suggestions          # what "1", "2", ... pick next turn

``messages`` is what ``POST /webhooks/rest/webhook`` returns: for each reply, its text (Rasa
splits a text without buttons on blank lines, so several text parts may belong to one reply)
and buttons first, then ``{"custom": {"data": ...}}`` with the reply's ReplyData (an object
from the action server, a JSON string from a domain response). The custom part closes a reply.

- Text is wrapped at word boundaries; a URL, a phone number ("116 123", "1-800-222-1222") or
  any other token without spaces is never broken (a token longer than the line sits alone on
  its line); bullet lines ("- ") get a hanging indent; line breaks and blank lines are kept.
- A crisis reply opens with "!! CRISIS SUPPORT" and the region's emergency number, read from
  guardrails/resources.yml for the region the reply data names; a redirect with a lighter
  "-- SAFETY NOTE --". Colour and bold are added only when asked (``use_color``: a TTY, no
  ``NO_COLOR``, not a dumb terminal); the words carry the meaning without them.

Line editing: ``line_editing()`` turns on Python's ``readline`` where it exists. History stays in
memory for the session only: nothing here reads or writes a history file (people type
sensitive things, and the machine may be shared), and ``forget_history()`` clears it on exit.
"""

from __future__ import annotations

import os
import re
import shutil
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TextIO

from bot.contract import ReplyData, Route, group_rest_messages, reply_data_of

FALLBACK_WIDTH = 80
MAX_WIDTH = 100
MIN_WIDTH = 30
PROMPT = "you> "
BOT = "bot> "
INDENT = " " * len(BOT)

BANNER = (
    "Kratom & opioid withdrawal information assistant (information, not medical advice).\n"
    "Type a question; a number picks a suggestion; /help for help; Ctrl-D or /quit ends."
)
HISTORY_NOTE = {
    True: "Arrow keys edit the line and recall earlier questions. That history is kept in memory "
          "for this session only and never written to a file.",
    False: "Nothing you type is kept after the chat ends or written to a history file.",
}
HELP = (
    "Commands:\n"
    "- a number (1, 2, ...) sends the suggested question with that number\n"
    "- /help shows this; /quit, /exit or Ctrl-D ends the chat and stops the servers\n"
    "Line editing and history (up and down arrows) work where Python has readline. The history "
    "lives in memory for this session only: it is never written to a file, because people type "
    "sensitive things and this machine may be shared. It is cleared when the chat ends."
)

CRISIS_LABEL = {"en": "CRISIS SUPPORT", "es": "APOYO EN CRISIS"}
EMERGENCY_LABEL = {"en": "emergency", "es": "emergencias"}
REDIRECT_LABEL = {"en": "SAFETY NOTE", "es": "NOTA DE SEGURIDAD"}

# ANSI SGR sequences; applied per line after wrapping, so widths are measured on plain text.
RESET = "\x1b[0m"
STYLE = {
    "crisis_heading": "\x1b[1;97;41m",  # bold bright white on red
    "crisis_body": "\x1b[1m",  # bold
    "redirect_heading": "\x1b[1;33m",  # bold yellow
    "suggestion": "\x1b[2m",  # dim
}

_BULLET = re.compile(r"^(\s*)([-*•]\s+|\d{1,2}[.)]\s+)?")
# Digit groups joined by single spaces or hyphens ("116 123", "0477 13 11 14", "1-800-662-4357"):
# the spaces inside are made unbreakable for the wrapper. Hyphens never break (see _wrapper).
_PHONE = re.compile(r"\+?\(?\d+\)?(?:[ -]\d+)+")
_GLUE = "\ue000"  # a private-use character standing in for a space that must not break


@dataclass
class ShellReply:
    """One reply: its text parts joined, its buttons, and its ReplyData (None if it had none)."""

    text: str = ""
    buttons: list[str] = field(default_factory=list)
    data: ReplyData | None = None

    @property
    def route(self) -> Route | None:
        return self.data.route if self.data is not None else None

    @property
    def lang(self) -> str:
        return "es" if self.data is not None and self.data.lang == "es" else "en"


@dataclass(frozen=True)
class Rendered:
    text: str  # ready to print, lines at most ``width`` columns (bar single unbreakable tokens)
    suggestions: tuple[str, ...]  # in the order shown: "1" picks the first


# -- terminal ----------------------------------------------------------------------------------
def terminal_width(max_width: int = MAX_WIDTH) -> int:
    """The terminal's columns (80 when unknown), capped so lines stay readable."""
    columns = shutil.get_terminal_size((FALLBACK_WIDTH, 24)).columns or FALLBACK_WIDTH
    return max(MIN_WIDTH, min(columns, max_width))


def use_color(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org) or TERM=dumb."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR", "") != "" or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # a closed stream
        return False


def line_editing() -> Any | None:
    """Turn on readline line editing and in-memory history; the module, or None where absent.

    Importing readline is what makes ``input()`` editable. No history file is read or written:
    we never call ``read_history_file``/``write_history_file``, and Python's own
    ``~/.python_history`` is written only by the interactive interpreter, which this is not.
    """
    try:
        import readline
    except ImportError:  # Windows without pyreadline, or a Python built without it
        return None
    readline.clear_history()
    readline.set_history_length(500)  # in memory; the length only bounds the session's list
    return readline


def remember(readline: Any | None, text: str) -> None:
    """Put a question picked by number into the history, so the up arrow recalls its words."""
    if readline is not None:
        readline.add_history(text)


def forget_history(readline: Any | None) -> None:
    if readline is not None:
        readline.clear_history()


# -- messages -> replies -----------------------------------------------------------------------
def group(messages: Iterable[Any]) -> list[ShellReply]:
    """The REST channel's messages as replies: text parts and buttons until a custom part."""
    replies: list[ShellReply] = []
    for part in group_rest_messages(messages):
        reply = ShellReply(text=part.text)
        for button in part.buttons:
            payload = button.get("payload") or button.get("title")
            if isinstance(payload, str) and payload.strip() and payload not in reply.buttons:
                reply.buttons.append(payload)
        if part.custom is not None:
            reply.data = reply_data_of(part.custom)
            if reply.data is not None:
                reply.buttons += [b for b in reply.data.buttons if b not in reply.buttons]
        replies.append(reply)
    return [r for r in replies if r.text or r.buttons]


# -- wrapping ----------------------------------------------------------------------------------
def _wrapper(width: int, initial: str, subsequent: str) -> textwrap.TextWrapper:
    # Break only at spaces: never inside a word, at a hyphen ("1-800-...") or inside a URL.
    return textwrap.TextWrapper(width=width, initial_indent=initial, subsequent_indent=subsequent,
                                break_long_words=False, break_on_hyphens=False)


def _glue(line: str) -> str:
    return _PHONE.sub(lambda m: m.group(0).replace(" ", _GLUE), line)


def wrap(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """``text`` wrapped to ``width`` columns, each line of it a paragraph of its own.

    ``first`` prefixes the first output line and ``rest`` every other one. Bullet lines hang
    their continuation under the bullet's text. Blank lines stay blank (without trailing spaces).
    """
    out: list[str] = []
    for line in text.replace("\r\n", "\n").expandtabs().split("\n"):
        prefix = rest if out else first
        if not line.strip():
            out.append(prefix.rstrip())
            continue
        match = _BULLET.match(line)
        lead, bullet = match.group(1), match.group(2) or ""
        wrapper = _wrapper(width, prefix + lead + bullet, rest + lead + " " * len(bullet))
        wrapped = wrapper.wrap(_glue(line[match.end():])) or [(prefix + lead + bullet).rstrip()]
        out += [w.replace(_GLUE, " ") for w in wrapped]
    return out or [first.rstrip()]


# -- markers -----------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _regions() -> dict[str, Any]:
    from guardrails.responses import load_regions

    return load_regions()


def emergency_number(region: str | None) -> str | None:
    """The region's emergency number from guardrails/resources.yml, or None if unreadable/unknown."""
    if not region:
        return None
    try:
        reg = _regions().get(region.upper())
    except Exception:  # noqa: BLE001 - the marker must still show; the reply text has the numbers
        return None
    return reg.emergency.phone if reg is not None else None


def crisis_heading(reply: ShellReply, region: str | None = None) -> str:
    lang = reply.lang
    where = (reply.data.region if reply.data is not None else None) or region
    number = emergency_number(where)
    heading = f"!! {CRISIS_LABEL[lang]}"
    if number:
        heading += f" - {EMERGENCY_LABEL[lang]}: {number}"
    return heading + " !!"


def _paint(lines: list[str], style: str, color: bool) -> list[str]:
    if not color:
        return lines
    return [f"{STYLE[style]}{line}{RESET}" if line.strip() else line for line in lines]


# -- the whole turn --------------------------------------------------------------------------
def render_reply(reply: ShellReply, width: int, *, color: bool = False, region: str | None = None) -> list[str]:
    """One reply's lines: "bot> " then the text, a crisis or redirect marker first if it has one."""
    width = max(MIN_WIDTH, width)
    if reply.route is Route.CRISIS:
        head = _paint(wrap(crisis_heading(reply, region), width, BOT, INDENT), "crisis_heading", color)
        body = _paint(wrap(reply.text, width, INDENT, INDENT), "crisis_body", color)
        return head + body
    if reply.data is not None and reply.data.kind == "crisis_hint":  # the crisis line put before a reply
        return _paint(wrap("!! " + reply.text, width, BOT, INDENT), "crisis_body", color)
    if reply.route is Route.REDIRECT:
        head = _paint(wrap(f"-- {REDIRECT_LABEL[reply.lang]} --", width, BOT, INDENT), "redirect_heading", color)
        return head + wrap(reply.text, width, INDENT, INDENT)
    return wrap(reply.text, width, BOT, INDENT)


def render(messages: Iterable[Any], width: int, *, color: bool = False, region: str | None = None) -> Rendered:
    """Everything to print after one message: each reply, then the numbered suggestions.

    ``region`` (the shell's) names the emergency number for a crisis reply whose data lacks one.
    """
    lines: list[str] = []
    suggestions: list[str] = []
    for reply in group(messages):
        if reply.text:
            lines += ["", *render_reply(reply, width, color=color, region=region)]
        suggestions += [b for b in reply.buttons if b not in suggestions]
    if suggestions:
        lines.append("")
    for i, suggestion in enumerate(suggestions, 1):
        tag = f"  [{i}] "
        lines += _paint(wrap(suggestion, max(MIN_WIDTH, width), tag, " " * len(tag)), "suggestion", color)
    return Rendered("\n".join(lines), tuple(suggestions))


def render_help(width: int) -> str:
    return "\n".join(wrap(HELP, width))


def render_banner(width: int, editing: bool) -> str:
    """The opening lines; ``editing``: readline is on (so the history note says what it keeps)."""
    return "\n".join(wrap(f"{BANNER}\n{HISTORY_NOTE[editing]}", width))
