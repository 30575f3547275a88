"""Counts of readers' votes on knowledge-base answers: thumbs up, thumbs down, and Slack's flag.

    store = FeedbackStore.from_env()          # FEEDBACK_DB_URL, else TRACKER_DB_URL, else build/feedback.db
    store.record("kratom-liver-injury", "up")  # True
    store.record("../etc", "up")               # False: not an entry id, nothing stored
    store.counts()                             # {"kratom-liver-injury": {"up": 1, "down": 0, "flag": 0}}

One table, ``feedback_counts`` (entry_id, kind, count), and nothing else: no text, no sender,
no time. A vote is one increment of one row, so replicas sharing a database add up safely.
The table is created on first use, not at import. Plain SQLAlchemy Core that runs on the 1.4
both virtual environments pin and on 2.x.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any

KINDS = ("up", "down", "flag")
# The knowledge base's own id rule (knowledge/validate.py), with a length bound.
ENTRY_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_ENTRY_ID = 100
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "build" / "feedback.db"


def well_formed(entry_id: Any) -> bool:
    return isinstance(entry_id, str) and len(entry_id) <= MAX_ENTRY_ID and ENTRY_ID.fullmatch(entry_id) is not None


def default_url() -> str:
    return os.environ.get("FEEDBACK_DB_URL") or os.environ.get("TRACKER_DB_URL") or f"sqlite:///{DEFAULT_PATH}"


class FeedbackStore:
    """Vote counts per knowledge-base entry in one SQL table (see the module docstring)."""

    def __init__(self, url: Any = None, *, engine: Any = None) -> None:
        """``url``: an SQLAlchemy URL (string or URL object); or ``engine``: one to share."""
        if (url is None) == (engine is None):
            raise ValueError("FeedbackStore needs exactly one of url= or engine=")
        self._url = url
        self._engine = engine
        self._table: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls) -> "FeedbackStore":
        return cls(default_url())

    # ---- set-up (on first use)

    def _ready(self) -> tuple[Any, Any]:
        with self._lock:
            if self._table is None:
                import sqlalchemy as sa

                if self._engine is None:
                    url = self._url
                    if isinstance(url, str) and url.startswith("sqlite:///") and url != "sqlite:///:memory:":
                        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
                    self._engine = sa.create_engine(url)
                metadata = sa.MetaData()
                table = sa.Table(
                    "feedback_counts", metadata,
                    sa.Column("entry_id", sa.String(MAX_ENTRY_ID), primary_key=True),
                    sa.Column("kind", sa.String(8), primary_key=True),
                    sa.Column("count", sa.Integer, nullable=False),
                )
                try:
                    metadata.create_all(self._engine, checkfirst=True)
                except sa.exc.DatabaseError:
                    # Another replica created it between our check and our CREATE TABLE: use
                    # theirs (anything else still raises here).
                    if not sa.inspect(self._engine).has_table("feedback_counts"):
                        raise
                self._table = table
            return self._engine, self._table

    # ---- the interface

    def record(self, entry_id: str, kind: str) -> bool:
        """Add one ``kind`` vote for ``entry_id``; False (nothing stored) if either is not valid."""
        if kind not in KINDS or not well_formed(entry_id):
            return False
        import sqlalchemy as sa

        engine, table = self._ready()
        where = sa.and_(table.c.entry_id == entry_id, table.c.kind == kind)
        for _ in range(3):
            try:
                with engine.begin() as conn:
                    updated = conn.execute(sa.update(table).where(where).values(count=table.c["count"] + 1))
                    if updated.rowcount == 0:
                        conn.execute(sa.insert(table).values(entry_id=entry_id, kind=kind, count=1))
                return True
            except sa.exc.IntegrityError:
                continue  # another writer inserted the row first: the update will find it now
        raise RuntimeError(f"could not record a {kind!r} vote for {entry_id!r} after 3 attempts")

    def counts(self) -> dict[str, dict[str, int]]:
        """``{entry_id: {"up": n, "down": n, "flag": n}}`` for every entry with a vote, sorted by id."""
        import sqlalchemy as sa

        engine, table = self._ready()
        out: dict[str, dict[str, int]] = {}
        with engine.connect() as conn:
            rows = conn.execute(sa.select(table.c.entry_id, table.c.kind, table.c["count"]).order_by(table.c.entry_id))
            for entry_id, kind, count in rows:
                if kind in KINDS:
                    out.setdefault(entry_id, dict.fromkeys(KINDS, 0))[kind] = int(count)
        return out
