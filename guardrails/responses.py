"""Guardrail replies: templates from responses.yml filled with the region's resources.

    >>> book = ReplyBook.from_files()
    >>> reply = book.render("crisis_suicide", region="UK", lang="en")
    >>> "116 123" in reply.text
    True

Every rendered reply is passed through the output check before it is returned; a template
that would fail it raises at load time (see ``ReplyBook.verify``), so a bad edit cannot ship.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .output_check import check_output
from .schema import PolicyError, check_keys, expect, load_yaml, string_list
from .verdict import Language

DATA_DIR = Path(__file__).resolve().parent
RESPONSES_FILE = DATA_DIR / "responses.yml"
RESOURCES_FILE = DATA_DIR / "resources.yml"
REGIONS = ("US", "CA", "UK", "IE", "AU")
DEFAULT_REGION = "US"
LANGUAGES: tuple[Language, ...] = ("en", "es")


@dataclass(frozen=True)
class Resource:
    """One phone line or web service, with the page it was checked on."""

    label: str
    source: str
    phone: str | None = None
    sms: str | None = None
    web: str | None = None
    languages: tuple[str, ...] = ()
    note_es: str | None = None

    def line(self, lang: Language) -> str:
        how = []
        if self.phone and self.sms and self.sms == self.phone:
            how.append(("llama o envía un texto al " if lang == "es" else "call or text ") + self.phone)
        else:
            if self.phone:
                how.append(("llama al " if lang == "es" else "call ") + self.phone)
            if self.sms:
                how.append(("texto al " if lang == "es" else "text ") + self.sms)
        if self.web:
            how.append(self.web)
        text = f"- {self.label}: {', '.join(how)}"
        if lang == "es" and self.note_es:
            text += f" ({self.note_es})"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, ())}


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    emergency: Resource
    crisis_lines: tuple[Resource, ...]
    poison: Resource | None
    treatment: tuple[Resource, ...]

    def all_resources(self) -> list[Resource]:
        extra = [self.poison] if self.poison else []
        return [self.emergency, *self.crisis_lines, *extra, *self.treatment]


AUDIENCES = ("person", "worker")  # the person asking for themselves; a worker helping someone else


@dataclass(frozen=True)
class Template:
    key: str
    kind: str
    text: dict[str, str]
    suggest: tuple[str, ...]
    worker: dict[str, str] = field(default_factory=dict)  # the same reply addressed to a worker

    def text_for(self, lang: Language, audience: str = "person") -> str:
        if audience == "worker" and lang in self.worker:
            return self.worker[lang]
        return self.text[lang]


@dataclass(frozen=True)
class Reply:
    """What a channel shows: text, question buttons, and the resources it mentions."""

    kind: str
    text: str
    suggestions: tuple[str, ...] = ()
    resources: tuple[dict[str, Any], ...] = field(default_factory=tuple)


def _resource(where: str, data: Any) -> Resource:
    data = check_keys(where, data, {"label", "source"}, {"phone", "sms", "web", "languages", "note_es"})
    for key in ("label", "source", "phone", "sms", "web", "note_es"):
        if key in data:
            expect(f"{where}.{key}", data[key], str)
    if not any(k in data for k in ("phone", "sms", "web")):
        raise PolicyError(f"{where}: needs at least one of phone, sms, web")
    if not data["source"].startswith("https://"):
        raise PolicyError(f"{where}.source: must be an https URL")
    return Resource(
        label=data["label"],
        source=data["source"],
        phone=data.get("phone"),
        sms=data.get("sms"),
        web=data.get("web"),
        languages=string_list(f"{where}.languages", data.get("languages", [])),
        note_es=data.get("note_es"),
    )


def load_regions(path: Path | None = None) -> dict[str, Region]:
    path = path or RESOURCES_FILE
    raw = check_keys(str(path), load_yaml(path), {"regions"})
    regions_raw = expect(f"{path}.regions", raw["regions"], dict)
    missing = set(REGIONS) - regions_raw.keys()
    if missing:
        raise PolicyError(f"{path}: missing region(s) {', '.join(sorted(missing))}")
    regions = {}
    for code, data in regions_raw.items():
        where = f"{path}.regions.{code}"
        if code not in REGIONS:
            raise PolicyError(f"{where}: unknown region (known: {', '.join(REGIONS)})")
        data = check_keys(where, data, {"name", "emergency", "crisis_lines", "treatment"}, {"poison"})
        regions[code] = Region(
            code=code,
            name=expect(f"{where}.name", data["name"], str),
            emergency=_resource(f"{where}.emergency", data["emergency"]),
            crisis_lines=tuple(
                _resource(f"{where}.crisis_lines[{i}]", r)
                for i, r in enumerate(expect(f"{where}.crisis_lines", data["crisis_lines"], list))
            ),
            poison=_resource(f"{where}.poison", data["poison"]) if "poison" in data else None,
            treatment=tuple(
                _resource(f"{where}.treatment[{i}]", r)
                for i, r in enumerate(expect(f"{where}.treatment", data["treatment"], list))
            ),
        )
        if not regions[code].crisis_lines:
            raise PolicyError(f"{where}.crisis_lines: needs at least one line")
    return regions


def load_templates(path: Path | None = None) -> dict[str, Template]:
    path = path or RESPONSES_FILE
    raw = check_keys(str(path), load_yaml(path), {"templates"})
    templates = {}
    for key, data in expect(f"{path}.templates", raw["templates"], dict).items():
        where = f"{path}.templates.{key}"
        data = check_keys(where, data, {"kind", "en", "es", "suggest"}, {"worker"})
        worker = check_keys(f"{where}.worker", data["worker"], set(LANGUAGES)) if "worker" in data else {}
        templates[key] = Template(
            key=key,
            kind=expect(f"{where}.kind", data["kind"], str),
            text={lang: expect(f"{where}.{lang}", data[lang], str) for lang in LANGUAGES},
            suggest=string_list(f"{where}.suggest", data["suggest"]),
            worker={lang: expect(f"{where}.worker.{lang}", worker[lang], str) for lang in worker},
        )
    return templates


def load_response_keys(path: Path | None = None) -> set[str]:
    return set(load_templates(path))


@dataclass(frozen=True)
class ReplyBook:
    templates: dict[str, Template]
    regions: dict[str, Region]

    @classmethod
    def from_files(cls, responses: Path | None = None, resources: Path | None = None) -> "ReplyBook":
        book = cls(templates=load_templates(responses), regions=load_regions(resources))
        book.verify()
        return book

    def region(self, code: str | None) -> Region:
        code = (code or DEFAULT_REGION).upper()
        return self.regions.get(code, self.regions[DEFAULT_REGION])

    def render(self, key: str, region: str | None = None, lang: Language = "en", audience: str = "person") -> Reply:
        """``audience`` "worker" (the Slack app: someone helping another person) picks the
        template's ``worker`` text where it has one; every other reply is the same for both."""
        template = self.templates[key]
        reg = self.region(region)
        crisis = reg.crisis_lines[0]
        values = {
            "emergency_phone": reg.emergency.phone or "",
            "emergency": reg.emergency.line(lang),
            "crisis_lines": "\n".join(r.line(lang) for r in reg.crisis_lines),
            "crisis_short": f"{crisis.label} {crisis.phone or crisis.web}",
            "poison": reg.poison.line(lang) if reg.poison else "",
            "treatment": "\n".join(r.line(lang) for r in reg.treatment),
            "treatment_short": ", ".join(
                f"{r.label} {r.phone or r.web}" for r in reg.treatment[:1]
            ),
        }
        text = template.text_for(lang, audience).format(**values)
        text = "\n".join(line for line in text.splitlines() if line.strip()).strip()
        mentioned = [
            r
            for r in reg.all_resources()
            if r.label in text or (r is reg.emergency and values["emergency_phone"] in text)
        ]
        return Reply(
            kind=template.kind,
            text=text,
            suggestions=template.suggest,
            resources=tuple(r.as_dict() for r in mentioned),
        )

    def verify(self) -> None:
        """Render every template for every region and language; each must pass the output check."""
        for key in self.templates:
            for code in self.regions:
                for lang in LANGUAGES:
                    for audience in AUDIENCES:
                        reply = self.render(key, code, lang, audience)
                        verdict = check_output(reply.text)
                        if not verdict.allowed:
                            raise PolicyError(
                                f"responses.yml: template {key} ({code}, {lang}, {audience}) fails the "
                                f"output check {verdict.rule}: {verdict.excerpt!r}"
                            )
