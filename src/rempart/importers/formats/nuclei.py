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
Severity is nuclei's (``unknown`` → info, said in the evidence); a template of severity
``info`` is information (status INFO), any other severity a problem (FAIL). With
``-matcher-status``, nuclei also writes non-matches (``matcher-status: false``): for the
certificate, SMBv1 and anonymous-FTP templates that is a PASS; others are only counted.
Extracted values of token/credential templates (tags ``token``, ``secret``, ``keys``…, or
under ``http/exposures/tokens/``) are masked: the secret itself is never copied.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from ipaddress import ip_address
from typing import BinaryIO
from urllib.parse import urlsplit

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
from rempart.importers.formats.cyclonedx import (
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
_NON_HTTP = frozenset({"network", "tcp", "ssl", "javascript", "js"})


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
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ReportError(f"not a JSON object ({exc.msg})", where=where) from None
        except ValueError as exc:  # an integer beyond Python's 4,300-digit limit
            raise ReportError(f"not a nuclei result ({exc})", where=where) from None
        except UnicodeDecodeError:
            raise ReportError("the text is not UTF-8", where=where) from None
        yield from _result(raw, info, where)


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


def _result(raw: object, info: ReportInfo, where: str) -> Iterator[Observation]:
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
        yield from _non_match(event, info)
        return
    yield from _match(event)


class _Event:
    """One nuclei result with its fields normalised across nuclei versions."""

    def __init__(self, raw: dict[str, object], template: str) -> None:
        self.raw = raw
        self.template = template
        meta = as_dict(raw.get("info"))
        self.name = text(meta.get("name")) or template
        self.word = text(meta.get("severity")).lower() or "unknown"
        self.matcher = text(raw.get("matcher-name")) or text(raw.get("matcher_name"))
        self.kind = text(raw.get("type")).lower()
        self.matched = (
            text(raw.get("matched-at")) or text(raw.get("matched")) or text(raw.get("host"))
        )
        extracted = raw.get("extracted-results", raw.get("extracted_results"))
        self.extracted = [text(e) for e in as_list(extracted) if text(e)]
        tags = {t.lower() for t in _strings(meta.get("tags"))}
        path = text(raw.get("template-path")) or text(raw.get("template"))
        # Token/credential templates extract the secret itself: never copy it.
        self.secret = bool(tags & _SECRET_TAGS) or "/tokens/" in path.replace("\\", "/")
        self.ip = text(raw.get("ip"))
        self.host, self.port = _host_port(self.matched, text(raw.get("port")))
        host_field = text(raw.get("host"))
        self.target = _hostname(host_field) or self.host or self.ip
        classification = as_dict(meta.get("classification"))
        references = [
            text(r).lstrip("- ").strip()
            for r in _strings(meta.get("reference"))
            if text(r).lstrip("- ").startswith("http")
        ]
        cves = [c.upper() for c in _strings(classification.get("cve-id")) if c]
        cwes = [
            "CWE-" + c.upper().removeprefix("CWE-")
            for c in _strings(classification.get("cwe-id"))
            if c.upper().removeprefix("CWE-").isdigit()
        ]
        self.references = tuple(
            dict.fromkeys([*cves, *cves_in(self.name, template), *cwes, *references[:3]])
        )
        self.remediation = text(meta.get("remediation"))

    @property
    def rule(self) -> str:
        return f"{self.template}:{self.matcher}" if self.matcher else self.template

    @property
    def is_http(self) -> bool:
        return self.kind in ("http", "headless") or self.matched.startswith(("http://", "https://"))

    def hostport(self) -> str:
        return _join(self.host, self.port) if self.port else self.host

    def ipport(self) -> str:
        address = self.ip if _is_ip(self.ip) else self.host
        return _join(address, self.port) if self.port else address

    def origin(self) -> str:
        parts = urlsplit(self.matched if "://" in self.matched else f"https://{self.matched}")
        scheme = parts.scheme.lower()
        try:
            port = parts.port
        except ValueError:
            port = None
        host = (parts.hostname or "").lower()
        host = f"[{host}]" if ":" in host else host
        suffix = f":{port}" if port and port != _DEFAULT_PORTS.get(scheme) else ""
        return f"{scheme}://{host}{suffix}/"

    def evidence(self, *extra: str) -> str:
        parts = [
            f"nuclei {self.rule} [{self.word}]: {self.name} at {self.matched}",
            ("extracted: " + ", ".join(_shown(e, self.secret) for e in self.extracted))
            if self.extracted
            else "",
            f"ip {self.ip}" if self.ip and self.ip not in self.matched else "",
            *extra,
        ]
        return clip("; ".join(p for p in parts if p))

    def severity(self) -> Severity:
        word = severity_word(self.word)
        return Severity(word) if word else Severity.INFO


def _shown(value: str, secret: bool) -> str:
    """An extracted value, or only its first characters when it is a secret."""
    return f"{value[:4]}… ({len(value)} characters, masked)" if secret else value


def _strings(value: object) -> list[str]:
    """A nuclei field that is a list of strings, a comma/newline separated string, or null."""
    if isinstance(value, list):
        return [text(v) for v in value if text(v)]
    return [p.strip() for p in re.split(r"[,\n]", text(value)) if p.strip()]


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


def _join(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _is_ip(value: str) -> bool:
    try:
        ip_address(value)
    except ValueError:
        return False
    return True


def _catalog(event: _Event, check: str, location: str, status: Status, *extra: str) -> Observation:
    return Observation(
        check=check,
        status=status,
        severity=CATALOG[check].severity,
        location=location,
        evidence=event.evidence(f"nuclei severity {event.word}", *extra),
        references=event.references,
        target=event.target,
        source=TOOL,
        rule=event.rule,
        fix=clip(event.remediation, MAX_TITLE),
    )


def _own(event: _Event, location: str = "", *extra: str) -> Observation:
    severity = event.severity()
    unknown = "" if severity_word(event.word) else "nuclei severity unknown, read as info"
    if not location:
        if event.is_http:
            location = event.matched
        elif event.kind == "dns":
            location = event.host or event.matched
        else:
            location = event.hostport() or event.matched
    return Observation(
        check=check_id(TOOL, event.rule),
        status=Status.INFO if severity is Severity.INFO else Status.FAIL,
        severity=severity,
        location=location,
        evidence=event.evidence(unknown, *extra),
        references=event.references,
        target=event.target,
        source=TOOL,
        rule=event.rule,
        title=clip(event.name, MAX_TITLE),
        fix=clip(event.remediation, MAX_TITLE),
    )


def _match(event: _Event) -> Iterator[Observation]:
    template, matcher = event.template, event.matcher
    https = event.matched.lower().startswith("https://")
    if template == "http-missing-security-headers" and matcher in _HEADERS:
        check = _HEADERS[matcher]
        if check == "web.hsts.missing" and not https:
            yield _own(event, "", "HSTS only applies over HTTPS")
        elif check == "web.frame.missing" and _frame_ancestors(event.raw):
            yield _catalog(
                event,
                check,
                event.origin(),
                Status.PASS,
                "the Content-Security-Policy sets frame-ancestors, which replaces X-Frame-Options",
            )
        else:
            yield _catalog(event, check, event.origin(), Status.FAIL)
    elif template in ("cookies-without-secure", "cookies-without-httponly"):
        if template == "cookies-without-secure" and not https:
            yield _own(event)
        else:
            yield _catalog(event, "web.cookie.insecure", event.origin(), Status.FAIL)
    elif template in ("nginx-version", "apache-detect"):
        if any(_PRODUCT_VERSION.search(e) for e in event.extracted):
            yield _catalog(event, "web.server_version", event.origin(), Status.FAIL)
        else:
            yield _own(event)
    elif template == "security-txt":
        yield _catalog(event, "web.security_txt.missing", event.origin(), Status.PASS)
    elif template in ("deprecated-tls", "tls-version"):
        yield from _protocols(event)
    elif template in ("weak-cipher-suites", "insecure-cipher-suite-detect"):
        weak = [e for e in event.extracted if _WEAK_CIPHER.search(e)]
        if weak:
            yield _catalog(
                event,
                "tls.cipher.weak",
                event.hostport(),
                Status.FAIL,
                "weak suites: " + ", ".join(weak),
            )
        else:
            yield _own(event)
    elif template in _CERTIFICATES:
        yield _catalog(event, _CERTIFICATES[template], event.hostport(), Status.FAIL)
    elif template in _SERVICES:
        yield _catalog(event, _SERVICES[template], event.ipport(), Status.FAIL)
    elif template in _UNAUTHENTICATED:
        yield _catalog(event, _UNAUTHENTICATED[template], event.ipport(), Status.FAIL)
        yield _own(event, event.ipport())
    elif template == "caa-fingerprint":
        yield _catalog(event, "dns.caa", event.host or event.matched, Status.PASS)
    else:
        yield _own(event)


def _protocols(event: _Event) -> Iterator[Observation]:
    """One observation per protocol version the template saw accepted."""
    tokens = [*event.extracted, event.matcher] if event.extracted else [event.matcher]
    versions = []
    for token in tokens:
        key = re.sub(r"[^a-z0-9]", "", token.lower())
        versions.append(_VERSION_ALIASES.get(key, key))
    found = False
    for version in dict.fromkeys(v for v in versions if v):
        if version in _PROTOCOLS:
            found = True
            yield _catalog(event, _PROTOCOLS[version], event.hostport(), Status.FAIL)
        elif version == "tls13":
            found = True
            yield _catalog(
                event, "tls.protocol.no_tls13", event.hostport(), Status.PASS, "TLS 1.3 accepted"
            )
    if not found:
        yield _own(event)


def _frame_ancestors(raw: dict[str, object]) -> bool:
    response = text(raw.get("response"))
    head = response.split("\r\n\r\n", 1)[0].split("\n\n", 1)[0]
    return any(
        line.lower().startswith("content-security-policy:") and "frame-ancestors" in line.lower()
        for line in head.splitlines()
    )


def _non_match(event: _Event, info: ReportInfo) -> Iterator[Observation]:
    if text(event.raw.get("error")):
        info.note("nuclei could not run a template on a target (matcher-status error)")
        return
    check = _NEGATABLE.get(event.template)
    if check == "tls.cert.hostname_mismatch" and _is_ip(event.host):
        check = None  # the template only compares names: on an address it says nothing
    if check is None:
        info.note("nuclei templates that did not match (-matcher-status)")
        return
    location = event.ipport() if check.startswith("net.") else event.hostport()
    yield _catalog(event, check, location, Status.PASS, "the template did not match")


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
