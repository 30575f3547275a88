"""Recognise greetings, thanks, goodbyes and "what can you do" when they are the whole message.

    >>> talk = Smalltalk.from_file()
    >>> talk.match("Hey there!").intent
    'greet'
    >>> talk.match("hi, how much kratom should I take") is None
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .normalize import normalize
from .responses import DATA_DIR
from .schema import PolicyError, check_keys, expect, load_yaml, string_list
from .verdict import Language

SMALLTALK_FILE = DATA_DIR / "smalltalk.yml"
_NOISE = re.compile(r"[^\w' ]+")
_SPLIT = re.compile(r"[^\w\s']+|\s+(?:and|y)\s+")
_LEADING_FILLER = re.compile(r"^(?:ok|okay|cool|great|alright|well|oh|so|yeah|yes) ")
_FILLER = re.compile(r"(ok|okay|ok so|cool|great|awesome|nice|alright|perfect|oh|so|well|wow|really|got it|i see|yes|yeah|sure|bueno|vale)( (cool|great|then|so much))?")


@dataclass(frozen=True)
class SmalltalkIntent:
    intent: str
    patterns: tuple[re.Pattern[str], ...]
    reply: dict[str, str]
    suggest: tuple[str, ...]


@dataclass(frozen=True)
class SmalltalkMatch:
    intent: str
    text: str
    suggestions: tuple[str, ...]


@dataclass(frozen=True)
class Smalltalk:
    intents: tuple[SmalltalkIntent, ...]
    vocabulary: dict[str, str] = field(default_factory=dict)  # word -> intent name or "filler"
    max_vocabulary_words: int = 6

    @classmethod
    def from_file(cls, path: Path | None = None) -> "Smalltalk":
        path = path or SMALLTALK_FILE
        raw = check_keys(str(path), load_yaml(path), {"intents"}, {"vocabulary"})
        intents = []
        for name, data in expect(f"{path}.intents", raw["intents"], dict).items():
            where = f"{path}.intents.{name}"
            data = check_keys(where, data, {"patterns", "en", "es"}, {"suggest"})
            intents.append(
                SmalltalkIntent(
                    intent=name,
                    patterns=tuple(
                        re.compile(rf"(?:{p})") for p in string_list(f"{where}.patterns", data["patterns"])
                    ),
                    reply={"en": expect(f"{where}.en", data["en"], str), "es": expect(f"{where}.es", data["es"], str)},
                    suggest=string_list(f"{where}.suggest", data.get("suggest", [])),
                )
            )
        names = {i.intent for i in intents} | {"filler"}
        vocabulary: dict[str, str] = {}
        for name, words in expect(f"{path}.vocabulary", raw.get("vocabulary", {}), dict).items():
            if name not in names:
                raise PolicyError(f"{path}.vocabulary: {name!r} is not an intent or 'filler'")
            for word in string_list(f"{path}.vocabulary.{name}", words):
                vocabulary[word] = name
        return cls(intents=tuple(intents), vocabulary=vocabulary)

    def _intent_of(self, fragment: str) -> SmalltalkIntent | None:
        for intent in self.intents:
            if any(p.fullmatch(fragment) for p in intent.patterns):
                return intent
        return None

    def _by_vocabulary(self, folded: str, lang: Language) -> SmalltalkMatch | None:
        words = re.findall(r"[\w']+|[\U0001F300-\U0001FAFF]", folded)
        if not words or len(words) > self.max_vocabulary_words or any(w not in self.vocabulary for w in words):
            return None
        name = next((self.vocabulary[w] for w in words if self.vocabulary[w] != "filler"), None)
        intent = next((i for i in self.intents if i.intent == name), None)
        if intent is None:
            return None
        return SmalltalkMatch(intent=intent.intent, text=intent.reply[lang], suggestions=intent.suggest)

    def match(self, text: str, lang: Language = "en") -> SmalltalkMatch | None:
        """Match when every part of the message ("thanks, take care") is small talk."""
        folded = normalize(text).text
        found: SmalltalkIntent | None = None
        for fragment in _SPLIT.split(folded):
            fragment = re.sub(r"\s+", " ", _NOISE.sub(" ", fragment)).strip()
            if not fragment or _FILLER.fullmatch(fragment):
                continue
            fragment = _LEADING_FILLER.sub("", fragment)
            intent = self._intent_of(fragment)
            if intent is None:
                return self._by_vocabulary(folded, lang)
            found = found or intent
        if found is None:
            return self._by_vocabulary(folded, lang)
        return SmalltalkMatch(intent=found.intent, text=found.reply[lang], suggestions=found.suggest)

    def intent(self, name: str) -> SmalltalkIntent:
        for intent in self.intents:
            if intent.intent == name:
                return intent
        raise KeyError(name)

    def guess(self, text: str) -> str:
        """The intent for a message the judge calls small talk but no pattern matched:
        the first word that names an intent ("thx a ton, you helped" -> thanks), else a greeting."""
        folded = normalize(text).text
        if any(p.search(folded) for p in self.intent("about").patterns):
            return "about"
        for word in re.findall(r"[\w']+", folded):
            name = self.vocabulary.get(word)
            if name not in (None, "filler"):
                return name
        return "greet"
