"""What every embedder offers, and a deterministic fake for unit tests."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Protocol

import numpy as np

DIM = 384


class EmbedderError(RuntimeError):
    """The model files are missing, stale or unreadable."""


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, dim) float32 array of L2-normalised vectors."""


class HashEmbedder:
    """A fast, deterministic stand-in: bag of hashed word and character trigram features.

    Similar wordings get similar vectors, which is enough to test the index, the retriever
    and the judge's plumbing without loading a model.
    """

    name = "hash-fake"
    dim = DIM

    def warm_up(self) -> None:
        return None

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
