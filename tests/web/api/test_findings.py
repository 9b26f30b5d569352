"""Findings through the API: filters, detail with history and guidance, triage decisions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rempart.knowledge.loader import guidance_for
from rempart.web.findings.models import FindingStatus
from rempart.web.orgs.models import AuditAction, AuditEvent
from tests.web.api.conftest import make_finding


@pytest.fixture
def findings(world):
    today = timezone.localdate()
    other = type(world.asset_a).objects.create(
        organisation=world.org_a, kind="domain", name="fournil-alice.lab"
    )
    return {
        "spf": make_finding(world.org_a, world.asset_a, "mail.spf.missing"),
        "late": make_finding(
            world.org_a,
            world.asset_a,
            "tls.cert.expired",
            severity="critical",
            due_date=today - timedelta(days=2),
        ),
        "kev": make_finding(
            world.org_a,
            other,
            "net.service.known_exploited",
            severity="critical",
            known_exploited=True,
        ),
        "fixed": make_finding(
            world.org_a,
            other,
            "web.hsts.missing",
            severity="medium",
            status=FindingStatus.FIXED,
            due_date=today - timedelta(days=9),
        ),
        "b": make_finding(world.org_b, world.asset_b, "mail.spf.missing"),
        "other_asset": other,
    }


def _ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {f["id"] for f in response.json()["results"]}


def _list(api, world, who="bob", **params):
    return api[who].get(f"/api/organisations/{world.org_a.pk}/findings/", params)


def test_the_list_holds_the_organisations_findings_worst_first(api, world, findings):
    body = _list(api, world).json()
    assert body["count"] == 4
    assert [f["severity"] for f in body["results"]][:2] == ["critical", "critical"]
    assert str(findings["b"].pk) not in {f["id"] for f in body["results"]}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "fixed"}, {"fixed"}),
        ({"severity": "critical"}, {"late", "kev"}),
        ({"check_id": "mail."}, {"spf"}),
        ({"check_id": "tls.cert"}, {"late"}),
        ({"known_exploited": "true"}, {"kev"}),
        ({"known_exploited": "false"}, {"spf", "late", "fixed"}),
        ({"overdue": "true"}, {"late"}),  # the fixed one is past its date but not overdue
        ({"overdue": "false"}, {"spf", "kev", "fixed"}),
        ({"severity": "critical", "overdue": "false"}, {"kev"}),
    ],
)
def test_filters(api, world, findings, params, expected):
    assert _ids(_list(api, world, **params)) == {str(findings[k].pk) for k in expected}


def test_the_asset_filter(api, world, findings):
    chosen = _ids(_list(api, world, asset=str(findings["other_asset"].pk)))
    assert chosen == {str(findings["kev"].pk), str(findings["fixed"].pk)}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "bogus"}, "status"),
        ({"severity": "urgent"}, "severity"),
        ({"asset": "not-a-uuid"}, "asset"),
        ({"known_exploited": "maybe"}, "known_exploited"),
        ({"overdue": "2"}, "overdue"),
        ({"check_id": "x" * 500}, "check_id"),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_the_parameter(api, world, findings, params, field):
    response = _list(api, world, **params)
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_pages_are_bounded_and_stable(api, world, findings):
    first = _list(api, world, limit=2, offset=0).json()
    second = _list(api, world, limit=2, offset=2).json()
    assert first["count"] == 4 and first["next"] and len(first["results"]) == 2
    ids = [f["id"] for f in first["results"] + second["results"]]
    assert len(set(ids)) == 4
    assert len(_list(api, world, limit=10_000).json()["results"]) == 4


def test_the_detail_has_evidence_history_and_guidance_in_french_by_default(api, findings):
    finding = findings["spf"]
    body = api["bob"].get(f"/api/findings/{finding.pk}/").json()
    expected = guidance_for("mail.spf.missing")
    assert expected is not None
    assert body["guidance"]["title"] == expected.text("fr").title
    assert body["guidance"]["who"] == expected.who and body["guidance"]["who_label"]
    assert body["events"] == [] and "evidence" in body


def test_the_guidance_follows_the_requested_language(api, findings):
    finding = findings["spf"]
    body = api["bob"].get(f"/api/findings/{finding.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["guidance"]["title"] == guidance_for("mail.spf.missing").text("en").title


def test_an_imported_rule_has_no_guidance(api, world):
    finding = make_finding(world.org_a, None, "nmap.ssl-enum-ciphers", title="Weak ciphers")
    body = api["alice"].get(f"/api/findings/{finding.pk}/").json()
    assert body["guidance"] is None and body["asset"] is None and body["asset_name"] is None


def _until(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


REASON = "The supplier replaces this server next month."


def test_alice_accepts_a_risk_until_a_date(api, world, findings):
    finding = findings["spf"]
    response = api["alice"].post(
        f"/api/findings/{finding.pk}/accept-risk/",
        {"reason": REASON, "until": _until(60)},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["triage_reason"], body["accepted_until"]) == (
        "accepted",
        REASON,
        _until(60),
    )
    assert [(e["kind"], e["actor"]) for e in body["events"]] == [("accepted", world.alice.email)]
    event = AuditEvent.objects.get(action=AuditAction.RISK_ACCEPTED)
    assert event.object_id == str(finding.pk) and event.actor == world.alice


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "because", "until": _until(60)}, "detail"),  # too short to explain
        ({"reason": REASON, "until": _until(-1)}, "detail"),  # in the past
        ({"reason": REASON, "until": _until(400)}, "detail"),  # more than a year
        ({"reason": REASON, "until": "next tuesday"}, "until"),
        ({"reason": REASON}, "until"),
        ({"reason": "x" * 5000, "until": _until(60)}, "reason"),
    ],
)
def test_a_refused_acceptance_says_why_and_changes_nothing(api, findings, body, field):
    finding = findings["spf"]
    response = api["alice"].post(f"/api/findings/{finding.pk}/accept-risk/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field] and response.json()[field][0]
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN and not finding.events.exists()


def test_false_positive_then_revert(api, findings):
    finding = findings["late"]
    url = f"/api/findings/{finding.pk}"
    short = api["alice"].post(f"{url}/false-positive/", {"reason": "no"}, format="json")
    assert short.status_code == 400
    marked = api["alice"].post(f"{url}/false-positive/", {"reason": REASON}, format="json")
    assert marked.json()["status"] == "false_positive"
    reverted = api["alice"].post(f"{url}/revert/", {"note": "It is real after all."}, format="json")
    assert reverted.status_code == 200
    body = reverted.json()
    assert body["status"] == "open"
    assert [e["kind"] for e in body["events"]] == ["false_positive", "triage_reverted"]
    assert AuditEvent.objects.filter(action=AuditAction.TRIAGE_REVERTED).count() == 1


@pytest.mark.parametrize("name", ["spf", "fixed"])
def test_only_a_decision_can_be_reverted(api, findings, name):
    finding = findings[name]
    before = finding.due_date
    response = api["alice"].post(f"/api/findings/{finding.pk}/revert/", {}, format="json")
    assert response.status_code == 400 and response.json()["detail"]
    finding.refresh_from_db()
    assert finding.due_date == before and not finding.events.exists()
