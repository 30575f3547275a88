"""bot/feedback.py: vote counts per knowledge-base entry, on SQLite files and on real PostgreSQL."""

from __future__ import annotations

import concurrent.futures
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot import feedback
from bot.feedback import KINDS, FeedbackStore

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "feedback.db"


@pytest.fixture
def store(db) -> FeedbackStore:
    return FeedbackStore(f"sqlite:///{db}")


def test_kinds_are_the_shared_interface():
    assert KINDS == ("up", "down", "flag")


def test_votes_are_counted_per_entry_and_kind(store):
    assert store.counts() == {}
    for entry, kind in [("kratom-liver-injury", "up"), ("kratom-liver-injury", "up"), ("kratom-liver-injury", "down"),
                        ("is-kratom-safe", "flag")]:
        assert store.record(entry, kind) is True
    assert store.counts() == {
        "is-kratom-safe": {"up": 0, "down": 0, "flag": 1},
        "kratom-liver-injury": {"up": 2, "down": 1, "flag": 0},
    }


@pytest.mark.parametrize("entry, kind", [
    ("kratom-liver-injury", "sideways"), ("kratom-liver-injury", "UP"), ("kratom-liver-injury", ""),
    ("Kratom-Liver", "up"), ("../etc/passwd", "up"), ("a b", "up"), ("-leading", "up"), ("trailing-", "up"),
    ("double--dash", "up"), ("", "up"), ("x" * 101, "up"), (None, "up"), (42, "up"), ("kratom'; drop table", "up"),
])
def test_unknown_kinds_and_malformed_ids_store_nothing(store, db, entry, kind):
    assert store.record(entry, kind) is False
    assert store.counts() == {}
    with sqlite3.connect(db) as conn:  # the table exists (counts() made it) and is empty
        assert conn.execute("SELECT COUNT(*) FROM feedback_counts").fetchone() == (0,)


def test_the_table_holds_counts_only(store, db):
    store.record("kratom-liver-injury", "up")
    with sqlite3.connect(db) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(feedback_counts)")]
        rows = conn.execute("SELECT * FROM feedback_counts").fetchall()
    assert columns == ["entry_id", "kind", "count"]
    assert rows == [("kratom-liver-injury", "up", 1)]


def test_two_stores_on_one_database_add_up(db):
    a, b = FeedbackStore(f"sqlite:///{db}"), FeedbackStore(f"sqlite:///{db}")
    a.record("naloxone", "up")
    b.record("naloxone", "up")
    assert a.counts() == b.counts() == {"naloxone": {"up": 2, "down": 0, "flag": 0}}


def test_nothing_is_created_before_first_use(db):
    FeedbackStore(f"sqlite:///{db}")
    assert not db.exists()


def test_from_env_prefers_feedback_then_tracker_url(monkeypatch, tmp_path):
    feedback_db, tracker_db = tmp_path / "f.db", tmp_path / "t.db"
    monkeypatch.setenv("TRACKER_DB_URL", f"sqlite:///{tracker_db}")
    monkeypatch.setenv("FEEDBACK_DB_URL", f"sqlite:///{feedback_db}")
    FeedbackStore.from_env().record("naloxone", "down")
    assert feedback_db.exists() and not tracker_db.exists()
    monkeypatch.delenv("FEEDBACK_DB_URL")
    FeedbackStore.from_env().record("naloxone", "down")
    assert FeedbackStore(f"sqlite:///{tracker_db}").counts() == {"naloxone": {"up": 0, "down": 1, "flag": 0}}
    monkeypatch.delenv("TRACKER_DB_URL")
    assert feedback.default_url() == f"sqlite:///{feedback.DEFAULT_PATH}"
    assert feedback.DEFAULT_PATH.parent == REPO / "build"


def test_needs_exactly_one_of_url_or_engine():
    with pytest.raises(ValueError, match="exactly one"):
        FeedbackStore()


def test_report_prints_the_counts_as_text_and_json(tmp_path):
    tracker = tmp_path / "tracker.db"
    with sqlite3.connect(tracker) as conn:  # an empty tracker store (Rasa's events table)
        conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, timestamp REAL, "
                     "intent_name TEXT, action_name TEXT, data TEXT)")
    votes = FeedbackStore(f"sqlite:///{tracker}")
    for kind in ("up", "up", "down"):
        votes.record("kratom-liver-injury", kind)
    votes.record("is-kratom-safe", "flag")
    run = lambda *extra: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "bot.cli", "report", "--db", f"sqlite:///{tracker}", *extra],
        capture_output=True, text=True, cwd=REPO, check=True,
        env={k: v for k, v in os.environ.items() if k not in ("FEEDBACK_DB_URL", "TRACKER_DB_URL")},
    ).stdout
    data = json.loads(run("--json"))
    assert data["feedback"] == {"kratom-liver-injury": {"up": 2, "down": 1, "flag": 0},
                                "is-kratom-safe": {"up": 0, "down": 0, "flag": 1}}
    text = run()
    section = text.split("answer feedback (up, down, flag):")[1].strip().splitlines()
    assert [line.split() for line in section] == [["2", "1", "0", "kratom-liver-injury"], ["0", "0", "1", "is-kratom-safe"]]

    # --feedback-db points elsewhere: that database's counts, not the tracker's.
    other = FeedbackStore(f"sqlite:///{tmp_path / 'other.db'}")
    other.record("naloxone", "down")
    data = json.loads(run("--json", "--feedback-db", f"sqlite:///{tmp_path / 'other.db'}"))
    assert data["feedback"] == {"naloxone": {"up": 0, "down": 1, "flag": 0}}


# ------------------------------------------------------------------------------ PostgreSQL
@pytest.mark.e2e
def test_concurrent_votes_on_postgresql_are_all_counted():
    from tests.e2e.services import ServiceError, running_postgres

    try:
        with running_postgres() as pg:
            url = f"postgresql://{pg.user}:{pg.password}@{pg.host}:{pg.port}/{pg.db}"
            stores = [FeedbackStore(url) for _ in range(4)]  # four "replicas", one database
            jobs = [(stores[i % 4], "kratom-liver-injury", "up" if i % 3 else "down") for i in range(60)]
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                results = list(pool.map(lambda job: job[0].record(job[1], job[2]), jobs))
            assert results == [True] * 60
            assert stores[0].counts() == {"kratom-liver-injury": {"up": 40, "down": 20, "flag": 0}}
            assert pg.psql("select count(*) from feedback_counts") == "2"
            assert stores[1].record("kratom-liver-injury", "nope") is False
    except ServiceError as exc:
        pytest.fail(str(exc))
