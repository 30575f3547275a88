"""``kb validate``: the only way an entry gets in is by passing every check here.

Each problem is reported as ``file: field: what is wrong``. Checks:
missing/unknown fields; at least 4 phrasings; at least one source, each on the allow-list;
review dates; duplicate ids; unknown related ids; near-duplicate questions (embedding
similarity); dose-like text in the answer (the same output check that guards replies);
answer length; and, for deployments that demand it, clinical sign-off.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import yaml

from guardrails.output_check import check_output

from .embedder import Embedder
from .entry import ENTRIES_DIR, KNOWLEDGE_DIR, Entry, EntryError, entry_files, parse_entry
from .readability import MAX_GRADE, grade_level

SOURCES_FILE = KNOWLEDGE_DIR / "sources.yml"
MIN_PHRASINGS = 4
MAX_WORDS = 190  # "at most about 180 words"
NEAR_DUPLICATE = 0.92  # cosine similarity of two entries' canonical questions
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class Problem:
    path: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}"


def allowed_domains(path: Path = SOURCES_FILE) -> tuple[str, ...]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if set(raw) != {"allowed_domains"}:
        raise ValueError(f"{path}: expected exactly one key, allowed_domains")
    domains = []
    for item in raw["allowed_domains"]:
        if set(item) != {"domain", "organisation"}:
            raise ValueError(f"{path}: each allowed domain needs exactly domain and organisation")
        domains.append(item["domain"].lower())
    return tuple(domains)


def domain_allowed(url: str, domains: Sequence[str]) -> bool:
    parsed = urlparse(url)
    if parsed.scheme not in ("https", "http") or not parsed.hostname:
        return False
    host = parsed.hostname.lower()
    return any(host == d or host.endswith("." + d) for d in domains)


def check_entry(entry: Entry, domains: Sequence[str], today: dt.date) -> list[Problem]:
    where = str(entry.path.relative_to(entry.path.parent.parent) if entry.path.parent.name == "entries" else entry.path)
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
    for i, src in enumerate(entry.sources):
        if not domain_allowed(src.url, domains):
            bad(f"sources[{i}].url", f"{src.url} is not on an allowed domain (knowledge/sources.yml)")
        if src.checked_on > today:
            bad(f"sources[{i}].checked_on", f"{src.checked_on} is in the future")
    if entry.reviewed_on > today:
        bad("reviewed_on", f"{entry.reviewed_on} is in the future")
    if entry.review_by < today:
        bad("review_by", f"{entry.review_by} has passed: the entry is due for review")
    limit = _add_months(entry.reviewed_on, 12)
    if entry.review_by > limit:
        bad("review_by", f"{entry.review_by} is more than 12 months after reviewed_on ({limit} at the latest)")
    if re.search(r"\b(dr|doctor|mr|mrs|ms|prof)\.? [A-Z]", entry.reviewed_by) or ":" not in entry.reviewed_by:
        bad("reviewed_by", "name a role, e.g. 'editorial: checked against sources', never a person")
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
) -> tuple[list[Entry], list[Problem]]:
    """Parse and check every entry. Returns the entries that parsed and every problem found."""
    today = today or dt.date.today()
    domains = domains if domains is not None else allowed_domains()
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
        problems.extend(check_entry(entry, domains, today))
        if entry.id in ids:
            problems.append(Problem(entry.path.name, "id", f"duplicate of {ids[entry.id].path.name}"))
        ids[entry.id] = entry
        if require_clinical_review and entry.clinical_review is None:
            problems.append(Problem(entry.path.name, "clinical_review", "pending: a clinician has not signed off"))
    for entry in entries:
        for rel in entry.related:
            if rel not in ids:
                problems.append(Problem(entry.path.name, "related", f"unknown entry id {rel!r}"))
            elif rel == entry.id:
                problems.append(Problem(entry.path.name, "related", "an entry cannot relate to itself"))
    if embedder is not None:
        problems.extend(near_duplicates(entries, embedder))
    return entries, problems
