import pytest

from guardrails import check_output


@pytest.mark.parametrize(
    "text, rule",
    [
        ("Take 5 g in the morning.", "output.dose_unit"),
        ("Most people use 2-4 grams.", "output.dose_unit"),
        ("Start with two capsules.", "output.dose_unit"),
        ("a teaspoon or 1 tsp of powder", "output.dose_unit"),
        ("8mg of buprenorphine", "output.dose_unit"),
        ("Use it 3 times a day.", "output.frequency"),
        ("take it twice daily", "output.frequency"),
        ("redose every 4 hours", "output.interval"),
        ("Reduce by 10% each week.", "output.taper_step"),
        ("Week 1: 6, week 2: 4", "output.taper_step"),
        ("Toma 5 gramos", "output.dose_unit"),
    ],
)
def test_dose_like_text_is_blocked(text, rule):
    verdict = check_output(text)
    assert not verdict.allowed and verdict.rule == rule


@pytest.mark.parametrize(
    "text",
    [
        "Call or text 988, or call 1-800-662-4357.",
        "Poison Help: 1-800-222-1222. In Australia call 13 11 26.",
        "In 2017 the FDA issued a warning.",
        "About 31.8% of exposures led to hospital admission.",
        "Poison centers logged 1,807 calls about kratom.",
        "Withdrawal usually lasts about a week.",
        "It is open 24/7, and Samaritans answer on 116 123.",
        "What does dose-dependent mean? Effects change with the amount.",
    ],
)
def test_phone_numbers_years_and_statistics_pass(text):
    assert check_output(text).allowed


def test_check_output_fails_closed_on_bad_input():
    verdict = check_output(None)  # type: ignore[arg-type]
    assert not verdict.allowed and verdict.rule == "output.check_error"
