"""User-text hygiene shared by every input channel (no Rasa imports, so it is unit-testable).

Rasa treats a message that starts with "/" as a forced intent ("/greet", '/ask{"x": 1}') and
skips the NLU pipeline, guardrail included. User text must never do that, so a leading slash
is removed before Rasa sees the text: "/greet how many grams" is judged as "greet how many
grams" and redirected like any other dosing question.
"""

from __future__ import annotations

from bot.pipeline import crisis_line

# Every channel reads messages up to this long like any other (the guardrail reads all of it,
# in windows); longer ones get an error that still names the region's crisis line.
MAX_MESSAGE_CHARS = 20_000

__all__ = ["MAX_MESSAGE_CHARS", "crisis_line", "neutralize", "too_long"]


def neutralize(text: str) -> str:
    """Strip leading whitespace and slashes so the text can never be read as a forced intent."""
    cleaned = text.lstrip()
    while cleaned.startswith("/"):
        cleaned = cleaned[1:].lstrip()
    return cleaned


def too_long(text: str) -> bool:
    return len(text) > MAX_MESSAGE_CHARS
