"""Training, calibration and evaluation data live apart: no message is in two splits."""

import json

import pytest

from bot.training.datasets import DATA, all_texts, judge_rows, split_files
from bot.training.dedupe import shared_eval_keys
from guardrails.judge import CLASSES


def test_no_message_is_in_two_splits():
    keys = {split: all_texts(split_files(split)) for split in ("train", "calibrate", "eval")}
    shared = shared_eval_keys()
    assert shared, "the shared dev set and XSTest are missing"
    for a, b in (("train", "calibrate"), ("train", "eval"), ("calibrate", "eval")):
        both = sorted(set(keys[a]) & set(keys[b]))
        assert not both, f"{len(both)} in both {a} and {b}: {both[:5]}"
    for split in ("train", "calibrate"):
        both = sorted(set(keys[split]) & shared)
        assert not both, f"{len(both)} shared evaluation messages in {split}: {both[:5]}"


def test_no_calibration_or_evaluation_message_is_a_knowledge_base_text():
    """The entries' questions and phrasings are what retrieval is fitted on (the index): a
    threshold is not chosen, nor an answer graded, on a text the index holds word for word."""
    from bot.training.dedupe import kb_clashes

    clashes = {where: texts for where, texts in kb_clashes().items() if where != "shared"}
    assert not clashes, f"run 'python -m bot.training.dedupe': {clashes}"


@pytest.mark.parametrize("split", ["train", "calibrate", "eval"])
def test_every_labeled_row_is_well_formed(split):
    rows = judge_rows(split)
    assert rows
    assert {r.label for r in rows} == set(CLASSES)
    assert {r.lang for r in rows} == {"en", "es"}


def test_training_data_is_large_and_varied():
    rows = judge_rows("train")
    written_for_the_judge = [r for r in rows if not r.group.startswith("legacy_")]
    assert len(written_for_the_judge) >= 3000
    groups = {r.group for r in rows}
    for needed in ("contrast", "long_post", "typo", "title_case", "wrapper", "third_person"):
        assert needed in groups, needed
    assert sum(r.lang == "es" for r in rows) >= 300


def test_retrieval_sets_name_real_entries():
    from knowledge.entry import load_entries

    ids = {e.id for e in load_entries()}
    for path in [*split_files("calibrate", pattern="paraphrases*.jsonl"), *split_files("eval", pattern="paraphrases*.jsonl"),
                 *split_files("eval", pattern="confusables.jsonl")]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                assert json.loads(line)["entry_id"] in ids, (path.name, line)


def test_the_judge_was_fitted_on_the_data_in_the_repository():
    from bot.training.judge import current_data_hash
    from guardrails.judge import Judge

    assert Judge.load().data_hash == current_data_hash(DATA), "run 'kratom-assistant guard train'"


def test_a_marked_crisis_sentence_must_be_in_a_crisis_post(tmp_path):
    from bot.training.datasets import DataError, read_rows

    good = {"text": "Long day. I have the pills lined up. Anyway, does withdrawal cause sweats?", "label": "crisis",
            "lang": "en", "group": "long_post_marked", "crisis_sentence": "I have the pills lined up.",
            "rest_label": "information"}
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps(good) + "\n", encoding="utf-8")
    (row,) = read_rows(path)
    assert (row.crisis_sentence, row.rest_label) == ("I have the pills lined up.", "information")
    for bad in ({"label": "information"}, {"crisis_sentence": "not in the text"}, {"rest_label": "crisis"},
                {"rest_label": "unknown"}):
        path.write_text(json.dumps({**good, **bad}) + "\n", encoding="utf-8")
        with pytest.raises(DataError):
            read_rows(path)
