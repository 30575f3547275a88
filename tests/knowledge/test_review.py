"""Clinical sign-off, the snapshot it keeps, the review pack and the review counts in kb stats."""

import datetime as dt
import json
import re
from html.parser import HTMLParser

import pytest

from bot import kb_commands
from bot.cli import build_parser
from knowledge.entry import ClinicalReview, EntryError, load_entries, parse_entry
from knowledge.review import (
    SignOffError,
    render_review_pack,
    replace_clinical_review,
    review_status,
    sign_off,
)
from knowledge.validate import validate

from .kbfiles import NALTREXONE_ANSWER, REAL_SOURCES, SPANISH_ANSWER, TODAY, base_text, companion_text, write_companion, write_kb

ROLE = "addiction medicine physician"


@pytest.fixture
def kb(tmp_path):
    entries = write_kb(tmp_path)
    return entries, tmp_path / "reviews"


def sign(kb, entry_id="naltrexone", **kwargs):
    entries, reviews = kb
    kwargs.setdefault("role", ROLE)
    return sign_off(entry_id, entries_dir=entries, reviews_dir=reviews, today=TODAY, **kwargs)


def pack(kb, include_all=False):
    entries, reviews = kb
    return render_review_pack(load_entries(entries), reviews_dir=reviews, today=TODAY, include_all=include_all)


def listed_ids(page: str) -> list[str]:
    return re.findall(r'<section class="entry" id="entry-[^"]*" data-entry-id="([^"]*)"', page)


def edit_answer(entries, entry_id, old, new):
    path = entries / f"{entry_id}.md"
    text = path.read_text(encoding="utf-8")
    head, body = text.split("\n---\n", 1)
    assert old in body
    path.write_text(head + "\n---\n" + body.replace(old, new, 1), encoding="utf-8")


# -- sign-off ---------------------------------------------------------------------------------
def test_sign_off_rewrites_only_the_clinical_review_line(kb):
    entries, reviews = kb
    path = entries / "naltrexone.md"
    before = path.read_bytes()
    review, snapshot = sign(kb, date=dt.date(2026, 11, 30))
    after = path.read_bytes()
    expected = before.replace(
        b"\nclinical_review: pending\n", b'\nclinical_review: {role: "addiction medicine physician", date: 2026-11-30}\n'
    )
    assert before != after
    assert after == expected
    assert review == ClinicalReview(role=ROLE, date=dt.date(2026, 11, 30), by=None)
    assert parse_entry(path).clinical_review == review


def test_the_name_is_recorded_only_when_given(kb):
    entries, reviews = kb
    sign(kb, name="Their Own Name")
    line = [l for l in (entries / "naltrexone.md").read_text().splitlines() if l.startswith("clinical_review")]
    assert line == [f'clinical_review: {{role: "{ROLE}", date: {TODAY}, by: "Their Own Name"}}']
    assert parse_entry(entries / "naltrexone.md").clinical_review.by == "Their Own Name"
    data = json.loads((reviews / "naltrexone.json").read_text())
    assert data["clinical_review"] == {"role": ROLE, "date": str(TODAY), "by": "Their Own Name"}
    sign(kb, "naloxone")
    assert "by" not in json.loads((reviews / "naloxone.json").read_text())["clinical_review"]


def test_sign_off_stores_a_snapshot_of_the_answer_and_source_urls(kb):
    entries, reviews = kb
    _, snapshot = sign(kb)
    assert snapshot == reviews / "naltrexone.json"
    data = json.loads(snapshot.read_text(encoding="utf-8"))
    assert data["id"] == "naltrexone"
    assert data["answer"] == NALTREXONE_ANSWER.strip()
    assert data["sources"] == [
        "https://www.ncbi.nlm.nih.gov/books/NBK574913/",
        "https://www.samhsa.gov/find-help/national-helpline",
    ]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"role": ""}, "--role is required"),
        ({"role": "   "}, "--role is required"),
        ({"role": None}, "--role is required"),
        ({"role": "Dr. Jane Smith"}, "should be a role"),
        ({"name": "  "}, "--name, when given"),
        ({"date": dt.date(2026, 12, 2)}, "in the future"),
    ],
)
def test_sign_off_refuses(kb, kwargs, message):
    entries, reviews = kb
    before = (entries / "naltrexone.md").read_bytes()
    with pytest.raises(SignOffError, match=message):
        sign(kb, **kwargs)
    assert (entries / "naltrexone.md").read_bytes() == before
    assert not reviews.exists()


def test_sign_off_refuses_an_unknown_entry(kb):
    with pytest.raises(SignOffError, match="no entry 'no-such-entry'"):
        sign(kb, "no-such-entry")


def test_the_cli_requires_a_role():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["kb", "sign-off", "naltrexone"])
    args = build_parser().parse_args(["kb", "sign-off", "naltrexone", "--role", ROLE, "--date", "2026-11-30"])
    assert (args.entry, args.role, args.name, args.date) == ("naltrexone", ROLE, None, "2026-11-30")


def test_the_cli_sign_off_command(kb, capsys):
    entries, reviews = kb
    assert kb_commands.do_sign_off("naltrexone", "", None, None, entries_dir=entries, reviews_dir=reviews) == 2
    assert "--role is required" in capsys.readouterr().err
    assert kb_commands.do_sign_off("naltrexone", ROLE, None, "30/11/2026", entries_dir=entries, reviews_dir=reviews) == 2
    assert parse_entry(entries / "naltrexone.md").clinical_review is None
    assert kb_commands.do_sign_off("naltrexone", ROLE, None, "2026-11-30", entries_dir=entries, reviews_dir=reviews) == 0
    assert parse_entry(entries / "naltrexone.md").clinical_review == ClinicalReview(ROLE, dt.date(2026, 11, 30))
    assert (reviews / "naltrexone.json").exists()


def test_a_block_mapping_and_crlf_line_endings_are_replaced_in_place():
    text = "---\r\nid: x\r\nclinical_review:\r\n  by: A\r\n  role: nurse\r\n  date: 2026-01-01\r\nnext: 1\r\n---\r\nBody\r\n"
    new = replace_clinical_review(text, ClinicalReview(role="pharmacist", date=dt.date(2026, 11, 30)))
    assert new == '---\r\nid: x\r\nclinical_review: {role: "pharmacist", date: 2026-11-30}\r\nnext: 1\r\n---\r\nBody\r\n'


def test_replace_refuses_a_file_without_the_field():
    with pytest.raises(EntryError, match="found 0"):
        replace_clinical_review("---\nid: x\n---\nclinical_review: pending\n", ClinicalReview("nurse", TODAY))


def test_both_forms_of_clinical_review_load(kb):
    entries, _ = kb
    for form, expected in [
        ("pending", None),
        ("{role: nurse, date: 2026-11-20}", ClinicalReview("nurse", dt.date(2026, 11, 20))),
        ("{by: A. Clinician, role: nurse, date: 2026-11-20}", ClinicalReview("nurse", dt.date(2026, 11, 20), "A. Clinician")),
    ]:
        path = entries / "naloxone.md"
        path.write_text(base_text("naloxone", clinical_review=form), encoding="utf-8")
        assert parse_entry(path).clinical_review == expected
    path.write_text(base_text("naloxone", clinical_review="{by: A. Clinician, date: 2026-11-20}"), encoding="utf-8")
    with pytest.raises(EntryError, match="role, date"):
        parse_entry(path)


# -- review status ------------------------------------------------------------------------------
def test_status_pending_signed_changed_and_expired(kb):
    entries, reviews = kb
    status = lambda: review_status({e.id: e for e in load_entries(entries)}["naltrexone"], reviews, TODAY)  # noqa: E731
    assert (status().state, status().reasons) == ("pending", ("pending: new entry, never signed off",))
    sign(kb)
    assert (status().state, status().due) == ("signed", False)
    edit_answer(entries, "naltrexone", "one of three", "one  of\nthree")  # whitespace only
    assert (status().state, status().due) == ("signed", False)
    edit_answer(entries, "naltrexone", "A clinician", "A doctor")
    assert status().state == "changed" and status().answer_changed and not status().sources_changed
    sign(kb)
    assert status().due is False
    late = review_status({e.id: e for e in load_entries(entries)}["naltrexone"], reviews, dt.date(2027, 6, 1))
    assert late.state == "signed" and late.reasons == ("past review_by (2027-05-26)",)


def test_a_hand_written_sign_off_without_a_snapshot_is_due(kb):
    entries, reviews = kb
    (entries / "naloxone.md").write_text(
        base_text("naloxone", clinical_review="{role: nurse, date: 2026-11-20}"), encoding="utf-8"
    )
    status = review_status({e.id: e for e in load_entries(entries)}["naloxone"], reviews, TODAY)
    assert status.state == "changed" and status.due
    assert "without a stored snapshot" in status.reasons[0]


# -- the review pack -------------------------------------------------------------------------------
def test_the_pack_lists_exactly_the_due_entries(kb):
    entries, reviews = kb
    assert listed_ids(pack(kb)) == ["kratom-state-bans", "naloxone", "naltrexone"]
    sign(kb, "naloxone")
    sign(kb, "naltrexone")
    page = pack(kb)
    assert listed_ids(page) == ["kratom-state-bans"]
    assert '<span id="entry-count">1</span>' in page
    assert listed_ids(pack(kb, include_all=True)) == ["kratom-state-bans", "naloxone", "naltrexone"]
    edit_answer(entries, "naltrexone", "A clinician will help", "Your doctor will help")
    assert listed_ids(pack(kb)) == ["kratom-state-bans", "naltrexone"]


def test_after_sign_off_the_pack_shows_no_change_until_the_answer_changes(kb):
    entries, reviews = kb
    page = pack(kb)
    assert "New entry, never signed off." in section(page, "naltrexone")
    sign(kb)
    assert "naltrexone" not in listed_ids(pack(kb))
    signed_all = section(pack(kb, include_all=True), "naltrexone")
    assert "Answer: no change." in signed_all and "Sources: no change." in signed_all
    edit_answer(entries, "naltrexone", "A clinician will help", "Your doctor will help")
    changed = section(pack(kb), "naltrexone")
    assert "answer changed since the sign-off of 2026-12-01" in changed
    assert "<del>A clinician</del><ins>Your doctor</ins>" in changed
    assert "Sources: no change." in changed


def test_the_pack_shows_source_changes(kb):
    entries, reviews = kb
    sign(kb)
    path = entries / "naltrexone.md"
    path.write_text(path.read_text().replace("https://www.samhsa.gov/find-help/national-helpline",
                                             "https://www.samhsa.gov/find-help"), encoding="utf-8")
    changed = section(pack(kb), "naltrexone")
    assert "sources changed since the sign-off" in changed
    assert "<del>https://www.samhsa.gov/find-help/national-helpline</del> (removed)" in changed
    assert "<ins>https://www.samhsa.gov/find-help</ins> (added)" in changed
    assert "Answer: no change." in changed


def section(page: str, entry_id: str) -> str:
    start = page.index(f'data-entry-id="{entry_id}"')
    return page[start : page.index("</section>", start)]


def test_the_pack_escapes_all_text_and_loads_nothing(kb):
    entries, reviews = kb
    evil = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    path = entries / "naloxone.md"
    text = base_text("naloxone").replace('title: "What to Do', 'title: "<b>What</b> to Do')
    head, body = text.split("\n---\n", 1)
    path.write_text(head + "\n---\n" + body + "\n" + evil + "\n", encoding="utf-8")
    page = pack(kb)
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;b&gt;What&lt;/b&gt; to Do" in page
    for external in ("<link", "url(", "@import", "http-equiv"):
        assert external not in page.lower(), external
    collector = TagCollector.parse(page)
    assert not [a for a in collector.attrs if a[0] in ("src", "srcset", "action") or a[0].startswith("on")]
    assert {v for k, v in collector.attrs if k == "href"} == {
        "https://www.cdc.gov/stop-overdose/response/index.html",
        "https://www.ncbi.nlm.nih.gov/books/NBK574913/",
        "https://www.samhsa.gov/find-help/national-helpline",
        "https://www.fda.gov/news-events/public-health-focus/fda-and-kratom",
        "#entry-naloxone", "#entry-naltrexone", "#entry-kratom-state-bans",
    }
    assert collector.tags - {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p", "span", "nav",
                   "ol", "ul", "li", "a", "main", "section", "code", "div", "strong", "del", "ins", "table", "thead",
                   "tbody", "tr", "th", "td"} == set()


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = set()
        self.attrs = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += [(k.lower(), v) for k, v in attrs]

    @classmethod
    def parse(cls, page):
        collector = cls()
        collector.feed(page)
        return collector


def test_each_listed_entry_has_a_sign_off_table_and_its_sources_as_links(kb):
    page = pack(kb)
    assert page.count('<table class="signoff">') == len(listed_ids(page)) == 3
    for header in ("Role", "Name (optional)", "Date", "Signature"):
        assert page.count(f'<th scope="col">{header}</th>') == 3
    assert '<a href="https://www.ncbi.nlm.nih.gov/books/NBK574913/">' in section(page, "naltrexone")
    assert "<style>" in page and "@media print" in page


def test_the_pack_shows_the_spanish_companion(kb):
    entries, _ = kb
    write_companion(entries, companion_text())
    naltrexone = section(pack(kb), "naltrexone")
    assert '<div lang="es">' in naltrexone and "¿Qué es la naltrexona?" in naltrexone


def test_the_cli_writes_the_pack(kb, tmp_path, capsys):
    entries, reviews = kb
    out = tmp_path / "out" / "pack.html"
    assert kb_commands.do_review_pack(str(out), False, entries_dir=entries, reviews_dir=reviews, today=TODAY) == 0
    assert listed_ids(out.read_text(encoding="utf-8")) == ["kratom-state-bans", "naloxone", "naltrexone"]
    assert "kb review-pack: 3 entries" in capsys.readouterr().out


# -- require clinical review, kb stats --------------------------------------------------------------
def test_require_clinical_review_wants_a_current_sign_off(kb):
    entries, reviews = kb

    def found():
        _, problems = validate(entries, today=TODAY, sources_file=REAL_SOURCES, require_clinical_review=True)
        return [str(p) for p in problems if "naltrexone" in p.path]

    assert any("pending" in p for p in found())
    sign(kb)
    assert found() == []
    edit_answer(entries, "naltrexone", "A clinician will help", "Your doctor will help")
    assert any("answer changed since the sign-off" in p for p in found()), found()


def test_stats_counts_sign_offs_and_editorial_reviews_due(kb, capsys):
    entries, reviews = kb
    sign(kb, "naloxone")
    sign(kb, "naltrexone")
    edit_answer(entries, "naltrexone", "A clinician will help", "Your doctor will help")
    counts = kb_commands.review_counts(load_entries(entries), reviews, TODAY)
    assert counts == {"signed": 1, "pending": 1, "changed": 1, "editorial_due": 0}
    near = kb_commands.review_counts(load_entries(entries), reviews, dt.date(2027, 1, 27))  # bans due 2027-02-26
    assert near["editorial_due"] == 1
    past = kb_commands.review_counts(load_entries(entries), reviews, dt.date(2027, 6, 1))
    assert past["editorial_due"] == 3
    assert kb_commands.do_stats(entries, reviews, today=TODAY) == 0
    out = capsys.readouterr().out
    assert "clinical review: 1 signed off, 1 pending, 1 changed since sign-off" in out
    assert "editorial review: 0 due (review_by within 30 days or past)" in out


def test_calibrate_keeps_the_other_retrieval_settings():
    current = "# header\nthreshold: 0.4\ntop_k: 3\nsuggestion_floor: 0.25\nmax_suggestions: 3\ncalibration:\n  n_in_scope: 1\n"
    result = {"threshold": 0.45, "in_scope_answered": 0.98765, "n_in_scope": 7}
    text = kb_commands.calibrated_config_text(current, result)
    assert text == (
        "# header\nthreshold: 0.45\ntop_k: 3\nsuggestion_floor: 0.25\nmax_suggestions: 3\n"
        "calibration:\n  in_scope_answered: 0.9877\n  n_in_scope: 7\n"
    )


def test_a_change_to_the_spanish_answer_after_sign_off_is_shown(kb):
    entries, reviews = kb
    write_companion(entries, companion_text())
    sign(kb)
    assert json.loads((reviews / "naltrexone.json").read_text())["es_answer"].startswith("La naltrexona es uno")
    assert "naltrexone" not in listed_ids(pack(kb))
    assert "Spanish answer: no change." in section(pack(kb, include_all=True), "naltrexone")
    write_companion(entries, companion_text(answer=SPANISH_ANSWER.replace("Un profesional de salud", "Su médico")))
    changed = section(pack(kb), "naltrexone")
    assert "Spanish answer changed since the sign-off of 2026-12-01" in changed
    assert "<del>Un profesional de salud</del><ins>Su médico</ins>" in changed
    assert "Answer: no change." in changed
