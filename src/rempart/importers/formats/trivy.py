"""Trivy JSON reports (``--format json``): schema version 2 and the legacy top-level list.

Each ``Results[]`` entry is one scanned target inside the artifact (an OS package database, a
lock file, a Dockerfile…). Per entry:

- ``Vulnerabilities[]`` → ``vuln.<ID>`` (the CVE id, else Trivy's id: GHSA-…, TEMP-…),
  located at the package's purl without qualifiers (``PkgIdentifier.PURL``, Trivy ≥ 0.45),
  else ``name@version``; ``fix`` is ``FixedVersion``. Trivy's ``Status`` (documented in
  "Filtering › By Status"): ``not_affected`` → PASS (the vendor says this package is not
  affected); ``fixed`` means *a fix has been released* (the installed version is still
  vulnerable), ``affected`` no fix yet, ``will_not_fix``, ``fix_deferred``, ``end_of_life``,
  ``under_investigation``, ``unknown`` or no status (older Trivy) → FAIL with the status in
  the evidence.
- ``Misconfigurations[]`` → ``trivy.<ID>`` at ``file:line``; ``Status`` PASS → PASS, FAIL →
  FAIL, EXCEPTION (waived by a policy exception) → INFO, counted in the report notes;
  ``fix`` is the ``Resolution``.
- ``Secrets[]`` → ``trivy.<RuleID>`` at ``file:line``. The secret is never copied: Trivy
  already masks it in ``Match`` with ``*``; a match without a mask is left out entirely.
- ``Packages[]`` (``--list-all-pkgs``) → components for vulnerability matching.
- ``Licenses[]`` are not imported (counted in the notes).

Target: for packages and their vulnerabilities, the artifact (``ArtifactName``: the image or
repository scanned) with the entry's ``Target`` when that adds something (``teamdojo:latest
(app/libs/x.jar)``, ``teamdojo:latest (alpine 3.9.4)``); for misconfigurations and secrets,
the artifact alone (their location names the file). A filesystem scan of ``.`` has no useful
artifact name: the entry's ``Target`` is used. Trivy writes its report from a Go struct, so
``ArtifactName`` always comes before ``Results``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

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
from rempart.importers.formats._common import (
    as_dict,
    as_list,
    check_id,
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

TOOL = "trivy"

_FAIL_STATUSES = {
    "fixed": "a fixed version is available",
    "affected": "affected, no fix released yet",
    "will_not_fix": "affected, the vendor will not fix it",
    "fix_deferred": "affected, the fix is deferred",
    "end_of_life": "the package's release is end of life (not analysed)",
    "under_investigation": "under investigation by the vendor",
}
_FIELDS = {"Target": "target", "Class": "kind", "Type": "type"}
_SINGULAR = {
    "Vulnerabilities": "vulnerability",
    "Misconfigurations": "misconfiguration",
    "Secrets": "secret",
    "Packages": "package",
}
_MASK = re.compile(r"\*{3,}")
_CWE = re.compile(r"^CWE-\d+$", re.IGNORECASE)

# The same streaming plan serves schema 2 ("Results.item…") and the legacy list ("item…").
_RESULT_ROOTS = ("Results.item", "item")
_LISTS = ("Vulnerabilities", "Misconfigurations", "Secrets", "Packages")
_BUILD = frozenset(
    {"SchemaVersion", "CreatedAt", "ArtifactName", "ArtifactType", "Trivy"}
    | {f"{r}.{k}" for r in _RESULT_ROOTS for k in ("Target", "Class", "Type")}
    | {f"{r}.{k}.item" for r in _RESULT_ROOTS for k in _LISTS}
)
_MARK = frozenset(
    {"", "Results"}
    | set(_RESULT_ROOTS)
    | {f"{r}.{k}" for r in _RESULT_ROOTS for k in _LISTS}
    | {f"{r}.Licenses.item" for r in _RESULT_ROOTS}
)


@dataclass(slots=True)
class _Result:
    """One ``Results[]`` entry while it streams."""

    number: int
    target: str = ""
    kind: str = ""  # Class: os-pkgs, lang-pkgs, config, secret, license
    type: str = ""  # debian, pip, jar, dockerfile…
    pending: list[tuple[str, int, object]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _sniff(head: bytes) -> bool:
    head = strip_bom(head).lstrip()
    if head.startswith(b"{"):
        return b'"SchemaVersion"' in head and (b'"ArtifactName"' in head or b'"Results"' in head)
    # Legacy (before v0.20): a list of {"Target", "Type", "Vulnerabilities"}.
    return head.startswith(b"[") and b'"Target"' in head and b'"Vulnerabilities"' in head


def _parse(stream: BinaryIO, info: ReportInfo) -> Iterator[Item]:
    skip_bom(stream)
    artifact = ""
    schema = ""
    top = ""
    result: _Result | None = None
    results = 0
    licenses = 0

    def emit(res: _Result, key: str, number: int, raw: object) -> Iterator[Item]:
        # Packages: the artifact and the part scanned (image OS, lock file); misconfigurations
        # and secrets: the artifact, their location names the file.
        inner = res.target if key in ("Vulnerabilities", "Packages") else ""
        target = _target(artifact, inner) if inner or artifact not in ("", ".") else res.target
        info.targets.add(target)
        where = f"result #{res.number} ({res.target or '?'}) {_SINGULAR[key]} #{number}"
        if not isinstance(raw, dict):
            raise ReportError(f"a {_SINGULAR[key]} must be a JSON object", where=where)
        if key == "Vulnerabilities":
            yield _vulnerability(raw, res, target, where)
        elif key == "Misconfigurations":
            found = _misconfiguration(raw, res, target, where, info)
            if found is not None:
                yield found
        elif key == "Secrets":
            yield _secret(raw, res, target, where)
        else:
            package = _package(raw, res, target)
            if package is not None:
                yield package
            else:
                info.note("Trivy package without a name")

    for prefix, event, value in walk_json(stream, _BUILD, _MARK):
        if prefix == "":
            top = top or event
            if event not in ("start_map", "end_map", "start_array", "end_array"):
                raise ReportError("a Trivy report is a JSON object or list", where="top level")
            continue
        root, _, rest = _split(prefix)
        if not root:  # a top-level key of schema 2
            if prefix == "Results":
                if event not in ("start_array", "end_array", "null"):
                    raise ReportError("'Results' must be a list", where="Results")
            elif prefix == "SchemaVersion":
                schema = text(value)
            elif prefix == "CreatedAt":
                info.scanned_at = parse_time(value) or info.scanned_at
            elif prefix == "ArtifactName":
                artifact = text(value)
                if artifact and artifact != ".":
                    info.targets.add(artifact)
            elif prefix == "Trivy":
                info.tool_version = text(as_dict(value).get("Version")) or info.tool_version
            continue
        if (root == "item") != (top == "start_array"):
            continue  # "item.…" only means something in the legacy list, and vice versa
        if rest == "":
            if event == "end_map" and result is not None:
                for key, number, raw in result.pending:
                    yield from emit(result, key, number, raw)
                result = None
                continue
            results += 1
            if event != "start_map":
                raise ReportError("a result must be a JSON object", where=f"result #{results}")
            result = _Result(number=results)
            continue
        if result is None:
            continue
        if rest in ("Target", "Class", "Type"):
            setattr(result, _FIELDS[rest], text(value))
        elif rest in _LISTS:
            if event not in ("start_array", "end_array", "null"):
                raise ReportError(
                    f"'{rest}' must be a list", where=f"result #{result.number} {rest}"
                )
        elif rest == "Licenses.item":
            if event == "start_map":
                licenses += 1
        else:
            key = rest.removesuffix(".item")
            result.counts[key] = number = result.counts.get(key, 0) + 1
            if result.target:
                yield from emit(result, key, number, value)
            else:  # Target comes first in Trivy's output; keep the entry until it is known
                result.pending.append((key, number, value))

    if top == "start_map" and not schema and not results:
        raise ReportError(
            "neither SchemaVersion nor Results: this is not a Trivy JSON report",
            where="top level",
        )
    if schema and schema != "2":
        info.note(f"Trivy SchemaVersion {schema} (read as version 2)")
    if licenses:
        info.note("Trivy license findings (not imported)", licenses)


def _split(prefix: str) -> tuple[str, str, str]:
    """("Results.item", ".", "Vulnerabilities.item") for a prefix under a result."""
    for root in _RESULT_ROOTS:
        if prefix == root:
            return root, "", ""
        if prefix.startswith(root + "."):
            return root, ".", prefix[len(root) + 1 :]
    return "", "", prefix


def _target(artifact: str, inner: str) -> str:
    if not artifact or artifact == ".":
        return inner or artifact or "trivy"
    if not inner or inner.startswith(artifact):
        return inner or artifact
    return f"{artifact} ({inner})"


def _severity(raw: dict[str, object]) -> tuple[Severity, str]:
    """Trivy's severity; UNKNOWN falls back to the best CVSS score Trivy lists."""
    word = severity_word(text(raw.get("Severity")))
    if word and text(raw.get("Severity")).upper() != "UNKNOWN":
        return Severity(word), ""
    scores = [
        score
        for vendor in as_dict(raw.get("CVSS")).values()
        for key in ("V40Score", "V3Score", "V2Score")
        if isinstance(score := as_dict(vendor).get(key), int | float)
    ]
    if scores:
        best = max(scores)
        return Severity(severity_word(best)), f"read from the best CVSS score, {best:g}"
    return Severity.INFO, "severity unknown"


def _cvss_text(raw: dict[str, object]) -> str:
    parts = []
    for vendor, data in as_dict(raw.get("CVSS")).items():
        values = as_dict(data)
        for score_key, vector_key in (("V40Score", "V40Vector"), ("V3Score", "V3Vector")):
            if score_key in values:
                parts.append(
                    f"{vendor} {text(values[score_key])} {text(values.get(vector_key))}".strip()
                )
                break
    return "CVSS " + ", ".join(parts[:2]) if parts else ""


def _vulnerability(raw: dict[str, object], res: _Result, target: str, where: str) -> Observation:
    vid = text(raw.get("VulnerabilityID"))
    name = text(raw.get("PkgName"))
    if not vid:
        raise ReportError("a vulnerability has no VulnerabilityID", where=where)
    if not name:
        raise ReportError(f"{vid} names no package (PkgName)", where=where)
    installed = text(raw.get("InstalledVersion"))
    purl = text(as_dict(raw.get("PkgIdentifier")).get("PURL"))
    location = purl_location(purl) or (f"{name}@{installed}" if installed else name)
    cves = cves_in(vid)
    cwes = [c.upper() for c in (text(c) for c in as_list(raw.get("CweIDs"))) if _CWE.match(c)]
    severity, severity_note = _severity(raw)
    raw_status = text(raw.get("Status")).lower()
    title = text(raw.get("Title")) or first_sentence(text(raw.get("Description")))
    if raw_status == "not_affected":
        status, said = Status.PASS, "status not_affected (the vendor says this package is safe)"
    else:
        status, meaning = Status.FAIL, _FAIL_STATUSES.get(raw_status, "")
        said = f"status {raw_status}" + (f" ({meaning})" if meaning else "") if raw_status else ""
    fixed = text(raw.get("FixedVersion"))
    evidence = [
        f"{name} {installed} in {res.target or target}: {vid}" + (f" {title}" if title else ""),
        said,
        f"fixed in {fixed}" if fixed else "no fixed version listed",
        f"severity {text(raw.get('Severity'))}"
        + (f" ({text(raw.get('SeveritySource'))})" if raw.get("SeveritySource") else ""),
        severity_note,
        _cvss_text(raw),
        text(raw.get("PrimaryURL")),
    ]
    return Observation(
        check=vuln_check(cves[0] if cves else vid),
        status=status,
        severity=severity,
        location=location,
        evidence=clip("; ".join(e for e in evidence if e)),
        references=tuple(dict.fromkeys([*cves, *cwes])),
        target=target,
        source=TOOL,
        rule=vid,
        title=clip(title or f"{vid} in {name}", MAX_TITLE),
        fix=clip(fixed, MAX_TITLE),
    )


def _where_in_file(res: _Result, line: object) -> str:
    number = line if isinstance(line, int) and not isinstance(line, bool) else 0
    file = res.target or "?"
    return f"{file}:{number}" if number > 0 else file


def _misconfiguration(
    raw: dict[str, object], res: _Result, target: str, where: str, info: ReportInfo
) -> Observation | None:
    rule = text(raw.get("ID")) or text(raw.get("AVDID"))
    if not rule:
        raise ReportError("a misconfiguration has no ID", where=where)
    raw_status = text(raw.get("Status")).upper()
    status = {"PASS": Status.PASS, "FAIL": Status.FAIL}.get(raw_status, Status.FAIL)
    if raw_status == "EXCEPTION":
        status = Status.INFO
        info.note("Trivy misconfigurations waived by a policy exception (imported as info)")
    cause = as_dict(raw.get("CauseMetadata"))
    word = severity_word(text(raw.get("Severity")))
    links = [text(u) for u in (raw.get("PrimaryURL"), *as_list(raw.get("References")))]
    evidence = [
        f"{text(raw.get('Type')) or 'misconfiguration'} {rule}"
        + (f" ({text(raw.get('AVDID'))})" if raw.get("AVDID") else "")
        + f": {raw_status or 'FAIL'}",
        text(raw.get("Message")),
        " ".join(p for p in (text(cause.get("Provider")), text(cause.get("Service"))) if p),
        text(cause.get("Resource")),
        "" if word else "severity unknown",
    ]
    return Observation(
        check=check_id(TOOL, rule),
        status=status,
        severity=Severity(word) if word else Severity.INFO,
        location=_where_in_file(res, cause.get("StartLine")),
        evidence=clip("; ".join(e for e in evidence if e)),
        references=tuple(dict.fromkeys(u for u in links if u))[:3],
        target=target,
        source=TOOL,
        rule=rule,
        title=clip(text(raw.get("Title")) or rule, MAX_TITLE),
        fix=clip(text(raw.get("Resolution")), MAX_TITLE),
    )


def _secret(raw: dict[str, object], res: _Result, target: str, where: str) -> Observation:
    rule = text(raw.get("RuleID"))
    if not rule:
        raise ReportError("a secret has no RuleID", where=where)
    match = text(raw.get("Match"))
    shown = clip(match, 200) if _MASK.search(match) else "(match withheld: not masked)"
    word = severity_word(text(raw.get("Severity")))
    title = text(raw.get("Title")) or rule
    return Observation(
        check=check_id(TOOL, rule),
        status=Status.FAIL,
        severity=Severity(word) if word else Severity.INFO,
        location=_where_in_file(res, raw.get("StartLine")),
        evidence=clip(
            f"{text(raw.get('Category')) or 'secret'}: {title} in {res.target}, "
            f"line {text(raw.get('StartLine')) or '?'}; {shown}"
            + ("" if word else "; severity unknown")
        ),
        target=target,
        source=TOOL,
        rule=rule,
        title=clip(title, MAX_TITLE),
    )


def _package(raw: dict[str, object], res: _Result, target: str) -> Component | None:
    name = text(raw.get("Name"))
    if not name:
        return None
    identifier = as_dict(raw.get("Identifier"))
    purl = text(identifier.get("PURL"))
    return Component(
        name=name,
        version=text(raw.get("Version")),
        purl=purl,
        ecosystem=ecosystem_of(purl),
        target=target,
        ref=text(identifier.get("UID")) or text(raw.get("ID")),
        source=TOOL,
    )


SPEC = FormatSpec(
    name="trivy-json",
    tool=TOOL,
    label="Trivy JSON (--format json)",
    sniff=_sniff,
    parse=_parse,
    extensions=(".json",),
)
