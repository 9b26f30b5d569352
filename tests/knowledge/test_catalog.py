"""The guidance catalog: every check id has complete FR/EN guidance, and the loader is strict."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rempart.engine.catalog import CATALOG
from rempart.knowledge.loader import (
    EFFORT_LABELS,
    EFFORT_VALUES,
    LANGUAGES,
    TEXT_FIELDS,
    WHO_LABELS,
    WHO_VALUES,
    Guidance,
    GuidanceText,
    KnowledgeError,
    _load_directory,
    guidance_for,
    load_guidance,
)

CHECK_IDS = sorted(CATALOG)
MIN_LENGTH = {"title": 10, "why": 60, "what_to_do": 60}
# French typography of the files: a no-break space before « : ; ? ! » and inside « ».
# A plain space there lets a browser put the colon or the quote alone at the start of a line.
PLAIN_SPACE_BEFORE_PUNCTUATION = re.compile(r" [:;?!](?=\s|$)| »|« ")


def _guidance(check_id: str) -> Guidance:
    guidance = load_guidance().get(check_id)
    assert guidance is not None, f"{check_id} has no guidance in src/rempart/knowledge/checks/"
    return guidance


# The shipped catalog


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_every_check_has_every_text_in_both_languages(check_id: str) -> None:
    guidance = _guidance(check_id)
    assert guidance.check_id == check_id
    assert set(guidance.texts) == set(LANGUAGES)
    for lang in LANGUAGES:
        for name in TEXT_FIELDS:
            assert getattr(guidance.texts[lang], name).strip(), f"{check_id}.{lang}.{name}"


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_every_check_says_who_can_act_and_how_long_it_takes(check_id: str) -> None:
    guidance = _guidance(check_id)
    assert guidance.who in WHO_VALUES
    assert guidance.effort in EFFORT_VALUES


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_no_text_is_suspiciously_short(check_id: str) -> None:
    for lang, text in _guidance(check_id).texts.items():
        for name, minimum in MIN_LENGTH.items():
            value = getattr(text, name)
            assert len(value) >= minimum, f"{check_id}.{lang}.{name} is too short: {value!r}"


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_english_is_a_translation_not_a_copy_of_french(check_id: str) -> None:
    texts = _guidance(check_id).texts
    for name in TEXT_FIELDS:
        assert getattr(texts["fr"], name) != getattr(texts["en"], name), f"{check_id}: {name}"


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_french_texts_use_no_break_spaces_consistently(check_id: str) -> None:
    for name in TEXT_FIELDS:
        value = getattr(_guidance(check_id).texts["fr"], name)
        found = PLAIN_SPACE_BEFORE_PUNCTUATION.search(value)
        assert found is None, (
            f"{check_id}.fr.{name}: plain space in {value[max(0, found.start() - 20) :]!r}"
        )


def test_the_files_define_no_id_outside_the_catalog() -> None:
    assert sorted(set(load_guidance()) - set(CATALOG)) == []


def test_smbv1_guidance_names_wannacry_in_both_languages() -> None:
    for text in _guidance("net.smb.v1").texts.values():
        assert "WannaCry" in text.why


def test_labels_cover_every_who_and_effort_value_in_both_languages() -> None:
    for labels, values in ((WHO_LABELS, WHO_VALUES), (EFFORT_LABELS, EFFORT_VALUES)):
        assert set(labels) == set(LANGUAGES)
        for lang in LANGUAGES:
            assert set(labels[lang]) == set(values)
        assert all(labels["fr"][value] != labels["en"][value] for value in values)


def test_an_unknown_rule_id_has_no_guidance_rather_than_an_error() -> None:
    assert guidance_for("zap.10038") is None
    assert guidance_for("mail.dmarc.missing") is _guidance("mail.dmarc.missing")


# Language fallback


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "fr"),
        ("en", "en"),
        ("EN", "en"),
        ("en-US", "en"),
        ("en_GB", "en"),
        ("fr-fr", "fr"),
        ("de", "fr"),  # no German texts: French, the platform's first language
        ("", "fr"),
    ],
)
def test_text_falls_back_to_french_for_an_unknown_language(lang: str, expected: str) -> None:
    guidance = _guidance("dns.caa")
    assert guidance.text(lang) is guidance.texts[expected]


# The loader's error paths, on files written to a temporary directory

VALID = """
["dns.caa"]
who = "it_provider"
effort = "minutes"

["dns.caa".fr]
title = "  Titre en français  "
why = "Pourquoi."
what_to_do = \"\"\"
1. Première étape.
2. Deuxième étape.\"\"\"

["dns.caa".en]
title = "English title"
why = "Why."
what_to_do = "Steps."
"""


def _write(directory: Path, text: str, name: str = "dns.toml") -> Path:
    (directory / name).write_text(text, encoding="utf-8")
    return directory


def test_a_valid_file_loads_into_typed_stripped_guidance(tmp_path: Path) -> None:
    loaded = _load_directory(_write(tmp_path, VALID))
    assert list(loaded) == ["dns.caa"]
    guidance = loaded["dns.caa"]
    assert (guidance.who, guidance.effort) == ("it_provider", "minutes")
    assert guidance.texts["fr"] == GuidanceText(
        title="Titre en français",
        why="Pourquoi.",
        what_to_do="1. Première étape.\n2. Deuxième étape.",
    )
    assert guidance.text("en-US").title == "English title"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('who = "it_provider"\n', "", """dns.toml ["dns.caa"]: missing field 'who'"""),
        ('"it_provider"', '"boss"', """dns.toml ["dns.caa"]: who = 'boss' is not one of"""),
        ('"minutes"', '"years"', """dns.toml ["dns.caa"]: effort = 'years' is not one of"""),
        ('why = "Why."\n', "", """dns.toml ["dns.caa"].en: missing field 'why'"""),
        ('"English title"', "42", """["dns.caa"].en: title must be a string, found int"""),
        ('why = "Pourquoi."', 'why = "   "', """["dns.caa"].fr: why is empty"""),
        ('why = "Why."', 'wyh = "Why."', """["dns.caa"].en: unknown field(s) wyh"""),
        ('effort = "minutes"', 'effort = "minutes"\nowner = "x"', "unknown field(s) owner"),
        ('["dns.caa".en]', '["dns.caa".de]', """["dns.caa"]: unknown field(s) de"""),
        ('title = "  Titre', "title = Titre", "dns.toml: not valid TOML"),
    ],
)
def test_a_broken_entry_names_the_file_and_the_id(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert old in VALID
    with pytest.raises(KnowledgeError, match=re.escape(message)):
        _load_directory(_write(tmp_path, VALID.replace(old, new, 1)))


def test_a_missing_language_table_is_an_error(tmp_path: Path) -> None:
    english = VALID.index('["dns.caa".en]')
    with pytest.raises(KnowledgeError, match=re.escape('["dns.caa"].en: missing table')):
        _load_directory(_write(tmp_path, VALID[:english]))


def test_an_entry_that_is_not_a_table_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match=re.escape('["dns.caa"]: expected a table, found str')):
        _load_directory(_write(tmp_path, '"dns.caa" = "see the website"\n'))


def test_an_id_in_the_wrong_family_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="does not belong to the 'mail' family"):
        _load_directory(_write(tmp_path, VALID, name="mail.toml"))


def test_an_id_defined_in_two_files_is_an_error(tmp_path: Path) -> None:
    twice = VALID.replace("dns.caa", "dns.caa.strict")
    _write(tmp_path, twice, name="dns.caa.toml")
    with pytest.raises(KnowledgeError, match="defined in two files"):
        _load_directory(_write(tmp_path, twice))


def test_a_directory_without_toml_files_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("nothing here", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="no guidance file"):
        _load_directory(tmp_path)
