"""rempart's generic findings format (JSON and CSV), and DefectDojo's "Generic Findings Import".

For any tool rempart has no parser for: a script writes what the tool found in a documented
shape (``docs/importers-generic.md``). The JSON is ``{"tool", "tool_version", "scanned_at",
"findings": [...]}``; the CSV has one finding per line with the same names as columns. A
finding has a ``title`` (required), a ``severity`` (a word or a CVSS score), where it is
(``host`` [+ ``port``], ``url`` or ``component``: one is required), and optionally ``check``
(a rempart catalog id: the finding then merges with rempart's own), ``rule`` (the tool's id),
``description``, ``evidence``, ``fix``, ``cve``, ``cwe``, ``references``, ``status``
(``fail`` by default, ``pass``, ``info``) and ``target``.

A file without ``tool`` (a JSON object without the key, a CSV without the column) is read as
DefectDojo's Generic Findings Import, which people already write: ``title``, ``severity``,
``description``, ``mitigation``, ``cve``, ``cwe``, ``endpoints`` (URLs or ``{host, port,
protocol, path}``), ``file_path``/``line``, ``component_name``/``component_version``,
``vuln_id_from_tool``, ``is_mitigated``, ``active``, ``false_p``…; CSV columns ``Title``,
``Severity``, ``Url``, ``CweId``, ``Mitigation``, ``Active``, ``FalsePositive``,
``IsMitigated``… Its findings may name no place at all (DefectDojo attaches them to a product):
they are imported with an empty location, i.e. on the asset the file is imported into.

Status: ``status`` when given; else DefectDojo's flags: ``false_p`` → INFO (noted),
``is_mitigated`` true or ``active`` false → PASS, otherwise FAIL.

Streaming: findings are read one at a time. The check ids need the tool's name, so findings
met before the ``tool`` key (and every finding of a DefectDojo file, which has none) are kept
as parsed dictionaries until the end of the document; the documentation asks for ``tool``
first.

This module also holds the small streaming helpers the testssl.sh and sslyze parsers share.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import ijson
from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError
from packageurl import PackageURL

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
    vuln_check,
)
from rempart.importers.formats._common import _MAX_PREFIX, _Guarded

TOOL = "generic"

# -- helpers shared with testssl.py and sslyze.py -------------------------------------------

_OPEN = frozenset({"start_map", "start_array"})
_CLOSE = frozenset({"end_map", "end_array"})
_SCALAR = frozenset({"string", "number", "boolean", "null"})


def walk_json(stream: BinaryIO, build: Collection[str]) -> Iterator[tuple[str, Any]]:
    """One streaming pass over a JSON document; memory is one built value at a time.

    Yields ``("$start", event)`` for the document's first event (``start_map`` or
    ``start_array``), ``("$open:<key>", event)`` when a top-level key holds a container that
    is not built, ``(prefix, value)`` for each whole value at a prefix in ``build`` (ijson
    prefixes: ``"findings.item"``) and ``(key, value)`` for each top-level scalar.
    Numbers come as ``int`` or ``Decimal`` (not float: yajl's float mode overflows on the
    big integers of sslyze's RSA moduli).
    """
    builder: ijson.ObjectBuilder | None = None
    depth = 0
    built_at = ""
    first = True
    # A small read size bounds what the C parser produces before each check below.
    for prefix, event, value in ijson.parse(_Guarded(stream), buf_size=4096):
        if len(prefix) > _MAX_PREFIX:
            raise ReportError("the document nests too deeply to be a report")
        if first:
            first = False
            yield "$start", event
        if builder is not None:
            builder.event(event, value)
            if event in _OPEN:
                depth += 1
            elif event in _CLOSE:
                depth -= 1
                if depth == 0:
                    yield built_at, builder.value
                    builder = None
            continue
        if event == "map_key" or event in _CLOSE:
            continue
        if prefix in build:
            if event in _OPEN:
                builder = ijson.ObjectBuilder()
                builder.event(event, value)
                depth = 1
                built_at = prefix
            else:
                yield prefix, value
        elif prefix and "." not in prefix:
            if event in _OPEN:
                yield f"$open:{prefix}", event
            elif event in _SCALAR:
                yield prefix, value


def skip_bom(stream: BinaryIO) -> None:
    """Drop a UTF-8 byte order mark (Windows tools write one); the JSON reader refuses it."""
    peek = getattr(stream, "peek", None)
    if peek is not None and peek(3)[:3] == b"\xef\xbb\xbf":
        stream.read(3)


def check_slug(tool: str, rule: str) -> str:
    """``<tool>.<rule>`` lower-cased, characters outside ``[a-z0-9._-]`` as ``-``, ≤ 120."""
    return _slug(f"{tool}.{rule}")[:120]


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9._-]", "-", value.strip().lower())


def host_port(host: str, port: object) -> str:
    """``host:port`` (``[v6]:port``); the host alone when the port is unknown."""
    host = host.strip().strip("[]")
    shown = f"[{host}]" if ":" in host else host
    port_text = "" if port is None else str(port).strip()
    return f"{shown}:{port_text}" if port_text else shown


def origin(url: str) -> str:
    """A site's origin with a trailing slash: ``https://host/``, ``http://host:8080/``."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    scheme = (parts.scheme or "https").lower()
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError(f"no host in {url!r}")
    shown = f"[{host}]" if ":" in host else host
    port = parts.port
    default = {"https": 443, "http": 80}.get(scheme)
    return f"{scheme}://{shown}{'' if port in (None, default) else f':{port}'}/"


# -- the generic format ------------------------------------------------------------------------

_STATUSES = {"fail": Status.FAIL, "pass": Status.PASS, "info": Status.INFO}
_VULN = re.compile(r"^vuln\.[A-Z0-9][A-Z0-9._:-]*$")
_CWE = re.compile(r"(?:CWE-)?(\d+)", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s\"'<>)]+")
_TRUE = frozenset({"t", "true", "yes", "y", "1", "x"})
# Families whose location convention the engine fixes (docs/importers-generic.md).
CATALOG_FAMILIES = frozenset({"tls", "web", "net", "dns", "mail"})


@dataclass
class _Context:
    """What the document says around its findings (known once its header has been read)."""

    tool: str  # slug, "" for DefectDojo's format until decided
    rempart: bool  # rempart's format (a "tool" is given): every finding must say where


@dataclass(frozen=True, slots=True)
class _Place:
    location: str
    target: str
    note: str = ""  # a place-related remark for the evidence


def _finding(data: object, where: str, ctx: _Context, info: ReportInfo) -> Iterator[Observation]:
    if not isinstance(data, dict):
        raise ReportError("the finding is not an object", where=where)
    f = {k: v for k, v in data.items() if v is not None and v != "" and v != []}
    title = _text(f.get("title"))
    if not title:
        raise ReportError('has no title (every finding needs a "title")', where=where)
    status, status_note = _status(f, where, info)
    severity, severity_note = _severity(f)
    cves = _cves(f, title)
    refs = [*cves, *_cwes(f), *_urls(f.get("references"))[:3]]
    evidence_parts = [_text(f.get("evidence")) or _text(f.get("description"))]
    check = _text(f.get("check"))
    if check.lower().startswith("vuln."):
        check = vuln_check(check[5:])  # vuln.<ID>: the advisory id in upper case
    tool = _slug(_text(f.get("tool"))) or ctx.tool or TOOL
    rule = _text(f.get("rule")) or _text(f.get("vuln_id_from_tool"))
    fix = _text(f.get("fix")) or _text(f.get("mitigation"))
    if not fix and f.get("fix_version"):
        fix = f"upgrade to {_text(f.get('fix_version'))}"
    extras = [status_note, *_defectdojo_notes(f)]

    if check and check not in CATALOG and not _VULN.match(check):
        raise ReportError(
            f"check {check!r} is not a rempart catalog id (see docs/checks.md) nor vuln.<ID>",
            where=where,
        )
    if check:
        checks = [check]
    elif cves and (f.get("component") or f.get("component_name")):
        checks = [vuln_check(cve) for cve in cves]  # merges with Trivy, OSV, SBOM matches
    else:
        checks = [check_slug(tool, rule or title)]

    for one in checks:
        places = _places(f, one, where, ctx, info)
        own = [one.removeprefix("vuln.")] if one.startswith("vuln.") else cves
        references = tuple(dict.fromkeys([*own, *refs[len(cves) :]]))
        catalog = CATALOG.get(one)
        if catalog is not None:
            sev = catalog.severity
            extra_sev = f"tool severity: {severity}" if f.get("severity") is not None else ""
            shown_title = ""
            lead = [title]
        else:
            sev, extra_sev, shown_title, lead = severity, severity_note, title, []
        for place in places:
            if place.target:
                info.targets.add(place.target)
            evidence = "\n".join(
                p for p in (*lead, *evidence_parts, place.note, extra_sev, *extras) if p
            )
            yield Observation(
                check=one,
                status=status,
                severity=sev,
                location=place.location,
                evidence=clip(evidence),
                references=references,
                target=place.target,
                source=tool,
                rule=rule,
                title=clip(shown_title, MAX_TITLE),
                fix=clip(fix, 500),
            )


def _status(f: dict[str, Any], where: str, info: ReportInfo) -> tuple[Status, str]:
    given = _text(f.get("status")).lower()
    if given:
        if given not in _STATUSES:
            raise ReportError(f"status {given!r} is not one of fail, pass, info", where=where)
        return _STATUSES[given], ""
    if _flag(f.get("false_p")):
        info.note("findings marked false positive in the source (imported as info)")
        return Status.INFO, "marked false positive in the source"
    if _flag(f.get("is_mitigated")):
        when = _text(f.get("mitigated"))
        return Status.PASS, f"mitigated in the source{f' on {when}' if when else ''}"
    if "active" in f and not _flag(f.get("active")):
        return Status.PASS, "inactive in the source"
    if _flag(f.get("out_of_scope")):
        info.note("findings marked out of scope in the source (imported as info)")
        return Status.INFO, "out of scope in the source"
    if _flag(f.get("risk_accepted")):
        info.note("findings whose risk was accepted in the source (imported as open)")
        return Status.FAIL, "risk accepted in the source (accept it again in rempart)"
    return Status.FAIL, ""


def _severity(f: dict[str, Any]) -> tuple[Severity, str]:
    raw = f.get("severity")
    word = severity_word(raw) if raw is not None else ""
    if word:
        return Severity(word), ""
    for key in ("cvssv3_score", "cvssv4_score", "cvss_score"):
        if f.get(key) is not None and severity_word(f[key]):
            return Severity(severity_word(f[key])), f"severity from {key} {f[key]}"
    for key, kind in (("cvssv3", CVSS3), ("cvssv4", CVSS4)):
        if f.get(key):
            try:
                score = kind(_text(f[key])).base_score
            except (CVSSError, ValueError, KeyError, AttributeError):
                continue
            return Severity(severity_word(float(score))), f"severity from {key} ({score})"
    if raw is None:
        return Severity.INFO, "no severity given: imported as info"
    return Severity.INFO, f"unknown severity {raw!r}: imported as info"


def _cves(f: dict[str, Any], title: str) -> list[str]:
    texts: list[str] = [title]
    for key in ("cve", "vulnerability_ids"):
        value = f.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                item = item.get("vulnerability_id")
            texts.append(_text(item))
    return cves_in(*texts)


def _cwes(f: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for key in ("cwe", "cwes"):
        value = f.get(key)
        for item in value if isinstance(value, list) else [value]:
            for number in _CWE.findall(_text(item)):
                if number != "0":  # DefectDojo writes 0 for "no CWE"
                    found.append(f"CWE-{int(number)}")
    return found


def _urls(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return list(dict.fromkeys(u.rstrip(".,;") for item in items for u in _URL.findall(_text(item))))


def _defectdojo_notes(f: dict[str, Any]) -> list[str]:
    notes = []
    if f.get("impact"):
        notes.append(f"impact: {_text(f['impact'])}")
    for key in ("cvssv3", "cvssv4"):
        if f.get(key):
            notes.append(f"{key}: {_text(f[key])}")
    if _flag(f.get("known_exploited")):
        kev = _text(f.get("kev_date"))
        notes.append(f"known exploited (per the source){f', KEV since {kev}' if kev else ''}")
    if f.get("epss_score") is not None:
        notes.append(f"EPSS (per the source): {_text(f['epss_score'])}")
    return notes


def _places(
    f: dict[str, Any], check: str, where: str, ctx: _Context, info: ReportInfo
) -> list[_Place]:
    """Where the finding is, in the convention of its check's family."""
    host = _text(f.get("host")).strip("[]").lower()
    url = _text(f.get("url"))
    port = _text(f.get("port"))
    component = _component(f)
    target = _text(f.get("target"))
    if url:
        try:
            parts = urlsplit(url if "://" in url else f"//{url}")
            host = host or (parts.hostname or "").lower()
            port = port or str(parts.port or "")
        except ValueError as exc:
            raise ReportError(f"url {url!r} is not valid ({exc})", where=where) from None
    family = check.split(".", 1)[0]
    if family == "vuln":
        if not component:
            raise ReportError(f"{check} needs a component (purl or name@version)", where=where)
        return [_Place(component, target)]
    if family in CATALOG_FAMILIES and check in CATALOG:
        return [_catalog_place(family, check, host, port, url, where, target)]
    places = [_Place(*p) for p in _endpoints(f.get("endpoints"), where)]
    if url:
        places.insert(0, _Place(url, target or host))
    elif host:
        places.insert(0, _Place(host_port(host, port), target or host))
    elif component:
        places.insert(0, _Place(component, target))
    file_path = _text(f.get("file_path"))
    line = _text(f.get("line"))
    spot = f"{file_path}:{line}" if file_path and line else file_path
    if spot and not places:
        places.append(_Place(spot, target))
    elif spot:
        places = [_Place(p.location, p.target, f"file: {spot}") for p in places]
    if places:
        return places
    if ctx.rempart:
        raise ReportError("does not say where: give host (and port), url or component", where=where)
    info.note("DefectDojo findings without endpoint, file or component (on the imported asset)")
    return [_Place("", target)]


def _catalog_place(
    family: str, check: str, host: str, port: str, url: str, where: str, target: str
) -> _Place:
    if not host:
        raise ReportError(f"{check} needs a host or url", where=where)
    target = target or host
    if family == "web":
        if url:
            try:
                return _Place(origin(url), target)
            except ValueError as exc:
                raise ReportError(f"url {url!r} is not valid ({exc})", where=where) from None
        scheme = "http" if port == "80" else "https"
        shown = "" if port in ("", "80", "443") else f":{port}"
        return _Place(f"{scheme}://{host_port(host, '')}{shown}/", target)
    if family == "tls":
        return _Place(host_port(host, port or "443"), target)
    if family == "net":
        if not port:
            raise ReportError(f"{check} needs a port", where=where)
        return _Place(host_port(host, port), target)
    return _Place(host, target)  # dns.*, mail.*: the domain


def _component(f: dict[str, Any]) -> str:
    raw = _text(f.get("component"))
    if not raw and f.get("component_name"):
        version = _text(f.get("component_version"))
        raw = f"{_text(f['component_name'])}@{version}" if version else _text(f["component_name"])
    if raw.startswith("pkg:"):
        try:
            purl = PackageURL.from_string(raw)
        except ValueError:
            return raw
        return PackageURL(purl.type, purl.namespace, purl.name, purl.version).to_string()
    return raw


def _endpoints(value: object, where: str) -> list[tuple[str, str]]:
    """DefectDojo ``endpoints``: URL strings or ``{protocol, host, port, path}`` objects."""
    out: list[tuple[str, str]] = []
    for item in value if isinstance(value, list) else [value] if value else []:
        if isinstance(item, str) and item.strip():
            text = item.strip()
            try:
                host = urlsplit(text if "://" in text else f"//{text}").hostname or ""
            except ValueError as exc:
                raise ReportError(f"endpoint {text!r} is not valid ({exc})", where=where) from None
            out.append((text, host))
        elif isinstance(item, dict):
            host = _text(item.get("host"))
            if not host:
                raise ReportError("an endpoint has no host", where=where)
            port, path = _text(item.get("port")), _text(item.get("path"))
            proto = _text(item.get("protocol"))
            if proto:
                shown = host_port(host, port)
                out.append((f"{proto}://{shown}/{path.lstrip('/')}", host))
            else:
                out.append((host_port(host, port), host))
        else:
            raise ReportError("an endpoint is neither a URL nor an object", where=where)
    return out


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return _text(value).lower() in _TRUE


def _header(key: str, value: object, info: ReportInfo, ctx: _Context) -> None:
    if key == "tool" and _text(value):
        ctx.tool, ctx.rempart = _slug(_text(value)), True
        info.tool = ctx.tool
    elif key == "type" and _text(value) and not ctx.rempart:
        ctx.tool = _slug(_text(value))  # DefectDojo's test type, a name the user chose
        info.tool = ctx.tool
    elif key == "tool_version" and _text(value):
        info.tool_version = _text(value)
    elif key == "version" and _text(value) and not info.tool_version:
        info.tool_version = _text(value)  # DefectDojo's name for it
    elif key == "scanned_at" and _text(value):
        try:
            info.scanned_at = datetime.fromisoformat(_text(value))
        except ValueError:
            info.note("scanned_at is not an ISO 8601 date: ignored")


def _parse_json(stream: BinaryIO, info: ReportInfo) -> Iterator[Item]:
    skip_bom(stream)
    ctx = _Context(tool="", rempart=False)
    pending: list[tuple[int, object]] = []  # findings met before "tool": wait for the header
    count = 0
    seen_findings = False
    header_done = False
    for prefix, value in walk_json(stream, frozenset({"findings.item"})):
        if prefix == "$start":
            if value != "start_map":
                raise ReportError('the document must be an object with a "findings" list')
        elif prefix == "$open:findings":
            seen_findings = True
            if value != "start_array":
                raise ReportError('"findings" must be a list', where="findings")
        elif prefix == "findings.item":
            count += 1
            if header_done:
                yield from _finding(value, f"finding {count}", ctx, info)
            else:
                pending.append((count, value))
        elif prefix == "findings":
            raise ReportError('"findings" must be a list', where="findings")
        else:
            _header(prefix, value, info, ctx)
            header_done = header_done or ctx.rempart
            if header_done and pending:
                yield from _drain(pending, ctx, info)
    if not seen_findings:
        raise ReportError('no "findings" list', where="top level")
    yield from _drain(pending, ctx, info)
    _finish(ctx, info)


def _drain(
    pending: list[tuple[int, object]], ctx: _Context, info: ReportInfo
) -> Iterator[Observation]:
    while pending:
        number, value = pending.pop(0)
        yield from _finding(value, f"finding {number}", ctx, info)


def _finish(ctx: _Context, info: ReportInfo) -> None:
    if not ctx.tool:
        info.tool = TOOL


# CSV column names, normalised (lower case, letters and digits only) → finding keys.
_COLUMNS = {
    **{k: k for k in ("title", "severity", "host", "port", "url", "component", "check")},
    **{k: k for k in ("rule", "description", "evidence", "fix", "cve", "cwe", "references")},
    **{k: k for k in ("status", "target", "tool", "date", "mitigation", "impact", "active")},
    **{k: k for k in ("verified", "duplicate", "line", "cvssv3", "cvssv4")},
    "toolversion": "tool_version",
    "scannedat": "scanned_at",
    "cweid": "cwe",
    "cweids": "cwes",
    "falsepositive": "false_p",
    "ismitigated": "is_mitigated",
    "mitigateddate": "mitigated",
    "vulnerabilityid": "vulnerability_ids",
    "cvssv3score": "cvssv3_score",
    "cvssv4score": "cvssv4_score",
    "epssscore": "epss_score",
    "epsspercentile": "epss_percentile",
    "knownexploited": "known_exploited",
    "kevdate": "kev_date",
    "ransomwareused": "ransomware_used",
    "fixavailable": "fix_available",
    "fixversion": "fix_version",
    "componentname": "component_name",
    "componentversion": "component_version",
    "filepath": "file_path",
    "uniqueidfromtool": "unique_id_from_tool",
    "vulnidfromtool": "vuln_id_from_tool",
}


def _column(name: str) -> str:
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    return _COLUMNS.get(key, f"?{name}")


def _parse_csv(stream: BinaryIO, info: ReportInfo) -> Iterator[Item]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.DictReader(text)
    columns = [_column(name or "") for name in reader.fieldnames or ()]
    if "title" not in columns:
        raise ReportError('the CSV header has no "title" column', where="line 1")
    reader.fieldnames = columns
    ctx = _Context(tool="", rempart="tool" in columns)
    unknown = [c[1:] for c in columns if c.startswith("?")]
    if unknown:
        info.note(f"CSV columns rempart does not read: {', '.join(unknown)}")
    for record in reader:
        where = f"line {reader.line_num}"
        if None in record:
            raise ReportError("the row has more cells than the header", where=where)
        row = {k: v.strip() for k, v in record.items() if k and not k.startswith("?") and v}
        if not row:
            info.note("empty CSV rows")
            continue
        if ctx.rempart:
            if not row.get("tool"):
                raise ReportError('has no tool (the "tool" column is empty)', where=where)
            ctx.tool = _slug(row["tool"])
            info.tool = info.tool if info.tool not in ("", TOOL) else ctx.tool
            info.tool_version = info.tool_version or row.get("tool_version", "")
            if row.get("scanned_at") and info.scanned_at is None:
                _header("scanned_at", row["scanned_at"], info, ctx)
        yield from _finding(row, where, ctx, info)
    _finish(ctx, info)


_JSON_HEAD = re.compile(rb'"findings"\s*:\s*\[')


def _sniff_json(head: bytes) -> bool:
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"{") and _JSON_HEAD.search(head) is not None


_CSV_WHERE = frozenset({"severity", "host", "url", "component", "tool", "check", "description"})


def _sniff_csv(head: bytes) -> bool:
    first = head.removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("utf-8", "replace")
    names = {_column(n) for n in next(csv.reader([first]), [])}
    return "title" in names and bool(names & _CSV_WHERE)


SPECS = (
    FormatSpec(
        name="generic-json",
        tool=TOOL,
        label="Generic findings JSON (rempart's format or DefectDojo's Generic Findings Import)",
        sniff=_sniff_json,
        parse=_parse_json,
        extensions=(".json",),
    ),
    FormatSpec(
        name="generic-csv",
        tool=TOOL,
        label="Generic findings CSV (rempart's format or DefectDojo's Generic Findings Import)",
        sniff=_sniff_csv,
        parse=_parse_csv,
        extensions=(".csv",),
    ),
)
