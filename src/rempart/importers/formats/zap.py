"""OWASP ZAP reports: the "Traditional XML" report and the "Traditional JSON" report.

Both list sites (``<site name host port ssl>`` / ``"site": [{"@name", …}]``), each with its
alerts (plugin id, ``alertRef`` since ZAP 2.10, risk code 0–3, confidence 0–4, description,
instances with the page URLs, count, solution, references, CWE). The mapping:

- one finding per alert per site, located at the site's origin (``https://host/``, default
  port omitted); the instances' URLs go into the evidence (ten at most, then "and N more",
  counted from ZAP's own ``count`` since reports cap the instances they list).
- header alerts that test what a catalog check tests become that check with the catalog
  severity: 10035-1/-2 (HSTS not set / disabled) → ``web.hsts.missing``, 10038-1 (no CSP) →
  ``web.csp.missing``, 10020-1 (no anti-clickjacking header) → ``web.frame.missing``, 10021
  → ``web.xcto.missing``, 10036 (``Server`` version) and 10037 (``X-Powered-By``, when it
  names a version) → ``web.server_version``, 10010 (no HttpOnly) and 10011 (no Secure) →
  ``web.cookie.insecure``. Two alerts that land on one check for one site (10010 and 10011)
  make one finding. Reports before ZAP 2.10 have no ``alertRef``: the alert's name decides.
  10054 (SameSite) and 10055 (CSP directives) are not the catalog's definitions (checks.md
  defines cookie.insecure by Secure/HttpOnly and csp.unsafe by script sources), so they
  stay ``zap.10054`` / ``zap.10055``.
- everything else is ``zap.<alertRef>``; risk code 0 (informational) is status ``info``.
  Alerts with confidence 0 (``False Positive``, set by a person in ZAP) are only counted in
  ``info.notes``.

Both readers stream: XML alerts and instances are dropped once read, JSON is read with
``ijson`` events and keeps at most ``MAX_INSTANCES`` instances per alert.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit

import ijson

from rempart.engine.catalog import CATALOG
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
from rempart.importers.formats._common import _MAX_PREFIX, _Guarded
from rempart.importers.formats.nmap import xml_events, xml_root_name

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element  # types only: parsing is xmlsafe's

TOOL = "zap"
MAX_INSTANCES = 10
MAX_URLS = 3

# alertRef → catalog check (https://www.zaproxy.org/docs/alerts/<id>/).
CATALOG_BY_REF: dict[str, str] = {
    "10035-1": "web.hsts.missing",  # Strict-Transport-Security Header Not Set
    "10035-2": "web.hsts.missing",  # Strict-Transport-Security Disabled (max-age=0)
    "10038-1": "web.csp.missing",  # Content Security Policy (CSP) Header Not Set
    "10020-1": "web.frame.missing",  # Missing Anti-clickjacking Header
    "10021": "web.xcto.missing",  # X-Content-Type-Options Header Missing
    "10036": "web.server_version",  # Server Leaks Version Information via "Server"
    "10037": "web.server_version",  # Server Leaks Information via "X-Powered-By"
    "10010": "web.cookie.insecure",  # Cookie No HttpOnly Flag
    "10011": "web.cookie.insecure",  # Cookie Without Secure Flag
}
# Before ZAP 2.10 (no alertRef) a plugin's sub-alerts are told apart by name.
_BY_NAME: dict[str, tuple[re.Pattern[str], str]] = {
    "10035": (re.compile(r"header not set|disabled", re.I), "10035-1"),
    "10038": (re.compile(r"header not set", re.I), "10038-1"),
    "10020": (re.compile(r"header not set|missing anti-clickjacking", re.I), "10020-1"),
}
_VERSION = re.compile(r"\d+\.\d+")
_RISK = {0: "info", 1: "low", 2: "medium", 3: "high"}
_RISK_WORD = {0: "Informational", 1: "Low", 2: "Medium", 3: "High"}
_CONFIDENCE = {0: "False Positive", 1: "Low", 2: "Medium", 3: "High", 4: "Confirmed"}
_TAG = re.compile(r"<[^>]+>")
_URL = re.compile(r"https?://.+?(?=https?://|\s|$)")


@dataclass
class _Instance:
    method: str = ""
    uri: str = ""
    param: str = ""
    evidence: str = ""


@dataclass
class _Alert:
    plugin_id: str
    alert_ref: str
    name: str
    risk: int | None
    risk_text: str
    confidence: int | None
    description: str = ""
    solution: str = ""
    reference: str = ""
    other: str = ""
    cwe: str = ""
    count: int = 0
    instances: list[_Instance] = field(default_factory=list)
    listed: int = 0  # instances the report lists (some may not be kept)


class _Site:
    """One scanned site: its origin, and the catalog findings merged per check."""

    def __init__(self, name: str, host: str, port: str, ssl: str, info: ReportInfo) -> None:
        self.origin = _origin(name, host, port, ssl)
        if not self.origin:
            raise ReportError("a site has neither a name nor a host", where=f"site {name!r}")
        self.target = urlsplit(self.origin).hostname or host
        info.targets.add(self.target)
        self.merged: dict[str, list[_Alert]] = {}

    def add(self, alert: _Alert, info: ReportInfo) -> Iterator[Observation]:
        if alert.confidence == 0:
            info.note("ZAP alert marked False Positive (not imported)")
            return
        check = _catalog_check(alert)
        if check:
            self.merged.setdefault(check, []).append(alert)
        else:
            yield self._generic(alert)

    def finish(self) -> Iterator[Observation]:
        for check, alerts in self.merged.items():
            yield Observation(
                check=check,
                status=Status.FAIL,
                severity=CATALOG[check].severity,
                location=self.origin,
                evidence=clip("; ".join(_evidence(a, with_name=True) for a in alerts)),
                references=_references(alerts),
                target=self.target,
                source=TOOL,
                rule="+".join(dict.fromkeys(_rule(a) for a in alerts)),
                title=clip(" / ".join(dict.fromkeys(a.name for a in alerts)), 300),
                fix=clip(alerts[0].solution, 1000),
            )
        self.merged.clear()

    def _generic(self, alert: _Alert) -> Observation:
        word = _RISK.get(alert.risk, "") if alert.risk is not None else ""
        evidence = _evidence(alert, with_name=False)
        if not word:
            word = severity_word(alert.risk_text.split("(")[0]) or "info"
            evidence = f"(risk code {alert.risk_text or 'missing'}: recorded as {word}) {evidence}"
        rule = _rule(alert)
        return Observation(
            check=f"{TOOL}.{re.sub(r'[^a-z0-9._-]', '-', rule.lower())}"[:120],
            status=Status.FAIL,  # an alert ZAP raises is a finding, risk 0 included (info)
            severity=Severity(word),
            location=self.origin,
            evidence=clip(evidence),
            references=_references([alert]),
            target=self.target,
            source=TOOL,
            rule=rule,
            title=clip(alert.name, 300),
            fix=clip(alert.solution, 1000),
        )


def _rule(alert: _Alert) -> str:
    rule = alert.alert_ref or alert.plugin_id or alert.name
    if not rule:
        raise ReportError("an alert has no plugin id, alertRef or name")
    return rule


def _catalog_check(alert: _Alert) -> str:
    ref = alert.alert_ref
    if not ref or ref == alert.plugin_id:
        by_name = _BY_NAME.get(alert.plugin_id)
        if by_name is not None:
            ref = by_name[1] if by_name[0].search(alert.name) else ""
        else:
            ref = alert.plugin_id
    check = CATALOG_BY_REF.get(ref, "")
    if ref == "10037" and not any(_VERSION.search(i.evidence) for i in alert.instances):
        return ""  # "X-Powered-By: Express": a product, no version
    return check


def _evidence(alert: _Alert, *, with_name: bool) -> str:
    risk = _RISK_WORD.get(alert.risk, alert.risk_text) if alert.risk is not None else ""
    confidence = _CONFIDENCE.get(alert.confidence, "") if alert.confidence is not None else ""
    head = f"ZAP {_rule(alert)}"
    if with_name:
        head += f" {alert.name}"
    facts = [f"risk {risk}" if risk else "", f"confidence {confidence}" if confidence else ""]
    head += f" ({', '.join(f for f in facts if f)})" if any(facts) else ""
    total = max(alert.count, alert.listed)
    shown = [_instance_text(i) for i in alert.instances[:MAX_INSTANCES]]
    text = f"{head}: {total} instance{'s' if total != 1 else ''}"
    if shown:
        text += ": " + "; ".join(shown)
        if total > len(shown):
            text += f"; and {total - len(shown)} more"
    elif alert.description:
        text += ": " + alert.description
    return text


def _instance_text(instance: _Instance) -> str:
    words = [instance.method, instance.uri]
    if instance.param:
        words.append(f"[{instance.param}]")
    if instance.evidence:
        words.append(clip(" ".join(instance.evidence.split()), 120))
    return " ".join(w for w in words if w)


def _references(alerts: list[_Alert]) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for alert in alerts:
        for cve in cves_in(alert.name, alert.description, alert.reference, alert.other):
            found[cve] = None
        if alert.cwe.isdigit() and int(alert.cwe) > 0:
            found[f"CWE-{alert.cwe}"] = None
    urls: dict[str, None] = {}
    for alert in alerts:
        for url in _URL.findall(alert.reference):
            urls[url] = None
    return tuple(found) + tuple(list(urls)[:MAX_URLS])


def _origin(name: str, host: str, port: str, ssl: str) -> str:
    """``https://host/`` or ``http://host:8080/``: the web.* location convention."""
    parts = urlsplit(name) if "://" in name else None
    scheme = (parts.scheme if parts else "") or ("https" if ssl.lower() == "true" else "http")
    hostname = (parts.hostname if parts else "") or host.lower()
    if not hostname:
        return ""
    number = parts.port if parts and parts.port else (int(port) if port.isdigit() else None)
    if ":" in hostname:
        hostname = f"[{hostname}]"
    default = {"https": 443, "http": 80}.get(scheme.lower())
    suffix = "" if number is None or number == default else f":{number}"
    return f"{scheme.lower()}://{hostname}{suffix}/"


def _text(value: object) -> str:
    """ZAP text fields carry HTML paragraphs (``<p>…</p>``): plain text, one line."""
    plain = html.unescape(_TAG.sub(" ", str(value or "")))
    return " ".join(plain.split())


def _int(value: object) -> int | None:
    text = str(value).strip() if value is not None else ""
    return int(text) if text.lstrip("-").isdigit() else None


def _when(generated: str) -> datetime | None:
    """ZAP writes ``Tue, 12 May 2020 20:57:30`` in local time without a zone: read as UTC."""
    try:
        return datetime.strptime(generated.strip(), "%a, %d %b %Y %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def _alert(fields: dict[str, Any], instances: list[_Instance], listed: int) -> _Alert:
    plugin_id = str(fields.get("pluginid") or "").strip()
    return _Alert(
        plugin_id=plugin_id,
        alert_ref=str(fields.get("alertRef") or "").strip(),
        name=_text(fields.get("name") or fields.get("alert")),
        risk=_int(fields.get("riskcode")),
        risk_text=_text(fields.get("riskdesc")),
        confidence=_int(fields.get("confidence")),
        description=_text(fields.get("desc")),
        solution=_text(fields.get("solution")),
        reference=_text(fields.get("reference")),
        other=_text(fields.get("otherinfo")),
        cwe=str(fields.get("cweid") or "").strip(),
        count=_int(fields.get("count")) or 0,
        instances=instances,
        listed=listed,
    )


# -- XML ---------------------------------------------------------------------------------


def sniff_xml(head: bytes) -> bool:
    return xml_root_name(head) == "OWASPZAPReport"


def parse_xml(stream: BinaryIO, info: ReportInfo) -> Iterator[Item]:
    stack: list[Element] = []
    site: _Site | None = None
    instances: list[_Instance] = []
    listed = 0
    for event, elem in xml_events(stream):
        if event == "start":
            if not stack:
                if elem.tag != "OWASPZAPReport":
                    raise ReportError(
                        f"the root element is <{elem.tag}>, not ZAP's <OWASPZAPReport>",
                        where="line 1",
                    )
                info.tool_version = elem.get("version", "")
                info.scanned_at = _when(elem.get("generated", ""))
            elif elem.tag == "site" and len(stack) == 1:
                site = _Site(
                    elem.get("name", ""),
                    elem.get("host", ""),
                    elem.get("port", ""),
                    elem.get("ssl", ""),
                    info,
                )
            elif elem.tag == "alertitem":
                instances, listed = [], 0
            stack.append(elem)
            continue
        stack.pop()
        parent = stack[-1] if stack else None
        if elem.tag == "instance" and parent is not None and parent.tag == "instances":
            listed += 1
            if len(instances) < MAX_INSTANCES:
                instances.append(
                    _Instance(
                        method=(elem.findtext("method") or "").strip(),
                        uri=(elem.findtext("uri") or "").strip(),
                        param=(elem.findtext("param") or "").strip(),
                        evidence=(elem.findtext("evidence") or "").strip(),
                    )
                )
            parent.remove(elem)
        elif elem.tag == "alertitem" and parent is not None:
            if site is None:
                raise ReportError("an <alertitem> outside any <site>")
            fields = {child.tag: child.text for child in elem if len(child) == 0}
            yield from site.add(_alert(fields, instances, listed), info)
            parent.remove(elem)
        elif elem.tag == "site" and site is not None:
            yield from site.finish()
            site = None
            if parent is not None:
                parent.remove(elem)


# -- JSON ---------------------------------------------------------------------------------

_SITE = "site.item"
_ALERT = "site.item.alerts.item"
_INSTANCE = "site.item.alerts.item.instances.item"
_SCALARS = frozenset({"string", "number", "boolean", "null"})


def sniff_json(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith(b"{") and b'"@generated"' in head and b'"site"' in head


def parse_json(stream: BinaryIO, info: ReportInfo) -> Iterator[Item]:
    site_fields: dict[str, str] = {}
    site: _Site | None = None
    waiting: list[_Alert] = []  # alerts met before the site's @name (keys come in any order)
    builder: ijson.ObjectBuilder | None = None
    instances_seen = 0
    skipping = False
    is_zap = False
    peek = getattr(stream, "peek", None)  # a UTF-8 byte order mark: the JSON reader refuses it
    if peek is not None and bytes(peek(3))[:3] == b"\xef\xbb\xbf":
        stream.read(3)
    # The guard refuses what crashes ijson's C parser (numbers of thousands of digits); the
    # prefix bound stops pathological nesting before ijson's memory grows with it.
    for prefix, event, value in ijson.parse(_Guarded(stream), buf_size=4096):
        if len(prefix) > _MAX_PREFIX:
            raise ReportError("the document nests too deeply to be a report")
        if builder is not None:
            if prefix == _INSTANCE and event == "start_map":
                instances_seen += 1
                skipping = instances_seen > MAX_INSTANCES
            if not (skipping and prefix.startswith(_INSTANCE)):
                builder.event(event, value)
            if prefix == _INSTANCE and event == "end_map":
                skipping = False
            if prefix == _ALERT and event == "end_map":
                alert = _json_alert(builder.value, instances_seen)
                builder = None
                if site is None:
                    waiting.append(alert)
                else:
                    yield from site.add(alert, info)
            continue
        if prefix == _ALERT and event == "start_map":
            builder = ijson.ObjectBuilder()
            builder.event(event, value)
            instances_seen = 0
        elif prefix in ("@version", "@generated", "site"):
            is_zap = True
        if prefix == "@version" and event == "string":
            info.tool_version = str(value)
        elif prefix == "@generated" and event == "string":
            info.scanned_at = _when(str(value))
        elif prefix == _SITE and event == "start_map":
            site_fields, site, waiting = {}, None, []
        elif prefix.startswith(_SITE + ".@") and event in _SCALARS:
            site_fields[prefix.removeprefix(_SITE + ".@")] = str(value)
            if site is None and "name" in site_fields:
                site = _site_from(site_fields, info)
        elif prefix == _SITE and event == "end_map":
            site = site or _site_from(site_fields, info)
            for alert in waiting:
                yield from site.add(alert, info)
            yield from site.finish()
            site, waiting = None, []
    if not is_zap:
        raise ReportError("no ZAP report keys (@version, @generated, site) in the JSON")


def _site_from(fields: dict[str, str], info: ReportInfo) -> _Site:
    return _Site(
        fields.get("name", ""),
        fields.get("host", ""),
        fields.get("port", ""),
        fields.get("ssl", ""),
        info,
    )


def _json_alert(raw: object, listed: int) -> _Alert:
    if not isinstance(raw, dict):
        raise ReportError("an alert is not a JSON object")
    instances = [
        _Instance(
            method=str(i.get("method") or ""),
            uri=str(i.get("uri") or ""),
            param=str(i.get("param") or ""),
            evidence=str(i.get("evidence") or ""),
        )
        for i in raw.get("instances") or []
        if isinstance(i, dict)
    ]
    return _alert(raw, instances, listed)


SPECS = (
    FormatSpec(
        name="zap-xml",
        tool=TOOL,
        label="OWASP ZAP XML report",
        sniff=sniff_xml,
        parse=parse_xml,
        extensions=(".xml",),
    ),
    FormatSpec(
        name="zap-json",
        tool=TOOL,
        label="OWASP ZAP JSON report (traditional-json)",
        sniff=sniff_json,
        parse=parse_json,
        extensions=(".json",),
    ),
)
