"""Each way an entry can be wrong is caught and named by file and field."""

import datetime as dt
import shutil
from pathlib import Path

import pytest

from knowledge.embedder import HashEmbedder
from knowledge.entry import ENTRIES_DIR
from knowledge.validate import validate

TODAY = dt.date(2026, 11, 26)
GOOD = (ENTRIES_DIR / "naltrexone.md").read_text(encoding="utf-8")


def write(directory: Path, name: str, text: str) -> None:
    (directory / f"{name}.md").write_text(text, encoding="utf-8")


def entry_dir(tmp_path: Path, text: str, name: str = "naltrexone") -> Path:
    d = tmp_path / "entries"
    d.mkdir()
    write(d, name, text)
    # related ids must exist: give them empty-but-valid twins
    for rel in ("moud-overview", "buprenorphine", "methadone", "relapse-overdose-risk-after-detox",
                "finding-treatment", "medical-withdrawal-care", "naloxone"):
        if rel != name:
            shutil.copy(ENTRIES_DIR / f"{rel}.md", d / f"{rel}.md")
    return d


def problems_for(tmp_path, text, **kwargs):
    _, problems = validate(entry_dir(tmp_path, text), today=TODAY, **kwargs)
    return [str(p) for p in problems if "naltrexone" in p.path]


def test_the_real_knowledge_base_is_valid():
    entries, problems = validate(today=dt.date.today())
    assert not problems, "\n".join(map(str, problems))
    assert len(entries) >= 45


def test_a_good_entry_passes(tmp_path):
    assert problems_for(tmp_path, GOOD) == []


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("reviewed_by:", "reviewer:", "missing field(s) reviewed_by"),
        ("clinical_review: pending", "clinical_review: pending\nmood: happy", "unknown field(s) mood"),
        ("url: \"https://", "url: \"https://example-vendor.com/", "not on an allowed domain"),
        ("review_by: 2027-05-26", "review_by: 2028-05-26", "more than 12 months after"),
        ("review_by: 2027-05-26", "review_by: 2026-01-01", "has passed"),
        ('reviewed_by: "editorial: checked against sources"', 'reviewed_by: "Dr. Jane Smith"', "name a role"),
        ("related: [", "related: [no-such-entry, ", "unknown entry id 'no-such-entry'"),
        ("id: naltrexone", "id: Naltrexone Facts", "lower-case slug"),
    ],
)
def test_each_problem_is_named(tmp_path, old, new, expected):
    assert old in GOOD, old
    found = problems_for(tmp_path, GOOD.replace(old, new, 1))
    assert any(expected in p for p in found), found


@pytest.mark.parametrize("dose", ["Most people take 2 grams.", "Use 3 capsules.", "Take it twice a day.", "Start with 10 mg."])
def test_dose_like_text_in_an_answer_is_refused(tmp_path, dose):
    found = problems_for(tmp_path, GOOD.rstrip() + "\n\n" + dose + "\n")
    assert any("dose-like text" in p for p in found), found


def test_statistics_phone_numbers_and_years_are_allowed(tmp_path):
    text = GOOD.rstrip() + "\n\nIn 2019, 91 of 152 deaths involved other drugs. Call 1-800-662-4357.\n"
    assert problems_for(tmp_path, text) == []


def test_no_sources_is_refused(tmp_path):
    head, body = GOOD.split("\nsources:\n", 1)
    rest = body[body.index("reviewed_by:"):]
    found = problems_for(tmp_path, head + "\nsources: []\n" + rest)
    assert any("needs at least one source" in p for p in found), found


def test_duplicate_ids_and_near_duplicate_questions(tmp_path):
    d = entry_dir(tmp_path, GOOD)
    write(d, "naltrexone-copy", GOOD)  # same id, same question
    _, problems = validate(d, today=TODAY, embedder=HashEmbedder())
    text = "\n".join(map(str, problems))
    assert "duplicate of naltrexone" in text
    assert "near-duplicate" in text


def test_clinical_review_can_be_required(tmp_path):
    from knowledge.review import sign_off

    found = problems_for(tmp_path, GOOD, require_clinical_review=True)
    assert any("pending" in p for p in found)
    by_hand = GOOD.replace("clinical_review: pending", "clinical_review: {by: A. Clinician, role: addiction medicine physician, date: 2026-11-20}")
    other = tmp_path / "by-hand"
    other.mkdir()
    found = problems_for(other, by_hand, require_clinical_review=True)
    assert any("without a stored snapshot" in p for p in found), found
    signed = tmp_path / "signed"
    signed.mkdir()
    entries = entry_dir(signed, GOOD)
    sign_off("naltrexone", role="addiction medicine physician", entries_dir=entries, today=TODAY)
    _, problems = validate(entries, today=TODAY, require_clinical_review=True)
    assert [str(p) for p in problems if "naltrexone" in p.path] == []


def test_hard_to_read_answers_are_refused(tmp_path):
    hard = ("Mitragynine's pharmacodynamic characteristics, encompassing partial agonism at mu-opioid "
            "receptors alongside adrenergic and serotonergic interactions, necessitate individualized "
            "clinical evaluation, particularly considering hepatotoxicity, cardiovascular complications, "
            "and neurological manifestations documented in pharmacovigilance investigations.")
    head = GOOD.split("\n---\n", 1)[0]
    found = problems_for(tmp_path, head + "\n---\n" + hard + "\n")
    assert any("reads at grade" in p for p in found), found


def test_readability_scores_plain_text_lower():
    from knowledge.readability import grade_level

    assert grade_level("Call a doctor. Help is free. You are not alone.") < 4
