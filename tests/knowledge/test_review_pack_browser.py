"""The review pack opened in Debian's Chromium: the entries are there and nothing is fetched."""

from pathlib import Path

import pytest

from knowledge.entry import load_entries
from knowledge.review import render_review_pack

from .kbfiles import TODAY, write_kb

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"  # installed by make test (scripts/system_packages.sh)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def test_the_pack_in_chromium(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is not installed (make test installs it: scripts/system_packages.sh)")
    from playwright import sync_api
    entries = write_kb(tmp_path)
    page_file = tmp_path / "pack.html"
    page_file.write_text(
        render_review_pack(load_entries(entries), reviews_dir=tmp_path / "reviews", today=TODAY), encoding="utf-8"
    )
    requests = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(java_script_enabled=False)
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.as_uri())
            assert page.locator("section.entry").count() == 3
            assert page.locator("#entry-count").inner_text() == "3"
            assert page.locator("table.signoff").count() == 3
            assert page.locator("nav").is_visible()
            page.emulate_media(media="print")
            assert not page.locator("nav").is_visible()
            pdf_page = browser.new_page(java_script_enabled=False)
            pdf_page.goto(page_file.as_uri())
            assert pdf_page.pdf()[:4] == b"%PDF"
        finally:
            browser.close()
    assert requests and all(url == page_file.as_uri() for url in requests), requests
