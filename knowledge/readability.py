"""Flesch-Kincaid grade level, so answers stay readable for people in distress.

Answers aim at a 6th-8th grade level; drug names (mitragynine, buprenorphine) push the score
up, so `kb validate` refuses only answers above grade 10 and `kb stats` reports the rest.
"""

from __future__ import annotations

import re

MAX_GRADE = 10.0


def syllables(word: str) -> int:
    word = re.sub(r"[^a-z]", "", word.lower())
    if not word:
        return 0
    count = len(re.findall(r"[aeiouy]+", word))
    if word.endswith("e") and count > 1 and not word.endswith(("le", "ee")):
        count -= 1
    return max(1, count)


def grade_level(text: str) -> float:
    """Flesch-Kincaid grade: 0.39 words/sentence + 11.8 syllables/word - 15.59."""
    sentences = max(1, len(re.findall(r"[.!?]+(?:\s|$)", text)))
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
    if not words:
        return 0.0
    return 0.39 * len(words) / sentences + 11.8 * sum(map(syllables, words)) / len(words) - 15.59
