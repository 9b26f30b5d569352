"""Read-side aggregates of the portal: a fixed, small number of queries whatever the data size.

Every function here reads; none writes. Pages built on them must stay fast with 1,000
businesses of 50 findings each, so per-organisation figures are SQL aggregates or correlated
subqueries evaluated by the database in one statement, never a loop of queries in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from rempart.web.assets.models import Asset
from rempart.web.findings.models import ACTIVE_STATUSES, Finding, Severity
from rempart.web.orgs.models import Organisation
from rempart.web.scans.models import FINISHED, Scan

SEVERITIES: tuple[str, ...] = tuple(Severity.values)
PRIORITY_ORDER = (
    F("known_exploited").desc(),
    F("severity_rank").desc(),
    F("due_date").asc(nulls_last=True),
    "check_id",
    "pk",
)


def _graded_scans_of(asset_ref: OuterRef) -> QuerySet[Scan]:
    """Finished scans of one asset that produced a grade (a failed scan has none), newest first."""
    return (
        Scan.objects.filter(asset=asset_ref, status__in=FINISHED)
        .exclude(grade="")
        .order_by("-finished_at", "-created_at")
    )


def _assets_by_latest_grade(org_ref: OuterRef | Organisation) -> QuerySet[Asset]:
    """The organisation's assets that have a graded scan, worst latest grade first.

    Letters sort A < B < … < E, so descending order puts the worst first; for one letter the
    lowest score comes first.
    """
    latest = _graded_scans_of(OuterRef("pk"))
    return (
        Asset.objects.filter(organisation=org_ref)
        .annotate(
            latest_grade=Subquery(latest.values("grade")[:1]),
            latest_score=Subquery(latest.values("score")[:1]),
        )
        .filter(latest_grade__isnull=False)
        .order_by("-latest_grade", "latest_score")
    )


def _last_finished_scan_at(org_ref: OuterRef) -> Subquery:
    finished = Scan.objects.filter(organisation=org_ref, status__in=FINISHED).order_by(
        F("finished_at").desc(nulls_last=True)
    )
    return Subquery(finished.values("finished_at")[:1])


def _active_counts(prefix: str, today: date) -> dict[str, Count]:
    """Count annotations of active findings (by severity, overdue, known exploited).

    ``prefix`` is "" on a Finding queryset and "findings__" on an Organisation queryset.
    """
    pk = f"{prefix}pk"
    active = Q(**{f"{prefix}status__in": ACTIVE_STATUSES})
    counts: dict[str, Count] = {"active": Count(pk, filter=active)}
    for severity in SEVERITIES:
        counts[severity] = Count(pk, filter=active & Q(**{f"{prefix}severity": severity}))
    counts["overdue"] = Count(pk, filter=active & Q(**{f"{prefix}due_date__lt": today}))
    counts["known_exploited"] = Count(pk, filter=active & Q(**{f"{prefix}known_exploited": True}))
    return counts


# -- dashboard ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrgGrade:
    letter: str  # "" when no asset has a graded scan yet
    score: int | None


def organisation_grade(organisation: Organisation) -> OrgGrade:
    """The worst letter over each asset's latest graded scan, with that scan's score."""
    worst = _assets_by_latest_grade(organisation).values("latest_grade", "latest_score").first()
    if worst is None:
        return OrgGrade("", None)
    return OrgGrade(worst["latest_grade"], worst["latest_score"])


def finding_counts(organisation: Organisation) -> dict[str, int]:
    today = timezone.localdate()
    return Finding.objects.filter(organisation=organisation).aggregate(**_active_counts("", today))


def by_severity(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    """(value, label, count) for each severity, worst first, for a table or a list."""
    return [(value, str(label), counts.get(value, 0)) for value, label in Severity.choices]


def top_findings(organisation: Organisation, limit: int = 5) -> list[Finding]:
    """The things to fix first: known exploited, then the most severe, then the soonest due."""
    return list(
        Finding.objects.filter(organisation=organisation, status__in=ACTIVE_STATUSES)
        .select_related("asset")
        .order_by(*PRIORITY_ORDER)[:limit]
    )


def trend_scans(organisation: Organisation, limit: int = 12) -> list[Scan]:
    """The last graded scans, oldest first (the order of a time axis)."""
    scans = (
        Scan.objects.filter(organisation=organisation, status__in=FINISHED)
        .exclude(grade="")
        .select_related("asset")
        .order_by("-finished_at")
        .only("finished_at", "grade", "score", "counts", "asset__name")[:limit]
    )
    return list(reversed(scans))


def assets_to_verify(organisation: Organisation, limit: int = 10) -> list[Asset]:
    return list(Asset.objects.filter(organisation=organisation, verified_at__isnull=True)[:limit])


def recent_scans(organisation: Organisation, limit: int = 5) -> list[Scan]:
    return list(
        Scan.objects.filter(organisation=organisation)
        .select_related("asset")
        .defer("observations")[:limit]
    )


# -- lists ----------------------------------------------------------------------------------


def assets_with_last_scan(organisation: Organisation) -> QuerySet[Asset]:
    last = Scan.objects.filter(asset=OuterRef("pk")).order_by("-created_at")
    return Asset.objects.filter(organisation=organisation).annotate(
        last_scan_id=Subquery(last.values("pk")[:1]),
        last_scan_at=Subquery(last.values("created_at")[:1]),
        last_scan_status=Subquery(last.values("status")[:1]),
        last_scan_grade=Subquery(last.values("grade")[:1]),
    )


def scan_history(organisation: Organisation) -> QuerySet[Scan]:
    return (
        Scan.objects.filter(organisation=organisation).select_related("asset").defer("observations")
    )


@dataclass(frozen=True, slots=True)
class FindingFilters:
    status: str = "active"  # "active", "all" or a FindingStatus value
    severity: str = ""
    asset: Asset | None = None
    family: str = ""
    known_exploited: bool = False
    overdue: bool = False
    text: str = ""
    sort: str = "priority"


SORTS = {
    "priority": PRIORITY_ORDER,
    "due": (F("due_date").asc(nulls_last=True), F("severity_rank").desc(), "pk"),
    "recent": (F("last_seen").desc(), "pk"),
}


def filter_findings(organisation: Organisation, filters: FindingFilters) -> QuerySet[Finding]:
    found = Finding.objects.filter(organisation=organisation).select_related("asset")
    if filters.status == "active":
        found = found.filter(status__in=ACTIVE_STATUSES)
    elif filters.status != "all":
        found = found.filter(status=filters.status)
    if filters.severity:
        found = found.filter(severity=filters.severity)
    if filters.asset is not None:
        found = found.filter(asset=filters.asset)
    if filters.family:
        found = found.filter(check_id__startswith=f"{filters.family}.")
    if filters.known_exploited:
        found = found.filter(known_exploited=True)
    if filters.overdue:
        found = found.filter(due_date__lt=timezone.localdate(), status__in=ACTIVE_STATUSES)
    if filters.text:
        text = filters.text
        found = found.filter(Q(check_id__icontains=text) | Q(location__icontains=text))
    return found.defer("evidence", "references").order_by(*SORTS.get(filters.sort, PRIORITY_ORDER))


# -- the center's view ----------------------------------------------------------------------

NO_GRADE = "none"


def center_organisations(departement: str = "", grade: str = "") -> QuerySet[Organisation]:
    """Every business with its grade, active findings by severity, overdue count and last
    scan date, worst first — one SQL statement whatever the number of businesses."""
    worst = _assets_by_latest_grade(OuterRef("pk"))
    rows = Organisation.objects.annotate(
        grade=Subquery(worst.values("latest_grade")[:1]),
        score=Subquery(worst.values("latest_score")[:1]),
        last_scan_at=_last_finished_scan_at(OuterRef("pk")),
        **_active_counts("findings__", timezone.localdate()),
    )
    rows = filter_center(rows, departement, grade)
    return rows.order_by(
        F("grade").desc(nulls_last=True),
        F("score").asc(nulls_last=True),
        "-critical",
        "-high",
        "-active",
        "name",
    )


def filter_center(
    rows: QuerySet[Organisation], departement: str, grade: str
) -> QuerySet[Organisation]:
    """Apply the center's filters; ``rows`` must carry the ``grade`` annotation if ``grade``."""
    if departement:
        rows = rows.filter(departement=departement)
    if grade == NO_GRADE:
        rows = rows.filter(grade__isnull=True)
    elif grade:
        rows = rows.filter(grade=grade)
    return rows


def campaign_assets(departement: str = "", grade: str = "") -> QuerySet[Asset]:
    """The verified assets of the businesses the center's filters select."""
    orgs = Organisation.objects.all()
    if grade:
        worst = _assets_by_latest_grade(OuterRef("pk"))
        orgs = orgs.annotate(grade=Subquery(worst.values("latest_grade")[:1]))
    orgs = filter_center(orgs, departement, grade)
    return Asset.objects.filter(
        verified_at__isnull=False, organisation__in=orgs.values("pk")
    ).select_related("organisation")


def count_campaign(departement: str = "", grade: str = "") -> dict[str, int]:
    assets = campaign_assets(departement, grade)
    return assets.aggregate(assets=Count("pk"), businesses=Count("organisation", distinct=True))
