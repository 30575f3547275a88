"""Knowledge-base entries: one Markdown file with YAML front matter each (see FORMAT.md).

    >>> entries = load_entries()            # every file under knowledge/entries/
    >>> entries[0].id, entries[0].sources[0].url
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

KNOWLEDGE_DIR = Path(__file__).resolve().parent
ENTRIES_DIR = KNOWLEDGE_DIR / "entries"

REQUIRED = {
    "id", "question", "phrasings", "tags", "related", "sources",
    "reviewed_by", "reviewed_on", "review_by", "clinical_review",
}
SOURCE_KEYS = {"organisation", "title", "url", "checked_on"}
CLINICAL_KEYS = {"by", "role", "date"}
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n(.*)\Z", re.S)


class EntryError(ValueError):
    """An entry file is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class Source:
    organisation: str
    title: str
    url: str
    checked_on: dt.date


@dataclass(frozen=True)
class ClinicalReview:
    by: str
    role: str
    date: dt.date


@dataclass(frozen=True)
class Entry:
    id: str
    question: str
    phrasings: tuple[str, ...]
    answer: str
    tags: tuple[str, ...]
    related: tuple[str, ...]
    sources: tuple[Source, ...]
    reviewed_by: str
    reviewed_on: dt.date
    review_by: dt.date
    clinical_review: ClinicalReview | None  # None while pending
    path: Path

    @property
    def texts(self) -> tuple[str, ...]:
        """What retrieval indexes for this entry: the question and every phrasing."""
        return (self.question, *self.phrasings)


def _date(where: str, value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise EntryError(f"{where}: expected a date YYYY-MM-DD, got {value!r}")


def _text(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise EntryError(f"{where}: expected non-empty text (put numbers in quotes)")
    return value.strip()


def _texts(where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise EntryError(f"{where}: expected a list")
    return tuple(_text(f"{where}[{i}]", v) for i, v in enumerate(value))


def parse_entry(path: Path, content: str | None = None) -> Entry:
    content = path.read_text(encoding="utf-8") if content is None else content
    match = _FRONT.match(content)
    if not match:
        raise EntryError(f"{path}: needs YAML front matter between '---' lines, then the answer")
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise EntryError(f"{path}: front matter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise EntryError(f"{path}: front matter must be a mapping")
    missing = REQUIRED - meta.keys()
    if missing:
        raise EntryError(f"{path}: missing field(s) {', '.join(sorted(missing))}")
    unknown = meta.keys() - REQUIRED
    if unknown:
        raise EntryError(f"{path}: unknown field(s) {', '.join(sorted(unknown))}")
    sources = []
    if not isinstance(meta["sources"], list):
        raise EntryError(f"{path}: sources: expected a list")
    for i, src in enumerate(meta["sources"]):
        where = f"{path}: sources[{i}]"
        if not isinstance(src, dict) or set(src) != SOURCE_KEYS:
            raise EntryError(f"{where}: needs exactly {', '.join(sorted(SOURCE_KEYS))}")
        sources.append(
            Source(
                organisation=_text(f"{where}.organisation", src["organisation"]),
                title=_text(f"{where}.title", src["title"]),
                url=_text(f"{where}.url", src["url"]),
                checked_on=_date(f"{where}.checked_on", src["checked_on"]),
            )
        )
    review = meta["clinical_review"]
    clinical = None
    if review != "pending":
        if not isinstance(review, dict) or set(review) != CLINICAL_KEYS:
            raise EntryError(f"{path}: clinical_review: 'pending' or a mapping with by, role, date")
        clinical = ClinicalReview(
            by=_text(f"{path}: clinical_review.by", review["by"]),
            role=_text(f"{path}: clinical_review.role", review["role"]),
            date=_date(f"{path}: clinical_review.date", review["date"]),
        )
    return Entry(
        id=_text(f"{path}: id", meta["id"]),
        question=_text(f"{path}: question", meta["question"]),
        phrasings=_texts(f"{path}: phrasings", meta["phrasings"]),
        answer=_text(f"{path}: answer (the body)", match.group(2)),
        tags=_texts(f"{path}: tags", meta["tags"]),
        related=_texts(f"{path}: related", meta["related"]),
        sources=tuple(sources),
        reviewed_by=_text(f"{path}: reviewed_by", meta["reviewed_by"]),
        reviewed_on=_date(f"{path}: reviewed_on", meta["reviewed_on"]),
        review_by=_date(f"{path}: review_by", meta["review_by"]),
        clinical_review=clinical,
        path=path,
    )


def entry_files(directory: Path | None = None) -> list[Path]:
    return sorted((directory or ENTRIES_DIR).glob("*.md"))


def load_entries(directory: Path | None = None) -> list[Entry]:
    """Parse every entry; raise EntryError on the first malformed file."""
    return [parse_entry(p) for p in entry_files(directory)]


def content_hash(directory: Path | None = None, extra: str = "") -> str:
    """A hash of every entry file's bytes (and ``extra``): the index is rebuilt when it changes."""
    digest = hashlib.sha256(extra.encode())
    for path in entry_files(directory):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
