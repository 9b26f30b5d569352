"""DMARC records (RFC 7489 §6.3-6.4): pure tag-value parsing, no DNS.

A DMARC record is the TXT record at ``_dmarc.<domain>`` that starts with ``v=DMARC1``
(§6.6.3: records that do not are discarded, and several DMARC records mean none applies).
:func:`parse_dmarc` is strict on the tags whose value changes what receivers do (v, p,
sp, pct, adkim, aspf, rua, ruf, ri, fo, rf) and ignores unknown tags, as §6.3 asks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# §6.4: "v=DMARC1" first; whitespace is allowed around '=' and ';'.
_VERSION = re.compile(r"^\s*v\s*=\s*DMARC1\s*(?:;|$)")
_TAG = re.compile(r"^[a-z][a-z0-9_]*$", re.IGNORECASE)
POLICIES = ("none", "quarantine", "reject")


class DmarcSyntaxError(ValueError):
    """The record does not parse; the message names the tag."""


@dataclass(frozen=True, slots=True)
class DmarcRecord:
    text: str
    policy: str  # none / quarantine / reject
    subdomain_policy: str | None
    pct: int
    rua: tuple[str, ...]
    ruf: tuple[str, ...]
    tags: tuple[tuple[str, str], ...]

    @property
    def enforcing(self) -> bool:
        """Receivers act on every failing message (quarantine or reject at pct=100)."""
        return self.policy != "none" and self.pct >= 100


def is_dmarc(text: str) -> bool:
    return bool(_VERSION.match(text))


def find_dmarc(records: Iterable[str]) -> list[str]:
    return [r for r in records if is_dmarc(r)]


def split_tags(text: str) -> list[tuple[str, str]]:
    """``a=b; c=d`` into [(a, b), (c, d)] with lower-case names; raises on a bad tag."""
    tags: list[tuple[str, str]] = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue  # a trailing ';' is allowed (§6.4 dmarc-sep)
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or not _TAG.match(name):
            raise DmarcSyntaxError(f"malformed tag {part[:40]!r}")
        tags.append((name.lower(), value.strip()))
    return tags


def parse_dmarc(text: str) -> DmarcRecord:
    """Parse one DMARC record or raise :class:`DmarcSyntaxError`."""
    if not is_dmarc(text):
        raise DmarcSyntaxError("the record does not start with v=DMARC1")
    tags = split_tags(text)
    names = [n for n, _ in tags]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise DmarcSyntaxError(f"tag {duplicated[0]}= appears more than once")
    values = dict(tags)
    if "p" not in values:
        raise DmarcSyntaxError("no p= policy tag")
    policy = _policy(values["p"], "p")
    subdomain = _policy(values["sp"], "sp") if "sp" in values else None
    pct = _integer(values.get("pct", "100"), "pct", 0, 100)
    if "ri" in values:
        _integer(values["ri"], "ri", 0, 2**32 - 1)
    for tag in ("adkim", "aspf"):
        if values.get(tag, "r").lower() not in ("r", "s"):
            raise DmarcSyntaxError(f"{tag}= must be r or s, not {values[tag]!r}")
    if "fo" in values and not re.fullmatch(r"[01ds](?:\s*:\s*[01ds])*", values["fo"]):
        raise DmarcSyntaxError(f"invalid fo= value {values['fo']!r}")
    return DmarcRecord(
        text=text,
        policy=policy,
        subdomain_policy=subdomain,
        pct=pct,
        rua=_uris(values.get("rua", ""), "rua"),
        ruf=_uris(values.get("ruf", ""), "ruf"),
        tags=tuple(tags),
    )


def _policy(value: str, tag: str) -> str:
    if value.lower() not in POLICIES:
        raise DmarcSyntaxError(f"{tag}= must be none, quarantine or reject, not {value!r}")
    return value.lower()


def _integer(value: str, tag: str, low: int, high: int) -> int:
    if not value.isdigit() or not low <= int(value) <= high:
        raise DmarcSyntaxError(f"{tag}= must be an integer from {low} to {high}, not {value!r}")
    return int(value)


def _uris(value: str, tag: str) -> tuple[str, ...]:
    """A comma-separated list of DMARC URIs (§6.2): ``uri[!size[unit]]``."""
    if not value:
        return ()
    uris = []
    for item in value.split(","):
        uri = item.strip()
        if not re.fullmatch(r"[a-z][a-z0-9+.-]*:[^\s!,;]+(?:![0-9]+[kmgt]?)?", uri, re.I):
            raise DmarcSyntaxError(f"invalid {tag}= address {uri[:60]!r}")
        uris.append(uri)
    return tuple(uris)
