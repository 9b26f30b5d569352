"""Nessus ``.nessus`` files (``NessusClientData_v2``), including Tenable WAS exports.

Each ``<ReportHost>`` starts with ``<HostProperties>`` (``host-ip``, ``host-fqdn``, scan
times) and lists ``<ReportItem>``s: one plugin's verdict on one port, with ``severity``
0–4 (0 = information), ``risk_factor``, CVE ids, CVSS, solution and the plugin output. The
file is streamed: items are read when they end and dropped, hosts likewise.

Mapping:

- plugins whose verdict is a catalog check become that check, at the engine's location
  (``ip:port`` for ``net.*``, ``host:port`` for ``tls.*``) with the catalog severity; the
  table ``CATALOG_BY_PLUGIN`` lists them (ids checked against Tenable's plugin sources).
  Plugin 20007 ("SSL Version 2 and 3 Protocol Detection") is split per protocol from its
  output. Two plugins meaning one check on one port (51192 and 57582: untrusted and
  self-signed certificate) make one finding.
- the port scanners' "port is open" items (11219 SYN, 10335 TCP) on a risky port become the
  engine's ``net.exposed.*`` at ``ip:port``; on other ports they are plain information.
- every other item is ``nessus.<pluginID>``; severity 0 is status ``info``.
- policy compliance (audit) items carry a pass/fail of their own and are counted in
  ``info.notes``, not imported.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import urlsplit

from rempart.engine.catalog import CATALOG
from rempart.engine.checks.services import EXPOSURE_PORTS, SMBV1_REFERENCES, where
from rempart.engine.model import Observation, Severity, Status
from rempart.importers.base import (
    FormatSpec,
    Item,
    ReportError,
    ReportInfo,
    clip,
    cves_in,
)
from rempart.importers.formats.nmap import xml_events, xml_root_name

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element  # types only: parsing is xmlsafe's

TOOL = "nessus"
MAX_URLS = 3

CATALOG_BY_PLUGIN: dict[str, str] = {
    "20007": "tls.protocol.*",  # SSL Version 2 and 3 Protocol Detection (split per protocol)
    "104743": "tls.protocol.tls10",  # TLS Version 1.0 Protocol Detection
    "157288": "tls.protocol.tls11",  # TLS Version 1.1 Deprecated Protocol
    "65821": "tls.cipher.weak",  # SSL RC4 Cipher Suites Supported (Bar Mitzvah)
    "42873": "tls.cipher.weak",  # SSL Medium Strength Cipher Suites Supported (SWEET32)
    "15901": "tls.cert.expired",  # SSL Certificate Expiry
    "51192": "tls.cert.untrusted",  # SSL Certificate Cannot Be Trusted
    "57582": "tls.cert.untrusted",  # SSL Self-Signed Certificate
    "45411": "tls.cert.hostname_mismatch",  # SSL Certificate with Wrong Hostname
    "35291": "tls.cert.weak_signature",  # SSL Certificate Signed Using Weak Hashing Algorithm
    "73412": "tls.vuln.heartbleed",  # OpenSSL Heartbeat Information Disclosure (Heartbleed)
    "96982": "net.smb.v1",  # Server Message Block (SMB) Protocol Version 1 Enabled
    "10079": "net.ftp.anonymous",  # Anonymous FTP Enabled
}
PORT_SCANNERS = frozenset({"11219", "10335"})  # Nessus SYN scanner, Nessus TCP scanner
_EXPOSURE_BY_PORT = {port: check for check, ports in EXPOSURE_PORTS.items() for port in ports}
_SSL_ENABLED = re.compile(r"\b(SSLv2|SSLv3) is enabled")
_SSL_CHECKS = {"SSLv2": "tls.protocol.sslv2", "SSLv3": "tls.protocol.sslv3"}
_SEVERITY = {
    "0": Severity.INFO,
    "1": Severity.LOW,
    "2": Severity.MEDIUM,
    "3": Severity.HIGH,
    "4": Severity.CRITICAL,
}
_NESSUS_VERSION = re.compile(r"Nessus version\s*:\s*([\w.\-]+)")
_CM = "{http://www.nessus.org/cm}"
_URL = re.compile(r"https?://\S+")


class _Host:
    """One ``<ReportHost>``: its names, and its catalog findings merged per check and place."""

    def __init__(self, name: str) -> None:
        self.name = name.strip()
        self.ip = ""
        self.fqdn = ""
        self.url = self.name if "://" in self.name else ""
        self.merged: dict[tuple[str, str], list[Observation]] = {}
        if _is_ip(self.name):
            self.ip = self.name

    def properties(self, tags: dict[str, str], info: ReportInfo) -> None:
        self.ip = tags.get("host-ip", "").strip() or self.ip
        fqdn = tags.get("host-fqdn", "").strip()
        if "://" in fqdn:  # Tenable WAS: the "host" is the application's URL
            self.url = self.url or fqdn
        else:
            self.fqdn = fqdn
        when = _when(tags.get("HOST_START_TIMESTAMP", "")) or _when(tags.get("HOST_START", ""))
        if when is not None and (info.scanned_at is None or when < info.scanned_at):
            info.scanned_at = when

    @property
    def target(self) -> str:
        if self.url:
            return urlsplit(self.url).hostname or self.url
        if self.fqdn:
            return self.fqdn
        return self.name if self.name and not _is_ip(self.name) else self.ip or self.name

    @property
    def address(self) -> str:
        return self.ip or self.fqdn or self.target

    def location(self, port: int) -> str:
        if self.url:
            return _origin(self.url)
        return where(self.address, port) if port else self.address


def sniff(head: bytes) -> bool:
    return xml_root_name(head) == "NessusClientData_v2"


def parse(stream: BinaryIO, info: ReportInfo) -> Iterator[Item]:
    stack: list[Element] = []
    host: _Host | None = None
    hosts = 0
    for event, elem in xml_events(stream):
        if event == "start":
            if not stack and elem.tag != "NessusClientData_v2":
                reason = f"the root element is <{elem.tag}>, not Nessus' <NessusClientData_v2>"
                if elem.tag == "NessusClientData":
                    reason += " (the old v1 format is not supported)"
                raise ReportError(reason, where="line 1")
            if elem.tag == "ReportHost":
                hosts += 1
                host = _Host(elem.get("name", ""))
                if not host.name:
                    raise ReportError("a <ReportHost> has no name", where=f"host #{hosts}")
            stack.append(elem)
            continue
        stack.pop()
        parent = stack[-1] if stack else None
        if elem.tag == "HostProperties" and host is not None:
            tags = {t.get("name", ""): (t.text or "") for t in elem.findall("tag")}
            host.properties(tags, info)
            info.targets.add(host.target)
        elif elem.tag == "ReportItem" and host is not None and parent is not None:
            info.targets.add(host.target)
            yield from _item(elem, host, info)
            parent.remove(elem)
        elif elem.tag == "ReportHost" and host is not None and parent is not None:
            info.targets.add(host.target)  # also a host without <HostProperties>
            yield from _merged(host)
            host = None
            parent.remove(elem)
        elif elem.tag == "Policy":
            elem.clear()


def _item(elem: Element, host: _Host, info: ReportInfo) -> Iterator[Observation]:
    plugin = elem.get("pluginID", "").strip()
    port = int(elem.get("port", "0") or 0)
    protocol = elem.get("protocol", "tcp").lower()
    output = elem.findtext("plugin_output") or ""
    if plugin == "19506":  # Nessus Scan Information
        found = _NESSUS_VERSION.search(output)
        if found:
            info.tool_version = found.group(1)
    if (
        elem.find(f"{_CM}compliance") is not None
        or elem.find(f"{_CM}compliance-result") is not None
    ):
        info.note("Nessus compliance (audit) result not imported")
        return
    check = CATALOG_BY_PLUGIN.get(plugin, "")
    if plugin in PORT_SCANNERS and protocol == "tcp":
        check = _EXPOSURE_BY_PORT.get(port, "")
    if check == "tls.protocol.*":
        protocols = list(dict.fromkeys(_SSL_ENABLED.findall(output)))
        if protocols and port and not host.url:
            for protocol_name in protocols:
                _merge(host, _mapped(elem, host, _SSL_CHECKS[protocol_name], port))
            return
    elif check and port and not host.url:
        _merge(host, _mapped(elem, host, check, port))
        return
    yield _generic(elem, host, plugin, port)


def _merge(host: _Host, found: Observation) -> None:
    host.merged.setdefault((found.check, found.location), []).append(found)


def _merged(host: _Host) -> Iterator[Observation]:
    for group in host.merged.values():
        first = group[0]
        if len(group) == 1:
            yield first
            continue
        yield Observation(
            check=first.check,
            status=first.status,
            severity=first.severity,
            location=first.location,
            evidence=clip("; ".join(o.evidence for o in group)),
            references=tuple(dict.fromkeys(r for o in group for r in o.references)),
            target=first.target,
            source=TOOL,
            rule="+".join(dict.fromkeys(o.rule for o in group)),
            title=clip(" / ".join(dict.fromkeys(o.title for o in group)), 300),
            fix=first.fix,
        )
    host.merged.clear()


def _mapped(elem: Element, host: _Host, check: str, port: int) -> Observation:
    if check.startswith("tls."):
        location = where(host.fqdn or host.address, port)
    else:
        location = where(host.address, port)
    references = _references(elem)
    if check == "net.smb.v1":
        references = tuple(dict.fromkeys((*references, *SMBV1_REFERENCES)))
    return Observation(
        check=check,
        status=Status.FAIL,
        severity=CATALOG[check].severity,
        location=location,
        evidence=_evidence(elem),
        references=references,
        target=host.target,
        source=TOOL,
        rule=elem.get("pluginID", ""),
        title=clip(elem.get("pluginName", ""), 300),
        fix=_solution(elem),
    )


def _generic(elem: Element, host: _Host, plugin: str, port: int) -> Observation:
    raw = (elem.get("severity") or "").strip()
    severity = _SEVERITY.get(raw)
    evidence = _evidence(elem)
    if severity is None:
        severity = Severity.INFO
        evidence = f"(severity {raw or 'missing'} unknown: recorded as info) {evidence}"
    rule = plugin or elem.get("pluginName", "")
    if not rule:
        raise ReportError("a <ReportItem> has no pluginID", where=f"host {host.name}")
    return Observation(
        check=f"{TOOL}.{re.sub(r'[^a-z0-9._-]', '-', rule.lower())}"[:120],
        status=Status.FAIL,  # a plugin result is a finding, severity 0 (None) at info
        severity=severity,
        location=host.location(port),
        evidence=clip(evidence),
        references=_references(elem),
        target=host.target,
        source=TOOL,
        rule=rule,
        title=clip(elem.get("pluginName") or elem.findtext("plugin_name") or "", 300),
        fix=_solution(elem),
    )


def _evidence(elem: Element) -> str:
    facts = [f"severity {elem.get('severity', '?')}"]
    scores = (
        ("cvss3_base_score", "CVSS v3"),
        ("cvssv3", "CVSS v3"),
        ("cvss_base_score", "CVSS v2"),
        ("cvss", "CVSS v2"),
    )
    for tag, label in scores:
        score = (elem.findtext(tag) or "").strip()
        if score:
            facts.append(f"{label} {score}")
            break
    risk = (elem.findtext("risk_factor") or "").strip() or "None"
    seen = elem.findtext("plugin_output") or elem.findtext("synopsis") or ""
    port = elem.get("port", "0")
    where_seen = f" on {port}/{elem.get('protocol', 'tcp').lower()}" if port != "0" else ""
    text = f"Nessus {risk} ({', '.join(facts)}){where_seen}"
    body = " ".join(seen.split())
    return clip(f"{text}: {body}" if body else text)


def _references(elem: Element) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for cve in elem.findall("cve"):
        for value in cves_in(cve.text or ""):
            found[value] = None
    for cwe in elem.findall("cwe"):
        if (cwe.text or "").strip().isdigit():
            found[f"CWE-{cwe.text.strip()}"] = None  # type: ignore[union-attr]
    for xref in elem.findall("xref"):
        kind, _, value = (xref.text or "").partition(":")
        if kind.strip().upper() == "CWE" and value.strip().isdigit():
            found[f"CWE-{value.strip()}"] = None
    urls: list[str] = []
    for see_also in elem.findall("see_also"):
        urls += _URL.findall(see_also.text or "")
    return tuple(found) + tuple(dict.fromkeys(urls))[:MAX_URLS]


def _solution(elem: Element) -> str:
    text = " ".join((elem.findtext("solution") or "").split())
    return "" if text.lower() == "n/a" else clip(text, 1000)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    scheme = (parts.scheme or "https").lower()
    hostname = parts.hostname or ""
    if ":" in hostname:
        hostname = f"[{hostname}]"
    default = {"https": 443, "http": 80}.get(scheme)
    suffix = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{scheme}://{hostname}{suffix}/"


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _when(text: str) -> datetime | None:
    """HOST_START as epoch seconds, ISO 8601, or ``Mon Jul  1 11:33:11 2013`` (read as UTC)."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        try:
            found = datetime.strptime(text, "%a %b %d %H:%M:%S %Y")
        except ValueError:
            return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


SPEC = FormatSpec(
    name="nessus-xml",
    tool=TOOL,
    label="Nessus XML (.nessus, NessusClientData_v2)",
    sniff=sniff,
    parse=parse,
    extensions=(".nessus", ".xml"),
)
