"""Find the knowledge-base entries closest to a question.

    >>> kb = KnowledgeBase.load()                       # entries + index + real model
    >>> kb.search("is kratom bad for ur liver")[0].entry_id
    'kratom-liver-injury'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from .embedder import Embedder, MiniLMEmbedder
from .entry import ENTRIES_DIR, KNOWLEDGE_DIR, Entry, load_entries
from .index import DEFAULT_INDEX_DIR, KBIndex, index_hash, load_index
from .lexical import LexicalIndex, entry_document

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
    lexical_weight: float  # the most the BM25 bonus can add (0: embedding only)
    lexical_k: float  # BM25 score at which the bonus is half its maximum
    calibration: dict

    @classmethod
    def load(cls, path: Path = RETRIEVAL_CONFIG) -> "RetrievalConfig":
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        keys = {"threshold", "top_k", "suggestion_floor", "max_suggestions", "lexical_weight", "lexical_k", "calibration"}
        if not isinstance(raw, dict) or set(raw) != keys:
            raise ValueError(f"{path}: keys must be exactly {', '.join(sorted(keys))}")
        values = {k: float(raw[k]) for k in ("threshold", "suggestion_floor")}
        for name, value in values.items():
            if not 0.0 < value < 1.0:
                raise ValueError(f"{path}: {name} must be between 0 and 1, got {value}")
        if values["suggestion_floor"] > values["threshold"]:
            raise ValueError(f"{path}: suggestion_floor must not exceed threshold")
        lexical = {"lexical_weight": float(raw["lexical_weight"]), "lexical_k": float(raw["lexical_k"])}
        if not 0.0 <= lexical["lexical_weight"] <= 1.0 or lexical["lexical_k"] <= 0:
            raise ValueError(f"{path}: lexical_weight must be in [0, 1] and lexical_k > 0")
        ints = {k: int(raw[k]) for k in ("top_k", "max_suggestions")}
        if ints["top_k"] < 1 or ints["max_suggestions"] < 0:
            raise ValueError(f"{path}: top_k must be >= 1 and max_suggestions >= 0")
        calibration = raw["calibration"]
        if not isinstance(calibration, dict) or set(calibration) != CALIBRATION_KEYS:
            raise ValueError(f"{path}: calibration keys must be exactly {', '.join(sorted(CALIBRATION_KEYS))}")
        return cls(calibration=calibration, **values, **ints, **lexical)


@dataclass
class KnowledgeBase:
    entries: dict[str, Entry]
    index: KBIndex
    embedder: Embedder
    lexical: LexicalIndex | None = None  # None: embedding only
    lexical_weight: float = 0.0
    lexical_k: float = 1.0
    # (the index they were read from, each entry's row numbers in it), built on first use
    _rows_by_entry: tuple | None = field(default=None, init=False, repr=False, compare=False)

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
        config = RetrievalConfig.load()
        lexical = LexicalIndex.build((e.id, entry_document(e)) for e in entries.values())
        return cls(entries=entries, index=index, embedder=embedder, lexical=lexical,
                   lexical_weight=config.lexical_weight, lexical_k=config.lexical_k)

    def warm_up(self) -> None:
        warm = getattr(self.embedder, "warm_up", None)
        if warm:
            warm()
        self.search("warm up")

    def search(self, query: str, k: int = 3) -> list[Candidate]:
        """Best entries for the query, one candidate per entry, highest score first."""
        return self.search_vector(self.embedder.embed([query])[0], k, text=query)

    def search_vector(self, vector: np.ndarray, k: int = 3, text: str | None = None) -> list[Candidate]:
        """The same, for a query already embedded (the guardrail embeds each message once).

        With ``text`` and a lexical index, each entry's score is its best embedding match plus
        the saturating BM25 bonus (knowledge/lexical.py); without, the embedding alone."""
        query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        scores, rows = self.index.search(query, k=min(len(self.index.meta.row_entry), max(40, k * 8)))
        best: dict[str, Candidate] = {}
        for score, row in zip(scores[0], rows[0]):
            if row < 0:
                continue
            entry_id = self.index.meta.row_entry[row]
            if entry_id not in best:
                best[entry_id] = Candidate(entry_id, float(score), self.index.meta.row_text[row])
        if text and self.lexical is not None and self.lexical_weight > 0:
            every_row: np.ndarray | None = None  # all rows' similarities, computed once if needed
            for entry_id, bm25 in self.lexical.scores(text).items():
                if entry_id not in self.entries:
                    continue
                base = best.get(entry_id)
                if base is None:
                    if every_row is None:
                        every_row = self.index.vectors @ query[0]
                    base = self._best_row(every_row, entry_id)
                bonus = self.lexical_weight * bm25 / (bm25 + self.lexical_k)
                best[entry_id] = Candidate(entry_id, base.score + bonus, base.matched)
        return sorted(best.values(), key=lambda c: -c.score)[:k]

    def _entry_rows(self) -> dict[str, np.ndarray]:
        """Each entry's index rows, found once (a search used to scan every row per entry)."""
        if self._rows_by_entry is None or self._rows_by_entry[0] is not self.index:
            grouped: dict[str, list[int]] = {}
            for i, entry_id in enumerate(self.index.meta.row_entry):
                grouped.setdefault(entry_id, []).append(i)
            self._rows_by_entry = (self.index, {e: np.asarray(r, dtype=np.int64) for e, r in grouped.items()})
        return self._rows_by_entry[1]

    def _best_row(self, every_row: np.ndarray, entry_id: str) -> Candidate:
        """An entry's best embedding match when it was not among the nearest rows, from the
        similarities of every row to the query."""
        rows = self._entry_rows().get(entry_id)
        if rows is None:
            raise KeyError(f"entry {entry_id!r} has no rows in the index")
        sims = every_row[rows]
        i = int(np.argmax(sims))
        return Candidate(entry_id, float(sims[i]), self.index.meta.row_text[rows[i]])
