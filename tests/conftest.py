"""Shared fixtures. Heavy ones (the real model, running servers) are session-scoped.

Tests that use the real embedding model are marked ``model`` automatically (by the fixtures
they use), so ``make test-fast`` (``-m "not e2e and not browser and not model"``) needs none.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
SHARED_EVAL = REPO.parent / "shared" / "eval"
DEV_SET = SHARED_EVAL / "dev-routes.jsonl"
MODEL_FIXTURES = {"embedder", "assistant", "full_guard"}

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def pytest_collection_modifyitems(config, items):  # noqa: ANN001
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def dev_set() -> list[dict]:
    """The shared labeled dev set. It lives beside the repo; CI gets a copy of shared/ too."""
    if not DEV_SET.exists():
        pytest.fail(f"the shared dev set is missing at {DEV_SET}")
    return read_jsonl(DEV_SET)


@pytest.fixture(scope="session")
def guard():
    """The rules alone (no judge): what the policy's own examples are about."""
    from guardrails import InputGuard

    g = InputGuard.from_files(require_judge=False)
    assert g.load_error is None, g.load_error
    return g


@pytest.fixture(scope="session")
def book():
    from guardrails import ReplyBook

    return ReplyBook.from_files()


@pytest.fixture(scope="session")
def smalltalk():
    from guardrails import Smalltalk

    return Smalltalk.from_file()


@pytest.fixture(scope="session")
def embedder():
    from embedding import MiniLMEmbedder

    e = MiniLMEmbedder()
    e.warm_up()
    return e


@pytest.fixture(scope="session")
def full_guard(embedder):
    """Rules and the judge, as every channel runs them."""
    from guardrails import InputGuard

    g = InputGuard.from_files(embedder=embedder)
    assert g.load_error is None, g.load_error
    return g


@pytest.fixture(scope="session")
def assistant(embedder):
    """The real pipeline with the real model and the built index (make setup builds it)."""
    from bot.pipeline import Assistant
    from knowledge.retriever import KnowledgeBase

    a = Assistant.load(kb=KnowledgeBase.load(embedder=embedder))
    a.warm_up()
    return a


@pytest.fixture(scope="session")
def fake_assistant(tmp_path_factory):
    """The whole pipeline on a deterministic fake embedder: rules, no judge, real entries."""
    from bot.pipeline import Assistant
    from embedding import HashEmbedder
    from guardrails import InputGuard, ReplyBook, Smalltalk
    from knowledge.entry import load_entries
    from knowledge.index import build_index, load_index, save_index
    from knowledge.retriever import KnowledgeBase, RetrievalConfig

    entries = load_entries()
    directory = tmp_path_factory.mktemp("fake-index")
    save_index(build_index(entries, HashEmbedder(), hash_="fake"), directory)
    kb = KnowledgeBase(entries={e.id: e for e in entries}, index=load_index(directory), embedder=HashEmbedder())
    return Assistant(guard=InputGuard.from_files(require_judge=False), book=ReplyBook.from_files(),
                     smalltalk=Smalltalk.from_file(), kb=kb, config=RetrievalConfig.load())
