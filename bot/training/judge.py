"""``kratom-assistant guard train``: fit the judge on data/train, choose its thresholds on
data/calibrate, write guardrails/model/judge.json.

The head is a multinomial logistic regression (scikit-learn, lbfgs: deterministic for the
same data) over the all-MiniLM-L6-v2 embedding of each normalized message joined with its
hashed n-grams (``guardrails.judge.ngram_indices``). Its regularisation strength is the one
with the best macro-F1 on the calibration split. Long calm posts (information, out of scope,
small talk) also teach through each of their windows, at half weight: at run time the most
urgent window of a post decides crisis, so the judge must know a calm window when it sees one.

Thresholds, each chosen on the calibration split only (its labeled rows and its retrieval sets:
paraphrases as information questions, out-of-scope rows as such), with the rules in place:
- ``crisis_hint``: from this probability the reply carries the crisis line first: the lowest
  value at which at most ``MAX_FALSE_CRISIS`` of calibration non-crisis messages would reach it
  (recall first: as low as that bound allows), never above 0.5.
- ``crisis``: the judge gives the crisis reply (instead of any answer) from this probability:
  the same bound over the calibration non-crisis messages *and* its retrieval paraphrases (plain
  questions with an answer), at least ``crisis_hint``.
- ``not_crisis``: a one-window message over the ``crisis`` threshold whose highest
  information, out-of-scope or small-talk probability reaches this gets its reply with the
  crisis line first instead of the crisis reply: just above the highest such probability of
  any one-window calibration crisis message that only the judge catches, at least
  ``NOT_CRISIS_FLOOR``.
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
from guardrails.judge import CALM_CLASSES, CLASSES, JUDGE_FILE, REDIRECT_CLASSES

from .datasets import DATA, Row, all_texts, judge_rows, split_files

MAX_FALSE_CRISIS = 0.03  # recall first: a wrongly shown crisis line costs less than a missed one
MAX_INFO_AS_OOS = 0.01
MAX_WRONG_OVERRULE = 0.02
OVERRULE_FLOOR = 0.5
NOT_CRISIS_FLOOR = 0.65  # nearly sure of another class: well above an even split
NOT_CRISIS_MARGIN = 0.02
MAX_FALSE_REDIRECT = 0.01
MAX_FALSE_SMALLTALK = 0.01
C_GRID = (4.0, 16.0, 64.0)
REQUESTS = {"crisis", *REDIRECT_CLASSES}
CALM_LABELS = {"information", "out_of_scope", "smalltalk", *REDIRECT_CLASSES}  # no part of such a post is a crisis
WINDOW_WEIGHT = 0.5


def data_hash(rows: list[Row], calibration: list[Row]) -> str:
    digest = hashlib.sha256()
    for row in [*rows, *calibration]:
        marks = f"\t{row.crisis_sentence}\t{row.rest_label}" if row.crisis_sentence else ""
        digest.update(f"{row.text}\t{row.label}{marks}\n".encode())
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


def _fit(x, y: np.ndarray, c: float, weights: np.ndarray | None = None):  # noqa: ANN001, ANN202
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=5000)
    model.fit(x, y, sample_weight=weights)
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
    extended = calibration_rows(data_dir)  # + the retrieval calibration sets, for the crisis reply
    if not rows or not calibration:
        raise SystemExit(f"need labeled rows in {data_dir}/train and {data_dir}/calibrate")
    guard = InputGuard.from_files(require_judge=False)
    fold = lambda r: guard.read(r.text).folded  # noqa: E731 - the judge sees what it will see at run time
    texts = [fold(r) for r in rows]
    y = np.array([CLASSES.index(r.label) for r in rows])
    # At run time the most urgent window of a long post decides crisis and redirect, so the
    # judge must also know what the parts of a calm post look like: every window of a long
    # information, out-of-scope, small-talk or request post is one more example of its label (a
    # part of a calm post is calm; a request post has no crisis part), at a lower weight. The
    # windows of a crisis post are added only where the row names its crisis sentence (below):
    # otherwise which window holds the crisis is not labeled.
    from guardrails.judge import windows as _windows

    parts = [(w, label, WINDOW_WEIGHT) for t, label in zip(texts, y) if CLASSES[label] in CALM_LABELS
             for w in _windows(t)[1:]]
    # A crisis post that names its crisis sentence and is read in several windows: the
    # sentence alone is a crisis example, the windows without it examples of what the rest of
    # the post is, and neither the whole text nor the window holding the sentence is taught.
    # Both mostly say what the calm rest says; taught as crisis, they made every withdrawal
    # story look like a crisis (fits of 2026-12-02 and -03 with data/pending's 220 marked
    # posts: the crisis threshold rose 0.24 -> 0.40 / 0.49, calibration crisis recall fell to
    # 0.98 / 0.97). With the sentence alone: recall 1.0, threshold 0.30 (data/pending/README.md).
    keep = np.ones(len(texts), dtype=bool)  # the whole texts taught as they are
    for i, (row, t) in enumerate(zip(rows, texts)):
        if row.crisis_sentence:
            sentence = fold(Row(row.crisis_sentence, row.label, row.lang, "", (), ""))
            pieces = _windows(t)[1:]
            holds = [sentence in w for w in pieces]
            if sum(holds) == 1:  # else one window (or the sentence straddles two): the whole post only
                keep[i] = False
                parts += [(w, CLASSES.index(row.rest_label), WINDOW_WEIGHT) for w, h in zip(pieces, holds) if not h]
                parts.append((sentence, CLASSES.index("crisis"), 1.0))
    all_texts_ = [t for t, k in zip(texts, keep) if k] + [w for w, _, _ in parts]
    x = features(_embed(embedder, all_texts_), all_texts_)
    y = np.concatenate([y[keep], np.array([label for _, label, _ in parts], dtype=y.dtype)])
    weights = np.concatenate([np.ones(int(keep.sum())), np.array([wt for _, _, wt in parts])])
    ctexts = [fold(r) for r in calibration]
    xc = features(_embed(embedder, ctexts), ctexts)
    yc = np.array([CLASSES.index(r.label) for r in calibration])
    best = None
    for c in C_GRID:
        model = _fit(x, y, c, weights)
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
    # Only a hard crisis rule always gives crisis help; a soft one is overruled by a calm judge,
    # so what it catches still counts on the judge's scores here.
    hard_crisis = lambda t: guard._crisis_rules(t)[0] is not None  # noqa: E731
    rule_crisis = np.array([hard_crisis(fold(r)) for r in calibration])
    soft = np.array([(lambda m: m is not None and m.strength == "soft")(guard._first_match(fold(r), "redirect"))
                     for r in calibration])
    is_crisis = np.array([lab == "crisis" for lab in labels])
    is_request = np.array([lab in REQUESTS for lab in labels])

    hint_t = min(0.5, _lowest_with_false_rate(p["crisis"][~is_crisis & ~rule_crisis], MAX_FALSE_CRISIS))
    # The crisis reply itself replaces the answer, so its threshold is chosen over every plain
    # question of the calibration split too (retrieval paraphrases): at most MAX_FALSE_CRISIS of
    # those get the crisis reply instead of their answer. Between the two thresholds the answer
    # comes with the crisis line first.
    extra = extended[len(calibration):]
    extra_texts = [fold(r) for r in extra]
    extra_crisis = np.array([fitted.score(_embed(embedder, parts), parts).probs["crisis"]
                             for parts in (windows(t) for t in extra_texts)])
    extra_rule = np.array([hard_crisis(t) for t in extra_texts], dtype=bool)
    negatives = np.concatenate([p["crisis"][~is_crisis & ~rule_crisis], extra_crisis[~extra_rule]])
    crisis_t = max(hint_t, min(0.5, _lowest_with_false_rate(negatives, MAX_FALSE_CRISIS)))
    # A judged crisis that the judge is nearly sure is calm (small talk, off topic, a question)
    # gets its reply with the crisis line first instead of the crisis reply. The bar sits above
    # the calm score of every one-window crisis message of the calibration split that only the
    # judge catches, so none of them loses its crisis reply; never below the floor.
    other = np.max(np.stack([p[c] for c in CALM_CLASSES]), axis=0)
    single = np.array([len(windows(t)) == 1 for t in ctexts])  # the only messages it applies to
    judged_crisis = (p["crisis"] >= crisis_t) & ~rule_crisis & single
    other_t = min(0.99, max(NOT_CRISIS_FLOOR, float(other[judged_crisis & is_crisis].max(initial=0.0)) + NOT_CRISIS_MARGIN))
    redirect_sum = sum(p[c] for c in REDIRECT_CLASSES)
    redirect_t = max(0.3, _lowest_with_false_rate(redirect_sum[~is_request], MAX_FALSE_REDIRECT))
    caught_by_soft = is_request & soft & ~rule_crisis
    not_request = np.maximum(p["information"], p["out_of_scope"])
    overrule_t = max(OVERRULE_FLOOR, _lowest_with_false_rate(not_request[caught_by_soft], MAX_WRONG_OVERRULE))
    is_small = np.array([lab == "smalltalk" for lab in labels])
    smalltalk_t = max(0.3, _lowest_with_false_rate(p["smalltalk"][~is_small], MAX_FALSE_SMALLTALK))
    is_info = np.array([lab == "information" for lab in labels])
    oos_t = max(0.3, _lowest_with_false_rate(p["out_of_scope"][is_info], MAX_INFO_AS_OOS))
    thresholds = {"crisis": round(crisis_t, 4), "crisis_hint": round(hint_t, 4), "not_crisis": round(other_t, 4), "redirect": round(redirect_t, 4), "overrule": round(overrule_t, 4),
                  "smalltalk": round(smalltalk_t, 4), "out_of_scope": round(oos_t, 4)}
    calibration_report = {
        "n_train": len(rows), "n_train_windows": len(parts), "n_calibrate": len(calibration), "C": c, "macro_f1_calibrate": round(float(f1), 4),
        "train_labels": dict(sorted(Counter(r.label for r in rows).items())),
        "crisis_recall_calibrate": round(float((((p["crisis"] >= crisis_t) & (other < other_t)) | rule_crisis)[is_crisis].mean()), 4),
        "kept_from_crisis_reply_calibrate": int((judged_crisis & (other >= other_t) & ~is_crisis).sum()),
        "crisis_help_recall_calibrate": round(float(((p["crisis"] >= hint_t) | rule_crisis)[is_crisis].mean()), 4),
        "false_crisis_calibrate": round(float((((p["crisis"] >= crisis_t) & (other < other_t)) & ~is_crisis).mean()), 4),
        "questions_with_crisis_reply_calibrate": round(float((extra_crisis >= crisis_t)[~extra_rule].mean()), 4),
    }
    meta = {
        "version": 3,
        "note": "Fitted by 'kratom-assistant guard train' on data/train; thresholds from data/calibrate. Do not edit by hand.",
        "classes": list(CLASSES), "embedder": embedder.name, "ngram_dim": NGRAM_DIM,
        "data_hash": data_hash(rows, extended), "thresholds": thresholds, "calibration": calibration_report,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as handle:  # np.savez_compressed writes the same bytes for the same arrays
        np.savez_compressed(handle, meta=np.array(json.dumps(meta, sort_keys=True)), weights=coef[:, :dim],
                            ngram_weights=coef[:, dim:], bias=model.intercept_.astype(np.float32))
    return {"thresholds": thresholds, **calibration_report}


def calibration_rows(data_dir: Path = DATA) -> list[Row]:
    """The labeled calibration rows, and the retrieval calibration sets read as what they are:
    every paraphrase is an information question (it is answered by its entry) and every
    out-of-scope row is out of scope. Without them the crisis threshold was chosen on too few
    plain questions: 0.11, at which about one information paraphrase in fifteen ("when does oxy
    withdrawal finally stop") got the crisis reply."""
    import json

    rows = judge_rows("calibrate", data_dir)
    for path in split_files("calibrate", data_dir):
        first = path.read_text(encoding="utf-8").lstrip().split("\n", 1)[0]
        if '"label"' in first:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            raw = json.loads(line)
            label = "information" if raw.get("entry_id") else "out_of_scope"
            lang = "es" if path.stem.endswith("-es") else "en"
            rows.append(Row(text=raw["text"], label=label, lang=lang, group=f"retrieval:{path.stem}",
                            accept=(), source=path.name))
    return rows


def current_data_hash(data_dir: Path = DATA) -> str:
    return data_hash(judge_rows("train", data_dir), calibration_rows(data_dir))
