"""Greenbone / OpenVAS results: the GMP XML report and the CSV results export.

Both forms carry the same result rows (host, port, NVT, threat, severity, QoD, description),
so both are normalised into ``_Result`` and mapped by one function:

- NVTs that test exactly what a catalog check tests become that check, at the engine's
  location (``ip:port`` for ``net.*``, ``host:port`` for ``tls.*``, the site's origin for
  ``web.*``), with the catalog severity; the deprecated-protocol NVTs are split per protocol
  from their result text ("providing the deprecated TLSv1.0 and TLSv1.1 protocols"). The
  table ``CATALOG_BY_OID`` lists them, each OID checked against Greenbone's feed.
- every other result is ``openvas.<oid>`` at ``ip:port`` (``ip`` for ``general/…`` ports)
  with the NVT name as title and the severity from the CVSS score Greenbone gives.
- threat ``Log`` (severity 0) is information: status ``info``. Results Greenbone itself marks
  ``False Positive`` (an override), ``Debug`` or ``Error`` are counted in ``info.notes``.

The XML is streamed: a ``<result>`` directly under ``<results>`` is read when it ends, then
removed from the tree. Results nested elsewhere (``<detection><result>``, the host
summaries) are not findings and are skipped.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, BinaryIO

from rempart.engine.catalog import CATALOG
from rempart.engine.checks.services import SMBV1_REFERENCES, where
from rempart.engine.model import Observation, Severity, Status
from rempart.importers.base import (
    FormatSpec,
    Item,
    ReportError,
    ReportInfo,
    clip,
    cves_in,
    severity_word,
)
from rempart.importers.formats.nmap import xml_events, xml_root_name

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element  # types only: parsing is xmlsafe's

TOOL = "openvas"
MAX_URLS = 3

# Greenbone NVTs whose verdict is a catalog check (OIDs from the Greenbone community feed).
CATALOG_BY_OID: dict[str, str] = {
    # SSL/TLS: Deprecated SSLv2 and SSLv3 Protocol Detection (split per protocol)
    "1.3.6.1.4.1.25623.1.0.111012": "tls.protocol.*",
    # SSL/TLS: Deprecated TLSv1.0 and TLSv1.1 Protocol Detection (split per protocol)
    "1.3.6.1.4.1.25623.1.0.117274": "tls.protocol.*",
    # SSL/TLS: Report Weak Cipher Suites (RC4, NULL, EXPORT, anonymous…)
    "1.3.6.1.4.1.25623.1.0.103440": "tls.cipher.weak",
    # SSL/TLS: Report Vulnerable Cipher Suites for HTTPS (3DES: SWEET32)
    "1.3.6.1.4.1.25623.1.0.108031": "tls.cipher.weak",
    # SSL/TLS: OpenSSL CCS Man in the Middle Security Bypass Vulnerability
    "1.3.6.1.4.1.25623.1.0.105042": "tls.vuln.ccs_injection",
    # SSL/TLS: OpenSSL TLS 'heartbeat' Extension Information Disclosure Vulnerability
    "1.3.6.1.4.1.25623.1.0.103936": "tls.vuln.heartbleed",
    # SSL/TLS: Certificate Expired
    "1.3.6.1.4.1.25623.1.0.103955": "tls.cert.expired",
    # SSL/TLS: Certificate Signed Using A Weak Signature Algorithm
    "1.3.6.1.4.1.25623.1.0.105880": "tls.cert.weak_signature",
    # Anonymous FTP Login Reporting
    "1.3.6.1.4.1.25623.1.0.900600": "net.ftp.anonymous",
    # SMBv1 Enabled - Active Check (a Log result: the dialect is offered)
    "1.3.6.1.4.1.25623.1.0.140151": "net.smb.v1",
    # SSL/TLS: HTTP Strict Transport Security (HSTS) Missing (a Log result)
    "1.3.6.1.4.1.25623.1.0.105879": "web.hsts.missing",
}
_PROTOCOLS = {
    "SSLv2": "tls.protocol.sslv2",
    "SSLv3": "tls.protocol.sslv3",
    "TLSv1.0": "tls.protocol.tls10",
    "TLSv1.1": "tls.protocol.tls11",
}
_PROTOCOLS_OF = {  # the protocols each deprecated-protocol NVT can report
    "1.3.6.1.4.1.25623.1.0.111012": ("SSLv2", "SSLv3"),
    "1.3.6.1.4.1.25623.1.0.117274": ("TLSv1.0", "TLSv1.1"),
}
_PROTOCOL_WORD = re.compile(r"\b(SSLv2|SSLv3|TLSv1\.0|TLSv1\.1)\b(?!\+)")
_FOUND_AT = re.compile(r"The product was found at: (\d+)/(?:tcp|udp)", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>\"']+")
_NOT_FINDINGS = {"false positive": "False Positive", "debug": "Debug", "error": "Error"}
_CSV_HEAD = re.compile(
    rb"^(?:\xef\xbb\xbf)?\"?IP\"?,\"?Hostname\"?,\"?Port\"?,\"?Port Protocol\"?,"
)
_GMP_MARKERS = (b"<gmp>", b"<omp>", b"format_id=", b"<report_format", b"<results", b"<nvt oid=")


@dataclass
class _Result:
    """One Greenbone result, whichever export it came from."""

    where: str  # "result 3" (XML) or "line 12" (CSV), for errors
    ip: str
    hostname: str
    port: str  # "443", "" for general/…
    oid: str
    name: str
    threat: str
    score: float | None
    qod: str = ""
    description: str = ""
    summary: str = ""
    solution: str = ""
    cves: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    original_threat: str = ""


# -- XML ---------------------------------------------------------------------------------


def sniff_xml(head: bytes) -> bool:
    root = xml_root_name(head)
    if root == "get_reports_response":
        return True
    return root == "report" and any(marker in head for marker in _GMP_MARKERS)


def parse_xml(stream: BinaryIO, info: ReportInfo) -> Iterator[Item]:
    stack: list[Element] = []
    count = 0
    for event, elem in xml_events(stream):
        if event == "start":
            if not stack and elem.tag not in ("report", "get_reports_response"):
                raise ReportError(
                    f"the root element is <{elem.tag}>, not a Greenbone <report>",
                    where="line 1",
                )
            stack.append(elem)
            continue
        stack.pop()
        parent = stack[-1].tag if stack else ""
        if elem.tag == "result" and parent == "results":
            count += 1
            result = _xml_result(elem, count)
            yield from _observations(result, info)
            stack[-1].remove(elem)  # done with it: memory stays flat
        elif elem.tag == "version" and parent in ("gmp", "omp") and elem.text:
            info.tool_version = f"{parent.upper()} {elem.text.strip()}"
        elif elem.tag == "scan_start" and parent == "report" and elem.text:
            info.scanned_at = _when(elem.text) or info.scanned_at
        elif parent == "report" and elem.tag in ("host", "ports", "ssl_certs", "errors"):
            elem.clear()  # report summaries: not findings, not kept
    if count == 0 and not info.tool_version:
        # A bare <report/> with nothing of GMP inside is not a Greenbone report.
        raise ReportError("no Greenbone report content (no <gmp> version, no <results>)")


def _xml_result(elem: Element, number: int) -> _Result:
    host = elem.find("host")
    ip = (host.text or "").strip() if host is not None else ""
    hostname = (host.findtext("hostname") or "").strip() if host is not None else ""
    if not ip:
        raise ReportError("a result has no host", where=f"result {number}")
    nvt = elem.find("nvt")
    oid = nvt.get("oid", "") if nvt is not None else ""
    tags = _tags(nvt.findtext("tags") or "") if nvt is not None else {}
    cves: list[str] = []
    urls: list[str] = []
    if nvt is not None:
        for ref in nvt.findall("refs/ref"):
            kind, ref_id = ref.get("type", "").lower(), ref.get("id", "")
            if kind == "cve":
                cves.append(ref_id.upper())
            elif kind == "url":
                urls.append(ref_id)
        # GMP 7 and older: <cve>CVE-…, CVE-…</cve> and <xref>URL:…</xref>
        cves += cves_in(nvt.findtext("cve") or "")
        urls += _URL.findall(nvt.findtext("xref") or "")
    port_text = (elem.findtext("port") or "").strip()
    port = port_text.partition("/")[0]
    name = (nvt.findtext("name") if nvt is not None else "") or elem.findtext("name") or ""
    return _Result(
        where=f"result {number}",
        ip=ip,
        hostname=hostname,
        port=port if port.isdigit() else "",
        oid=oid,
        name=" ".join(name.split()),
        threat=(elem.findtext("threat") or "").strip(),
        score=_score(elem.findtext("severity")),
        qod=(elem.findtext("qod/value") or "").strip(),
        description=(elem.findtext("description") or "").strip(),
        summary=tags.get("summary", ""),
        solution=tags.get("solution", ""),
        cves=list(dict.fromkeys(cves)),
        urls=list(dict.fromkeys(urls)),
        original_threat=(elem.findtext("original_threat") or "").strip(),
    )


def _tags(text: str) -> dict[str, str]:
    """NVT tags: ``summary=…|insight=…|solution=…`` (values may span lines)."""
    found: dict[str, str] = {}
    for part in text.split("|"):
        key, sep, value = part.partition("=")
        if sep:
            found[key.strip()] = " ".join(value.split())
    return found


# -- CSV ---------------------------------------------------------------------------------


def sniff_csv(head: bytes) -> bool:
    return _CSV_HEAD.match(head) is not None


def parse_csv(stream: BinaryIO, info: ReportInfo) -> Iterator[Item]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.DictReader(text)
    columns = set(reader.fieldnames or ())
    missing = {"IP", "Port", "NVT OID", "Severity"} - columns
    if missing:
        raise ReportError(
            f"not a Greenbone CSV results export (missing columns: {', '.join(sorted(missing))})",
            where="line 1",
        )
    earliest: datetime | None = None
    for row in reader:
        ip = (row.get("IP") or "").strip()
        if not ip:
            raise ReportError("a result has no IP", where=f"line {reader.line_num}")
        port = (row.get("Port") or "").strip()
        result = _Result(
            where=f"line {reader.line_num}",
            ip=ip,
            hostname=(row.get("Hostname") or "").strip(),
            port=port if port.isdigit() else "",
            oid=(row.get("NVT OID") or "").strip(),
            name=" ".join((row.get("NVT Name") or "").split()),
            threat=(row.get("Severity") or "").strip(),
            score=_score(row.get("CVSS")),
            qod=(row.get("QoD") or "").strip(),
            description=(row.get("Specific Result") or "").strip(),
            summary=" ".join((row.get("Summary") or "").split()),
            solution=" ".join((row.get("Solution") or "").split()),
            cves=cves_in(row.get("CVEs") or ""),
            urls=_URL.findall(row.get("Other References") or ""),
        )
        when = _when(row.get("Timestamp") or "")
        if when is not None and (earliest is None or when < earliest):
            earliest = info.scanned_at = when
        yield from _observations(result, info)


# -- mapping -----------------------------------------------------------------------------


def _observations(result: _Result, info: ReportInfo) -> Iterator[Observation]:
    threat = result.threat.lower()
    if threat in _NOT_FINDINGS:
        info.note(f"Greenbone result marked {_NOT_FINDINGS[threat]} (not a finding)")
        return
    if result.score is not None and result.score < 0:  # -1 false positive, -2 debug, -3 error
        info.note(f"Greenbone result with severity {result.score:g} (not a finding)")
        return
    if not (result.oid or result.name):
        raise ReportError("a result names no NVT (no OID, no name)", where=result.where)
    target = result.hostname or result.ip
    info.targets.add(target)
    if result.oid.upper().startswith("CVE-"):  # the CVE scanner: the "NVT" is the CVE itself
        result.cves = list(dict.fromkeys([*result.cves, *cves_in(result.oid)]))
    if result.port == "":  # the CVE scanner says where it found the product
        found = _FOUND_AT.search(result.description)
        if found:
            result.port = found.group(1)
    check = CATALOG_BY_OID.get(result.oid, "")
    if check == "tls.protocol.*":
        named = dict.fromkeys(_PROTOCOL_WORD.findall(result.description))
        protocols = [p for p in named if p in _PROTOCOLS_OF[result.oid]]
        if protocols and result.port:
            for protocol in protocols:
                yield _mapped(result, _PROTOCOLS[protocol], target)
            return
    elif check and result.port:
        yield _mapped(result, check, target)
        return
    yield _generic(result, target)


def _mapped(result: _Result, check: str, target: str) -> Observation:
    host = result.hostname or result.ip
    port = int(result.port)
    if check.startswith("web."):
        location = f"https://{host}/" if port == 443 else f"https://{host}:{port}/"
    elif check.startswith("tls."):
        location = where(host, port)
    else:
        location = where(result.ip, port)
    return Observation(
        check=check,
        status=Status.FAIL,
        severity=CATALOG[check].severity,
        location=location,
        evidence=_evidence(result),
        references=tuple(result.cves) + (SMBV1_REFERENCES if check == "net.smb.v1" else ()),
        target=target,
        source=TOOL,
        rule=result.oid,
        title=clip(result.name, 300),
        fix=clip(result.solution, 1000),
    )


def _generic(result: _Result, target: str) -> Observation:
    word = severity_word(result.score) if result.score is not None else ""
    evidence = _evidence(result)
    if not word:
        word = severity_word(result.threat)
    if not word:
        word = "info"
        evidence = f"(no severity given: recorded as info) {evidence}"
    is_log = result.threat.lower() == "log" or (result.score == 0.0 and not result.threat)
    location = where(result.ip, int(result.port)) if result.port else result.ip
    rule = result.oid or result.name
    return Observation(
        check=_check_id(rule),
        status=Status.FAIL,  # a result of the scan is a finding, a "Log" one at severity info
        severity=Severity.INFO if is_log else Severity(word),
        location=location,
        evidence=clip(evidence),
        references=tuple(result.cves) + tuple(result.urls[:MAX_URLS]),
        target=target,
        source=TOOL,
        rule=rule,
        title=clip(result.name, 300),
        fix=clip(result.solution, 1000),
    )


def _evidence(result: _Result) -> str:
    head = f"OpenVAS {result.threat or 'unrated'}"
    facts = []
    if result.score is not None:
        facts.append(f"severity {result.score:g}")
    if result.qod:
        facts.append(f"QoD {result.qod}%")
    if result.original_threat and result.original_threat != result.threat:
        facts.append(f"overridden from {result.original_threat}")
    if facts:
        head += f" ({', '.join(facts)})"
    body = " ".join((result.description or result.summary).split())
    return clip(f"{head}: {body}" if body else head)


def _check_id(rule: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]", "-", rule.lower())
    return f"{TOOL}.{slug}"[:120]


def _score(text: str | None) -> float | None:
    try:
        return float(text) if text and text.strip() else None
    except ValueError:
        return None


def _when(text: str) -> datetime | None:
    """Greenbone's ISO 8601 times (``2023-09-28T14:48:02Z``); a time without zone is UTC."""
    try:
        found = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


SPECS = (
    FormatSpec(
        name="openvas-xml",
        tool=TOOL,
        label="Greenbone/OpenVAS XML report",
        sniff=sniff_xml,
        parse=parse_xml,
        extensions=(".xml",),
    ),
    FormatSpec(
        name="openvas-csv",
        tool=TOOL,
        label="Greenbone/OpenVAS CSV results",
        sniff=sniff_csv,
        parse=parse_csv,
        extensions=(".csv",),
    ),
)
