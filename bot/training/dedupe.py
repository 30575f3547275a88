"""``python -m bot.training.dedupe``: keep every message in one split only.

Evaluation outranks calibration, which outranks training: a message found in a higher split
(or in the shared dev set or XSTest, which are evaluation data) is removed from the lower
one, and repeated messages within a split are kept once. Run it after adding data; the test
``tests/test_data_splits.py`` fails while any message is in two splits.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from .datasets import DATA, REPO, dedupe_key, split_files

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


def _texts(raw: dict) -> list[str]:
    return [t for t in [raw.get("text"), *(raw.get("turns") or [])] if isinstance(t, str)]


def dedupe(data_dir: Path = DATA, shared: Path = SHARED_EVAL) -> dict[str, int]:
    higher = shared_eval_keys(shared)
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
                clash = any(k in in_split for k in keys) or (split != "eval" and any(k in higher for k in keys))
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
    print(json.dumps(dedupe(), indent=1), file=sys.stderr)
