"""Find the knowledge-base entries closest to a question.

    >>> kb = KnowledgeBase.load()                       # entries + index + real model
    >>> kb.search("is kratom bad for ur liver")[0].entry_id
    'kratom-liver-injury'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
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


CALIBRATION_KEYS = {"in_scope_answered", "out_of_scope_fallback", "in_scope_p5_score", "out_of_scope_max_score",
                    "n_in_scope", "n_out_of_scope"}


@dataclass(frozen=True)
class RetrievalConfig:
    """knowledge/retrieval.yml: every number the retrieval step uses, each named, none implied."""

    threshold: float  # answer at or above this score, else fall back (calibrated)
    top_k: int  # candidates kept per search
    suggestion_floor: float  # a fallback suggests candidates scoring at least this
    max_suggestions: int  # buttons under an answer or a fallback
    calibration: dict

    @classmethod
    def load(cls, path: Path = RETRIEVAL_CONFIG) -> "RetrievalConfig":
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        keys = {"threshold", "top_k", "suggestion_floor", "max_suggestions", "calibration"}
        if not isinstance(raw, dict) or set(raw) != keys:
            raise ValueError(f"{path}: keys must be exactly {', '.join(sorted(keys))}")
        values = {k: float(raw[k]) for k in ("threshold", "suggestion_floor")}
        for name, value in values.items():
            if not 0.0 < value < 1.0:
                raise ValueError(f"{path}: {name} must be between 0 and 1, got {value}")
        if values["suggestion_floor"] > values["threshold"]:
            raise ValueError(f"{path}: suggestion_floor must not exceed threshold")
        ints = {k: int(raw[k]) for k in ("top_k", "max_suggestions")}
        if ints["top_k"] < 1 or ints["max_suggestions"] < 0:
            raise ValueError(f"{path}: top_k must be >= 1 and max_suggestions >= 0")
        calibration = raw["calibration"]
        if not isinstance(calibration, dict) or set(calibration) != CALIBRATION_KEYS:
            raise ValueError(f"{path}: calibration keys must be exactly {', '.join(sorted(CALIBRATION_KEYS))}")
        return cls(calibration=calibration, **values, **ints)


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
        return self.search_vector(self.embedder.embed([query])[0], k)

    def search_vector(self, vector: np.ndarray, k: int = 3) -> list[Candidate]:
        """The same, for a query already embedded (the guardrail embeds each message once)."""
        scores, rows = self.index.search(np.asarray(vector, dtype=np.float32).reshape(1, -1), k=max(20, k * 8))
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
