"""``kratom-assistant``: the command line, built on the same pipeline as the live bot.

    kratom-assistant route < messages.jsonl        one JSON line out per {"text": ...} line in
    kratom-assistant ask "is kratom legal?" [--explain] [--region UK]
    kratom-assistant eval routes FILE.jsonl [--json OUT]
    kratom-assistant kb validate|build|stats|calibrate|review-pack
    kratom-assistant kb sign-off ENTRY --role "addiction medicine physician" [--name NAME] [--date YYYY-MM-DD]
    kratom-assistant purge --db URL [--days 30]     delete conversations older than N days
    kratom-assistant report --db URL [--json]       counts per route, rule, entry; unanswered questions;
                                                    thumbs up/down per answer (--feedback-db URL)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .contract import Turn

REPO = Path(__file__).resolve().parent.parent
DEFAULT_REGION = os.environ.get("KRATOM_REGION", "US").upper()


def _assistant():
    from .pipeline import Assistant

    assistant = Assistant.load()
    assistant.warm_up()
    return assistant


# -- route / ask ------------------------------------------------------------------------------
def cmd_route(args: argparse.Namespace) -> int:
    assistant = _assistant()
    out = sys.stdout
    for lineno, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            text = item["text"]
            if not isinstance(text, str):
                raise TypeError("text must be a string")
        except (ValueError, KeyError, TypeError) as exc:
            print(f"route: line {lineno}: expected {{\"text\": \"...\"}}: {exc}", file=sys.stderr)
            return 2
        decision = assistant.decide(Turn(text, DEFAULT_REGION))
        out.write(json.dumps(decision.route_line(text), ensure_ascii=False) + "\n")
        out.flush()
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    assistant = _assistant()
    region = (args.region or DEFAULT_REGION).upper()
    reply = assistant.reply(Turn(args.question, region))
    for message in reply.messages:
        print(message.text)
        for button in message.buttons:
            print(f"  [{button}]")
        print()
    if args.explain:
        d = reply.decision
        v = d.verdict
        print("--- explain")
        print(f"route:  {d.route.value}")
        print(f"rule:   {d.rule}" + (f"   (judge score {v.score:.3f})" if v.score is not None else ""))
        if v.overruled:
            why = ("the judge's crisis score passed its threshold, but it is nearly sure this is calm;"
                   " the reply comes with the crisis line first" if v.overruled == "judge.crisis"
                   else "soft rule; the judge is confident this is not a request")
            print(f"overruled: {v.overruled} ({why})")
        if v.judge is not None:
            print("judge:  " + "  ".join(f"{k} {p:.3f}" for k, p in v.judge.items()))
        print(f"entry:  {d.entry_id}")
        print(f"lang:   {d.lang}   region: {assistant.book.region(region).code}")
        print(f"threshold: {assistant.config.threshold}")
        if assistant.kb is not None:
            # The same normalized text and embedding the decision used.
            message = assistant.guard.read(d.question or args.question)
            found = assistant.kb.search_vector(message.vector, 3, text=message.folded) if message.vector is not None else assistant.kb.search(message.folded, 3)
            for c in found:
                print(f"  {c.score:.3f}  {c.entry_id}  (matched: {c.matched!r})")
    return 0


# -- eval ---------------------------------------------------------------------------------
def cmd_eval_routes(args: argparse.Namespace) -> int:
    from .evaluate import evaluate_routes, format_report

    assistant = _assistant()
    rows = [json.loads(line) for line in Path(args.file).read_text(encoding="utf-8").splitlines() if line.strip()]
    report = evaluate_routes(assistant, rows)
    print(format_report(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


# -- guard --------------------------------------------------------------------------------
def cmd_guard(args: argparse.Namespace) -> int:
    from embedding import MiniLMEmbedder

    from .training.judge import train

    report = train(MiniLMEmbedder())
    print(json.dumps(report, indent=1))
    return 0


def cmd_ops(args: argparse.Namespace) -> int:
    from . import ops

    if args.command == "purge":
        conversations, events = ops.purge(args.db, args.days)
        print(f"purge: deleted {conversations} conversation(s), {events} event(s) older than {args.days:g} days")
        return 0
    data = ops.report(args.db, args.feedback_db)
    print(json.dumps(data, indent=2, ensure_ascii=False) if args.json else ops.format_report(data))
    return 0


def cmd_kb(args: argparse.Namespace) -> int:
    from . import kb_commands

    return kb_commands.run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kratom-assistant", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("route", help="route JSON lines from stdin, one JSON line out each")
    p.set_defaults(func=cmd_route)

    p = sub.add_parser("ask", help="print the reply a user would see")
    p.add_argument("question")
    p.add_argument("--explain", action="store_true", help="show route, rule, entry and top candidates")
    p.add_argument("--region", default=None, help="US (default), CA, UK, IE or AU")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("eval", help="evaluate routing on a labeled set")
    esub = p.add_subparsers(dest="what", required=True)
    r = esub.add_parser("routes", help="per-group counts, recall, over-refusal, misses")
    r.add_argument("file")
    r.add_argument("--json", help="also write the report as JSON to this file")
    r.set_defaults(func=cmd_eval_routes)

    g = sub.add_parser("guard", help="guardrail tools")
    gsub = g.add_subparsers(dest="guard_command", required=True)
    gsub.add_parser("train", help="refit guardrails/model/judge.npz on data/train, thresholds from data/calibrate")
    g.set_defaults(func=cmd_guard)

    pu = sub.add_parser("purge", help="delete conversations older than N days")
    pu.add_argument("--db", help="SQLAlchemy URL of the tracker store (or TRACKER_DB_URL)")
    pu.add_argument("--days", type=float, default=float(os.environ.get("RETENTION_DAYS", 30)))
    pu.set_defaults(func=cmd_ops)
    re_ = sub.add_parser("report", help="aggregate statistics from the tracker store")
    re_.add_argument("--db", help="SQLAlchemy URL of the tracker store (or TRACKER_DB_URL)")
    re_.add_argument("--feedback-db", help="SQLAlchemy URL of the feedback counts (or FEEDBACK_DB_URL; "
                     "default: the tracker store's database)")
    re_.add_argument("--json", action="store_true")
    re_.set_defaults(func=cmd_ops)

    p = sub.add_parser("kb", help="knowledge-base tools")
    ksub = p.add_subparsers(dest="kb_command", required=True)
    v = ksub.add_parser("validate", help="check every entry; exit 1 on any problem")
    v.add_argument("--require-clinical-review", action="store_true")
    v.add_argument("--no-embeddings", action="store_true", help="skip the near-duplicate check")
    b = ksub.add_parser("build", help="validate, then embed and write the FAISS index if inputs changed")
    b.add_argument("--force", action="store_true")
    ksub.add_parser("stats", help="entries per tag, reviews due, sign-offs, sources per domain")
    c = ksub.add_parser("calibrate", help="set the answer/fallback threshold from the eval sets")
    c.add_argument("--write", action="store_true", help="write the threshold into knowledge/retrieval.yml")
    rp = ksub.add_parser("review-pack", help="one printable HTML page of the entries due for clinical review")
    rp.add_argument("--out", help="write the page here (default build/review-pack.html)")
    rp.add_argument("--all", action="store_true", help="list every entry, not only those due")
    so = ksub.add_parser("sign-off", help="record a clinician's sign-off of an entry as it is now")
    so.add_argument("entry", help="the entry id")
    so.add_argument("--role", required=True, help="the clinician's role, e.g. 'addiction medicine physician'")
    so.add_argument("--name", help="the clinician's own name, only if they want it recorded")
    so.add_argument("--date", help="YYYY-MM-DD (default today)")
    for sp in (v, b, c, rp, so):
        sp.set_defaults(func=cmd_kb)
    for name in ("stats",):
        ksub.choices[name].set_defaults(func=cmd_kb)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in ("route", "ask", "eval"):
        import logging

        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
