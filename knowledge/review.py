"""Clinical review: who signed off, what has changed since, and a printable pack for the next review.

    >>> sign_off("naloxone", role="addiction medicine physician")      # front matter + snapshot
    >>> review_status(entry, REVIEWS_DIR, today).due                     # pending, changed or expired
    >>> render_review_pack(entries, reviews_dir=REVIEWS_DIR, today=today) # one self-contained HTML page

A sign-off is recorded in two places: the entry's ``clinical_review`` field (``{role, date}``,
plus ``by`` only when the clinician gives their own name) and a snapshot of what they signed, the
answer, the source URLs and the Spanish answer if there is one, in ``knowledge/reviews/<id>.json``.
Comparing the entry with its snapshot is how the pack shows what changed. Whitespace-only edits
to an answer do not count.
No reviewer is ever made up here: a role is required and comes from the person signing.
"""

from __future__ import annotations

import datetime as dt
import difflib
import html
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .entry import ENTRIES_DIR, ES_DIR_NAME, KNOWLEDGE_DIR, ClinicalReview, Entry, EntryError, parse_companion, parse_entry

REVIEWS_DIR = KNOWLEDGE_DIR / "reviews"
_PERSON = re.compile(r"\b(dr|dra|doctor|doctora|mr|mrs|ms|prof)\.? [A-Z]", re.I)
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class SignOffError(ValueError):
    """A sign-off was refused; the message says why."""


@dataclass(frozen=True)
class Snapshot:
    """What a clinician signed: the answer and the source URLs, with the sign-off itself."""

    id: str
    review: ClinicalReview
    answer: str
    sources: tuple[str, ...]
    es_answer: str | None = None  # the Spanish companion's answer, if it had one

    def as_json(self) -> str:
        review = {"role": self.review.role, "date": self.review.date.isoformat()}
        if self.review.by:
            review["by"] = self.review.by
        data = {"id": self.id, "clinical_review": review, "answer": self.answer, "sources": list(self.sources),
                "es_answer": self.es_answer}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def snapshot_path(reviews_dir: Path, entry_id: str) -> Path:
    return reviews_dir / f"{entry_id}.json"


def load_snapshot(reviews_dir: Path, entry_id: str) -> Snapshot | None:
    """The stored snapshot, or None if there is none. A malformed file raises ValueError."""
    path = snapshot_path(reviews_dir, entry_id)
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        review = raw["clinical_review"]
        return Snapshot(
            id=str(raw["id"]),
            review=ClinicalReview(
                role=str(review["role"]), date=dt.date.fromisoformat(review["date"]), by=review.get("by")
            ),
            answer=str(raw["answer"]),
            sources=tuple(str(u) for u in raw["sources"]),
            es_answer=raw.get("es_answer"),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a valid review snapshot: {exc}") from exc


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


@dataclass(frozen=True)
class ReviewStatus:
    entry_id: str
    state: str  # "signed" (current), "pending" or "changed" (since its sign-off, or not traceable)
    reasons: tuple[str, ...]  # why it is due for clinical review; empty when it is not
    snapshot: Snapshot | None
    answer_changed: bool = False
    sources_changed: bool = False
    es_answer_changed: bool = False

    @property
    def due(self) -> bool:
        return bool(self.reasons)

    @property
    def changed(self) -> bool:
        return self.state == "changed"


def review_status(entry: Entry, reviews_dir: Path, today: dt.date) -> ReviewStatus:
    """Whether an entry needs a clinician: never signed off, changed since sign-off, or past review_by."""
    try:
        snapshot = load_snapshot(reviews_dir, entry.id)
        broken = None
    except ValueError as exc:
        snapshot, broken = None, str(exc)
    reasons: list[str] = []
    answer_changed = sources_changed = es_changed = False
    if snapshot is not None:
        answer_changed = not _same_text(snapshot.answer, entry.answer)
        sources_changed = snapshot.sources != tuple(s.url for s in entry.sources)
        es_changed = not _same_text(snapshot.es_answer or "", _es_answer(entry) or "")
    review = entry.clinical_review
    if review is None:
        state = "pending"
        if snapshot is None:
            reasons.append("pending: new entry, never signed off")
        else:
            reasons.append(f"pending: the sign-off of {snapshot.review.date} was withdrawn")
    elif broken:
        state = "changed"
        reasons.append(broken)
    elif snapshot is None:
        state = "changed"
        reasons.append(
            f"signed off {review.date} without a stored snapshot (not recorded with 'kb sign-off'): "
            "what changed cannot be shown, review the whole entry"
        )
    elif (snapshot.review.role, snapshot.review.date) != (review.role, review.date):
        state = "changed"
        reasons.append(
            f"the sign-off in the file ({review.role}, {review.date}) is not the one stored "
            f"({snapshot.review.role}, {snapshot.review.date})"
        )
    elif answer_changed or sources_changed or es_changed:
        state = "changed"
        what = " and ".join(
            w for w, c in (("answer", answer_changed), ("sources", sources_changed), ("Spanish answer", es_changed)) if c
        )
        reasons.append(f"{what} changed since the sign-off of {review.date}")
    else:
        state = "signed"
    if entry.review_by < today:
        reasons.append(f"past review_by ({entry.review_by})")
    return ReviewStatus(entry.id, state, tuple(reasons), snapshot, answer_changed, sources_changed, es_changed)


def _es_answer(entry: Entry) -> str | None:
    return entry.es.answer if entry.es is not None else None


# -- sign-off -----------------------------------------------------------------------------
def _yaml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def clinical_review_line(review: ClinicalReview) -> str:
    parts = [f"role: {_yaml_str(review.role)}", f"date: {review.date.isoformat()}"]
    if review.by:
        parts.append(f"by: {_yaml_str(review.by)}")
    return "clinical_review: {" + ", ".join(parts) + "}"


def replace_clinical_review(content: str, review: ClinicalReview) -> str:
    """The file with only its ``clinical_review`` field rewritten; every other byte kept."""
    lines = content.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n").rstrip() != "---":
        raise EntryError("needs YAML front matter between '---' lines")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip("\r\n").rstrip() == "---"), None)
    if end is None:
        raise EntryError("the front matter has no closing '---' line")
    starts = [i for i in range(1, end) if re.match(r"clinical_review\s*:", lines[i])]
    if len(starts) != 1:
        raise EntryError(f"expected one clinical_review field in the front matter, found {len(starts)}")
    start = starts[0]
    stop = start + 1
    while stop < end and lines[stop][:1] in (" ", "\t"):
        stop += 1
    newline = "\r\n" if lines[start].endswith("\r\n") else "\n"
    return "".join(lines[:start]) + clinical_review_line(review) + newline + "".join(lines[stop:])


def sign_off(
    entry_id: str,
    *,
    role: str,
    name: str | None = None,
    date: dt.date | None = None,
    entries_dir: Path = ENTRIES_DIR,
    reviews_dir: Path | None = None,
    today: dt.date | None = None,
) -> tuple[ClinicalReview, Path]:
    """Record a clinician's sign-off of an entry as it is now. Returns the review and the snapshot path."""
    today = today or dt.date.today()
    date = date or today
    role = (role or "").strip()
    if not role:
        raise SignOffError("--role is required: the clinical role of the person signing off")
    if "\n" in role or _PERSON.search(role):
        raise SignOffError(f"--role {role!r} should be a role (e.g. 'addiction medicine physician'); a name goes in --name")
    if name is not None:
        name = name.strip()
        if not name or "\n" in name:
            raise SignOffError("--name, when given, must be the reviewer's own name on one line")
    if date > today:
        raise SignOffError(f"--date {date} is in the future")
    if not _SLUG.fullmatch(entry_id):
        raise SignOffError(f"{entry_id!r} is not an entry id")
    path = entries_dir / f"{entry_id}.md"
    if not path.exists():
        raise SignOffError(f"no entry {entry_id!r} ({path})")
    content = path.read_text(encoding="utf-8")
    before = parse_entry(path, content)
    review = ClinicalReview(role=role, date=date, by=name)
    new_content = replace_clinical_review(content, review)
    after = parse_entry(path, new_content)
    if after.clinical_review != review or replace(after, clinical_review=None) != replace(before, clinical_review=None):
        raise SignOffError(f"{path}: rewriting clinical_review would change other fields; not written")
    reviews_dir = reviews_dir if reviews_dir is not None else entries_dir.parent / "reviews"
    reviews_dir.mkdir(parents=True, exist_ok=True)
    companion = entries_dir / ES_DIR_NAME / f"{entry_id}.md"
    es_answer = parse_companion(companion).answer if companion.exists() else None
    snap = Snapshot(id=entry_id, review=review, answer=before.answer, sources=tuple(s.url for s in before.sources),
                    es_answer=es_answer)
    target = snapshot_path(reviews_dir, entry_id)
    _write_atomic(target, snap.as_json())
    _write_atomic(path, new_content)
    return review, target


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    tmp.replace(path)


# -- the review pack ----------------------------------------------------------------------
_CSS = """
body { font: 16px/1.5 Georgia, "Times New Roman", serif; color: #111; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.3rem; margin: 0 0 .3rem; }
h3 { font-size: 1rem; margin: 1rem 0 .3rem; text-transform: uppercase; letter-spacing: .04em; }
.meta, .note { color: #444; font-size: .9rem; }
section.entry { border-top: 3px solid #111; padding-top: 1rem; margin-top: 2rem; }
.reasons { font-weight: bold; }
.answer p { margin: .4rem 0; white-space: pre-line; }
.diff { white-space: pre-wrap; border-left: 3px solid #999; padding-left: .6rem; }
del { text-decoration: line-through; background: #fdd; }
ins { text-decoration: underline; background: #dfd; }
table.signoff { border-collapse: collapse; width: 100%; margin-top: .3rem; }
table.signoff th, table.signoff td { border: 1px solid #111; padding: .4rem; text-align: left; vertical-align: top; }
table.signoff td { height: 2.2rem; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: .85rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  nav { display: none; }
  section.entry { break-before: page; border-top: none; margin-top: 0; }
  a { color: #111; }
  .sources a::after { content: " (" attr(href) ")"; font-size: 9pt; word-break: break-all; }
  del { background: none; }
  ins { background: none; }
}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{_e(p.strip())}</p>" for p in re.split(r"\n\s*\n", text) if p.strip())


def answer_diff_html(old: str, new: str) -> str:
    """A word-level diff: removed words in <del>, added words in <ins>, everything escaped.

    Changed words separated only by spaces are shown as one change ("<del>A clinician</del>").
    """
    a, b = re.findall(r"\s+|\S+", old.strip()), re.findall(r"\s+|\S+", new.strip())
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    merged: list[list] = []
    for op in ops:
        tag, i1, i2, j1, j2 = op
        if (
            tag != "equal" and len(merged) >= 2 and merged[-2][0] != "equal" and merged[-1][0] == "equal"
            and all(t.isspace() for t in a[merged[-1][1]:merged[-1][2]])
        ):
            merged.pop()
            merged[-1] = ["replace", merged[-1][1], i2, merged[-1][3], j2]
        elif tag != "equal" and merged and merged[-1][0] != "equal":
            merged[-1] = ["replace", merged[-1][1], i2, merged[-1][3], j2]
        else:
            merged.append(list(op))
    out = []
    for tag, i1, i2, j1, j2 in merged:
        if tag == "equal":
            out.append(_e("".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(f"<del>{_e(''.join(a[i1:i2]))}</del>")
        if j2 > j1:
            out.append(f"<ins>{_e(''.join(b[j1:j2]))}</ins>")
    return f'<div class="diff">{"".join(out)}</div>'


def _link(url: str, text: str) -> str:
    if re.match(r"https?://", url):
        return f'<a href="{_e(url)}">{_e(text)}</a>'
    return _e(text)


def _changes_html(entry: Entry, status: ReviewStatus) -> str:
    snap = status.snapshot
    review = entry.clinical_review
    if snap is None:
        if review is None:
            return '<p class="changes">New entry, never signed off.</p>'
        return (f'<p class="changes">Signed off {_e(review.date)} ({_e(review.role)}) without a stored snapshot, '
                "so what changed cannot be shown: review the whole entry.</p>")
    parts = [f'<p class="note">Compared with what was signed off on {_e(snap.review.date)} ({_e(snap.review.role)}).</p>']
    if status.answer_changed:
        parts.append("<p>Answer (removed text struck through, added text underlined):</p>")
        parts.append(answer_diff_html(snap.answer, entry.answer))
    else:
        parts.append("<p>Answer: no change.</p>")
    current = tuple(s.url for s in entry.sources)
    if status.sources_changed:
        removed = [u for u in snap.sources if u not in current]
        added = [u for u in current if u not in snap.sources]
        items = [f"<li><del>{_e(u)}</del> (removed)</li>" for u in removed]
        items += [f"<li><ins>{_e(u)}</ins> (added)</li>" for u in added]
        if not items:
            items.append("<li>Same sources, in a different order.</li>")
        parts.append(f'<p>Sources:</p><ul class="source-changes">{"".join(items)}</ul>')
    else:
        parts.append("<p>Sources: no change.</p>")
    if status.es_answer_changed:
        parts.append('<p>Spanish answer:</p><div lang="es">')
        parts.append(answer_diff_html(snap.es_answer or "", _es_answer(entry) or ""))
        parts.append("</div>")
    elif entry.es is not None or snap.es_answer:
        parts.append("<p>Spanish answer: no change.</p>")
    return f'<div class="changes">{"".join(parts)}</div>'


def _sources_html(entry_sources) -> str:
    items = []
    for s in entry_sources:
        lang = f" [{_e(s.language)}]" if s.language != "en" else ""
        items.append(f"<li>{_link(s.url, s.title)}: {_e(s.organisation)}, checked {_e(s.checked_on)}{lang}</li>")
    return f'<ol class="sources">{"".join(items)}</ol>'


def _entry_html(entry: Entry, status: ReviewStatus) -> str:
    review = entry.clinical_review
    signed = "pending" if review is None else f"signed off {review.date} by {review.role}" + (f" ({review.by})" if review.by else "")
    reasons = "".join(f"<li>{_e(r)}</li>" for r in status.reasons) or "<li>not due (listed because of --all)</li>"
    out = [
        f'<section class="entry" id="entry-{_e(entry.id)}" data-entry-id="{_e(entry.id)}">',
        f"<h2>{_e(entry.question)}</h2>",
        f'<p class="meta">Entry <code>{_e(entry.id)}</code> · {_e(entry.path.name)} · clinical review: {_e(signed)} · '
        f"{_e(entry.reviewed_by)} on {_e(entry.reviewed_on)} · review by {_e(entry.review_by)}</p>",
        f'<ul class="reasons">{reasons}</ul>',
        "<h3>Answer</h3>",
        f'<div class="answer">{_paragraphs(entry.answer)}</div>',
        "<h3>Sources</h3>",
        _sources_html(entry.sources),
    ]
    if entry.es is not None:
        es = entry.es
        out.append('<h3>Spanish companion</h3><div lang="es">')
        out.append(f"<p><strong>{_e(es.question)}</strong></p>")
        if es.answer:
            out.append(f'<div class="answer">{_paragraphs(es.answer)}</div>')
        else:
            out.append('<p class="note" lang="en">No Spanish answer: the English answer is shown with a Spanish note.</p>')
        if es.sources:
            out.append(_sources_html(es.sources))
        out.append("</div>")
    out += [
        "<h3>What changed since the last sign-off</h3>",
        _changes_html(entry, status),
        "<h3>Sign-off</h3>",
        '<table class="signoff"><thead><tr><th scope="col">Role</th><th scope="col">Name (optional)</th>'
        '<th scope="col">Date</th><th scope="col">Signature</th></tr></thead>'
        "<tbody><tr><td></td><td></td><td></td><td></td></tr><tr><td></td><td></td><td></td><td></td></tr></tbody></table>",
        f'<p class="note">To record it: <code>kratom-assistant kb sign-off {_e(entry.id)} --role "..." '
        '[--name "..."] [--date YYYY-MM-DD]</code></p>',
        "</section>",
    ]
    return "\n".join(out)


def due_for_review(entries: Sequence[Entry], reviews_dir: Path, today: dt.date) -> list[tuple[Entry, ReviewStatus]]:
    rows = [(e, review_status(e, reviews_dir, today)) for e in sorted(entries, key=lambda e: e.id)]
    return [(e, s) for e, s in rows if s.due]


def render_review_pack(
    entries: Sequence[Entry], *, reviews_dir: Path = REVIEWS_DIR, today: dt.date | None = None, include_all: bool = False
) -> str:
    """One self-contained HTML page (inline CSS, no scripts, nothing fetched) for a clinical review."""
    today = today or dt.date.today()
    rows = [(e, review_status(e, reviews_dir, today)) for e in sorted(entries, key=lambda e: e.id)]
    listed = rows if include_all else [(e, s) for e, s in rows if s.due]
    due = sum(s.due for _, s in rows)
    scope = "every entry" if include_all else "the entries due for clinical review"
    toc = "".join(
        f'<li><a href="#entry-{_e(e.id)}">{_e(e.question)}</a> <span class="note">({_e("; ".join(s.reasons) or "not due")})</span></li>'
        for e, s in listed
    )
    body = "\n".join(_entry_html(e, s) for e, s in listed) or "<p>No entries are due for clinical review.</p>"
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Clinical review pack, {_e(today)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        "<h1>Kratom &amp; opioid withdrawal assistant: clinical review pack</h1>",
        f'<p class="meta">Generated {_e(today)}. Lists {_e(scope)}: <span id="entry-count">{len(listed)}</span> '
        f"listed; {due} of {len(rows)} entries are due (never signed off, changed since sign-off, or past review_by).</p>",
        "<p>For each entry, read the answer against its sources and the changes since the last sign-off, "
        "then sign the table or record the sign-off with the command under it. Answers never give "
        "amounts, doses or schedules.</p>",
        "</header>",
        f'<nav><h2>Contents</h2><ol>{toc}</ol></nav>' if listed else "",
        "<main>",
        body,
        "</main>",
        "</body>",
        "</html>",
        "",
    ])
