"""Version-range advisories for software seen in banners and pages (one matcher, shared).

Each ``data/software/*.toml`` file holds ``[[advisory]]`` tables: a lower-case product key,
a VERS range (https://github.com/package-url/purl-spec, ``vers:generic/...``) evaluated with
``univers``, the CVE ids, a summary and the source of the range (usually the NVD CPE
configuration). Files are loaded once and validated: a bad range fails loudly at load time.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import cast

from univers.version_range import VersionRange
from univers.versions import InvalidVersion

_DATA_PACKAGE = "rempart.engine.data"
_FOLDER = "software"
# The comparable head of a version string: "5.7.44-log" -> "5.7.44", "1.4.2-SNAPSHOT" -> "1.4.2".
_NUMERIC_HEAD = re.compile(r"^v?(\d+(?:\.\d+){0,3})")


class AdvisoryDataError(ValueError):
    """A data/software TOML file that does not follow the schema; the message says where."""


@dataclass(frozen=True, slots=True)
class Advisory:
    product: str
    vulnerable: str  # a vers range, e.g. "vers:generic/>=1.0.0|<1.4.3"
    cves: tuple[str, ...]
    summary: str
    source: str


def normalize_version(version: str) -> str | None:
    """The dotted numeric head of a version string, or None when it has none."""
    found = _NUMERIC_HEAD.match(version.strip())
    return found.group(1) if found else None


def _parse_advisory(item: object, where: str) -> tuple[Advisory, VersionRange]:
    if not isinstance(item, dict):
        raise AdvisoryDataError(f"{where}: an advisory must be a table")
    try:
        advisory = Advisory(
            product=str(item["product"]).lower(),
            vulnerable=str(item["vulnerable"]),
            cves=tuple(str(c).upper() for c in item["cves"]),
            summary=str(item["summary"]),
            source=str(item["source"]),
        )
    except KeyError as exc:
        raise AdvisoryDataError(f"{where}: missing key {exc}") from None
    try:
        span = VersionRange.from_string(advisory.vulnerable)  # type: ignore[no-untyped-call]
    except (ValueError, TypeError) as exc:
        raise AdvisoryDataError(f"{where}: bad range {advisory.vulnerable!r}: {exc}") from None
    if not advisory.cves:
        raise AdvisoryDataError(f"{where}: an advisory needs at least one CVE id")
    return advisory, span


@cache
def _advisories() -> dict[str, tuple[tuple[Advisory, VersionRange], ...]]:
    by_product: dict[str, list[tuple[Advisory, VersionRange]]] = {}
    folder = resources.files(_DATA_PACKAGE).joinpath(_FOLDER)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        for number, item in enumerate(data.get("advisory", []), start=1):
            advisory, span = _parse_advisory(item, f"{entry.name} advisory #{number}")
            by_product.setdefault(advisory.product, []).append((advisory, span))
    return {product: tuple(items) for product, items in by_product.items()}


def products() -> frozenset[str]:
    """Every product key that has at least one advisory."""
    return frozenset(_advisories())


def match(product: str, version: str) -> list[Advisory]:
    """Advisories of ``product`` whose vulnerable range contains ``version``.

    A version without a numeric head ("unknown", "git") matches nothing: we never claim a
    vulnerability we cannot place.
    """
    head = normalize_version(version)
    if head is None:
        return []
    found: list[Advisory] = []
    for advisory, span in _advisories().get(product.lower(), ()):
        try:
            make_version = cast("Callable[[str], object]", span.version_class)
            if make_version(head) in span:
                found.append(advisory)
        except (InvalidVersion, ValueError, TypeError):
            continue  # a version this range's scheme cannot compare: no claim
    return found
