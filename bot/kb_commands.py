"""``kratom-assistant kb ...``: validate, build, stats and calibrate the knowledge base."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from knowledge.entry import ENTRIES_DIR
from knowledge.index import DEFAULT_INDEX_DIR, build_index, index_hash, save_index, stored_hash
from knowledge.retriever import RETRIEVAL_CONFIG
from knowledge.validate import validate

REPO = Path(__file__).resolve().parent.parent
PARAPHRASES = REPO / "tests" / "eval" / "paraphrases.jsonl"
OUT_OF_SCOPE = REPO / "tests" / "eval" / "out-of-scope.jsonl"


def _embedder():
    from knowledge.embedder import MiniLMEmbedder

    return MiniLMEmbedder()


def do_validate(require_clinical: bool, embeddings: bool = True) -> int:
    entries, problems = validate(
        embedder=_embedder() if embeddings else None, require_clinical_review=require_clinical
    )
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"kb validate: {len(problems)} problem(s) in {len(entries)} entries", file=sys.stderr)
        return 1
    pending = sum(e.clinical_review is None for e in entries)
    print(f"kb validate: {len(entries)} entries OK ({pending} awaiting clinical review)")
    return 0


def do_build(force: bool) -> int:
    embedder = _embedder()
    wanted = index_hash(ENTRIES_DIR, embedder.name)
    if not force and stored_hash(DEFAULT_INDEX_DIR) == wanted:
        print("kb build: index is up to date")
        return 0
    entries, problems = validate(embedder=embedder)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        print("kb build: not building, fix the problems above first", file=sys.stderr)
        return 1
    index = build_index(entries, embedder, hash_=wanted, progress=sys.stderr.isatty())
    save_index(index, DEFAULT_INDEX_DIR)
    print(f"kb build: {len(entries)} entries, {index.vectors.shape[0]} rows -> {DEFAULT_INDEX_DIR}")
    return 0


def do_stats() -> int:
    entries, problems = validate()
    today = dt.date.today()
    tags = Counter(t for e in entries for t in e.tags)
    domains = Counter(urlparse(s.url).hostname for e in entries for s in e.sources)
    due = sorted((e.review_by, e.id) for e in entries if e.review_by <= today + dt.timedelta(days=60))
    print(f"{len(entries)} entries, {len(problems)} validation problem(s), "
          f"{sum(e.clinical_review is None for e in entries)} awaiting clinical review")
    print("\nentries per tag:")
    for tag, n in tags.most_common():
        print(f"  {n:3d}  {tag}")
    from statistics import median

    from knowledge.readability import grade_level

    grades = sorted((round(grade_level(e.answer), 1), e.id) for e in entries)
    print(f"\nreading level (Flesch-Kincaid grade): median {median(g for g, _ in grades)}; hardest:")
    for grade, entry_id in grades[-5:][::-1]:
        print(f"  {grade:5.1f}  {entry_id}")
    print("\ndue for review in the next 60 days:")
    for day, entry_id in due or [("-", "none")]:
        print(f"  {day}  {entry_id}")
    print("\nsources per domain:")
    for domain, n in domains.most_common():
        print(f"  {n:3d}  {domain}")
    return 0


def calibrate(kb, paraphrases: list[dict], out_of_scope: list[dict]) -> dict:
    """Pick the threshold halfway between the worst in-scope and best out-of-scope margins.

    Candidates run over every observed score; the chosen one maximises
    (in-scope answered + out-of-scope refused), ties broken toward the middle of the gap.
    """
    pos = np.array([kb.search(r["text"], 1)[0].score for r in paraphrases])
    neg = np.array([kb.search(r["text"], 1)[0].score for r in out_of_scope])
    grid = np.round(np.arange(0.30, 0.70, 0.005), 3)
    best = max(
        grid,
        key=lambda t: (np.mean(pos >= t) + np.mean(neg < t), -abs(t - (np.percentile(pos, 5) + neg.max()) / 2)),
    )
    return {
        "threshold": float(best),
        "in_scope_answered": float(np.mean(pos >= best)),
        "out_of_scope_fallback": float(np.mean(neg < best)),
        "in_scope_p5_score": float(np.percentile(pos, 5)),
        "out_of_scope_max_score": float(neg.max()),
        "n_in_scope": int(len(pos)),
        "n_out_of_scope": int(len(neg)),
    }


def do_calibrate(write: bool) -> int:
    from knowledge.retriever import KnowledgeBase

    kb = KnowledgeBase.load(embedder=_embedder())
    load = lambda p: [json.loads(l) for l in p.read_text(encoding="utf-8").splitlines() if l.strip()]  # noqa: E731
    result = calibrate(kb, load(PARAPHRASES), load(OUT_OF_SCOPE))
    for key, value in result.items():
        print(f"{key:24s} {value}")
    if write:
        text = (
            "# Retrieval settings. The threshold is calibrated by `kratom-assistant kb calibrate --write`\n"
            "# from tests/eval/paraphrases.jsonl (should answer) and tests/eval/out-of-scope.jsonl\n"
            "# (should fall back). Re-run it after changing entries; do not edit the threshold by hand.\n"
            f"threshold: {result['threshold']}\n"
            "top_k: 3\n"
            "calibration:\n"
            + "".join(f"  {k}: {round(v, 4) if isinstance(v, float) else v}\n" for k, v in result.items() if k != "threshold")
        )
        RETRIEVAL_CONFIG.write_text(text, encoding="utf-8")
        print(f"wrote {RETRIEVAL_CONFIG}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.kb_command == "validate":
        return do_validate(args.require_clinical_review, embeddings=not args.no_embeddings)
    if args.kb_command == "build":
        return do_build(args.force)
    if args.kb_command == "stats":
        return do_stats()
    if args.kb_command == "calibrate":
        return do_calibrate(args.write)
    raise SystemExit(f"unknown kb command {args.kb_command}")
