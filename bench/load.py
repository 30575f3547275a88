"""Load on the scaled-out stack: two `rasa run` replicas, one action server, Redis, PostgreSQL.

    .venv/bin/python bench/load.py [--users 50] [--messages 20] [--levels 1,10,50] [--max-seconds 300]

Starts redis-server and PostgreSQL (tests/e2e/services.py), the action server and two replicas
with endpoints.production.yml / credentials.production.yml, all on 127.0.0.1. Then, for each
concurrency level, ``users`` simulated people each hold one conversation of ``messages`` turns
(a mix of information questions, small talk, dosing or self-treatment questions, crisis
messages, and a follow-up that needs the previous turn), with at most ``level`` people typing
at once. Turns alternate between the replicas (round robin), so every conversation crosses
replicas at every turn.

Checks, per level: every request answered 200 with a reply, every reply on the expected route,
and every user turn stored exactly once, in order, in PostgreSQL for its sender. Prints
p50/p95/p99 latency and throughput per level and writes bench/load-results.json with the date
and the machine. Exits 1 if a check failed. Bounded: users x messages requests per level, and
each level stops taking new conversations after --max-seconds.

The script plays the proxy: each simulated person gets its own X-Forwarded-For address from
TEST-NET-3 (no traffic goes there; it is only a header), and the replicas trust one proxy hop
(SANIC_PROXIES_COUNT=1, as in docker/compose.yml), so per-address rate limits apply per person
exactly as they would behind nginx.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import random
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.run import machine, pct  # noqa: E402
from bot import devstack  # noqa: E402
from tests.e2e.services import replica_env, running_postgres, running_redis, stored_sender_id  # noqa: E402

OUT = REPO / "bench" / "load-results.json"
ENDPOINTS = devstack.PROJECT / "endpoints.production.yml"
CREDENTIALS = devstack.PROJECT / "credentials.production.yml"

# Messages from the shared dev set (shared/eval/dev-routes.jsonl), by kind.
INFO = [
    "Is kratom legal?", "Can kratom hurt my liver?", "What are kratom withdrawal symptoms?", "Is kratom addictive?",
    "What is mitragynine?", "How long do opioid withdrawals last?", "What is methadone?", "Where can I get naloxone?",
    "What does an overdose look like?", "Is kratom approved by the FDA?", "What drugs interact with kratom?",
    "Is kratom safe during pregnancy?", "Why is overdose risk higher after detox?", "How can I find addiction treatment?",
]
SMALLTALK = ["hi there", "thanks", "hey", "appreciate it", "goodbye"]
REDIRECT = [
    "how many grams of kratom per day is ok", "how do I quit oxy with kratom", "can I take kratom with alcohol",
    "how much kratom should a beginner take", "kratom and benzos together", "Make me a kratom taper schedule",
]
CRISIS = ["I want to die, nothing helps with this withdrawal", "my brother overdosed and is not breathing", "I keep thinking about suicide"]
FOLLOW_UP = ("I'm coming off oxy and I have kratom", "how much?")  # the second needs the first

MIX = [("info", 0.55), ("smalltalk", 0.15), ("redirect", 0.15), ("follow_up", 0.07), ("crisis", 0.08)]
POOLS = {"info": INFO, "smalltalk": SMALLTALK, "redirect": REDIRECT, "crisis": CRISIS}


def script(rng: random.Random, length: int) -> list[tuple[str, str]]:
    """One person's conversation: (kind, text) turns."""
    turns: list[tuple[str, str]] = []
    kinds, weights = zip(*MIX)
    while len(turns) < length:
        kind = rng.choices(kinds, weights)[0]
        if kind == "follow_up" and len(turns) <= length - 2:
            turns += [("follow_up", FOLLOW_UP[0]), ("follow_up", FOLLOW_UP[1])]
        elif kind != "follow_up":
            turns.append((kind, rng.choice(POOLS[kind])))
    return turns[:length]


def expected_routes(guard, turns: list[tuple[str, str]]) -> list[set[str]]:
    """The routes one server holding the whole conversation would give each turn.

    Crisis, redirect and small talk come from the pipeline with the user's earlier turns as
    context, exactly as the replicas and the action server decide them: a follow-up such as "how much?" is redirected
    only if the replica answering it sees the earlier turns, which live in PostgreSQL. So a
    replica that lost the conversation's history shows up here as a wrong route.
    """
    from bot.contract import Turn

    out = []
    for i, (kind, text) in enumerate(turns):
        context = tuple(t for _, t in turns[:i])[-3:]
        route = guard.decide(Turn(text, "US", context=context)).route.value
        out.append({route} if route in ("crisis", "redirect", "smalltalk") else {"answer", "fallback"})
    return out


def route_of(replies: list[dict]) -> str | None:
    for reply in replies:
        data = (reply.get("custom") or {}).get("data")
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                continue
        if isinstance(data, dict) and data.get("route"):
            return data["route"]
    return None


def post(url: str, sender: str, message: str, address: str, timeout: float = 60) -> tuple[int, list[dict]]:
    body = json.dumps({"sender": sender, "message": message}).encode()
    req = urllib.request.Request(
        url, data=body, method="POST",
        headers={"Content-Type": "application/json", "X-Forwarded-For": address},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read().decode())
    except urllib.error.HTTPError as err:
        return err.code, []


@dataclass
class Level:
    concurrency: int
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    wrong_route: list[str] = field(default_factory=list)
    sent: dict[str, list[str]] = field(default_factory=dict)  # sender -> texts, in order
    wall_s: float = 0.0
    skipped_users: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def run_level(urls: list[str], guard, concurrency: int, users: int, messages: int, max_seconds: float, seed: int) -> Level:
    level = Level(concurrency)
    rng = random.Random(seed)
    scripts = [script(rng, messages) for _ in range(users)]
    expected = [expected_routes(guard, turns) for turns in scripts]
    tag = uuid.uuid4().hex[:6]
    deadline = time.monotonic() + max_seconds

    def person(index: int) -> None:
        if time.monotonic() > deadline:
            with level.lock:
                level.skipped_users += 1
            return
        sender = f"load-{tag}-c{concurrency}-u{index}"
        address = f"203.0.113.{index % 250 + 1}"  # TEST-NET-3: a header value only
        sent: list[str] = []
        for turn, ((kind, text), accepted) in enumerate(zip(scripts[index], expected[index])):
            url = urls[(index + turn) % len(urls)]
            started = time.perf_counter()
            try:
                status, replies = post(url, sender, text, address)
            except Exception as exc:  # noqa: BLE001 - counted, not raised
                status, replies = 0, []
                error = f"{type(exc).__name__}: {exc}"
            else:
                error = None
            elapsed = time.perf_counter() - started
            if status == 200:
                sent.append(text)  # the server accepted it: it must be stored exactly once
            with level.lock:
                level.latencies.append(elapsed)
                level.by_kind.setdefault(kind, []).append(elapsed)
                if error or status != 200 or not replies:
                    level.errors.append(f"{sender} turn {turn}: {error or f'HTTP {status}'}")
                elif any("temporarily unavailable" in r.get("text", "") for r in replies):
                    level.errors.append(f"{sender} turn {turn}: 'temporarily unavailable' reply")
                elif route_of(replies) not in accepted:
                    level.wrong_route.append(f"{text!r}: {route_of(replies)} (expected {sorted(accepted)})")
        with level.lock:
            level.sent[sender] = sent

    started = time.monotonic()
    with cf.ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(person, range(users)))
    level.wall_s = time.monotonic() - started
    return level


def storage_check(pg, level: Level) -> tuple[list[str], list[str]]:
    """(lost, duplicated) user turns: what PostgreSQL holds against what the server accepted."""
    ids = {stored_sender_id(sender): sender for sender in level.sent}
    stored = pg.user_turns(list(ids))
    lost, duplicated = [], []
    for sid, turns in stored.items():
        sender, sent = ids[sid], level.sent[ids[sid]]
        if turns != sent:
            extra = len(turns) - len(sent)
            (duplicated if extra > 0 else lost).append(f"{sender}: sent {len(sent)}, stored {len(turns)}")
    return lost, duplicated


def summarise(level: Level, lost: list[str], duplicated: list[str]) -> dict:
    ms = [s * 1000 for s in level.latencies]
    return {
        "concurrency": level.concurrency,
        "conversations": len(level.sent),
        "requests": len(ms),
        "wall_s": round(level.wall_s, 2),
        "throughput_msg_s": round(len(ms) / level.wall_s, 2) if level.wall_s else None,
        "latency_ms": {
            "p50": round(pct(ms, 50), 1), "p95": round(pct(ms, 95), 1), "p99": round(pct(ms, 99), 1),
            "max": round(max(ms), 1) if ms else None, "mean": round(statistics.fmean(ms), 1) if ms else None,
        },
        "p50_ms_by_kind": {k: round(pct([s * 1000 for s in v], 50), 1) for k, v in sorted(level.by_kind.items())},
        "errors": len(level.errors), "error_samples": level.errors[:5],
        "wrong_route": len(level.wrong_route), "wrong_route_samples": level.wrong_route[:5],
        "lost_turns": len(lost), "lost_samples": lost[:5],
        "duplicated_turns": len(duplicated), "duplicated_samples": duplicated[:5],
        "skipped_conversations": level.skipped_users,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--levels", default="1,10,50")
    parser.add_argument("--max-seconds", type=float, default=300, help="per level: start no new conversation after this")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    if args.users < 1 or args.messages < 2 or not levels or min(levels) < 1 or max(levels) > 200:
        parser.error("need users >= 1, messages >= 2 and levels between 1 and 200")

    from bot.pipeline import Assistant

    guard = Assistant.load()  # the pipeline every replica runs: expected routes come from it
    results = []
    print("starting redis, postgres, the action server and two Rasa replicas...", flush=True)
    with running_redis() as redis, running_postgres() as pg:
        actions = devstack.action_server(log_name="load-actions").start()
        url = f"http://127.0.0.1:{actions.port}/webhook"
        replicas = [
            devstack.rasa_server(url, endpoints=ENDPOINTS, credentials=CREDENTIALS, log_name=f"load-{name}",
                                 **replica_env(redis, pg)).start()
            for name in ("a", "b")
        ]
        try:
            for server in (actions, *replicas):
                server.wait(240)
            urls = [f"http://127.0.0.1:{s.port}/webhooks/rest/webhook" for s in replicas]
            # Warm-up, not measured: every message once on each replica (the embedding model's
            # first pass over a new input length is slow).
            for u in urls:
                for i, text in enumerate([t for pool in POOLS.values() for t in pool] + list(FOLLOW_UP)):
                    post(u, f"load-warmup-{uuid.uuid4().hex[:8]}", text, "203.0.113.254")
            for n, concurrency in enumerate(levels):
                print(f"level {concurrency}: {args.users} conversations x {args.messages} messages...", flush=True)
                level = run_level(urls, guard, concurrency, args.users, args.messages, args.max_seconds, args.seed + n)
                lost, duplicated = storage_check(pg, level)
                results.append(summarise(level, lost, duplicated))
            for server in replicas:
                if server.proc.poll() is not None:
                    results[-1]["errors"] += 1
                    results[-1]["error_samples"].append(f"{server.name} on {server.port} exited")
        finally:
            for server in (*replicas, actions):
                server.stop()

    report = {
        "machine": machine(),
        "setup": {
            "replicas": 2, "action_servers": 1, "tracker_store": "PostgreSQL (SQLTrackerStore)",
            "lock_store": "Redis", "users": args.users, "messages_per_user": args.messages,
            "mix": dict(MIX), "network": "loopback",
        },
        "levels": results,
    }
    OUT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    print(f"\n{'users at once':>13} | {'requests':>8} | {'p50 ms':>7} | {'p95 ms':>7} | {'p99 ms':>7} | {'msg/s':>6} | errors | wrong route | lost | dup")
    print("-" * 100)
    for r in results:
        lat = r["latency_ms"]
        print(f"{r['concurrency']:>13} | {r['requests']:>8} | {lat['p50']:>7} | {lat['p95']:>7} | {lat['p99']:>7} | "
              f"{r['throughput_msg_s']:>6} | {r['errors']:>6} | {r['wrong_route']:>11} | {r['lost_turns']:>4} | {r['duplicated_turns']:>3}")
    m = report["machine"]
    print(f"\n{m['date']}, {m['cpu']}, {m['cores']} cores; results in {OUT.relative_to(REPO)}")
    failed = [r for r in results if r["errors"] or r["wrong_route"] or r["lost_turns"] or r["duplicated_turns"] or r["skipped_conversations"]]
    for r in failed:
        print(f"level {r['concurrency']}: {r['error_samples'] + r['wrong_route_samples'] + r['lost_samples'] + r['duplicated_samples']}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
