"""SPF records (RFC 7208): pure parsing and judging, no DNS.

The checks follow includes and redirects themselves (through the scan's resolver) and use
:func:`parse_spf` for each record they meet. What is judged here:

- syntax (RFC 7208 §4.6.1, §5, §6, §12): unknown mechanisms, malformed addresses or
  prefix lengths, an ``all`` with an argument, duplicate ``redirect``/``exp`` are errors
  (a "permerror" for a receiver, so the record protects nothing);
- the terms that cost a DNS query (§4.6.4: include, a, mx, ptr, exists, redirect);
- how permissive the final ``all`` is.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Qualifier = Literal["+", "-", "~", "?"]

MAX_LOOKUPS = 10  # RFC 7208 §4.6.4
MECHANISMS = frozenset({"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"})
LOOKUP_MECHANISMS = frozenset({"include", "a", "mx", "ptr", "exists"})

# A record is an SPF record when it is exactly "v=spf1" or starts with "v=spf1 " (§4.5).
_VERSION = re.compile(r"^v=spf1(?: |$)", re.IGNORECASE)
_MODIFIER_NAME = re.compile(r"^[a-z][a-z0-9_.-]*$", re.IGNORECASE)
_TERM = re.compile(
    r"^(?P<qualifier>[+\-~?]?)(?P<name>[a-z][a-z0-9_.-]*)(?P<rest>.*)$", re.IGNORECASE
)
# macro-expand (§7.1): %{letter digits r delimiters}, %%, %_, %-
_MACRO = re.compile(r"%(?:\{[slodiphcrtv][0-9]*r?[.\-+,/_=]*\}|[%_-])", re.IGNORECASE)
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$", re.IGNORECASE)


class SpfSyntaxError(ValueError):
    """The record does not follow RFC 7208's grammar; the message names the term."""


@dataclass(frozen=True, slots=True)
class Mechanism:
    qualifier: Qualifier
    name: str  # lower-case mechanism name
    value: str = ""  # domain-spec or address, without the leading ':'
    cidr: str = ""  # "/24", "//64" or "/24//64"


@dataclass(frozen=True, slots=True)
class SpfRecord:
    text: str
    mechanisms: tuple[Mechanism, ...]
    modifiers: tuple[tuple[str, str], ...]  # (lower-case name, value), in order

    @property
    def redirect(self) -> str | None:
        return next((v for n, v in self.modifiers if n == "redirect"), None)

    @property
    def all_qualifier(self) -> Qualifier | None:
        """Qualifier of the ``all`` mechanism; terms after it are never evaluated (§5.1)."""
        return next((m.qualifier for m in self.mechanisms if m.name == "all"), None)

    @property
    def lookup_terms(self) -> int:
        """DNS-querying terms of this record alone (§4.6.4)."""
        count = sum(1 for m in self.mechanisms if m.name in LOOKUP_MECHANISMS)
        return count + (1 if self.redirect is not None else 0)

    @property
    def followed_domains(self) -> tuple[str, ...]:
        """Domains of include and redirect terms whose records count toward the limit.

        Domain-specs with macros depend on the sender and cannot be followed statically.
        """
        names = [m.value for m in self.mechanisms if m.name == "include"]
        if self.redirect is not None and self.all_qualifier is None:
            names.append(self.redirect)  # §6.1: redirect is ignored when "all" is present
        return tuple(n.rstrip(".").lower() for n in names if "%" not in n)

    @property
    def is_lockdown(self) -> bool:
        """Exactly ``v=spf1 -all``: the domain sends no mail at all."""
        return (
            len(self.mechanisms) == 1
            and self.mechanisms[0] == Mechanism("-", "all")
            and not self.modifiers
        )


def is_spf(text: str) -> bool:
    return bool(_VERSION.match(text))


def find_spf(records: Iterable[str]) -> list[str]:
    """The SPF records among a name's TXT records (§4.5: others are discarded)."""
    return [r for r in records if is_spf(r)]


def parse_spf(text: str) -> SpfRecord:
    """Parse one SPF record or raise :class:`SpfSyntaxError`."""
    if not is_spf(text):
        raise SpfSyntaxError("the record does not start with v=spf1")
    if any(ord(ch) < 0x20 or ord(ch) > 0x7E for ch in text):
        raise SpfSyntaxError("the record contains characters outside printable ASCII")
    mechanisms: list[Mechanism] = []
    modifiers: list[tuple[str, str]] = []
    for term in text.split(" ")[1:]:
        if not term:
            continue  # several spaces between terms are allowed (§12: 1*SP)
        modifier = _parse_modifier(term)
        if modifier is not None:
            if modifier[0] in ("redirect", "exp") and any(n == modifier[0] for n, _ in modifiers):
                raise SpfSyntaxError(f"{modifier[0]}= appears more than once (§6)")
            modifiers.append(modifier)
        else:
            mechanisms.append(_parse_mechanism(term))
    return SpfRecord(text, tuple(mechanisms), tuple(modifiers))


def _parse_modifier(term: str) -> tuple[str, str] | None:
    name, sep, value = term.partition("=")
    if not sep or ":" in name or "/" in name:
        return None
    if not _MODIFIER_NAME.match(name):
        raise SpfSyntaxError(f"invalid modifier name in {term!r}")
    name = name.lower()
    if name in ("redirect", "exp"):
        _check_domain_spec(value, term)
    else:
        _check_macro_string(value, term)
    return name, value


def _parse_mechanism(term: str) -> Mechanism:
    match = _TERM.match(term)
    if not match:
        raise SpfSyntaxError(f"unparsable term {term!r}")
    qualifier: Qualifier = match["qualifier"] or "+"  # type: ignore[assignment]
    name, rest = match["name"].lower(), match["rest"]
    if name not in MECHANISMS:
        raise SpfSyntaxError(f"unknown mechanism {term!r}")
    if name == "all":
        if rest:
            raise SpfSyntaxError(f"'all' takes no argument: {term!r}")
        return Mechanism(qualifier, name)
    if name in ("ip4", "ip6"):
        return Mechanism(qualifier, name, *_parse_ip(name, rest, term))
    value, cidr = _split_cidr(rest, term) if name in ("a", "mx") else (rest, "")
    if value and not value.startswith(":"):
        raise SpfSyntaxError(f"unparsable term {term!r}")
    value = value[1:]
    if name in ("include", "exists") or value or rest.startswith(":"):
        _check_domain_spec(value, term)
    return Mechanism(qualifier, name, value, cidr)


def _split_cidr(rest: str, term: str) -> tuple[str, str]:
    """Split ``:domain/24//64`` into the domain part and a checked dual-cidr-length."""
    match = re.search(r"(/[0-9]*)?(//[0-9]*)?$", rest)
    cidr = match.group(0) if match else ""
    v4, _, v6 = cidr.partition("//")
    if v4:
        _check_prefix(v4[1:], 32, term)
    if "//" in cidr:
        _check_prefix(v6, 128, term)
    return rest[: len(rest) - len(cidr)], cidr


def _parse_ip(name: str, rest: str, term: str) -> tuple[str, str]:
    if not rest.startswith(":") or len(rest) < 2:
        raise SpfSyntaxError(f"{name} needs an address: {term!r}")
    address, slash, prefix = rest[1:].partition("/")
    try:
        if name == "ip4":
            ipaddress.IPv4Address(address)
        else:
            ipaddress.IPv6Address(address)
    except ValueError:
        raise SpfSyntaxError(f"invalid address in {term!r}") from None
    if slash:
        _check_prefix(prefix, 32 if name == "ip4" else 128, term)
    return address, f"/{prefix}" if slash else ""


def _check_prefix(text: str, maximum: int, term: str) -> None:
    # §5.6: a leading zero is not allowed, and the length is 0..32 or 0..128.
    if not text.isdigit() or (len(text) > 1 and text[0] == "0") or int(text) > maximum:
        raise SpfSyntaxError(f"invalid prefix length in {term!r}")


def _check_macro_string(value: str, term: str) -> None:
    stripped = _MACRO.sub("", value)
    if "%" in stripped:
        raise SpfSyntaxError(f"invalid macro in {term!r}")
    if any(ch == " " for ch in stripped):
        raise SpfSyntaxError(f"space in {term!r}")


def _check_domain_spec(value: str, term: str) -> None:
    """A domain-spec (§7.1): a macro-string ending in a top label or a macro."""
    if not value:
        raise SpfSyntaxError(f"missing domain in {term!r}")
    _check_macro_string(value, term)
    if "%" in value:
        return  # expanded per message: only the macro syntax can be judged here
    labels = value.rstrip(".").split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise SpfSyntaxError(f"invalid domain {value!r} in {term!r}")
    if labels[-1].isdigit():
        raise SpfSyntaxError(f"invalid top label in {term!r}")


@dataclass(frozen=True, slots=True)
class Permissiveness:
    permissive: bool
    severity: Literal["high", "medium", ""]
    description: str


def judge_all(qualifier: Qualifier | None) -> Permissiveness:
    """How much the final ``all`` lets others send (checks.md: mail.spf.permissive).

    ``+all`` authorises the whole internet (high); ``?all`` and a missing ``all`` (neutral
    result, §4.7) assert nothing about other senders (medium); ``~all`` and ``-all`` pass.
    """
    if qualifier == "+":
        return Permissiveness(True, "high", "ends in +all: any server may send as the domain")
    if qualifier == "?":
        return Permissiveness(True, "medium", "ends in ?all: other senders are neutral")
    if qualifier is None:
        return Permissiveness(True, "medium", "no 'all' mechanism: other senders are neutral")
    return Permissiveness(False, "", f"ends in {qualifier}all")
