"""SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format), from any tool.

The source of each observation is the run's tool (``tool.driver.name`` as a slug:
``gitleaks``, ``dependency-check``, ``shell-script-analysis``), and the check is
``<tool>.<ruleId>`` (``gitleaks.aws-access-token``). A result whose rule id is a CVE id
(OWASP dependency-check) becomes ``vuln.<CVE>``.

Semantics (SARIF 2.1.0 §3.27):

- ``kind`` (default ``fail``): ``fail`` → FAIL, ``review`` → FAIL ("needs review" in the
  evidence), ``pass`` → PASS, ``informational`` → INFO, ``open`` (the tool could not tell) →
  ERROR, ``notApplicable`` → SKIPPED.
- ``suppressions`` (§3.35): the result is suppressed when the array is non-empty, no entry is
  ``underReview`` or ``rejected``, and the entries are ``accepted`` (or have no status).
  A suppressed result was reviewed and dismissed: status INFO, "suppressed (kind,
  justification)" in the evidence, counted in the report notes.
- ``baselineState`` ``absent``: found in the baseline, gone now → PASS.
- Severity: ``security-severity`` (a CVSS-like score, on the result or its rule: GitHub code
  scanning's convention) first, then a tool's CVSS score or severity word in the result's
  properties (dependency-check, sast-scan), then ``level`` (result, else the rule's
  ``defaultConfiguration``, else ``warning`` for a ``fail``): error → high, warning → medium,
  note → low, none → info.
- Location: the first location's artifact URI, made relative to the run's source root or
  working directory when it lies under it (so two machines give the same location), with
  ``:line``; an artifact that the run describes as a package (a purl in its properties, as
  dependency-check writes) is located by that purl instead. Snippets are never copied into
  evidence (secret scanners put the secret there).
- Target: the run's repository (``versionControlProvenance``), else its source root
  (``originalUriBaseIds``), else the first invocation's working directory, else the file name.

Single pass: a run's rules, artifacts and provenance may come before or after its results, so
each result is reduced to the few fields needed and resolved when the run closes (memory: a few
hundred bytes per result; past ``_BUFFER_LIMIT`` results the run is resolved with what is known
so far and the rest streams).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

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
    first_sentence,
    parse_time,
    purl_location,
    skip_bom,
    strip_bom,
    text,
    walk_json,
)

DEFAULT_TOOL = "sarif"
_BUFFER_LIMIT = 10_000

_R = "runs.item"
_BUILD = frozenset(
    {
        "version",
        f"{_R}.tool.driver.name",
        f"{_R}.tool.driver.version",
        f"{_R}.tool.driver.semanticVersion",
        f"{_R}.tool.driver.rules.item",
        f"{_R}.tool.extensions.item.rules.item",
        f"{_R}.results.item",
        f"{_R}.artifacts.item",
        f"{_R}.versionControlProvenance",
        f"{_R}.originalUriBaseIds",
        f"{_R}.invocations.item.workingDirectory",
        f"{_R}.invocations.item.startTimeUtc",
        f"{_R}.invocations.item.endTimeUtc",
    }
)
_MARK = frozenset(
    {"", "runs", _R, f"{_R}.results", f"{_R}.artifacts", f"{_R}.tool.extensions.item"}
)

_LEVEL_SEVERITY = {
    "error": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "note": Severity.LOW,
    "none": Severity.INFO,
}
_CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$", re.IGNORECASE)
_CWE_TAG = re.compile(r"(?:^|/|\b)cwe[-_/:]?0*(\d+)", re.IGNORECASE)
_ARGUMENT = re.compile(r"\{(\d+)\}")
_DRIVE = re.compile(r"^/[A-Za-z]:/")
_NOT_SLUG = re.compile(r"[^a-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class _Rule:
    id: str
    title: str
    description: str
    help_uri: str
    level: str
    security_severity: float | None
    cwes: tuple[str, ...]
    messages: dict[str, str]


@dataclass(slots=True)
class _Result:
    """The part of a SARIF result needed once its run is fully known."""

    number: int
    rule_id: str
    rule_index: int
    component: int  # -1: the driver; n: tool.extensions[n]
    kind: str
    level: str
    message: str
    message_id: str
    arguments: tuple[str, ...]
    uri: str
    base_id: str
    artifact: int
    line: int
    logical: str
    suppressed: str  # "" when not suppressed, else what the suppression says
    under_review: bool
    baseline: str
    security_severity: float | None
    score: float | None
    severity_word: str


@dataclass(slots=True)
class _Run:
    number: int
    tool: str = DEFAULT_TOOL
    tool_name: str = ""
    rules: dict[int, list[_Rule]] = field(default_factory=dict)
    by_id: dict[str, _Rule] = field(default_factory=dict)
    artifacts: list[tuple[str, str, str]] = field(default_factory=list)  # uri, base id, purl
    repository: str = ""
    bases: dict[str, str] = field(default_factory=dict)
    working_dir: str = ""
    extensions: int = 0
    results: int = 0
    pending: list[_Result] = field(default_factory=list)
    target: str = ""  # fixed once results have been emitted


def _sniff(head: bytes) -> bool:
    head = strip_bom(head).lstrip()
    return head.startswith(b"{") and b'"runs"' in head and b"sarif" in head.lower()


def _parse(stream: BinaryIO, info: ReportInfo) -> Iterator[Item]:
    skip_bom(stream)
    run: _Run | None = None
    runs = 0
    seen_runs = False
    version = ""
    for prefix, event, value in walk_json(stream, _BUILD, _MARK):
        if prefix == "":
            if event not in ("start_map", "end_map"):
                raise ReportError("a SARIF log is a JSON object", where="top level")
        elif prefix == "version":
            version = text(value)
        elif prefix == "runs":
            seen_runs = True
            if event not in ("start_array", "end_array"):
                raise ReportError("'runs' must be a list", where="runs")
        elif prefix == _R:
            if event == "start_map":
                runs += 1
                run = _Run(number=runs)
            elif event == "end_map" and run is not None:
                yield from _flush(run, info)
                run = None
            else:
                raise ReportError("a run must be a JSON object", where=f"run #{runs + 1}")
        elif run is not None:
            yield from _run_part(run, prefix[len(_R) + 1 :], event, value, info)
    if not seen_runs:
        raise ReportError("no 'runs': this is not a SARIF log", where="top level")
    if version and not version.startswith("2.1"):
        info.note(f"SARIF version {version} (read as 2.1.0)")


def _run_part(
    run: _Run, key: str, event: str, value: object, info: ReportInfo
) -> Iterator[Observation]:
    if key == "tool.driver.name":
        run.tool_name = text(value)
        run.tool = _NOT_SLUG.sub("-", run.tool_name.lower()).strip("-") or DEFAULT_TOOL
        if run.number == 1 or info.tool in ("", DEFAULT_TOOL):
            info.tool = run.tool
    elif key in ("tool.driver.version", "tool.driver.semanticVersion"):
        info.tool_version = info.tool_version or text(value)
    elif key == "tool.driver.rules.item":
        _add_rule(run, -1, value)
    elif key == "tool.extensions.item":
        if event == "end_map":
            run.extensions += 1
    elif key == "tool.extensions.item.rules.item":
        _add_rule(run, run.extensions, value)
    elif key in ("results", "artifacts"):
        if event not in ("start_array", "end_array", "null"):
            raise ReportError(f"'{key}' must be a list", where=f"run #{run.number} {key}")
    elif key == "artifacts.item":
        entry = as_dict(value)
        location = as_dict(entry.get("location"))
        purls = [
            text(v) for v in as_dict(entry.get("properties")).values() if text(v).startswith("pkg:")
        ]
        run.artifacts.append(
            (text(location.get("uri")), text(location.get("uriBaseId")), purls[0] if purls else "")
        )
    elif key == "versionControlProvenance":
        for provenance in as_list(value):
            run.repository = run.repository or text(as_dict(provenance).get("repositoryUri"))
    elif key == "originalUriBaseIds":
        bases = as_dict(value)
        for name in bases:
            run.bases[name] = _resolve_base(bases, name, 0)
    elif key == "invocations.item.workingDirectory":
        run.working_dir = run.working_dir or text(as_dict(value).get("uri"))
    elif key in ("invocations.item.startTimeUtc", "invocations.item.endTimeUtc"):
        info.scanned_at = info.scanned_at or parse_time(value)
    elif key == "results.item":
        run.results += 1
        run.pending.append(_reduce(value, run))
        if len(run.pending) >= _BUFFER_LIMIT and run.tool_name:
            yield from _flush(run, info)


def _add_rule(run: _Run, component: int, raw: object) -> None:
    rule = as_dict(raw)
    props = as_dict(rule.get("properties"))
    tags = [text(t) for t in as_list(props.get("tags"))]
    cwes = [f"CWE-{m.group(1)}" for t in tags if (m := _CWE_TAG.search(t))]
    for relation in as_list(rule.get("relationships")):
        target = as_dict(as_dict(relation).get("target"))
        if text(as_dict(target.get("toolComponent")).get("name")).upper() == "CWE":
            found = text(target.get("id"))
            if found.isdigit() or (found.upper().startswith("CWE-") and found[4:].isdigit()):
                cwes.append("CWE-" + found.upper().removeprefix("CWE-"))
    messages = {
        name: text(as_dict(body).get("text"))
        for name, body in as_dict(rule.get("messageStrings")).items()
    }
    entry = _Rule(
        id=text(rule.get("id")),
        title=text(as_dict(rule.get("shortDescription")).get("text")) or text(rule.get("name")),
        description=text(as_dict(rule.get("fullDescription")).get("text")),
        help_uri=text(rule.get("helpUri")),
        level=text(as_dict(rule.get("defaultConfiguration")).get("level")),
        security_severity=_number(props.get("security-severity")),
        cwes=tuple(dict.fromkeys(cwes)),
        messages=messages,
    )
    run.rules.setdefault(component, []).append(entry)
    if entry.id:
        run.by_id.setdefault(entry.id, entry)


def _resolve_base(bases: dict[str, object], name: str, depth: int) -> str:
    """An ``originalUriBaseIds`` entry as an absolute URI (entries may chain)."""
    entry = as_dict(bases.get(name))
    uri = text(entry.get("uri"))
    parent = text(entry.get("uriBaseId"))
    if parent and depth < 8 and parent != name:
        root = _resolve_base(bases, parent, depth + 1)
        if root:
            return root.rstrip("/") + "/" + uri.lstrip("/")
    return uri


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(text(value))
    except ValueError:
        return None


def _reduce(raw: object, run: _Run) -> _Result:
    where = f"run #{run.number} result #{run.results}"
    if not isinstance(raw, dict):
        raise ReportError("a result must be a JSON object", where=where)
    rule = as_dict(raw.get("rule"))
    message = as_dict(raw.get("message"))
    locations = as_list(raw.get("locations"))
    physical = as_dict(as_dict(locations[0]).get("physicalLocation")) if locations else {}
    artifact = as_dict(physical.get("artifactLocation")) or as_dict(raw.get("analysisTarget"))
    region = as_dict(physical.get("region"))
    logical = as_list(as_dict(locations[0]).get("logicalLocations")) if locations else []
    props = as_dict(raw.get("properties"))
    suppressions = [as_dict(s) for s in as_list(raw.get("suppressions"))]
    statuses = {text(s.get("status")) for s in suppressions}
    under_review = bool(statuses & {"underReview", "rejected"})
    suppressed = ""
    if suppressions and not under_review:
        said = [
            ", ".join(p for p in (text(s.get("kind")), text(s.get("justification"))) if p)
            for s in suppressions
        ]
        suppressed = "; ".join(s for s in said if s) or "suppressed"
    index = raw.get("ruleIndex", rule.get("index", -1))
    tool_component = as_dict(rule.get("toolComponent")).get("index", -1)
    line = region.get("startLine", 0)
    score = _number(props.get("cvssv3_baseScore"))
    if score is None:
        score = _number(props.get("cvssv2_score"))
    return _Result(
        number=run.results,
        rule_id=text(raw.get("ruleId")) or text(rule.get("id")),
        rule_index=index if isinstance(index, int) and not isinstance(index, bool) else -1,
        component=(
            tool_component
            if isinstance(tool_component, int) and not isinstance(tool_component, bool)
            else -1
        ),
        kind=text(raw.get("kind")) or "fail",
        level=text(raw.get("level")),
        message=clip(text(message.get("text")) or text(message.get("markdown")), 1000),
        message_id=text(message.get("id")),
        arguments=tuple(text(a) for a in as_list(message.get("arguments"))),
        uri=text(artifact.get("uri")),
        base_id=text(artifact.get("uriBaseId")),
        artifact=_int(artifact.get("index")),
        line=_int(line),
        logical=text(as_dict(logical[0]).get("fullyQualifiedName")) if logical else "",
        suppressed=suppressed,
        under_review=under_review,
        baseline=text(raw.get("baselineState")),
        security_severity=_number(props.get("security-severity")),
        score=score,
        severity_word=severity_word(
            text(props.get("severity")) or text(props.get("issue_severity"))
        ),
    )


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def _flush(run: _Run, info: ReportInfo) -> Iterator[Observation]:
    if not run.target:
        run.target = _target(run) or info.name
        info.targets.add(run.target)
    pending, run.pending = run.pending, []
    for result in pending:
        yield _observation(result, run, info)


def _target(run: _Run) -> str:
    if run.repository:
        return run.repository
    for name in ("SRCROOT", "PROJECTROOT", *run.bases):
        if run.bases.get(name):
            return _path(run.bases[name])
    return _path(run.working_dir) if run.working_dir else ""


def _path(uri: str) -> str:
    """A file URI as a path (``file:///home/x`` → ``/home/x``); other URIs unchanged."""
    uri = uri.strip()
    if uri.startswith("file:"):
        parts = urlsplit(uri)
        path = unquote(parts.path)
        if _DRIVE.match(path):  # file:///C:/code/x.c → C:/code/x.c
            path = path[1:]
        return f"//{parts.netloc}{path}" if parts.netloc else path
    return uri


def _rule(result: _Result, run: _Run) -> _Rule | None:
    rules = run.rules.get(result.component, [])
    if 0 <= result.rule_index < len(rules):
        return rules[result.rule_index]
    if result.rule_id:
        return run.by_id.get(result.rule_id)
    # Gitleaks 7 writes no ruleId; its message starts with the rule's id ("AWS Access Key …").
    candidates = [r for r in run.by_id.values() if result.message.startswith(r.id)]
    return max(candidates, key=lambda r: len(r.id)) if candidates else None


def _message(result: _Result, rule: _Rule | None) -> str:
    if result.message:
        return result.message
    template = rule.messages.get(result.message_id, "") if rule else ""
    if not template:
        return result.message_id
    args = result.arguments
    return _ARGUMENT.sub(
        lambda m: args[int(m.group(1))] if int(m.group(1)) < len(args) else "", template
    )


def _location(result: _Result, run: _Run) -> tuple[str, str]:
    """(location, purl): the package purl when the artifact is a package, else ``uri:line``."""
    uri, base = result.uri, result.base_id
    purl = ""
    if 0 <= result.artifact < len(run.artifacts):
        known_uri, known_base, purl = run.artifacts[result.artifact]
        uri, base = uri or known_uri, base or known_base
    if purl and purl_location(purl):
        return purl_location(purl), purl
    if not uri:
        return result.logical, ""
    path = uri
    root = run.bases.get(base, "") if base else ""
    if not root and uri.startswith("file:"):
        for candidate in (run.bases.get("SRCROOT", ""), run.working_dir):
            if candidate and uri.startswith(candidate.rstrip("/") + "/"):
                path = uri[len(candidate.rstrip("/")) + 1 :]
                break
        else:
            path = _path(uri)
    path = unquote(path) if "%" in path else path
    return (f"{path}:{result.line}" if result.line > 0 else path), ""


def _observation(result: _Result, run: _Run, info: ReportInfo) -> Observation:
    rule = _rule(result, run)
    rule_id = result.rule_id or (rule.id if rule else "")
    where = f"run #{run.number} result #{result.number}"
    if not rule_id:
        info.note(f"{run.tool_name or 'SARIF'} results without a rule id")
        rule_id = "unknown-rule"
    location, purl = _location(result, run)
    if not location:
        raise ReportError(f"result for {rule_id} has no location", where=where)
    message = _message(result, rule)
    if result.kind == "fail":  # §3.27.10: rule default, else "warning"
        level = result.level or (rule.level if rule and rule.level else "") or "warning"
    else:  # any other kind: the level is "none"
        level = result.level or "none"
    severity, how = _severity(result, rule, level)
    status, reason, said = _status(result)
    if result.suppressed:
        info.note(f"{run.tool_name or 'SARIF'} results suppressed (imported as info)")
    is_vuln = bool(_CVE_ID.match(rule_id))
    check = vuln_check(rule_id) if is_vuln else check_id(run.tool, rule_id)
    title = (rule.title if rule else "") or first_sentence(message) or rule_id
    kind = "" if result.kind == "fail" else f", kind {result.kind}"
    evidence = [
        f"{run.tool_name or run.tool} {rule_id} [{level}{kind}]: {message}",
        said,
        f"at {purl}" if purl else "",
        how,
    ]
    cves = cves_in(rule_id, message)
    references = [*cves, *(rule.cwes if rule else ())]
    if rule and rule.help_uri and not is_vuln:
        references.append(rule.help_uri)
    return Observation(
        check=check,
        status=status,
        severity=severity,
        location=location,
        evidence=clip("; ".join(e for e in evidence if e)),
        references=tuple(dict.fromkeys(references)),
        reason=reason,
        target=run.target,
        source=run.tool,
        rule=rule_id,
        title=clip(title, MAX_TITLE),
    )


def _severity(result: _Result, rule: _Rule | None, level: str) -> tuple[Severity, str]:
    score = result.security_severity
    if score is None and rule is not None:
        score = rule.security_severity
    if score is not None:
        return Severity(severity_word(score)), f"security-severity {score:g}"
    if result.score is not None:
        return Severity(severity_word(result.score)), f"CVSS {result.score:g}"
    if result.severity_word:
        return Severity(result.severity_word), ""
    return _LEVEL_SEVERITY.get(level, Severity.MEDIUM), ""


def _status(result: _Result) -> tuple[Status, str, str]:
    """(status, reason for error/skipped, what to add to the evidence)."""
    if result.suppressed:
        return Status.INFO, "", f"suppressed ({result.suppressed})"
    notes = []
    if result.under_review:
        notes.append("a suppression is under review or was rejected")
    if result.baseline:
        notes.append(f"baseline: {result.baseline}")
    said = "; ".join(notes)
    if result.baseline == "absent":
        return Status.PASS, "", "no longer found (baseline state absent)"
    kind = result.kind
    if kind == "pass":
        return Status.PASS, "", said
    if kind == "informational":
        return Status.INFO, "", said
    if kind == "open":
        reason = "the tool could not determine whether this is a problem (SARIF kind open)"
        return Status.ERROR, reason, said
    if kind == "notApplicable":
        return Status.SKIPPED, "the rule does not apply here (SARIF kind notApplicable)", said
    if kind == "review":
        return Status.FAIL, "", "; ".join(p for p in ("needs review by a person", said) if p)
    return Status.FAIL, "", said


SPEC = FormatSpec(
    name="sarif",
    tool=DEFAULT_TOOL,
    label="SARIF 2.1.0",
    sniff=_sniff,
    parse=_parse,
    extensions=(".sarif", ".sarif.json", ".json"),
)
