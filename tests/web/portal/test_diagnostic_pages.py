"""The diagnostic pages of the portal: the overview, a form per theme, the submission and the
maturity page.

The forms are posted like a browser posts them (radio ``answer-<question id>``, ``note-…``,
the button ``go``). The questionnaire is the example of docs/maturity.md
(tests/diagnostic/data/example): small and stable, with the ids of the shipped one
(``test_every_theme_of_the_shipped_questionnaire_renders`` covers the real data). alice owns
business A, bob is a read-only member, dave its IT provider, olga a center analyst, charlie an
outsider who gets 404 everywhere.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from rempart.diagnostic.model import Questionnaire
from rempart.web.diagnostic import evidence
from rempart.web.diagnostic.models import Answer, Assessment, AssessmentStatus
from rempart.web.orgs.models import Organisation
from rempart.web.portal.diagnostic_charts import history_chart, theme_bars
from tests.diagnostic.support import example
from tests.web.conftest import otp_login
from tests.web.portal.factories import save_finding


def use_example(monkeypatch) -> Questionnaire:
    """The platform reads the example questionnaire as the current one."""
    q = example()
    monkeypatch.setattr(evidence, "load_questionnaire", lambda version=None: q)
    return q


@pytest.fixture
def questionnaire(monkeypatch) -> Questionnaire:
    return use_example(monkeypatch)


def overview_url(org) -> str:
    return reverse("portal:diagnostic", kwargs={"org": org.pk})


def theme_url(org, theme: str) -> str:
    return reverse("portal:diagnostic_theme", kwargs={"org": org.pk, "theme": theme})


def maturity_url(org) -> str:
    return reverse("portal:maturity", kwargs={"org": org.pk})


def post_theme(client, org, theme: str, answers: dict[str, str], go: str = "next", **notes):
    data = {f"answer-{qid}": choice for qid, choice in answers.items()}
    data.update({f"note-{qid}": note for qid, note in notes.items()})
    data["go"] = go
    return client.post(theme_url(org, theme), data)


def stored(org) -> dict[str, str]:
    return dict(
        Answer.objects.filter(assessment__organisation=org).values_list("question_id", "choice_id")
    )


def answer_all(client, org, answers_by_theme: dict[str, dict[str, str]]) -> None:
    for theme, answers in answers_by_theme.items():
        response = post_theme(client, org, theme, answers)
        assert response.status_code == 302, response.content.decode()[:3000]


BAKER = {
    "context": {"ctx.servers": "none", "ctx.website": "showcase"},
    "backup": {"backup.exists": "yes", "backup.offline": "no"},
    "accounts": {"accounts.admin_rights": "some", "accounts.password_manager": "dont_know"},
}


# -- filling in -------------------------------------------------------------------------------


def test_an_owner_without_answers_is_invited_to_start(client, world, questionnaire):
    otp_login(client, world.alice)
    response = client.get(overview_url(world.org_a))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Start the diagnostic" in body
    assert theme_url(world.org_a, "context") in body
    assert f"Questionnaire version {questionnaire.version}" in body
    assert 'id="submit-form"' not in body  # nothing to submit yet
    titles = [row.title for row in response.context["themes"]]
    assert titles == [t.title.en for t in questionnaire.themes]


def test_save_and_continue_goes_to_the_next_theme_and_keeps_a_draft(client, world, questionnaire):
    otp_login(client, world.alice)
    response = post_theme(client, world.org_a, "context", BAKER["context"])
    assert response.status_code == 302
    assert response["Location"] == theme_url(world.org_a, "backup")
    draft = Assessment.objects.get(organisation=world.org_a)
    assert draft.status == AssessmentStatus.DRAFT
    assert stored(world.org_a) == BAKER["context"]
    assert not Answer.objects.filter(assessment=draft, on_behalf=True).exists()


def test_a_draft_is_saved_and_resumed_with_its_notes(client, world, questionnaire):
    otp_login(client, world.alice)
    post_theme(client, world.org_a, "context", BAKER["context"])
    response = post_theme(
        client,
        world.org_a,
        "backup",
        {"backup.exists": "yes"},
        go="draft",
        **{"backup.exists": "Clé USB le vendredi"},
    )
    assert response.status_code == 302
    assert response["Location"] == theme_url(world.org_a, "backup")  # stays on the theme

    # Later: the overview offers to resume, and the form shows what was given.
    overview = client.get(overview_url(world.org_a)).content.decode()
    assert "Resume the diagnostic" in overview
    assert "Draft saved on" in overview
    page = client.get(theme_url(world.org_a, "backup")).content.decode()
    assert re.search(r'value="yes" checked', page)
    assert "Clé USB le vendredi" in page
    assert Answer.objects.get(question_id="backup.exists").note == "Clé USB le vendredi"


def test_saving_a_page_again_does_not_resign_answers_someone_else_gave(
    client, world, questionnaire
):
    otp_login(client, world.alice)
    post_theme(client, world.org_a, "backup", {"backup.exists": "yes"})
    otp_login(client, world.dave)
    post_theme(client, world.org_a, "backup", {"backup.exists": "yes", "backup.offline": "no"})
    by = dict(Answer.objects.values_list("question_id", "answered_by__email"))
    assert by == {"backup.exists": world.alice.email, "backup.offline": world.dave.email}


def test_the_last_theme_leads_back_to_the_overview(client, world, questionnaire):
    otp_login(client, world.alice)
    last = questionnaire.themes[-1].id
    response = post_theme(client, world.org_a, last, {"web.https": "yes"})
    assert response["Location"] == overview_url(world.org_a)


def test_context_answers_switch_questions_off_and_say_why(client, world, questionnaire):
    otp_login(client, world.alice)
    post_theme(client, world.org_a, "context", {"ctx.servers": "none", "ctx.website": "none"})
    response = client.get(theme_url(world.org_a, "updates"))
    body = response.content.decode()
    shown = [row.question.id for row in response.context["rows"]]
    off = [row.question.id for row in response.context["off_rows"]]
    assert shown == ["updates.workstations"]
    assert off == ["updates.servers"]
    assert 'name="answer-updates.servers"' not in body  # not a field any more
    servers = questionnaire.question("ctx.servers")
    none_label = servers.choice("none").label.en
    assert escape(f"You answered “{none_label}” to “{servers.text.en}”.") in body
    # Every question of the web theme is off: the theme is skipped when continuing.
    response = post_theme(client, world.org_a, "network", {"network.remote_exposed": "no"})
    assert response["Location"] == overview_url(world.org_a)


def test_each_question_is_an_accessible_fieldset_with_why_we_ask(client, world, questionnaire):
    otp_login(client, world.alice)
    body = client.get(theme_url(world.org_a, "backup")).content.decode()
    question = questionnaire.question("backup.offline")
    assert body.count("<fieldset") == 2
    assert f"<legend>{escape(question.text.en)}</legend>" in body
    assert "Why we ask" in body and escape(question.why.en) in body
    for position, choice in enumerate(question.choices, start=1):
        field_id = f"q-backup-offline-{position}"
        assert f'id="{field_id}" value="{choice.id}"' in body
        assert f'<label for="{field_id}">{escape(choice.label.en)}</label>' in body
    assert 'id="save-next"' in body and 'id="save-draft"' in body


def test_a_choice_the_question_does_not_offer_is_refused_and_linked(client, world, questionnaire):
    otp_login(client, world.alice)
    response = post_theme(
        client, world.org_a, "backup", {"backup.exists": "yes", "backup.offline": "maybe"}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'href="#q-backup-offline"' in body
    assert 'aria-describedby="q-backup-offline-error"' in body
    assert stored(world.org_a) == {}  # nothing saved, not even the valid one


def test_an_unknown_theme_is_a_404(client, world, questionnaire):
    otp_login(client, world.alice)
    assert client.get(theme_url(world.org_a, "astrology")).status_code == 404


def test_french_is_the_default(client, world, questionnaire):
    otp_login(client, world.alice)
    body = client.get(theme_url(world.org_a, "backup"), HTTP_ACCEPT_LANGUAGE="fr").content
    assert escape(questionnaire.question("backup.offline").text.fr) in body.decode()


# -- who may answer -------------------------------------------------------------------------


def test_a_provider_answers_on_behalf_of_the_business_and_it_shows(client, world, questionnaire):
    otp_login(client, world.dave)
    post_theme(client, world.org_a, "backup", {"backup.exists": "partly"})
    answer = Answer.objects.get(question_id="backup.exists")
    assert answer.on_behalf and answer.answered_by == world.dave
    otp_login(client, world.alice)
    overview = client.get(overview_url(world.org_a)).content.decode()
    assert f"{world.dave.email}, IT provider, on behalf of the business: 1 answer" in overview
    page = client.get(theme_url(world.org_a, "backup")).content.decode()
    assert f"Answered by {world.dave.email}, IT provider, on behalf of the business." in page


@pytest.mark.parametrize("reader", ["bob", "olga"])
def test_members_and_analysts_read_the_answers_but_cannot_change_them(
    client, world, questionnaire, reader
):
    otp_login(client, world.alice)
    post_theme(client, world.org_a, "backup", {"backup.exists": "yes"})
    otp_login(client, getattr(world, reader))
    page = client.get(theme_url(world.org_a, "backup"))
    body = page.content.decode()
    assert page.status_code == 200
    assert 'id="read-only"' in body
    assert 'value="yes" checked disabled' in body
    assert 'id="save-next"' not in body
    overview = client.get(overview_url(world.org_a)).content.decode()
    assert "Start the diagnostic" not in overview and "Resume the diagnostic" not in overview
    # Trying anyway changes nothing: the 404 of a page of actions.
    assert post_theme(client, world.org_a, "backup", {"backup.exists": "no"}).status_code == 404
    submit = reverse("portal:diagnostic_submit", kwargs={"org": world.org_a.pk})
    assert client.post(submit).status_code == 404
    assert stored(world.org_a) == {"backup.exists": "yes"}
    assert Assessment.objects.get(organisation=world.org_a).is_draft


def test_an_outsider_gets_404_on_every_diagnostic_page(client, world, questionnaire):
    otp_login(client, world.alice)
    post_theme(client, world.org_a, "backup", {"backup.exists": "yes"})
    otp_login(client, world.charlie)
    for url in (
        overview_url(world.org_a),
        theme_url(world.org_a, "backup"),
        maturity_url(world.org_a),
    ):
        assert client.get(url).status_code == 404, url
    assert post_theme(client, world.org_a, "backup", {"backup.exists": "no"}).status_code == 404
    submit = reverse("portal:diagnostic_submit", kwargs={"org": world.org_a.pk})
    assert client.post(submit).status_code == 404
    assert stored(world.org_a) == {"backup.exists": "yes"}


# -- submitting -------------------------------------------------------------------------------


def test_a_partial_submission_is_warned_about_then_shown_as_partial(client, world, questionnaire):
    otp_login(client, world.alice)
    answer_all(client, world.org_a, BAKER)
    overview = client.get(overview_url(world.org_a))
    body = overview.content.decode()
    # ctx.servers = none switches updates.servers off: it is not among the missing ones.
    missing = {text for row in overview.context["missing"] for text in row.missing}
    expected = {
        questionnaire.question(qid).text.en
        for qid in ("updates.workstations", "network.remote_exposed", "web.https")
    }
    assert expected <= missing
    assert questionnaire.question("updates.servers").text.en not in missing
    assert 'id="submit-warning"' in body and "Submit anyway, partially" in body

    response = client.post(reverse("portal:diagnostic_submit", kwargs={"org": world.org_a.pk}))
    assert response.status_code == 302 and response["Location"] == maturity_url(world.org_a)
    assessment = Assessment.objects.get(organisation=world.org_a)
    assert assessment.status == AssessmentStatus.SUBMITTED
    page = client.get(maturity_url(world.org_a))
    maturity = page.context["maturity"]
    assert not maturity.complete
    text = page.content.decode()
    assert f"Partial: {maturity.answered} of {maturity.applicable} questions answered." in text
    assert "submitted partially" in text  # the message after the redirect
    assert "1 “I don't know”: it counts as a gap" in text


def test_submitting_without_a_draft_says_so(client, world, questionnaire):
    otp_login(client, world.alice)
    response = client.post(
        reverse("portal:diagnostic_submit", kwargs={"org": world.org_a.pk}), follow=True
    )
    assert "There is no draft to submit" in response.content.decode()
    assert not Assessment.objects.exists()


def test_changing_a_submitted_diagnostic_starts_a_new_draft_with_the_old_answers(
    client, world, questionnaire
):
    otp_login(client, world.alice)
    answer_all(client, world.org_a, BAKER)
    client.post(reverse("portal:diagnostic_submit", kwargs={"org": world.org_a.pk}))
    post_theme(client, world.org_a, "backup", {"backup.exists": "yes", "backup.offline": "yes"})
    draft = Assessment.objects.get(organisation=world.org_a, status=AssessmentStatus.DRAFT)
    answers = dict(draft.answers.values_list("question_id", "choice_id"))
    assert answers["backup.offline"] == "yes"
    assert answers["accounts.admin_rights"] == "some"  # carried over
    assert Assessment.objects.filter(status=AssessmentStatus.SUBMITTED).count() == 1


def test_going_through_a_submitted_diagnostic_without_changes_opens_no_draft(
    client, world, questionnaire
):
    otp_login(client, world.alice)
    answer_all(client, world.org_a, BAKER)
    client.post(reverse("portal:diagnostic_submit", kwargs={"org": world.org_a.pk}))
    response = post_theme(client, world.org_a, "backup", BAKER["backup"])
    assert response["Location"] == theme_url(world.org_a, "accounts")
    assert not Assessment.objects.filter(status=AssessmentStatus.DRAFT).exists()


def test_answers_set_aside_by_a_new_version_are_shown(client, world, questionnaire):
    assessment = Assessment.objects.create(
        organisation=world.org_a, questionnaire_version="2025.1", created_by=world.alice
    )
    Answer.objects.create(
        assessment=assessment,
        question_id="web.flash",
        choice_id="no",
        version="2025.1",
        note="plus de Flash depuis 2020",
        answered_by=world.alice,
        answered_at=timezone.now(),
    )
    Answer.objects.create(
        assessment=assessment,
        question_id="backup.exists",
        choice_id="yes",
        version="2025.1",
        answered_by=world.alice,
        answered_at=timezone.now(),
    )
    otp_login(client, world.bob)
    body = client.get(overview_url(world.org_a)).content.decode()
    section = body[body.index('id="set-aside"') :]
    assert "web.flash" in section and "version 2025.1" in section
    assert "plus de Flash depuis 2020" in section
    assert "backup.exists" not in section  # still asked: kept, not set aside


# -- maturity ---------------------------------------------------------------------------------


def test_without_any_answer_the_maturity_page_says_what_is_missing(client, world, questionnaire):
    otp_login(client, world.alice)
    response = client.get(maturity_url(world.org_a))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="maturity-missing"' in body and overview_url(world.org_a) in body
    assert "index-value" not in body  # never an empty grade


def test_red_flags_come_first_and_cap_the_index(client, world, questionnaire):
    otp_login(client, world.alice)
    answer_all(
        client,
        world.org_a,
        {
            "context": {"ctx.servers": "onsite", "ctx.website": "shop"},
            "backup": {"backup.exists": "yes", "backup.offline": "no"},
            "accounts": {"accounts.admin_rights": "nobody", "accounts.password_manager": "yes"},
            "updates": {"updates.workstations": "auto", "updates.servers": "yes"},
            "network": {"network.remote_exposed": "no"},
            "web": {"web.https": "yes", "web.hosting_updates": "yes"},
        },
    )
    response = client.get(maturity_url(world.org_a))
    body = response.content.decode()
    maturity = response.context["maturity"]
    assert maturity.complete and maturity.raw > maturity.index <= 2.0
    flag = questionnaire.red_flags[0]
    assert flag.id == "no-offline-backup"
    assert body.index('id="red-flags"') < body.index('id="maturity-index"')
    assert escape(flag.title.en) in body
    assert f"{maturity.index:.1f}" in body and "Complete: all" in body
    assert "but the red flags cap the index" in body
    table = body[body.index('id="theme-scores"') :]
    backup = next(t for t in maturity.themes if t.theme == "backup")
    assert f"Yes (average {backup.raw:.1f})" in table
    assert body.count("<svg") >= 1 and '<desc id="bars-desc">' in body


def test_a_contradiction_shows_what_our_checks_saw(client, world, questionnaire):
    rdp = save_finding(
        world.org_a, world.asset_a, check_id="net.exposed.rdp", severity="high", location="x:3389"
    )
    otp_login(client, world.alice)
    answer_all(client, world.org_a, {"network": {"network.remote_exposed": "no"}})
    body = client.get(maturity_url(world.org_a)).content.decode()
    section = body[body.index('id="contradictions"') :]
    rule = questionnaire.contradictions[0]
    assert escape(rule.message.en) in section
    assert reverse("portal:finding", kwargs={"finding": rdp.pk}) in section
    assert "You answered “" in section


def _peer(n: int, index: float, naf: str = "10.71B", headcount: str = "1-9") -> None:
    org = Organisation.objects.create(
        name=f"Boulangerie {n}",
        siren=f"{n:09d}",
        naf=naf,
        headcount=headcount,
        departement="35",
    )
    Assessment.objects.create(
        organisation=org,
        questionnaire_version="2026.1",
        status=AssessmentStatus.SUBMITTED,
        submitted_at=timezone.now(),
        index=index,
    )


def test_the_benchmark_waits_for_five_peers(client, world, questionnaire):
    otp_login(client, world.alice)
    answer_all(client, world.org_a, BAKER)
    client.post(reverse("portal:diagnostic_submit", kwargs={"org": world.org_a.pk}))
    for n, index in enumerate((1.0, 2.0, 3.0, 4.0)):
        _peer(100 + n, index)
    _peer(200, 4.5, naf="45.20A")  # another sector: not a peer
    body = client.get(maturity_url(world.org_a)).content.decode()
    assert "There are not yet five businesses" in body
    _peer(105, 2.5)
    response = client.get(maturity_url(world.org_a))
    body = response.content.decode()
    bench = response.context["benchmark"]
    assert bench.peers == 5
    assert "Among 5 businesses of your sector and size in the region" in body
    assert f"the median index is {bench.median:.1f}" in body
    assert f"You do better than {bench.percentile} % of them." in body


def test_history_shows_each_submitted_diagnostic(client, world, questionnaire):
    otp_login(client, world.alice)
    submit = reverse("portal:diagnostic_submit", kwargs={"org": world.org_a.pk})
    answer_all(client, world.org_a, BAKER)
    client.post(submit)
    earlier = timezone.now() - timedelta(days=90)
    Assessment.objects.filter(organisation=world.org_a).update(submitted_at=earlier)
    post_theme(client, world.org_a, "backup", {"backup.offline": "yes"})
    client.post(submit)
    response = client.get(maturity_url(world.org_a))
    history = response.context["history"]
    assert len(history) == 2 and history[0].index < history[1].index
    body = response.content.decode()
    rows = body[body.index('id="history-table"') :].split("</table>")[0]
    assert rows.count('<th scope="row">') == 2
    assert response.context["history_chart"] is not None and 'id="hist-title"' in body


def test_theme_bars_scale_to_five_and_outline_a_capped_average():
    bars = theme_bars([("Sauvegardes", 1.0, 4.0), ("Comptes", 5.0, 5.0), ("Web", None, None)])
    capped, full, empty = bars.bars
    span = bars.right_edge - bars.left
    assert full.width == span and not full.capped
    assert capped.capped and capped.width == span / 5 and capped.raw_width == span * 4 / 5
    assert empty.width == 0 and empty.index is None
    assert [t.label for t in bars.ticks] == ["0", "1", "2", "3", "4", "5"]
    assert bars.height > 3 * (full.y - capped.y)


def test_the_history_chart_needs_two_scored_points():
    now = timezone.now()
    assert history_chart([(now, 2.0)]) is None
    assert history_chart([(now, 2.0), (now, None)]) is None
    chart = history_chart([(now - timedelta(days=30), 1.0), (now, 4.0)])
    assert chart is not None
    low, high = chart.dots
    assert low.x < high.x and low.y > high.y  # later and better: right and higher
    assert chart.line == f"{low.x},{low.y} {high.x},{high.y}"


def test_every_theme_of_the_shipped_questionnaire_renders(client, world):
    """The real data (src/rempart/knowledge/diagnostic), every theme, in both languages."""
    from rempart.knowledge.questionnaire import load_questionnaire

    q = load_questionnaire()
    otp_login(client, world.alice)
    for lang in ("fr", "en"):
        for theme in q.themes:
            response = client.get(theme_url(world.org_a, theme.id), HTTP_ACCEPT_LANGUAGE=lang)
            assert response.status_code == 200, theme.id
            assert escape(theme.title.get(lang)) in response.content.decode()
    assert client.get(overview_url(world.org_a)).status_code == 200
