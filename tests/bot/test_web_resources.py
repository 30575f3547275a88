"""The widget's offline crisis resources: generated from guardrails/resources.yml, never drifting."""

import json
import subprocess
import sys
from pathlib import Path

from bot.web import build_resources
from guardrails.responses import REGIONS, load_regions

REPO = Path(__file__).resolve().parents[2]
PREFIX = "window.KRATOM_RESOURCES = "


def committed() -> str:
    return build_resources.OUTPUT.read_text(encoding="utf-8")


def parsed() -> dict:
    body = committed().split(PREFIX, 1)[1].strip()
    assert body.endswith(";")
    return json.loads(body[:-1])


def test_committed_file_is_what_the_generator_produces():
    assert committed() == build_resources.render(), "run: python -m bot.web.build_resources"


def test_check_command_agrees():
    result = subprocess.run(
        [sys.executable, "-m", "bot.web.build_resources", "--check"], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_check_command_notices_drift(tmp_path):
    stale = tmp_path / "kratom-resources.js"
    stale.write_text(committed().replace('"911"', '"912"'), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bot.web.build_resources", "--check", "--output", str(stale)],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    )
    assert result.returncode == 1 and "out of date" in result.stderr


def test_every_region_with_every_section():
    data = parsed()
    assert list(data) == list(REGIONS)
    regions = load_regions()
    for code, region in data.items():
        assert set(region) == {"name", "emergency", "crisis_lines", "poison", "treatment"}, code
        assert region["name"] == regions[code].name
        assert region["emergency"]["phone"] == regions[code].emergency.phone
        assert region["crisis_lines"], code
        assert [r["label"] for r in region["crisis_lines"]] == [r.label for r in regions[code].crisis_lines]
        assert isinstance(region["treatment"], list) and region["treatment"], code
        assert region["poison"] is None or region["poison"]["phone"]
        for resource in [region["emergency"], *region["crisis_lines"], *region["treatment"], *filter(None, [region["poison"]])]:
            assert resource["label"] and resource["source"].startswith("https://")
            assert any(resource.get(k) for k in ("phone", "sms", "web"))


def test_known_numbers_are_where_the_widget_expects_them():
    data = parsed()
    assert data["US"]["emergency"]["phone"] == "911"
    assert any(r.get("sms") == "988" for r in data["US"]["crisis_lines"])
    assert data["UK"]["emergency"]["phone"] == "999"
    assert any(r.get("phone") == "116 123" for r in data["UK"]["crisis_lines"])
    assert data["UK"]["poison"] is None


def test_generated_file_is_plain_ascii_javascript():
    text = committed()
    text.encode("ascii")  # safe whatever charset the host page declares
    assert text.startswith("// GENERATED FILE")
    assert text.count(PREFIX) == 1 and text.rstrip().endswith("};")
