"""A small, frozen knowledge base written into tmp_path, so tests never touch the real files.

The entries are copies (as of 2026-12) of real ones, pinned here so that editors' ongoing
edits to knowledge/entries/ cannot change what these tests check.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

TODAY = dt.date(2026, 12, 1)
REAL_SOURCES = Path(__file__).resolve().parents[2] / "knowledge" / "sources.yml"

NALTREXONE_ANSWER = """\
Naltrexone is one of three FDA-approved medicines for opioid use disorder (opioid addiction). It is an opioid "antagonist," which means it blocks the effects of opioids.

It comes as a medicine you swallow and as an extended-release injection (a long-lasting shot). The FDA approved the shot in 2010 to help prevent a return to opioid use after medically supervised withdrawal.

Important: you must be off opioids for long enough, after you finish withdrawal, before you can start naltrexone. A clinician will help you with the timing.

To find care, visit FindTreatment.gov or call the SAMHSA National Helpline at 1-800-662-4357.
"""

NALOXONE_ANSWER = """\
Naloxone (brand name Narcan) is a medicine that can quickly reverse an opioid overdose and help a person start breathing again. It works by blocking opioids.

The nasal spray is sold over the counter, so you don't need a prescription. Ask at a pharmacy or ask your doctor.

Naloxone does not replace emergency care. Always call 911 for an overdose.
"""

STATE_BANS_ANSWER = """\
Some US states ban kratom. Others have rules on who can buy it and how it must be labeled. These laws change often, so check your own state's law before you rely on anything you read.

A city or county can have its own rules too.
"""

SOURCES = {
    "naltrexone": [
        ("Substance Abuse and Mental Health Services Administration (on NCBI Bookshelf, NIH)",
         "TIP 63: Medications for Opioid Use Disorder, Chapter 3C: Naltrexone",
         "https://www.ncbi.nlm.nih.gov/books/NBK574913/"),
        ("Substance Abuse and Mental Health Services Administration",
         "SAMHSA's National Helpline", "https://www.samhsa.gov/find-help/national-helpline"),
    ],
    "naloxone": [
        ("US Centers for Disease Control and Prevention",
         "What to Do if You Think Someone is Overdosing", "https://www.cdc.gov/stop-overdose/response/index.html"),
    ],
    "kratom-state-bans": [
        ("US Food and Drug Administration", "FDA and Kratom", "https://www.fda.gov/news-events/public-health-focus/fda-and-kratom"),
    ],
}


def source_yaml(organisation: str, title: str, url: str, checked_on: str = "2026-11-26", lang: str | None = None) -> str:
    text = f'  - organisation: "{organisation}"\n    title: "{title}"\n    url: "{url}"\n    checked_on: {checked_on}\n'
    if lang:
        text += f"    lang: {lang}\n"
    return text


def entry_text(
    entry_id: str,
    question: str,
    answer: str,
    *,
    tags: str = "[treatment]",
    related: str = "[]",
    sources: str | None = None,
    reviewed_on: str = "2026-11-26",
    review_by: str = "2027-05-26",
    clinical_review: str = "pending",
) -> str:
    if sources is None:
        sources = "".join(source_yaml(*s) for s in SOURCES[entry_id])
    phrasings = "".join(f'  - "{question.rstrip("?").lower()} {w}"\n' for w in ("please", "for real", "explain", "quick"))
    return (
        "---\n"
        f"id: {entry_id}\n"
        f'question: "{question}"\n'
        "phrasings:\n"
        f"{phrasings}"
        f"tags: {tags}\n"
        f"related: {related}\n"
        "sources:\n"
        f"{sources}"
        'reviewed_by: "editorial: checked against sources"\n'
        f"reviewed_on: {reviewed_on}\n"
        f"review_by: {review_by}\n"
        f"clinical_review: {clinical_review}\n"
        "---\n"
        f"{answer}"
    )


BASE = {
    "naltrexone": ("What is naltrexone?", NALTREXONE_ANSWER, "[treatment, medications]", "[naloxone]"),
    "naloxone": ("What is naloxone (Narcan) and where can I get it?", NALOXONE_ANSWER, "[overdose, naloxone]", "[naltrexone]"),
    "kratom-state-bans": ("Is kratom banned in my state?", STATE_BANS_ANSWER, "[kratom, legal, time-sensitive]", "[]"),
}


def write_kb(root: Path, **overrides: str) -> Path:
    """Write the three entries (``overrides`` replaces a file's whole text by id); return entries/."""
    entries = root / "entries"
    entries.mkdir(parents=True, exist_ok=True)
    for entry_id, (question, answer, tags, related) in BASE.items():
        review_by = "2027-02-26" if "time-sensitive" in tags else "2027-05-26"
        text = overrides.get(entry_id) or entry_text(
            entry_id, question, answer, tags=tags, related=related, review_by=review_by
        )
        (entries / f"{entry_id}.md").write_text(text, encoding="utf-8")
    return entries


def base_text(entry_id: str, **kwargs) -> str:
    question, answer, tags, related = BASE[entry_id]
    kwargs.setdefault("tags", tags)
    kwargs.setdefault("related", related)
    return entry_text(entry_id, question, answer, **kwargs)


SPANISH_ANSWER = """\
La naltrexona es uno de los tres medicamentos aprobados por la FDA para el trastorno por consumo de opioides (la adicción a los opioides). Es un "antagonista" de los opioides: bloquea sus efectos.

Se toma por la boca o como una inyección de liberación prolongada (una inyección que dura mucho tiempo).

Importante: antes de empezar la naltrexona, tiene que dejar los opioides por suficiente tiempo después de terminar la abstinencia. Un profesional de salud le ayudará a saber cuándo.

Para buscar atención, visite FindTreatment.gov o llame a la Línea Nacional de Ayuda de SAMHSA al 1-800-662-4357.
"""

SPANISH_SOURCE = source_yaml(
    "MedlinePlus (NLM)", "Naltrexona", "https://medlineplus.gov/spanish/druginfo/meds/a685041-es.html", "2026-11-30"
)


def companion_text(
    entry_id: str = "naltrexone",
    *,
    question: str = "¿Qué es la naltrexona?",
    phrasings: tuple[str, ...] = ("para qué sirve la naltrexona", "inyección de naltrexona", "que es naltrexona"),
    answer: str = SPANISH_ANSWER,
    sources: str | None = SPANISH_SOURCE,
    reviewed_by: str = "editorial: translated and checked against sources",
    extra: str = "",
) -> str:
    lines = "".join(f'  - "{p}"\n' for p in phrasings)
    src = f"sources:\n{sources}" if sources is not None else ""
    return (
        "---\n"
        f"id: {entry_id}\n"
        f'question: "{question}"\n'
        f"phrasings:\n{lines}"
        f'reviewed_by: "{reviewed_by}"\n'
        "reviewed_on: 2026-11-30\n"
        f"{src}{extra}"
        "---\n"
        f"{answer}"
    )


def write_companion(entries: Path, text: str, name: str = "naltrexone") -> Path:
    es = entries / "es"
    es.mkdir(exist_ok=True)
    path = es / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    return path
