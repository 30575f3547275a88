"""Knowledge-base entries: one Markdown file with YAML front matter each (see FORMAT.md).

    >>> entries = load_entries()            # every file under knowledge/entries/ (+ entries/es/)
    >>> entries[0].id, entries[0].sources[0].url
    >>> entries[0].es                       # the Spanish companion, or None
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from .spanish import url_looks_spanish

KNOWLEDGE_DIR = Path(__file__).resolve().parent
ENTRIES_DIR = KNOWLEDGE_DIR / "entries"

REQUIRED = {
    "id", "question", "phrasings", "tags", "related", "sources",
    "reviewed_by", "reviewed_on", "review_by", "clinical_review",
}
SOURCE_KEYS = {"organisation", "title", "url", "checked_on"}
SOURCE_OPTIONAL = {"lang"}
LANGS = ("en", "es")
CLINICAL_KEYS = {"role", "date"}
CLINICAL_OPTIONAL = {"by"}
ES_DIR_NAME = "es"
ES_REQUIRED = {"id", "question", "phrasings", "reviewed_by", "reviewed_on"}
ES_OPTIONAL = {"sources"}
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n(.*)\Z", re.S)
_FRONT_MAYBE_EMPTY = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n(.*))?\Z", re.S)


class EntryError(ValueError):
    """An entry file is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class Source:
    organisation: str
    title: str
    url: str
    checked_on: dt.date
    lang: str | None = None  # as written in the file: "en", "es" or not given

    @property
    def language(self) -> str:
        """The page's language: ``lang`` if given, else "es" for a Spanish-looking URL, else "en"."""
        if self.lang:
            return self.lang
        return "es" if url_looks_spanish(self.url) else "en"


@dataclass(frozen=True)
class ClinicalReview:
    role: str
    date: dt.date
    by: str | None = None  # only when the clinician chose to give their own name


@dataclass(frozen=True)
class SpanishCompanion:
    """knowledge/entries/es/<id>.md: the Spanish question, phrasings and (optionally) answer."""

    id: str
    question: str
    phrasings: tuple[str, ...]
    answer: str | None  # None: show the English answer with a Spanish note
    sources: tuple[Source, ...]  # empty: the English entry's sources apply
    reviewed_by: str
    reviewed_on: dt.date
    path: Path

    @property
    def texts(self) -> tuple[str, ...]:
        return (self.question, *self.phrasings)


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
    es: SpanishCompanion | None = None

    @property
    def texts(self) -> tuple[str, ...]:
        """The English question and every English phrasing."""
        return (self.question, *self.phrasings)

    @property
    def index_texts(self) -> tuple[tuple[str, str], ...]:
        """What retrieval indexes for this entry, as (lang, text): English, then Spanish."""
        rows = tuple(("en", t) for t in self.texts)
        if self.es is not None:
            rows += tuple(("es", t) for t in self.es.texts)
        return rows

    def shown_sources(self, n: int = 3, lang: str = "en") -> tuple[Source, ...]:
        """The first ``n`` sources (authors list the strongest first) to show under an answer.

        With ``lang="es"``, the Spanish companion's own sources when it has any, else the English ones.
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if lang == "es" and self.es is not None and self.es.sources:
            return self.es.sources[:n]
        return self.sources[:n]


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


def _sources(where: str, value: Any) -> tuple[Source, ...]:
    if not isinstance(value, list):
        raise EntryError(f"{where}: expected a list")
    sources = []
    for i, src in enumerate(value):
        at = f"{where}[{i}]"
        if not isinstance(src, dict) or not SOURCE_KEYS <= set(src) <= SOURCE_KEYS | SOURCE_OPTIONAL:
            raise EntryError(
                f"{at}: needs exactly {', '.join(sorted(SOURCE_KEYS))} (and optionally lang: en or es)"
            )
        lang = src.get("lang")
        if "lang" in src and lang not in LANGS:
            raise EntryError(f"{at}.lang: expected en or es, got {lang!r}")
        sources.append(
            Source(
                organisation=_text(f"{at}.organisation", src["organisation"]),
                title=_text(f"{at}.title", src["title"]),
                url=_text(f"{at}.url", src["url"]),
                checked_on=_date(f"{at}.checked_on", src["checked_on"]),
                lang=lang,
            )
        )
    return tuple(sources)


def parse_clinical_review(where: str, review: Any) -> ClinicalReview | None:
    """``pending`` -> None; ``{role, date[, by]}`` -> ClinicalReview."""
    if review == "pending":
        return None
    if not isinstance(review, dict) or not CLINICAL_KEYS <= set(review) <= CLINICAL_KEYS | CLINICAL_OPTIONAL:
        raise EntryError(f"{where}: 'pending' or a mapping with role, date (and optionally by)")
    return ClinicalReview(
        role=_text(f"{where}.role", review["role"]),
        date=_date(f"{where}.date", review["date"]),
        by=_text(f"{where}.by", review["by"]) if "by" in review else None,
    )


def _front_matter(path: Path, content: str, *, body_required: bool) -> tuple[dict, str]:
    match = (_FRONT if body_required else _FRONT_MAYBE_EMPTY).match(content)
    if not match:
        raise EntryError(f"{path}: needs YAML front matter between '---' lines, then the answer")
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise EntryError(f"{path}: front matter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise EntryError(f"{path}: front matter must be a mapping")
    return meta, match.group(2) or ""


def parse_entry(path: Path, content: str | None = None) -> Entry:
    content = path.read_text(encoding="utf-8") if content is None else content
    meta, body = _front_matter(path, content, body_required=True)
    missing = REQUIRED - meta.keys()
    if missing:
        raise EntryError(f"{path}: missing field(s) {', '.join(sorted(missing))}")
    unknown = meta.keys() - REQUIRED
    if unknown:
        raise EntryError(f"{path}: unknown field(s) {', '.join(sorted(unknown))}")
    sources = _sources(f"{path}: sources", meta["sources"])
    clinical = parse_clinical_review(f"{path}: clinical_review", meta["clinical_review"])
    return Entry(
        id=_text(f"{path}: id", meta["id"]),
        question=_text(f"{path}: question", meta["question"]),
        phrasings=_texts(f"{path}: phrasings", meta["phrasings"]),
        answer=_text(f"{path}: answer (the body)", body),
        tags=_texts(f"{path}: tags", meta["tags"]),
        related=_texts(f"{path}: related", meta["related"]),
        sources=sources,
        reviewed_by=_text(f"{path}: reviewed_by", meta["reviewed_by"]),
        reviewed_on=_date(f"{path}: reviewed_on", meta["reviewed_on"]),
        review_by=_date(f"{path}: review_by", meta["review_by"]),
        clinical_review=clinical,
        path=path,
    )


def parse_companion(path: Path, content: str | None = None) -> SpanishCompanion:
    """Parse knowledge/entries/es/<id>.md (a Spanish companion; its body may be empty)."""
    content = path.read_text(encoding="utf-8") if content is None else content
    meta, body = _front_matter(path, content, body_required=False)
    missing = ES_REQUIRED - meta.keys()
    if missing:
        raise EntryError(f"{path}: missing field(s) {', '.join(sorted(missing))}")
    unknown = meta.keys() - ES_REQUIRED - ES_OPTIONAL
    if unknown:
        raise EntryError(f"{path}: unknown field(s) {', '.join(sorted(unknown))}")
    sources: tuple[Source, ...] = ()
    if "sources" in meta:
        sources = _sources(f"{path}: sources", meta["sources"])
        if not sources:
            raise EntryError(f"{path}: sources: leave the field out to use the English sources, or list at least one")
    return SpanishCompanion(
        id=_text(f"{path}: id", meta["id"]),
        question=_text(f"{path}: question", meta["question"]),
        phrasings=_texts(f"{path}: phrasings", meta["phrasings"]),
        answer=body.strip() or None,
        sources=sources,
        reviewed_by=_text(f"{path}: reviewed_by", meta["reviewed_by"]),
        reviewed_on=_date(f"{path}: reviewed_on", meta["reviewed_on"]),
        path=path,
    )


def entry_files(directory: Path | None = None) -> list[Path]:
    return sorted((directory or ENTRIES_DIR).glob("*.md"))


def companion_files(directory: Path | None = None) -> list[Path]:
    """The Spanish companions: entries/es/*.md."""
    return sorted(((directory or ENTRIES_DIR) / ES_DIR_NAME).glob("*.md"))


def attach_companions(entries: list[Entry], companions: list[SpanishCompanion]) -> list[Entry]:
    """Each entry with its companion (``entry.es``); companions with no English entry are left out."""
    by_id = {c.id: c for c in companions}
    return [replace(e, es=by_id[e.id]) if e.id in by_id else e for e in entries]


def load_entries(directory: Path | None = None) -> list[Entry]:
    """Parse every entry and its Spanish companion; raise EntryError on the first malformed file."""
    entries = [parse_entry(p) for p in entry_files(directory)]
    ids = {e.id for e in entries}
    companions = []
    for path in companion_files(directory):
        companion = parse_companion(path)
        if companion.id not in ids or path.stem != companion.id:
            raise EntryError(f"{path}: id: {companion.id!r} must be the id of an English entry and the file name")
        companions.append(companion)
    return attach_companions(entries, companions)


def content_hash(directory: Path | None = None, extra: str = "") -> str:
    """A hash of every entry and companion file's bytes (and ``extra``): the index is rebuilt when it changes."""
    digest = hashlib.sha256(extra.encode())
    for path in entry_files(directory):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for path in companion_files(directory):
        digest.update(f"{ES_DIR_NAME}/{path.name}".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
