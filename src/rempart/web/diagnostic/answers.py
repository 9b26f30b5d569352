"""Assessments and their answers: draft, resume, save, submit (one draft per business).

Answers are stored by stable question id with the questionnaire version the id belongs to.
Reading them migrates them to the current version; an answer to a question the current version
no longer has is never deleted: it is *set aside* and shown with its version (issue 5).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rempart.diagnostic.maturity import score
from rempart.diagnostic.model import Maturity, Questionnaire
from rempart.knowledge.questionnaire import migrate_answers
from rempart.web.diagnostic.evidence import current_questionnaire, evidence_for
from rempart.web.diagnostic.models import Answer, Assessment, AssessmentStatus
from rempart.web.orgs.access import role_in
from rempart.web.orgs.audit import audit
from rempart.web.orgs.models import AuditAction, Organisation, Role, User

NOTE_MAX = 2000


class DiagnosticError(ValueError):
    """A request the diagnostic refuses; the message is for the user (translated)."""


def current_assessment(org: Organisation) -> Assessment | None:
    """The draft if there is one, else the last submitted assessment."""
    draft = Assessment.objects.filter(organisation=org, status=AssessmentStatus.DRAFT).first()
    return draft or latest_submitted(org)


def latest_submitted(org: Organisation) -> Assessment | None:
    return (
        Assessment.objects.filter(organisation=org, status=AssessmentStatus.SUBMITTED)
        .order_by("-submitted_at", "-started_at")
        .first()
    )


def start_or_resume(org: Organisation, user: User) -> Assessment:
    """The business's draft; a new one starts from the last submitted answers."""
    draft = Assessment.objects.filter(organisation=org, status=AssessmentStatus.DRAFT).first()
    if draft is not None:
        return draft
    q = current_questionnaire()
    previous = latest_submitted(org)
    try:
        with transaction.atomic():
            draft = Assessment.objects.create(
                organisation=org, questionnaire_version=q.version, created_by=user
            )
            if previous is not None:
                Answer.objects.bulk_create(_carried_over(previous, draft, q))
    except IntegrityError:
        # Two first clicks at once: the other request created the draft (one per business).
        return Assessment.objects.get(organisation=org, status=AssessmentStatus.DRAFT)
    return draft


def _carried_over(previous: Assessment, draft: Assessment, q: Questionnaire) -> list[Answer]:
    """The previous answers under the current ids; set-aside ones are carried as they are."""
    old = list(previous.answers.all())
    current = answers_of(previous, q)
    by_id = {a.question_id: a for a in old}
    renamed = _renames(old, q)
    carried = []
    for qid, choice in current.items():
        source = by_id.get(qid) or by_id[renamed[qid]]
        carried.append(_copy(source, draft, qid, choice, q.version))
    for answer in set_aside_answers(previous, q):
        carried.append(_copy(answer, draft, answer.question_id, answer.choice_id, answer.version))
    return carried


def _copy(source: Answer, draft: Assessment, qid: str, choice: str, version: str) -> Answer:
    return Answer(
        assessment=draft,
        question_id=qid,
        choice_id=choice,
        version=version,
        note=source.note,
        answered_by_id=source.answered_by_id,
        answered_at=source.answered_at,
        on_behalf=source.on_behalf,
    )


def _renames(answers: list[Answer], q: Questionnaire) -> dict[str, str]:
    """New question id -> the old id it was migrated from (for answers of older versions)."""
    found: dict[str, str] = {}
    for answer in answers:
        if answer.version == q.version:
            continue
        one = {answer.question_id: answer.choice_id}
        kept, _dropped = migrate_answers(q, answer.version, one)
        for new_id in kept:
            found[new_id] = answer.question_id
    return found


def _migrated(answers: list[Answer], q: Questionnaire) -> tuple[dict[str, str], list[Answer]]:
    """(answers under the current ids, answers set aside). Current-version answers win."""
    by_version: dict[str, dict[str, str]] = defaultdict(dict)
    for answer in answers:
        by_version[answer.version][answer.question_id] = answer.choice_id
    kept: dict[str, str] = {}
    aside: set[tuple[str, str]] = set()
    for version, given in sorted(by_version.items(), key=lambda item: item[0] == q.version):
        moved, dropped = migrate_answers(q, version, given)
        aside.update((version, k) for k in dropped)
        kept.update(moved)
    return kept, [a for a in answers if (a.version, a.question_id) in aside]


def answers_of(assessment: Assessment, q: Questionnaire | None = None) -> dict[str, str]:
    """The answers, question id -> choice id, migrated to the current questionnaire."""
    q = q or current_questionnaire()
    return _migrated(list(assessment.answers.all()), q)[0]


def set_aside_answers(assessment: Assessment, q: Questionnaire | None = None) -> list[Answer]:
    """The answers to questions the current questionnaire dropped (``answer.version`` says
    which version they belong to). Kept, never silently deleted."""
    q = q or current_questionnaire()
    return _migrated(list(assessment.answers.all()), q)[1]


def save_answers(
    assessment: Assessment,
    user: User,
    answers: Mapping[str, str],
    notes: Mapping[str, str] | None = None,
) -> list[str]:
    """Record answers (an empty choice takes the answer back) and notes on a draft.

    Returns one translated sentence per entry refused (unknown question or choice); the
    valid entries are saved all the same. A submitted assessment is read-only.
    """
    if not assessment.is_draft:
        raise DiagnosticError(_("This diagnostic was submitted: it can no longer be changed."))
    q = current_questionnaire()
    notes = notes or {}
    errors: list[str] = []
    valid: dict[str, str] = {}
    for qid, choice in answers.items():
        error = _check_answer(q, qid, choice)
        if error:
            errors.append(error)
        else:
            valid[qid] = choice
    with transaction.atomic():
        existing = {a.question_id: a for a in assessment.answers.select_for_update()}
        errors += _write(assessment, user, q, valid, notes, existing)
        Assessment.objects.filter(pk=assessment.pk).update(updated_at=timezone.now())
    _after_change(assessment.organisation_id)
    return errors


def _check_answer(q: Questionnaire, qid: str, choice: object) -> str:
    question = q.question(str(qid))
    if question is None:
        return _("There is no question “%(question)s” in this diagnostic.") % {"question": qid}
    if not isinstance(choice, str) or (choice and question.choice(choice) is None):
        return _("“%(choice)s” is not one of the answers to the question “%(question)s”.") % {
            "choice": choice,
            "question": qid,
        }
    return ""


def _write(
    assessment: Assessment,
    user: User,
    q: Questionnaire,
    valid: Mapping[str, str],
    notes: Mapping[str, str],
    existing: dict[str, Answer],
) -> list[str]:
    now = timezone.now()
    on_behalf = role_in(user, assessment.organisation) == Role.PROVIDER
    errors: list[str] = []
    fresh: list[Answer] = []
    changed: list[Answer] = []
    gone = [qid for qid, choice in valid.items() if not choice and qid in existing]
    for qid, choice in valid.items():
        if not choice:
            continue
        note = str(notes.get(qid, existing[qid].note if qid in existing else ""))[:NOTE_MAX]
        answer = existing.get(qid) or Answer(assessment=assessment, question_id=qid)
        answer.choice_id, answer.version, answer.note = choice, q.version, note
        answer.answered_by, answer.answered_at, answer.on_behalf = user, now, on_behalf
        (changed if answer.pk else fresh).append(answer)
    for qid, note in notes.items():
        if qid in valid:
            continue
        if qid not in existing or existing[qid].version != q.version:
            errors.append(
                _("Answer the question “%(question)s” before adding a note to it.")
                % {"question": qid}
            )
            continue
        existing[qid].note = str(note)[:NOTE_MAX]
        changed.append(existing[qid])
    Answer.objects.filter(assessment=assessment, question_id__in=gone).delete()
    Answer.objects.bulk_create(fresh)
    fields = ["choice_id", "version", "note", "answered_by", "answered_at", "on_behalf"]
    Answer.objects.bulk_update(changed, fields)
    return errors


def submit(assessment: Assessment, user: User) -> Maturity:
    """Close the draft: the maturity is computed and kept with it. Partial answers are
    allowed (and shown as partial); at least one answer is needed."""
    if not assessment.is_draft:
        raise DiagnosticError(_("This diagnostic was already submitted."))
    q = current_questionnaire()
    answers = answers_of(assessment, q)
    if not answers:
        raise DiagnosticError(_("Answer at least one question before submitting."))
    maturity = score(q, answers, evidence_for(assessment.organisation, "fr"))
    with transaction.atomic():
        _snapshot(assessment, maturity)
        assessment.status = AssessmentStatus.SUBMITTED
        assessment.submitted_at = timezone.now()
        assessment.submitted_by = user
        assessment.save()
        audit(
            AuditAction.DIAGNOSTIC_SUBMITTED,
            actor=user,
            organisation=assessment.organisation,
            obj=assessment,
            version=q.version,
            index="" if maturity.index is None else maturity.index,
            answered=f"{maturity.answered}/{maturity.applicable}",
        )
    _after_change(assessment.organisation_id)
    return maturity


def _snapshot(assessment: Assessment, maturity: Maturity) -> None:
    assessment.questionnaire_version = maturity.version
    assessment.index, assessment.raw, assessment.level = (
        maturity.index,
        maturity.raw,
        maturity.level,
    )
    assessment.themes = {
        t.theme: {
            "index": t.index,
            "raw": t.raw,
            "capped_by": list(t.capped_by),
            "applicable": t.applicable,
            "answered": t.answered,
            "unknown": t.unknown,
        }
        for t in maturity.themes
    }
    assessment.red_flags = [hit.flag.id for hit in maturity.red_flags]
    assessment.contradictions = [
        {"rule": hit.rule.id, "question": hit.rule.question, "findings": list(hit.findings)}
        for hit in maturity.contradictions
    ]
    assessment.applicable = maturity.applicable
    assessment.answered = maturity.answered
    assessment.unknown = maturity.unknown


def _after_change(org_id: object) -> None:
    from rempart.web.diagnostic.planning import sync_plan_later

    sync_plan_later(org_id)
