"""``python -m bot.training.dedupe``: keep every message in one split only.

Evaluation outranks calibration, which outranks training: a message found in a higher split
(or in the shared dev set or XSTest, which are evaluation data) is removed from the lower
one, and repeated messages within a split are kept once. Run it after adding data; the test
``tests/test_data_splits.py`` fails while any message is in two splits.

The knowledge base's questions and phrasings are what retrieval is fitted on (they are the
index), so they count as training data: a calibration or evaluation row that is word for word
a KB text is removed from its split (the entry keeps its phrasing). ``--kb-check`` only lists
such clashes, and the KB texts that repeat the shared dev set or XSTest.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from .datasets import DATA, REPO, all_texts, dedupe_key, split_files

SHARED_EVAL = REPO.parent / "shared" / "eval"


def shared_eval_keys(shared: Path = SHARED_EVAL) -> set[str]:
    keys: set[str] = set()
    dev = shared / "dev-routes.jsonl"
    if dev.exists():
        keys |= {dedupe_key(json.loads(line)["text"]) for line in dev.read_text(encoding="utf-8").splitlines() if line.strip()}
    xstest = shared / "xstest_prompts.csv"
    if xstest.exists():
        with xstest.open(encoding="utf-8") as handle:
            keys |= {dedupe_key(row["prompt"]) for row in csv.DictReader(handle)}
    return keys


def kb_keys() -> dict[str, str]:
    """dedupe key -> entry id, for every question and phrasing (English and Spanish) in the KB."""
    from knowledge.entry import load_entries

    keys: dict[str, str] = {}
    for entry in load_entries():
        texts = [entry.question, *entry.phrasings]
        if entry.es is not None:
            texts += [entry.es.question, *entry.es.phrasings]
        for text in texts:
            keys.setdefault(dedupe_key(text), entry.id)
    return keys


def kb_clashes(data_dir: Path = DATA, shared: Path = SHARED_EVAL) -> dict[str, list[str]]:
    """Where a KB text is also a calibration/evaluation row or a shared evaluation message."""
    kb = kb_keys()
    out: dict[str, list[str]] = {}
    for split in ("calibrate", "eval"):
        for key, name in all_texts(split_files(split, data_dir)).items():
            if key in kb:
                out.setdefault(f"{split}/{name}", []).append(f"{kb[key]}: {key}")
    for key in sorted(set(kb) & shared_eval_keys(shared)):
        out.setdefault("shared", []).append(f"{kb[key]}: {key}")
    return out


def _texts(raw: dict) -> list[str]:
    return [t for t in [raw.get("text"), *(raw.get("turns") or [])] if isinstance(t, str)]


def dedupe(data_dir: Path = DATA, shared: Path = SHARED_EVAL) -> dict[str, int]:
    higher = shared_eval_keys(shared)
    kb = set(kb_keys())
    removed: dict[str, int] = {}
    for split in ("eval", "calibrate", "train"):
        in_split: set[str] = set()
        for path in split_files(split, data_dir):
            kept, dropped = [], 0
            for line in path.read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    continue
                keys = [dedupe_key(t) for t in _texts(json.loads(line))]
                # Evaluation keeps the shared sets' overlaps (they are evaluation data too).
                clash = (any(k in in_split for k in keys) or (split != "eval" and any(k in higher for k in keys))
                         or (split != "train" and any(k in kb for k in keys)))
                if clash:
                    dropped += 1
                    continue
                in_split.update(keys)
                kept.append(line)
            if dropped:
                path.write_text("\n".join(kept) + "\n", encoding="utf-8")
                removed[f"{split}/{path.name}"] = dropped
        higher |= in_split
    return removed


if __name__ == "__main__":
    if "--kb-check" in sys.argv[1:]:
        print(json.dumps(kb_clashes(), indent=1, ensure_ascii=False))
    else:
        print(json.dumps(dedupe(), indent=1), file=sys.stderr)
