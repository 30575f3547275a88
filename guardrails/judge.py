"""The semantic judge: a linear head over the message's sentence embedding and its words.

It reads what a message asks rather than which words it uses, so "does kratom help with
withdrawal?" (information) and "can I use kratom instead of my Suboxone?" (self-treatment)
part ways although they share every keyword. Nine classes (see ``data/LABELS.md``)::

    crisis | dosing self_treatment combination manufacture sourcing | information
    out_of_scope | smalltalk

Features: the all-MiniLM-L6-v2 embedding of the normalized text (what it means) and hashed
word, word-pair and character 4-gram features (which words it uses: "kill myself" vs "kill
weeds", Spanish vocabulary the English encoder reads poorly). Chosen on the calibration split:
macro-F1 0.953 against 0.911 for the embedding alone (BENCHMARKS.md). Inference is a matrix
product, a sparse lookup and a softmax in numpy: deterministic, in both environments, well
under a millisecond after the embedding. The head is fitted by ``kratom-assistant guard
train`` on ``data/train/`` only; its thresholds are chosen on ``data/calibrate/`` only, and
the file records the hash of the data it came from (a test checks it).

Long messages are read whole: besides the whole text (which the encoder truncates at 256
tokens) every window of a few sentences is scored, and the most urgent window decides crisis
and redirect, so a crisis sentence at the end of a 5,000-character post is not lost.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .schema import PolicyError

JUDGE_FILE = Path(__file__).resolve().parent / "model" / "judge.npz"
NGRAM_DIM = 1 << 16
_WORD = re.compile(r"[a-z0-9ñáéíóúü']+")
CLASSES = (
    "crisis", "dosing", "self_treatment", "combination", "manufacture", "sourcing",
    "information", "out_of_scope", "smalltalk",
)
REDIRECT_CLASSES = ("dosing", "self_treatment", "combination", "manufacture", "sourcing")
# crisis: the crisis reply. crisis_hint (lower, recall first): below the crisis threshold the
# message gets its ordinary reply with the crisis line put first ("if you are thinking of ending
# your life, you can talk to someone now: ...").
THRESHOLDS = ("crisis", "crisis_hint", "not_crisis", "redirect", "overrule", "smalltalk", "out_of_scope")
CALM_CLASSES = ("information", "out_of_scope", "smalltalk")
WINDOW_CHARS = 400   # a window is a run of whole sentences up to about this long
SINGLE_WINDOW_CHARS = 500  # shorter messages are one window
_SENTENCE = re.compile(r"(?<=[.!?\n])\s+")


def windows(text: str) -> list[str]:
    """The whole text first, then (for long texts) consecutive runs of sentences."""
    text = text.strip()
    if len(text) <= SINGLE_WINDOW_CHARS:
        return [text]
    out = [text]
    current = ""
    for sentence in _SENTENCE.split(text):
        while len(sentence) > WINDOW_CHARS:  # a "sentence" with no full stops: cut it
            if current:
                out.append(current)
                current = ""
            out.append(sentence[:WINDOW_CHARS])
            sentence = sentence[WINDOW_CHARS - 80 :]  # overlap, so no phrase is cut in two
        if current and len(current) + len(sentence) + 1 > WINDOW_CHARS:
            out.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        out.append(current)
    return out


def ngram_indices(folded: str) -> np.ndarray:
    """Hashed word, word-pair and character 4-gram features of normalized text (sorted, unique)."""
    words = _WORD.findall(folded)
    feats = {f"w:{w}" for w in words} | {f"b:{a} {b}" for a, b in zip(words, words[1:])}
    for w in words:
        padded = f" {w} "
        feats |= {f"c:{padded[i:i + 4]}" for i in range(max(1, len(padded) - 3))}
    return np.array(sorted({int.from_bytes(hashlib.blake2b(f.encode(), digest_size=4).digest(), "little") % NGRAM_DIM
                            for f in feats}), dtype=np.int64)


def ngram_value(indices: np.ndarray) -> float:
    """Each present feature's value: 1/sqrt(count), so the n-gram part has unit length."""
    return 1.0 / float(np.sqrt(max(1, len(indices))))


@dataclass(frozen=True)
class JudgeScores:
    """Class probabilities for a message (crisis and redirect: its most urgent window)."""

    probs: dict[str, float]

    @property
    def top(self) -> str:
        return max(self.probs, key=self.probs.__getitem__)

    @property
    def redirect(self) -> float:
        return sum(self.probs[c] for c in REDIRECT_CLASSES)

    @property
    def redirect_category(self) -> str:
        return max(REDIRECT_CLASSES, key=self.probs.__getitem__)

    def rounded(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in sorted(self.probs.items(), key=lambda kv: -kv[1]) if v >= 0.01}


@dataclass(frozen=True)
class Judge:
    weights: np.ndarray  # (classes, dim): embedding part
    ngram_weights: np.ndarray  # (classes, NGRAM_DIM): word part
    bias: np.ndarray  # (classes,)
    thresholds: dict[str, float]
    embedder: str
    data_hash: str
    meta: dict

    @classmethod
    def load(cls, path: Path = JUDGE_FILE) -> "Judge":
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except FileNotFoundError as exc:
            raise PolicyError(f"{path}: file not found; run 'kratom-assistant guard train'") from exc
        except (OSError, ValueError) as exc:
            raise PolicyError(f"{path}: not a judge file: {exc}") from exc
        if set(arrays) != {"meta", "weights", "ngram_weights", "bias"}:
            raise PolicyError(f"{path}: arrays must be exactly meta, weights, ngram_weights, bias")
        try:
            meta = json.loads(str(arrays["meta"]))
        except ValueError as exc:
            raise PolicyError(f"{path}: meta is not JSON: {exc}") from exc
        expected = {"version", "classes", "thresholds", "embedder", "data_hash", "calibration", "note", "ngram_dim"}
        if set(meta) != expected:
            raise PolicyError(f"{path}: meta keys must be exactly {', '.join(sorted(expected))}")
        if meta["version"] != 3 or tuple(meta["classes"]) != CLASSES or meta["ngram_dim"] != NGRAM_DIM:
            raise PolicyError(f"{path}: unsupported judge version, classes or feature size")
        thresholds = meta["thresholds"]
        if set(thresholds) != set(THRESHOLDS) or not all(0.0 < float(v) < 1.0 for v in thresholds.values()):
            raise PolicyError(f"{path}: thresholds must be exactly {', '.join(THRESHOLDS)}, each between 0 and 1")
        weights = arrays["weights"].astype(np.float32)
        ngram = arrays["ngram_weights"].astype(np.float32)
        bias = arrays["bias"].astype(np.float32)
        n = len(CLASSES)
        if weights.ndim != 2 or weights.shape[0] != n or ngram.shape != (n, NGRAM_DIM) or bias.shape != (n,):
            raise PolicyError(f"{path}: weight shapes do not match {n} classes")
        return cls(weights, ngram, bias, {k: float(v) for k, v in thresholds.items()}, meta["embedder"],
                   meta["data_hash"], meta)

    @property
    def dim(self) -> int:
        return int(self.weights.shape[1])

    def probabilities(self, vectors: np.ndarray, texts: list[str] | tuple[str, ...]) -> np.ndarray:
        """(n, classes) probabilities for (n, dim) embeddings of n normalized texts."""
        logits = vectors @ self.weights.T + self.bias
        for row, text in enumerate(texts):
            idx = ngram_indices(text)
            if len(idx):
                logits[row] += self.ngram_weights[:, idx].sum(axis=1) * ngram_value(idx)
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def score(self, vectors: np.ndarray, texts: list[str] | tuple[str, ...]) -> JudgeScores:
        """Scores for one message from its windows (whole normalized text first) and their embeddings."""
        if vectors.ndim != 2 or vectors.shape[0] == 0 or vectors.shape[1] != self.dim or len(texts) != vectors.shape[0]:
            raise ValueError(f"expected one (dim {self.dim}) embedding per window, got {vectors.shape} for {len(texts)}")
        probs = self.probabilities(vectors.astype(np.float32), texts)
        whole = probs[0].copy()
        if probs.shape[0] > 1:
            # The most urgent window decides: crisis anywhere is crisis, with that window's
            # own score (it is not diluted by the calm rest: renormalized, a window at 0.25
            # came out at 0.20 and a razor in the bathtub at the end of a withdrawal post
            # missed the crisis reply); a buried request counts, after crisis. The calm
            # classes keep the whole text's view and share what is left.
            crisis_idx = CLASSES.index("crisis")
            redirect_idx = [CLASSES.index(k) for k in REDIRECT_CLASSES]
            calm_idx = [i for i in range(len(CLASSES)) if i != crisis_idx and i not in redirect_idx]
            crisis = float(probs[:, crisis_idx].max())
            worst = int(probs[:, redirect_idx].sum(axis=1).argmax())
            redirect = probs[worst, redirect_idx] if probs[worst, redirect_idx].sum() > whole[redirect_idx].sum() \
                else whole[redirect_idx]
            redirect = redirect * min(1.0, (1.0 - crisis) / max(float(redirect.sum()), 1e-9))
            calm = whole[calm_idx]
            calm = calm * (max(0.0, 1.0 - crisis - float(redirect.sum())) / max(float(calm.sum()), 1e-9))
            whole[crisis_idx], whole[redirect_idx], whole[calm_idx] = crisis, redirect, calm
        return JudgeScores({c: float(p) for c, p in zip(CLASSES, whole)})
