import re

import pytest

from guardrails import REGIONS, ReplyBook, check_output
from guardrails.responses import LANGUAGES

NUMBERS = {  # emergency, crisis line, poison line, as people in that country dial them
    "US": {"emergency": "911", "crisis": "988", "poison": "1-800-222-1222"},
    "CA": {"emergency": "911", "crisis": "988", "poison": "1-844-764-7669"},
    "UK": {"emergency": "999", "crisis": "116 123", "poison": None},
    "IE": {"emergency": "112", "crisis": "116 123", "poison": "01 809 2166"},
    "AU": {"emergency": "000", "crisis": "13 11 14", "poison": "13 11 26"},
}
EXPECTED = {"crisis_suicide": ("emergency", "crisis"), "crisis_emergency": ("emergency", "crisis", "poison"),
            "crisis_other": ("emergency", "crisis")}


@pytest.mark.parametrize("audience", ["person", "worker"])
@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_crisis_replies_carry_the_regions_numbers_only(book, region, key, audience):
    text = book.render(key, region, "en", audience).text
    for kind in EXPECTED[key]:
        number = NUMBERS[region][kind]
        if number:
            assert number in text, (region, kind, number)
    own = {n for n in NUMBERS[region].values() if n}
    for other, numbers in NUMBERS.items():
        for number in set(numbers.values()) - own - {None}:
            assert number not in text, (region, other, number)


@pytest.mark.parametrize("region", REGIONS)
def test_redirect_replies_carry_the_regions_help_only(book, region):
    own = book.region(region)
    text = book.render("redirect_dosing", region, "en").text
    assert any(r.label in text for r in own.treatment)
    for other in REGIONS:
        if other == region:
            continue
        for resource in book.region(other).treatment:
            if resource.phone and all(resource.phone != r.phone for r in own.all_resources()):
                assert resource.phone not in text


def test_emergency_reply_says_what_to_do_first(book):
    text = book.render("crisis_emergency", "US", "en").text
    first = text.splitlines()[0]
    assert "911" in first
    assert "naloxone" in text.lower() and "stay with" in text.lower()


def test_spanish_crisis_reply_explains_988_in_spanish(book):
    text = book.render("crisis_suicide", "US", "es").text
    assert "988" in text and "oprima 2" in text


def test_every_template_passes_the_output_check_everywhere(book):
    for key in book.templates:
        for region in REGIONS:
            for lang in LANGUAGES:
                assert check_output(book.render(key, region, lang).text).allowed


def test_unknown_region_falls_back_to_default(book):
    assert book.render("crisis_suicide", "ZZ", "en").text == book.render("crisis_suicide", "US", "en").text


def test_resources_reject_unknown_keys(tmp_path):
    from guardrails.responses import RESOURCES_FILE
    from guardrails.schema import PolicyError

    bad = tmp_path / "resources.yml"
    bad.write_text(RESOURCES_FILE.read_text().replace("    name: Canada", "    name: Canada\n    hotline: 123"))
    with pytest.raises(PolicyError, match="unknown key"):
        ReplyBook.from_files(resources=bad)


def test_every_resource_has_an_https_source(book):
    for region in book.regions.values():
        for resource in region.all_resources():
            assert resource.source.startswith("https://")


WORKER_KEYS = ["crisis_other", "redirect_dosing", "redirect_self_treatment", "redirect_combination",
               "redirect_manufacture", "redirect_sourcing", "redirect_general"]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("key", WORKER_KEYS)
def test_replies_to_a_worker_speak_about_the_person_they_help(book, key, lang):
    """Slack's users help someone else: "Wanting to get off opioids is a big, brave step" is
    written to the person themselves, and a worker must not get it."""
    person = book.render(key, "US", lang).text
    worker = book.render(key, "US", lang, "worker").text
    assert worker != person
    helped = {"en": ("the person you", "for them", "their "), "es": ("la persona a la que", "su ", "sus ")}[lang]
    assert any(phrase in worker for phrase in helped), worker
    assert "Wanting to get off opioids" not in worker and "big, brave step" not in worker
    # The same help is offered: every resource the person's reply names, the worker's names too.
    assert book.render(key, "US", lang, "worker").resources == book.render(key, "US", lang).resources


def test_replies_without_a_worker_text_are_the_same_for_both(book):
    for key, template in book.templates.items():
        if not template.worker:
            assert book.render(key, "UK", "en", "worker").text == book.render(key, "UK", "en").text, key


def test_a_worker_text_must_cover_both_languages(tmp_path):
    from guardrails.responses import RESPONSES_FILE, load_templates
    from guardrails.schema import PolicyError

    raw = RESPONSES_FILE.read_text(encoding="utf-8")
    broken = raw.replace("    worker:\n      en: |\n", "    worker:\n      fr: |\n", 1)
    assert broken != raw
    path = tmp_path / "responses.yml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(PolicyError, match="worker"):
        load_templates(path)
