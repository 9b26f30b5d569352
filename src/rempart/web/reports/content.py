"""What a report says, gathered from the database into plain values the template only prints.

Called inside ``translation.override(lang)``: every sentence here and the catalog's guidance
come out in the report's language. A fixed number of queries whatever the number of
findings (one for the findings, one for the latest scan of each asset…).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from rempart.web.assets.models import Asset
from rempart.web.findings.models import ACTIVE_STATUSES, Finding, FindingStatus, Severity
from rempart.web.imports.models import Import, ImportStatus
from rempart.web.orgs.models import Membership, Organisation, Role
from rempart.web.portal.guidance import Advice, advice_for, plain_title
from rempart.web.portal.queries import OrgGrade, finding_counts, organisation_grade
from rempart.web.reports.charts import SeverityChart, findings_over_time
from rempart.web.reports.diagnostic_part import DiagnosticPart, diagnostic_part
from rempart.web.scans.models import FINISHED, Scan

EVIDENCE_CLIP = 240
SEVERITY_LABELS = dict(Severity.choices)


@dataclass(frozen=True, slots=True)
class FindingRow:
    title: str
    severity: str
    severity_label: str
    status_label: str
    location: str
    sources: tuple[str, ...]
    known_exploited: bool
    ransomware: bool
    cves: tuple[dict[str, Any], ...]
    epss: float | None
    first_seen: datetime
    due_date: Any
    overdue: bool
    evidence: str
    clipped: bool
    fix: str
    advice: Advice | None


@dataclass(frozen=True, slots=True)
class FindingGroup:
    """One problem (a check) on one asset, with every place it was seen: the advice is
    printed once, the places in a table (a report of 200 findings stays readable)."""

    title: str
    severity: str
    severity_label: str
    known_exploited: bool
    ransomware: bool
    advice: Advice | None
    rows: tuple[FindingRow, ...]


@dataclass(frozen=True, slots=True)
class AssetSection:
    name: str
    kind: str
    verified: bool
    last_scan_at: datetime | None
    grade: str
    families: tuple[str, ...]
    groups: tuple[FindingGroup, ...]

    @property
    def findings(self) -> int:
        return sum(len(g.rows) for g in self.groups)


@dataclass(frozen=True, slots=True)
class Priority:
    title: str
    why: str
    who: str
    effort: str
    severity: str
    severity_label: str
    known_exploited: bool = False
    red_flag: bool = False
    contradiction: str = ""


@dataclass(frozen=True, slots=True)
class ProgressFacts:
    since: datetime | None  # the previous report's date; None for the first report
    fixed: int
    new: int
    actions_done: int | None
    maturity_then: float | None
    maturity_now: float | None


@dataclass(frozen=True, slots=True)
class ImportFact:
    tool: str
    scope: str
    when: datetime | None


@dataclass
class ReportData:
    organisation: Organisation
    lang: str
    serial: str
    generated_at: datetime
    verify_url: str
    grade: OrgGrade
    counts: dict[str, int]
    by_severity: list[tuple[str, str, int]]
    missing: list[str]
    priorities: list[Priority]
    progress: ProgressFacts
    severity_chart: SeverityChart | None
    assets: list[AssetSection]
    other_findings: tuple[FindingGroup, ...]  # imported findings of no declared asset
    imports: list[ImportFact]
    diagnostic: DiagnosticPart
    period_start: datetime | None
    extra: dict[str, Any] = field(default_factory=dict)
    providers: list[str] = field(default_factory=list)  # the business's IT providers

    @property
    def has_findings(self) -> bool:
        return bool(self.counts.get("active"))


def _row(finding: Finding, today: Any) -> FindingRow:
    evidence = finding.evidence or ""
    return FindingRow(
        title=plain_title(finding.check_id, finding.title),
        severity=finding.severity,
        severity_label=str(SEVERITY_LABELS.get(finding.severity, finding.severity)),
        status_label=finding.get_status_display(),
        location=finding.location,
        sources=tuple(str(s) for s in finding.sources or ()),
        known_exploited=finding.known_exploited,
        ransomware=finding.ransomware,
        cves=tuple(c for c in finding.cves or () if isinstance(c, dict)),
        epss=finding.epss,
        first_seen=finding.first_seen,
        due_date=finding.due_date,
        overdue=bool(finding.due_date and finding.due_date < today),
        evidence=evidence[:EVIDENCE_CLIP],
        clipped=len(evidence) > EVIDENCE_CLIP,
        fix=finding.fix,
        advice=advice_for(finding.check_id),
    )


def group_rows(rows: list[tuple[str, FindingRow]]) -> tuple[FindingGroup, ...]:
    """Rows (check id, row), worst first, grouped by check in order of first appearance."""
    by_check: dict[str, list[FindingRow]] = {}
    for check_id, row in rows:
        by_check.setdefault(check_id, []).append(row)
    groups = []
    for members in by_check.values():
        head = members[0]
        groups.append(
            FindingGroup(
                title=head.title,
                severity=head.severity,
                severity_label=head.severity_label,
                known_exploited=any(r.known_exploited for r in members),
                ransomware=any(r.ransomware for r in members),
                advice=head.advice,
                rows=tuple(members),
            )
        )
    return tuple(groups)


def _latest_scans(organisation: Organisation) -> dict[Any, Scan]:
    latest = Scan.objects.filter(asset=OuterRef("asset"), status__in=FINISHED).order_by(
        "-finished_at"
    )
    scans = Scan.objects.filter(
        organisation=organisation, status__in=FINISHED, pk=Subquery(latest.values("pk")[:1])
    ).only("asset_id", "finished_at", "grade", "observations")
    return {scan.asset_id: scan for scan in scans}


def families_of(scan: Scan | None) -> tuple[str, ...]:
    """The check families a scan ran ("dns", "mail", "tls"…), from its observations."""
    if scan is None:
        return ()
    return tuple(
        sorted({str(o.get("check", "")).split(".")[0] for o in scan.observations or ()} - {""})
    )


def asset_sections(
    organisation: Organisation,
) -> tuple[list[AssetSection], tuple[FindingGroup, ...], list[Asset]]:
    today = timezone.localdate()
    assets = list(Asset.objects.filter(organisation=organisation).order_by("name"))
    scans = _latest_scans(organisation)
    active = (
        Finding.objects.filter(organisation=organisation, status__in=ACTIVE_STATUSES)
        .select_related(None)
        .order_by("-known_exploited", "-severity_rank", "due_date", "check_id", "pk")
    )
    rows: dict[Any, list[tuple[str, FindingRow]]] = {}
    for finding in active:
        rows.setdefault(finding.asset_id, []).append((finding.check_id, _row(finding, today)))
    sections = []
    for asset in assets:
        scan = scans.get(asset.pk)
        sections.append(
            AssetSection(
                name=asset.name,
                kind=asset.get_kind_display(),
                verified=asset.is_verified,
                last_scan_at=scan.finished_at if scan else None,
                grade=scan.grade if scan else "",
                families=families_of(scan),
                groups=group_rows(rows.pop(asset.pk, [])),
            )
        )
    # Findings of removed assets and of imports that name no declared asset.
    others = group_rows([row for group in rows.values() for row in group])
    return sections, others, assets


def _fallback_priorities(organisation: Organisation) -> list[Priority]:
    """Without a diagnostic the five priorities are the five findings to fix first."""
    from rempart.web.portal.queries import top_findings

    result = []
    for finding in top_findings(organisation, 5):
        advice = advice_for(finding.check_id)
        result.append(
            Priority(
                title=plain_title(finding.check_id, finding.title),
                why=advice.why if advice else finding.evidence[:200],
                who=advice.who if advice else "",
                effort=advice.effort if advice else "",
                severity=finding.severity,
                severity_label=str(SEVERITY_LABELS.get(finding.severity, finding.severity)),
                known_exploited=finding.known_exploited,
            )
        )
    return result


def _progress(
    organisation: Organisation, previous: Any, diagnostic: DiagnosticPart
) -> ProgressFacts:
    now_index = diagnostic.maturity.index if diagnostic.maturity else None
    if previous is None or previous.finished_at is None:
        return ProgressFacts(None, 0, 0, None, None, now_index)
    since = previous.finished_at
    findings = Finding.objects.filter(organisation=organisation)
    fixed = findings.filter(status=FindingStatus.FIXED, fixed_at__gt=since).count()
    new = findings.filter(first_seen__gt=since).count()
    then = None
    if previous.attestation is not None:
        then = (previous.attestation.payload.get("maturity") or {}).get("index")
    return ProgressFacts(since, fixed, new, diagnostic.actions_done_since(since), then, now_index)


def missing_sentences(
    assets: list[Asset], scans_done: bool, diagnostic: DiagnosticPart
) -> list[str]:
    """What the report could not say, and why, instead of an empty grade (issue 5)."""
    missing: list[str] = []
    if not assets:
        missing.append(
            _(
                "No asset (domain, website or server) is declared yet: nothing could be "
                "checked from the internet."
            )
        )
    elif not any(asset.is_verified for asset in assets):
        missing.append(
            _(
                "No asset is verified yet: only public DNS and mail records could be checked. "
                "The full checks start once you prove that you control an asset."
            )
        )
    if assets and not scans_done:
        missing.append(
            _(
                "No scan has finished yet, so there is no grade. The grade appears after the "
                "first scan of a verified asset."
            )
        )
    missing.extend(diagnostic.missing)
    return missing


def gather(
    organisation: Organisation,
    lang: str,
    *,
    serial: str,
    verify_url: str,
    previous: Any = None,
    now: datetime | None = None,
) -> ReportData:
    now = now or timezone.now()
    grade = organisation_grade(organisation)
    counts = finding_counts(organisation)
    sections, others, assets = asset_sections(organisation)
    scans_done = any(s.last_scan_at for s in sections)
    diagnostic = diagnostic_part(organisation, lang)
    spans = list(
        Finding.objects.filter(
            organisation=organisation,
            status__in=(*ACTIVE_STATUSES, FindingStatus.FIXED),
        ).values_list("severity", "first_seen", "fixed_at")
    )
    imports = [
        ImportFact(i.tool or i.format or i.file_name, i.scope, i.scanned_at or i.finished_at)
        for i in Import.objects.filter(organisation=organisation, status=ImportStatus.DONE)
        .only("tool", "format", "file_name", "scope", "scanned_at", "finished_at")
        .order_by("-finished_at")[:20]
    ]
    dates = [s.last_scan_at for s in sections if s.last_scan_at]
    dates += [i.when for i in imports if i.when]
    if diagnostic.submitted_at:
        dates.append(diagnostic.submitted_at)
    priorities = diagnostic.priorities or _fallback_priorities(organisation)
    providers = [
        m.user.get_full_name() or m.user.email
        for m in Membership.objects.filter(organisation=organisation, role=Role.PROVIDER)
        .select_related("user")
        .order_by("user__email")
    ]
    return ReportData(
        organisation=organisation,
        providers=providers,
        lang=lang,
        serial=serial,
        generated_at=now,
        verify_url=verify_url,
        grade=grade,
        counts=counts,
        by_severity=[
            (value, str(label), counts.get(value, 0)) for value, label in Severity.choices
        ],
        missing=missing_sentences(assets, scans_done, diagnostic),
        priorities=priorities[:5],
        progress=_progress(organisation, previous, diagnostic),
        severity_chart=findings_over_time(spans, now),
        assets=sections,
        other_findings=others,
        imports=imports,
        diagnostic=diagnostic,
        period_start=min(dates) if dates else None,
    )
