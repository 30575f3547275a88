"""The labeled data, split by use: ``data/train`` fits, ``data/calibrate`` chooses thresholds,
``data/eval`` grades. Paths are passed in; nothing here reaches into ``tests/``.

Row format and labels: ``data/LABELS.md``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from guardrails.judge import CLASSES
from guardrails.normalize import normalize

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
SPLITS = ("train", "calibrate", "eval")
ROUTE_OF = {"crisis": "crisis", "information": "answer", "out_of_scope": "fallback", "smalltalk": "smalltalk",
            **{c: "redirect" for c in ("dosing", "self_treatment", "combination", "manufacture", "sourcing")}}


class DataError(ValueError):
    """A data file has a malformed row."""


@dataclass(frozen=True)
class Row:
    text: str
    label: str
    lang: str
    group: str
    accept: tuple[str, ...]
    source: str
    # A long crisis post may name the one sentence that makes it a crisis, and the label of the
    # rest of it: then the window holding that sentence is a crisis example and the other
    # windows examples of the rest's label (bot/training/judge.py).
    crisis_sentence: str = ""
    rest_label: str = ""

    @property
    def key(self) -> str:
        return dedupe_key(self.text)


def dedupe_key(text: str) -> str:
    """What makes two messages the same message: normalized, punctuation and spacing ignored."""
    folded = normalize(text).text
    return re.sub(r"[\W_]+", " ", folded).strip() or folded.strip() or text


def read_rows(path: Path) -> list[Row]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except ValueError as exc:
            raise DataError(f"{path}:{number}: not JSON: {exc}") from exc
        label = raw.get("label")
        if label not in CLASSES:
            raise DataError(f"{path}:{number}: label {label!r} is not one of {', '.join(CLASSES)}")
        if raw.get("lang") not in ("en", "es") or not isinstance(raw.get("text"), str) or not raw["text"].strip():
            raise DataError(f"{path}:{number}: needs text and lang en/es")
        accept = tuple(raw.get("accept") or (ROUTE_OF[label],))
        sentence, rest = str(raw.get("crisis_sentence") or ""), str(raw.get("rest_label") or "")
        if sentence and (label != "crisis" or raw["text"].count(sentence) != 1 or rest not in CLASSES or rest == "crisis"):
            raise DataError(f"{path}:{number}: a crisis_sentence needs label crisis, to occur once in the text,"
                            " and a rest_label that is not crisis")
        rows.append(Row(raw["text"], label, raw["lang"], str(raw.get("group", "")), accept, path.name,
                        sentence, rest if sentence else ""))
    return rows


def split_files(split: str, data_dir: Path = DATA, pattern: str = "*.jsonl") -> list[Path]:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    return sorted((data_dir / split).glob(pattern))


def judge_rows(split: str, data_dir: Path = DATA) -> list[Row]:
    """Every labeled route row of a split (retrieval sets, which have no label, are skipped)."""
    rows: list[Row] = []
    for path in split_files(split, data_dir):
        first = path.read_text(encoding="utf-8").lstrip().split("\n", 1)[0]
        if "label" not in json.loads(first):  # a long post's label may come after 400 characters
            continue
        rows.extend(read_rows(path))
    return rows


def all_texts(paths: Iterable[Path]) -> dict[str, str]:
    """dedupe key -> file name, for every text in the given JSON-lines files (any format)."""
    seen: dict[str, str] = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                raw = json.loads(line)
                for text in [raw.get("text"), *(raw.get("turns") or [])]:
                    if isinstance(text, str):
                        seen.setdefault(dedupe_key(text), path.name)
    return seen
