"""Spanish companions (entries/es/<id>.md): loading, validation, readability, and the index."""

import pytest

from knowledge.embedder import HashEmbedder
from knowledge.entry import EntryError, content_hash, load_entries
from knowledge.index import build_index, index_hash, load_index, save_index
from knowledge.retriever import KnowledgeBase
from knowledge.spanish import MIN_INFLESZ, inflesz, spanish_dose_like, syllables_es, url_looks_spanish
from knowledge.validate import validate

from .kbfiles import REAL_SOURCES, SPANISH_ANSWER, TODAY, companion_text, source_yaml, write_companion, write_kb


def problems(entries) -> list[str]:
    _, found = validate(entries, today=TODAY, sources_file=REAL_SOURCES)
    return [str(p) for p in found]


def kb_with(tmp_path, text, name="naltrexone"):
    entries = write_kb(tmp_path)
    write_companion(entries, text, name)
    return entries


# -- loading ---------------------------------------------------------------------------------
def test_a_companion_is_loaded_into_its_entry(tmp_path):
    entries = kb_with(tmp_path, companion_text())
    loaded = {e.id: e for e in load_entries(entries)}
    es = loaded["naltrexone"].es
    assert es is not None and loaded["naloxone"].es is None
    assert es.question == "¿Qué es la naltrexona?"
    assert es.phrasings == ("para qué sirve la naltrexona", "inyección de naltrexona", "que es naltrexona")
    assert es.answer == SPANISH_ANSWER.strip()
    assert [s.url for s in es.sources] == ["https://medlineplus.gov/spanish/druginfo/meds/a685041-es.html"]
    assert es.sources[0].language == "es"
    assert loaded["naltrexone"].shown_sources(lang="es") == es.sources
    assert loaded["naltrexone"].shown_sources() == loaded["naltrexone"].sources[:3]


def test_an_empty_body_means_no_spanish_answer_and_no_sources_means_the_english_ones(tmp_path):
    entries = kb_with(tmp_path, companion_text(answer="", sources=None))
    entry = {e.id: e for e in load_entries(entries)}["naltrexone"]
    assert entry.es.answer is None
    assert entry.es.sources == ()
    assert entry.shown_sources(lang="es") == entry.sources[:3]
    assert problems(entries) == []


def test_a_good_companion_passes(tmp_path):
    assert problems(kb_with(tmp_path, companion_text())) == []


def test_load_entries_refuses_a_companion_without_an_english_entry(tmp_path):
    entries = kb_with(tmp_path, companion_text("no-such-entry"), name="no-such-entry")
    with pytest.raises(EntryError, match="must be the id of an English entry"):
        load_entries(entries)


# -- validation ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, name, expected",
    [
        ({"entry_id": "no-such-entry"}, "no-such-entry", "es/no-such-entry.md: id: 'no-such-entry' is not the id of an English entry"),
        ({"entry_id": "naloxone"}, "naltrexone", "es/naltrexone.md: id: 'naloxone' must match the file name"),
        ({"phrasings": ("naltrexona", "inyección de naltrexona")}, "naltrexone", "needs at least 3 Spanish ways of asking, has 2"),
        ({"extra": "tags: [x]\n"}, "naltrexone", "es/naltrexone.md: file: unknown field(s) tags"),
        ({"reviewed_by": "Dra. Ana García"}, "naltrexone", "es/naltrexone.md: reviewed_by: name a role"),
    ],
)
def test_each_companion_problem_is_named(tmp_path, kwargs, name, expected):
    found = problems(kb_with(tmp_path, companion_text(**kwargs), name=name))
    assert any(expected in p for p in found), found


def test_a_missing_field_is_named(tmp_path):
    text = companion_text().replace('question: "¿Qué es la naltrexona?"\n', "")
    found = problems(kb_with(tmp_path, text))
    assert any("es/naltrexone.md: file: missing field(s) question" in p for p in found), found


def test_sources_without_a_spanish_answer_are_refused(tmp_path):
    found = problems(kb_with(tmp_path, companion_text(answer="")))
    assert any("es/naltrexone.md: sources: listed, but there is no Spanish answer" in p for p in found), found


@pytest.mark.parametrize(
    "dose",
    [
        "La mayoría toma dos gramos.",
        "Tome 3 cápsulas.",
        "Úsela dos veces al día.",
        "Tómela cada 6 horas.",
        "Empiece con 10 mg.",
        "Reduzca la cantidad un 10 % cada semana.",
    ],
)
def test_spanish_dose_like_text_is_refused(tmp_path, dose):
    found = problems(kb_with(tmp_path, companion_text(answer=SPANISH_ANSWER + "\n" + dose + "\n")))
    assert any("es/naltrexone.md: answer: dose-like text" in p for p in found), found


def test_spanish_statistics_phone_numbers_and_years_pass():
    assert spanish_dose_like("En 2019, 91 de 152 muertes tuvieron otras drogas. Llame al 1-800-662-4357.") is None
    assert spanish_dose_like("No hay una dosis segura y 1 sobre 10 personas lo nota.") is None


def test_a_too_long_spanish_answer_is_refused(tmp_path):
    long = " ".join(["Pida ayuda a su médico si la necesita."] * 30)
    found = problems(kb_with(tmp_path, companion_text(answer=long)))
    assert any("es/naltrexone.md: answer: 240 words" in p for p in found), found


HARD = (
    "La farmacodinámica de la mitraginina, caracterizada por agonismo parcial en receptores opioides mu "
    "junto con interacciones adrenérgicas y serotoninérgicas, requiere una evaluación clínica individualizada, "
    "considerando particularmente la hepatotoxicidad y las manifestaciones neurológicas documentadas."
)


def test_a_hard_to_read_spanish_answer_is_refused(tmp_path):
    found = problems(kb_with(tmp_path, companion_text(answer=HARD)))
    assert any("es/naltrexone.md: answer: INFLESZ" in p for p in found), found


def test_a_spanish_source_with_an_english_looking_url_must_be_marked(tmp_path):
    english = source_yaml("NIH", "Kratom", "https://nida.nih.gov/research-topics/kratom")
    found = problems(kb_with(tmp_path / "a", companion_text(sources=english)))
    assert any(
        "es/naltrexone.md: sources[0].lang:" in p and "looks like an English page for a Spanish answer" in p
        for p in found
    ), found
    marked = source_yaml("NIH", "Kratom", "https://nida.nih.gov/research-topics/kratom", lang="es")
    assert problems(kb_with(tmp_path / "b", companion_text(sources=marked))) == []


def test_companion_sources_follow_the_english_source_rules(tmp_path):
    bad = source_yaml("Vendor", "Kratom", "https://kratom-vendor.example/es/kratom")
    twice = SPANISH_SOURCE_TWICE
    found = problems(kb_with(tmp_path / "a", companion_text(sources=bad)))
    assert any("es/naltrexone.md: sources[0].url:" in p and "not on an allowed domain" in p for p in found), found
    found = problems(kb_with(tmp_path / "b", companion_text(sources=twice)))
    assert any("es/naltrexone.md: sources[1].url:" in p and "listed twice" in p for p in found), found


SPANISH_SOURCE_TWICE = source_yaml("MedlinePlus", "Naltrexona", "https://medlineplus.gov/spanish/druginfo/meds/a685041-es.html") * 2


# -- readability -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "word, n",
    [("medicamento", 5), ("buprenorfina", 5), ("ayuda", 3), ("día", 2), ("país", 2), ("tienes", 2), ("hoy", 1),
     ("y", 1), ("cuidado", 3), ("guía", 2), ("aquí", 2), ("poeta", 3), ("leer", 2), ("ciudad", 2), ("Uruguay", 3)],
)
def test_spanish_syllables(word, n):
    assert syllables_es(word) == n


def test_plain_spanish_health_text_passes_and_dense_text_does_not():
    plain = "Llame al médico si se siente mal. La ayuda es gratis. No está solo. Hay tratamiento que funciona."
    assert inflesz(plain) >= 65
    assert inflesz(SPANISH_ANSWER) >= MIN_INFLESZ
    assert inflesz(HARD) < MIN_INFLESZ


@pytest.mark.parametrize(
    "url, spanish",
    [
        ("https://nida.nih.gov/es/publicaciones/drugfacts/kratom", True),
        ("https://medlineplus.gov/spanish/ency/article/000949.htm", True),
        ("https://www.samhsa.gov/espanol", True),
        ("https://www.cdc.gov/es-us/overdose", True),
        ("https://nida.nih.gov/publications/drugfacts/kratom", False),
        ("https://www.fda.gov/es", True),
        ("https://www.fda.gov/esophagus/es.html", False),
    ],
)
def test_spanish_urls(url, spanish):
    assert url_looks_spanish(url) is spanish


# -- the index -------------------------------------------------------------------------------
def test_the_index_has_rows_for_the_spanish_question_and_phrasings(tmp_path):
    entries = kb_with(tmp_path, companion_text())
    loaded = load_entries(entries)
    index = build_index(loaded, HashEmbedder(), hash_="h")
    es_rows = [(e, t) for e, t, lang in zip(index.meta.row_entry, index.meta.row_text, index.meta.row_lang) if lang == "es"]
    assert es_rows == [
        ("naltrexone", "¿Qué es la naltrexona?"),
        ("naltrexone", "para qué sirve la naltrexona"),
        ("naltrexone", "inyección de naltrexona"),
        ("naltrexone", "que es naltrexona"),
    ]
    english = sum(1 + len(e.phrasings) for e in loaded)
    assert index.vectors.shape[0] == english + 4
    save_index(index, tmp_path / "index")
    assert load_index(tmp_path / "index").meta.row_lang == index.meta.row_lang


def test_a_spanish_phrasing_finds_its_entry(tmp_path):
    entries = kb_with(tmp_path, companion_text())
    embedder = HashEmbedder()
    save_index(build_index(load_entries(entries), embedder, hash_=index_hash(entries, embedder.name)), tmp_path / "ix")
    kb = KnowledgeBase.load(entries_dir=entries, index_dir=tmp_path / "ix", embedder=embedder)
    best = kb.search("inyección de naltrexona", k=1)[0]
    assert (best.entry_id, best.matched) == ("naltrexone", "inyección de naltrexona")


def test_the_content_hash_covers_the_spanish_files(tmp_path):
    entries = write_kb(tmp_path)
    without = content_hash(entries)
    path = write_companion(entries, companion_text())
    with_es = content_hash(entries)
    path.write_text(companion_text(answer=""), encoding="utf-8")
    edited = content_hash(entries)
    assert len({without, with_es, edited}) == 3


def test_a_stale_index_after_a_spanish_edit_is_refused(tmp_path):
    entries = kb_with(tmp_path, companion_text())
    embedder = HashEmbedder()
    save_index(build_index(load_entries(entries), embedder, hash_=index_hash(entries, embedder.name)), tmp_path / "ix")
    KnowledgeBase.load(entries_dir=entries, index_dir=tmp_path / "ix", embedder=embedder)  # up to date: loads
    write_companion(entries, companion_text(phrasings=("naltrexona", "inyección de naltrexona", "vivitrol")))
    with pytest.raises(RuntimeError, match="out of date"):
        KnowledgeBase.load(entries_dir=entries, index_dir=tmp_path / "ix", embedder=embedder)
