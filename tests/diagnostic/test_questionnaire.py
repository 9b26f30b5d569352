"""The questionnaire loader: what it adds, what it refuses, versions and migrations."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from rempart.diagnostic.model import DONT_KNOW, NOT_APPLICABLE
from rempart.knowledge import questionnaire as loader
from rempart.knowledge.loader import KnowledgeError
from rempart.knowledge.questionnaire import (
    available_versions,
    load_questionnaire,
    load_questionnaire_from,
    migrate_answers,
)
from tests.diagnostic.support import BEST, EXAMPLE, example


def copy_example(tmp_path: Path, name: str = "q") -> Path:
    target = tmp_path / name
    shutil.copytree(EXAMPLE, target)
    return target


def edit(folder: Path, file: str, old: str, new: str) -> None:
    path = folder / file
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), "utf-8")


def drop_question(folder: Path, question_id: str) -> None:
    path = folder / "questionnaire.toml"
    blocks = path.read_text("utf-8").split("[[questions]]")
    kept = [block for block in blocks if f'id = "{question_id}"' not in block]
    assert len(kept) == len(blocks) - 1
    path.write_text("[[questions]]".join(kept), "utf-8")


# What the loader adds


def test_every_scored_question_offers_i_dont_know_and_only_some_not_applicable() -> None:
    for question in example().questions:
        ids = [choice.id for choice in question.choices]
        if question.kind == "context":
            assert DONT_KNOW not in ids and question.weight == 0 and question.action is None
            continue
        assert DONT_KNOW in ids
        assert (NOT_APPLICABLE in ids) == (question.id == "web.hosting_updates")
        for extra in (DONT_KNOW, NOT_APPLICABLE):
            choice = question.choice(extra)
            assert choice is None or choice.value is None


def test_the_added_choices_speak_both_languages() -> None:
    question = example().question("web.hosting_updates")
    assert question is not None
    labels = {c.id: (c.label.fr, c.label.en) for c in question.choices}
    assert labels[DONT_KNOW] == ("Je ne sais pas", "I don't know")
    assert labels[NOT_APPLICABLE] == ("Ne nous concerne pas", "Does not apply to us")


def test_inline_tables_and_sub_tables_mean_the_same() -> None:
    question = example().question("backup.offline")  # its action uses sub-tables
    assert question is not None and question.action is not None
    assert question.action.what_to_do.en == "1. Buy two disks.\n2. Unplug one every week."
    assert question.text.fr.endswith("\u00a0?")


def test_the_example_loads_everything() -> None:
    q = example()
    assert (q.version, q.published) == ("2026.1", "2026-11-29")
    assert [t.id for t in q.themes][:2] == ["context", "backup"]
    assert len(q.measures) == 10 and len(q.red_flags) == 4 and len(q.contradictions) == 2
    flag = next(flag for flag in q.red_flags if flag.id == "rdp-open")
    assert flag.evidence is not None and flag.evidence.checks == ("net.exposed.rdp",)
    assert dict(flag.answers) == {"network.remote_exposed": frozenset({"yes"})}


# What the loader refuses (each message names the file and the id)

BROKEN = [
    # (file, old, new, expected words in the message)
    (
        "questionnaire.toml",
        'weight = 3\nmeasures = ["fr-hygiene.37", "nis2',
        'wieght = 3\nmeasures = ["fr-hygiene.37", "nis2',
        'question "backup.exists": unknown field(s) wieght',
    ),
    (
        "questionnaire.toml",
        'en = { text = "Do you back up your data?"',
        '# en = { text = "Do you back up your data?"',
        'question "backup.exists": missing en texts',
    ),
    (
        "questionnaire.toml",
        'why = "Sans sauvegarde, un incident efface tout."',
        'why = "  "',
        'question "backup.exists".fr: why is empty',
    ),
    (
        "questionnaire.toml",
        '{ id = "partly", value = 1, fr = "Une partie"',
        '{ id = "partly", value = 4, fr = "Une partie"',
        'choice "partly": value must be an integer 0–3',
    ),
    (
        "questionnaire.toml",
        'weight = 3\nmeasures = ["fr-hygiene.37", "nis2',
        'weight = 5\nmeasures = ["fr-hygiene.37", "nis2',
        'question "backup.exists": weight must be a number 0.5–3',
    ),
    (
        "questionnaire.toml",
        'id = "backup.offline"',
        'id = "backup.exists"',
        'question "backup.exists": duplicate id',
    ),
    (
        "questionnaire.toml",
        'theme = "backup"\nkind = "scored"',
        'theme = "backups"\nkind = "scored"',
        'question "backup.exists": theme "backups" is not defined',
    ),
    (
        "questionnaire.toml",
        'skip_if = { "ctx.servers" = ["none"] }',
        'skip_if = { "backup.exists" = ["no"] }',
        'question "updates.servers": skip_if names "backup.exists", not a context question',
    ),
    (
        "questionnaire.toml",
        'skip_if = { "ctx.servers" = ["none"] }',
        'skip_if = { "ctx.servers" = ["nothing"] }',
        '"ctx.servers" has no choice "nothing"',
    ),
    (
        "questionnaire.toml",
        'measures = ["fr-hygiene.09"]',
        'measures = ["fr-hygiene.99"]',
        'question "accounts.password_manager": measure "fr-hygiene.99" is not in measures.toml',
    ),
    (
        "questionnaire.toml",
        'kind = "context"\nfr = { text = "Avez-vous des serveurs',
        'kind = "context"\nweight = 1\nfr = { text = "Avez-vous des serveurs',
        'question "ctx.servers": a context question has no weight',
    ),
    (
        "questionnaire.toml",
        '{ id = "none", fr = "Aucun"',
        '{ id = "none", value = 0, fr = "Aucun"',
        'question "ctx.servers" choice "none": a context question\'s choices have no value',
    ),
    (
        "questionnaire.toml",
        '{ id = "vpn", value = 2',
        '{ id = "na", value = 2',
        'question "network.remote_exposed" choice "na": reserved id',
    ),
    (
        "questionnaire.toml",
        'who = "it_provider"\neffort = "days"',
        'who = "intern"\neffort = "days"',
        "question \"backup.exists\" action: who = 'intern'",
    ),
    ("questionnaire.toml", 'cost = "medium"', 'cost = "cheap"', "cost = 'cheap' is not one of"),
    (
        "questionnaire.toml",
        'version = "2026.1"',
        'version = "v1"',
        'version = "v1" is not of the form',
    ),
    (
        "measures.toml",
        'id = "uk-ce.1"\nframework = "uk-ce"',
        'id = "uk-ce.1"\nframework = "nis2-21"',
        'measure "uk-ce.1": the id does not start with nis2-21.',
    ),
    ("measures.toml", 'id = "uk-ce.2"', 'id = "uk-ce.1"', 'measure "uk-ce.1": duplicate id'),
    (
        "rules.toml",
        'answers = { "backup.offline" = ["no"] }',
        'answers = { "backup.offsite" = ["no"] }',
        'red flag "no-offline-backup": answers name "backup.offsite"',
    ),
    (
        "rules.toml",
        'answers = { "backup.offline" = ["no"] }',
        'answers = { "backup.offline" = ["never"] }',
        '"backup.offline" has no choice "never"',
    ),
    (
        "rules.toml",
        'theme = "backup"\ncap_theme = 1.0',
        'theme = "bakery"\ncap_theme = 1.0',
        'red flag "no-offline-backup": theme "bakery" is not defined',
    ),
    (
        "rules.toml",
        "cap_theme = 1.0\ncap_overall = 2.0",
        "cap_theme = 6\ncap_overall = 2.0",
        'red flag "no-offline-backup": cap_theme must be a number 0–5',
    ),
    (
        "rules.toml",
        'id = "everyone-admin"',
        'id = "no-offline-backup"',
        'red flag "no-offline-backup": duplicate id',
    ),
    (
        "rules.toml",
        'question = "updates.servers"',
        'question = "updates.laptops"',
        'contradiction "servers-vs-kev": question "updates.laptops" is not a scored question',
    ),
    (
        "rules.toml",
        'claims = ["no", "vpn"]',
        'claims = ["no", "maybe"]',
        'contradiction "remote-vs-rdp" claims: "network.remote_exposed" has no choice "maybe"',
    ),
    (
        "rules.toml",
        "trusted_value = 1",
        "trusted_value = 3",
        'contradiction "servers-vs-kev": claim "yes" is not worth more than 3',
    ),
    (
        "rules.toml",
        'evidence = { checks = ["net.exposed.rdp"] }\ntrusted_value = 0',
        'evidence = { checks = ["net exposed"] }\ntrusted_value = 0',
        '"net exposed" is not a check id',
    ),
    (
        "rules.toml",
        "evidence = { known_exploited = true }\nfr = { title",
        "evidence = { known_exploited = false }\nfr = { title",
        "matches nothing",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "message"), BROKEN, ids=[b[3][:40] for b in BROKEN])
def test_a_defect_is_refused_naming_the_file_and_the_id(
    tmp_path: Path, file: str, old: str, new: str, message: str
) -> None:
    folder = copy_example(tmp_path)
    edit(folder, file, old, new)
    with pytest.raises(KnowledgeError) as raised:
        load_questionnaire_from(folder)
    assert str(raised.value).startswith(file), raised.value
    assert message in str(raised.value)


def test_a_scored_question_without_action_is_refused(tmp_path: Path) -> None:
    folder = copy_example(tmp_path)
    path = folder / "questionnaire.toml"
    blocks = path.read_text("utf-8").split("[[questions]]")
    blocks = [
        block.split("[questions.action]")[0] if 'id = "updates.workstations"' in block else block
        for block in blocks
    ]
    path.write_text("[[questions]]".join(blocks), "utf-8")
    with pytest.raises(KnowledgeError, match='"updates.workstations" action: missing'):
        load_questionnaire_from(folder)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    folder = copy_example(tmp_path)
    (folder / "rules.toml").unlink()
    with pytest.raises(KnowledgeError, match=r"^rules.toml: missing"):
        load_questionnaire_from(folder)


def test_invalid_toml_is_refused(tmp_path: Path) -> None:
    folder = copy_example(tmp_path)
    edit(folder, "measures.toml", "[[measures]]", "[[measures]")
    with pytest.raises(KnowledgeError, match=r"^measures.toml: not valid TOML"):
        load_questionnaire_from(folder)


# Versions and migrations


@pytest.fixture
def version_2(tmp_path: Path) -> Path:
    """2026.2: backup.offline renamed backup.out_of_reach, web.hosting_updates dropped."""
    folder = copy_example(tmp_path, "v2")
    edit(folder, "questionnaire.toml", 'version = "2026.1"', 'version = "2026.2"')
    edit(folder, "questionnaire.toml", 'id = "backup.offline"', 'id = "backup.out_of_reach"')
    edit(folder, "rules.toml", '"backup.offline" = ["no"]', '"backup.out_of_reach" = ["no"]')
    drop_question(folder, "web.hosting_updates")
    with (folder / "questionnaire.toml").open("a", encoding="utf-8") as file:
        file.write(
            '\n[migrations."2026.1"]\n"backup.offline" = "backup.out_of_reach"\n'
            '"web.hosting_updates" = ""\n'
        )
    return folder


def test_migration_keeps_renamed_answers_and_reports_dropped_ones(version_2: Path) -> None:
    new = load_questionnaire_from(version_2)
    kept, dropped = migrate_answers(new, "2026.1", {**BEST, "web.hosting_updates": "na"})
    assert kept["backup.out_of_reach"] == "yes" and "backup.offline" not in kept
    assert dropped == {"web.hosting_updates": "na"}
    assert len(kept) + len(dropped) == len(BEST)
    assert kept["backup.exists"] == "yes"  # unchanged ids carry over as they are


def test_migration_drops_a_choice_that_no_longer_exists(version_2: Path) -> None:
    new = load_questionnaire_from(version_2)
    kept, dropped = migrate_answers(
        new, "2026.1", {"backup.exists": "sometimes", "web.https": "no"}
    )
    assert (kept, dropped) == ({"web.https": "no"}, {"backup.exists": "sometimes"})


def test_answers_of_the_same_version_are_kept_as_they_are() -> None:
    kept, dropped = migrate_answers(example(), "2026.1", BEST)
    assert (kept, dropped) == (BEST, {})


def test_a_migration_to_an_unknown_question_is_refused(version_2: Path) -> None:
    edit(version_2, "questionnaire.toml", '= "backup.out_of_reach"\n"web', '= "backup.gone"\n"web')
    with pytest.raises(KnowledgeError, match='"backup.gone" is not a question of 2026.2'):
        load_questionnaire_from(version_2)


def test_a_migration_from_a_newer_version_is_refused(version_2: Path) -> None:
    edit(version_2, "questionnaire.toml", '[migrations."2026.1"]', '[migrations."2027.1"]')
    with pytest.raises(KnowledgeError, match="not a version older than 2026.2"):
        load_questionnaire_from(version_2)


@pytest.fixture
def packaged(version_2: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data folder laid out as the package's: the current version on top, 2026.1 archived."""
    shutil.copytree(EXAMPLE, version_2 / "versions" / "2026.1")
    monkeypatch.setattr(loader, "_data_folder", lambda: version_2)
    loader.clear_cache()
    yield version_2
    loader.clear_cache()


@pytest.mark.usefixtures("packaged")
def test_each_version_is_loaded_with_its_own_questionnaire() -> None:
    assert available_versions() == ("2026.1", "2026.2")
    assert load_questionnaire().version == "2026.2"
    assert load_questionnaire("2026.2") is load_questionnaire()
    old = load_questionnaire("2026.1")
    assert old.version == "2026.1" and old.question("backup.offline") is not None
    with pytest.raises(KnowledgeError, match="no questionnaire version 2025.1"):
        load_questionnaire("2025.1")
    with pytest.raises(KnowledgeError, match="is not a questionnaire version"):
        load_questionnaire("../../etc")
