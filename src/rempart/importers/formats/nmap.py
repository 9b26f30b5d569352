"""nmap XML output (``-oX``): exposed services, disclosed versions and a few NSE scripts.

The report is streamed (``xml_events``, safe as defusedxml): each ``<host>`` is read when it
ends, turned into observations, then dropped, so memory stays flat on a scan of thousands of
hosts. What is mapped, per host whose ``<status state="up">``:

- an **open** TCP port from the engine's risky list (``net.*`` in checks.md) becomes the
  engine's ``net.exposed.*`` id at ``ip:port``, status fail. nmap's service detection
  (``method="probed"``) also catches those services on other ports (MySQL on 3307).
- a risky check none of whose ports is open is a **pass** at ``ip`` — but only when every
  port of that check was scanned (``<scaninfo services=…>``): a scan of 3306 alone says
  nothing about PostgreSQL. ``filtered`` counts as closed, as in the engine; a port nmap
  could not tell (``open|filtered``) blocks the pass.
- an open port whose service shows a ``version`` is ``net.service.version`` (fail, as the
  engine reports a disclosed version); any other open port is ``nmap.open-port`` (info).
- NSE scripts: ``smb-protocols`` (``net.smb.v1`` fail when NT LM 0.12 is offered, pass when
  only SMB2+ is), ``ftp-anon`` (``net.ftp.anonymous``), ``vulners`` (``nmap.vulners``, one
  per service, CVE ids as references), ``ssl-enum-ciphers`` (``tls.protocol.sslv3/tls10/
  tls11``, ``tls.cipher.weak``, ``tls.compression``; on port 25 the protocols become the
  engine's ``mail.starttls.legacy_tls``) and ``sslv2`` (``tls.protocol.sslv2``). Other script
  output is counted in ``info.notes``.

A version nmap only infers ("vsftpd 2.0.8 or later") is not a disclosed version: no
``net.service.version``, the text stays in the port's evidence. ``vulners`` takes its
severity from the highest CVSS score it lists.

``open|filtered`` ports (UDP, FIN/NULL scans) and hosts that are down become notes.

``xml_events`` and ``xml_root_name`` at the end are shared with the other XML formats.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, BinaryIO

from rempart.engine.catalog import CATALOG
from rempart.engine.checks.services import (
    EXPOSURE_PORTS,
    SMBV1_REFERENCES,
    where,
)
from rempart.engine.model import Observation, Severity, Status
from rempart.importers.base import (
    FormatSpec,
    Item,
    ReportError,
    ReportInfo,
    clip,
    severity_word,
)
from rempart.importers.xmlsafe import iterparse

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element  # types only: parsing is xmlsafe's

TOOL = "nmap"
MAX_CVES = 50
SMTP_PORT = 25

_EXPOSURE_BY_PORT: dict[int, str] = {
    port: check for check, ports in EXPOSURE_PORTS.items() for port in ports
}
# nmap service names (nmap-services / nmap-service-probes) of the risky services, for a
# service that -sV identified on a port that is not its usual one.
_EXPOSURE_BY_SERVICE: dict[str, str] = {
    "microsoft-ds": "net.exposed.smb",
    "netbios-ssn": "net.exposed.smb",
    "ms-wbt-server": "net.exposed.rdp",
    "telnet": "net.exposed.telnet",
    "ftp": "net.exposed.ftp",
    "mysql": "net.exposed.database",
    "postgresql": "net.exposed.database",
    "ms-sql-s": "net.exposed.database",
    "oracle-tns": "net.exposed.database",
    "mongodb": "net.exposed.database",
    "mongod": "net.exposed.database",
    "redis": "net.exposed.database",
    "couchdb": "net.exposed.database",
    "memcached": "net.exposed.database",
    "elasticsearch": "net.exposed.database",
    "vnc": "net.exposed.vnc",
    "wsman": "net.exposed.winrm",
    "wsmans": "net.exposed.winrm",
}
_TLS_PROTOCOLS = {
    "SSLv3": "tls.protocol.sslv3",
    "TLSv1.0": "tls.protocol.tls10",
    "TLSv1.1": "tls.protocol.tls11",
}
# NULL, anonymous, EXPORT, RC4, DES and 3DES suites (checks.md: tls.cipher.weak).
_WEAK_CIPHER = re.compile(r"_NULL_|_NULL$|_anon_|EXPORT|_RC4_|_DES_|_DES40_|3DES|_DES_CBC_")
_CVE_ID = re.compile(r"CVE-\d{4}-\d{4,}", re.IGNORECASE)
_INFERRED_VERSION = re.compile(r"\bor (?:later|earlier|newer|older)\b", re.IGNORECASE)
_SMBV1_DIALECT = re.compile(r"NT LM 0\.12|SMBv1", re.IGNORECASE)


def sniff(head: bytes) -> bool:
    return xml_root_name(head) == "nmaprun"


def parse(stream: BinaryIO, info: ReportInfo) -> Iterator[Item]:
    scanned: dict[str, list[tuple[int, int]]] = {}
    depth = 0
    root: Element | None = None
    hosts = 0
    for event, elem in xml_events(stream):
        if event == "start":
            depth += 1
            if root is None:
                root = elem
                if elem.tag != "nmaprun":
                    raise ReportError(
                        f"the root element is <{elem.tag}>, not nmap's <nmaprun>",
                        where="line 1",
                    )
                _run_facts(elem, info)
            continue
        depth -= 1
        if depth != 1 or root is None:
            continue
        if elem.tag == "scaninfo":
            ranges = scanned.setdefault(elem.get("protocol", "tcp"), [])
            ranges.extend(_port_ranges(elem.get("services", "")))
        elif elem.tag == "host":
            hosts += 1
            yield from _host(elem, hosts, scanned, info)
        elif elem.tag == "runstats":
            finished = elem.find("finished")
            if finished is not None and finished.get("exit") == "error":
                info.note(f"nmap stopped with an error: {clip(finished.get('errormsg'), 200)}")
        del root[:]  # the element is done with: memory stays flat whatever the host count
    if root is None:
        raise ReportError("the file holds no XML element", where="line 1")


def _run_facts(run: Element, info: ReportInfo) -> None:
    info.tool_version = run.get("version", "")
    start = run.get("start", "")
    if start.isdigit():
        info.scanned_at = datetime.fromtimestamp(int(start), UTC)


def _port_ranges(services: str) -> Iterator[tuple[int, int]]:
    """``"21-23,80,T:443"`` → (21, 23), (80, 80), (443, 443)."""
    for part in services.split(","):
        part = part.strip().split(":")[-1]
        if not part:
            continue
        low, _, high = part.partition("-")
        if low.isdigit() and (not high or high.isdigit()):
            yield int(low), int(high or low)


def _scanned(ranges: Iterable[tuple[int, int]], port: int) -> bool:
    return any(low <= port <= high for low, high in ranges)


# -- one host -----------------------------------------------------------------------------


class _Host:
    """What one ``<host>`` says, in the shape the mapping needs."""

    def __init__(self, elem: Element, number: int) -> None:
        status = elem.find("status")
        self.state = status.get("state", "") if status is not None else "up"
        self.ip = ""
        for kind in ("ipv4", "ipv6"):
            for address in elem.findall("address"):
                if address.get("addrtype") == kind and not self.ip:
                    self.ip = address.get("addr", "")
        names = elem.findall("hostnames/hostname")
        chosen = [n for n in names if n.get("type") == "user"] or [
            n for n in names if n.get("type") == "PTR"
        ]
        self.name = chosen[0].get("name", "") if chosen else ""
        if not self.ip and self.state == "up":
            raise ReportError("a <host> has no IP address", where=f"host #{number}")
        self.target = self.name or self.ip
        self.tls_host = self.name or self.ip

    def at(self, port: int) -> str:
        return where(self.ip, port)


def _host(
    elem: Element, number: int, scanned: dict[str, list[tuple[int, int]]], info: ReportInfo
) -> Iterator[Observation]:
    host = _Host(elem, number)
    if host.state != "up":
        info.note(f"host {host.state or 'not up'}")  # "host down"
        return
    info.targets.add(host.target)
    states: dict[tuple[str, int], str] = {}
    open_tcp: set[int] = set()
    failed: set[str] = set()
    for port_elem in elem.findall("ports/port"):
        protocol = port_elem.get("protocol", "tcp")
        port = int(port_elem.get("portid", ""))
        state_elem = port_elem.find("state")
        state = state_elem.get("state", "") if state_elem is not None else ""
        states[protocol, port] = state
        if state != "open":
            if state == "open|filtered":
                info.note("port open|filtered: nmap could not tell whether it is open")
            continue
        if protocol == "tcp":
            open_tcp.add(port)
        for found in _open_port(host, protocol, port, port_elem, info):
            if found.status is Status.FAIL:
                failed.add(found.check)
            yield found
    yield from _passes(host, elem, states, scanned.get("tcp", []), failed)
    for script in elem.findall("hostscript/script"):
        if script.get("id") == "smb-protocols":
            yield _smb_protocols(host, script, open_tcp)
        else:
            info.note(f"nmap host script {script.get('id')} not imported")


def _service_text(protocol: str, port: int, service: Element | None) -> str:
    text = f"{port}/{protocol} open"
    if service is None:
        return text
    name = service.get("name", "")
    if service.get("tunnel"):
        name = f"{service.get('tunnel')}/{name}"
    words = [name, service.get("product", ""), service.get("version", "")]
    if service.get("extrainfo"):
        words.append(f"({service.get('extrainfo')})")
    return " ".join([text, *(w for w in words if w)])


def _open_port(
    host: _Host, protocol: str, port: int, port_elem: Element, info: ReportInfo
) -> Iterator[Observation]:
    service = port_elem.find("service")
    rule = f"{port}/{protocol}"
    seen = "nmap: " + _service_text(protocol, port, service)
    exposure = _EXPOSURE_BY_PORT.get(port) if protocol == "tcp" else None
    if exposure is None and service is not None and service.get("method") == "probed":
        exposure = _EXPOSURE_BY_SERVICE.get(service.get("name", ""))
        if exposure is not None:
            seen += " (identified by service detection on a non-standard port)"
    version = service.get("version", "") if service is not None else ""
    if _INFERRED_VERSION.search(version):  # "2.0.8 or later": nmap's guess, not a banner
        seen += " (version inferred by nmap, not disclosed)"
        version = ""
    if exposure is not None:
        yield _observe(exposure, Status.FAIL, host.at(port), seen, host=host, rule=rule)
    if service is not None and version:
        product = service.get("product") or service.get("name", "")
        cpes = [c.text or "" for c in service.findall("cpe") if c.text]
        detail = ", ".join([f"nmap {service.get('name', '')}".strip(), *cpes])
        yield _observe(
            "net.service.version",
            Status.FAIL,
            host.at(port),
            f"{product} {version} ({detail})",
            host=host,
            rule=rule,
        )
    elif exposure is None:
        yield _observe(
            "nmap.open-port",
            Status.INFO,
            host.at(port),
            seen,
            host=host,
            rule=rule,
            title=f"Open port {rule}",
        )
    for script in port_elem.findall("script"):
        yield from _port_script(host, port, script, info)


def _passes(
    host: _Host,
    elem: Element,
    states: dict[tuple[str, int], str],
    tcp_ranges: list[tuple[int, int]],
    failed: set[str],
) -> Iterator[Observation]:
    """A risky check passes at ``ip`` when all its ports were scanned and none is open."""
    extra = {e.get("state", "") for e in elem.findall("ports/extraports")}
    unlisted = extra.pop() if len(extra) == 1 else "closed or filtered"
    answered = any(s in ("open", "closed", "unfiltered") for s in states.values()) or any(
        e.get("state") in ("closed", "unfiltered") for e in elem.findall("ports/extraports")
    )
    for check, ports in EXPOSURE_PORTS.items():
        if check in failed or not all(_scanned(tcp_ranges, p) for p in ports):
            continue
        seen = {p: states.get(("tcp", p), unlisted) for p in ports}
        if any(s not in ("closed", "filtered", "closed or filtered") for s in seen.values()):
            continue  # open|filtered, unknown: nmap could not tell
        evidence = "nmap: " + ", ".join(f"{p}/tcp {s}" for p, s in seen.items())
        if not answered:
            evidence += "; no scanned port answered (filtered, or the host is down)"
        yield _observe(check, Status.PASS, host.ip, evidence, host=host, rule="port scan")


# -- NSE scripts -----------------------------------------------------------------------------


def _port_script(
    host: _Host, port: int, script: Element, info: ReportInfo
) -> Iterator[Observation]:
    script_id = script.get("id", "")
    output = script.get("output", "")
    if script_id == "ftp-anon":
        if "Anonymous FTP login allowed" in output:
            yield _observe(
                "net.ftp.anonymous",
                Status.FAIL,
                host.at(port),
                "nmap ftp-anon: " + " ".join(output.split()),
                host=host,
                rule=script_id,
            )
        else:
            info.note("nmap ftp-anon output without an anonymous login")
    elif script_id == "vulners":
        found = _vulners(host, port, script)
        if found is None:
            info.note("nmap vulners output without any entry")
        else:
            yield found
    elif script_id == "ssl-enum-ciphers":
        yield from _ssl_enum_ciphers(host, port, script)
    elif script_id == "sslv2":
        if "SSLv2 supported" in output:
            yield _observe(
                "tls.protocol.sslv2",
                Status.FAIL,
                where(host.tls_host, port),
                "nmap sslv2: " + " ".join(output.split()),
                host=host,
                rule=script_id,
            )
        else:
            info.note("nmap sslv2 output without SSLv2 support")
    else:
        info.note(f"nmap script {script_id} not imported")


def _smb_protocols(host: _Host, script: Element, open_tcp: set[int]) -> Observation:
    dialects = [e.text or "" for e in script.iter("elem") if e.text]
    if not dialects:  # old output without the structured table
        dialects = [line.strip() for line in script.get("output", "").splitlines()[2:]]
    port = 445 if 445 in open_tcp or 139 not in open_tcp else 139
    evidence = "nmap smb-protocols: dialects " + ", ".join(d for d in dialects if d)
    if any(_SMBV1_DIALECT.search(d) for d in dialects):
        return _observe(
            "net.smb.v1",
            Status.FAIL,
            host.at(port),
            evidence,
            host=host,
            rule="smb-protocols",
            references=SMBV1_REFERENCES,
        )
    return _observe(
        "net.smb.v1", Status.PASS, host.at(port), evidence, host=host, rule="smb-protocols"
    )


def _vulners(host: _Host, port: int, script: Element) -> Observation | None:
    """One observation per service: the CVE ids vulners.com lists for its CPE."""
    entries: list[tuple[str, float, bool]] = []  # (id, cvss, is exploit)
    cpes: list[str] = []
    for table in script.iter("table"):
        fields = {e.get("key"): (e.text or "") for e in table.findall("elem")}
        if "id" in fields:
            entries.append(
                (fields["id"], _float(fields.get("cvss")), fields.get("is_exploit") == "true")
            )
        elif table.get("key"):
            cpes.append(table.get("key", ""))
    if not entries:  # nmap before 7.80 wrote only the text: "\tID\tCVSS\tURL[\t*EXPLOIT*]"
        for line in script.get("output", "").splitlines():
            words = line.split()
            if len(words) == 1 and words[0].startswith("cpe:"):
                cpes.append(words[0].rstrip(":"))
            elif len(words) >= 2 and _is_number(words[1]):
                entries.append((words[0], float(words[1]), "*EXPLOIT*" in words))
    if not entries:
        return None
    cves = list(dict.fromkeys(i.upper() for i, _, _ in entries if _CVE_ID.fullmatch(i)))
    top = max(score for _, score, _ in entries)
    exploits = sum(1 for _, _, is_exploit in entries if is_exploit)
    best = sorted(((s, i) for i, s, _ in entries if _CVE_ID.fullmatch(i)), reverse=True)[:10]
    evidence = (
        f"vulners: {len(entries)} entries for {', '.join(cpes) or 'the service'} "
        f"({len(cves)} CVE ids, highest CVSS {top:g}, {exploits} public exploits)"
    )
    if best:
        evidence += "; " + ", ".join(f"{i} ({s:g})" for s, i in best)
    return _observe(
        "nmap.vulners",
        Status.FAIL,
        host.at(port),
        evidence,
        host=host,
        rule="vulners",
        severity=Severity(severity_word(top) or "info"),
        title=f"Known vulnerabilities of {', '.join(cpes) or 'the service'} (vulners.com)",
        references=tuple(cves[:MAX_CVES]),
    )


def _ssl_enum_ciphers(host: _Host, port: int, script: Element) -> Iterator[Observation]:
    location = where(host.tls_host, port)
    offered: list[str] = []
    weak: list[str] = []
    compressors: set[str] = set()
    for table in script.findall("table"):
        protocol = table.get("key", "")
        offered.append(protocol)
        for cipher in table.findall("table[@key='ciphers']/table"):
            name = next((e.text or "" for e in cipher.findall("elem[@key='name']")), "")
            if _WEAK_CIPHER.search(name) and name not in weak:
                weak.append(name)
        for compressor in table.findall("table[@key='compressors']/elem"):
            if compressor.text and compressor.text != "NULL":
                compressors.add(compressor.text)
    if not offered:
        return
    listed = "nmap ssl-enum-ciphers: offers " + ", ".join(offered)
    legacy = [p for p in _TLS_PROTOCOLS if p in offered]
    if port == SMTP_PORT:  # STARTTLS on an MX: the engine's mail check, not the web TLS ones
        yield _observe(
            "mail.starttls.legacy_tls",
            Status.FAIL if legacy else Status.PASS,
            location,
            listed,
            host=host,
            rule="ssl-enum-ciphers",
        )
    else:
        for protocol, check in _TLS_PROTOCOLS.items():
            status = Status.FAIL if protocol in legacy else Status.PASS
            yield _observe(check, status, location, listed, host=host, rule="ssl-enum-ciphers")
    yield _observe(
        "tls.cipher.weak",
        Status.FAIL if weak else Status.PASS,
        location,
        "nmap ssl-enum-ciphers: weak suites " + ", ".join(weak)
        if weak
        else listed + "; no NULL, anonymous, EXPORT, RC4, DES or 3DES suite",
        host=host,
        rule="ssl-enum-ciphers",
    )
    yield _observe(
        "tls.compression",
        Status.FAIL if compressors else Status.PASS,
        location,
        "nmap ssl-enum-ciphers: compressors " + (", ".join(sorted(compressors)) or "NULL only"),
        host=host,
        rule="ssl-enum-ciphers",
    )


# -- small helpers -----------------------------------------------------------------------------


def _observe(
    check: str,
    status: Status,
    location: str,
    evidence: str,
    *,
    host: _Host,
    rule: str,
    severity: Severity | None = None,
    title: str = "",
    references: tuple[str, ...] = (),
) -> Observation:
    spec = CATALOG.get(check)
    return Observation(
        check=check,
        status=status,
        severity=severity or (spec.severity if spec else Severity.INFO),
        location=location,
        evidence=clip(evidence),
        references=references,
        target=host.target,
        source=TOOL,
        rule=rule,
        title=clip(title, 300),
    )


def _float(value: str | None) -> float:
    return float(value) if value and _is_number(value) else 0.0


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def xml_events(stream: BinaryIO) -> Iterator[tuple[str, Element]]:
    """Start and end events of a safe streaming parse (shared by the XML formats):
    ``rempart.importers.xmlsafe``, ElementTree's C parser once the prolog has been checked
    with defusedxml's refusals.

    An XML declaration naming an encoding Python does not know makes expat raise
    ``LookupError``: that is a report error like any other malformed XML.
    """
    try:
        yield from iterparse(stream)
    except LookupError as exc:
        raise ReportError(f"the XML declares an unknown encoding ({exc})") from None


_PROLOG = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)", re.DOTALL)
_NAME = re.compile(rb"\s*<([A-Za-z_][\w.-]*)")


def xml_root_name(head: bytes) -> str:
    """The name of the first element in an XML head (after declaration, comments, DOCTYPE).

    Shared by the XML formats' sniffers (openvas, zap, nessus import it from here).
    """
    data = head.removeprefix(b"\xef\xbb\xbf")
    while True:
        skipped = _PROLOG.match(data)
        if skipped is None:
            break
        data = data[skipped.end() :]
    found = _NAME.match(data)
    return found.group(1).decode("ascii") if found else ""


SPEC = FormatSpec(
    name="nmap-xml",
    tool=TOOL,
    label="nmap XML (-oX)",
    sniff=sniff,
    parse=parse,
    extensions=(".xml",),
)
