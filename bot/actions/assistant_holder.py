"""One shared Assistant per action-server process, loaded once (at start-up, or on first use)."""

from __future__ import annotations

import threading

from bot.pipeline import Assistant

_lock = threading.Lock()
_assistant: Assistant | None = None


def get_assistant() -> Assistant:
    global _assistant
    if _assistant is None:
        with _lock:
            if _assistant is None:
                assistant = Assistant.load()
                assistant.warm_up()
                _assistant = assistant
    return _assistant
