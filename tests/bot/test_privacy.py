import pytest

from bot import privacy


@pytest.mark.parametrize(
    "text, gone, kept",
    [
        ("my name is Ana Lopez and I take kratom", ["Ana", "Lopez"], ["kratom"]),
        ("me llamo Juan", ["Juan"], []),
        ("text me at 555-123-4567 or (212) 555-0199", ["555-123-4567", "555-0199"], []),
        ("write to ana.lopez+x@example.org", ["ana.lopez", "example.org"], []),
        ("I live at 42 Elm Street apt 3, help", ["42 Elm", "apt 3"], ["help"]),
        ("+44 7700 900123 is my mobile", ["7700 900123"], ["mobile"]),
    ],
)
def test_redact_removes_personal_data(text, gone, kept):
    out = privacy.redact(text)
    for piece in gone:
        assert piece not in out
    for piece in kept:
        assert piece in out


@pytest.mark.parametrize("text", ["call 988 or 1-800-662-4357", "is 10 grams too much", "in 2019, 91 of 152 deaths", "13 11 14"])
def test_redact_leaves_help_numbers_and_statistics(text):
    assert privacy.redact(text) == text


def test_sender_hash_is_keyed_stable_and_not_reversible(monkeypatch):
    monkeypatch.setattr(privacy, "_KEY", b"key-one")
    a1, a2 = privacy.hash_sender("alice@example.org"), privacy.hash_sender("alice@example.org")
    monkeypatch.setattr(privacy, "_KEY", b"key-two")
    b = privacy.hash_sender("alice@example.org")
    assert a1 == a2 and a1 != b
    assert "alice" not in a1 and len(a1) == 40
