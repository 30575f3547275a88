"""``kratom-assistant guard train``: fit the guardrail's linear model from labeled data in the repo.

Training data (all in the repository): the labeled route sets tests/eval/routes-*.jsonl and
holdout-routes.jsonl, the paraphrase and out-of-scope sets (as "other"), every policy rule's
fire/pass examples, and guardrails/model/training/*.jsonl ({"text", "label"}: messages written
only to train this model). Kept out, to measure on: the shared dev set, XSTest, and
tests/eval/holdout2-routes.jsonl. Deterministic: the same data gives the same file.

Thresholds come from 5-fold cross-validation: the lowest probability at which at most 1% of
"other" messages would be flagged, for crisis and for redirect separately.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import yaml

from guardrails.classifier import DIM, MODEL_FILE, features

REPO = Path(__file__).resolve().parent.parent
EVAL = REPO / "tests" / "eval"
ROUTE_SETS = ["routes-en.jsonl", "routes-obfuscated.jsonl", "routes-es.jsonl", "holdout-routes.jsonl"]
OTHER_SETS = ["paraphrases.jsonl", "out-of-scope.jsonl"]
CLASSES = ("crisis", "redirect", "other")
MAX_FALSE_FLAG = 0.01


def label_of(accept: list[str]) -> str:
    if accept == ["crisis"]:
        return "crisis"
    if "redirect" in accept and "answer" not in accept:
        return "redirect"
    return "other"


def training_data() -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for name in ROUTE_SETS:
        for line in (EVAL / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                rows.append((item["text"], label_of(item["accept"])))
    for name in OTHER_SETS:
        for line in (EVAL / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append((json.loads(line)["text"], "other"))
    for path in sorted((REPO / "guardrails" / "model" / "training").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                if item["label"] not in CLASSES:
                    raise ValueError(f"{path}: unknown label {item['label']!r}")
                rows.append((item["text"], item["label"]))
    policy = yaml.safe_load((REPO / "guardrails" / "policy.yml").read_text(encoding="utf-8"))
    for rule in policy["rules"]:
        for text in rule["examples"]["fire"]:
            rows.append((text, rule["route"]))
        for text in rule["examples"].get("pass", []):
            rows.append((text, "other"))
    seen, unique = set(), []
    for text, label in rows:
        if text not in seen:
            seen.add(text)
            unique.append((text, label))
    return unique


def _matrix(texts: list[str]):
    from scipy.sparse import csr_matrix

    indptr, indices, data = [0], [], []
    for text in texts:
        feats = features(text)
        keys = sorted(feats)
        indices.extend(keys)
        data.extend(feats[k] for k in keys)
        indptr.append(len(indices))
    return csr_matrix((data, indices, indptr), shape=(len(texts), DIM))


def _fit(X, y):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=8.0, class_weight="balanced", max_iter=5000, solver="lbfgs")
    model.fit(X, y)
    return model


def train(out: Path = MODEL_FILE) -> dict:
    from sklearn.model_selection import StratifiedKFold

    rows = training_data()
    texts = [t for t, _ in rows]
    y = np.array([CLASSES.index(label) for _, label in rows])
    X = _matrix(texts)
    probs = np.zeros((len(rows), len(CLASSES)))
    for train_idx, test_idx in StratifiedKFold(5, shuffle=True, random_state=0).split(X, y):
        fold = _fit(X[train_idx], y[train_idx])
        probs[test_idx] = fold.predict_proba(X[test_idx])[:, np.argsort(fold.classes_)]
    thresholds, cv = {}, {}
    other = y == CLASSES.index("other")
    for cls in ("crisis", "redirect"):
        k = CLASSES.index(cls)
        flagged = np.sort(probs[other, k])[::-1]
        cut = flagged[int(MAX_FALSE_FLAG * other.sum())] if other.sum() else 0.5
        thresholds[cls] = round(float(max(cut + 1e-6, 0.5)), 4)
        positives = y == k
        cv[cls] = {"recall": round(float((probs[positives, k] >= thresholds[cls]).mean()), 4),
                   "false_flag_rate_on_other": round(float((probs[other, k] >= thresholds[cls]).mean()), 4)}
    model = _fit(X, y)
    order = np.argsort(model.classes_)
    coef, intercept = model.coef_[order], model.intercept_[order]
    weights = []
    for row in coef:
        nz = np.nonzero(np.abs(row) >= 1e-3)[0]
        weights.append({str(int(i)): round(float(row[i]), 4) for i in nz})
    data_hash = hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()[:16]
    payload = {
        "version": 1,
        "dim": DIM,
        "classes": list(CLASSES),
        "intercepts": [round(float(b), 4) for b in intercept],
        "weights": weights,
        "thresholds": thresholds,
        "data_hash": data_hash,
        "note": "made by `kratom-assistant guard train`; see bot/guard_training.py. "
                f"{len(rows)} messages; 5-fold CV: {json.dumps(cv)}",
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
    return {"messages": len(rows), "thresholds": thresholds, "cv": cv, "data_hash": data_hash,
            "bytes": out.stat().st_size}


def main() -> int:
    result = train()
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
