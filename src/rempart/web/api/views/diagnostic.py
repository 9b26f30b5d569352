"""The diagnostic: the questionnaire, a business's answers and maturity, its history and its
action plan (issue 5). Thin views over ``rempart.web.diagnostic.services``."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from rempart.knowledge.loader import language_of
from rempart.web.api.diagnostic_serializers import (
    ActionItemPatchSerializer,
    ActionItemSerializer,
    AnswersInputSerializer,
    AnswersResultSerializer,
    DiagnosticSerializer,
    HistoryPointSerializer,
    PlanSerializer,
    QuestionnaireSerializer,
    benchmark_data,
    history_data,
    maturity_data,
    plan_data,
    questionnaire_data,
)
from rempart.web.api.permissions import endpoint, require_can_act
from rempart.web.api.serializers import ErrorSerializer
from rempart.web.api.views.common import READ_ERRORS, WRITE_ERRORS
from rempart.web.diagnostic import services
from rempart.web.diagnostic.models import ActionItem, ActionStatus, Assessment
from rempart.web.orgs.access import get_organisation_for_user, get_scoped
from rempart.web.orgs.models import Organisation, User

LANG = OpenApiParameter(
    "lang",
    OpenApiTypes.STR,
    enum=["fr", "en"],
    description="Language of the texts (default: the request's, else French)",
)


def _lang(request: Request) -> str:
    return language_of(request.query_params.get("lang") or get_language() or "fr")


@extend_schema(
    operation_id="questionnaire_retrieve",
    parameters=[LANG],
    responses={200: QuestionnaireSerializer, 401: ErrorSerializer},
)
@endpoint(["GET"])
def questionnaire(request: Request) -> Response:
    data = questionnaire_data(services.current_questionnaire(), _lang(request))
    return Response(QuestionnaireSerializer(data).data)


def _diagnostic(
    org: Organisation, lang: str, assessment: Assessment | None = None
) -> dict[str, Any]:
    assessment = assessment or services.current_assessment(org)
    answers, aside = [], []
    if assessment is not None:
        aside = services.set_aside_answers(assessment)
        apart = {a.pk for a in aside}
        every = assessment.answers.select_related("answered_by")
        answers = [a for a in every if a.pk not in apart]
    return {
        "assessment": assessment,
        "answers": answers,
        "set_aside": aside,
        "maturity": maturity_data(services.maturity_of(org, assessment), lang),
        "benchmark": benchmark_data(services.sector_benchmark(org)),
    }


@extend_schema(
    operation_id="organisations_diagnostic_retrieve",
    parameters=[LANG],
    responses={200: DiagnosticSerializer, **READ_ERRORS},
)
@endpoint(["GET"])
def organisation_diagnostic(request: Request, org: UUID) -> Response:
    organisation = get_organisation_for_user(request.user, org)
    return Response(DiagnosticSerializer(_diagnostic(organisation, _lang(request))).data)


@extend_schema(
    operation_id="organisations_diagnostic_answers",
    parameters=[LANG],
    request=AnswersInputSerializer,
    responses={200: AnswersResultSerializer, **WRITE_ERRORS},
    description="Save answers to the draft (started from the last answers if there is none). "
    "Valid entries are saved; the others are listed in `errors` (400 when none is valid).",
)
@endpoint(["PUT"])
def organisation_diagnostic_answers(request: Request, org: UUID) -> Response:
    organisation = get_organisation_for_user(request.user, org)
    require_can_act(request.user, organisation)
    data = AnswersInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    answers, notes = data.validated_data["answers"], data.validated_data.get("notes", {})
    draft = services.start_or_resume(organisation, _user(request))
    errors = services.save_answers(draft, _user(request), answers, notes)
    entries = len(answers) + len(set(notes) - set(answers))
    if errors and len(errors) >= entries:
        raise ValidationError({"answers": errors})
    result = _diagnostic(organisation, _lang(request), draft)
    return Response(AnswersResultSerializer({**result, "errors": errors}).data)


@extend_schema(
    operation_id="organisations_diagnostic_submit",
    parameters=[LANG],
    request=None,
    responses={200: DiagnosticSerializer, **WRITE_ERRORS},
    description="Submit the draft; partial answers are allowed and shown as partial.",
)
@endpoint(["POST"])
def organisation_diagnostic_submit(request: Request, org: UUID) -> Response:
    organisation = get_organisation_for_user(request.user, org)
    require_can_act(request.user, organisation)
    draft = services.current_assessment(organisation)
    if draft is None or not draft.is_draft:
        raise ValidationError({"detail": [_("There is no diagnostic in progress to submit.")]})
    try:
        services.submit(draft, _user(request))
    except services.DiagnosticError as exc:
        raise ValidationError({"detail": [str(exc)]}) from None
    result = _diagnostic(organisation, _lang(request), draft)
    return Response(DiagnosticSerializer(result).data)


@extend_schema(
    operation_id="organisations_maturity_history",
    responses={200: HistoryPointSerializer(many=True), **READ_ERRORS},
    description="Every submitted diagnostic re-scored under the current questionnaire.",
)
@endpoint(["GET"])
def organisation_maturity_history(request: Request, org: UUID) -> Response:
    organisation = get_organisation_for_user(request.user, org)
    points = history_data(services.maturity_history(organisation))
    return Response(HistoryPointSerializer(points, many=True).data)


@extend_schema(
    operation_id="organisations_plan_retrieve",
    parameters=[LANG],
    responses={200: PlanSerializer, **READ_ERRORS},
)
@endpoint(["GET"])
def organisation_plan(request: Request, org: UUID) -> Response:
    organisation = get_organisation_for_user(request.user, org)
    lang = _lang(request)
    return Response(PlanSerializer(plan_data(services.plan_for(organisation, lang), lang)).data)


@extend_schema(
    operation_id="plan_items_partial_update",
    request=ActionItemPatchSerializer,
    responses={200: ActionItemSerializer, **WRITE_ERRORS},
)
@endpoint(["PATCH"])
def plan_item(request: Request, item: UUID) -> Response:
    found = get_scoped(ActionItem.objects.select_related("organisation"), request.user, item)
    require_can_act(request.user, found.organisation)
    data = ActionItemPatchSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    changes, actor = data.validated_data, _user(request)
    try:
        if "assignee" in changes or "assignee_name" in changes:
            services.assign(
                found, actor, _member(changes.get("assignee")), changes.get("assignee_name", "")
            )
        if changes.get("status") == ActionStatus.DONE:
            services.mark_done(found, actor)
        elif changes.get("status") == ActionStatus.OPEN and found.status != ActionStatus.OPEN:
            services.reopen(found, actor)
    except services.DiagnosticError as exc:
        raise ValidationError({"detail": [str(exc)]}) from None
    found.refresh_from_db()
    return Response(ActionItemSerializer(found).data, status=status.HTTP_200_OK)


def _member(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    found = User.objects.filter(pk=user_id).first()
    if found is None:
        raise services.DiagnosticError(_("This person is not a member of the organisation."))
    return found


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # the endpoint requires an authenticated user
    return user
