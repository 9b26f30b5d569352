"""Every portal page answers the right people, and only them (style rule 11).

alice owns business A, bob is a read-only member of it, charlie owns B, dave is the IT
provider of A and B, olga is a center analyst.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from rempart.knowledge.loader import guidance_for
from rempart.web.assets.models import Asset
from rempart.web.findings.models import Finding, FindingStatus
from rempart.web.orgs.models import StaffRole
from rempart.web.scans.models import Scan
from tests.web.conftest import make_user, otp_login


def _action_posts(world, data) -> list[tuple[str, dict]]:
    """Every write of the portal on business A, with valid input."""
    asset, finding = world.asset_a.pk, data.finding.pk
    return [
        (
            reverse("portal:assets", kwargs={"org": world.org_a.pk}),
            {"kind": "domain", "name": "nouveau-site.lab"},
        ),
        (reverse("portal:asset_verify", kwargs={"asset": asset}), {}),
        (reverse("portal:asset_schedule", kwargs={"asset": asset}), {"schedule": "daily"}),
        (reverse("portal:asset_scan", kwargs={"asset": asset}), {}),
        (reverse("portal:asset_remove", kwargs={"asset": asset}), {}),
        (
            reverse("portal:finding_accept", kwargs={"finding": finding}),
            {"reason": "Our provider replaces this server next month.", "until": "2099-01-01"},
        ),
        (
            reverse("portal:finding_false_positive", kwargs={"finding": finding}),
            {"reason": "This record is managed by another company."},
        ),
        (reverse("portal:finding_revert", kwargs={"finding": finding}), {}),
    ]


def test_an_anonymous_visitor_sees_what_the_center_does(client, world):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert reverse("orgs:signup") in body and reverse("orgs:login") in body
    assert world.org_a.name not in body


def test_a_business_user_lands_on_the_dashboard_of_their_business(client, world):
    otp_login(client, world.alice)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dashboard", kwargs={"org": world.org_a.pk})


def test_an_it_provider_chooses_among_their_businesses(client, world):
    otp_login(client, world.dave)
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    for org in (world.org_a, world.org_b):
        assert reverse("portal:dashboard", kwargs={"org": org.pk}) in body


def test_an_analyst_lands_on_the_center_view(client, world):
    otp_login(client, world.olga)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse("portal:center")


@pytest.mark.parametrize("who", ["alice", "bob", "dave", "olga"])
def test_every_page_of_business_a_renders_for_its_readers(client, world, portal_data, who):
    otp_login(client, getattr(world, who))
    for url in portal_data.read_urls(world):
        response = client.get(url)
        assert response.status_code == 200, f"{who} GET {url}: {response.status_code}"
        if "progress" not in url:
            assert world.org_b.name not in response.content.decode()


def test_charlie_gets_404_on_every_page_and_action_of_business_a(client, world, portal_data):
    otp_login(client, world.charlie)
    for url in portal_data.read_urls(world):
        assert client.get(url).status_code == 404, url
    for url, data in _action_posts(world, portal_data):
        assert client.post(url, data).status_code == 404, url
    assert Asset.objects.filter(organisation=world.org_a).count() == 1
    assert Scan.objects.filter(organisation=world.org_a).count() == 1


def test_bob_reads_but_every_action_answers_404_and_changes_nothing(client, world, portal_data):
    otp_login(client, world.bob)
    page = client.get(reverse("portal:asset", kwargs={"asset": world.asset_a.pk}))
    assert page.status_code == 200
    body = page.content.decode()
    assert world.asset_a.txt_value in body  # he may read the instructions…
    assert 'id="verify-form"' not in body and 'id="scan-form"' not in body  # …not act
    finding_page = client.get(reverse("portal:finding", kwargs={"finding": portal_data.finding.pk}))
    assert 'id="accept-form"' not in finding_page.content.decode()
    for url, data in _action_posts(world, portal_data):
        assert client.post(url, data).status_code == 404, url
    assert (
        client.get(reverse("portal:asset_remove", kwargs={"asset": world.asset_a.pk})).status_code
        == 404
    )
    world.asset_a.refresh_from_db()
    assert world.asset_a.schedule == "weekly"
    assert Asset.objects.filter(organisation=world.org_a).count() == 1
    assert Scan.objects.filter(organisation=world.org_a).count() == 1
    assert Finding.objects.get(pk=portal_data.finding.pk).status == FindingStatus.OPEN


def test_the_dashboard_shows_the_grade_counts_and_what_to_fix_first(client, world, portal_data):
    otp_login(client, world.alice)
    url = reverse("portal:dashboard", kwargs={"org": world.org_a.pk})
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
    body = response.content.decode()
    assert "grade grade-C" in body and "64" in body
    # No diagnostic yet: the week's actions are the open findings, in the plan's order
    # (docs/maturity.md, "Priority"), each linking to its page; and a prompt to answer.
    week = response.context["week_cards"]
    findings = {card.action.finding for card in week if card.action.source == "finding"}
    assert findings == {str(portal_data.kev.pk), str(portal_data.finding.pk)}
    priorities = [card.action.priority for card in week]
    assert priorities == sorted(priorities, reverse=True)
    assert "Faille activement exploitée" in body  # the known-exploited badge, in French
    assert reverse("portal:finding", kwargs={"finding": portal_data.kev.pk}) in body
    assert reverse("portal:findings", kwargs={"org": world.org_a.pk}) in body
    assert reverse("portal:diagnostic", kwargs={"org": world.org_a.pk}) in body
    assert "The five things to fix first" not in body and "Les cinq" not in body
    assert response.context["counts"]["active"] == 2
    assert response.context["counts"]["known_exploited"] == 1
    # The plain-language title and "who can do it" come from the knowledge catalog, in French.
    guidance = guidance_for("mail.spf.missing")
    assert guidance is not None
    assert guidance.text("fr").title in body
    assert "<svg" in body and "<title" in body and "<desc" in body  # the accessible chart


def test_pages_follow_the_language_of_the_request(client, world, portal_data):
    otp_login(client, world.alice)
    url = reverse("portal:finding", kwargs={"finding": portal_data.finding.pk})
    guidance = guidance_for("mail.spf.missing")
    assert guidance is not None
    french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert guidance.text("fr").title in french and guidance.text("en").title not in french
    assert guidance.text("en").title in english


def test_an_evaluator_sees_no_business_data(client, world, portal_data):
    evaluator = make_user("eve@centre.lab", staff_role=StaffRole.EVALUATOR)
    otp_login(client, evaluator)
    home = client.get("/")
    assert home.status_code == 200 and world.org_a.name not in home.content.decode()
    assert client.get(reverse("portal:center")).status_code == 404
    for url in portal_data.read_urls(world):
        assert client.get(url).status_code == 404, url


def test_anonymous_visitors_are_sent_to_the_log_in(client, world, portal_data):
    for url in portal_data.read_urls(world):
        response = client.get(url)
        assert response.status_code == 302 and reverse("orgs:login") in response["Location"]
