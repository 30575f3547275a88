"""A small linear model over hashed character and word n-grams: recall for unseen phrasings.

The rules in policy.yml are precise and explainable but miss wordings nobody wrote down
("the pills are lined up on the counter"). This model, trained on the labeled messages kept in
the repository (``kratom-assistant guard train``), adds recall behind the rules: it can only
*add* a crisis or redirect verdict, never remove one. Inference is pure Python (a few hundred
dictionary look-ups), deterministic, and runs in both environments; the weights live in
``guardrails/model/guard-model.json`` with the hash of the data they came from.

    >>> model = GuardModel.load()
    >>> model.probabilities("i'm done with everything, the pills are lined up")["crisis"] > 0.5
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from .normalize import normalize
from .schema import PolicyError

MODEL_FILE = Path(__file__).resolve().parent / "model" / "guard-model.json"
DIM = 1 << 18
_WORD = re.compile(r"[a-z0-9']+|[^\sa-z0-9']")


def _bucket(feature: str) -> int:
    return int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=4).digest(), "little") % DIM


def features(text: str) -> dict[int, float]:
    """L2-normalised binary features: words, word pairs, and 3-5 character pieces of words."""
    folded = normalize(text).text
    words = _WORD.findall(folded)
    feats = {f"w:{w}" for w in words}
    feats |= {f"b:{a} {b}" for a, b in zip(words, words[1:])}
    for w in words:
        padded = f" {w} "
        for n in (3, 4, 5):
            feats |= {f"c:{padded[i:i + n]}" for i in range(max(1, len(padded) - n + 1))}
    buckets: dict[int, float] = {}
    for f in feats:
        b = _bucket(f)
        buckets[b] = 1.0
    norm = math.sqrt(len(buckets)) or 1.0
    return {b: v / norm for b, v in buckets.items()}


@dataclass(frozen=True)
class GuardModel:
    classes: tuple[str, ...]
    intercepts: tuple[float, ...]
    weights: tuple[dict[int, float], ...]
    thresholds: dict[str, float]
    data_hash: str

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> "GuardModel":
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise PolicyError(f"{path}: file not found") from exc
        except ValueError as exc:
            raise PolicyError(f"{path}: not valid JSON: {exc}") from exc
        expected = {"version", "classes", "intercepts", "weights", "thresholds", "data_hash", "dim", "note"}
        if set(raw) != expected:
            raise PolicyError(f"{path}: keys must be exactly {', '.join(sorted(expected))}")
        if raw["version"] != 1 or raw["dim"] != DIM:
            raise PolicyError(f"{path}: unsupported model version or feature size")
        classes = tuple(raw["classes"])
        if set(raw["thresholds"]) - set(classes):
            raise PolicyError(f"{path}: thresholds name unknown classes")
        return cls(
            classes=classes,
            intercepts=tuple(float(x) for x in raw["intercepts"]),
            weights=tuple({int(k): float(v) for k, v in w.items()} for w in raw["weights"]),
            thresholds={k: float(v) for k, v in raw["thresholds"].items()},
            data_hash=raw["data_hash"],
        )

    def probabilities(self, text: str) -> dict[str, float]:
        x = features(text)
        scores = [
            b + sum(w.get(i, 0.0) * v for i, v in x.items())
            for b, w in zip(self.intercepts, self.weights)
        ]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps)}

    def verdict(self, text: str) -> str | None:
        """The class whose probability passes its threshold (crisis first), or None."""
        probs = self.probabilities(text)
        for cls in ("crisis", "redirect"):
            if cls in self.thresholds and probs.get(cls, 0.0) >= self.thresholds[cls]:
                return cls
        return None
