"""``kb validate``: the only way an entry gets in is by passing every check here.

Each problem is reported as ``file: field: what is wrong``. Checks:
missing/unknown fields; at least 4 phrasings; at least one source, each on the allow-list and
not on a retired domain, no URL twice, in the answer's language unless marked with ``lang:``;
review dates (at most 3 months for ``time-sensitive`` entries, 12 otherwise); duplicate ids;
unknown related ids; near-duplicate questions (embedding similarity); dose-like text in the
answer (the same output check that guards replies); answer length and reading level; the
Spanish companions in entries/es/ by the same rules (plus a Spanish readability check); and,
for deployments that demand it, a current clinical sign-off.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import yaml

from guardrails.output_check import check_output

from .embedder import Embedder
from .entry import (
    ENTRIES_DIR,
    KNOWLEDGE_DIR,
    Entry,
    EntryError,
    Source,
    SpanishCompanion,
    attach_companions,
    companion_files,
    entry_files,
    parse_companion,
    parse_entry,
)
from .readability import MAX_GRADE, grade_level
from .spanish import MAX_WORDS_ES, MIN_INFLESZ, MIN_PHRASINGS_ES, inflesz, spanish_dose_like

SOURCES_FILE = KNOWLEDGE_DIR / "sources.yml"
MIN_PHRASINGS = 4
MAX_WORDS = 190  # "at most about 180 words"
NEAR_DUPLICATE = 0.92  # cosine similarity of two entries' canonical questions
REVIEW_MONTHS = 12
TIME_SENSITIVE_TAG = "time-sensitive"
TIME_SENSITIVE_MONTHS = 3
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class Problem:
    path: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}"


@dataclass(frozen=True)
class SourcePolicy:
    """knowledge/sources.yml: the allow-list, and domains no longer accepted (with the reason)."""

    allowed: tuple[str, ...]
    retired: Mapping[str, str] = field(default_factory=dict)


def load_source_policy(path: Path = SOURCES_FILE) -> SourcePolicy:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or "allowed_domains" not in raw or set(raw) - {"allowed_domains", "retired_domains"}:
        raise ValueError(f"{path}: expected allowed_domains and, optionally, retired_domains")
    allowed = []
    for item in raw["allowed_domains"]:
        if not isinstance(item, dict) or set(item) != {"domain", "organisation"}:
            raise ValueError(f"{path}: each allowed domain needs exactly domain and organisation")
        allowed.append(str(item["domain"]).lower())
    retired: dict[str, str] = {}
    for item in raw.get("retired_domains") or []:
        if not isinstance(item, dict) or set(item) != {"domain", "reason"}:
            raise ValueError(f"{path}: each retired domain needs exactly domain and reason")
        if not isinstance(item["reason"], str) or not item["reason"].strip():
            raise ValueError(f"{path}: retired domain {item['domain']!r} needs a reason")
        retired[str(item["domain"]).lower()] = item["reason"].strip()
    return SourcePolicy(allowed=tuple(allowed), retired=retired)


def allowed_domains(path: Path = SOURCES_FILE) -> tuple[str, ...]:
    return load_source_policy(path).allowed


def _on_domain(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def domain_allowed(url: str, domains: Sequence[str]) -> bool:
    parsed = urlparse(url)
    if parsed.scheme not in ("https", "http") or not parsed.hostname:
        return False
    host = parsed.hostname.lower()
    return any(_on_domain(host, d) for d in domains)


def retired_domain(url: str, retired: Mapping[str, str]) -> tuple[str, str] | None:
    """(domain, reason) when the URL's host is on a retired domain, else None."""
    host = (urlparse(url).hostname or "").lower()
    for domain, reason in retired.items():
        if host and _on_domain(host, domain):
            return domain, reason
    return None


def same_page_key(url: str) -> str:
    """A URL folded so that trivially different spellings of one page compare equal."""
    parsed = urlparse(url.strip())
    host = (parsed.hostname or "").lower().removeprefix("www.")
    path = parsed.path.rstrip("/")
    return f"{host}{path}" + (f"?{parsed.query}" if parsed.query else "")


def review_limit(entry: Entry) -> tuple[int, dt.date]:
    """(months, latest allowed review_by): 3 months for time-sensitive entries, else 12."""
    months = TIME_SENSITIVE_MONTHS if TIME_SENSITIVE_TAG in entry.tags else REVIEW_MONTHS
    return months, _add_months(entry.reviewed_on, months)


def _where(path: Path) -> str:
    parts = path.parts
    if "entries" in parts:
        return "/".join(parts[len(parts) - 1 - parts[::-1].index("entries"):])
    return str(path)


def check_sources(
    sources: Sequence[Source],
    *,
    answer_lang: str,
    domains: Sequence[str],
    retired: Mapping[str, str],
    today: dt.date,
) -> list[tuple[str, str]]:
    """(field, message) for each source problem: domain, retired domain, duplicate, date, language."""
    found: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    for i, src in enumerate(sources):
        at = f"sources[{i}]"
        gone = retired_domain(src.url, retired)
        if gone:
            found.append((f"{at}.url", f"{src.url} is on a retired domain ({gone[0]}: {gone[1]})"))
        elif not domain_allowed(src.url, domains):
            found.append((f"{at}.url", f"{src.url} is not on an allowed domain (knowledge/sources.yml)"))
        key = same_page_key(src.url)
        if key in seen:
            found.append((f"{at}.url", f"{src.url} is listed twice (also sources[{seen[key]}])"))
        else:
            seen[key] = i
        if src.checked_on > today:
            found.append((f"{at}.checked_on", f"{src.checked_on} is in the future"))
        if src.lang is None and src.language != answer_lang:
            name = {"es": ("a Spanish", "Spanish"), "en": ("an English", "English")}
            found.append((
                f"{at}.lang",
                f"{src.url} looks like {name[src.language][0]} page for {name[answer_lang][0]} answer; "
                f"add 'lang: {src.language}' if that is intended, "
                f"or 'lang: {answer_lang}' if the page is in {name[answer_lang][1]}",
            ))
    return found


def _role_problem(reviewed_by: str) -> bool:
    return bool(re.search(r"\b(dr|dra|doctor|doctora|mr|mrs|ms|prof)\.? [A-Z]", reviewed_by, re.I)) or ":" not in reviewed_by


def check_entry(
    entry: Entry, domains: Sequence[str], today: dt.date, *, retired: Mapping[str, str] | None = None
) -> list[Problem]:
    where = _where(entry.path)
    problems: list[Problem] = []

    def bad(field: str, message: str) -> None:
        problems.append(Problem(where, field, message))

    if not _ID.fullmatch(entry.id):
        bad("id", f"{entry.id!r} must be a lower-case slug (letters, digits, hyphens)")
    if entry.path.stem != entry.id:
        bad("id", f"{entry.id!r} must match the file name {entry.path.stem!r}")
    if len(entry.phrasings) < MIN_PHRASINGS:
        bad("phrasings", f"needs at least {MIN_PHRASINGS} other ways of asking, has {len(entry.phrasings)}")
    if not entry.sources:
        bad("sources", "needs at least one source")
    for field_name, message in check_sources(
        entry.sources, answer_lang="en", domains=domains, retired=retired or {}, today=today
    ):
        bad(field_name, message)
    if entry.reviewed_on > today:
        bad("reviewed_on", f"{entry.reviewed_on} is in the future")
    if entry.review_by < today:
        bad("review_by", f"{entry.review_by} has passed: the entry is due for review")
    months, limit = review_limit(entry)
    if entry.review_by > limit:
        why = f" (tagged {TIME_SENSITIVE_TAG})" if months == TIME_SENSITIVE_MONTHS else ""
        bad("review_by", f"{entry.review_by} is more than {months} months after reviewed_on{why} ({limit} at the latest)")
    if _role_problem(entry.reviewed_by):
        bad("reviewed_by", "name a role, e.g. 'editorial: checked against sources', never a person")
    if entry.clinical_review is not None and entry.clinical_review.date > today:
        bad("clinical_review.date", f"{entry.clinical_review.date} is in the future")
    words = len(entry.answer.split())
    if words > MAX_WORDS:
        bad("answer", f"{words} words; keep it to about 180")
    grade = grade_level(entry.answer)
    if grade > MAX_GRADE:
        bad("answer", f"reads at grade {grade:.1f}; use shorter sentences and plainer words (at most {MAX_GRADE:g})")
    for field_name, text in (("answer", entry.answer), ("question", entry.question)):
        verdict = check_output(text)
        if not verdict.allowed:
            bad(field_name, f"dose-like text ({verdict.rule}): {verdict.excerpt!r}")
    if re.search(r"https?://|\]\(", entry.answer):
        bad("answer", "no links in the answer: put them in sources")
    return problems


def check_companion(
    companion: SpanishCompanion,
    ids: Mapping[str, Entry],
    domains: Sequence[str],
    today: dt.date,
    *,
    retired: Mapping[str, str] | None = None,
) -> list[Problem]:
    """The Spanish companion entries/es/<id>.md, by the English rules plus Spanish readability."""
    where = _where(companion.path)
    problems: list[Problem] = []

    def bad(field: str, message: str) -> None:
        problems.append(Problem(where, field, message))

    if companion.path.stem != companion.id:
        bad("id", f"{companion.id!r} must match the file name {companion.path.stem!r}")
    if companion.id not in ids:
        bad("id", f"{companion.id!r} is not the id of an English entry (entries/{companion.id}.md)")
    if len(companion.phrasings) < MIN_PHRASINGS_ES:
        bad("phrasings", f"needs at least {MIN_PHRASINGS_ES} Spanish ways of asking, has {len(companion.phrasings)}")
    if companion.reviewed_on > today:
        bad("reviewed_on", f"{companion.reviewed_on} is in the future")
    if _role_problem(companion.reviewed_by):
        bad("reviewed_by", "name a role, e.g. 'editorial: translated and checked against sources', never a person")
    if companion.sources and companion.answer is None:
        bad("sources", "listed, but there is no Spanish answer: the English answer and its sources are shown")
    for field_name, message in check_sources(
        companion.sources, answer_lang="es", domains=domains, retired=retired or {}, today=today
    ):
        bad(field_name, message)
    texts = [("question", companion.question)]
    if companion.answer is not None:
        texts.append(("answer", companion.answer))
        words = len(companion.answer.split())
        if words > MAX_WORDS_ES:
            bad("answer", f"{words} words; keep the Spanish answer to about {MAX_WORDS_ES - 10}")
        score = inflesz(companion.answer)
        if score < MIN_INFLESZ:
            bad("answer", f"INFLESZ {score:.1f}; use shorter sentences and plainer words (at least {MIN_INFLESZ:g})")
        if re.search(r"https?://|\]\(", companion.answer):
            bad("answer", "no links in the answer: put them in sources")
    for field_name, text in texts:
        verdict = check_output(text)
        if not verdict.allowed:
            bad(field_name, f"dose-like text ({verdict.rule}): {verdict.excerpt!r}")
            continue
        spanish = spanish_dose_like(text)
        if spanish:
            bad(field_name, f"dose-like text ({spanish[0]}): {spanish[1]!r}")
    return problems


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def near_duplicates(entries: Sequence[Entry], embedder: Embedder, threshold: float = NEAR_DUPLICATE) -> list[Problem]:
    if len(entries) < 2:
        return []
    vectors = embedder.embed([e.question for e in entries])
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -1.0)
    problems = []
    for i, j in zip(*np.where(np.triu(sims) > threshold)):
        a, b = entries[i], entries[j]
        problems.append(
            Problem(a.path.name, "question", f"near-duplicate of {b.path.name} (similarity {sims[i, j]:.2f})")
        )
    return problems


def validate(
    entries_dir: Path = ENTRIES_DIR,
    *,
    embedder: Embedder | None = None,
    today: dt.date | None = None,
    require_clinical_review: bool = False,
    domains: Sequence[str] | None = None,
    retired: Mapping[str, str] | None = None,
    sources_file: Path | None = None,
    reviews_dir: Path | None = None,
) -> tuple[list[Entry], list[Problem]]:
    """Parse and check every entry and Spanish companion.

    Returns the entries that parsed (each with ``es`` attached when its companion parsed) and
    every problem found. ``domains``/``retired`` default to ``sources_file`` (knowledge/sources.yml).
    With ``require_clinical_review``, an entry must carry a sign-off that still matches its
    snapshot in ``reviews_dir`` (default: ``entries_dir``/../reviews).
    """
    today = today or dt.date.today()
    if domains is None or retired is None:
        policy = load_source_policy(sources_file or SOURCES_FILE)
        domains = policy.allowed if domains is None else domains
        retired = policy.retired if retired is None else retired
    entries: list[Entry] = []
    problems: list[Problem] = []
    for path in entry_files(entries_dir):
        try:
            entries.append(parse_entry(path))
        except EntryError as exc:
            problems.append(Problem(path.name, "file", str(exc).split(": ", 1)[-1]))
    if not entries and not problems:
        problems.append(Problem(str(entries_dir), "entries", "no entries found"))
    ids: dict[str, Entry] = {}
    for entry in entries:
        problems.extend(check_entry(entry, domains, today, retired=retired))
        if entry.id in ids:
            problems.append(Problem(entry.path.name, "id", f"duplicate of {ids[entry.id].path.name}"))
        ids[entry.id] = entry
    companions: list[SpanishCompanion] = []
    for path in companion_files(entries_dir):
        try:
            companion = parse_companion(path)
        except EntryError as exc:
            problems.append(Problem(_where(path), "file", str(exc).split(": ", 1)[-1]))
            continue
        problems.extend(check_companion(companion, ids, domains, today, retired=retired))
        companions.append(companion)
    entries = attach_companions(entries, companions)
    if require_clinical_review:
        from .review import review_status

        reviews = reviews_dir if reviews_dir is not None else entries_dir.parent / "reviews"
        for entry in entries:
            status = review_status(entry, reviews, today)
            if entry.clinical_review is None:
                problems.append(Problem(entry.path.name, "clinical_review", "pending: a clinician has not signed off"))
            elif status.changed:
                problems.append(Problem(entry.path.name, "clinical_review", "; ".join(status.reasons)))
    for entry in entries:
        for rel in entry.related:
            if rel not in ids:
                problems.append(Problem(entry.path.name, "related", f"unknown entry id {rel!r}"))
            elif rel == entry.id:
                problems.append(Problem(entry.path.name, "related", "an entry cannot relate to itself"))
    if embedder is not None:
        problems.extend(near_duplicates(entries, embedder))
    return entries, problems
