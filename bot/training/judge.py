"""``kratom-assistant guard train``: fit the judge on data/train, choose its thresholds on
data/calibrate, write guardrails/model/judge.json.

The head is a multinomial logistic regression (scikit-learn, lbfgs: deterministic for the
same data) over the all-MiniLM-L6-v2 embedding of each normalized message joined with its
hashed n-grams (``guardrails.judge.ngram_indices``). Its regularisation strength is the one
with the best macro-F1 on the calibration split.

Thresholds, each chosen on the calibration split only, with the rules in place:
- ``crisis``: the judge adds crisis from this probability: the lowest value at which at most
  ``MAX_FALSE_CRISIS`` of calibration non-crisis messages would get the crisis reply (recall
  first: as low as that bound allows), never above 0.5.
- ``redirect``: the judge adds a redirect from this summed probability: the lowest value at
  which at most ``MAX_FALSE_REDIRECT`` of calibration non-requests would be redirected.
- ``overrule``: a soft rule is overruled from this information / out-of-scope probability:
  the lowest value at which at most ``MAX_WRONG_OVERRULE`` of the calibration requests that a
  soft rule catches would be let through, and at least ``OVERRULE_FLOOR``.
- ``out_of_scope``: a message the judge calls off topic from this probability falls back even
  if retrieval found a weak match: the lowest value at which at most ``MAX_INFO_AS_OOS`` of
  calibration information questions would be sent to fallback.
- ``smalltalk``: a message no small-talk pattern matched is small talk from this probability:
  the lowest value with at most ``MAX_FALSE_SMALLTALK`` of other calibration messages above it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import numpy as np

from guardrails.engine import InputGuard
from guardrails.judge import CLASSES, JUDGE_FILE, REDIRECT_CLASSES

from .datasets import DATA, Row, all_texts, judge_rows, split_files

MAX_FALSE_CRISIS = 0.03  # recall first: a wrongly shown crisis line costs less than a missed one
MAX_INFO_AS_OOS = 0.01
MAX_WRONG_OVERRULE = 0.02
OVERRULE_FLOOR = 0.5
MAX_FALSE_REDIRECT = 0.01
MAX_FALSE_SMALLTALK = 0.01
C_GRID = (4.0, 16.0, 64.0)
REQUESTS = {"crisis", *REDIRECT_CLASSES}


def data_hash(rows: list[Row], calibration: list[Row]) -> str:
    digest = hashlib.sha256()
    for row in [*rows, *calibration]:
        digest.update(f"{row.text}\t{row.label}\n".encode())
    return digest.hexdigest()[:16]


def check_splits(data_dir: Path = DATA) -> None:
    """Refuse to train if any message is in two splits."""
    seen: dict[str, dict[str, str]] = {s: all_texts(split_files(s, data_dir)) for s in ("train", "calibrate", "eval")}
    for a, b in (("train", "calibrate"), ("train", "eval"), ("calibrate", "eval")):
        both = set(seen[a]) & set(seen[b])
        if both:
            example = sorted(both)[0]
            raise SystemExit(f"{len(both)} message(s) are in both {a} and {b}, e.g. {example!r}")


def _embed(embedder, texts: list[str]) -> np.ndarray:  # noqa: ANN001
    return embedder.embed(texts)


def features(vectors: np.ndarray, texts: list[str]):  # noqa: ANN201 - a scipy sparse matrix
    """[embedding ; hashed n-grams] for each text, as the judge computes them at run time."""
    from scipy import sparse

    from guardrails.judge import NGRAM_DIM, ngram_indices, ngram_value

    data, indices, indptr = [], [], [0]
    for text in texts:
        idx = ngram_indices(text)
        indices.extend(idx.tolist())
        data.extend([ngram_value(idx)] * len(idx))
        indptr.append(len(indices))
    ngrams = sparse.csr_matrix((data, indices, indptr), shape=(len(texts), NGRAM_DIM), dtype=np.float32)
    return sparse.hstack([sparse.csr_matrix(vectors), ngrams]).tocsr()


def _fit(x, y: np.ndarray, c: float):  # noqa: ANN001, ANN202
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=5000)
    model.fit(x, y)
    return model


def _lowest_with_false_rate(neg_scores: np.ndarray, max_rate: float) -> float:
    """The lowest threshold at which at most ``max_rate`` of these scores reach it."""
    if len(neg_scores) == 0:
        return 0.5
    allowed = int(np.floor(max_rate * len(neg_scores)))
    ordered = np.sort(neg_scores)[::-1]
    return float(min(0.99, ordered[allowed] + 1e-4)) if allowed < len(ordered) else 0.01


def train(embedder, data_dir: Path = DATA, out: Path = JUDGE_FILE) -> dict:  # noqa: ANN001
    from sklearn.metrics import f1_score

    check_splits(data_dir)
    rows = judge_rows("train", data_dir)
    calibration = judge_rows("calibrate", data_dir)
    if not rows or not calibration:
        raise SystemExit(f"need labeled rows in {data_dir}/train and {data_dir}/calibrate")
    guard = InputGuard.from_files(require_judge=False)
    fold = lambda r: guard.read(r.text).folded  # noqa: E731 - the judge sees what it will see at run time
    texts = [fold(r) for r in rows]
    x = features(_embed(embedder, texts), texts)
    y = np.array([CLASSES.index(r.label) for r in rows])
    ctexts = [fold(r) for r in calibration]
    xc = features(_embed(embedder, ctexts), ctexts)
    yc = np.array([CLASSES.index(r.label) for r in calibration])
    best = None
    for c in C_GRID:
        model = _fit(x, y, c)
        f1 = f1_score(yc, model.predict(xc), average="macro")
        if best is None or f1 > best[0] + 1e-9:
            best = (f1, c, model)
    assert best is not None
    f1, c, model = best
    # Every class must be present in training for the weight rows to line up with CLASSES.
    if list(model.classes_) != list(range(len(CLASSES))):
        raise SystemExit("every label needs training rows")
    # Thresholds are chosen on the scores the judge gives at run time: whole text plus, for
    # long messages, the most urgent window (Judge.score), not on whole-text probabilities.
    from guardrails.judge import NGRAM_DIM, Judge, windows

    coef = model.coef_.astype(np.float32)
    dim = x.shape[1] - NGRAM_DIM
    fitted = Judge(coef[:, :dim], coef[:, dim:], model.intercept_.astype(np.float32), {}, embedder.name, "", {})
    probs = np.array([[fitted.score(_embed(embedder, parts), parts).probs[c] for c in CLASSES]
                      for parts in (windows(t) for t in ctexts)])
    p = {name: probs[:, i] for i, name in enumerate(CLASSES)}
    labels = [r.label for r in calibration]
    rule_crisis = np.array([guard._first_match(fold(r), "crisis") is not None for r in calibration])
    soft = np.array([(lambda m: m is not None and m.strength == "soft")(guard._first_match(fold(r), "redirect"))
                     for r in calibration])
    is_crisis = np.array([lab == "crisis" for lab in labels])
    is_request = np.array([lab in REQUESTS for lab in labels])

    crisis_t = min(0.5, _lowest_with_false_rate(p["crisis"][~is_crisis & ~rule_crisis], MAX_FALSE_CRISIS))
    redirect_sum = sum(p[c] for c in REDIRECT_CLASSES)
    redirect_t = max(0.3, _lowest_with_false_rate(redirect_sum[~is_request], MAX_FALSE_REDIRECT))
    caught_by_soft = is_request & soft & ~rule_crisis
    not_request = np.maximum(p["information"], p["out_of_scope"])
    overrule_t = max(OVERRULE_FLOOR, _lowest_with_false_rate(not_request[caught_by_soft], MAX_WRONG_OVERRULE))
    is_small = np.array([lab == "smalltalk" for lab in labels])
    smalltalk_t = max(0.3, _lowest_with_false_rate(p["smalltalk"][~is_small], MAX_FALSE_SMALLTALK))
    is_info = np.array([lab == "information" for lab in labels])
    oos_t = max(0.3, _lowest_with_false_rate(p["out_of_scope"][is_info], MAX_INFO_AS_OOS))
    thresholds = {"crisis": round(crisis_t, 4), "redirect": round(redirect_t, 4), "overrule": round(overrule_t, 4),
                  "smalltalk": round(smalltalk_t, 4), "out_of_scope": round(oos_t, 4)}
    calibration_report = {
        "n_train": len(rows), "n_calibrate": len(calibration), "C": c, "macro_f1_calibrate": round(float(f1), 4),
        "train_labels": dict(sorted(Counter(r.label for r in rows).items())),
        "crisis_recall_calibrate": round(float(((p["crisis"] >= crisis_t) | rule_crisis)[is_crisis].mean()), 4),
        "false_crisis_calibrate": round(float(((p["crisis"] >= crisis_t) & ~is_crisis).mean()), 4),
    }
    meta = {
        "version": 3,
        "note": "Fitted by 'kratom-assistant guard train' on data/train; thresholds from data/calibrate. Do not edit by hand.",
        "classes": list(CLASSES), "embedder": embedder.name, "ngram_dim": NGRAM_DIM,
        "data_hash": data_hash(rows, calibration), "thresholds": thresholds, "calibration": calibration_report,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as handle:  # np.savez_compressed writes the same bytes for the same arrays
        np.savez_compressed(handle, meta=np.array(json.dumps(meta, sort_keys=True)), weights=coef[:, :dim],
                            ngram_weights=coef[:, dim:], bias=model.intercept_.astype(np.float32))
    return {"thresholds": thresholds, **calibration_report}


def current_data_hash(data_dir: Path = DATA) -> str:
    return data_hash(judge_rows("train", data_dir), judge_rows("calibrate", data_dir))
