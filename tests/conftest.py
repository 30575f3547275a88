"""Shared fixtures. Heavy ones (the real model, running servers) are session-scoped."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EVAL = REPO / "tests" / "eval"
SHARED_EVAL = REPO.parent / "shared" / "eval"
DEV_SET = SHARED_EVAL / "dev-routes.jsonl"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def dev_set() -> list[dict]:
    """The shared labeled dev set. It lives beside the repo; CI gets a copy of shared/ too."""
    if not DEV_SET.exists():
        pytest.fail(f"the shared dev set is missing at {DEV_SET}")
    return read_jsonl(DEV_SET)


@pytest.fixture(scope="session")
def guard():
    from guardrails import InputGuard

    g = InputGuard.from_files()
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
    from knowledge.embedder import MiniLMEmbedder

    e = MiniLMEmbedder()
    e.warm_up()
    return e


@pytest.fixture(scope="session")
def assistant(embedder):
    """The real pipeline with the real model and the built index (make setup builds it)."""
    from bot.pipeline import Assistant
    from knowledge.retriever import KnowledgeBase

    a = Assistant.load(kb=KnowledgeBase.load(embedder=embedder))
    a.warm_up()
    return a
