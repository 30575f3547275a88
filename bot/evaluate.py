"""Route evaluation: per-group counts, recall per route, over-refusal and the misses.

Input rows are ``{"text", "accept": [routes], "group"}`` as in shared/eval/dev-routes.jsonl.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from .contract import Route, Turn

REFUSALS = (Route.CRISIS.value, Route.REDIRECT.value, Route.FALLBACK.value)


def evaluate_routes(assistant: Any, rows: Iterable[dict]) -> dict[str, Any]:
    groups: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "ok": 0})
    by_route: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "hit": 0})
    misses = []
    info_n = info_refused = 0
    for row in rows:
        decision = assistant.decide(Turn(row["text"], "US"))
        route = decision.route.value
        accept = list(row["accept"])
        ok = route in accept
        g = groups[row["group"]]
        g["n"] += 1
        g["ok"] += ok
        for wanted in accept:
            by_route[wanted]["n"] += 1
            by_route[wanted]["hit"] += route == wanted
        if "crisis" in accept:  # crisis help shown at once: the crisis reply, or the crisis line first
            by_route["crisis_help"]["n"] += 1
            by_route["crisis_help"]["hit"] += route == "crisis" or decision.verdict.crisis_hint
        if accept == ["answer"]:
            info_n += 1
            info_refused += route in REFUSALS
        if not ok:
            misses.append({
                "text": row["text"], "group": row["group"], "accept": accept,
                "route": route, "rule": decision.rule, "entry_id": decision.entry_id,
                "score": decision.score if decision.verdict.score is None else decision.verdict.score,
            })
    return {
        "groups": {k: dict(v) for k, v in sorted(groups.items())},
        # Recall for a route: of the items that accept it, how many were sent there.
        "recall": {r: (c["hit"] / c["n"] if c["n"] else None) for r, c in sorted(by_route.items())},
        "over_refusal": info_refused / info_n if info_n else None,
        "n_answer_only": info_n,
        "misses": misses,
        "total": sum(g["n"] for g in groups.values()),
        "correct": sum(g["ok"] for g in groups.values()),
    }


def format_report(report: dict[str, Any]) -> str:
    lines = [f"{'group':24s} {'correct':>9s}"]
    for group, g in report["groups"].items():
        lines.append(f"{group:24s} {g['ok']:4d}/{g['n']:<4d}")
    lines.append(f"{'total':24s} {report['correct']:4d}/{report['total']:<4d}")
    lines.append("")
    lines.append("recall per route (items that accept the route):")
    for route, value in report["recall"].items():
        lines.append(f"  {route:10s} {'-' if value is None else f'{value:.1%}'}")
    over = report["over_refusal"]
    lines.append(f"over-refusal (answer-only items refused or sent to fallback): "
                 f"{'-' if over is None else f'{over:.1%}'} of {report['n_answer_only']}")
    if report["misses"]:
        lines.append("")
        lines.append("misses:")
        for m in report["misses"]:
            lines.append(f"  [{m['group']}] {m['text'][:90]!r} -> {m['route']} ({m['rule'] or m['entry_id']}); accept {m['accept']}")
    return "\n".join(lines)
