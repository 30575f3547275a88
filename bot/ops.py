"""Operations on Rasa's SQL tracker store: ``purge`` old conversations, ``report`` statistics.

    kratom-assistant purge --db postgresql://user:pw@host/db [--days 30]
    kratom-assistant report --db sqlite:///build/tracker.db [--feedback-db URL] [--json]

The database URL may also come from TRACKER_DB_URL. The report also shows the answers' thumbs
up/down (and Slack flag) counts from bot/feedback.py's table: from --feedback-db, else
FEEDBACK_DB_URL, else the tracker database (where the REST channel keeps them when it runs on
a SQL tracker store and no URL is set). Rasa 3.6's SQL tracker store keeps one
row per event in the ``events`` table (sender_id, type_name, timestamp, intent_name, data).
Message text there is already redacted by the channels; the report redacts fallback
questions again before printing them, in case data came in some other way.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from typing import Any

from .privacy import redact


def _engine(url: str | None):
    from sqlalchemy import create_engine

    url = url or os.environ.get("TRACKER_DB_URL")
    if not url:
        raise SystemExit("give --db URL or set TRACKER_DB_URL (e.g. sqlite:///build/tracker.db)")
    return create_engine(url)


def purge(url: str | None, days: float, now: float | None = None) -> tuple[int, int]:
    """Delete every conversation whose last event is older than ``days``. Returns (conversations, events)."""
    from sqlalchemy import text

    if days <= 0:
        raise ValueError(f"days must be positive, got {days}")
    cutoff = (now or time.time()) - days * 86400
    engine = _engine(url)
    with engine.begin() as conn:
        old = [
            row[0]
            for row in conn.execute(
                text("SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"),
                {"cutoff": cutoff},
            )
        ]
        deleted = 0
        for start in range(0, len(old), 500):
            chunk = old[start : start + 500]
            params = {f"s{i}": s for i, s in enumerate(chunk)}
            placeholders = ", ".join(f":s{i}" for i in range(len(chunk)))
            result = conn.execute(text(f"DELETE FROM events WHERE sender_id IN ({placeholders})"), params)
            deleted += result.rowcount or 0
    return len(old), deleted


def _reply_data(event: dict[str, Any]) -> dict[str, Any] | None:
    """The structured data a bot event carried (action replies: dict; domain replies: JSON string)."""
    from bot.contract import reply_data_of

    data = reply_data_of((event.get("data") or {}).get("custom"))
    return data.to_dict() if data is not None else None


def feedback_counts(url: str | None) -> dict[str, dict[str, int]]:
    """Vote counts per entry, most votes first (see bot/feedback.py)."""
    from .feedback import FeedbackStore

    counts = FeedbackStore(url).counts()
    return dict(sorted(counts.items(), key=lambda item: (-sum(item[1].values()), item[0])))


def report(url: str | None, feedback_url: str | None = None) -> dict[str, Any]:
    from sqlalchemy import text

    engine = _engine(url)
    feedback = feedback_counts(feedback_url or os.environ.get("FEEDBACK_DB_URL") or engine.url)
    routes: Counter = Counter()
    rules: Counter = Counter()
    entries: Counter = Counter()
    fallback_questions: Counter = Counter()
    conversations = set()
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT sender_id, type_name, data FROM events ORDER BY sender_id, id"))
        last_user_text: dict[str, str] = {}
        seen_reply: set[tuple[str, str]] = set()
        for sender, type_name, raw in rows:
            conversations.add(sender)
            try:
                event = json.loads(raw) if raw else {}
            except ValueError:
                continue
            if type_name == "user":
                last_user_text[sender] = event.get("text") or ""
                continue
            if type_name != "bot":
                continue
            data = _reply_data(event)
            if not data or data.get("kind") in ("reminder", "note"):
                continue
            key = (sender, last_user_text.get(sender, ""))
            if key in seen_reply:
                continue  # one count per user turn, even when the reply had several messages
            seen_reply.add(key)
            route = data.get("route") or "unknown"
            routes[route] += 1
            if data.get("rule"):
                rules[data["rule"]] += 1
            if data.get("entry_id"):
                entries[data["entry_id"]] += 1
            if route == "fallback" and data.get("kind") == "fallback":
                fallback_questions[redact(last_user_text.get(sender, "")).strip().lower()] += 1
    return {
        "conversations": len(conversations),
        "routes": dict(routes.most_common()),
        "rules": dict(rules.most_common()),
        "entries": dict(entries.most_common()),
        "fallback_questions": dict(fallback_questions.most_common(50)),
        "feedback": feedback,
    }


def format_report(data: dict[str, Any]) -> str:
    lines = [f"conversations: {data['conversations']}"]
    for title, key in (("replies per route", "routes"), ("guardrail rules", "rules"),
                       ("knowledge-base entries", "entries"), ("unanswered (fallback) questions", "fallback_questions")):
        lines.append(f"\n{title}:")
        for name, count in data[key].items() or [("(none)", 0)]:
            lines.append(f"  {count:5d}  {name}")
    lines.append("\nanswer feedback (up, down, flag):")
    for entry_id, votes in data.get("feedback", {}).items() or [("(none)", dict.fromkeys(("up", "down", "flag"), 0))]:
        lines.append(f"  {votes['up']:5d} {votes['down']:5d} {votes['flag']:5d}  {entry_id}")
    return "\n".join(lines)


