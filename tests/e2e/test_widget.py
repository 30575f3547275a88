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
from bot.web.static_server import STATIC, StaticServer

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
def web():
    """The real stack, with CORS for the static server's origin, and the static server."""
    rasa_port = devstack.free_port()
    rasa_url = f"http://127.0.0.1:{rasa_port}"
    with StaticServer(rasa_url) as static:
        with devstack.running_stack(port=rasa_port, cors=[static.origin]) as stack:
            yield SimpleNamespace(stack=stack, static=static, rasa_url=rasa_url, demo=static.url)


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

    # Screenshot of the panel: the end of the answer, its linked sources and review date in view.
    reply.locator(".kw-reviewed").evaluate(
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
    widget.page.on("request", lambda r: senders.append(json.loads(r.post_data)["sender"])
                   if r.method == "POST" and r.url.endswith("/webhooks/rest/webhook") else None)
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
    expect(widget.user_messages).to_have_count(0)
    expect(widget.replies).to_have_count(0)
    expect(widget.loc(".kw-root > [role=status]")).to_have_text("Conversation cleared.")
    stored = widget.page.evaluate("() => [localStorage.getItem('kratom-widget.sender'), localStorage.getItem('kratom-widget.transcript')]")
    assert stored == [None, None]
    widget.page.reload()
    widget.open()
    expect(widget.user_messages).to_have_count(0)
    widget.ask("hey there")
    assert senders[2] != senders[0] and re.fullmatch(r"web-[0-9a-f]{32}", senders[2])


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
    expect(widget.log).to_have_attribute("aria-live", "polite")
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
