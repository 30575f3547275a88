"""``make bench``: speed and memory of the assistant, against a bare Rasa baseline in the same run.

Prints a table and writes bench/results.json with machine information. Everything runs on
loopback; every loop is bounded. Benchmarks are never assertions: see BENCHMARKS.md.

    .venv/bin/python -m bench.run [--quick]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot import devstack  # noqa: E402

OUT = REPO / "bench" / "results.json"
CONVERSATION_TURNS = 10
BASELINE_DIR = REPO / "bench" / "baseline"
EVAL_FILES = [REPO.parent / "shared" / "eval" / "dev-routes.jsonl", REPO / "data" / "eval" / "routes.jsonl"]
PARAPHRASES = REPO / "data" / "eval" / "paraphrases.jsonl"
TURN_MARKS = (1, 10, 50)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(ms: list[float]) -> dict:
    return {"n": len(ms), "p50_ms": round(pct(ms, 50), 3), "p95_ms": round(pct(ms, 95), 3),
            "p99_ms": round(pct(ms, 99), 3), "mean_ms": round(statistics.fmean(ms), 3)}


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for mod in ("onnxruntime", "tokenizers", "faiss", "numpy", "rasa_sdk"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001
            versions[mod] = None
    rasa = subprocess.run([str(devstack.RASA_BIN), "--version"], capture_output=True, text=True).stdout
    versions["rasa"] = next((l.split()[-1] for l in rasa.splitlines() if l.startswith("Rasa Version")), None)
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpu": cpu, "cores": os.cpu_count(),
            "python": platform.python_version(), "platform": platform.platform(), "versions": versions}


SHORT_CHARS = 300  # the input check is also reported for messages up to and over this length


def texts() -> list[str]:
    out = []
    for path in EVAL_FILES:
        out += [json.loads(l)["text"] for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
    return out


# -- guardrail ----------------------------------------------------------------------------
def bench_guardrail(repeats: int) -> dict:
    """The whole input check (read: normalize + embed; then rules + judge), and its parts."""
    from embedding import MiniLMEmbedder
    from guardrails import InputGuard

    guard = InputGuard.from_files(embedder=MiniLMEmbedder(cache_size=0))
    rules = InputGuard.from_files(require_judge=False)
    msgs = texts()
    for m in msgs:
        guard.check(guard.read(m))
    total, embed, judge, rules_only = [], [], [], []
    by_length: dict[str, list[float]] = {"short": [], "long": []}
    for _ in range(repeats):
        for m in msgs:
            t0 = time.perf_counter()
            message = guard.read(m)
            t1 = time.perf_counter()
            guard.check(message)
            t2 = time.perf_counter()
            rules.check(m)
            t3 = time.perf_counter()
            total.append((t2 - t0) * 1000)
            by_length["short" if len(m) <= SHORT_CHARS else "long"].append((t2 - t0) * 1000)
            embed.append((t1 - t0) * 1000)
            judge.append((t2 - t1) * 1000)
            rules_only.append((t3 - t2) * 1000)
    return {"messages": len(msgs), "repeats": repeats, "threads": guard.embedder.threads, **summary(total),
            "read_and_embed": summary(embed), "rules_and_judge": summary(judge), "rules_alone": summary(rules_only),
            f"messages_up_to_{SHORT_CHARS}_chars": summary(by_length["short"]),
            f"messages_over_{SHORT_CHARS}_chars": summary(by_length["long"])}


# -- retrieval ----------------------------------------------------------------------------
def _paraphrases() -> list[dict]:
    path = PARAPHRASES if PARAPHRASES.exists() else REPO / "data" / "calibrate" / "paraphrases.jsonl"
    return [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]


def bench_retrieval(repeats: int) -> dict:
    """Embedding + FAISS, fp32 and int8, 1 and 2 threads; and each variant's retrieval quality."""
    import dataclasses

    from embedding import MiniLMEmbedder
    from guardrails.normalize import normalize
    from knowledge.index import build_index
    from knowledge.retriever import KnowledgeBase

    rows = _paraphrases()
    queries = [normalize(r["text"]).text for r in rows]
    results = {}
    base = KnowledgeBase.load(embedder=MiniLMEmbedder(cache_size=0))
    for variant in ("fp32", "int8"):
        for threads in (1, 2):
            t0 = time.perf_counter()
            embedder = MiniLMEmbedder(variant=variant, threads=threads, cache_size=0)
            embedder.warm_up()
            load_s = time.perf_counter() - t0
            if variant == "fp32":
                kb = dataclasses.replace(base, embedder=embedder)
            else:  # its own index, embedded by the same variant
                kb = dataclasses.replace(base, embedder=embedder, index=build_index(list(base.entries.values()), embedder, hash_="bench"))
            warm = []
            for _ in range(repeats):
                for q in queries:
                    t = time.perf_counter()
                    kb.search(q)
                    warm.append((time.perf_counter() - t) * 1000)
            found = [kb.search(q, 3) for q in queries]
            top1 = sum(f[0].entry_id == r["entry_id"] for f, r in zip(found, rows)) / len(rows)
            top3 = sum(r["entry_id"] in [c.entry_id for c in f] for f, r in zip(found, rows)) / len(rows)
            results[f"{variant}_threads_{threads}"] = {"model_load_s": round(load_s, 2), **summary(warm),
                                                       "top1": round(top1, 4), "top3": round(top3, 4)}
    return results


# -- scaling ------------------------------------------------------------------------------
def bench_scaling(factors: list[int]) -> dict:
    import dataclasses

    from knowledge.embedder import MiniLMEmbedder
    from knowledge.entry import load_entries
    from knowledge.index import build_index

    embedder = MiniLMEmbedder(threads=2, cache_size=0)
    embedder.warm_up()
    base = load_entries()
    words = ["please", "honestly", "quick question", "asking for my mom", "really", "i wonder", "tell me"]
    out = {}
    for factor in factors:
        entries = []
        for copy in range(factor):
            for e in base:
                if copy == 0:
                    entries.append(e)
                    continue
                tag = words[copy % len(words)]
                entries.append(dataclasses.replace(
                    e, id=f"{e.id}-{copy}", question=f"{e.question} ({tag} {copy})",
                    phrasings=tuple(f"{p} {tag} {copy}" for p in e.phrasings)))
        t = time.perf_counter()
        index = build_index(entries, embedder, hash_="bench")
        build_s = time.perf_counter() - t
        from knowledge.retriever import KnowledgeBase

        kb = KnowledgeBase(entries={e.id: e for e in entries}, index=index, embedder=embedder)
        kb.search("warm")
        qs = ["is kratom legal", "how long does withdrawal last", "what is naloxone", "can kratom hurt my liver"] * 25
        times = []
        for q in qs:
            t = time.perf_counter()
            kb.search(q)
            times.append((time.perf_counter() - t) * 1000)
        out[f"x{factor}"] = {"entries": len(entries), "rows": int(index.vectors.shape[0]),
                             "build_s": round(build_s, 2), **summary(times)}
    return out


# -- end to end ---------------------------------------------------------------------------
def peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a process and its children, in MB."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return round(total / 1024, 1)


def e2e_latency(url: str, messages: list[str], users: int, per_user: int, offset: int = 0) -> dict:
    """``offset``: where in ``messages`` this run starts. Each run should send messages the
    server has not seen: the embedder caches the vectors of recent texts."""
    webhook = f"{url}/webhooks/rest/webhook"

    def user(i: int) -> list[float]:
        out = []
        for j in range(per_user):
            # A new conversation every CONVERSATION_TURNS messages: Rasa replays the whole
            # tracker each turn, so one endless conversation would measure history length.
            if j % CONVERSATION_TURNS == 0:
                sender = f"bench-{uuid.uuid4().hex[:8]}-{i}"
            t = time.perf_counter()
            devstack.post(webhook, {"sender": sender, "message": messages[(offset + i * per_user + j) % len(messages)]})
            out.append((time.perf_counter() - t) * 1000)
        return out

    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(users) as pool:
        times = [x for chunk in pool.map(user, range(users)) for x in chunk]
    wall = time.perf_counter() - t0
    sent = [messages[(offset + i * per_user + j) % len(messages)] for i in range(users) for j in range(per_user)]
    by_length = {f"up_to_{SHORT_CHARS}_chars": [t for t, m in zip(times, sent) if len(m) <= SHORT_CHARS],
                 f"over_{SHORT_CHARS}_chars": [t for t, m in zip(times, sent) if len(m) > SHORT_CHARS]}
    return {"users": users, **summary(times), "throughput_msg_s": round(len(times) / wall, 1),
            **{k: summary(v) for k, v in by_length.items() if v}}


def train_baseline() -> Path:
    model = BASELINE_DIR / "models" / "baseline.tar.gz"
    if not model.exists():
        subprocess.run(
            [str(devstack.RASA_BIN), "train", "--config", str(BASELINE_DIR / "config.yml"), "--domain",
             str(BASELINE_DIR / "domain.yml"), "--data", str(BASELINE_DIR / "data"), "--out",
             str(BASELINE_DIR / "models"), "--fixed-model-name", "baseline", "--quiet"],
            check=True, capture_output=True, cwd=REPO,
        )
    return model


def turn_latency(url: str, conversations: int, turns: int = max(TURN_MARKS)) -> dict:
    """Latency by turn number in long conversations: the same answer question at every marked
    turn (questions differ in cost, so a mark must not change the question), others between."""
    webhook = f"{url}/webhooks/rest/webhook"
    by_turn: dict[int, list[float]] = {t: [] for t in TURN_MARKS}
    marked = "is kratom legal?"
    between = ["what is naloxone?", "how long does opioid withdrawal last?", "hi", marked]
    for c in range(conversations):
        sender = f"turns-{uuid.uuid4().hex[:8]}-{c}"
        for turn in range(1, turns + 1):
            message = marked if turn in by_turn else between[turn % len(between)]
            t = time.perf_counter()
            devstack.post(webhook, {"sender": sender, "message": message})
            if turn in by_turn:
                by_turn[turn].append((time.perf_counter() - t) * 1000)
    out = {f"turn_{t}": summary(v) for t, v in by_turn.items()}
    out["turn_50_vs_1_p95"] = round(out["turn_50"]["p95_ms"] / out["turn_1"]["p95_ms"], 2)
    return out


def seconds_to_first_reply(url: str, message: str, t0: float, answered) -> float:  # noqa: ANN001
    """Cold start: seconds from ``t0`` (the launch) until a reply to ``message`` is ``answered``."""
    while True:
        try:
            if answered(devstack.post(f"{url}/webhooks/rest/webhook", {"sender": "cold", "message": message}, timeout=5)):
                return round(time.perf_counter() - t0, 2)
        except Exception:  # noqa: BLE001 - not up yet
            pass
        if time.perf_counter() - t0 > 300:
            raise TimeoutError(f"{url} did not answer within 300 s")
        time.sleep(0.1)


def e2e_messages() -> list[str]:
    """The whole mix in a fixed shuffled order: the runs send its first few hundred, so in file
    order they would be the dev set's short questions alone and never a long post."""
    messages = texts()
    random.Random(13).shuffle(messages)
    return messages


def bench_e2e(per_user: int, sequential: int, conversations: int = 10) -> dict:
    messages = e2e_messages()
    results = {}
    # Cold start: launch both servers, time until the first answered message.
    t0 = time.perf_counter()
    actions = devstack.action_server(log_name="bench-actions").start()
    rasa = devstack.rasa_server(f"http://127.0.0.1:{actions.port}/webhook", log_name="bench-rasa",
                                RATE_LIMIT_PER_SENDER="100000", RATE_LIMIT_PER_ADDRESS="100000").start()
    stack = devstack.Stack(actions, rasa)
    try:
        url = stack.rasa_url
        results["cold_start_s"] = seconds_to_first_reply(
            url, "is kratom legal?", t0, lambda reply: any("Sources:" in r.get("text", "") for r in reply))
        results["assistant_sequential"] = e2e_latency(url, messages, 1, sequential)
        results["assistant_10_users"] = e2e_latency(url, messages, 10, per_user, offset=sequential)
        results["assistant_by_turn"] = turn_latency(url, conversations)
        results["peak_rss_mb"] = {"rasa": peak_rss_mb(rasa.proc.pid), "actions": peak_rss_mb(actions.proc.pid)}
        results["peak_rss_mb"]["total"] = round(sum(results["peak_rss_mb"].values()), 1)
    finally:
        stack.stop()
    model = train_baseline()
    t0 = time.perf_counter()
    base = devstack.rasa_server("http://127.0.0.1:9/webhook", model=model, log_name="bench-baseline",
                                credentials=BASELINE_DIR / "credentials.yml", endpoints=BASELINE_DIR / "endpoints.yml").start()
    try:
        url = f"http://127.0.0.1:{base.port}"
        results["baseline_cold_start_s"] = seconds_to_first_reply(url, "hello", t0, bool)  # the same measure
        results["baseline_sequential"] = e2e_latency(url, messages, 1, sequential)
        results["baseline_10_users"] = e2e_latency(url, messages, 10, per_user, offset=sequential)
        results["baseline_by_turn"] = turn_latency(url, conversations)
        results["baseline_peak_rss_mb"] = peak_rss_mb(base.proc.pid)
    finally:
        base.stop()
    for mode in ("sequential", "10_users"):
        results[f"p95_ratio_{mode}"] = round(results[f"assistant_{mode}"]["p95_ms"] / results[f"baseline_{mode}"]["p95_ms"], 2)
    results["throughput_ratio_sequential"] = round(
        results["assistant_sequential"]["throughput_msg_s"] / results["baseline_sequential"]["throughput_msg_s"], 2)
    return results


def bench_load(quick: bool) -> dict:
    """bench/load.py: two replicas, Redis and PostgreSQL, 1 / 10 / 50 users."""
    out = REPO / "bench" / "load-results.json"
    out.unlink(missing_ok=True)
    args = [sys.executable, str(REPO / "bench" / "load.py"), "--levels", "1,10,50", "--users", "50",
            "--messages", "6" if quick else "20"]
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0 or not out.exists():
        return {"error": (done.stderr or done.stdout)[-2000:]}
    return json.loads(out.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    parser.add_argument("--scaling", default=None, help="knowledge-base sizes to try, e.g. 1,10 (default 1,10,100)")
    args = parser.parse_args()
    q = args.quick
    report = {"machine": machine()}
    print("guardrail...", flush=True)
    report["guardrail"] = bench_guardrail(2 if q else 20)
    print("retrieval...", flush=True)
    report["retrieval"] = bench_retrieval(1 if q else 5)
    print("knowledge-base scaling...", flush=True)
    factors = [int(x) for x in args.scaling.split(",")] if args.scaling else ([1, 10] if q else [1, 10, 100])
    report["kb_scaling"] = bench_scaling(factors)
    print("end to end (assistant, then bare Rasa baseline)...", flush=True)
    report["e2e"] = bench_e2e(per_user=5 if q else 20, sequential=30 if q else 200, conversations=2 if q else 30)
    print("load: two replicas, Redis, PostgreSQL...", flush=True)
    report["load"] = bench_load(q)
    OUT.write_text(json.dumps(report, indent=2))
    g, r, e = report["guardrail"], report["retrieval"], report["e2e"]
    print(f"\n{report['machine']['date']}  {report['machine']['cpu']}  ({report['machine']['cores']} cores)")
    print(f"{'measure':48s} {'p50':>9s} {'p95':>9s} {'p99':>9s}")
    print(f"{'input check, rules + judge incl. embedding (ms)':48s} {g['p50_ms']:9.3f} {g['p95_ms']:9.3f} {g['p99_ms']:9.3f}")
    for part in ("read_and_embed", "rules_and_judge", "rules_alone", f"messages_up_to_{SHORT_CHARS}_chars",
                 f"messages_over_{SHORT_CHARS}_chars"):
        v = g[part]
        print(f"{'  ' + part + ' (ms)':48s} {v['p50_ms']:9.3f} {v['p95_ms']:9.3f} {v['p99_ms']:9.3f}")
    for k, v in r.items():
        label = f"retrieval {k} top1 {v['top1']:.3f} top3 {v['top3']:.3f} (ms)"
        print(f"{label:48s} {v['p50_ms']:9.2f} {v['p95_ms']:9.2f} {v['p99_ms']:9.2f}")
    for k, v in report["kb_scaling"].items():
        label = f"kb {k} query ({v['rows']} rows, build {v['build_s']} s) (ms)"
        print(f"{label:48s} {v['p50_ms']:9.2f} {v['p95_ms']:9.2f} {v['p99_ms']:9.2f}")
    for k in ("assistant_sequential", "baseline_sequential", "assistant_10_users", "baseline_10_users"):
        v = e[k]
        label = f"e2e {k} ({v['throughput_msg_s']} msg/s) (ms)"
        print(f"{label:48s} {v['p50_ms']:9.1f} {v['p95_ms']:9.1f} {v['p99_ms']:9.1f}")
        for part in (f"up_to_{SHORT_CHARS}_chars", f"over_{SHORT_CHARS}_chars"):
            if part in v:
                print(f"{'  ' + part + ' (n ' + str(v[part]['n']) + ') (ms)':48s} {v[part]['p50_ms']:9.1f} "
                      f"{v[part]['p95_ms']:9.1f} {v[part]['p99_ms']:9.1f}")
    print(f"p95 ratio assistant/baseline: sequential {e['p95_ratio_sequential']}, 10 users {e['p95_ratio_10_users']}")
    for who in ("assistant_by_turn", "baseline_by_turn"):
        v = e[who]
        print(f"{who}: p95 turn 1 {v['turn_1']['p95_ms']} ms, turn 10 {v['turn_10']['p95_ms']} ms, "
              f"turn 50 {v['turn_50']['p95_ms']} ms (turn 50 / turn 1 = {v['turn_50_vs_1_p95']})")
    print(f"sequential throughput assistant/baseline: {e['throughput_ratio_sequential']}")
    print(f"load (two replicas): {json.dumps(report['load'])[:600]}")
    print(f"cold start {e['cold_start_s']} s (bare Rasa {e['baseline_cold_start_s']} s); peak RSS MB {e['peak_rss_mb']} (baseline rasa {e['baseline_peak_rss_mb']})")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
