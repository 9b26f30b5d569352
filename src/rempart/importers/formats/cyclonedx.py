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
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import cvss
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
    vuln_check,
)
from rempart.importers.formats._common import (
    as_dict,
    as_list,
    ecosystem_of,
    first_sentence,
    parse_time,
    purl_location,
    skip_bom,
    strip_bom,
    text,
    walk_json,
)
from rempart.intel.model import Component

TOOL = "cyclonedx"

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
    check = vuln_check(v.cve or v.id)
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
