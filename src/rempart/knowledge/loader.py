"""Load the plain-language guidance of every check from the TOML files in ``checks/``.

One file per family (``dns.toml``, ``mail.toml``…), one table per check id of the engine
catalog::

    ["mail.dmarc.missing"]
    who = "it_provider"
    effort = "hours"
    ["mail.dmarc.missing".fr]
    title = "…"
    why = "…"
    what_to_do = "…"          # steps, one per line
    ["mail.dmarc.missing".en]
    …

Every field is validated when the files are read, and any defect raises a
:class:`KnowledgeError` naming the file and the id: a broken edit fails the tests instead of
reaching a user as a half-empty page. Plain Python, no framework: the platform, the CLI and the
reports all read it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import Final, Literal, TypeVar, get_args

Who = Literal["yourself", "it_provider", "specialist"]
Effort = Literal["minutes", "hours", "days", "weeks"]

WHO_VALUES: Final[tuple[Who, ...]] = get_args(Who)
EFFORT_VALUES: Final[tuple[Effort, ...]] = get_args(Effort)
LANGUAGES: Final[tuple[str, ...]] = ("fr", "en")
DEFAULT_LANGUAGE: Final = "fr"
TEXT_FIELDS: Final[tuple[str, ...]] = ("title", "why", "what_to_do")

WHO_LABELS: Final[dict[str, dict[str, str]]] = {
    "fr": {
        "yourself": "Vous-même",
        "it_provider": "Votre prestataire informatique",
        "specialist": "Un spécialiste en cybersécurité",
    },
    "en": {
        "yourself": "Yourself",
        "it_provider": "Your IT provider",
        "specialist": "A cybersecurity specialist",
    },
}
EFFORT_LABELS: Final[dict[str, dict[str, str]]] = {
    "fr": {
        "minutes": "Quelques minutes",
        "hours": "Quelques heures",
        "days": "Quelques jours",
        "weeks": "Quelques semaines",
    },
    "en": {
        "minutes": "A few minutes",
        "hours": "A few hours",
        "days": "A few days",
        "weeks": "A few weeks",
    },
}

_ENTRY_KEYS: Final = frozenset({"who", "effort", *LANGUAGES})
_Choice = TypeVar("_Choice", bound=str)


class KnowledgeError(ValueError):
    """A guidance file is missing, unreadable, or holds an invalid entry."""


@dataclass(frozen=True, slots=True)
class GuidanceText:
    title: str
    why: str
    what_to_do: str


@dataclass(frozen=True, slots=True)
class Guidance:
    check_id: str
    who: Who
    effort: Effort
    texts: Mapping[str, GuidanceText]

    def text(self, lang: str) -> GuidanceText:
        """The texts in ``lang`` ("fr", "en-US", "fr_FR"…), French for any other language."""
        return self.texts.get(language_of(lang), self.texts[DEFAULT_LANGUAGE])


def language_of(tag: str) -> str:
    """The supported language of a language tag or locale name, French by default."""
    primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


@cache
def load_guidance() -> Mapping[str, Guidance]:
    """Every check's guidance, by check id, read once from the files shipped in the package."""
    return _load_directory(files("rempart.knowledge") / "checks")


def guidance_for(check_id: str) -> Guidance | None:
    """The guidance of ``check_id``, or None for an id the catalog does not know.

    Imported third-party reports carry their own rule ids; they have no guidance here and
    the caller shows the tool's own text instead.
    """
    return load_guidance().get(check_id)


def _load_directory(directory: Traversable) -> Mapping[str, Guidance]:
    paths = sorted(
        (path for path in directory.iterdir() if path.name.endswith(".toml")),
        key=lambda path: path.name,
    )
    if not paths:
        raise KnowledgeError(f"no guidance file (*.toml) in {directory}")
    found: dict[str, Guidance] = {}
    for path in paths:
        for check_id, guidance in _load_file(path).items():
            if check_id in found:
                raise KnowledgeError(f'{path.name} ["{check_id}"]: defined in two files')
            found[check_id] = guidance
    return MappingProxyType(found)


def _load_file(path: Traversable) -> dict[str, Guidance]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"{path.name}: not valid TOML: {exc}") from exc
    # The file name is the family: an id in the wrong file is a copy-paste slip.
    family = path.name.removesuffix(".toml")
    entries: dict[str, Guidance] = {}
    for check_id, entry in document.items():
        where = f'{path.name} ["{check_id}"]'
        if not check_id.startswith(f"{family}."):
            raise KnowledgeError(f"{where}: the id does not belong to the {family!r} family")
        entries[check_id] = _parse_entry(check_id, entry, where)
    return entries


def _parse_entry(check_id: str, entry: object, where: str) -> Guidance:
    table = _table(entry, where)
    _refuse_unknown(table, _ENTRY_KEYS, where)
    who = _choice(table, "who", WHO_VALUES, where)
    effort = _choice(table, "effort", EFFORT_VALUES, where)
    texts = {lang: _parse_text(table.get(lang), f"{where}.{lang}") for lang in LANGUAGES}
    return Guidance(check_id, who, effort, MappingProxyType(texts))


def _parse_text(entry: object, where: str) -> GuidanceText:
    if entry is None:
        raise KnowledgeError(f"{where}: missing table")
    table = _table(entry, where)
    _refuse_unknown(table, frozenset(TEXT_FIELDS), where)
    title, why, what_to_do = (_text_field(table, name, where) for name in TEXT_FIELDS)
    return GuidanceText(title=title, why=why, what_to_do=what_to_do)


def _table(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise KnowledgeError(f"{where}: expected a table, found {type(value).__name__}")
    return value


def _refuse_unknown(table: Mapping[str, object], known: frozenset[str], where: str) -> None:
    # A misspelt key ("what_todo") would otherwise surface later as a "missing" field.
    unknown = sorted(set(table) - known)
    if unknown:
        raise KnowledgeError(f"{where}: unknown field(s) {', '.join(unknown)}")


def _text_field(table: Mapping[str, object], name: str, where: str) -> str:
    value = table.get(name)
    if value is None:
        raise KnowledgeError(f"{where}: missing field {name!r}")
    if not isinstance(value, str):
        raise KnowledgeError(f"{where}: {name} must be a string, found {type(value).__name__}")
    text = value.strip()
    if not text:
        raise KnowledgeError(f"{where}: {name} is empty")
    return text


def _choice(
    table: Mapping[str, object], key: str, allowed: tuple[_Choice, ...], where: str
) -> _Choice:
    value = table.get(key)
    if value is None:
        raise KnowledgeError(f"{where}: missing field {key!r}")
    for option in allowed:
        if value == option:
            return option
    raise KnowledgeError(f"{where}: {key} = {value!r} is not one of {', '.join(allowed)}")
