"""The vetted knowledge base: entries, validation, index and retrieval. Imports no Rasa.

Heavy pieces (the embedding model, FAISS) load only when asked: ``KnowledgeBase.load()``
then ``warm_up()``.
"""

from .entry import ENTRIES_DIR, Entry, EntryError, load_entries

__all__ = ["ENTRIES_DIR", "Entry", "EntryError", "load_entries"]
