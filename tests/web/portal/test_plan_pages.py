"""The action plan page, its actions (assign, mark done, reopen) and the dashboard's maturity
card and actions of the week.

Diagnostic answers are given through the portal's forms; findings are written as the scan
workers leave them (tests/web/portal/factories.py). The questionnaire is the example of
docs/maturity.md, as in test_diagnostic_pages.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from rempart.knowledge.loader import EFFORT_LABELS, WHO_LABELS, guidance_for
from rempart.web.diagnostic.models import ActionItem, ActionStatus
from rempart.web.findings.models import Finding, FindingStatus
from rempart.web.orgs.models import AuditAction, AuditEvent
from tests.web.conftest import otp_login
from tests.web.portal.factories import save_finding
from tests.web.portal.test_diagnostic_pages import answer_all, use_example

GAPS = {
    "context": {"ctx.servers": "onsite", "ctx.website": "shop"},
    "backup": {"backup.exists": "partly", "backup.offline": "no"},
    "accounts": {"accounts.admin_rights": "everyone", "accounts.password_manager": "dont_know"},
    "updates": {"updates.workstations": "monthly", "updates.servers": "late"},
}


@pytest.fixture
def questionnaire(monkeypatch):
    return use_example(monkeypatch)


def plan_url(org) -> str:
    return reverse("portal:plan", kwargs={"org": org.pk})


def item_url(item: ActionItem, action: str) -> str:
    return reverse(f"portal:plan_item_{action}", kwargs={"item": item.pk})


@pytest.fixture
def planned(client, world, questionnaire):
    """Business A with diagnostic gaps, a known-exploited exposed service and a missing CSP;
    alice logged in, the plan page opened once (which records the items)."""
    smb = save_finding(
        world.org_a,
        world.asset_a,
        check_id="net.exposed.smb",
        severity="high",
        location="boulangerie-alice.lab:445",
        known_exploited=True,
    )
    csp = save_finding(
        world.org_a,
        world.asset_a,
        check_id="web.csp.missing",
        severity="low",
        location="https://boulangerie-alice.lab/",
    )
    otp_login(client, world.alice)
    answer_all(client, world.org_a, GAPS)
    response = client.get(plan_url(world.org_a))
    assert response.status_code == 200
    return {"smb": smb, "csp": csp, "response": response}


def item_of(org, key: str) -> ActionItem:
    return ActionItem.objects.get(organisation=org, key=key)


# -- the page ---------------------------------------------------------------------------------


def test_the_five_actions_of_the_week_stand_out_then_the_rest(world, planned):
    response = planned["response"]
    body = response.content.decode()
    week, rest = response.context["week"], response.context["rest"]
    assert len(week) == 5 and rest
    assert body.index('id="this-week"') < body.index('id="plan-rest"')
    priorities = [c.action.priority for c in week + rest]
    assert priorities == sorted(priorities, reverse=True)
    # The exposed, known-exploited SMB outranks the missing CSP header.
    keys = [c.item.key for c in week + rest]
    assert keys.index(f"f:{planned['smb'].check_id}") < keys.index(f"f:{planned['csp'].check_id}")
    # Every action has its item, recorded for the business.
    assert ActionItem.objects.filter(organisation=world.org_a).count() == len(keys)


def test_each_item_says_why_what_who_effort_cost_and_source(world, planned):
    response = planned["response"]
    body = response.content.decode()
    card = next(c for c in response.context["week"] if c.action.key == "q:backup.offline")
    assert card.action.red_flag
    section = body[body.index(f'id="item-{card.item.pk}"') :].split("</article>")[0]
    assert escape(card.action.title) in section and "Red flag" in section
    assert escape(card.action.why) in section
    for step in card.steps:
        assert escape(step) in section
    assert WHO_LABELS["en"][card.action.who] in section
    assert EFFORT_LABELS["en"][card.action.effort] in section
    labels = {
        "free": "Free",
        "low": "Under €500",
        "medium": "€500 to €2,000",
        "high": "Over €2,000",
    }
    assert labels[card.action.cost] in section
    back = reverse("portal:diagnostic_theme", kwargs={"org": world.org_a.pk, "theme": "backup"})
    assert f'href="{back}#q-backup-offline"' in section

    smb = next(c for c in response.context["week"] if c.action.source == "finding")
    section = body[body.index(f'id="item-{smb.item.pk}"') :].split("</article>")[0]
    assert "Known exploited" in section
    assert reverse("portal:finding", kwargs={"finding": planned["smb"].pk}) in section


def test_i_dont_know_gives_a_find_out_action(world, planned):
    keys = [
        c.action.key
        for c in planned["response"].context["week"] + planned["response"].context["rest"]
    ]
    assert "k:accounts.password_manager" in keys and "q:accounts.password_manager" not in keys
    assert "Find out: you answered" in planned["response"].content.decode()


def test_a_contradiction_is_shown_on_its_action(client, world, questionnaire):
    save_finding(world.org_a, world.asset_a, check_id="net.exposed.rdp", severity="high")
    otp_login(client, world.alice)
    answer_all(client, world.org_a, {"network": {"network.remote_exposed": "no"}})
    body = client.get(plan_url(world.org_a)).content.decode()
    message = questionnaire.contradictions[0].message.en
    assert "Your answer and our checks disagree; we trust the evidence." in body
    assert escape(message) in body


def test_without_a_diagnostic_the_plan_says_what_is_missing(client, world, questionnaire):
    save_finding(world.org_a, world.asset_a, check_id="mail.spf.missing", severity="high")
    otp_login(client, world.alice)
    body = client.get(plan_url(world.org_a)).content.decode()
    assert 'id="no-diagnostic"' in body
    assert reverse("portal:diagnostic", kwargs={"org": world.org_a.pk}) in body
    assert 'id="this-week"' in body  # the finding is planned all the same


# -- assign, done, reopen -----------------------------------------------------------------------


def test_an_owner_assigns_an_action_to_a_member_or_to_a_named_person(client, world, planned):
    item = item_of(world.org_a, "q:backup.offline")
    response = client.post(item_url(item, "assign"), {"assignee": str(world.bob.pk), "name": ""})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#item-{item.pk}")
    item.refresh_from_db()
    assert item.assignee == world.bob and item.assignee_name == ""
    client.post(item_url(item, "assign"), {"assignee": "", "name": "Jean, le neveu"})
    item.refresh_from_db()
    assert item.assignee is None and item.assignee_name == "Jean, le neveu"
    assert "Jean, le neveu" in client.get(plan_url(world.org_a)).content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.ACTION_ASSIGNED).count() == 2


def test_an_action_cannot_be_given_to_someone_outside_the_business(client, world, planned):
    item = item_of(world.org_a, "q:backup.offline")
    response = client.post(
        item_url(item, "assign"), {"assignee": str(world.charlie.pk), "name": ""}, follow=True
    )
    assert "not a member of the organisation" in response.content.decode()
    item.refresh_from_db()
    assert item.assignee is None


def test_marking_done_then_reopening(client, world, planned):
    item = item_of(world.org_a, "q:backup.offline")
    client.post(item_url(item, "done"))
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE and item.done_by == world.alice
    response = client.get(plan_url(world.org_a))
    done = response.context["done"]
    assert [c.item.pk for c in done] == [item.pk]
    assert item.pk not in [c.item.pk for c in response.context["week"]]
    body = response.content.decode()
    assert "your diagnostic answer has not changed yet" in body  # still a gap
    assert item_url(item, "reopen") in body
    client.post(item_url(item, "reopen"))
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN and item.reopened == 1


def test_a_provider_may_act_on_the_plan(client, world, planned):
    otp_login(client, world.dave)
    item = item_of(world.org_a, "q:backup.offline")
    client.post(item_url(item, "done"))
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE and item.done_by == world.dave


@pytest.mark.parametrize("reader", ["bob", "olga"])
def test_readers_see_the_plan_without_its_buttons(client, world, planned, reader):
    otp_login(client, getattr(world, reader))
    response = client.get(plan_url(world.org_a))
    body = response.content.decode()
    assert response.status_code == 200 and 'id="this-week"' in body
    assert '<form method="post" action="/plan-items/' not in body
    item = item_of(world.org_a, "q:backup.offline")
    for action in ("done", "assign"):
        assert client.post(item_url(item, action), {"name": "x"}).status_code == 404
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN and item.assignee_name == ""


def test_an_outsider_gets_404_on_the_plan_and_its_items(client, world, planned):
    otp_login(client, world.charlie)
    assert client.get(plan_url(world.org_a)).status_code == 404
    item = item_of(world.org_a, "q:backup.offline")
    for action in ("done", "reopen", "assign"):
        assert client.post(item_url(item, action), {"name": "x"}).status_code == 404
    assert client.get(item_url(item, "done")).status_code == 405
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN


def test_an_action_whose_cause_went_away_is_in_the_collapsed_resolved_section(
    client, world, planned
):
    Finding.objects.filter(pk=planned["csp"].pk).update(status=FindingStatus.FIXED)
    client.post(reverse("set_language"), {"language": "fr"})
    response = client.get(plan_url(world.org_a))
    body = response.content.decode()
    item = item_of(world.org_a, f"f:{planned['csp'].check_id}")
    assert item.status == ActionStatus.CLOSED
    assert [i.pk for i, _title in response.context["closed"]] == [item.pk]
    closed = body[body.index('<details class="card" id="plan-closed">') :]
    assert escape(item.title) in closed
    assert f'id="item-{item.pk}"' not in body  # not among the actions to do

    # In English, its title is the English one, though the item keeps the French of its
    # last sync.
    english = guidance_for("web.csp.missing").text("en").title
    assert english != item.title
    client.post(reverse("set_language"), {"language": "en"})
    body = client.get(plan_url(world.org_a)).content.decode()
    closed = body[body.index('<details class="card" id="plan-closed">') :]
    assert escape(english) in closed and escape(item.title) not in closed


# -- the dashboard --------------------------------------------------------------------------


def test_the_dashboard_invites_to_the_diagnostic_when_there_is_none(client, world, questionnaire):
    otp_login(client, world.alice)
    response = client.get(reverse("portal:dashboard", kwargs={"org": world.org_a.pk}))
    body = response.content.decode()
    card = body[body.index('id="maturity-card"') :].split("</section>")[0]
    assert "No diagnostic yet" in card
    assert reverse("portal:diagnostic", kwargs={"org": world.org_a.pk}) in card


def test_the_dashboard_shows_the_maturity_and_the_actions_of_the_week(client, world, planned):
    item = item_of(world.org_a, "q:backup.offline")
    client.post(item_url(item, "done"))
    response = client.get(reverse("portal:dashboard", kwargs={"org": world.org_a.pk}))
    body = response.content.decode()
    maturity = response.context["maturity"]
    card = body[body.index('id="maturity-card"') :].split("</section>")[0]
    assert f"{maturity.index:.1f}" in card
    assert f"{len(maturity.red_flags)} red flags" in card
    assert reverse("portal:maturity", kwargs={"org": world.org_a.pk}) in card
    week = response.context["week"]
    plan_week = client.get(plan_url(world.org_a)).context["week"]
    assert [a.key for a in week] == [c.action.key for c in plan_week]
    assert "q:backup.offline" not in [a.key for a in week]  # done: not this week's any more
    week_card = body[body.index('id="week-card"') :].split("</section>")[0]
    for action in week:
        assert escape(action.title) in week_card
