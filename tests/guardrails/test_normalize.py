import pytest

from guardrails.normalize import normalize


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("K r a t 0 m  d0$e??", "kratom dose??"),
        ("kr\u200batom", "kratom"),  # zero-width space
        ("kr\u0430tom", "kratom"),  # Cyrillic a
        ("ＫＲＡＴＯＭ", "kratom"),  # full-width (NFKC)
        ("kraaaatom", "kratom"),
        ("k-r-a-t-o-m", "kratom"),
        ("i wanna k!ll mys3lf", "i want to kill myself"),
        ("s*icide", "suicide"),
        ("my friend is ODing", "my friend is overdosing"),
        ("she's 0D'ing", "she's overdosing"),
        ("gonna unalive myself", "going to kill myself myself"),
        ("kms", "kill myself"),
        ("kratum withdrawl", "kratom withdrawal"),
        ("subs and percs", "suboxone and percocet"),
        ("wds", "withdrawals"),
        ("sobredósis", "sobredosis"),
    ],
)
def test_normalize_folds_obfuscation(raw, expected):
    assert normalize(raw).text == expected


@pytest.mark.parametrize("raw", ["call 988", "8mg of suboxone", "7-oh", "24/7", "1-800-222-1222", "dose-dependent"])
def test_normalize_keeps_numbers_and_units(raw):
    assert normalize(raw).text == raw.lower()


def test_normalize_keeps_the_original():
    assert normalize("Héllo").original == "Héllo"


def test_normalize_rejects_non_text():
    with pytest.raises(TypeError):
        normalize(None)  # type: ignore[arg-type]
