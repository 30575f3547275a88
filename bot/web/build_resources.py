"""Generate ``static/kratom-resources.js`` from ``guardrails/resources.yml`` and ``guardrails/policy.yml``.

    python -m bot.web.build_resources          # (re)write the file
    python -m bot.web.build_resources --check  # exit 1 if the committed file is out of date

The widget loads the generated file from the folder its own script came from, so "Get help
now" shows the configured region's numbers without asking the server anything. The file is
committed; tests/bot/test_web_resources.py fails if it drifts from resources.yml.

The same file carries ``window.KRATOM_CRISIS``: the policy's crisis rules (their patterns with
the {TERMS} already expanded), its signs of Spanish and its spelling fixes. When the assistant
cannot be reached, the widget runs these in the browser so a message that the server would
answer with crisis resources still gets the emergency numbers at once. Generated, not
hand-written, so the offline check never drifts from the policy; tests/e2e/test_widget.py runs
the policy's own fire/pass examples through it in Chromium.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from guardrails.engine import POLICY_FILE
from guardrails.normalize import spelling_fixes
from guardrails.policy import load_policy
from guardrails.responses import REGIONS, RESOURCES_FILE, Region, load_regions

STATIC = Path(__file__).resolve().parent / "static"
OUTPUT = STATIC / "kratom-resources.js"

HEADER = """\
// GENERATED FILE - do not edit. Source: guardrails/resources.yml
// Regenerate with: python -m bot.web.build_resources
// Crisis and help resources per region, for the widget's "Get help now" (works offline from the
// assistant). Re-check every number on the live official page before launch (see
// guardrails/RESOURCES-NOTES.md).
"""
CRISIS_HEADER = """\
// Crisis rules from guardrails/policy.yml, for the widget's in-browser check when the assistant
// cannot be reached (patterns with {TERMS} expanded; matched against lower-cased, accent-free text).
"""


def region_data(region: Region) -> dict[str, Any]:
    return {
        "name": region.name,
        "emergency": region.emergency.as_dict(),
        "crisis_lines": [r.as_dict() for r in region.crisis_lines],
        "poison": region.poison.as_dict() if region.poison else None,
        "treatment": [r.as_dict() for r in region.treatment],
    }


def build(resources: Path | None = None) -> dict[str, dict[str, Any]]:
    """Every region, in the order guardrails lists them (US, the default, first)."""
    regions = load_regions(resources or RESOURCES_FILE)
    return {code: region_data(regions[code]) for code in REGIONS}


def crisis_rules(policy_path: Path | None = None) -> dict[str, Any]:
    """The policy's crisis rules as plain pattern strings, with what the browser needs to apply them."""
    policy = load_policy(policy_path or POLICY_FILE)
    rules = [
        {
            "id": rule.id,
            "category": rule.category,
            "when": [{"all": [p.pattern for p in c.all_of], "none": [p.pattern for p in c.none_of]} for c in rule.when],
            "unless": [p.pattern for p in rule.unless],
        }
        for rule in policy.rules
        if rule.route == "crisis"
    ]
    return {
        "rules": rules,
        "spanish": [p.pattern for p in policy.spanish],
        "english": [p.pattern for p in policy.english],
        "spelling": {k: v for k, v in sorted(spelling_fixes().items()) if k != v},
    }


def render(resources: Path | None = None) -> str:
    # ASCII-only JSON is also a valid JS literal, whatever charset the host page declares.
    # The crisis rules come first: readers of the resources take everything after its prefix.
    crisis = json.dumps(crisis_rules(), indent=1, ensure_ascii=True)
    body = json.dumps(build(resources), indent=2, ensure_ascii=True)
    return f"{HEADER}{CRISIS_HEADER}window.KRATOM_CRISIS = {crisis};\n{HEADER_SPLIT}window.KRATOM_RESOURCES = {body};\n"


HEADER_SPLIT = "// Help resources per region (guardrails/resources.yml).\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is out of date; write nothing")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    text = render()
    current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
    if args.check:
        if current != text:
            print(f"{args.output} is out of date; run: python -m bot.web.build_resources", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    if current != text:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        print(f"{args.output} already up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
