import pytest

from bot.channels.text import neutralize, too_long


@pytest.mark.parametrize(
    "raw, expected",
    [("/greet how many grams", "greet how many grams"), ("  //ask", "ask"), ('/smalltalk{"a":1}', 'smalltalk{"a":1}'),
     ("what is kratom?", "what is kratom?"), ("/", "")],
)
def test_leading_slash_is_neutralised(raw, expected):
    assert neutralize(raw) == expected
    assert not neutralize(raw).startswith("/")


def test_length_limit():
    assert not too_long("a" * 20_000) and too_long("a" * 20_001)
