"""Build, save and load the FAISS index over every entry's question and phrasings.

One index row per text (the question and each phrasing, in English and, when the entry has a
Spanish companion in entries/es/, in Spanish), mapped back to its entry, so a query close to any
way of asking matches the entry. ``row_lang`` says which language each row is in. The build is
deterministic for a given model, and skipped when the content hash (entry and companion files +
model name) is unchanged.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .embedder import Embedder
from .entry import Entry, content_hash

DEFAULT_INDEX_DIR = Path(__file__).resolve().parent.parent / "build" / "kb"


@dataclass(frozen=True)
class IndexMeta:
    content_hash: str
    model: str
    row_entry: tuple[str, ...]
    row_text: tuple[str, ...]
    row_lang: tuple[str, ...] = ()  # "en" or "es" per row


@dataclass
class KBIndex:
    meta: IndexMeta
    vectors: np.ndarray
    _faiss: object | None = None

    @property
    def faiss_index(self):  # noqa: ANN201 - faiss has no type stubs
        if self._faiss is None:
            import faiss

            index = faiss.IndexFlatIP(self.vectors.shape[1])
            index.add(self.vectors)
            self._faiss = index
        return self._faiss

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self.vectors.shape[0])
        return self.faiss_index.search(np.ascontiguousarray(queries, dtype=np.float32), k)


def _progress(done: int, total: int, enabled: bool) -> None:
    if enabled:
        width = 30
        filled = int(width * done / max(1, total))
        sys.stderr.write(f"\rembedding [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def build_index(
    entries: Sequence[Entry], embedder: Embedder, *, hash_: str, progress: bool = False, batch: int = 64
) -> KBIndex:
    rows = [(e.id, lang, t) for e in sorted(entries, key=lambda e: e.id) for lang, t in e.index_texts]
    texts = [t for _, _, t in rows]
    chunks = []
    for start in range(0, len(texts), batch):
        chunks.append(embedder.embed(texts[start : start + batch]))
        _progress(min(start + batch, len(texts)), len(texts), progress)
    vectors = np.vstack(chunks).astype(np.float32) if chunks else np.zeros((0, embedder.dim), np.float32)
    meta = IndexMeta(
        content_hash=hash_,
        model=embedder.name,
        row_entry=tuple(e for e, _, _ in rows),
        row_text=tuple(texts),
        row_lang=tuple(lang for _, lang, _ in rows),
    )
    return KBIndex(meta=meta, vectors=vectors)


def index_hash(entries_dir: Path | None, model: str) -> str:
    return content_hash(entries_dir, extra=f"model={model};rows=question+phrasings+es;v2")


def save_index(index: KBIndex, directory: Path = DEFAULT_INDEX_DIR) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    np.save(directory / "vectors.npy", index.vectors)
    meta = {
        "content_hash": index.meta.content_hash,
        "model": index.meta.model,
        "row_entry": list(index.meta.row_entry),
        "row_text": list(index.meta.row_text),
        "row_lang": list(index.meta.row_lang),
    }
    tmp = directory / "meta.json.tmp"
    tmp.write_text(json.dumps(meta, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(directory / "meta.json")


def load_index(directory: Path = DEFAULT_INDEX_DIR) -> KBIndex:
    meta_path = directory / "meta.json"
    if not meta_path.exists():
        raise FileNotFoundError(f"no knowledge-base index in {directory}; run 'kratom-assistant kb build'")
    raw = json.loads(meta_path.read_text(encoding="utf-8"))
    meta = IndexMeta(
        content_hash=raw["content_hash"],
        model=raw["model"],
        row_entry=tuple(raw["row_entry"]),
        row_text=tuple(raw["row_text"]),
        row_lang=tuple(raw.get("row_lang", ())),
    )
    return KBIndex(meta=meta, vectors=np.load(directory / "vectors.npy"))


def stored_hash(directory: Path = DEFAULT_INDEX_DIR) -> str | None:
    try:
        return json.loads((directory / "meta.json").read_text(encoding="utf-8"))["content_hash"]
    except (OSError, ValueError, KeyError):
        return None
