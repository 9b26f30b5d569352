"""Refresh the vulnerability feeds and alert the businesses a new KEV entry hits.

When CISA adds a CVE to its Known Exploited Vulnerabilities catalog, every business whose
findings carry that CVE, or whose inventory, SBOM or scanned service banners hold a version
an advisory for it covers, gets an alert in the portal and by e-mail, and so do the center's
analysts. The findings concerned become "known exploited" (15-day due date).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rempart.intel import feeds as intel_feeds
from rempart.intel.feeds import FeedUpdate
from rempart.intel.model import Component as IntelComponent
from rempart.web.findings.models import ACTIVE_STATUSES, Finding
from rempart.web.findings.policy import KNOWN_EXPLOITED_DAYS
from rempart.web.imports.models import Alert, AlertKind, Component
from rempart.web.intel_bridge import forget, intel
from rempart.web.orgs.audit import audit
from rempart.web.orgs.models import AuditAction, Membership, Organisation, Role, StaffRole, User

log = logging.getLogger(__name__)


@dataclass
class FeedsResult:
    updates: list[FeedUpdate] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)

    @property
    def added_kev(self) -> list[str]:
        return sorted({cve for u in self.updates for cve in u.added_kev})


def do_update_feeds(
    actor: User | None,
    sources: Iterable[str] | None = None,
    urls: dict[str, str] | None = None,
) -> FeedsResult:
    """Download the feeds (official URLs unless ``urls`` overrides one) and alert on new
    known-exploited CVEs that hit a business."""
    kwargs: dict[str, Any] = {"urls": urls}
    if sources:
        kwargs["sources"] = tuple(sources)
    updates = intel_feeds.update(settings.FEEDS_DIR, **kwargs)
    forget()
    result = FeedsResult(updates=updates)
    audit(
        AuditAction.FEEDS_UPDATED,
        actor=actor,
        feeds=", ".join(f"{u.name}: {u.after or u.before}" for u in updates),
        errors="; ".join(f"{u.name}: {u.error}" for u in updates if u.error),
        added_kev=len(result.added_kev),
    )
    if result.added_kev:
        result.alerts = alert_new_kev(result.added_kev)
    return result


def alert_new_kev(cves: Iterable[str]) -> list[Alert]:
    """Mark the findings carrying these (newly known-exploited) CVEs and alert their owners;
    also alert on inventory components and banners an advisory for them covers."""
    added = {c.upper() for c in cves}
    feeds = intel()
    created: list[Alert] = []
    with transaction.atomic():
        covered: set[tuple[object, str]] = set()
        for cve in sorted(added):
            for finding in Finding.objects.filter(cve_ids__contains=f" {cve} ").select_for_update():
                _mark_known_exploited(finding, feeds)
                covered.add((finding.organisation_id, cve))
                created += _alert(finding.organisation_id, cve, finding.location, finding, feeds)
        # Components no finding stands for yet (an advisory new in this update, a banner).
        created += _component_alerts(added, feeds, covered)
    _send(created)
    return created


def _mark_known_exploited(finding: Finding, feeds: Any) -> None:
    facts = [feeds.cve(c["id"]).to_dict() for c in finding.cves or [] if c.get("id")]
    finding.cves = facts
    finding.ransomware = any(c["ransomware"] for c in facts)
    if not finding.known_exploited:
        finding.known_exploited = True
        if finding.status in ACTIVE_STATUSES:
            soon = timezone.localdate() + timedelta(days=KNOWN_EXPLOITED_DAYS)
            finding.due_date = min(finding.due_date or soon, soon)
    finding.save(update_fields=["cves", "ransomware", "known_exploited", "due_date"])


def _component_alerts(added: set[str], feeds: Any, covered: set[tuple[object, str]]) -> list[Alert]:
    rows = list(Component.objects.all().iterator(chunk_size=2000))
    by_identity: dict[IntelComponent, list[Component]] = defaultdict(list)
    for row in rows:
        key = IntelComponent(
            name=row.name,
            version=row.version,
            purl=row.purl,
            cpe=row.cpe,
            vendor=row.vendor,
            ecosystem=row.ecosystem,
        )
        by_identity[key].append(row)
    created: list[Alert] = []
    for match in feeds.match(list(by_identity)):
        hit = added.intersection(c.upper() for c in match.cves)
        if not hit:
            continue
        for row in by_identity.get(match.component, []):
            subject = f"{row.name} {row.version}".strip()
            for cve in sorted(hit):
                if (row.organisation_id, cve) not in covered:
                    created += _alert(row.organisation_id, cve, subject, None, feeds)
    return created


def _alert(
    org_id: object, cve: str, subject: str, finding: Finding | None, feeds: Any
) -> list[Alert]:
    fact = feeds.cve(cve)
    entry = feeds.kev_entry(cve)
    detail = {
        "name": entry.name if entry is not None else "",
        "date_added": fact.kev_date,
        "ransomware": fact.ransomware,
        "epss": fact.epss,
        "cvss": fact.cvss,
    }
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                organisation_id=org_id,
                kind=AlertKind.KEV_HIT,
                cve=cve,
                subject=subject[:500],
                detail=detail,
                finding=finding,
            )
    except IntegrityError:
        return []  # alerted already (the same update run twice)
    return [alert]


def _send(alerts: list[Alert]) -> None:
    """One e-mail per organisation to its owners, and one digest to the center's analysts."""
    if not alerts:
        return
    by_org: dict[object, list[Alert]] = defaultdict(list)
    for alert in alerts:
        by_org[alert.organisation_id].append(alert)
    names = dict(Organisation.objects.filter(pk__in=list(by_org)).values_list("pk", "name"))
    for org_id, items in by_org.items():
        owners = list(
            Membership.objects.filter(organisation_id=org_id, role=Role.OWNER)
            .select_related("user")
            .values_list("user__email", flat=True)
        )
        if owners:
            _mail(owners, names.get(org_id, ""), items)
    analysts = list(
        User.objects.filter(staff_role=StaffRole.ANALYST, is_active=True).values_list(
            "email", flat=True
        )
    )
    if analysts:
        _mail(analysts, _("businesses of the region"), alerts)
    Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(emailed_at=timezone.now())


def _mail(recipients: list[str], who: str, alerts: list[Alert]) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        lines = [
            _("%(cve)s on %(subject)s%(ransomware)s")
            % {
                "cve": a.cve,
                "subject": a.subject,
                "ransomware": _(" (used by ransomware)") if a.detail.get("ransomware") else "",
            }
            for a in alerts
        ]
        subject = _("[rempart] A vulnerability attackers exploit now hits %(who)s") % {"who": who}
        body = "\n".join(
            [
                _(
                    "CISA has just added vulnerabilities to its catalog of vulnerabilities "
                    "exploited by attackers. They concern software you use:"
                ),
                "",
                *(f"- {line}" for line in lines),
                "",
                _(
                    "Fix them first: they are due within %(days)s days. The details and what to "
                    "do are in the portal: %(url)s"
                )
                % {"days": KNOWN_EXPLOITED_DAYS, "url": settings.SITE_URL},
            ]
        )
    try:
        send_mail(subject, body, None, recipients)
    except OSError:
        log.exception("alert e-mail to %s could not be sent", ", ".join(recipients))
