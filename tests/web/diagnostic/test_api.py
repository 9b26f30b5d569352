"""The diagnostic API: who reads, who writes, what the answers look like, tenant walls."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from rempart.web.diagnostic.models import ActionItem, ActionStatus
from tests.web.api.conftest import api  # noqa: F401  (fixture)
from tests.web.portal.factories import save_finding


def _url(name: str, **kwargs) -> str:
    return reverse(f"api:{name}", kwargs=kwargs)


def test_the_questionnaire_speaks_french_and_english(api, questionnaire):  # noqa: F811
    fr = api["bob"].get(_url("questionnaire")).json()
    en = api["bob"].get(_url("questionnaire") + "?lang=en").json()

    assert fr["version"] == en["version"] == "2026.2"
    assert fr["questions"][0]["text"] == "Combien êtes-vous ?"
    assert en["questions"][0]["text"] == "How many are you?"
    backup = next(x for x in en["questions"] if x["id"] == "backup.offline")
    assert [c["id"] for c in backup["choices"]] == ["yes", "partly", "no", "dont_know"]
    assert backup["action"]["who"] == "yourself" and backup["weight"] == 3.0
    assert en["measures"][0]["id"] == "fr-hygiene.01"
    assert api["anonymous"].get(_url("questionnaire")).status_code == 401


def test_answer_submit_and_read_back(api, world, questionnaire):  # noqa: F811
    org = world.org_a.pk
    saved = api["alice"].put(
        _url("organisation-diagnostic-answers", org=org),
        {"answers": {"backup.offline": "no", "nope": "yes"}, "notes": {"backup.offline": "rien"}},
        format="json",
    )
    assert saved.status_code == 200, saved.content
    body = saved.json()
    assert len(body["errors"]) == 1 and "nope" in body["errors"][0]
    assert body["assessment"]["status"] == "draft"
    assert body["answers"][0]["question"] == "backup.offline"
    assert body["maturity"]["complete"] is False
    assert body["maturity"]["red_flags"][0]["id"] == "no_offline_backup"

    submitted = api["alice"].post(_url("organisation-diagnostic-submit", org=org))
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["assessment"]["status"] == "submitted"

    read = api["bob"].get(_url("organisation-diagnostic", org=org)).json()
    assert read["assessment"]["status"] == "submitted"
    assert read["benchmark"] is None  # no peers
    history = api["olga"].get(_url("organisation-maturity-history", org=org)).json()
    assert len(history) == 1 and history[0]["index"] == read["maturity"]["index"]
    again = api["alice"].post(_url("organisation-diagnostic-submit", org=org))
    assert again.status_code == 400  # nothing in progress


def test_every_entry_wrong_is_a_400(api, world, questionnaire):  # noqa: F811
    response = api["alice"].put(
        _url("organisation-diagnostic-answers", org=world.org_a.pk),
        {"answers": {"backup.offline": "perhaps"}},
        format="json",
    )
    assert response.status_code == 400
    assert "perhaps" in response.json()["answers"][0]


@pytest.mark.parametrize("who", ["bob", "olga"])
def test_members_and_analysts_read_but_cannot_write(api, world, questionnaire, who):  # noqa: F811
    org = world.org_a.pk
    assert api[who].get(_url("organisation-diagnostic", org=org)).status_code == 200
    put = api[who].put(
        _url("organisation-diagnostic-answers", org=org),
        {"answers": {"backup.offline": "yes"}},
        format="json",
    )
    assert put.status_code == 403
    assert api[who].post(_url("organisation-diagnostic-submit", org=org)).status_code == 403


def test_the_provider_answers_on_behalf_through_the_api(api, world, questionnaire):  # noqa: F811
    response = api["dave"].put(
        _url("organisation-diagnostic-answers", org=world.org_a.pk),
        {"answers": {"access.remote_mfa": "yes"}},
        format="json",
    )
    assert response.status_code == 200
    answer = response.json()["answers"][0]
    assert answer["on_behalf"] is True and answer["answered_by"] == world.dave.email


def test_the_plan_and_its_items(api, world, questionnaire):  # noqa: F811
    rdp = save_finding(world.org_a, world.asset_a, check_id="net.exposed.rdp", severity="high")
    plan = api["bob"].get(_url("organisation-plan", org=world.org_a.pk) + "?lang=en").json()
    item = next(i for i in plan["items"] if i["finding"] == str(rdp.pk))
    assert item["this_week"] and item["status"] == "open"
    assert item["who_label"] and item["effort_label"] and item["cost"]

    url = _url("plan-item", item=item["id"])
    assert api["bob"].patch(url, {"status": "done"}, format="json").status_code == 403
    bad = api["alice"].patch(url, {"assignee": world.charlie.pk}, format="json")
    assert bad.status_code == 400  # charlie is not a member of the bakery
    done = api["alice"].patch(
        url, {"status": "done", "assignee": world.bob.pk, "assignee_name": ""}, format="json"
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "done" and done.json()["assignee"] == world.bob.pk
    stored = ActionItem.objects.get(pk=item["id"])
    assert stored.status == ActionStatus.DONE and stored.done_by == world.alice
    reopened = api["dave"].patch(url, {"status": "open"}, format="json")
    assert reopened.json()["status"] == "open" and reopened.json()["reopened"] == 1


def test_another_business_gets_404_on_every_diagnostic_url(api, world, questionnaire):  # noqa: F811
    save_finding(world.org_b, world.asset_b, check_id="net.exposed.rdp", severity="high")
    api["charlie"].get(_url("organisation-plan", org=world.org_b.pk))
    theirs = ActionItem.objects.get(organisation=world.org_b)
    org = world.org_b.pk
    calls = [
        ("get", _url("organisation-diagnostic", org=org)),
        ("put", _url("organisation-diagnostic-answers", org=org)),
        ("post", _url("organisation-diagnostic-submit", org=org)),
        ("get", _url("organisation-maturity-history", org=org)),
        ("get", _url("organisation-plan", org=org)),
        ("patch", _url("plan-item", item=theirs.pk)),
        ("patch", _url("plan-item", item=uuid.uuid4())),
    ]
    for method, url in calls:
        response = getattr(api["alice"], method)(url, {"status": "done"}, format="json")
        assert response.status_code == 404, (method, url, response.status_code)
    theirs.refresh_from_db()
    assert theirs.status == ActionStatus.OPEN


def test_the_schema_describes_the_diagnostic(api, questionnaire):  # noqa: F811
    schema = api["anonymous"].get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert "/api/organisations/{org}/diagnostic/answers/" in paths
    assert "patch" in paths["/api/plan-items/{item}/"]
    assert "PlanItem" in schema["components"]["schemas"]
