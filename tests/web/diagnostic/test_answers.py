"""Drafts, answers and submission: what the business and its IT provider can record."""

from __future__ import annotations

import pytest

from rempart.web.diagnostic import services
from rempart.web.diagnostic.models import Answer, Assessment, AssessmentStatus
from rempart.web.orgs.models import AuditAction, AuditEvent
from tests.web.diagnostic.conftest import V1, V2


def test_a_draft_is_saved_and_resumed_by_the_same_business(world, questionnaire):
    draft = services.start_or_resume(world.org_a, world.alice)
    errors = services.save_answers(
        draft, world.alice, {"backup.offline": "yes"}, {"backup.offline": "USB le vendredi"}
    )
    assert errors == []

    again = services.start_or_resume(world.org_a, world.alice)

    assert again.pk == draft.pk and again.is_draft
    assert services.answers_of(again) == {"backup.offline": "yes"}
    assert Answer.objects.get(assessment=again).note == "USB le vendredi"
    assert services.current_assessment(world.org_a) == draft
    assert services.current_assessment(world.org_b) is None


def test_unknown_questions_and_choices_are_refused_and_the_rest_saved(world, questionnaire):
    draft = services.start_or_resume(world.org_a, world.alice)

    errors = services.save_answers(
        draft,
        world.alice,
        {"backup.offline": "yes", "nope.question": "yes", "mail.protected": "maybe"},
    )

    assert len(errors) == 2
    assert any("nope.question" in e for e in errors)
    assert any("maybe" in e and "mail.protected" in e for e in errors)
    assert services.answers_of(draft) == {"backup.offline": "yes"}


def test_an_empty_choice_takes_an_answer_back(world, questionnaire):
    draft = services.start_or_resume(world.org_a, world.alice)
    services.save_answers(draft, world.alice, {"backup.offline": "yes", "mail.protected": "no"})

    services.save_answers(draft, world.alice, {"mail.protected": ""})

    assert services.answers_of(draft) == {"backup.offline": "yes"}


def test_the_it_provider_answers_on_behalf_of_the_business(world, questionnaire):
    draft = services.start_or_resume(world.org_a, world.dave)
    services.save_answers(draft, world.dave, {"access.remote_mfa": "yes"})
    services.save_answers(draft, world.alice, {"backup.offline": "no"})

    by_question = {a.question_id: a for a in draft.answers.all()}
    assert by_question["access.remote_mfa"].on_behalf is True
    assert by_question["access.remote_mfa"].answered_by == world.dave
    assert by_question["backup.offline"].on_behalf is False


def test_a_submitted_assessment_is_read_only(world, questionnaire):
    draft = services.start_or_resume(world.org_a, world.alice)
    services.save_answers(draft, world.alice, {"backup.offline": "yes"})
    services.submit(draft, world.alice)

    with pytest.raises(services.DiagnosticError):
        services.save_answers(draft, world.alice, {"backup.offline": "no"})
    with pytest.raises(services.DiagnosticError):
        services.submit(draft, world.alice)
    assert services.answers_of(draft) == {"backup.offline": "yes"}


def test_a_partial_submission_is_kept_as_partial_with_its_snapshot_and_audit(world, questionnaire):
    draft = services.start_or_resume(world.org_a, world.alice)
    services.save_answers(draft, world.alice, {"backup.offline": "yes"})

    maturity = services.submit(draft, world.alice)

    draft.refresh_from_db()
    assert draft.status == AssessmentStatus.SUBMITTED and draft.submitted_by == world.alice
    assert not maturity.complete
    assert (draft.applicable, draft.answered) == (3, 1)
    # Unanswered questions are gaps, never "yes": 3 × 3 / (3 × (3 + 2 + 2)) × 5 = 2.1.
    assert draft.index == maturity.index == 2.1
    assert draft.themes["backup"]["index"] == 5.0
    assert draft.themes["mail"]["answered"] == 0
    event = AuditEvent.objects.get(action=AuditAction.DIAGNOSTIC_SUBMITTED)
    assert event.organisation == world.org_a and event.detail["answered"] == "1/3"


def test_nothing_answered_cannot_be_submitted(world, questionnaire):
    draft = services.start_or_resume(world.org_a, world.alice)
    with pytest.raises(services.DiagnosticError):
        services.submit(draft, world.alice)
    assert services.maturity_of(world.org_a) is None


def test_a_new_draft_starts_from_the_last_submitted_answers(world, questionnaire):
    first = services.start_or_resume(world.org_a, world.dave)
    services.save_answers(first, world.dave, {"backup.offline": "no", "mail.protected": "yes"})
    services.submit(first, world.alice)

    second = services.start_or_resume(world.org_a, world.alice)

    assert second.pk != first.pk and second.is_draft
    assert services.answers_of(second) == {"backup.offline": "no", "mail.protected": "yes"}
    assert all(a.on_behalf and a.answered_by == world.dave for a in second.answers.all())
    assert Assessment.objects.filter(organisation=world.org_a).count() == 2
    assert services.latest_submitted(world.org_a) == first


def test_answers_to_a_dropped_question_are_set_aside_never_lost(world, questionnaire):
    questionnaire["current"] = V1
    draft = services.start_or_resume(world.org_a, world.alice)
    assert draft.questionnaire_version == "2026.1"
    services.save_answers(
        draft, world.alice, {"backup.offsite": "partly", "web.flash": "no", "mail.protected": "yes"}
    )
    services.submit(draft, world.alice)

    questionnaire["current"] = V2

    # The renamed question carries over; the dropped one is reported with its version.
    assert services.answers_of(draft) == {"backup.offline": "partly", "mail.protected": "yes"}
    aside = services.set_aside_answers(draft)
    assert [(a.question_id, a.choice_id, a.version) for a in aside] == [
        ("web.flash", "no", "2026.1")
    ]
    resumed = services.start_or_resume(world.org_a, world.alice)
    assert services.answers_of(resumed) == {"backup.offline": "partly", "mail.protected": "yes"}
    assert [a.question_id for a in services.set_aside_answers(resumed)] == ["web.flash"]
    assert Answer.objects.filter(question_id="web.flash").count() == 2
