"""BM25 over each entry's words, the lexical half of hybrid retrieval.

all-MiniLM-L6-v2 is an English model: a Spanish question ("¿el kratom daña el hígado?") lands
near the right entry only by the words it shares. Words shared with an entry's questions,
phrasings and answer, in English and Spanish, are strong evidence in either language, and
catch the specific term ("naloxone", not "naltrexone") that an embedding blurs. The fused
score is ``embedding + weight * bm25 / (bm25 + k)``: the lexical part saturates below
``weight``, so it reorders close candidates and lifts matches in words, but a page of common
words cannot make an off-topic message look answered. ``weight`` and ``k`` are chosen on the
calibration split (``kratom-assistant kb calibrate``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_TOKEN = re.compile(r"[a-z0-9]+")
# Function words in English and Spanish: they say nothing about which entry is meant.
STOPWORDS = frozenset("""
a an and are as at be but by can could de del do does el en es for from how i if in is it la las los me my of on or
para por que se si so su the their them there they this to un una uno was what when where which who why will with
y yo you your qué cómo como cuál cual cuánto cuanto mi mis al lo le les con sin sobre este esta eso esa
hay tiene puede pueden ser estar muy mas más pero ya o u ni no not any some about into than then just
""".split())


def tokens(text: str) -> list[str]:
    """Lower-cased, accent-free, stop words dropped, a plural "s" removed."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    out = []
    for word in _TOKEN.findall(folded):
        if word in STOPWORDS or len(word) < 2:
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.append(word)
    return out


@dataclass(frozen=True)
class LexicalIndex:
    entry_ids: tuple[str, ...]
    term_freqs: tuple[Counter, ...]
    lengths: tuple[int, ...]
    idf: dict[str, float]
    avg_length: float
    k1: float = 1.2
    b: float = 0.75

    @classmethod
    def build(cls, documents: Iterable[tuple[str, str]]) -> "LexicalIndex":
        """``documents``: (entry id, all of that entry's text)."""
        ids, freqs, lengths = [], [], []
        for entry_id, text in documents:
            words = tokens(text)
            ids.append(entry_id)
            freqs.append(Counter(words))
            lengths.append(len(words))
        n = len(ids)
        df: Counter = Counter()
        for f in freqs:
            df.update(f.keys())
        idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        return cls(tuple(ids), tuple(freqs), tuple(lengths), idf, (sum(lengths) / n) if n else 1.0)

    def scores(self, query: str) -> dict[str, float]:
        """BM25 of the query against each entry that shares a word with it."""
        terms = set(tokens(query))
        out: dict[str, float] = {}
        for entry_id, freq, length in zip(self.entry_ids, self.term_freqs, self.lengths):
            score = 0.0
            for term in terms:
                tf = freq.get(term)
                if tf:
                    score += self.idf[term] * tf * (self.k1 + 1) / (tf + self.k1 * (1 - self.b + self.b * length / self.avg_length))
            if score:
                out[entry_id] = score
        return out


def entry_document(entry) -> str:  # noqa: ANN001 - knowledge.entry.Entry
    """Everything an entry says, in both languages: what BM25 matches against."""
    parts = [entry.question, *entry.phrasings, " ".join(entry.tags), entry.answer]
    if entry.es is not None:
        parts += [entry.es.question, *entry.es.phrasings, entry.es.answer or ""]
    return "\n".join(parts)
