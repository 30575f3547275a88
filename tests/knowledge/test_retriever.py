"""Index and retriever logic with the fast deterministic fake embedder."""

from knowledge.embedder import HashEmbedder
from knowledge.entry import load_entries
from knowledge.index import build_index, load_index, save_index
from knowledge.retriever import KnowledgeBase


def small_kb(tmp_path):
    entries = load_entries()
    index = build_index(entries, HashEmbedder(), hash_="test")
    save_index(index, tmp_path)
    return KnowledgeBase(entries={e.id: e for e in entries}, index=load_index(tmp_path), embedder=HashEmbedder())


def test_index_has_a_row_per_question_and_phrasing(tmp_path):
    entries = load_entries()
    index = build_index(entries, HashEmbedder(), hash_="h")
    spanish = sum(1 + len(e.es.phrasings) for e in entries if e.es is not None)
    assert index.vectors.shape[0] == sum(1 + len(e.phrasings) for e in entries) + spanish
    assert index.meta.row_lang.count("es") == spanish
    assert set(index.meta.row_entry) == {e.id for e in entries}


def test_build_is_deterministic(tmp_path):
    entries = load_entries()
    a = build_index(entries, HashEmbedder(), hash_="h")
    b = build_index(list(reversed(entries)), HashEmbedder(), hash_="h")
    assert a.meta.row_text == b.meta.row_text
    assert (a.vectors == b.vectors).all()


def test_search_finds_an_exact_phrasing_and_returns_one_candidate_per_entry(tmp_path):
    kb = small_kb(tmp_path)
    entry = kb.entries["naloxone"]
    results = kb.search(entry.phrasings[0], k=3)
    assert results[0].entry_id == "naloxone"
    assert results[0].score > 0.99
    assert len({r.entry_id for r in results}) == len(results) == 3


def test_stale_index_is_refused(tmp_path):
    import pytest

    save_index(build_index(load_entries(), HashEmbedder(), hash_="stale"), tmp_path)
    with pytest.raises(RuntimeError, match="out of date"):
        KnowledgeBase.load(index_dir=tmp_path, embedder=HashEmbedder())
