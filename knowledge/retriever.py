"""Find the knowledge-base entries closest to a question.

    >>> kb = KnowledgeBase.load()                       # entries + index + real model
    >>> kb.search("is kratom bad for ur liver")[0].entry_id
    'kratom-liver-injury'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .embedder import Embedder, MiniLMEmbedder
from .entry import ENTRIES_DIR, KNOWLEDGE_DIR, Entry, load_entries
from .index import DEFAULT_INDEX_DIR, KBIndex, index_hash, load_index

RETRIEVAL_CONFIG = KNOWLEDGE_DIR / "retrieval.yml"


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    score: float
    matched: str


@dataclass(frozen=True)
class RetrievalConfig:
    threshold: float
    top_k: int

    @classmethod
    def load(cls, path: Path = RETRIEVAL_CONFIG) -> "RetrievalConfig":
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        unknown = set(raw) - {"threshold", "top_k", "calibration"}
        if unknown:
            raise ValueError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}")
        threshold = float(raw["threshold"])
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"{path}: threshold must be between 0 and 1, got {threshold}")
        top_k = int(raw.get("top_k", 3))
        if top_k < 1:
            raise ValueError(f"{path}: top_k must be at least 1, got {top_k}")
        return cls(threshold=threshold, top_k=top_k)


@dataclass
class KnowledgeBase:
    entries: dict[str, Entry]
    index: KBIndex
    embedder: Embedder

    @classmethod
    def load(
        cls,
        *,
        entries_dir: Path = ENTRIES_DIR,
        index_dir: Path = DEFAULT_INDEX_DIR,
        embedder: Embedder | None = None,
    ) -> "KnowledgeBase":
        embedder = embedder or MiniLMEmbedder()
        index = load_index(index_dir)
        expected = index_hash(entries_dir, embedder.name)
        if index.meta.content_hash != expected:
            raise RuntimeError(
                f"the index in {index_dir} is out of date with {entries_dir}; "
                "run 'kratom-assistant kb build'"
            )
        entries = {e.id: e for e in load_entries(entries_dir)}
        return cls(entries=entries, index=index, embedder=embedder)

    def warm_up(self) -> None:
        warm = getattr(self.embedder, "warm_up", None)
        if warm:
            warm()
        self.search("warm up")

    def search(self, query: str, k: int = 3) -> list[Candidate]:
        """Best entries for the query, one candidate per entry, highest score first."""
        vector = self.embedder.embed([query])
        scores, rows = self.index.search(vector, k=max(20, k * 8))
        best: dict[str, Candidate] = {}
        for score, row in zip(scores[0], rows[0]):
            if row < 0:
                continue
            entry_id = self.index.meta.row_entry[row]
            if entry_id not in best:
                best[entry_id] = Candidate(entry_id, float(score), self.index.meta.row_text[row])
            if len(best) >= k:
                break
        return sorted(best.values(), key=lambda c: -c.score)[:k]
