"""Generate ``static/kratom-resources.js`` from ``guardrails/resources.yml``.

    python -m bot.web.build_resources          # (re)write the file
    python -m bot.web.build_resources --check  # exit 1 if the committed file is out of date

The widget loads the generated file from the folder its own script came from, so "Get help
now" shows the configured region's numbers without asking the server anything. The file is
committed; tests/bot/test_web_resources.py fails if it drifts from resources.yml.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

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


def render(resources: Path | None = None) -> str:
    # ASCII-only JSON is also a valid JS literal, whatever charset the host page declares.
    body = json.dumps(build(resources), indent=2, ensure_ascii=True)
    return f"{HEADER}window.KRATOM_RESOURCES = {body};\n"


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
