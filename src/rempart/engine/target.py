"""Scan targets: a domain, a host (name or address, optional port) or a URL.

Parsing is strict and gives a one-line reason on junk, so a target list with bad lines
gets a clear message before any traffic.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit


class TargetKind(StrEnum):
    DOMAIN = "domain"
    HOST = "host"
    URL = "url"


class TargetError(ValueError):
    """A target string that cannot be scanned; the message says why."""


_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
MAX_NAME = 253


@dataclass(frozen=True, slots=True)
class Target:
    kind: TargetKind
    name: str  # lower-case host name or address text, no trailing dot
    port: int | None = None
    url: str | None = None

    @property
    def is_ip(self) -> bool:
        try:
            ipaddress.ip_address(self.name)
        except ValueError:
            return False
        return True

    def __str__(self) -> str:
        if self.kind is TargetKind.URL and self.url:
            return self.url
        if self.port is not None:
            host = f"[{self.name}]" if ":" in self.name else self.name
            return f"{host}:{self.port}"
        return self.name


def check_hostname(name: str) -> str:
    """Return the normalised host name or raise TargetError."""
    name = name.strip().rstrip(".").lower()
    if not name:
        raise TargetError("empty host name")
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise TargetError(f"invalid international domain name: {exc}") from None
    if len(name) > MAX_NAME:
        raise TargetError(f"host name longer than {MAX_NAME} characters")
    labels = name.split(".")
    if len(labels) < 2:
        raise TargetError(f"{name!r} is not a fully qualified domain name")
    for label in labels:
        if not _LABEL.match(label):
            raise TargetError(f"invalid label {label!r} in {name!r}")
    if labels[-1].isdigit():
        raise TargetError(f"{name!r} looks like a malformed IP address")
    return name


def parse_target(text: str) -> Target:
    """Parse one target: ``example.fr``, ``host:port``, an IP, or an http(s) URL."""
    raw = text.strip()
    if not raw:
        raise TargetError("empty target")
    if len(raw) > 2048:
        raise TargetError("target longer than 2048 characters")
    if any(ch.isspace() for ch in raw):
        raise TargetError(f"target contains spaces: {raw[:60]!r}")
    if "://" in raw:
        return _parse_url(raw)
    try:
        addr = ipaddress.ip_address(raw.strip("[]"))
    except ValueError:
        pass
    else:
        return Target(TargetKind.HOST, str(addr))
    host, port = _split_port(raw)
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        name = check_hostname(host)
        if port is None:
            return Target(TargetKind.DOMAIN, name)
        return Target(TargetKind.HOST, name, port)
    return Target(TargetKind.HOST, str(addr), port)


def _split_port(raw: str) -> tuple[str, int | None]:
    if raw.startswith("["):
        host, sep, rest = raw[1:].partition("]")
        if not sep:
            raise TargetError(f"unclosed bracket in {raw!r}")
        port_text = rest.removeprefix(":") if rest else ""
        return host, _port(port_text) if port_text else None
    if raw.count(":") == 1:
        host, port_text = raw.split(":")
        return host, _port(port_text)
    return raw, None


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise TargetError(f"invalid port {text!r}")
    return int(text)


def _parse_url(raw: str) -> Target:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https"):
        raise TargetError(f"unsupported URL scheme {parts.scheme!r} (http or https only)")
    if not parts.hostname:
        raise TargetError(f"URL without a host: {raw[:60]!r}")
    try:
        port = parts.port
    except ValueError:
        raise TargetError(f"invalid port in URL {raw[:60]!r}") from None
    host = parts.hostname
    try:
        host = str(ipaddress.ip_address(host))
    except ValueError:
        host = check_hostname(host)
    return Target(TargetKind.URL, host, port, raw)


def parse_target_list(lines: list[str]) -> tuple[list[Target], list[str]]:
    """Parse a target list: returns (unique targets in order, one message per rejected line).

    Blank lines and ``#`` comments are ignored; duplicates are kept once.
    """
    targets: list[Target] = []
    seen: set[Target] = set()
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            target = parse_target(text)
        except TargetError as exc:
            problems.append(f"line {number}: {exc}")
            continue
        if target in seen:
            continue
        seen.add(target)
        targets.append(target)
    return targets, problems
