import pytest

from bot.channels.ratelimit import RateLimiter


def test_limit_per_key_within_window():
    limiter = RateLimiter(3, window_seconds=60)
    assert [limiter.allow("a", now=t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert limiter.allow("b", now=3)  # other keys are unaffected
    assert limiter.allow("a", now=61)  # the window slides


def test_rejects_nonsense_limits():
    with pytest.raises(ValueError):
        RateLimiter(0)
