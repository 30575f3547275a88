"""The web chat widget in a real browser (Debian's Chromium via Playwright) against the real stack.

One stack (action server + `rasa run --cors <static origin>`) and one static server for the
module; a fresh browser context (so fresh localStorage) per test. Screenshots go to
test-artifacts/; the README screenshot docs/widget.png is written when missing or when
KRATOM_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import re
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot import devstack
from bot.feedback import FeedbackStore
from bot.web.static_server import STATIC, StaticServer
from tests.e2e.conftest import Client, route_of

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
DOCS_SHOT = REPO / "docs" / "widget.png"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic",
]
REPLY_TIMEOUT = 60_000
HELP_LINE_RE = re.compile(r"^(tel|sms):\+?[0-9]+$")


# ------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """The real stack, with CORS for the static server's origin, and the static server.
    Thumbs votes go to a SQLite file of this module (``web.feedback_db``), not under build/."""
    rasa_port = devstack.free_port()
    rasa_url = f"http://127.0.0.1:{rasa_port}"
    feedback_db = f"sqlite:///{tmp_path_factory.mktemp('feedback') / 'feedback.db'}"
    with StaticServer(rasa_url) as static:
        with devstack.running_stack(port=rasa_port, cors=[static.origin], FEEDBACK_DB_URL=feedback_db) as stack:
            yield SimpleNamespace(stack=stack, static=static, rasa_url=rasa_url, demo=static.url, feedback_db=feedback_db)


@pytest.fixture(scope="module")
def offline():
    """A second static server whose pages point the widget at a closed port."""
    closed = f"http://127.0.0.1:{devstack.free_port()}"
    with StaticServer(closed) as static:
        yield SimpleNamespace(static=static, rasa_url=closed, demo=static.url)


@pytest.fixture(scope="module")
def chromium():
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Widget:
    """The page plus handles into the widget's (open) shadow root; Playwright's CSS pierces it."""

    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def loc(self, selector):
        return self.page.locator(selector)

    @property
    def launcher(self):
        return self.loc(".kw-launcher")

    @property
    def panel(self):
        return self.loc(".kw-panel")

    @property
    def input(self):
        return self.loc(".kw-input")

    @property
    def log(self):
        return self.loc(".kw-log")

    @property
    def replies(self):
        return self.loc(".kw-log .kw-bot:not(.kw-welcome)")

    @property
    def user_messages(self):
        return self.loc(".kw-log .kw-user")

    def goto(self, url):
        response = self.page.goto(url)
        expect(self.launcher).to_be_visible()
        return response

    def open(self):
        """Open the panel (a reload restores it open, without moving focus)."""
        if not self.panel.is_visible():
            self.launcher.click()
            expect(self.input).to_be_focused()
        expect(self.panel).to_be_visible()

    def ask(self, text):
        """Type and send; wait until the reply is in. Returns the first new reply bubble."""
        before = self.replies.count()
        self.input.fill(text)
        self.input.press("Enter")
        return self.wait_reply(before)

    def wait_reply(self, before):
        expect(self.replies.nth(before)).to_be_attached(timeout=REPLY_TIMEOUT)
        expect(self.log).to_have_attribute("aria-busy", "false", timeout=REPLY_TIMEOUT)
        return self.replies.nth(before)

    def active(self) -> dict:
        """What has focus: inside the widget's shadow root, or on the page."""
        return self.page.evaluate(
            """() => {
                const host = document.getElementById('kratom-widget');
                const a = (host && host.shadowRoot.activeElement) || document.activeElement;
                const cs = a ? getComputedStyle(a) : null;
                return a ? {tag: a.tagName, cls: String(a.className || ''), id: a.id, href: a.getAttribute('href'),
                            text: (a.textContent || '').trim(), outline: cs.outlineStyle, outlineWidth: cs.outlineWidth,
                            inWidget: !!(host && host.shadowRoot.activeElement)} : {};
            }"""
        )

    def links(self) -> list[dict]:
        return self.page.evaluate(
            """() => Array.from(document.getElementById('kratom-widget').shadowRoot.querySelectorAll('a'))
                  .map(a => ({href: a.getAttribute('href'), target: a.getAttribute('target'), rel: a.getAttribute('rel')}))"""
        )

    def csp_violations(self) -> list[str]:
        return [m for m in self.console if "Content Security Policy" in m or "Content-Security-Policy" in m]

    def shot(self, name, **kwargs):
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"widget-{name}.png"
        self.page.screenshot(path=str(path), **kwargs)
        return path


@pytest.fixture
def context(chromium):
    ctx = chromium.new_context(viewport={"width": 1000, "height": 780})
    yield ctx
    ctx.close()


@pytest.fixture
def widget(context):
    return Widget(context.new_page())


def assert_safe_links(widget: Widget):
    for link in widget.links():
        href = link["href"] or ""
        if href.startswith("https://"):
            assert link["target"] == "_blank", link
            assert set((link["rel"] or "").split()) >= {"noopener", "noreferrer"}, link
        else:
            assert HELP_LINE_RE.match(href), link


def assert_big_targets(locator, within=None):
    """Every match is at least 44x44 CSS px (scrolled into view), and inside `within` if given."""
    assert locator.count() > 0
    for i in range(locator.count()):
        item = locator.nth(i)
        item.scroll_into_view_if_needed()
        box = item.bounding_box()
        assert box and box["width"] >= 44 and box["height"] >= 44, (item.get_attribute("href"), box)
        if within is not None:
            outer = within.bounding_box()
            assert outer["y"] - 1 <= box["y"] and box["y"] + box["height"] <= outer["y"] + outer["height"] + 1, (box, outer)


def csp_header(headers: dict) -> str:
    return {k.lower(): v for k, v in headers.items()}["content-security-policy"]


# ------------------------------------------------------------------------- static server, source
def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read().decode()


def test_static_server_sends_security_headers_on_every_response(web):
    rasa_origin = web.rasa_url
    for path, status in [("/demo.html", 200), ("/kratom-widget.js", 200), ("/kratom-resources.js", 200),
                         ("/missing.js", 404), ("/", 200), ("/../pyproject.toml", 404)]:
        code, headers, body = fetch(web.static.origin + path)
        assert code == status, path
        headers = {k.lower(): v for k, v in headers.items()}
        csp = headers["content-security-policy"]
        for part in ["default-src 'self'", "script-src 'self'", f"connect-src 'self' {rasa_origin}",
                     "img-src 'self' data:", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"]:
            assert part in csp, (path, csp)
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
    _, headers, body = fetch(web.demo)
    assert f'data-server="{web.rasa_url}"' in body and "__RASA_URL__" not in body
    assert 'data-region="US"' in body
    assert not re.search(r"<script(?![^>]*\ssrc=)", body)  # no inline script (CSP)
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", body, re.I)  # no inline event handlers
    _, _, uk = fetch(web.demo + "?region=uk")
    assert 'data-region="UK"' in uk
    _, _, odd = fetch(web.demo + "?region=%22%3E%3Cscript%3E")
    assert 'data-region="US"' in odd and "<script>" not in odd


def test_widget_source_never_parses_html():
    source = (STATIC / "kratom-widget.js").read_text(encoding="utf-8")
    for banned in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                   "DOMParser", "createContextualFragment", 'setAttribute("style"', "srcdoc"]:
        assert banned not in source, banned
    assert "crypto.getRandomValues" in source and "Math.random" not in source


# ------------------------------------------------------------------------------ conversations
def test_information_question_shows_answer_sources_and_review_date(widget, web):
    response = widget.goto(web.demo)
    assert "script-src 'self'" in csp_header(response.headers)
    widget.open()
    expect(widget.loc(".kw-disclaimer")).to_contain_text("Information, not medical advice")
    reply = widget.ask("Can kratom hurt my liver?")
    expect(reply).to_have_attribute("data-route", "answer")
    expect(reply).to_contain_text("liver")
    expect(reply.locator(".kw-reviewed")).to_have_text(re.compile(r"^Reviewed \d{4}-\d{2}-\d{2}"))
    sources = reply.locator(".kw-sources a")
    assert sources.count() >= 1
    for i in range(sources.count()):
        link = sources.nth(i)
        assert link.get_attribute("href").startswith("https://")
        assert link.get_attribute("target") == "_blank"
        assert set(link.get_attribute("rel").split()) >= {"noopener", "noreferrer"}
    # The entry is shown once; its "Sources:" text lines are replaced by the linked list.
    assert "Sources:" not in reply.locator(".kw-line").all_text_contents()
    suggestions = reply.locator(".kw-suggestion")
    assert suggestions.count() >= 1
    assert_safe_links(widget)

    # Screenshot of the panel: the end of the answer, its linked sources, review date and thumbs in view.
    reply.locator(".kw-feedback").evaluate(
        """e => { const log = e.closest('.kw-log');
                  log.scrollTop += e.getBoundingClientRect().bottom - log.getBoundingClientRect().bottom + 12; }"""
    )
    box = widget.panel.bounding_box()
    clip = {"x": box["x"] - 16, "y": box["y"] - 16, "width": box["width"] + 32, "height": box["height"] + 32}
    path = widget.shot("answer", clip=clip)
    widget.shot("answer-page")
    if not DOCS_SHOT.exists() or os.environ.get("KRATOM_UPDATE_SCREENSHOTS") == "1":
        DOCS_SHOT.parent.mkdir(exist_ok=True)
        DOCS_SHOT.write_bytes(path.read_bytes())
    assert DOCS_SHOT.stat().st_size < 200_000

    # A suggested question is sent as the user's text.
    question = suggestions.first.inner_text()
    before = widget.replies.count()
    suggestions.first.click()
    widget.wait_reply(before)
    expect(widget.user_messages.last).to_contain_text(question)
    assert not widget.csp_violations(), widget.console


def test_dosing_question_is_redirected(widget, web):
    widget.goto(web.demo)
    widget.open()
    reply = widget.ask("how many grams of kratom should I take")
    expect(reply).to_have_attribute("data-route", "redirect")
    expect(reply).to_contain_text("can't help with amounts")
    expect(reply.locator('a[href="tel:18006624357"]')).to_be_visible()
    assert reply.locator(".kw-suggestion").count() >= 1
    assert_safe_links(widget)


def test_crisis_reply_is_distinct_and_has_tel_links(widget, web):
    widget.goto(web.demo)
    widget.open()
    reply = widget.ask("I want to end my life")
    expect(reply).to_have_attribute("data-route", "crisis")
    expect(reply.locator(".kw-crisis-title")).to_be_visible()
    for href in ["tel:988", "sms:988", "tel:911"]:
        expect(reply.locator(f'a[href="{href}"]').first).to_be_visible()
    crisis_border = reply.evaluate("e => getComputedStyle(e).borderLeftColor")
    normal_bg = widget.loc(".kw-welcome").evaluate("e => getComputedStyle(e).backgroundColor")
    assert crisis_border == "rgb(185, 28, 28)"
    assert reply.evaluate("e => getComputedStyle(e).backgroundColor") != normal_bg
    assert_safe_links(widget)
    # Each help line once, as buttons in the message; never also as a plain-text list.
    labels = reply.locator(".kw-res-label").all_text_contents()
    assert labels and len(labels) == len(set(labels)), labels
    lines = [t.strip() for t in reply.locator(".kw-line, .kw-li").all_text_contents()]
    for label in labels:
        assert not [t for t in lines if label in t], (label, lines)
    assert_big_targets(reply.locator('a[href^="tel:"], a[href^="sms:"]'))
    expect(reply.get_by_role("link", name=re.compile(r"^Call 988 \(988 Suicide"))).to_be_visible()
    widget.shot("crisis")


def test_user_html_is_shown_as_text_and_runs_nothing(widget, web):
    payload = "<img src=x onerror=alert(1)>"
    widget.goto(web.demo)
    widget.open()
    widget.ask(payload)
    expect(widget.user_messages.last.locator(".kw-line")).to_have_text(payload)
    widget.page.wait_for_timeout(300)
    assert widget.loc(".kw-log img").count() == 0
    assert widget.page.locator("img").count() == 0
    assert widget.dialogs == []
    widget.page.reload()  # and from the stored transcript
    expect(widget.user_messages.last.locator(".kw-line")).to_have_text(payload)
    assert widget.loc(".kw-log img").count() == 0 and widget.dialogs == []


def test_hostile_server_content_is_rendered_inert(widget, web):
    """Whatever a (compromised) server sends: text stays text, only https sources and tel/sms become links."""
    data = {
        "route": "answer", "kind": "answer", "answer": "Plain answer",
        "sources": [
            {"organisation": "<i>Org</i>", "title": "js", "url": "javascript:alert(3)"},
            {"organisation": "Plain", "title": "http", "url": "http://example.org/"},
            {"organisation": "Good", "title": "ok", "url": "https://example.org/ok"},
        ],
        "reviewed_on": "2026-11-26",
        "resources": [{"label": "<img src=x onerror=alert(4)>", "phone": "javascript:alert(5)", "sms": "12 34"}],
        "buttons": ["<b>bold</b>"],
    }
    messages = [
        {"recipient_id": "x", "text": "<img src=x onerror=alert(1)>\nhttps://evil.example/phish\n<script>alert(2)</script>"},
        {"recipient_id": "x", "custom": {"data": json.dumps(data)}},
    ]
    cors = {"Access-Control-Allow-Origin": web.static.origin, "Access-Control-Allow-Headers": "content-type",
            "Access-Control-Allow-Methods": "POST, OPTIONS"}

    def handler(route):
        if route.request.method == "OPTIONS":
            route.fulfill(status=204, headers=cors)
        else:
            route.fulfill(status=200, headers=cors, content_type="application/json", body=json.dumps(messages))

    widget.page.route(f"{web.rasa_url}/webhooks/rest/webhook", handler)
    widget.goto(web.demo)
    widget.open()
    reply = widget.ask("anything")
    widget.page.wait_for_timeout(300)
    expect(reply.locator(".kw-line").first).to_have_text("<img src=x onerror=alert(1)>")
    expect(reply).to_contain_text("https://evil.example/phish")
    assert widget.dialogs == []
    assert widget.loc(".kw-log img, .kw-log script, .kw-log b, .kw-log i").count() == 0
    hrefs = [link["href"] for link in widget.links()]
    assert hrefs == ["sms:1234", "https://example.org/ok"], hrefs
    expect(reply.locator(".kw-suggestion")).to_have_text("<b>bold</b>")
    expect(reply).to_contain_text("Call javascript:alert(5)")


def test_server_errors_get_a_kind_message(widget, web):
    cors = {"Access-Control-Allow-Origin": web.static.origin, "Access-Control-Allow-Headers": "content-type"}
    widget.page.route(
        f"{web.rasa_url}/webhooks/rest/webhook",
        lambda route: route.fulfill(status=400 if route.request.method == "POST" else 204, headers=cors,
                                    content_type="application/json", body='{"error": "a non-empty sender is required"}'),
    )
    widget.goto(web.demo)
    widget.open()
    widget.input.fill("hello")
    widget.input.press("Enter")
    notice = widget.loc(".kw-notice")
    expect(notice).to_contain_text("Sorry", timeout=REPLY_TIMEOUT)
    expect(notice).not_to_contain_text("sender")


# --------------------------------------------------------------------------------- Get help now
def test_get_help_now_works_with_the_server_unreachable_us(widget, offline):
    requests: list[str] = []
    widget.page.on("request", lambda r: requests.append(r.url))
    widget.goto(offline.demo)
    widget.loc(".kw-dock-help").click()
    help_box = widget.loc(".kw-help")
    expect(help_box).to_be_visible()
    expect(help_box.locator("h3")).to_be_focused()
    expect(help_box.locator("h3")).to_contain_text("United States")
    for href in ["tel:911", "tel:988", "sms:988", "sms:838255", "tel:18002221222", "tel:18006624357"]:
        expect(help_box.locator(f'a[href="{href}"]').first).to_be_visible()
    assert not [u for u in requests if u.startswith(offline.rasa_url)], requests
    assert any(u.endswith("/kratom-resources.js") for u in requests)
    assert_safe_links(widget)
    widget.shot("help-us-offline")

    # The chat itself says kindly that it cannot reach the assistant, and points to the numbers.
    widget.input.fill("is kratom legal?")
    widget.input.press("Enter")
    notice = widget.loc(".kw-notice")
    expect(notice).to_contain_text("couldn't reach the assistant", timeout=REPLY_TIMEOUT)
    expect(notice.locator(".kw-inline-help")).to_be_visible()


@contextlib.contextmanager
def host_page(html: str, csp: str):
    """Some other site (its own loopback origin) that embeds the widget with one script tag."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = html.encode() if self.path == "/" else b""
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", csp)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_get_help_now_on_any_page_for_the_uk(widget, web):
    """Embedded in a page on another origin with a strict CSP; the server port is closed."""
    closed = f"http://127.0.0.1:{devstack.free_port()}"
    page_html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host page</title></head>
<body><h1>Some other site</h1>
<script src="{web.static.origin}/kratom-widget.js" data-server="{closed}" data-region="UK"
        data-title="Kratom &amp; withdrawal info" data-color="#0f766e" defer></script></body></html>"""
    csp = f"default-src 'none'; script-src {web.static.origin}; style-src 'self'; connect-src {closed}"
    with host_page(page_html, csp) as url:
        widget.goto(url)
        assert widget.loc(".kw-dock").evaluate("e => getComputedStyle(e).position") == "fixed"  # styled under CSP
        check_uk_help(widget)


def check_uk_help(widget):
    widget.loc(".kw-dock-help").click()
    help_box = widget.loc(".kw-help")
    expect(help_box.locator("h3")).to_contain_text("United Kingdom")
    for href in ["tel:999", "tel:116123", "tel:111", "tel:03001236600"]:
        expect(help_box.locator(f'a[href="{href}"]').first).to_be_visible()
    assert "988" not in help_box.inner_text() and "911" not in help_box.inner_text()
    assert help_box.locator('a[href^="sms:"]').count() == 0  # no UK line takes texts
    assert_safe_links(widget)
    assert not widget.csp_violations(), widget.console
    widget.shot("help-uk-other-site")


# -------------------------------------------------------------------------- persistence, clear
def test_reload_keeps_the_conversation_and_clear_forgets_it(widget, web):
    senders: list[str] = []
    forgets: list[tuple[str, str]] = []
    widget.page.on("request", lambda r: senders.append(json.loads(r.post_data)["sender"])
                   if r.method == "POST" and r.url.endswith("/webhooks/rest/webhook") else None)
    widget.page.on("request", lambda r: forgets.append(r.url) if r.url.endswith("/webhooks/rest/forget") else None)
    widget.goto(web.demo)
    widget.open()
    widget.ask("hey there")
    assert re.fullmatch(r"web-[0-9a-f]{32}", senders[0])
    widget.page.reload()
    expect(widget.panel).to_be_visible()
    expect(widget.user_messages).to_have_count(1)
    expect(widget.user_messages.first).to_contain_text("hey there")
    assert widget.replies.count() >= 1
    widget.ask("What is kratom?")
    assert senders[1] == senders[0]  # the same Rasa conversation

    widget.loc(".kw-clear").click()
    expect(widget.loc(".kw-confirm")).to_contain_text("Clear this conversation from this device?")
    expect(widget.user_messages).to_have_count(2)  # nothing cleared yet
    assert forgets == []
    with widget.page.expect_response(lambda r: r.url.endswith("/webhooks/rest/forget")) as forgot:
        widget.page.get_by_role("button", name="Yes, clear").click()
    expect(widget.user_messages).to_have_count(0)
    expect(widget.replies).to_have_count(0)
    expect(widget.loc(".kw-root > [role=status]")).to_have_text("Conversation cleared.")
    stored = widget.page.evaluate("() => [localStorage.getItem('kratom-widget.sender'), localStorage.getItem('kratom-widget.transcript')]")
    assert stored == [None, None]
    # ...and the server was asked to forget this conversation, under its own sender id.
    assert forgot.value.status == 200 and json.loads(forgot.value.request.post_data) == {"sender": senders[0]}
    assert len(forgets) == 1
    expect(widget.loc(".kw-starters")).to_be_visible()  # the first screen again
    widget.page.reload()
    widget.open()
    expect(widget.user_messages).to_have_count(0)
    widget.ask("hey there")
    assert senders[2] != senders[0] and re.fullmatch(r"web-[0-9a-f]{32}", senders[2])


def test_clear_makes_the_server_forget_the_earlier_turns(widget, web):
    """In-memory tracker store: a follow-up that only makes sense with the earlier turn is a
    redirect before Clear conversation, and not after it (the same sender id, forgotten)."""
    widget.goto(web.demo)
    widget.open()
    widget.ask("I take 8 grams of kratom every morning for my withdrawal")
    sender = widget.page.evaluate("() => localStorage.getItem('kratom-widget.sender')")
    client = Client(web.rasa_url)
    assert route_of(client.send("is that ok?", sender=sender)) == "redirect"
    with widget.page.expect_response(lambda r: r.url.endswith("/webhooks/rest/forget")) as forgot:
        widget.loc(".kw-clear").click()
        widget.page.get_by_role("button", name="Yes, clear").click()
    assert forgot.value.status == 200
    assert route_of(client.send("is that ok?", sender=sender)) != "redirect"


# ------------------------------------------------------------------------------ accessibility
def test_keyboard_only(widget, web):
    page = widget.page
    widget.goto(web.demo)
    for _ in range(30):
        page.keyboard.press("Tab")
        if "kw-launcher" in widget.active().get("cls", ""):
            break
    else:
        pytest.fail("Tab never reached the launcher")
    focused = widget.active()
    assert focused["outline"] == "solid" and focused["outlineWidth"] == "3px"  # visible focus
    page.keyboard.press("Enter")
    expect(widget.panel).to_be_visible()
    assert widget.active()["id"] == "kw-input"
    page.keyboard.type("What is kratom?")
    before = widget.replies.count()
    page.keyboard.press("Enter")
    widget.wait_reply(before)

    # Back from the input to the last suggested question; Enter sends it.
    for _ in range(3):
        page.keyboard.press("Shift+Tab")
        if "kw-suggestion" in widget.active()["cls"]:
            break
    else:
        pytest.fail("Shift+Tab never reached a suggested question")
    question = widget.active()["text"]
    before = widget.replies.count()
    page.keyboard.press("Enter")
    widget.wait_reply(before)
    expect(widget.user_messages.last).to_contain_text(question)
    assert widget.active()["id"] == "kw-input"
    page.keyboard.press("Tab")
    assert "kw-send" in widget.active()["cls"]
    page.keyboard.press("Tab")
    assert "kw-clear" in widget.active()["cls"]

    # Escape closes and gives focus back to the launcher; Get help now is one Shift+Tab away.
    page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    assert "kw-launcher" in widget.active()["cls"]
    page.keyboard.press("Shift+Tab")
    assert "kw-dock-help" in widget.active()["cls"]
    page.keyboard.press("Enter")
    expect(widget.loc(".kw-help")).to_be_visible()
    assert widget.active()["tag"] == "H3"
    page.keyboard.press("Tab")
    assert widget.active()["href"] == "tel:911"
    widget.shot("keyboard")


def test_accessible_structure(widget, web):
    widget.goto(web.demo)
    expect(widget.launcher).to_have_attribute("aria-expanded", "false")
    widget.open()
    expect(widget.launcher).to_have_attribute("aria-expanded", "true")
    expect(widget.log).to_have_attribute("role", "log")
    # New replies are announced through the status region (answer text only), not the whole log.
    expect(widget.log).to_have_attribute("aria-live", "off")
    expect(widget.loc(".kw-root > [role=status]")).to_have_count(1)
    expect(widget.page.get_by_label("Your question")).to_be_visible()
    expect(widget.page.get_by_role("dialog", name="Kratom & withdrawal info")).to_be_visible()
    expect(widget.page.get_by_role("button", name="Close chat")).to_be_visible()
    expect(widget.page.get_by_role("button", name="Clear conversation")).to_be_visible()
    expect(widget.loc(".kw-header-help")).to_have_text("Get help now")


CONTRAST_JS = """
() => {
  const root = document.getElementById('kratom-widget').shadowRoot;
  const parse = c => { const m = /rgba?\\(([^)]+)\\)/.exec(c); if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const lin = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const lum = c => 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const up = e => e.parentElement || (e.parentNode && e.parentNode.host) || null;
  const bgOf = e => { for (let n = e; n; n = up(n)) { const c = parse(getComputedStyle(n).backgroundColor);
    if (c && c[3] > 0) return c; } return [255, 255, 255, 1]; };
  const out = [];
  const check = (e, name, fg) => { const bg = bgOf(e);
    out.push({name, text: (e.textContent || e.placeholder || '').trim().slice(0, 40), fg: fg.slice(0, 3).join(','),
              bg: bg.slice(0, 3).join(','), ratio: Math.round(ratio(fg, bg) * 100) / 100}); };
  for (const e of root.querySelectorAll('*')) {
    if (e.closest('.kw-sr') || !e.getClientRects().length) continue;
    if (!Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    check(e, String(e.className || e.tagName.toLowerCase()), parse(getComputedStyle(e).color));
  }
  const input = root.querySelector('.kw-input');
  if (input.getClientRects().length) check(input, 'kw-input::placeholder', parse(getComputedStyle(input, '::placeholder').color));
  return out;
}
"""


def test_text_contrast_meets_wcag_aa(widget, web):
    widget.goto(web.demo)
    results = widget.page.evaluate(CONTRAST_JS)  # the closed dock: launcher and Get help now
    widget.open()
    widget.ask("Can kratom hurt my liver?")
    widget.ask("how many grams of kratom should I take")
    results += widget.page.evaluate(CONTRAST_JS)  # the redirect's suggested questions (removed once more is said)
    widget.ask("I want to end my life")
    widget.loc(".kw-header-help").click()
    widget.page.route(f"{web.rasa_url}/webhooks/rest/webhook", lambda route: route.abort())
    widget.input.fill("hello")
    widget.input.press("Enter")
    expect(widget.loc(".kw-notice")).to_be_visible(timeout=REPLY_TIMEOUT)
    widget.input.fill("")  # the placeholder shows
    results += widget.page.evaluate(CONTRAST_JS)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "widget-contrast.json").write_text(json.dumps(results, indent=1))
    names = {r["name"] for r in results}
    for expected in ["kw-launcher-label", "kw-help-btn kw-dock-help", "kw-title", "kw-line", "kw-reviewed", "kw-res-link",
                     "kw-suggestion", "kw-crisis-title", "kw-disclaimer", "kw-send", "kw-clear", "kw-input::placeholder"]:
        assert any(expected in n for n in names), (expected, sorted(names))
    low = [r for r in results if r["ratio"] < 4.5]
    assert not low, low


def test_fits_a_320px_wide_screen(chromium, web):
    ctx = chromium.new_context(viewport={"width": 320, "height": 640})
    try:
        widget = Widget(ctx.new_page())
        widget.goto(web.demo)
        no_scroll = "() => document.documentElement.scrollWidth <= window.innerWidth"
        assert widget.page.evaluate(no_scroll)
        for part in (".kw-launcher", ".kw-dock-help"):
            box = widget.loc(part).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 320, (part, box)
        widget.open()
        box = widget.panel.bounding_box()
        assert box["x"] == 0 and box["width"] == 320 and box["height"] == 640, box
        widget.ask("Can kratom hurt my liver?")
        widget.loc(".kw-header-help").click()
        assert widget.page.evaluate(no_scroll)
        for part in (".kw-log", ".kw-help", ".kw-composer", ".kw-header", ".kw-title", ".kw-footer"):
            overflow = widget.loc(part).evaluate("e => e.scrollWidth - e.clientWidth")
            assert overflow <= 0, (part, overflow)
        for part in (".kw-input", ".kw-send", ".kw-clear", ".kw-close", ".kw-header-help"):
            b = widget.loc(part).bounding_box()
            assert b["x"] >= 0 and b["x"] + b["width"] <= 320, (part, b)
        widget.shot("320px", full_page=False)
    finally:
        ctx.close()


# ------------------------------------------------------------------------ phones, help sheet
VIEWPORTS = {"portrait": (375, 740), "landscape": (740, 375), "desktop": (1280, 800)}
HELP_SHOT = REPO / "docs" / "widget-help.png"
UNDELIVERED = re.compile(r"Not delivered")


@contextlib.contextmanager
def sized(chromium, name, **kwargs):
    width, height = VIEWPORTS[name]
    ctx = chromium.new_context(viewport={"width": width, "height": height}, **kwargs)
    try:
        yield Widget(ctx.new_page())
    finally:
        ctx.close()


def seed_transcript(widget, entries, age_ms=0):
    """Put a stored conversation in localStorage (as the widget writes it), `age_ms` old."""
    widget.page.evaluate(
        """([entries, age]) => {
            localStorage.setItem('kratom-widget.transcript', JSON.stringify(entries));
            localStorage.setItem('kratom-widget.saved', String(Date.now() - age));
            localStorage.setItem('kratom-widget.sender', 'web-' + '0123456789abcdef'.repeat(2));
        }""",
        [entries, age_ms],
    )


LONG_TRANSCRIPT = [
    entry
    for i in range(8)
    for entry in (
        {"role": "user", "text": f"Question {i} about withdrawal", "data": None, "buttons": []},
        {"role": "bot", "text": ("A long answer line that wraps over several lines on a phone. " * 6).strip(),
         "data": {"route": "answer", "kind": "answer", "answer": "", "sources": [], "resources": []}, "buttons": []},
    )
]


def region_hrefs(widget, code="US") -> list[str]:
    """Every tel:/sms: number the region lists in kratom-resources.js."""
    region = widget.page.evaluate(f"() => window.KRATOM_RESOURCES.{code}")
    resources = [region["emergency"], *region["crisis_lines"], *filter(None, [region["poison"]]), *region["treatment"]]
    hrefs = []
    for r in resources:
        for key, scheme in (("phone", "tel"), ("sms", "sms")):
            if r.get(key):
                digits = re.sub(r"[\s\-().]", "", r[key])
                href = f"{scheme}:{digits}"
                if href not in hrefs:
                    hrefs.append(href)
    return hrefs


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_help_sheet_is_never_smaller_than_its_content(chromium, offline, viewport):
    """With a long conversation behind it, the sheet takes the panel; every number is a big tel:/sms: button."""
    with sized(chromium, viewport) as widget:
        widget.goto(offline.demo)
        seed_transcript(widget, LONG_TRANSCRIPT)
        widget.page.reload()
        widget.open()
        expect(widget.user_messages).to_have_count(8)
        widget.page.get_by_role("button", name="Get help now").click()
        help_box = widget.loc(".kw-help")
        expect(help_box).to_be_visible()
        expect(help_box.locator("h3")).to_be_focused()  # focus moved into the sheet
        sheet, main = help_box.bounding_box(), widget.loc(".kw-main").bounding_box()
        assert sheet["height"] >= main["height"] - 1, (sheet, main)  # not squeezed by the transcript
        content = help_box.evaluate("e => ({scroll: e.scrollHeight, client: e.clientHeight})")
        if viewport != "landscape":  # there is room: everything shows at once, nothing scrolls
            assert content["scroll"] <= content["client"] + 1, content
        hrefs = region_hrefs(widget)
        assert {"tel:911", "tel:988", "sms:988", "sms:838255", "tel:18002221222", "tel:18006624357"} <= set(hrefs)
        for href in hrefs:
            assert_big_targets(help_box.locator(f'a[href="{href}"]'), within=help_box)
        expect(help_box.get_by_role("link", name=re.compile(r"^Call 911"))).to_be_visible()
        assert_safe_links(widget)
        help_box.evaluate("e => e.scrollTop = 0")
        if viewport == "portrait":
            HELP_SHOT.parent.mkdir(exist_ok=True)
            widget.page.screenshot(path=str(HELP_SHOT))
        widget.shot(f"help-{viewport}")

        widget.page.keyboard.press("Escape")  # Escape closes the sheet, back to the chat
        expect(help_box).to_be_hidden()
        expect(widget.panel).to_be_visible()
        assert "kw-header-help" in widget.active()["cls"]
        widget.loc(".kw-header-help").click()
        expect(help_box).to_be_visible()
        help_box.get_by_role("button", name="Close help").click()  # and so does its close button
        expect(help_box).to_be_hidden()


def test_phone_panel_is_a_modal_that_keeps_focus(chromium, web):
    for viewport in ("portrait", "landscape"):
        with sized(chromium, viewport) as widget:
            widget.goto(web.demo)
            widget.open()
            expect(widget.panel).to_have_attribute("aria-modal", "true")
            expect(widget.page.get_by_role("dialog", name="Kratom & withdrawal info")).to_be_visible()
            seen = set()
            for key in ["Tab"] * 25 + ["Shift+Tab"] * 25:
                widget.page.keyboard.press(key)
                focused = widget.active()
                assert focused.get("inWidget"), (viewport, key, focused)
                inside = widget.page.evaluate(
                    "() => document.getElementById('kratom-widget').shadowRoot.querySelector('.kw-panel')"
                    ".contains(document.getElementById('kratom-widget').shadowRoot.activeElement)")
                assert inside, (viewport, key, focused)
                seen.add(focused["cls"])
            assert any("kw-input" in c for c in seen) and any("kw-close" in c for c in seen), seen
            widget.page.keyboard.press("Escape")
            expect(widget.panel).to_be_hidden()
    with sized(chromium, "desktop") as widget:  # a side panel on a desktop: not modal
        widget.goto(web.demo)
        widget.open()
        expect(widget.panel).to_have_attribute("aria-modal", "false")
        widget.page.locator("h1").click()  # focus on the host page, not the widget
        assert not widget.active().get("inWidget")
        widget.page.keyboard.press("Escape")  # Escape still closes the open panel
        expect(widget.panel).to_be_hidden()


# --------------------------------------------------------------- failures, retry, queue, crisis
def test_failed_send_is_marked_not_delivered_with_retry_and_numbers(widget, offline):
    widget.goto(offline.demo)
    widget.open()
    widget.input.fill("is kratom legal?")
    widget.input.press("Enter")
    bubble = widget.user_messages.last
    expect(bubble).to_contain_text(UNDELIVERED, timeout=REPLY_TIMEOUT)
    expect(bubble.get_by_role("button", name="Retry sending this message")).to_be_visible()
    notice = widget.loc(".kw-notice")
    for href in ["tel:911", "tel:988", "sms:988"]:  # the numbers, whatever the message was
        expect(notice.locator(f'a[href="{href}"]').first).to_be_visible()
    assert_big_targets(bubble.locator(".kw-retry"))
    widget.page.reload()  # the mark survives a reload
    widget.open()
    expect(widget.user_messages.last).to_contain_text(UNDELIVERED)
    expect(widget.user_messages.last.locator(".kw-retry")).to_be_visible()


def test_crisis_words_get_the_numbers_at_once_when_the_assistant_is_unreachable(widget, offline):
    widget.goto(offline.demo)
    widget.open()
    widget.input.fill("I don't want to be alive anymore")
    widget.input.press("Enter")
    notice = widget.loc(".kw-notice-crisis")
    expect(notice).to_be_visible(timeout=3000)
    expect(notice.locator(".kw-crisis-title")).to_have_text("Help is available right now")
    for href in ["tel:911", "tel:988", "sms:988"]:
        expect(notice.locator(f'a[href="{href}"]').first).to_be_visible()
    assert_big_targets(notice.locator('a[href^="tel:"], a[href^="sms:"]'))
    expect(widget.user_messages.last).to_contain_text(UNDELIVERED)
    # An everyday question gets the plain notice (with numbers), not the crisis one.
    widget.input.fill("what is kratom")
    widget.input.press("Enter")
    expect(widget.user_messages.last).to_contain_text(UNDELIVERED, timeout=REPLY_TIMEOUT)
    expect(widget.loc(".kw-notice")).to_have_count(1)  # one help notice at a time, the newest
    expect(widget.loc(".kw-notice-crisis")).to_have_count(0)
    expect(widget.loc(".kw-notice")).to_contain_text("couldn't reach the assistant")


def test_in_browser_crisis_check_agrees_with_the_policy_examples(widget, offline):
    """The word list is generated from guardrails/policy.yml; on every example of every rule the
    check in Chromium must agree with the server's crisis rules without a judge (soft crisis rules
    included: with no judge to overrule them they give crisis help, in the browser too)."""
    from guardrails import InputGuard
    from guardrails.engine import POLICY_FILE
    from guardrails.policy import load_policy

    policy = load_policy(POLICY_FILE)
    rules_only = InputGuard.from_files(require_judge=False)
    assert rules_only.judge is None
    examples = [e for r in policy.rules for e in (*r.fire_examples, *r.pass_examples)]
    examples += ["hello", "is kratom legal?", "what is kratom", "¿qué es el kratom?", "this withdrawal is killing me haha"]
    expected = [rules_only.check(e).route == "crisis" for e in examples]
    assert any(expected) and not all(expected)
    widget.goto(offline.demo)
    widget.page.wait_for_function("() => !!window.KRATOM_CRISIS")
    check = "texts => texts.map(t => window.KratomWidget.isCrisis(t))"
    got = widget.page.evaluate(check, examples)
    missed = [t for t, want, hit in zip(examples, expected, got) if want and not hit]
    wrong = [t for t, want, hit in zip(examples, expected, got) if hit and not want]
    assert not missed and not wrong, (missed, wrong)


def test_in_browser_language_check_agrees_with_the_server(widget, offline):
    """The widget picks the language of its offline notices with the policy's word lists; on
    every labeled training message (Spanish and English) Chromium must read the language as
    the server does (guardrails.policy.Policy.language)."""
    from bot.training.datasets import judge_rows
    from guardrails import InputGuard

    guard = InputGuard.from_files(require_judge=False)
    texts = [r.text for r in judge_rows("train")]
    expected = [guard.language(guard.read(t).folded, t) == "es" for t in texts]
    assert 500 < sum(expected) < len(texts) - 500
    widget.goto(offline.demo)
    widget.page.wait_for_function("() => !!window.KRATOM_CRISIS")
    got = widget.page.evaluate("texts => texts.map(t => window.KratomWidget.looksSpanish(t))", texts)
    differ = [(t, want) for t, want, hit in zip(texts, expected, got) if want != hit]
    assert not differ, differ[:10]


def test_no_reply_in_time_is_not_delivered_and_retry_sends_it(widget, web):
    hang = {"on": True}

    def handler(route):
        if hang["on"] and route.request.method == "POST":
            return  # never answered: the widget gives up after ~8 s
        route.continue_()

    widget.page.route(f"{web.rasa_url}/webhooks/rest/webhook", handler)
    widget.goto(web.demo)
    widget.open()
    widget.input.fill("What is kratom?")
    widget.input.press("Enter")
    bubble = widget.user_messages.last
    expect(bubble).to_contain_text("Sending")
    expect(bubble).to_contain_text(UNDELIVERED, timeout=12_000)
    expect(widget.loc(".kw-notice")).to_contain_text("in time")
    expect(widget.loc(".kw-notice").locator('a[href="tel:911"]')).to_be_visible()
    hang["on"] = False
    before = widget.replies.count()
    bubble.get_by_role("button", name="Retry sending this message").click()
    widget.wait_reply(before)
    expect(widget.user_messages).to_have_count(1)
    expect(widget.user_messages.last).not_to_contain_text(UNDELIVERED)
    expect(widget.replies.nth(before)).to_contain_text("kratom", ignore_case=True)


def test_messages_typed_while_waiting_are_queued_and_sent_in_order(widget, web):
    sent: list[str] = []
    widget.page.on("request", lambda r: sent.append(json.loads(r.post_data)["message"])
                   if r.method == "POST" and r.url.endswith("/webhooks/rest/webhook") else None)
    widget.goto(web.demo)
    widget.open()
    questions = ["What is kratom?", "Is kratom legal?", "Can kratom hurt my liver?"]
    for q in questions:
        widget.input.fill(q)
        widget.input.press("Enter")
        expect(widget.input).to_have_value("")  # taken, not ignored
    expect(widget.user_messages).to_have_count(3)
    expect(widget.log).to_have_attribute("aria-busy", "false", timeout=REPLY_TIMEOUT * 2)
    assert sent == questions, sent
    assert widget.replies.count() >= 3
    # each reply follows its own question
    order = widget.page.evaluate(
        """() => Array.from(document.getElementById('kratom-widget').shadowRoot.querySelectorAll('.kw-log > .kw-msg'))
              .map(n => n.classList.contains('kw-user') ? 'u' : 'b').join('')""")
    assert re.fullmatch(r"b(ub+){3}", order), order


# --------------------------------------------------------------------------- reading replies
def test_replies_scroll_to_their_start_with_collapsed_sources_and_lists(chromium, web):
    with sized(chromium, "landscape") as widget:
        widget.goto(web.demo)
        widget.open()
        reply = widget.ask("Can kratom hurt my liver?")
        log_box, box = widget.log.bounding_box(), reply.bounding_box()
        assert box["height"] > log_box["height"]  # longer than the view...
        assert log_box["y"] <= box["y"] <= log_box["y"] + 24, (box, log_box)  # ...shown from its first line
        sources = reply.locator("details.kw-sources")
        expect(sources).to_have_count(1)
        count = sources.locator("li").count()
        assert 1 <= count <= 3
        expect(sources.locator("summary")).to_have_text(re.compile(rf"^Sources \({count}\)$"))
        expect(sources.locator("a").first).to_be_hidden()  # collapsed
        sources.locator("summary").click()
        expect(sources.locator("a").first).to_be_visible()
        assert reply.locator(".kw-suggestions").count() == 1

        reply2 = widget.ask("my friend is not breathing")  # the emergency reply has "- " steps
        expect(reply2).to_have_attribute("data-route", "crisis")
        steps = reply2.get_by_role("list").filter(has=widget.page.locator(".kw-li"))
        expect(steps).to_have_count(1)
        assert steps.locator("li").count() >= 3
        assert not [t for t in reply2.locator(".kw-line").all_text_contents() if t.strip().startswith("- ")]
        # Only the newest suggestions are there at all (so in the Tab order).
        reply3 = widget.ask("What is kratom?")
        groups = widget.loc(".kw-log .kw-suggestions")
        if reply3.locator(".kw-suggestion").count():
            expect(groups).to_have_count(1)
            assert reply3.locator(".kw-suggestions").count() == 1
        else:
            expect(groups).to_have_count(0)
        assert reply.locator(".kw-suggestion").count() == 0


def test_live_region_announces_the_answer_not_its_sources(widget, web):
    widget.goto(web.demo)
    widget.open()
    reply = widget.ask("Can kratom hurt my liver?")
    announcer = widget.loc(".kw-root > [role=status]")
    expect(announcer).to_contain_text("liver", timeout=5000)
    spoken = announcer.text_content()
    for source in reply.locator(".kw-sources li").all_text_contents():
        assert source.split(" (opens")[0] not in spoken, (source, spoken)
    assert "Sources (" not in spoken and "Reviewed" not in spoken and "opens in a new tab" not in spoken
    for suggestion in reply.locator(".kw-suggestion").all_text_contents():
        assert suggestion not in spoken


def test_spanish_reply_has_lang_es_and_spanish_labels(widget, web):
    data = {
        "route": "answer", "kind": "answer", "lang": "es", "answer": "El kratom puede afectar al h\u00edgado.",
        "sources": [{"organisation": "NIH", "title": "LiverTox", "url": "https://example.org/livertox", "checked_on": "2026-01-01"}],
        "more_sources": 2, "reviewed_on": "2026-11-26", "resources": [], "buttons": ["\u00bfQu\u00e9 es el kratom?"],
    }
    body = json.dumps([{"recipient_id": "x", "text": data["answer"]}, {"recipient_id": "x", "custom": {"data": data}}])
    cors = {"Access-Control-Allow-Origin": web.static.origin, "Access-Control-Allow-Headers": "content-type",
            "Access-Control-Allow-Methods": "POST, OPTIONS"}
    widget.page.route(f"{web.rasa_url}/webhooks/rest/webhook",
                      lambda route: route.fulfill(status=200 if route.request.method == "POST" else 204, headers=cors,
                                                  content_type="application/json", body=body))
    widget.goto(web.demo)
    widget.open()
    reply = widget.ask("\u00bfel kratom da\u00f1a el h\u00edgado?")
    expect(reply).to_have_attribute("lang", "es")
    expect(widget.user_messages.last).to_have_attribute("lang", "es")
    expect(reply.locator("summary")).to_have_text("Fuentes (1)")
    expect(reply.locator(".kw-more-sources")).to_contain_text("2 m\u00e1s")
    expect(reply.locator(".kw-reviewed")).to_have_text(re.compile(r"^Revisado 2026-11-26"))
    expect(widget.loc(".kw-header-help")).to_have_text("Obtener ayuda ahora")
    expect(widget.loc(".kw-header-help")).to_have_attribute("lang", "es")
    widget.loc(".kw-header-help").click()
    help_box = widget.loc(".kw-help")
    expect(help_box).to_have_attribute("lang", "es")
    expect(help_box.locator("h3")).to_contain_text("Obtener ayuda ahora")
    expect(help_box.get_by_role("link", name=re.compile(r"^Llamar al 911"))).to_be_visible()
    expect(help_box).to_contain_text("oprima 2")  # the Spanish note on the 988 line
    widget.page.keyboard.press("Escape")
    widget.page.keyboard.press("Escape")
    expect(widget.loc(".kw-dock-help")).to_have_text("Obtener ayuda ahora")


def test_real_spanish_crisis_reply_is_marked_spanish(widget, web):
    widget.goto(web.demo)
    widget.open()
    reply = widget.ask("me quiero suicidar")
    expect(reply).to_have_attribute("data-route", "crisis")
    expect(reply).to_have_attribute("lang", "es")
    expect(reply.locator(".kw-crisis-title")).to_have_text("Hay ayuda disponible ahora mismo")
    expect(reply.get_by_role("link", name=re.compile(r"^Llamar al 988")).first).to_be_visible()


def test_dark_mode_follows_the_system_and_keeps_contrast(chromium, web):
    ctx = chromium.new_context(viewport={"width": 1000, "height": 780}, color_scheme="dark")
    try:
        widget = Widget(ctx.new_page())
        widget.goto(web.demo)
        widget.open()
        widget.ask("how many grams of kratom should I take")
        results = widget.page.evaluate(CONTRAST_JS)
        widget.ask("I want to end my life")
        results += widget.page.evaluate(CONTRAST_JS)
        widget.loc(".kw-header-help").click()
        results += widget.page.evaluate(CONTRAST_JS)
        bg = widget.panel.evaluate("e => getComputedStyle(e).backgroundColor")
        assert bg == "rgb(17, 24, 39)", bg
        names = {r["name"] for r in results}
        for expected in ["kw-line", "kw-res-link", "kw-suggestion", "kw-crisis-title", "kw-disclaimer", "kw-input::placeholder"]:
            assert any(expected in n for n in names), (expected, sorted(names))
        low = [r for r in results if r["ratio"] < 4.5]
        assert not low, low
        widget.shot("dark")
    finally:
        ctx.close()


# ----------------------------------------------------------------------------------- composer
def test_composer_is_a_growing_textarea_with_a_counter_and_no_silent_truncation(widget, web):
    posts: list[str] = []
    widget.page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    widget.goto(web.demo)
    widget.open()
    field = widget.input
    assert field.evaluate("e => e.tagName") == "TEXTAREA"
    expect(field).to_have_attribute("maxlength", "20000")
    counter = widget.loc(".kw-counter")
    expect(counter).to_have_text("0 / 20,000")
    height = field.bounding_box()["height"]
    field.press_sequentially("first line")
    field.press("Shift+Enter")
    field.press_sequentially("second line")
    field.press("Shift+Enter")
    field.press_sequentially("third line")
    expect(field).to_have_value("first line\nsecond line\nthird line")
    assert widget.user_messages.count() == 0 and not posts  # Shift+Enter is a new line, not send
    assert field.bounding_box()["height"] > height + 20  # it grew
    expect(counter).to_have_text("33 / 20,000")

    field.fill("a" * 19_000)
    expect(counter).to_have_class(re.compile(r"\bkw-near\b"))
    expect(counter).to_contain_text("1,000 characters left")
    assert counter.evaluate("e => getComputedStyle(e).color") == "rgb(185, 28, 28)"
    assert field.bounding_box()["height"] <= 141  # grows only so far, then scrolls

    # A paste past the limit is kept whole and flagged, never cut silently; it is not sent.
    field.fill("")
    field.evaluate("""e => { const dt = new DataTransfer(); dt.setData('text/plain', 'b'.repeat(25000));
                            e.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true})); }""")
    assert len(field.input_value()) == 25_000
    expect(counter).to_have_class(re.compile(r"\bkw-over\b"))
    expect(counter).to_contain_text("5,000 characters over the limit")
    expect(field).to_have_attribute("aria-invalid", "true")
    field.press("Enter")
    widget.page.wait_for_timeout(300)
    assert widget.user_messages.count() == 0 and not posts
    assert len(field.input_value()) == 25_000

    field.fill("What is kratom?")
    expect(counter).not_to_have_class(re.compile(r"kw-over|kw-near"))
    before = widget.replies.count()
    field.press("Enter")
    widget.wait_reply(before)
    expect(widget.user_messages.last).to_contain_text("What is kratom?")
    expect(field).to_have_value("")


# ---------------------------------------------------------------------- shared-device privacy
def test_stored_conversation_expires_after_24_hours(widget, web):
    widget.goto(web.demo)
    seed_transcript(widget, LONG_TRANSCRIPT[:2], age_ms=23 * 3600 * 1000)
    widget.page.reload()
    widget.open()
    expect(widget.user_messages).to_have_count(1)  # 23 hours: still there
    expect(widget.loc(".kw-privacy")).to_have_text(re.compile(r"^Saved on this device for 24 hours\."))
    seed_transcript(widget, LONG_TRANSCRIPT[:2], age_ms=25 * 3600 * 1000)
    widget.page.reload()
    widget.open()
    expect(widget.user_messages).to_have_count(0)  # 25 hours: gone, with the conversation id
    stored = widget.page.evaluate("() => [localStorage.getItem('kratom-widget.sender'), localStorage.getItem('kratom-widget.transcript')]")
    assert stored == [None, None]


def test_expiry_and_exit_page_are_configurable(widget, web):
    page_html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title></head>
<body><h1>Host</h1><script src="{web.static.origin}/kratom-widget.js" data-server="{web.rasa_url}" data-region="US"
  data-expire-hours="1" data-exit-url="https://example.org/news" defer></script></body></html>"""
    csp = f"default-src 'none'; script-src {web.static.origin}; style-src 'self'; connect-src {web.rasa_url}"
    widget.page.route("https://example.org/**", lambda route: route.fulfill(status=200, content_type="text/html",
                                                                           body="<title>News</title><p>news</p>"))
    with host_page(page_html, csp) as url:
        widget.goto(url)
        seed_transcript(widget, LONG_TRANSCRIPT[:2], age_ms=2 * 3600 * 1000)
        widget.page.reload()
        widget.open()
        expect(widget.user_messages).to_have_count(0)  # older than data-expire-hours=1
        expect(widget.loc(".kw-privacy")).to_contain_text("for 1 hour.")
        seed_transcript(widget, LONG_TRANSCRIPT[:2])
        widget.page.reload()
        widget.open()
        expect(widget.user_messages).to_have_count(1)
        widget.page.get_by_role("button", name="Quick exit").click()
        widget.page.wait_for_url("https://example.org/news")
        widget.goto(url)
        stored = widget.page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('kratom-widget.transcript') || k.startsWith('kratom-widget.sender'))")
        assert stored == []


def test_quick_exit_clears_and_leaves_for_a_neutral_page(widget, web):
    widget.page.route("https://www.google.com/**", lambda route: route.fulfill(status=200, content_type="text/html",
                                                                             body="<title>weather</title><p>weather</p>"))
    widget.goto(web.demo)
    widget.open()
    widget.ask("hey there")
    # Clear asks first; Cancel (or Escape) keeps the conversation.
    widget.loc(".kw-clear").click()
    expect(widget.page.get_by_role("button", name="Yes, clear")).to_be_focused()
    widget.page.keyboard.press("Escape")
    expect(widget.panel).to_be_visible()
    expect(widget.user_messages).to_have_count(1)
    expect(widget.loc(".kw-clear")).to_be_focused()
    widget.loc(".kw-clear").click()
    widget.page.get_by_role("button", name="Cancel").click()
    expect(widget.user_messages).to_have_count(1)

    exit_button = widget.page.get_by_role("button", name="Quick exit")
    expect(exit_button).to_be_visible()
    exit_button.click()
    widget.page.wait_for_url(re.compile(r"^https://www\.google\.com/search\?q=weather"))
    widget.goto(web.demo)
    stored = widget.page.evaluate("() => [localStorage.getItem('kratom-widget.sender'), localStorage.getItem('kratom-widget.transcript')]")
    assert stored == [None, None]
    widget.open()
    expect(widget.user_messages).to_have_count(0)


# --------------------------------------------------------------- starter questions, language
def starter_texts(widget) -> list[str]:
    return [t.strip() for t in widget.loc(".kw-welcome .kw-starters .kw-suggestion").all_text_contents()]


def test_every_starter_question_is_answered_in_both_languages(widget, web):
    """The first screen's questions, as the widget shows them, each get a knowledge-base answer
    from the real stack, in English and in Spanish: they cannot drift to fallback unnoticed."""
    widget.goto(web.demo)
    widget.open()
    english = starter_texts(widget)
    widget.page.get_by_role("button", name="Español").click()
    spanish = starter_texts(widget)
    assert 3 <= len(english) <= 4 and len(spanish) == len(english), (english, spanish)
    assert set(english).isdisjoint(spanish)
    client = Client(web.rasa_url)
    entries: dict[str, list[str]] = {"en": [], "es": []}
    for question, lang in [(q, "en") for q in english] + [(q, "es") for q in spanish]:
        replies = client.send(question)
        assert route_of(replies) == "answer", (question, replies)
        data = next(json.loads(d) if isinstance(d, str) else d for d in
                    ((r.get("custom") or {}).get("data") for r in replies) if d)
        assert data["lang"] == lang and data["entry_id"], (question, data)
        entries[lang].append(data["entry_id"])
    # The same question in both languages: the same entry, and four different entries.
    assert entries["en"] == entries["es"] and len(set(entries["en"])) == len(english), entries

    # A tap sends the question as the user's own text; the starters then give way to the reply.
    first = widget.loc(".kw-starters .kw-suggestion").first
    question = first.inner_text()
    before = widget.replies.count()
    first.click()
    reply = widget.wait_reply(before)
    expect(widget.user_messages.last).to_contain_text(question)
    expect(reply).to_have_attribute("data-route", "answer")
    expect(reply).to_have_attribute("lang", "es")
    expect(widget.loc(".kw-starters")).to_have_count(0)


def test_language_switch_changes_labels_lang_and_starters(chromium, web):
    with sized(chromium, "portrait") as widget:  # 375 x 740
        widget.page.route("https://www.google.com/**", lambda route: route.fulfill(
            status=200, content_type="text/html", body="<title>weather</title><p>weather</p>"))
        widget.goto(web.demo)
        widget.open()
        expect(widget.page.get_by_role("group", name="Language")).to_be_visible()
        english, spanish = widget.loc('.kw-lang-btn[data-lang="en"]'), widget.loc('.kw-lang-btn[data-lang="es"]')
        expect(widget.page.get_by_role("group", name="Language").get_by_role("button", name="Español")).to_have_count(1)
        expect(widget.page.get_by_role("group", name="Language").get_by_role("button", name="English")).to_have_count(1)
        expect(english).to_have_attribute("aria-pressed", "true")
        expect(spanish).to_have_attribute("aria-pressed", "false")
        assert_big_targets(widget.loc(".kw-lang-btn"))
        expect(widget.page.get_by_role("group", name="Questions to start with")).to_be_visible()
        assert starter_texts(widget)[0] == "Does kratom help with opioid withdrawal?"

        spanish.click()
        expect(spanish).to_have_attribute("aria-pressed", "true")
        expect(english).to_have_attribute("aria-pressed", "false")
        expect(spanish).to_be_focused()  # focus stays on the switch
        expect(widget.loc(".kw-header-help")).to_have_text("Obtener ayuda ahora")
        expect(widget.loc(".kw-header-help")).to_have_attribute("lang", "es")
        expect(widget.loc(".kw-disclaimer")).to_have_attribute("lang", "es")
        expect(widget.input).to_have_attribute("placeholder", "Haz una pregunta\u2026")
        expect(widget.page.get_by_label("Tu pregunta")).to_be_visible()
        expect(widget.loc(".kw-welcome")).to_have_attribute("lang", "es")
        expect(widget.page.get_by_role("group", name="Idioma")).to_be_visible()
        expect(widget.page.get_by_role("group", name="Preguntas para empezar")).to_be_visible()
        assert starter_texts(widget)[1] == "\u00bfEs seguro el kratom?"
        assert widget.page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        footer = widget.loc(".kw-footer").bounding_box()
        assert footer["y"] + footer["height"] <= 740 + 1, footer
        widget.shot("spanish-first-screen")

        # The choice lasts through a reload of the tab...
        widget.page.reload()
        widget.open()
        expect(widget.loc(".kw-header-help")).to_have_text("Obtener ayuda ahora")
        # ...and an English question still gets an English reply, while the chrome stays Spanish.
        reply = widget.ask("What is kratom?")
        expect(reply).to_have_attribute("data-route", "answer")
        assert reply.get_attribute("lang") is None
        expect(widget.loc(".kw-send")).to_have_text("Enviar")

        english.click()
        expect(widget.loc(".kw-header-help")).to_have_text("Get help now")
        assert widget.loc(".kw-header-help").get_attribute("lang") is None
        widget.page.get_by_role("button", name="Quick exit").click()
        widget.page.wait_for_url(re.compile(r"^https://www\.google\.com/"))
        assert widget.page.evaluate("() => sessionStorage.getItem('kratom-widget.lang')") is None


def test_starters_thumbs_and_switch_keep_contrast_in_dark_mode(chromium, web):
    with sized(chromium, "portrait", color_scheme="dark") as widget:
        widget.goto(web.demo)
        widget.open()
        results = widget.page.evaluate(CONTRAST_JS)  # the first screen: starters, switch
        reply = widget.ask("Can kratom hurt my liver?")
        reply.get_by_role("button", name="Helpful", exact=True).click()
        expect(reply.get_by_role("button", name="Helpful", exact=True)).to_have_attribute("aria-pressed", "true")
        results += widget.page.evaluate(CONTRAST_JS)
        names = {r["name"] for r in results}
        for expected in ["kw-suggestion", "kw-lang-btn", "kw-feedback-ask", "kw-feedback-status"]:
            assert any(expected in n for n in names), (expected, sorted(names))
        low = [r for r in results if r["ratio"] < 4.5]
        assert not low, low
        # The pressed thumb's icon against its own background (non-text contrast, 3:1).
        colours = reply.locator(".kw-vote-up").evaluate(
            "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]")
        assert colours[0] != colours[1], colours
        widget.shot("dark-thumbs")


# ------------------------------------------------------------------------------- thumbs
def test_thumbs_under_answers_only_one_vote_per_answer(widget, web):
    votes: list[dict] = []
    widget.page.on("request", lambda r: votes.append(json.loads(r.post_data))
                   if r.method == "POST" and r.url.endswith("/webhooks/rest/feedback") else None)
    store = FeedbackStore(web.feedback_db)
    widget.goto(web.demo)
    widget.open()
    answer = widget.ask("Can kratom hurt my liver?")
    expect(answer).to_have_attribute("data-route", "answer")
    group = answer.get_by_role("group", name="Was this helpful?")
    up, down = group.get_by_role("button", name="Helpful", exact=True), group.get_by_role("button", name="Not helpful")
    for thumb in (up, down):
        expect(thumb).to_have_attribute("aria-pressed", "false")
    assert_big_targets(answer.locator(".kw-vote"))
    for text, route in [("what is the capital of peru", "fallback"), ("how many grams of kratom should I take", "redirect"),
                        ("I want to end my life", "crisis")]:
        reply = widget.ask(text)
        expect(reply).to_have_attribute("data-route", route)
        expect(reply.locator(".kw-feedback")).to_have_count(0)

    before = store.counts().get("kratom-liver-injury", {}).get("up", 0)
    with widget.page.expect_response(lambda r: r.url.endswith("/webhooks/rest/feedback")) as sent:
        up.click()
    assert sent.value.status == 200
    assert votes == [{"entry": "kratom-liver-injury", "vote": "up"}]
    expect(up).to_have_attribute("aria-pressed", "true")
    for thumb in (up, down):
        expect(thumb).to_have_attribute("aria-disabled", "true")
    expect(group).to_contain_text("Thanks for the feedback.")
    assert store.counts()["kratom-liver-injury"]["up"] == before + 1
    down.click(force=True)  # one vote per answer: nothing more is sent (aria-disabled, still focusable)
    up.click(force=True)
    widget.page.reload()  # and the vote is remembered with the transcript
    widget.open()
    again = widget.replies.first
    expect(again.get_by_role("button", name="Helpful", exact=True)).to_have_attribute("aria-pressed", "true")
    again.get_by_role("button", name="Not helpful").click(force=True)
    assert len(votes) == 1, votes
    assert store.counts()["kratom-liver-injury"] == {"up": before + 1, "down": 0, "flag": 0}


def test_a_vote_the_server_refused_is_undone(widget, web):
    cors = {"Access-Control-Allow-Origin": web.static.origin, "Access-Control-Allow-Headers": "content-type",
            "Access-Control-Allow-Methods": "POST, OPTIONS"}
    widget.page.route(f"{web.rasa_url}/webhooks/rest/feedback",
                      lambda route: route.fulfill(status=503 if route.request.method == "POST" else 204, headers=cors,
                                                  content_type="application/json", body='{"error": "down"}'))
    widget.goto(web.demo)
    widget.open()
    answer = widget.ask("Can kratom hurt my liver?")
    down = answer.get_by_role("button", name="Not helpful")
    down.click()
    expect(answer.locator(".kw-feedback")).to_contain_text("was not sent")
    expect(down).to_have_attribute("aria-pressed", "false")
    assert down.get_attribute("aria-disabled") is None  # it can be tried again
    stored = widget.page.evaluate("() => JSON.parse(localStorage.getItem('kratom-widget.transcript'))")
    assert not [e for e in stored if e.get("vote")], stored


def test_data_lang_es_starts_in_spanish_and_replies_still_lead_until_a_choice(widget, web):
    page_html = f"""<!doctype html><html lang="es"><head><meta charset="utf-8"><title>Host</title></head>
<body><h1>Host</h1><script src="{web.static.origin}/kratom-widget.js" data-server="{web.rasa_url}" data-region="US"
  data-lang="es" defer></script></body></html>"""
    csp = f"default-src 'none'; script-src {web.static.origin}; style-src 'self'; connect-src {web.rasa_url}"
    with host_page(page_html, csp) as url:
        # This host is not in Rasa's CORS list: its reply is stood in for (an English answer).
        data = {"route": "answer", "kind": "answer", "lang": "en", "answer": "Kratom is a plant.", "sources": [], "resources": []}
        body = json.dumps([{"recipient_id": "x", "text": data["answer"]}, {"recipient_id": "x", "custom": {"data": data}}])
        cors = {"Access-Control-Allow-Origin": url.rstrip("/"), "Access-Control-Allow-Headers": "content-type",
                "Access-Control-Allow-Methods": "POST, OPTIONS"}
        widget.page.route(f"{web.rasa_url}/webhooks/rest/webhook",
                          lambda route: route.fulfill(status=200 if route.request.method == "POST" else 204, headers=cors,
                                                      content_type="application/json", body=body))
        widget.goto(url)
        expect(widget.loc(".kw-dock-help")).to_have_text("Obtener ayuda ahora")
        widget.open()
        expect(widget.loc('.kw-lang-btn[data-lang="es"]')).to_have_attribute("aria-pressed", "true")
        assert starter_texts(widget)[1] == "\u00bfEs seguro el kratom?"
        # No choice made on the switch: an English reply brings the English words, as before.
        widget.ask("What is kratom?")
        expect(widget.loc(".kw-header-help")).to_have_text("Get help now")
        expect(widget.loc('.kw-lang-btn[data-lang="en"]')).to_have_attribute("aria-pressed", "true")
