"""Text normalization applied before any guardrail pattern is matched.

People in distress type fast, on phones, and some people try to slip past filters. Both
produce the same kinds of noise, so one normalization serves both:

    "K r a t 0 m  d0$e??"  ->  "kratom dose ??"
    "my frіend is ODing"   ->  "my friend is overdosing"   (Cyrillic і folded)

The result is for matching only; the user's text is never rewritten in replies.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Zero-width and formatting characters that render as nothing but split words.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e"),
    None,
)

# Letters from other scripts that look like Latin ones (after NFKC, which already folds
# full-width and most compatibility forms).
_HOMOGLYPHS = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j",
        "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g",
        "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p",
        "С": "c", "Т": "t", "У": "y", "Х": "x", "І": "i", "Ј": "j", "Ѕ": "s",
        # Greek
        "α": "a", "ε": "e", "ι": "i", "κ": "k", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
        "ν": "v", "χ": "x", "Α": "a", "Β": "b", "Ε": "e", "Η": "h", "Ι": "i", "Κ": "k",
        "Μ": "m", "Ν": "n", "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x", "Ζ": "z",
        # Typographic punctuation
        "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
    }
)

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "@": "a", "$": "s"})
# A leet character is only decoded inside a word that also has two or more letters ("d0se",
# "k1ll"), so numbers and measurements ("988", "8mg", "7oh", "24/7") survive.
_LEET_WORD = re.compile(r"[a-z0-9@$]*[0134@$][a-z0-9@$]*")
_INWORD_BANG = re.compile(r"(?<=[a-z])[!|](?=[a-z])")
_MEASURE = re.compile(r"\d+(?:\.\d+)?(?:mg|g|mcg|ug|ml|oz|oh|x|th|st|nd|rd|s|am|pm|k|hr|hrs|h|mins?)?")

# "k r a t o m": three or more single letters separated by single spaces.
_SPACED = re.compile(r"(?<!\S)(?:[a-z0-9@$][ .\-_*]){2,}[a-z0-9@$](?!\S)")
# Asterisks and dots used to mask a letter: "s*icide", "k.i.l.l".
_MASK = re.compile(r"(?<=[a-z])[*._](?=[a-z])")
# Three or more of a letter become one ("kraaatom", "heeelp"); doubles are real spelling.
_REPEAT = re.compile(r"([a-z])\1{2,}")

_SPELLING = {
    "kratum": "kratom", "kraton": "kratom", "cratom": "kratom", "kratim": "kratom",
    "kratoms": "kratom", "krotom": "kratom", "kratomm": "kratom", "kartom": "kratom",
    "withdrawl": "withdrawal", "withdrawls": "withdrawals", "withdrawel": "withdrawal",
    "widthdrawal": "withdrawal", "withdraws": "withdrawals", "withdrawls.": "withdrawals",
    "suboxen": "suboxone", "subaxone": "suboxone", "suboxne": "suboxone",
    "methodone": "methadone", "methadon": "methadone", "metadone": "methadone",
    "naloxon": "naloxone", "narcon": "narcan", "fentanil": "fentanyl", "fentynal": "fentanyl",
    "suicde": "suicide", "sucide": "suicide", "suiside": "suicide", "suicid": "suicide",
    "sicide": "suicide", "suicie": "suicide", "kil": "kill", "kll": "kill", "kiil": "kill", "myslef": "myself", "mysef": "myself", "overdoes": "overdose",
    "overdossing": "overdosing", "perscription": "prescription", "gabapentine": "gabapentin",
    "dosage": "dose", "dosages": "doses", "dosing": "dose", "doseage": "dose",
    "xanny": "xanax", "xannies": "xanax", "xans": "xanax", "benzo": "benzodiazepine",
    "benzos": "benzodiazepines", "oxys": "oxycodone", "oxy": "oxycodone", "oxies": "oxycodone",
    "percs": "percocet", "perc": "percocet", "percocets": "percocet",
    "fent": "fentanyl", "fetty": "fentanyl", "subs": "suboxone", "bupe": "buprenorphine",
    "wd": "withdrawal", "wds": "withdrawals", "w/d": "withdrawal", "w/ds": "withdrawals",
    "kms": "kill myself", "unalive": "kill myself", "unaliving": "killing myself",
    "unalived": "killed myself", "od": "overdose", "w": "with", "n": "and", "2gether": "together",
    "mixin": "mixing", "adderal": "adderall", "mny": "many", "mch": "much", "muc": "much",
    "grms": "grams", "grm": "grams", "gms": "grams", "gramz": "grams", "kratm": "kratom",
    "kratum's": "kratom", "krat0m": "kratom", "replacment": "replacement", "vendr": "vendor",
    "vendrs": "vendors", "mang": "maeng", "wher": "where", "whr": "where", "shud": "should",
    "shld": "should", "cn": "can", "wat": "what", "wut": "what", "hw": "how", "xannax": "xanax", "lexapo": "lexapro",
    "oding": "overdosing", "od'ing": "overdosing", "od's": "overdoses", "odd": "odd",
    "ur": "your", "u": "you", "r": "are", "pls": "please", "plz": "please", "im": "i'm",
    "cant": "can't", "dont": "don't", "wont": "won't", "gonna": "going to", "wanna": "want to",
    "tho": "though", "thx": "thanks", "ty": "thank you", "mg's": "mg", "gs": "grams",
    "kratomm's": "kratom",
}
_WORD = re.compile(r"[a-z0-9'/]+")


@dataclass(frozen=True)
class Normalized:
    """The original text and the form the rules match against."""

    original: str
    text: str


def _decode_leet(match: re.Match[str]) -> str:
    word = match.group(0)
    if re.fullmatch(r"0[a-z]+", word):  # "0d", "0xy": a leading zero before letters is an o
        return "o" + word[1:]
    if sum(ch.isalpha() for ch in word) < 2 or _MEASURE.fullmatch(word):
        return word
    return word.translate(_LEET)


def _join_spaced(match: re.Match[str]) -> str:
    chars = match.group(0)
    if sum(ch.isalpha() for ch in chars) < 3:
        return chars  # "take 1 2 3" stays numbers
    return re.sub(r"[ .\-_*]", "", chars)


def _join_spaced_words(text: str) -> str:
    """ "i  w a n t  t o  d i e": single letters inside words, two spaces between words."""
    groups = re.split(r"\s{2,}", text)
    if len(groups) > 1 and all(re.fullmatch(r"(?:\S )*\S", g) for g in groups if g):
        return " ".join(g.replace(" ", "") for g in groups)
    return text


def _respell(match: re.Match[str]) -> str:
    word = match.group(0)
    return _SPELLING.get(word, word)


def spelling_fixes() -> dict[str, str]:
    """The spelling and slang table (a copy): the widget's offline crisis check uses it too."""
    return dict(_SPELLING)


def normalize(text: str) -> Normalized:
    """Fold a message into the canonical lower-case form the policy patterns expect."""
    if not isinstance(text, str):
        raise TypeError(f"message text must be str, not {type(text).__name__}")
    folded = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    folded = "".join(
        ch if unicodedata.category(ch)[0] != "C" else " " for ch in folded
    )  # control characters become spaces
    folded = folded.translate(_HOMOGLYPHS).lower()
    # Strip accents for matching ("sobredósis" -> "sobredosis"), keep ñ distinct enough.
    folded = "".join(
        ch for ch in unicodedata.normalize("NFD", folded) if unicodedata.category(ch) != "Mn"
    )
    folded = _join_spaced_words(folded)
    folded = _SPACED.sub(_join_spaced, folded)
    folded = _INWORD_BANG.sub("i", folded)
    folded = _LEET_WORD.sub(_decode_leet, folded)
    folded = _MASK.sub("", folded)
    folded = _REPEAT.sub(r"\1", folded)
    folded = _WORD.sub(_respell, folded)
    folded = re.sub(r"\s+", " ", folded).strip()
    return Normalized(original=text, text=folded)
