"""Spanish-language helpers for the knowledge base: readability, source language, dose-like text.

Readability is the Szigriszt-Pazos perspicuity index read on the INFLESZ scale (Barrio-Cantalejo
et al., 2008), which was built for Spanish health texts for patients:

    P = 206.835 - 62.3 * syllables/words - words/sentences

    INFLESZ:  < 40 very hard | 40-55 somewhat hard | 55-65 normal | 65-80 fairly easy | > 80 very easy

Patient information is expected to reach "normal" (55). Drug names (buprenorfina, mitraginina,
naloxona: five or four syllables each) pull a short answer down the same way they push the
English grade up, so ``kb validate`` refuses a Spanish answer only below ``MIN_INFLESZ`` (50,
the middle of "somewhat hard"), the Spanish counterpart of the English grade-10 ceiling.
``fernandez_huerta`` is given for comparison; the check does not use it.

Syllables are counted by Spanish rules: every vowel group is one syllable unless two strong
vowels meet (a, e, o, or an accented í/ú), which is a hiatus (pa-ís, le-er, dí-a); a weak vowel
(i, u, ü) next to any vowel forms a diphthong (cui-da-do, tie-ne); a final "y" after a vowel is
a vowel (hoy, muy) and "y" on its own is one syllable.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

MIN_INFLESZ = 50.0
MIN_PHRASINGS_ES = 3
# Spanish runs about 15-20% longer than the same text in English: the English limit is 190 words.
MAX_WORDS_ES = 220

_STRONG = set("aeoáéóíú")
_VOWELS = set("aeiouáéíóúü")
_WORD = re.compile(r"[A-Za-zÁÉÍÓÚÜÑáéíóúüñ]+")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")


def syllables_es(word: str) -> int:
    """Number of syllables in one Spanish word (at least 1 for any word with a letter)."""
    w = "".join(ch for ch in word.lower() if ch.isalpha())
    if not w:
        return 0
    if w == "y":
        return 1
    if w.endswith("y") and len(w) > 1 and w[-2] in _VOWELS:
        w = w[:-1] + "i"
    count = 0
    prev: str | None = None
    for ch in w:
        if ch in _VOWELS:
            if prev is None or (prev in _STRONG and ch in _STRONG):
                count += 1
            prev = ch
        else:
            prev = None
    return max(1, count)


def _counts(text: str) -> tuple[int, int, int]:
    words = _WORD.findall(text)
    sentences = max(1, len(_SENTENCE_END.findall(text.strip() + " ")))
    return len(words), sum(map(syllables_es, words)), sentences


def inflesz(text: str) -> float:
    """Szigriszt-Pazos perspicuity (read on the INFLESZ scale); higher is easier. 100 for no words."""
    words, syllables, sentences = _counts(text)
    if not words:
        return 100.0
    return 206.835 - 62.3 * syllables / words - words / sentences


def fernandez_huerta(text: str) -> float:
    """Fernández-Huerta ease (corrected form); higher is easier. 100 for no words."""
    words, syllables, sentences = _counts(text)
    if not words:
        return 100.0
    return 206.84 - 60.0 * syllables / words - 1.02 * words / sentences


def inflesz_band(score: float) -> str:
    if score < 40:
        return "very hard"
    if score < 55:
        return "somewhat hard"
    if score < 65:
        return "normal"
    if score <= 80:
        return "fairly easy"
    return "very easy"


# -- language of a source URL ---------------------------------------------------------------
_SPANISH_SEGMENT = re.compile(r"^(?:es|es-[a-z]{2}|es_[a-z]{2}|espanol.*|español.*|spanish.*)$")


def url_looks_spanish(url: str) -> bool:
    """True when a path segment marks a Spanish page: /es/, /es-us/, /espanol..., /spanish..."""
    from urllib.parse import unquote

    path = unquote(urlparse(url).path).lower()
    return any(_SPANISH_SEGMENT.match(seg) for seg in path.split("/") if seg)


# -- dose-like text the English output rail does not know in Spanish ---------------------------
_NUM_ES = (
    r"(?:\d+(?:[.,]\d+)?|un|una|uno|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|"
    r"media|medio|un cuarto)"
)
_UNITS_ES = (
    r"g|gr|gramos?|mg|miligramos?|mcg|microgramos?|ml|mililitros?|capsulas?|pastillas?|"
    r"tabletas?|comprimidos?|pildoras?|cucharaditas?|cucharadas?|gotas?"
)
_SPANISH_DOSE = (
    ("es.dose_unit", re.compile(rf"\b{_NUM_ES}\s?(?:-|a|o)?\s?(?:{_NUM_ES}\s?)?(?:{_UNITS_ES})\b")),
    (
        "es.frequency",
        re.compile(
            rf"\b(?:{_NUM_ES}|una)\s(?:vez|veces)\s(?:al|por|cada)\s(?:dia|noche|semana|manana|tarde)\b"
            r"|\bveces al dia\b|\b(?:dos|tres) veces (?:diarias|por dia)\b"
        ),
    ),
    ("es.interval", re.compile(rf"\bcada\s(?:{_NUM_ES}\s?(?:-|a|o)?\s?(?:{_NUM_ES}\s)?)?(?:horas?|hrs?|h)\b")),
    (
        "es.taper_step",
        re.compile(
            r"\b(?:reduce|reduzca|reducir|baja|baje|bajar|disminuye|disminuya|disminuir)\w*\s(?:\w+\s){0,3}?"
            r"(?:en\s|un\s)?\d+\s?(?:%|por ?ciento)"
            r"|\b(?:semana|dia)\s\d+\s?[:\-]\s?.{0,20}\d"
        ),
    ),
)


def _fold(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def spanish_dose_like(text: str) -> tuple[str, str] | None:
    """(rule, excerpt) for the first Spanish dose-like phrase, or None."""
    folded = _fold(text)
    for rule, pattern in _SPANISH_DOSE:
        match = pattern.search(folded)
        if match:
            return rule, match.group(0)
    return None
