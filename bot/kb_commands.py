"""``kratom-assistant kb ...``: validate, build, stats, calibrate, review-pack and sign-off."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from knowledge.entry import ENTRIES_DIR, EntryError
from knowledge.index import DEFAULT_INDEX_DIR, build_index, index_hash, save_index, stored_hash
from knowledge.retriever import RETRIEVAL_CONFIG
from knowledge.validate import validate

REPO = Path(__file__).resolve().parent.parent
CALIBRATE = REPO / "data" / "calibrate"  # the sets that choose thresholds (data/LABELS.md)
PARAPHRASES = CALIBRATE / "paraphrases.jsonl"
OUT_OF_SCOPE = CALIBRATE / "out-of-scope.jsonl"


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


EDITORIAL_DUE_DAYS = 30


def review_counts(entries, reviews_dir: Path, today: dt.date) -> dict[str, int]:
    """Clinical: signed off (and unchanged), pending, changed since sign-off; editorial: due in 30 days or past."""
    from knowledge.review import review_status

    states = Counter(review_status(e, reviews_dir, today).state for e in entries)
    return {
        "signed": states["signed"],
        "pending": states["pending"],
        "changed": states["changed"],
        "editorial_due": sum(e.review_by <= today + dt.timedelta(days=EDITORIAL_DUE_DAYS) for e in entries),
    }


def do_stats(entries_dir: Path = ENTRIES_DIR, reviews_dir: Path | None = None, today: dt.date | None = None) -> int:
    entries, problems = validate(entries_dir, today=today)
    today = today or dt.date.today()
    reviews_dir = reviews_dir if reviews_dir is not None else entries_dir.parent / "reviews"
    tags = Counter(t for e in entries for t in e.tags)
    domains = Counter(urlparse(s.url).hostname for e in entries for s in e.sources)
    due = sorted(
        (e.review_by, e.id) for e in entries if e.review_by <= today + dt.timedelta(days=EDITORIAL_DUE_DAYS)
    )
    counts = review_counts(entries, reviews_dir, today)
    spanish = [e.es for e in entries if e.es is not None]
    print(f"{len(entries)} entries, {len(problems)} validation problem(s), "
          f"{sum(e.clinical_review is None for e in entries)} awaiting clinical review")
    print(f"clinical review: {counts['signed']} signed off, {counts['pending']} pending, "
          f"{counts['changed']} changed since sign-off")
    print(f"editorial review: {counts['editorial_due']} due (review_by within {EDITORIAL_DUE_DAYS} days or past)")
    print(f"Spanish companions: {len(spanish)} ({sum(c.answer is not None for c in spanish)} with a Spanish answer)")
    print("\nentries per tag:")
    for tag, n in tags.most_common():
        print(f"  {n:3d}  {tag}")
    from statistics import median

    from knowledge.readability import grade_level

    grades = sorted((round(grade_level(e.answer), 1), e.id) for e in entries)
    print(f"\nreading level (Flesch-Kincaid grade): median {median(g for g, _ in grades)}; hardest:")
    for grade, entry_id in grades[-5:][::-1]:
        print(f"  {grade:5.1f}  {entry_id}")
    print(f"\ndue for editorial review (review_by within {EDITORIAL_DUE_DAYS} days or past):")
    for day, entry_id in due or [("-", "none")]:
        print(f"  {day}  {entry_id}")
    print("\nsources per domain:")
    for domain, n in domains.most_common():
        print(f"  {n:3d}  {domain}")
    return 0


def do_review_pack(
    out: str | None, include_all: bool, entries_dir: Path = ENTRIES_DIR, reviews_dir: Path | None = None,
    today: dt.date | None = None,
) -> int:
    from knowledge.review import render_review_pack

    entries, problems = validate(entries_dir, today=today)
    for problem in problems:
        print(f"note: {problem}", file=sys.stderr)
    reviews_dir = reviews_dir if reviews_dir is not None else entries_dir.parent / "reviews"
    page = render_review_pack(entries, reviews_dir=reviews_dir, today=today, include_all=include_all)
    target = Path(out) if out else REPO / "build" / "review-pack.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    listed = page.count('<section class="entry"')
    print(f"kb review-pack: {listed} entr{'y' if listed == 1 else 'ies'} -> {target}")
    return 0


def do_sign_off(
    entry_id: str, role: str, name: str | None, date: str | None, entries_dir: Path = ENTRIES_DIR,
    reviews_dir: Path | None = None,
) -> int:
    from knowledge.review import SignOffError, sign_off

    try:
        day = dt.date.fromisoformat(date) if date else None
    except ValueError:
        print(f"kb sign-off: --date {date!r} is not a date YYYY-MM-DD", file=sys.stderr)
        return 2
    try:
        review, snapshot = sign_off(entry_id, role=role, name=name, date=day, entries_dir=entries_dir, reviews_dir=reviews_dir)
    except (SignOffError, EntryError) as exc:
        print(f"kb sign-off: {exc}", file=sys.stderr)
        return 2
    who = f"{review.role}" + (f" ({review.by})" if review.by else "")
    print(f"kb sign-off: {entry_id} signed off by {who} on {review.date}; snapshot {snapshot}")
    print("run 'kratom-assistant kb build' so the index matches the changed entry file")
    return 0


def _scores(kb, guard, rows: list[dict]) -> np.ndarray:
    """Each message's best retrieval score as the assistant sees it: normalized, embedded once;
    -inf where the judge already sends it to fallback (off topic), whatever the threshold."""
    out = []
    for row in rows:
        message = guard.read(row["text"]) if guard is not None else None
        if guard is None:
            from guardrails.normalize import normalize

            out.append(kb.search(normalize(row["text"]).text, 1)[0].score)
            continue
        verdict = guard.check(message)
        judge = guard.judge
        off_topic = judge is not None and verdict.judge is not None and \
            verdict.judge.get("out_of_scope", 0.0) >= judge.thresholds["out_of_scope"]
        out.append(float("-inf") if off_topic else kb.search_vector(message.vector, 1, text=message.folded)[0].score)
    return np.array(out)


def calibrate(kb, paraphrases: list[dict], out_of_scope: list[dict], guard=None) -> dict:  # noqa: ANN001
    """Pick the threshold halfway between the worst in-scope and best out-of-scope margins.

    Candidates run over every observed score; the chosen one maximises
    (in-scope answered + out-of-scope refused), ties broken toward the middle of the gap.
    With ``guard`` (rules and judge), messages the judge calls off topic fall back at any
    threshold, as they do in the assistant, so the threshold is chosen for the rest.
    """
    pos = _scores(kb, guard, paraphrases)
    neg = _scores(kb, guard, out_of_scope)
    finite = neg[np.isfinite(neg)]
    grid = np.round(np.arange(0.30, 0.70, 0.005), 3)
    best = max(
        grid,
        key=lambda t: (np.mean(pos >= t) + np.mean(neg < t),
                       -abs(t - (np.percentile(pos[np.isfinite(pos)], 5) + (finite.max() if len(finite) else 0.3)) / 2)),
    )
    return {
        "threshold": float(best),
        "in_scope_answered": float(np.mean(pos >= best)),
        "out_of_scope_fallback": float(np.mean(neg < best)),
        "in_scope_p5_score": round(float(np.percentile(pos[np.isfinite(pos)], 5)), 4),
        "out_of_scope_max_score": round(float(finite.max()), 4) if len(finite) else None,
        "n_in_scope": int(len(pos)),
        "n_out_of_scope": int(len(neg)),
    }


def calibrated_config_text(current: str, result: dict) -> str:
    """retrieval.yml with the new threshold and calibration block; its comments and other settings kept."""
    import yaml

    lines = current.splitlines()
    header = [line for line in lines[: next((i for i, l in enumerate(lines) if not l.startswith("#")), len(lines))]]
    settings = yaml.safe_load(current) or {}
    settings["threshold"] = result["threshold"]
    settings["calibration"] = {
        k: round(v, 4) if isinstance(v, float) else v for k, v in result.items() if k != "threshold"
    }
    order = ["threshold"] + [k for k in settings if k not in ("threshold", "calibration")] + ["calibration"]
    body = yaml.safe_dump({k: settings[k] for k in order}, sort_keys=False, default_flow_style=False)
    return "\n".join(header) + ("\n" if header else "") + body


def do_calibrate(write: bool) -> int:
    from knowledge.retriever import KnowledgeBase

    from guardrails import InputGuard

    embedder = _embedder()
    kb = KnowledgeBase.load(embedder=embedder)
    guard = InputGuard.from_files(embedder=embedder)
    load = lambda p: [json.loads(l) for l in p.read_text(encoding="utf-8").splitlines() if l.strip()]  # noqa: E731
    in_scope = [row for path in sorted(CALIBRATE.glob("paraphrases*.jsonl")) for row in load(path)]
    result = calibrate(kb, in_scope, load(OUT_OF_SCOPE), guard if guard.load_error is None else None)
    for key, value in result.items():
        print(f"{key:24s} {value}")
    if write:
        RETRIEVAL_CONFIG.write_text(calibrated_config_text(RETRIEVAL_CONFIG.read_text(encoding="utf-8"), result),
                                    encoding="utf-8")
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
    if args.kb_command == "review-pack":
        return do_review_pack(args.out, args.all)
    if args.kb_command == "sign-off":
        return do_sign_off(args.entry, args.role, args.name, args.date)
    raise SystemExit(f"unknown kb command {args.kb_command}")
