"""CycloneDX JSON (spec 1.2–1.6): SBOM components, vulnerabilities and VEX statements.

One ``Component`` per component (nested ``components`` are flattened) and one observation per
(vulnerability, affected component). A vulnerability's check is ``vuln.<ID>`` where ID is its
CVE id (its own ``id`` or, failing that, the first CVE among its ``references``, which CycloneDX
uses for the same vulnerability in other databases), else its own id upper-cased (GHSA-…,
SNYK-…). The location is the affected component's purl without qualifiers or subpath, else
``name@version``.

Status follows the VEX ``analysis.state`` (CycloneDX 1.4+, "impact analysis state"):
``not_affected``, ``false_positive``, ``resolved`` and ``resolved_with_pedigree`` say the
component is not (or no longer) exploitable → PASS, with the state, justification and detail
in the evidence; ``exploitable``, ``in_triage`` or no analysis → FAIL. Without an analysis, an
``affects[].versions`` entry that lists the component's own version as ``unaffected`` → PASS.

Severity: the rating with the best method (CVSSv4 > CVSSv3.1 > CVSSv3 > CVSSv2 > OWASP >
other), by its ``severity`` word, else its ``score``, else the score computed from its vector.

Single pass: components arrive before vulnerabilities in the spec's property order, but a
vulnerability may name a component listed later, so vulnerabilities (kept small) are emitted
at the end; components are yielded as they stream once the BOM's subject is known.

This module also holds small JSON/purl helpers shared by the other JSON parsers (SARIF, Trivy,
SPDX, inventory): ``walk_json``, ``skip_bom``, ``purl_location``, ``ecosystem_of``,
``check_id``, ``parse_time``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO

import cvss
import ijson
from packageurl import PackageURL
from univers.version_range import VersionRange

from rempart.engine.model import Observation, Severity, Status
from rempart.importers.base import (
    MAX_TITLE,
    FormatSpec,
    Item,
    ReportError,
    ReportInfo,
    clip,
    severity_word,
)
from rempart.intel.model import Component

TOOL = "cyclonedx"

# -- helpers shared by the JSON parsers ----------------------------------------------------

_OPEN = frozenset({"start_map", "start_array"})
_CLOSE = frozenset({"end_map", "end_array"})
_UTF8_BOM = b"\xef\xbb\xbf"


def walk_json(
    stream: BinaryIO, build: Collection[str], mark: Collection[str] = ()
) -> Iterator[tuple[str, str, object]]:
    """One streaming pass over a JSON document, keeping only what the caller asks for.

    Yields ``(prefix, "value", value)`` for each whole value found at a prefix in ``build``
    (ijson prefixes: ``"runs.item.results.item"``), and ``(prefix, event, value)`` for the raw
    ijson events at a prefix in ``mark`` (``start_map``, ``end_array``, ``string``…), so a
    caller can see where a container opens and closes, or that a value has the wrong type.
    Everything else is skipped without being kept: memory is one built value at a time.
    """
    builder: ijson.ObjectBuilder | None = None
    depth = 0
    built_at = ""
    # A small read size bounds what the C parser produces before each check below.
    for prefix, event, value in ijson.parse(_Guarded(stream), buf_size=4096, use_float=True):
        if len(prefix) > _MAX_PREFIX:
            raise ReportError("the document nests too deeply to be a report")
        if builder is not None:
            builder.event(event, value)
            if event in _OPEN:
                depth += 1
            elif event in _CLOSE:
                depth -= 1
                if depth == 0:
                    yield built_at, "value", builder.value
                    builder = None
            continue
        if event == "map_key":
            continue
        if prefix in build:
            if event in _OPEN:
                builder = ijson.ObjectBuilder()
                builder.event(event, value)
                depth = 1
                built_at = prefix
            else:
                yield prefix, "value", value
        elif prefix in mark:
            yield prefix, event, value


class _Guarded:
    """A stream that refuses what crashes ijson's C parser before the parser sees it.

    ijson 3.x (yajl2_c) aborts the interpreter on an integer longer than Python's
    4,300-digit limit; no report has a number of even 100 digits, so a run of 4,000 digits
    is refused. Deep nesting is caught by ``walk_json`` from the prefix length.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._tail = b""  # the digits ending the previous chunk

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        window = self._tail + data
        if _LONG_NUMBER.search(window):
            raise ReportError("a number has thousands of digits: this is not a report")
        run = len(window) - len(window.rstrip(b"0123456789"))
        self._tail = window[-run:] if run else b""
        return data


_MAX_PREFIX = 4096  # characters of an ijson path: about 800 levels of nesting
_LONG_NUMBER = re.compile(rb"[0-9]{4000}")


def skip_bom(stream: BinaryIO) -> None:
    """Drop a UTF-8 byte order mark (Windows tools write one); refuse UTF-16 and UTF-32.

    Windows PowerShell 5.1 writes ``tool > out.json`` as UTF-16: say so rather than let the
    JSON reader call the file malformed. JSON text starts with an ASCII character, so a NUL
    among the first bytes means UTF-16/32 even without a byte order mark.
    """
    peek = getattr(stream, "peek", None)
    if peek is None:
        return
    start = bytes(peek(4))[:4]
    if start[:3] == _UTF8_BOM:
        stream.read(3)
    elif start[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in start[:2]:
        raise ReportError(
            "the file is UTF-16 or UTF-32 encoded (Windows PowerShell writes that with '>'); "
            "save it as UTF-8 and import it again",
            where="byte 0",
        )


def strip_bom(head: bytes) -> bytes:
    return head[3:] if head.startswith(_UTF8_BOM) else head


def parse_purl(text: str) -> PackageURL | None:
    try:
        return PackageURL.from_string(text.strip())
    except ValueError:
        return None


def purl_location(text: str) -> str:
    """A package URL without qualifiers and subpath (the finding location), "" if invalid."""
    purl = parse_purl(text) if text else None
    if purl is None:
        return ""
    try:
        return str(
            PackageURL(
                type=purl.type, namespace=purl.namespace, name=purl.name, version=purl.version
            ).to_string()
        )
    except ValueError:
        return ""


# purl type -> OSV ecosystem name (https://ossf.github.io/osv-schema/#affectedpackage-field).
_ECOSYSTEMS = {
    "pypi": "PyPI",
    "npm": "npm",
    "maven": "Maven",
    "golang": "Go",
    "cargo": "crates.io",
    "gem": "RubyGems",
    "nuget": "NuGet",
    "composer": "Packagist",
    "hex": "Hex",
    "pub": "Pub",
    "hackage": "Hackage",
    "cran": "CRAN",
    "swift": "SwiftURL",
}
# Distribution packages: the purl namespace names the distribution.
_DISTRIBUTIONS = {
    ("deb", "debian"): "Debian",
    ("deb", "ubuntu"): "Ubuntu",
    ("apk", "alpine"): "Alpine",
    ("rpm", "almalinux"): "AlmaLinux",
    ("rpm", "rocky-linux"): "Rocky Linux",
    ("rpm", "opensuse"): "openSUSE",
    ("rpm", "suse"): "SUSE",
}


def ecosystem_of(purl_text: str) -> str:
    """The OSV ecosystem of a package URL ("PyPI", "Debian"…), "" when none fits."""
    purl = parse_purl(purl_text) if purl_text else None
    if purl is None:
        return ""
    kind = purl.type.lower()
    if kind in _ECOSYSTEMS:
        return _ECOSYSTEMS[kind]
    namespace = (purl.namespace or "").lower()
    if kind == "deb" and not namespace:
        return "Debian"
    return _DISTRIBUTIONS.get((kind, namespace), "")


_NOT_IN_ID = re.compile(r"[^a-z0-9._-]")


def check_id(tool: str, rule: str) -> str:
    """``<tool>.<rule>`` lower-cased, other characters than ``[a-z0-9._-]`` as ``-``, ≤120."""
    return _NOT_IN_ID.sub("-", f"{tool}.{rule}".lower())[:120]


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 timestamp (any fraction digits, ``Z``); naive times are taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def text(value: object) -> str:
    """A JSON scalar as text ("" for null, objects and lists)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return ""


def first_sentence(value: str) -> str:
    """The first line, cut after its first sentence (a title from a description)."""
    line = value.strip().split("\n", 1)[0].strip()
    end = line.find(". ")
    return line[: end + 1] if end > 0 else line


def as_dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def severity_of(word: str, *, default: Severity = Severity.INFO) -> Severity:
    mapped = severity_word(word)
    return Severity(mapped) if mapped else default


# -- CycloneDX -----------------------------------------------------------------------------

_PASS_STATES = frozenset({"not_affected", "false_positive", "resolved", "resolved_with_pedigree"})
_METHOD_RANK = {"cvssv4": 6, "cvssv31": 5, "cvssv3": 4, "cvssv2": 3, "owasp": 2, "ssvc": 1}
_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Known:
    """What a vulnerability needs to know about a component it affects."""

    name: str
    version: str
    purl: str

    @property
    def location(self) -> str:
        return purl_location(self.purl) or (
            f"{self.name}@{self.version}" if self.version else self.name
        )

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}".strip()


@dataclass(slots=True)
class _Vulnerability:
    number: int
    id: str
    cve: str
    source: str
    references: tuple[str, ...]
    severity: Severity
    rating: str
    description: str
    recommendation: str
    advisories: tuple[str, ...]
    state: str
    justification: str
    responses: tuple[str, ...]
    detail: str
    affects: list[tuple[str, list[dict[str, object]]]] = field(default_factory=list)


def _sniff(head: bytes) -> bool:
    head = strip_bom(head).lstrip()
    return head.startswith(b"{") and b'"bomFormat"' in head and b'"CycloneDX"' in head


def _parse(stream: BinaryIO, info: ReportInfo) -> Iterator[Item]:
    skip_bom(stream)
    target = ""
    subject_known = False
    known: dict[str, _Known] = {}
    waiting: list[dict[str, object]] = []  # components met before the BOM's subject
    vulnerabilities: list[_Vulnerability] = []
    counts = {"component": 0, "vulnerability": 0, "service": 0}
    bom_format = ""

    def component(raw: dict[str, object]) -> Component | None:
        name = text(raw.get("name"))
        ref = text(raw.get("bom-ref"))
        version = text(raw.get("version"))
        purl = text(raw.get("purl"))
        if ref:
            known[ref] = _Known(name or ref, version, purl)
        if not name:
            info.note("CycloneDX component without a name")
            return None
        return Component(
            name=name,
            version=version,
            purl=purl,
            cpe=text(raw.get("cpe")),
            vendor=_vendor(raw),
            ecosystem=ecosystem_of(purl),
            target=target,
            ref=ref,
            source=TOOL,
        )

    walk = walk_json(
        stream,
        build={
            "bomFormat",
            "metadata",
            "components.item",
            "vulnerabilities.item",
        },
        mark={"", "components", "vulnerabilities", "services.item"},
    )
    for prefix, event, value in walk:
        if prefix == "":
            if event not in ("start_map", "end_map"):
                raise ReportError("a CycloneDX BOM is a JSON object", where="top level")
        elif prefix == "bomFormat":
            bom_format = text(value)
            if bom_format != "CycloneDX":
                raise ReportError(
                    f"bomFormat is {bom_format!r}, not 'CycloneDX'", where="bomFormat"
                )
        elif prefix == "metadata":
            target = _read_metadata(as_dict(value), info) or info.name
            info.targets.add(target)
            subject_known = True
            for raw in waiting:
                found = component(raw)
                if found is not None:
                    yield found
            waiting.clear()
        elif prefix in ("components", "vulnerabilities"):
            if event not in ("start_array", "end_array"):
                raise ReportError(f"'{prefix}' must be a list", where=prefix)
        elif prefix == "services.item":
            if event == "start_map":
                counts["service"] += 1
        elif prefix == "components.item":
            counts["component"] += 1
            for raw in _flatten(value, f"component #{counts['component']}"):
                if subject_known:
                    found = component(raw)
                    if found is not None:
                        yield found
                else:
                    waiting.append(raw)
        elif prefix == "vulnerabilities.item":
            counts["vulnerability"] += 1
            vulnerabilities.append(_read_vulnerability(value, counts["vulnerability"]))

    if not bom_format:
        raise ReportError("no bomFormat: this is not a CycloneDX BOM", where="top level")
    if not subject_known:
        target = info.name
        info.targets.add(target)
        for raw in waiting:
            found = component(raw)
            if found is not None:
                yield found
    if counts["service"]:
        info.note("CycloneDX services (only components are imported)", counts["service"])
    for vulnerability in vulnerabilities:
        yield from _observations(vulnerability, known, target, info)


def _flatten(raw: object, where: str) -> Iterator[dict[str, object]]:
    """A component and, depth first, the components nested in it."""
    if not isinstance(raw, dict):
        raise ReportError("a component must be a JSON object", where=where)
    yield raw
    children = raw.get("components")
    if children is None:
        return
    if not isinstance(children, list):
        raise ReportError("'components' must be a list", where=where)
    for number, child in enumerate(children, 1):
        yield from _flatten(child, f"{where} > #{number}")


def _vendor(raw: dict[str, object]) -> str:
    for value in (
        raw.get("publisher"),
        raw.get("group"),
        as_dict(raw.get("supplier")).get("name"),
        as_dict(raw.get("manufacturer")).get("name"),
    ):
        found = text(value)
        if found:
            return found
    return ""


def _read_metadata(metadata: dict[str, object], info: ReportInfo) -> str:
    """Fill the report facts; return the BOM's subject ("name@version"), "" if none."""
    info.scanned_at = parse_time(metadata.get("timestamp")) or info.scanned_at
    tools = metadata.get("tools")
    listed: list[object] = []
    if isinstance(tools, list):  # 1.2–1.4: a list of tools
        listed = tools
    elif isinstance(tools, dict):  # 1.5+: {"components": [...], "services": [...]}
        listed = as_list(tools.get("components")) + as_list(tools.get("services"))
    for tool in listed:
        entry = as_dict(tool)
        label = " ".join(p for p in (text(entry.get("name")), text(entry.get("version"))) if p)
        if label:
            info.tool_version = label
            break
    subject = as_dict(metadata.get("component"))
    name = text(subject.get("name"))
    if not name:
        return ""
    version = text(subject.get("version"))
    return f"{name}@{version}" if version else name


def _read_vulnerability(raw: object, number: int) -> _Vulnerability:
    where = f"vulnerability #{number}"
    if not isinstance(raw, dict):
        raise ReportError("a vulnerability must be a JSON object", where=where)
    own = text(raw.get("id")) or text(raw.get("bom-ref"))
    if not own:
        raise ReportError("a vulnerability has no id", where=where)
    aliases = [text(as_dict(r).get("id")) for r in as_list(raw.get("references"))]
    cves = [i.upper() for i in (own, *aliases) if _CVE.match(i)]
    cwes = [f"CWE-{text(c)}" for c in as_list(raw.get("cwes")) if text(c).isdigit()]
    severity, rating = _rating(as_list(raw.get("ratings")))
    analysis = as_dict(raw.get("analysis"))
    affects: list[tuple[str, list[dict[str, object]]]] = []
    for entry in as_list(raw.get("affects")):
        ref = text(as_dict(entry).get("ref"))
        if not ref:
            raise ReportError(f"an 'affects' entry of {own} has no ref", where=where)
        versions = [as_dict(v) for v in as_list(as_dict(entry).get("versions"))]
        affects.append((ref, versions))
    advisories = tuple(text(as_dict(a).get("url")) for a in as_list(raw.get("advisories"))[:3])
    return _Vulnerability(
        number=number,
        id=own,
        cve=cves[0] if cves else "",
        source=text(as_dict(raw.get("source")).get("name")),
        references=tuple(dict.fromkeys([*cves, *cwes])),
        severity=severity,
        rating=rating,
        description=text(raw.get("description")) or text(raw.get("detail")),
        recommendation=text(raw.get("recommendation")),
        advisories=tuple(a for a in advisories if a),
        state=text(analysis.get("state")).lower(),
        justification=text(analysis.get("justification")),
        responses=tuple(text(r) for r in as_list(analysis.get("response")) if text(r)),
        detail=text(analysis.get("detail")),
        affects=affects,
    )


def _rating(ratings: list[object]) -> tuple[Severity, str]:
    """The severity of the best-method rating, and a short text of that rating."""
    best: tuple[int, Severity, str] | None = None
    for raw in ratings:
        rating = as_dict(raw)
        method = text(rating.get("method")).lower()
        vector = text(rating.get("vector"))
        score = rating.get("score")
        word = severity_word(text(rating.get("severity")))
        if text(rating.get("severity")).lower() == "unknown":
            word = ""
        if not word and isinstance(score, int | float) and not isinstance(score, bool):
            word = severity_word(float(score))
        if not word and vector:
            computed = _score(method, vector)
            if computed is not None:
                score = computed
                word = severity_word(computed)
        if not word:
            continue
        label = " ".join(p for p in (text(rating.get("method")), text(score), vector) if p)
        rank = _METHOD_RANK.get(method, 0)
        if best is None or rank > best[0]:
            best = (rank, Severity(word), label or word)
    if best is None:
        return Severity.INFO, ""
    return best[1], best[2]


def _score(method: str, vector: str) -> float | None:
    """A base score from a CVSS vector (CycloneDX ratings may give only the vector)."""
    try:
        if method == "cvssv2":
            return float(cvss.CVSS2(vector).base_score)
        if method == "cvssv4":
            return float(cvss.CVSS4(vector).base_score)
        if method in ("cvssv3", "cvssv31"):
            prefixed = vector if vector.startswith("CVSS:") else f"CVSS:3.0/{vector}"
            return float(cvss.CVSS3(prefixed).base_score)
    except (cvss.CVSSError, ValueError, KeyError, IndexError, TypeError):
        return None
    return None


def _observations(
    vulnerability: _Vulnerability,
    known: dict[str, _Known],
    target: str,
    info: ReportInfo,
) -> Iterator[Observation]:
    v = vulnerability
    check = f"vuln.{(v.cve or v.id).upper()}"
    affects = v.affects
    if not affects:
        raise ReportError(
            f"{v.id} names no affected component (affects is empty)",
            where=f"vulnerability #{v.number}",
        )
    for ref, versions in affects:
        component = known.get(ref)
        if component is None:
            info.note("VEX/vulnerability refers to a component that is not in this BOM")
            fragment = ref.split("#", 1)[1] if ref.startswith("urn:cdx:") and "#" in ref else ""
            location = purl_location(fragment or ref) or fragment or ref
            label = location
            version = ""
        else:
            location = component.location
            label = component.label
            version = component.version
        listed = _version_status(version, versions)
        status, why = _status(v, listed)
        fix = _fix(versions, v.recommendation, version)
        parts = [
            f"{v.id}" + (f" ({v.source})" if v.source else "") + f" affects {label}",
            why,
            f"rating {v.rating}" if v.rating else "severity unknown (no rating)",
            v.description,
        ]
        if v.advisories:
            parts.append("advisories: " + ", ".join(v.advisories))
        yield Observation(
            check=check,
            status=status,
            severity=v.severity,
            location=location,
            evidence=clip("; ".join(p for p in parts if p)),
            references=v.references,
            target=target,
            source=TOOL,
            rule=v.id,
            title=clip(first_sentence(v.description) or f"{v.id} in {label}", MAX_TITLE),
            fix=clip(fix, MAX_TITLE),
        )


def _status(v: _Vulnerability, listed: str) -> tuple[Status, str]:
    if v.state:
        said = f"VEX analysis: {v.state}"
        if v.justification:
            said += f" ({v.justification})"
        if v.responses:
            said += f", response {', '.join(v.responses)}"
        if v.detail:
            said += f": {v.detail}"
        return (Status.PASS if v.state in _PASS_STATES else Status.FAIL), said
    if listed == "unaffected":
        return Status.PASS, "the BOM lists this version as unaffected"
    return Status.FAIL, "no VEX analysis" if listed != "affected" else "version listed as affected"


def _version_status(version: str, versions: list[dict[str, object]]) -> str:
    """ "affected"/"unaffected" when an ``affects.versions`` entry covers ``version``."""
    if not version:
        return ""
    for entry in versions:
        status = text(entry.get("status")).lower()
        if text(entry.get("version")) == version:
            return status
        spec = text(entry.get("range"))
        if spec and _in_range(version, spec):
            return status
    return ""


def _in_range(version: str, spec: str) -> bool:
    try:
        rng = VersionRange.from_string(spec)  # type: ignore[no-untyped-call]
        return bool(rng.version_class(version) in rng)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError):
        return False  # a scheme univers does not know ("semver"…): cannot tell


def _fix(versions: list[dict[str, object]], recommendation: str, installed: str) -> str:
    """The unaffected versions to move to (not the installed one), else the recommendation."""
    unaffected = [
        text(e.get("version")) or text(e.get("range"))
        for e in versions
        if text(e.get("status")).lower() == "unaffected"
    ]
    unaffected = [u for u in unaffected if u and u != installed]
    if unaffected:
        return ", ".join(unaffected)
    return recommendation


SPEC = FormatSpec(
    name="cyclonedx-json",
    tool=TOOL,
    label="CycloneDX JSON (SBOM, vulnerabilities, VEX)",
    sniff=_sniff,
    parse=_parse,
    extensions=(".cdx.json", ".bom.json", ".json"),
)
