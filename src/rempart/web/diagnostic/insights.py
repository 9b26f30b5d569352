"""The maturity of a business now, over time, against its peers, and its progress since a date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, Subquery

from rempart.diagnostic.benchmark import Benchmark, benchmark
from rempart.diagnostic.maturity import score
from rempart.diagnostic.model import Maturity
from rempart.web.diagnostic.answers import answers_of, current_assessment, latest_submitted
from rempart.web.diagnostic.evidence import current_questionnaire, evidence_at, evidence_for
from rempart.web.diagnostic.models import ActionItem, ActionStatus, Assessment, AssessmentStatus
from rempart.web.findings.models import Finding, FindingStatus
from rempart.web.orgs.models import Organisation


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    date: datetime
    index: float | None
    level: str
    themes: dict[str, float | None]
    assessment: str  # the assessment's id


@dataclass(frozen=True, slots=True)
class Progress:
    since: datetime
    findings_fixed: int
    findings_new: int
    items_done: int
    maturity_then: float | None  # the last submitted index at ``since`` (None: none yet)
    maturity_now: float | None  # the last submitted index now


def maturity_of(org: Organisation, assessment: Assessment | None = None) -> Maturity | None:
    """The maturity from the assessment's answers (default: the current one) and the open
    findings; None when there is no answer at all."""
    assessment = assessment or current_assessment(org)
    if assessment is None:
        return None
    q = current_questionnaire()
    answers = answers_of(assessment, q)
    if not answers:
        return None
    return score(q, answers, evidence_for(org, "fr"))


def maturity_history(org: Organisation) -> list[HistoryPoint]:
    """Every submitted assessment, oldest first, re-scored under the CURRENT questionnaire
    with the findings open on its day: one comparable series across questionnaire versions."""
    q = current_questionnaire()
    points = []
    submitted = Assessment.objects.filter(
        organisation=org, status=AssessmentStatus.SUBMITTED
    ).order_by("submitted_at")
    for assessment in submitted.prefetch_related("answers"):
        when = assessment.submitted_at or assessment.started_at
        m = score(q, answers_of(assessment, q), evidence_at(org, when))
        points.append(
            HistoryPoint(
                date=when,
                index=m.index,
                level=m.level,
                themes={t.theme: t.index for t in m.themes},
                assessment=str(assessment.pk),
            )
        )
    return points


def sector_benchmark(org: Organisation) -> Benchmark | None:
    """Where the business stands among peers of its NAF division (first two characters of
    the NAF code) and headcount band, each peer by its latest submitted index; None below
    the minimum number of peers, or before the business submitted its own diagnostic."""
    own = latest_submitted(org)
    if own is None or own.index is None or len(org.naf) < 2:
        return None
    latest = Assessment.objects.filter(
        organisation=OuterRef("pk"), status=AssessmentStatus.SUBMITTED
    ).order_by("-submitted_at")
    peers = (
        Organisation.objects.filter(naf__startswith=org.naf[:2], headcount=org.headcount)
        .exclude(pk=org.pk)
        .annotate(latest_index=Subquery(latest.values("index")[:1]))
        .filter(latest_index__isnull=False)
        .values_list("latest_index", flat=True)
    )
    return benchmark(own.index, [float(x) for x in peers])


def progress_since(org: Organisation, since: datetime) -> Progress:
    then = (
        Assessment.objects.filter(
            organisation=org, status=AssessmentStatus.SUBMITTED, submitted_at__lte=since
        )
        .order_by("-submitted_at")
        .first()
    )
    now = latest_submitted(org)
    findings = Finding.objects.filter(organisation=org)
    return Progress(
        since=since,
        findings_fixed=findings.filter(status=FindingStatus.FIXED, fixed_at__gte=since).count(),
        findings_new=findings.filter(first_seen__gte=since).count(),
        items_done=ActionItem.objects.filter(
            organisation=org, status=ActionStatus.DONE, done_at__gte=since
        ).count(),
        maturity_then=then.index if then else None,
        maturity_now=now.index if now else None,
    )
