"""The route command's exact contract, driven as a subprocess like the evaluation tools do."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import dev_set

pytestmark = pytest.mark.model  # the commands load the real embedding model
REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "bot.cli"]


def run(args, stdin=""):
    return subprocess.run(CLI + args, input=stdin, capture_output=True, text=True, cwd=REPO, timeout=600)


def test_route_contract_on_1000_lines():
    rows = dev_set()
    lines = [json.dumps({"text": rows[i % len(rows)]["text"], "extra": i}) for i in range(1000)]
    result = run(["route"], "\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr[-2000:]
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 1000
    for i, item in enumerate(out):
        assert set(item) == {"text", "route", "entry_id", "rule", "score", "judge", "overruled"}
        assert item["text"] == rows[i % len(rows)]["text"]
        assert item["route"] in ("crisis", "redirect", "answer", "fallback", "smalltalk")
    answers = [i for i in out if i["route"] == "answer"]
    guarded = [i for i in out if i["route"] in ("crisis", "redirect")]
    assert answers and guarded
    assert all(i["entry_id"] and isinstance(i["score"], float) for i in answers)
    assert all(i["rule"] and i["entry_id"] is None for i in guarded)
    assert all(isinstance(i["judge"], dict) for i in answers)
    first = {r["text"]: r for r in out[: len(rows)]}
    assert all(first[r["text"]] == r for r in out)  # same input, same output


def test_route_rejects_malformed_lines():
    result = run(["route"], '{"text": "hi"}\nnot json\n')
    assert result.returncode == 2
    assert "line 2" in result.stderr


def test_ask_explain_shows_route_rule_and_candidates():
    result = run(["ask", "is kratom legal?", "--explain"])
    assert result.returncode == 0, result.stderr[-2000:]
    assert "route:  answer" in result.stdout
    assert "judge:  information" in result.stdout
    assert result.stdout.count("matched:") == 3


def test_ask_explain_names_an_overruled_soft_rule():
    result = run(["ask", "kratom and alcohol together, how dangerous is that?", "--explain"])
    assert result.returncode == 0, result.stderr[-2000:]
    assert "route:  answer" in result.stdout
    assert "overruled: combination.with_substance" in result.stdout


def test_ask_region_changes_the_numbers():
    uk = run(["ask", "I want to end my life", "--region", "UK"]).stdout
    us = run(["ask", "I want to end my life"]).stdout
    assert "116 123" in uk and "988" not in uk
    assert "988" in us


def test_eval_routes_writes_json(tmp_path):
    from tests.conftest import DEV_SET

    out = tmp_path / "report.json"
    result = run(["eval", "routes", str(DEV_SET), "--json", str(out)])
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(out.read_text())
    assert report["total"] == len(dev_set())
    assert "over-refusal" in result.stdout


def test_kb_validate_and_stats():
    result = run(["kb", "validate"])
    assert result.returncode == 0, result.stderr
    strict = run(["kb", "validate", "--require-clinical-review", "--no-embeddings"])
    assert strict.returncode == 1 and "pending" in strict.stderr
    stats = run(["kb", "stats"])
    assert "entries per tag" in stats.stdout and "sources per domain" in stats.stdout
