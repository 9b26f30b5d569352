"""Nuclei results: JSON lines (``-jsonl``/``-o``, one result per line) and JSON (``-je``).

Every result names a template (``template-id``; ``templateID`` before nuclei 2.5), the
matcher that fired (``matcher-name``), what was matched (``matched-at``; ``matched`` in old
versions), and the template's ``info`` (name, severity, classification with CVE/CWE ids).

Results that mean the same thing as a catalog check become that check, so nuclei and the
engine (or nmap, testssl.sh) agree on one finding; the template ids were checked against
projectdiscovery/nuclei-templates:

- ``http-missing-security-headers`` matchers ``strict-transport-security`` (HTTPS only: the
  header means nothing over HTTP), ``content-security-policy``, ``x-frame-options`` (PASS
  instead when the response carries a CSP ``frame-ancestors``, which the catalog check also
  accepts), ``x-content-type-options``, ``referrer-policy`` → ``web.*.missing`` at the origin;
  ``cookies-without-secure`` (HTTPS) and ``cookies-without-httponly`` → ``web.cookie.insecure``;
  ``nginx-version``/``apache-detect`` extracting a ``product/version`` → ``web.server_version``;
  ``security-txt`` → PASS ``web.security_txt.missing``.
- ``deprecated-tls`` and ``tls-version`` → ``tls.protocol.sslv2/sslv3/tls10/tls11`` per version
  accepted (``tls-version`` seeing TLS 1.3 → PASS ``tls.protocol.no_tls13``);
  ``weak-cipher-suites``/``insecure-cipher-suite-detect`` → ``tls.cipher.weak`` only when the
  accepted suite is NULL, anonymous, EXPORT, RC4, DES or 3DES (the catalog's definition;
  ``weak-cipher-suites`` also lists CBC and non-PFS suites, which stay nuclei's own finding);
  ``expired-ssl``, ``self-signed-ssl``, ``untrusted-root-certificate``,
  ``mismatched-ssl-certificate`` → ``tls.cert.*`` at ``host:port``.
- ``rdp-detect``, ``smb-detect``, ``telnet-detect``, ``ftp-detect``, ``vnc-service-detect``,
  database detections (``mysql-detect``, ``pgsql-detect``, ``mssql-detect``,
  ``oracle-tns-listener``, ``mongodb-detect``, ``redis-detect``) → ``net.exposed.*`` at
  ``ip:port``; ``smb-v1-supported`` → ``net.smb.v1``; ``ftp-anonymous-login`` →
  ``net.ftp.anonymous``. Unauthenticated-access templates (``exposed-redis``,
  ``mongodb-unauth``, ``unauth-psql``, ``memcached-stats``) give ``net.exposed.database`` *and*
  nuclei's own finding (the missing authentication is a problem of its own).
- ``caa-fingerprint`` (a CAA record exists) → PASS ``dns.caa``.

Everything else is ``nuclei.<template-id>[:<matcher-name>]`` (slugged), located at the matched
URL for HTTP (path kept), ``host:port`` for network/SSL/JavaScript templates, the name for DNS.
Severity is nuclei's (``unknown`` → info, said in the evidence). Every result nuclei reports
is a finding, whatever its severity: a template of severity ``info`` (``tech-detect``,
``ssl-issuer``…) gives status FAIL with severity INFO, never status INFO, which is kept for
what the tool itself does not count as a result. With ``-matcher-status``, nuclei also writes
non-matches (``matcher-status: false``): for the certificate, SMBv1 and anonymous-FTP
templates that is a PASS; others are only counted.
Extracted values of token/credential templates (tags ``token``, ``secret``, ``keys``…, or
under ``http/exposures/tokens/``) are masked: the secret itself is never copied.
"""

# Speed. Measured with time.process_time() around read_report (as read_path does) on
# bench/results/reports/nuclei-100000.jsonl (100,000 nuclei v3 lines, 96 MB, written by
# ``bench/gen_reports.py nuclei OUT --findings 100000``), best and median of 5 runs on a
# 2-core machine shared with other jobs (figures move by ±20 % from run to run):
#   before  3.6 s (median 4.1 s) of CPU = 28,000 lines/s (median 24,000);
#   after   1.5 s (median 1.6 s) of CPU = 67,000 lines/s (median 61,000);
#           the same code with json instead of orjson: 58,600 lines/s (median 55,900).
# The profile before: urlsplit called twice a line, text() 1.27 million times, the template's
# references (regexes, list walks) rebuilt on every line, json.loads ~6 µs a line. So:
# - orjson decodes a line in ~2.3 µs; ``_decode`` leaves to json the lines where orjson would
#   read anything differently, so values and errors stay json's (its guard costs ~10 %);
# - what a template says (name, severity, references, remediation) is computed once per
#   template and wording (``_template``), what a URL's scheme, host and port give once per
#   site (``_authority``, ``_place``, ``_origin``), the check id once per rule;
# - fields only some results need (tags and template path, to mask secrets; the response, for
#   X-Frame-Options) are read only then: request, response and curl-command, most of a
#   line's bytes, are otherwise never touched after decoding.
# tests/importers/test_nuclei.py checks each of these against the cases where they could
# go wrong (64-bit overflow, lines orjson refuses, 1 == True in cache keys, many URLs of one
# site).

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache
from ipaddress import ip_address
from typing import BinaryIO
from urllib.parse import urlsplit

import orjson

from rempart.engine.catalog import CATALOG
from rempart.engine.model import Observation, Severity, Status
from rempart.importers.base import (
    MAX_TITLE,
    FormatSpec,
    Item,
    ReportError,
    ReportInfo,
    clip,
    cves_in,
    severity_word,
)
from rempart.importers.formats._common import (
    as_dict,
    as_list,
    check_id,
    parse_time,
    skip_bom,
    strip_bom,
    text,
    walk_json,
)

TOOL = "nuclei"

_HEADERS = {
    "strict-transport-security": "web.hsts.missing",
    "content-security-policy": "web.csp.missing",
    "x-frame-options": "web.frame.missing",
    "x-content-type-options": "web.xcto.missing",
    "referrer-policy": "web.referrer_policy.missing",
}
_CERTIFICATES = {
    "expired-ssl": "tls.cert.expired",
    "self-signed-ssl": "tls.cert.untrusted",
    "untrusted-root-certificate": "tls.cert.untrusted",
    "mismatched-ssl-certificate": "tls.cert.hostname_mismatch",
    "mismatched-ssl": "tls.cert.hostname_mismatch",
}
_SERVICES = {
    "rdp-detect": "net.exposed.rdp",
    "smb-detect": "net.exposed.smb",
    "telnet-detect": "net.exposed.telnet",
    "ftp-detect": "net.exposed.ftp",
    "vnc-service-detect": "net.exposed.vnc",
    "mysql-detect": "net.exposed.database",
    "pgsql-detect": "net.exposed.database",
    "mssql-detect": "net.exposed.database",
    "oracle-tns-listener": "net.exposed.database",
    "mongodb-detect": "net.exposed.database",
    "redis-detect": "net.exposed.database",
    "smb-v1-supported": "net.smb.v1",
    "smb-v1-detection": "net.smb.v1",
    "ftp-anonymous-login": "net.ftp.anonymous",
}
# Unauthenticated access: the database is exposed, and that it needs no password is more.
_UNAUTHENTICATED = {
    "exposed-redis": "net.exposed.database",
    "mongodb-unauth": "net.exposed.database",
    "unauth-psql": "net.exposed.database",
    "memcached-stats": "net.exposed.database",
}
# A non-match (-matcher-status) of these templates says the problem is absent.
_NEGATABLE = {
    **_CERTIFICATES,
    "smb-v1-supported": "net.smb.v1",
    "ftp-anonymous-login": "net.ftp.anonymous",
}
_PROTOCOLS = {
    "sslv2": "tls.protocol.sslv2",
    "sslv3": "tls.protocol.sslv3",
    "tls10": "tls.protocol.tls10",
    "tls11": "tls.protocol.tls11",
}
_VERSION_ALIASES = {"ssl2": "sslv2", "ssl20": "sslv2", "ssl3": "sslv3", "ssl30": "sslv3"}
_WEAK_CIPHER = re.compile(r"NULL|anon|EXPORT|EXP-|ADH-|AECDH-|RC4|3DES|_DES_|DES40|DES-CBC")
_PRODUCT_VERSION = re.compile(r"[A-Za-z][\w.-]*/\d")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SECRET_TAGS = frozenset(
    {"token", "tokens", "secret", "secrets", "keys", "credential", "credentials", "password"}
)


# Templates with a mapping of their own (see ``_match``); any other is nuclei's own finding.
_MAPPED = frozenset(
    {
        "http-missing-security-headers",
        "cookies-without-secure",
        "cookies-without-httponly",
        "nginx-version",
        "apache-detect",
        "security-txt",
        "deprecated-tls",
        "tls-version",
        "weak-cipher-suites",
        "insecure-cipher-suite-detect",
        "caa-fingerprint",
        *_CERTIFICATES,
        *_SERVICES,
        *_UNAUTHENTICATED,
    }
)
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_INTEGER = b"0" * 19  # after _DIGITS_AS_ZERO: 19 digits in a row
# Where the part of a URL that names the scheme, host and port ends.
_AUTHORITY_END = re.compile(r"[/?#]")
# Host names, URLs' authorities, rules and template names repeat across a report (one host
# is hit by many templates, one template matches many hosts): what is derived from them is
# computed once. Bounded, so a report of a million distinct hosts keeps memory flat.
_CACHE = 1 << 15


def _looks_like_result(text_: bytes) -> bool:
    return b'"template-id"' in text_ or b'"templateID"' in text_


def _sniff_lines(head: bytes) -> bool:
    head = strip_bom(head).lstrip()
    first = head.split(b"\n", 1)[0]
    return head.startswith(b"{") and _looks_like_result(first) and b'"info"' in first


def _sniff_document(head: bytes) -> bool:
    head = strip_bom(head).lstrip()
    if head.startswith(b"["):
        head = head[1:].lstrip()
    return head.startswith(b"{") and _looks_like_result(head) and b'"info"' in head


def _parse_lines(stream: BinaryIO, info: ReportInfo) -> Iterator[Item]:
    skip_bom(stream)
    for number, line in enumerate(stream, 1):
        if line.isspace():  # the stream never yields b"": a line holds at least b"\n"
            continue
        yield from _result(_decode(line, number), info, f"line {number}")


def _decode(line: bytes, number: int) -> object:
    """One line as Python's ``json`` reads it, by orjson where that gives the same value.

    orjson refuses what ``json`` accepts (lone surrogates, NaN, a byte order mark, nesting
    deeper than 1,024) and what ``json`` reports its own way (invalid UTF-8): ``json`` reads
    those lines, so values and error messages stay ``json``'s. Where both read a line they
    agree, except that orjson turns an integer beyond 64 bits into a float: such an integer
    has 19 digits at least, and a line with 19 digits in a row is left to ``json``.
    """
    if _LONG_INTEGER not in line.translate(_DIGITS_AS_ZERO):
        try:
            return orjson.loads(line)
        except orjson.JSONDecodeError:
            pass
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise ReportError(f"not a JSON object ({exc.msg})", where=f"line {number}") from None
    except UnicodeDecodeError:  # a ValueError too: caught first
        raise ReportError("the text is not UTF-8", where=f"line {number}") from None
    except ValueError as exc:  # an integer beyond Python's 4,300-digit limit
        raise ReportError(f"not a nuclei result ({exc})", where=f"line {number}") from None


def _parse_document(stream: BinaryIO, info: ReportInfo) -> Iterator[Item]:
    skip_bom(stream)
    first = _first_byte(stream)
    if first not in (b"{", b"["):
        raise ReportError("expected a JSON list of nuclei results", where="top level")
    number = 0
    # a list of results, or one result written as a single object
    for _, _, raw in walk_json(stream, build={"item" if first == b"[" else ""}):
        number += 1
        yield from _result(raw, info, f"result #{number}" if first == b"[" else "the result")


def _first_byte(stream: BinaryIO) -> bytes:
    """The first non-blank byte, left in the stream."""
    peek = getattr(stream, "peek", None)
    while peek is not None:
        chunk = bytes(peek(64))
        if not chunk:
            return b""
        stripped = chunk.lstrip()
        if stripped:
            stream.read(len(chunk) - len(stripped))
            return stripped[:1]
        stream.read(len(chunk))
    return b""


def _result(raw: object, info: ReportInfo, where: str) -> list[Observation]:
    if not isinstance(raw, dict):
        raise ReportError("a nuclei result must be a JSON object", where=where)
    template = text(raw.get("template-id")) or text(raw.get("templateID"))
    if not template:
        raise ReportError("a result has no template-id", where=where)
    event = _Event(raw, template)
    if not event.matched:
        raise ReportError(f"a {template} result has no host or matched-at", where=where)
    when = parse_time(raw.get("timestamp"))
    if when and (info.scanned_at is None or when < info.scanned_at):
        info.scanned_at = when
    info.targets.add(event.target)
    if raw.get("matcher-status") is False:
        return _non_match(event, info)
    if template not in _MAPPED:
        return [_own(event)]
    return _match(event)


class _Event:
    """One nuclei result with its fields normalised across nuclei versions.

    Only the fields the mapping reads are touched: ``request``, ``response`` (read only for
    a missing X-Frame-Options), ``curl-command`` and the like are left as decoded.
    """

    __slots__ = (
        "extracted",
        "facts",
        "host",
        "ip",
        "kind",
        "matched",
        "matcher",
        "meta",
        "port",
        "raw",
        "rule",
        "target",
        "template",
    )

    def __init__(self, raw: dict[str, object], template: str) -> None:
        get = raw.get
        self.raw = raw
        self.template = template
        self.meta = meta = as_dict(get("info"))
        self.facts = _template(template, meta)
        self.matcher = matcher = text(get("matcher-name")) or text(get("matcher_name"))
        self.rule = f"{template}:{matcher}" if matcher else template
        self.kind = text(get("type")).lower()
        host_field = text(get("host"))
        self.matched = matched = text(get("matched-at")) or text(get("matched")) or host_field
        extracted = get("extracted-results", get("extracted_results"))
        self.extracted = [e for e in map(text, as_list(extracted)) if e] if extracted else []
        self.ip = text(get("ip"))
        self.host, self.port, named = _place(_authority(matched), text(get("port")), host_field)
        self.target = named or self.host or self.ip

    @property
    def secret(self) -> bool:
        """A token/credential template: its extracted values are the secret itself."""
        tags = {t.lower() for t in _strings(self.meta.get("tags"))}
        path = text(self.raw.get("template-path")) or text(self.raw.get("template"))
        return bool(tags & _SECRET_TAGS) or "/tokens/" in path.replace("\\", "/")

    @property
    def is_http(self) -> bool:
        return self.kind in ("http", "headless") or self.matched.startswith(("http://", "https://"))

    def hostport(self) -> str:
        return _join(self.host, self.port) if self.port else self.host

    def ipport(self) -> str:
        address = self.ip if _is_ip(self.ip) else self.host
        return _join(address, self.port) if self.port else address

    def origin(self) -> str:
        return _origin(_authority(self.matched))

    def evidence(self, *extra: str) -> str:
        facts = self.facts
        said = f"nuclei {self.rule} [{facts.word}]: {facts.name} at {self.matched}"
        if self.extracted:
            secret = self.secret
            said += "; extracted: " + ", ".join(_shown(e, secret) for e in self.extracted)
        if self.ip and self.ip not in self.matched:
            said += f"; ip {self.ip}"
        for part in extra:
            if part:
                said += f"; {part}"
        return clip(said)


def _shown(value: str, secret: bool) -> str:
    """An extracted value, or only its first characters when it is a secret."""
    return f"{value[:4]}… ({len(value)} characters, masked)" if secret else value


def _strings(value: object) -> list[str]:
    """A nuclei field that is a list of strings, a comma/newline separated string, or null."""
    if value is None:
        return []
    if isinstance(value, list):
        return [v for v in map(text, value) if v]
    value = text(value)
    if "," not in value and "\n" not in value:  # one item or none: no split needed
        return [value] if value else []
    return [p.strip() for p in re.split(r"[,\n]", value) if p.strip()]


class _Template:
    """What a result says about its template: the same on every result of that template."""

    __slots__ = ("fix", "name", "references", "severity", "title", "unknown", "word")

    def __init__(self, template: str, meta: dict[str, object]) -> None:
        self.name = text(meta.get("name")) or template
        self.word = text(meta.get("severity")).lower() or "unknown"
        mapped = severity_word(self.word)
        self.severity = Severity(mapped) if mapped else Severity.INFO
        self.unknown = "" if mapped else "nuclei severity unknown, read as info"
        self.title = clip(self.name, MAX_TITLE)
        self.fix = clip(text(meta.get("remediation")), MAX_TITLE)
        # CVE ids, then CWE ids, then up to three of the template's reference URLs
        classification = as_dict(meta.get("classification"))
        cves = [c.upper() for c in _strings(classification.get("cve-id"))]
        cwes = [
            "CWE-" + c.upper().removeprefix("CWE-")
            for c in _strings(classification.get("cwe-id"))
            if c.upper().removeprefix("CWE-").isdigit()
        ]
        links = [
            r.lstrip("- ").strip()
            for r in _strings(meta.get("reference"))
            if r.lstrip("- ").startswith("http")
        ]
        self.references = tuple(
            dict.fromkeys([*cves, *cves_in(self.name, template), *cwes, *links[:3]])
        )


_TEMPLATES: dict[tuple[object, ...], _Template] = {}


def _template(template: str, meta: dict[str, object]) -> _Template:
    """The facts of a result's template, computed once per template (and wording) seen.

    The key holds every field they are made from. Only keys made of strings (lists of
    strings as tuples, or null) are kept, so a hit is exact: a string never equals a
    number (``1 == True == 1.0`` would otherwise mix up templates that differ by type).
    """
    get = meta.get
    reference = get("reference")
    classification = get("classification")
    cve = cwe = None
    if isinstance(classification, dict):
        cve, cwe = classification.get("cve-id"), classification.get("cwe-id")
    key = (
        template,
        get("name"),
        get("severity"),
        get("remediation"),
        tuple(reference) if isinstance(reference, list) else reference,
        tuple(cve) if isinstance(cve, list) else cve,
        tuple(cwe) if isinstance(cwe, list) else cwe,
    )
    try:
        known = _TEMPLATES.get(key)
    except TypeError:  # an object inside a list: not hashable, so not kept
        return _Template(template, meta)
    if known is None:
        known = _Template(template, meta)
        if all(map(_plain, key)):
            if len(_TEMPLATES) >= _CACHE:
                _TEMPLATES.clear()
            _TEMPLATES[key] = known
    return known


def _plain(value: object) -> bool:
    if value is None or type(value) is str:
        return True
    return type(value) is tuple and all(type(v) is str for v in value)


def _authority(url: str) -> str:
    """``url`` cut where its path, query or fragment starts.

    ``urlsplit`` takes the scheme, host and port from this part alone, so the functions
    below that read only those give the same answer for it as for the whole URL, and their
    cache is shared by every path of one site.
    """
    start = url.find("://")
    end = _AUTHORITY_END.search(url, start + 3 if start >= 0 else 0)
    return url[: end.start()] if end else url


@lru_cache(maxsize=_CACHE)
def _place(matched: str, port_field: str, host_field: str) -> tuple[str, int, str]:
    """The host and port a result was matched at, and the host name its ``host`` names."""
    return (*_host_port(matched, port_field), _hostname(host_field))


def _hostname(host_field: str) -> str:
    if not host_field:
        return ""
    parts = urlsplit(host_field if "://" in host_field else f"//{host_field}")
    return (parts.hostname or "").lower()


def _host_port(matched: str, port_field: str) -> tuple[str, int]:
    parts = urlsplit(matched if "://" in matched else f"//{matched}")
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None and port_field.isdigit():
        port = int(port_field)
    if port is None and parts.scheme in _DEFAULT_PORTS:
        port = _DEFAULT_PORTS[parts.scheme]
    return (parts.hostname or "").lower(), port or 0


@lru_cache(maxsize=_CACHE)
def _origin(matched: str) -> str:
    """The site's origin with a trailing slash, default ports left out."""
    parts = urlsplit(matched if "://" in matched else f"https://{matched}")
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    host = (parts.hostname or "").lower()
    host = f"[{host}]" if ":" in host else host
    suffix = f":{port}" if port and port != _DEFAULT_PORTS.get(scheme) else ""
    return f"{scheme}://{host}{suffix}/"


def _join(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@lru_cache(maxsize=_CACHE)
def _is_ip(value: str) -> bool:
    try:
        ip_address(value)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=_CACHE)
def _own_check(rule: str) -> str:
    return check_id(TOOL, rule)


def _catalog(event: _Event, check: str, location: str, status: Status, *extra: str) -> Observation:
    return Observation(
        check=check,
        status=status,
        severity=CATALOG[check].severity,
        location=location,
        evidence=event.evidence(f"nuclei severity {event.facts.word}", *extra),
        references=event.facts.references,
        target=event.target,
        source=TOOL,
        rule=event.rule,
        fix=event.facts.fix,
    )


def _own(event: _Event, location: str = "", *extra: str) -> Observation:
    """nuclei's own finding: a result is a finding (FAIL) whatever its severity."""
    facts = event.facts
    if not location:
        if event.is_http:
            location = event.matched
        elif event.kind == "dns":
            location = event.host or event.matched
        else:
            location = event.hostport() or event.matched
    return Observation(
        check=_own_check(event.rule),
        status=Status.FAIL,
        severity=facts.severity,
        location=location,
        evidence=event.evidence(facts.unknown, *extra),
        references=facts.references,
        target=event.target,
        source=TOOL,
        rule=event.rule,
        title=facts.title,
        fix=facts.fix,
    )


def _match(event: _Event) -> list[Observation]:
    template, matcher = event.template, event.matcher
    https = event.matched.lower().startswith("https://")
    if template == "http-missing-security-headers" and matcher in _HEADERS:
        check = _HEADERS[matcher]
        if check == "web.hsts.missing" and not https:
            return [_own(event, "", "HSTS only applies over HTTPS")]
        if check == "web.frame.missing" and _frame_ancestors(event.raw):
            return [
                _catalog(
                    event,
                    check,
                    event.origin(),
                    Status.PASS,
                    "the Content-Security-Policy sets frame-ancestors, which replaces "
                    "X-Frame-Options",
                )
            ]
        return [_catalog(event, check, event.origin(), Status.FAIL)]
    if template in ("cookies-without-secure", "cookies-without-httponly"):
        if template == "cookies-without-secure" and not https:
            return [_own(event)]
        return [_catalog(event, "web.cookie.insecure", event.origin(), Status.FAIL)]
    if template in ("nginx-version", "apache-detect"):
        if any(_PRODUCT_VERSION.search(e) for e in event.extracted):
            return [_catalog(event, "web.server_version", event.origin(), Status.FAIL)]
        return [_own(event)]
    if template == "security-txt":
        return [_catalog(event, "web.security_txt.missing", event.origin(), Status.PASS)]
    if template in ("deprecated-tls", "tls-version"):
        return _protocols(event)
    if template in ("weak-cipher-suites", "insecure-cipher-suite-detect"):
        weak = [e for e in event.extracted if _WEAK_CIPHER.search(e)]
        if weak:
            return [
                _catalog(
                    event,
                    "tls.cipher.weak",
                    event.hostport(),
                    Status.FAIL,
                    "weak suites: " + ", ".join(weak),
                )
            ]
        return [_own(event)]
    if template in _CERTIFICATES:
        return [_catalog(event, _CERTIFICATES[template], event.hostport(), Status.FAIL)]
    if template in _SERVICES:
        return [_catalog(event, _SERVICES[template], event.ipport(), Status.FAIL)]
    if template in _UNAUTHENTICATED:
        return [
            _catalog(event, _UNAUTHENTICATED[template], event.ipport(), Status.FAIL),
            _own(event, event.ipport()),
        ]
    if template == "caa-fingerprint":
        return [_catalog(event, "dns.caa", event.host or event.matched, Status.PASS)]
    return [_own(event)]


def _protocols(event: _Event) -> list[Observation]:
    """One observation per protocol version the template saw accepted."""
    tokens = [*event.extracted, event.matcher] if event.extracted else [event.matcher]
    versions = []
    for token in tokens:
        key = re.sub(r"[^a-z0-9]", "", token.lower())
        versions.append(_VERSION_ALIASES.get(key, key))
    found: list[Observation] = []
    for version in dict.fromkeys(v for v in versions if v):
        if version in _PROTOCOLS:
            found.append(_catalog(event, _PROTOCOLS[version], event.hostport(), Status.FAIL))
        elif version == "tls13":
            found.append(
                _catalog(
                    event,
                    "tls.protocol.no_tls13",
                    event.hostport(),
                    Status.PASS,
                    "TLS 1.3 accepted",
                )
            )
    return found or [_own(event)]


def _frame_ancestors(raw: dict[str, object]) -> bool:
    response = text(raw.get("response"))
    head = response.split("\r\n\r\n", 1)[0].split("\n\n", 1)[0]
    return any(
        line.lower().startswith("content-security-policy:") and "frame-ancestors" in line.lower()
        for line in head.splitlines()
    )


def _non_match(event: _Event, info: ReportInfo) -> list[Observation]:
    if text(event.raw.get("error")):
        info.note("nuclei could not run a template on a target (matcher-status error)")
        return []
    check = _NEGATABLE.get(event.template)
    if check == "tls.cert.hostname_mismatch" and _is_ip(event.host):
        check = None  # the template only compares names: on an address it says nothing
    if check is None:
        info.note("nuclei templates that did not match (-matcher-status)")
        return []
    location = event.ipport() if check.startswith("net.") else event.hostport()
    return [_catalog(event, check, location, Status.PASS, "the template did not match")]


SPECS = (
    FormatSpec(
        name="nuclei-jsonl",
        tool=TOOL,
        label="Nuclei JSON lines (-jsonl)",
        sniff=_sniff_lines,
        parse=_parse_lines,
        extensions=(".jsonl", ".json"),
    ),
    FormatSpec(
        name="nuclei-json",
        tool=TOOL,
        label="Nuclei JSON (-json-export)",
        sniff=_sniff_document,
        parse=_parse_document,
        extensions=(".json",),
    ),
)
