"""Load the diagnostic questionnaire, its measures referential and its rules from TOML.

Layout of the data (``src/rempart/knowledge/diagnostic/``)::

    questionnaire.toml  measures.toml  rules.toml     the current version
    versions/<version>/questionnaire.toml …          every earlier version, kept as published

The current version lives at the top of the folder so that editing it is editing the obvious
file; publishing a new version first copies the three files to ``versions/<old version>/``
(answers given to that version stay readable and can be re-scored with their own
questionnaire). The new ``questionnaire.toml`` then says how old answers carry over::

    [migrations."2026.1"]          # one table per older version this one accepts answers from
    "backup.offsite" = "backup.offline"   # renamed
    "web.flash" = ""                      # dropped: the answer is reported, never silently lost

Ids that did not change are not listed, and choice ids are stable across versions.

Every field is validated when the files are read; a defect raises :class:`KnowledgeError`
naming the file and the id. The loader appends the ``dont_know`` choice to every scored
question, and ``na`` where the data sets ``na = true``. Plain Python, no framework, and no
knowledge of the engine: check ids in evidence rules are checked against the engine catalog by
a test, not here.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Final, Literal, TypeVar, cast, get_args

from rempart.diagnostic.model import (
    DONT_KNOW,
    NOT_APPLICABLE,
    ActionSpec,
    Choice,
    ContradictionRule,
    Cost,
    Effort,
    EvidenceRule,
    Framework,
    Measure,
    Question,
    Questionnaire,
    RedFlag,
    Text,
    Theme,
    Who,
)
from rempart.knowledge.loader import KnowledgeError

QUESTIONNAIRE_FILE: Final = "questionnaire.toml"
MEASURES_FILE: Final = "measures.toml"
RULES_FILE: Final = "rules.toml"
VERSIONS_FOLDER: Final = "versions"

WHO_VALUES: Final[tuple[Who, ...]] = get_args(Who)
EFFORT_VALUES: Final[tuple[Effort, ...]] = get_args(Effort)
COST_VALUES: Final[tuple[Cost, ...]] = get_args(Cost)
FRAMEWORKS: Final[tuple[Framework, ...]] = get_args(Framework)
KINDS: Final[tuple[Literal["context", "scored"], ...]] = ("context", "scored")
MIN_VALUE, MAX_VALUE = 0, 3
MIN_WEIGHT, MAX_WEIGHT = 0.5, 3.0
MIN_CAP, MAX_CAP = 0.0, 5.0

DONT_KNOW_LABEL: Final = Text(fr="Je ne sais pas", en="I don't know")
NOT_APPLICABLE_LABEL: Final = Text(fr="Ne nous concerne pas", en="Does not apply to us")

_VERSION = re.compile(r"^\d{4}\.\d+$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_.+-]*$")
# An exact check id, or a prefix ending in "*" ("net.exposed.smb*").
_CHECK_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]*\*?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_TOP_KEYS: Final = frozenset({"version", "published", "themes", "questions", "migrations"})
_THEME_KEYS: Final = frozenset({"id", "fr", "en"})
_QUESTION_KEYS: Final = frozenset(
    {"id", "theme", "kind", "weight", "measures", "skip_if", "na", "fr", "en", "choices", "action"}
)
_CHOICE_KEYS: Final = frozenset({"id", "value", "fr", "en"})
_ACTION_KEYS: Final = frozenset({"who", "effort", "cost", "fr", "en"})
_MEASURE_KEYS: Final = frozenset({"id", "framework", "ref", "fr", "en"})
_RULES_KEYS: Final = frozenset({"red_flags", "contradictions"})
_FLAG_KEYS: Final = frozenset(
    {"id", "theme", "cap_theme", "cap_overall", "answers", "evidence", "fr", "en"}
)
_CONTRADICTION_KEYS: Final = frozenset(
    {"id", "question", "claims", "evidence", "trusted_value", "fr", "en"}
)
_EVIDENCE_KEYS: Final = frozenset({"checks", "known_exploited"})

_T = TypeVar("_T", bound=str)
Table = Mapping[str, object]


# ---- public API ---------------------------------------------------------------------------


def _data_folder() -> Traversable:
    return files("rempart.knowledge") / "diagnostic"


def load_questionnaire(version: str | None = None) -> Questionnaire:
    """The questionnaire of ``version`` (None: the current one), read once and cached."""
    current = _current()
    if version is None or version == current.version:
        return current
    return _archived(version)


@cache
def available_versions() -> tuple[str, ...]:
    """Every published version, oldest first; the last one is the current version."""
    versions = {_current().version}
    archive = _data_folder() / VERSIONS_FOLDER
    if archive.is_dir():
        versions.update(entry.name for entry in archive.iterdir() if entry.is_dir())
    return tuple(sorted(versions, key=version_key))


def clear_cache() -> None:
    """Forget what was read (for tests that point the loader at other files)."""
    for cached in (_current, _archived, available_versions):
        cached.cache_clear()


@cache
def _current() -> Questionnaire:
    return load_questionnaire_from(_data_folder())


@cache
def _archived(version: str) -> Questionnaire:
    if not _VERSION.match(version):
        raise KnowledgeError(f"{version!r} is not a questionnaire version")
    folder = _data_folder() / VERSIONS_FOLDER / version
    if not folder.is_dir():
        raise KnowledgeError(f"no questionnaire version {version} (known: {available_versions()})")
    loaded = load_questionnaire_from(folder)
    if loaded.version != version:
        raise KnowledgeError(f"{VERSIONS_FOLDER}/{version}: the file says {loaded.version}")
    return loaded


def version_key(version: str) -> tuple[int, ...]:
    """Sort key of a version string ("2026.10" after "2026.9")."""
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def load_questionnaire_from(directory: Traversable | Path) -> Questionnaire:
    """Read and validate the three files of one version in ``directory`` (tests use this)."""
    measures = _load_measures(_read(directory, MEASURES_FILE))
    document = _read(directory, QUESTIONNAIRE_FILE)
    where = QUESTIONNAIRE_FILE
    _refuse_unknown(document, _TOP_KEYS, where)
    version = _string(document, "version", where)
    if not _VERSION.match(version):
        raise KnowledgeError(f'{where}: version = "{version}" is not of the form YYYY.N')
    published = _string(document, "published", where)
    if not _ISO_DATE.match(published):
        raise KnowledgeError(f'{where}: published = "{published}" is not an ISO date')
    themes = _load_themes(document.get("themes"))
    questions = _load_questions(document.get("questions"), {t.id for t in themes}, measures)
    by_id = {question.id: question for question in questions}
    red_flags, contradictions = _load_rules(_read(directory, RULES_FILE), themes, by_id)
    migrations = _load_migrations(document.get("migrations", {}), version, by_id)
    return Questionnaire(
        version=version,
        published=published,
        themes=themes,
        questions=questions,
        measures=MappingProxyType(measures),
        red_flags=red_flags,
        contradictions=contradictions,
        migrations=migrations,
    )


def migrate_answers(
    q: Questionnaire, from_version: str, answers: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Carry answers given to ``from_version`` over to ``q``: (kept, dropped).

    Kept answers are keyed by the ids of ``q`` (renamed ones under their new id). Dropped
    ones keep their old id and choice so that the caller can show them: a question removed
    from the questionnaire, a choice that no longer exists, or an id ``q`` does not know. A
    version that ``q.migrations`` does not list is read with unchanged ids.
    """
    renames = q.migrations.get(from_version, {}) if from_version != q.version else {}
    kept: dict[str, str] = {}
    dropped: dict[str, str] = {}
    for old_id, choice_id in answers.items():
        new_id = renames.get(old_id, old_id)
        question = q.question(new_id) if new_id else None
        if question is None or question.choice(choice_id) is None or new_id in kept:
            dropped[old_id] = choice_id
        else:
            kept[new_id] = choice_id
    return kept, dropped


# ---- files --------------------------------------------------------------------------------


def _read(directory: Traversable | Path, name: str) -> Table:
    path = directory / name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise KnowledgeError(f"{name}: missing in {directory}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"{name}: unreadable: {exc}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(f"{name}: not valid TOML: {exc}") from exc


def _load_measures(document: Table) -> dict[str, Measure]:
    _refuse_unknown(document, frozenset({"measures"}), MEASURES_FILE)
    measures: dict[str, Measure] = {}
    for index, entry in enumerate(_array(document.get("measures"), MEASURES_FILE, "measures")):
        where = f"{MEASURES_FILE} measures[{index}]"
        table = _table(entry, where)
        measure_id = _identifier(table, where)
        where = f'{MEASURES_FILE} measure "{measure_id}"'
        _refuse_unknown(table, _MEASURE_KEYS, where)
        framework = _one_of(table, "framework", FRAMEWORKS, where)
        if not measure_id.startswith(f"{framework}."):
            raise KnowledgeError(f"{where}: the id does not start with {framework}.")
        if measure_id in measures:
            raise KnowledgeError(f"{where}: duplicate id")
        measures[measure_id] = Measure(
            id=measure_id,
            framework=framework,
            ref=_string(table, "ref", where),
            title=_plain_text(table, where),
        )
    return measures


def _load_themes(value: object) -> tuple[Theme, ...]:
    themes: list[Theme] = []
    for index, entry in enumerate(_array(value, QUESTIONNAIRE_FILE, "themes")):
        table = _table(entry, f"{QUESTIONNAIRE_FILE} themes[{index}]")
        theme_id = _identifier(table, f"{QUESTIONNAIRE_FILE} themes[{index}]")
        where = f'{QUESTIONNAIRE_FILE} theme "{theme_id}"'
        _refuse_unknown(table, _THEME_KEYS, where)
        if any(theme.id == theme_id for theme in themes):
            raise KnowledgeError(f"{where}: duplicate id")
        title, description = _texts(table, ("title", "description"), where)
        themes.append(Theme(id=theme_id, title=title, description=description))
    return tuple(themes)


def _load_questions(
    value: object, theme_ids: set[str], measures: Mapping[str, Measure]
) -> tuple[Question, ...]:
    entries = _array(value, QUESTIONNAIRE_FILE, "questions")
    tables: list[tuple[str, Table]] = []
    for index, entry in enumerate(entries):
        table = _table(entry, f"{QUESTIONNAIRE_FILE} questions[{index}]")
        question_id = _identifier(table, f"{QUESTIONNAIRE_FILE} questions[{index}]")
        if any(known == question_id for known, _ in tables):
            raise KnowledgeError(f'{QUESTIONNAIRE_FILE} question "{question_id}": duplicate id')
        tables.append((question_id, table))
    # skip_if may only name context questions, which are parsed first.
    contexts: dict[str, Question] = {}
    questions: list[Question] = []
    for question_id, table in tables:
        question = _parse_question(question_id, table, theme_ids, measures, contexts)
        if question.kind == "context":
            if any(known.kind == "scored" for known in questions):
                raise KnowledgeError(
                    f'{QUESTIONNAIRE_FILE} question "{question_id}": context questions come first'
                )
            contexts[question.id] = question
        questions.append(question)
    return tuple(questions)


def _parse_question(
    question_id: str,
    table: Table,
    theme_ids: set[str],
    measures: Mapping[str, Measure],
    contexts: Mapping[str, Question],
) -> Question:
    where = f'{QUESTIONNAIRE_FILE} question "{question_id}"'
    _refuse_unknown(table, _QUESTION_KEYS, where)
    theme = _string(table, "theme", where)
    if theme not in theme_ids:
        raise KnowledgeError(f'{where}: theme "{theme}" is not defined in [[themes]]')
    kind = _one_of(table, "kind", KINDS, where)
    text, why = _texts(table, ("text", "why"), where)
    scored = kind == "scored"
    if not scored:
        for key in ("weight", "measures", "skip_if", "na", "action"):
            if key in table:
                raise KnowledgeError(f"{where}: a context question has no {key}")
    choices = _parse_choices(table.get("choices"), scored, where)
    action = _parse_action(table.get("action"), f"{where} action") if scored else None
    na = _boolean(table, "na", where)
    if scored:
        choices += (Choice(DONT_KNOW, DONT_KNOW_LABEL, None),)
        if na:
            choices += (Choice(NOT_APPLICABLE, NOT_APPLICABLE_LABEL, None),)
    return Question(
        id=question_id,
        theme=theme,
        kind=kind,
        text=text,
        why=why,
        choices=choices,
        weight=_weight(table, where) if scored else 0.0,
        measures=_measure_ids(table.get("measures", []), measures, where),
        skip_if=_skip_if(table.get("skip_if", {}), contexts, where),
        action=action,
    )


def _parse_choices(value: object, scored: bool, where: str) -> tuple[Choice, ...]:
    choices: list[Choice] = []
    for index, entry in enumerate(_array(value, where, "choices")):
        table = _table(entry, f"{where} choices[{index}]")
        choice_id = _identifier(table, f"{where} choices[{index}]")
        at = f'{where} choice "{choice_id}"'
        _refuse_unknown(table, _CHOICE_KEYS, at)
        if choice_id in (DONT_KNOW, NOT_APPLICABLE):
            raise KnowledgeError(f"{at}: reserved id, the loader adds it (use na = true)")
        if any(choice.id == choice_id for choice in choices):
            raise KnowledgeError(f"{at}: duplicate id")
        value_ = table.get("value")
        if scored:
            if type(value_) is not int or not MIN_VALUE <= value_ <= MAX_VALUE:
                raise KnowledgeError(f"{at}: value must be an integer 0–3, found {value_!r}")
        elif value_ is not None:
            raise KnowledgeError(f"{at}: a context question's choices have no value")
        label = Text(fr=_string(table, "fr", at), en=_string(table, "en", at))
        choices.append(Choice(choice_id, label, value_))
    if len(choices) < 2:
        raise KnowledgeError(f"{where}: at least two choices are needed")
    if scored and max(choice.value or 0 for choice in choices) != MAX_VALUE:
        raise KnowledgeError(f"{where}: no choice is worth {MAX_VALUE} (the best practice)")
    return tuple(choices)


def _parse_action(value: object, where: str) -> ActionSpec:
    if value is None:
        raise KnowledgeError(f"{where}: missing (every scored question says what to do)")
    table = _table(value, where)
    _refuse_unknown(table, _ACTION_KEYS, where)
    title, what_to_do = _texts(table, ("title", "what_to_do"), where)
    return ActionSpec(
        title=title,
        what_to_do=what_to_do,
        who=_one_of(table, "who", WHO_VALUES, where),
        effort=_one_of(table, "effort", EFFORT_VALUES, where),
        cost=_one_of(table, "cost", COST_VALUES, where),
    )


def _weight(table: Table, where: str) -> float:
    weight = table.get("weight")
    if type(weight) not in (int, float) or not MIN_WEIGHT <= cast(float, weight) <= MAX_WEIGHT:
        raise KnowledgeError(f"{where}: weight must be a number 0.5–3, found {weight!r}")
    return float(cast(float, weight))


def _measure_ids(value: object, measures: Mapping[str, Measure], where: str) -> tuple[str, ...]:
    ids = tuple(_strings(value, f"{where} measures"))
    for measure_id in ids:
        if measure_id not in measures:
            raise KnowledgeError(f'{where}: measure "{measure_id}" is not in {MEASURES_FILE}')
    if len(set(ids)) != len(ids):
        raise KnowledgeError(f"{where}: a measure is listed twice")
    return ids


def _skip_if(
    value: object, contexts: Mapping[str, Question], where: str
) -> Mapping[str, frozenset[str]]:
    table = _table(value, f"{where} skip_if")
    skip: dict[str, frozenset[str]] = {}
    for context_id, choice_ids in table.items():
        context = contexts.get(context_id)
        if context is None:
            raise KnowledgeError(f'{where}: skip_if names "{context_id}", not a context question')
        skip[context_id] = _choice_set(context, choice_ids, f"{where} skip_if")
    return MappingProxyType(skip)


def _choice_set(question: Question, value: object, where: str) -> frozenset[str]:
    ids = frozenset(_strings(value, where))
    if not ids:
        raise KnowledgeError(f'{where}: no choice of "{question.id}" listed')
    for choice_id in sorted(ids):
        if question.choice(choice_id) is None:
            raise KnowledgeError(f'{where}: "{question.id}" has no choice "{choice_id}"')
    return ids


# ---- rules and migrations -----------------------------------------------------------------


def _load_rules(
    document: Table, themes: tuple[Theme, ...], questions: Mapping[str, Question]
) -> tuple[tuple[RedFlag, ...], tuple[ContradictionRule, ...]]:
    _refuse_unknown(document, _RULES_KEYS, RULES_FILE)
    theme_ids = {theme.id for theme in themes}
    flags: list[RedFlag] = []
    for index, entry in enumerate(_array(document.get("red_flags", []), RULES_FILE, "red_flags")):
        flag = _parse_flag(_table(entry, f"{RULES_FILE} red_flags[{index}]"), theme_ids, questions)
        if any(known.id == flag.id for known in flags):
            raise KnowledgeError(f'{RULES_FILE} red flag "{flag.id}": duplicate id')
        flags.append(flag)
    rules: list[ContradictionRule] = []
    entries = _array(document.get("contradictions", []), RULES_FILE, "contradictions")
    for index, entry in enumerate(entries):
        rule = _parse_contradiction(
            _table(entry, f"{RULES_FILE} contradictions[{index}]"), questions
        )
        if any(known.id == rule.id for known in rules):
            raise KnowledgeError(f'{RULES_FILE} contradiction "{rule.id}": duplicate id')
        rules.append(rule)
    return tuple(flags), tuple(rules)


def _parse_flag(table: Table, theme_ids: set[str], questions: Mapping[str, Question]) -> RedFlag:
    flag_id = _identifier(table, f"{RULES_FILE} red_flags")
    where = f'{RULES_FILE} red flag "{flag_id}"'
    _refuse_unknown(table, _FLAG_KEYS, where)
    theme = _string(table, "theme", where)
    if theme not in theme_ids:
        raise KnowledgeError(f'{where}: theme "{theme}" is not defined in {QUESTIONNAIRE_FILE}')
    answers: dict[str, frozenset[str]] = {}
    for question_id, choice_ids in _table(table.get("answers", {}), f"{where} answers").items():
        question = questions.get(question_id)
        if question is None or question.kind != "scored":
            raise KnowledgeError(f'{where}: answers name "{question_id}", not a scored question')
        answers[question_id] = _choice_set(question, choice_ids, f"{where} answers")
    evidence = None
    if "evidence" in table:
        evidence = _parse_evidence(table["evidence"], f"{where} evidence")
    if not answers and evidence is None:
        raise KnowledgeError(f"{where}: raised by nothing (give answers and/or evidence)")
    title, why = _texts(table, ("title", "why"), where)
    return RedFlag(
        id=flag_id,
        theme=theme,
        title=title,
        why=why,
        answers=MappingProxyType(answers),
        evidence=evidence,
        cap_theme=_cap(table, "cap_theme", 1.0, where),
        cap_overall=_cap(table, "cap_overall", 2.0, where),
    )


def _parse_contradiction(table: Table, questions: Mapping[str, Question]) -> ContradictionRule:
    rule_id = _identifier(table, f"{RULES_FILE} contradictions")
    where = f'{RULES_FILE} contradiction "{rule_id}"'
    _refuse_unknown(table, _CONTRADICTION_KEYS, where)
    question_id = _string(table, "question", where)
    question = questions.get(question_id)
    if question is None or question.kind != "scored":
        raise KnowledgeError(f'{where}: question "{question_id}" is not a scored question')
    claims = _choice_set(question, table.get("claims"), f"{where} claims")
    trusted = table.get("trusted_value", 0)
    if type(trusted) is not int or not MIN_VALUE <= trusted <= MAX_VALUE:
        raise KnowledgeError(f"{where}: trusted_value must be an integer 0–3, found {trusted!r}")
    for choice_id in sorted(claims):
        claimed = question.choice(choice_id)
        if claimed is None or claimed.value is None or claimed.value <= trusted:
            # The evidence overrules a claim downwards; anything else is a slip in the data.
            raise KnowledgeError(f'{where}: claim "{choice_id}" is not worth more than {trusted}')
    if "evidence" not in table:
        raise KnowledgeError(f"{where}: missing field 'evidence'")
    (message,) = _texts(table, ("message",), where)
    return ContradictionRule(
        id=rule_id,
        question=question_id,
        claims=claims,
        evidence=_parse_evidence(table["evidence"], f"{where} evidence"),
        message=message,
        trusted_value=trusted,
    )


def _parse_evidence(value: object, where: str) -> EvidenceRule:
    table = _table(value, where)
    _refuse_unknown(table, _EVIDENCE_KEYS, where)
    checks = tuple(_strings(table.get("checks", []), f"{where} checks"))
    for check in checks:
        if not _CHECK_PATTERN.match(check):
            raise KnowledgeError(f'{where}: "{check}" is not a check id or a prefix ending in *')
    known_exploited = _boolean(table, "known_exploited", where)
    if not checks and not known_exploited:
        raise KnowledgeError(f"{where}: matches nothing (give checks or known_exploited = true)")
    return EvidenceRule(checks=checks, known_exploited=known_exploited)


def _cap(table: Table, key: str, default: float, where: str) -> float:
    cap = table.get(key, default)
    if type(cap) not in (int, float) or not MIN_CAP <= cast(float, cap) <= MAX_CAP:
        raise KnowledgeError(f"{where}: {key} must be a number 0–5, found {cap!r}")
    return float(cast(float, cap))


def _load_migrations(
    value: object, version: str, questions: Mapping[str, Question]
) -> Mapping[str, Mapping[str, str]]:
    where = f"{QUESTIONNAIRE_FILE} migrations"
    migrations: dict[str, Mapping[str, str]] = {}
    for old_version, renames in _table(value, where).items():
        at = f'{where}."{old_version}"'
        if not _VERSION.match(old_version) or version_key(old_version) >= version_key(version):
            raise KnowledgeError(f"{at}: not a version older than {version}")
        mapping: dict[str, str] = {}
        for old_id, new_id in _table(renames, at).items():
            if not isinstance(new_id, str):
                raise KnowledgeError(f'{at} "{old_id}": expected a question id or ""')
            if new_id and new_id not in questions:
                raise KnowledgeError(f'{at} "{old_id}": "{new_id}" is not a question of {version}')
            mapping[old_id] = new_id
        migrations[old_version] = MappingProxyType(mapping)
    return MappingProxyType(migrations)


# ---- small typed readers ------------------------------------------------------------------


def _table(value: object, where: str) -> Table:
    if not isinstance(value, dict):
        raise KnowledgeError(f"{where}: expected a table, found {type(value).__name__}")
    return cast(Table, value)


def _array(value: object, where: str, key: str) -> list[object]:
    if value is None:
        raise KnowledgeError(f"{where}: missing {key}")
    if not isinstance(value, list):
        raise KnowledgeError(f"{where}: {key} must be an array, found {type(value).__name__}")
    return cast(list[object], value)


def _refuse_unknown(table: Table, known: frozenset[str], where: str) -> None:
    # A misspelt key ("skipif") would otherwise be silently ignored.
    unknown = sorted(set(table) - known)
    if unknown:
        raise KnowledgeError(f"{where}: unknown field(s) {', '.join(unknown)}")


def _string(table: Table, key: str, where: str) -> str:
    value = table.get(key)
    if value is None:
        raise KnowledgeError(f"{where}: missing field {key!r}")
    if not isinstance(value, str):
        raise KnowledgeError(f"{where}: {key} must be a string, found {type(value).__name__}")
    text = value.strip()
    if not text:
        raise KnowledgeError(f"{where}: {key} is empty")
    return text


def _strings(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise KnowledgeError(f"{where}: expected an array of strings")
    return cast(list[str], value)


def _identifier(table: Table, where: str) -> str:
    value = _string(table, "id", where)
    if not _ID.match(value):
        raise KnowledgeError(f'{where}: id "{value}" is not lowercase letters, digits and . _ -')
    return value


def _boolean(table: Table, key: str, where: str) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise KnowledgeError(f"{where}: {key} must be true or false, found {value!r}")
    return value


def _one_of(table: Table, key: str, allowed: tuple[_T, ...], where: str) -> _T:
    value = table.get(key)
    for option in allowed:
        if value == option:
            return option
    raise KnowledgeError(f"{where}: {key} = {value!r} is not one of {', '.join(allowed)}")


def _texts(table: Table, names: tuple[str, ...], where: str) -> tuple[Text, ...]:
    """``fr = {…}`` and ``en = {…}`` (inline or sub-tables) holding ``names``, as Texts."""
    by_lang: dict[str, Table] = {}
    for lang in ("fr", "en"):
        if lang not in table:
            raise KnowledgeError(f"{where}: missing {lang} texts")
        by_lang[lang] = _table(table[lang], f"{where}.{lang}")
        _refuse_unknown(by_lang[lang], frozenset(names), f"{where}.{lang}")
    return tuple(
        Text(
            fr=_string(by_lang["fr"], name, f"{where}.fr"),
            en=_string(by_lang["en"], name, f"{where}.en"),
        )
        for name in names
    )


def _plain_text(table: Table, where: str) -> Text:
    return Text(fr=_string(table, "fr", where), en=_string(table, "en", where))
