"""Knowledge base v2 rules: time-sensitive review dates, retired domains, duplicate URLs, source language."""

from pathlib import Path

import pytest
import yaml

from knowledge.entry import load_entries
from knowledge.validate import load_source_policy, validate

from .kbfiles import REAL_SOURCES, TODAY, base_text, source_yaml, write_kb


def problems(entries: Path, sources_file: Path = REAL_SOURCES) -> list[str]:
    _, found = validate(entries, today=TODAY, sources_file=sources_file)
    return [str(p) for p in found]


def test_the_fixture_knowledge_base_is_valid(tmp_path):
    assert problems(write_kb(tmp_path)) == []


# -- time-sensitive entries -----------------------------------------------------------------
def test_time_sensitive_entry_may_not_wait_more_than_3_months(tmp_path):
    text = base_text("kratom-state-bans", review_by="2027-02-27")  # reviewed 2026-11-26: 3 months + 1 day
    found = problems(write_kb(tmp_path, **{"kratom-state-bans": text}))
    assert any(
        "kratom-state-bans.md: review_by: 2027-02-27 is more than 3 months after reviewed_on" in p
        and "time-sensitive" in p and "2027-02-26 at the latest" in p
        for p in found
    ), found


def test_time_sensitive_entry_at_exactly_3_months_passes(tmp_path):
    text = base_text("kratom-state-bans", review_by="2027-02-26")
    assert problems(write_kb(tmp_path, **{"kratom-state-bans": text})) == []


def test_entries_without_the_tag_keep_the_12_month_limit(tmp_path):
    ok = base_text("naltrexone", review_by="2027-11-26")
    assert problems(write_kb(tmp_path / "ok", naltrexone=ok)) == []
    late = base_text("naltrexone", review_by="2027-11-27")
    found = problems(write_kb(tmp_path / "late", naltrexone=late))
    assert any("naltrexone.md: review_by" in p and "more than 12 months" in p for p in found), found


def test_the_same_six_months_is_refused_only_when_time_sensitive(tmp_path):
    tagged = base_text("naloxone", tags="[overdose, time-sensitive]", review_by="2027-05-26")
    found = problems(write_kb(tmp_path / "tagged", naloxone=tagged))
    assert any("naloxone.md: review_by" in p and "3 months" in p for p in found), found
    untagged = base_text("naloxone", tags="[overdose]", review_by="2027-05-26")
    assert problems(write_kb(tmp_path / "untagged", naloxone=untagged)) == []


# -- retired domains ------------------------------------------------------------------------
def sources_with_retired(tmp_path: Path, block: str) -> Path:
    """The real allow-list with this test's retired_domains section (whatever the real file has)."""
    allowed = yaml.safe_load(REAL_SOURCES.read_text(encoding="utf-8"))["allowed_domains"]
    path = tmp_path / "sources.yml"
    path.write_text(yaml.safe_dump({"allowed_domains": allowed}) + block, encoding="utf-8")
    return path


RETIRED = (
    "retired_domains:\n  - domain: drugabuse.gov\n    reason: NIDA moved to nida.nih.gov\n"
    "  - domain: samhsa.gov\n    reason: moved to a new site\n"
)


def test_a_source_on_a_retired_domain_is_refused_with_the_reason(tmp_path):
    found = problems(write_kb(tmp_path), sources_with_retired(tmp_path, RETIRED))
    assert any(
        "naltrexone.md: sources[1].url: https://www.samhsa.gov/find-help/national-helpline is on a retired domain"
        " (samhsa.gov: moved to a new site)" in p
        for p in found
    ), found
    assert not any("naloxone.md" in p for p in found), found


def test_retired_domains_section_is_optional_and_may_list_others(tmp_path):
    other = "retired_domains:\n  - domain: drugabuse.gov\n    reason: NIDA moved to nida.nih.gov\n"
    assert problems(write_kb(tmp_path), sources_with_retired(tmp_path, other)) == []
    bare = tmp_path / "bare.yml"
    bare.write_text("allowed_domains:\n  - domain: gov\n    organisation: US government\n", encoding="utf-8")
    assert load_source_policy(bare).retired == {}
    assert problems(write_kb(tmp_path / "kb"), bare) == []


def test_a_retired_domain_without_a_reason_is_a_configuration_error(tmp_path):
    path = sources_with_retired(tmp_path, "retired_domains:\n  - domain: samhsa.gov\n")
    with pytest.raises(ValueError, match="domain and reason"):
        load_source_policy(path)


# -- duplicate URLs -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "second",
    [
        "https://www.ncbi.nlm.nih.gov/books/NBK574913/",
        "https://ncbi.nlm.nih.gov/books/NBK574913",
        "http://www.ncbi.nlm.nih.gov/books/NBK574913/#sec2",
    ],
)
def test_the_same_url_twice_in_one_entry_is_refused(tmp_path, second):
    sources = source_yaml("NIH", "TIP 63", "https://www.ncbi.nlm.nih.gov/books/NBK574913/") + source_yaml(
        "NIH", "TIP 63 again", second
    )
    found = problems(write_kb(tmp_path, naltrexone=base_text("naltrexone", sources=sources)))
    assert any("naltrexone.md: sources[1].url:" in p and "listed twice (also sources[0])" in p for p in found), found


def test_different_pages_of_one_site_and_the_same_url_in_two_entries_pass(tmp_path):
    sources = source_yaml("NIH", "TIP 63 3C", "https://www.ncbi.nlm.nih.gov/books/NBK574913/") + source_yaml(
        "NIH", "TIP 63", "https://www.ncbi.nlm.nih.gov/books/NBK535275/"
    )
    shared = source_yaml("CDC", "What to Do", "https://www.cdc.gov/stop-overdose/response/index.html")
    kb = write_kb(
        tmp_path,
        naltrexone=base_text("naltrexone", sources=sources + shared),
        naloxone=base_text("naloxone", sources=shared),
    )
    assert problems(kb) == []


# -- source language ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "https://nida.nih.gov/es/publicaciones/drugfacts/kratom",
        "https://www.samhsa.gov/espanol/linea-nacional",
        "https://medlineplus.gov/spanish/naloxone.html",
        "https://www.cdc.gov/overdose-prevention/es-us/index.html",
    ],
)
def test_a_spanish_looking_source_in_an_english_entry_must_be_marked(tmp_path, url):
    sources = source_yaml("CDC", "What to Do", "https://www.cdc.gov/stop-overdose/response/index.html")
    unmarked = base_text("naloxone", sources=sources + source_yaml("NIH", "Kratom", url))
    found = problems(write_kb(tmp_path / "unmarked", naloxone=unmarked))
    assert any(
        "naloxone.md: sources[1].lang:" in p and "looks like a Spanish page for an English answer" in p for p in found
    ), found
    for lang in ("es", "en"):
        marked = base_text("naloxone", sources=sources + source_yaml("NIH", "Kratom", url, lang=lang))
        assert problems(write_kb(tmp_path / lang, naloxone=marked)) == [], lang


@pytest.mark.parametrize("url", ["https://nida.nih.gov/research/espionage", "https://www.fda.gov/estimates/kratom"])
def test_english_urls_that_merely_contain_es_are_english(tmp_path, url):
    sources = source_yaml("NIH", "Page", url)
    assert problems(write_kb(tmp_path, naloxone=base_text("naloxone", sources=sources))) == []


def test_lang_must_be_en_or_es(tmp_path):
    sources = source_yaml("CDC", "What to Do", "https://www.cdc.gov/stop-overdose/response/index.html", lang="fr")
    found = problems(write_kb(tmp_path, naloxone=base_text("naloxone", sources=sources)))
    assert any("naloxone.md: file:" in p and "lang: expected en or es, got 'fr'" in p for p in found), found


# -- shown sources ---------------------------------------------------------------------------
def test_more_than_four_sources_are_allowed_and_the_first_three_are_shown(tmp_path):
    urls = [f"https://www.ncbi.nlm.nih.gov/books/NBK57491{i}/" for i in range(6)]
    sources = "".join(source_yaml("NIH", f"Chapter {i}", u) for i, u in enumerate(urls))
    kb = write_kb(tmp_path, naltrexone=base_text("naltrexone", sources=sources))
    assert problems(kb) == []
    entry = {e.id: e for e in load_entries(kb)}["naltrexone"]
    assert len(entry.sources) == 6
    assert [s.url for s in entry.shown_sources()] == urls[:3]
    assert [s.title for s in entry.shown_sources(n=2)] == ["Chapter 0", "Chapter 1"]
    with pytest.raises(ValueError):
        entry.shown_sources(n=-1)
