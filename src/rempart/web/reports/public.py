"""Public pages of the attestation register: anyone may check an attestation, no log-in.

``/attestations/<serial>/`` shows the signed facts and whether the signature still verifies;
``/attestations/verify/`` takes an uploaded attestation (JSON, or the report PDF that embeds
it) and says valid, tampered or unknown key; ``/attestations/key.pem`` is the center's key.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from rempart.attestation import (
    BAD_SIGNATURE,
    MALFORMED,
    UNKNOWN_KEY,
    VALID,
    WRONG_FORMAT,
    Verification,
    document_from_bytes,
    verify,
)
from rempart.web.imports.uploads import upload_was_cut
from rempart.web.reports.forms import VerifyForm
from rempart.web.reports.models import Attestation
from rempart.web.reports.signing import center_keyring, center_public_pem


def verdict(result: Verification) -> str:
    """One sentence for a person, in the request's language."""
    sentences = {
        VALID: _("Valid: this attestation was signed by the center and has not been changed."),
        BAD_SIGNATURE: _(
            "Not valid: the attestation was changed after it was signed (tampered), or its "
            "signature is damaged. Do not trust its content."
        ),
        UNKNOWN_KEY: _(
            "Unknown key: this attestation was not signed with this center's key. It may come "
            "from another center, or be a forgery."
        ),
        WRONG_FORMAT: _("Not an attestation of a format this center knows."),
        MALFORMED: _("This file is not a readable rempart attestation."),
    }
    return sentences.get(result.reason, sentences[MALFORMED])


def _facts(payload: Any) -> dict[str, Any]:
    """The payload's fields the page prints; missing or odd values print as nothing."""
    return payload if isinstance(payload, dict) else {}


@require_safe
def public_key(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(center_public_pem(), content_type="application/x-pem-file")
    response["Content-Disposition"] = 'inline; filename="rempart-center-ed25519.pem"'
    return response


@require_safe
def attestation_detail(request: HttpRequest, serial: UUID) -> HttpResponse:
    try:
        attestation = Attestation.objects.get(serial=serial)
    except (ObjectDoesNotExist, ValueError) as exc:
        raise Http404 from exc
    result = verify(attestation.document, center_keyring())
    context = {
        "attestation": attestation,
        "result": result,
        "verdict": verdict(result),
        "facts": _facts(attestation.payload),
        "key_pem": center_public_pem().decode("ascii"),
    }
    return render(request, "reports/public/detail.html", context)


def _too_large(request: HttpRequest) -> bool:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return declared > settings.REMPART_ATTESTATION_MAX_BYTES + 64 * 1024


@require_http_methods(["GET", "HEAD", "POST"])
def verify_upload(request: HttpRequest) -> HttpResponse:
    limit_mb = settings.REMPART_ATTESTATION_MAX_BYTES // (1024 * 1024) or 1
    too_large = _("The file is larger than %(limit)s MB; an attestation or a report is smaller.")
    context: dict[str, Any] = {"limit_mb": limit_mb, "key_pem": center_public_pem().decode()}
    status = 200
    if request.method != "POST":
        context["form"] = VerifyForm()
        return render(request, "reports/public/verify.html", context)
    if _too_large(request):
        form = VerifyForm(data={})
        form.errors.clear()
        form.add_error(None, too_large % {"limit": limit_mb})
        context["form"] = form
        return render(request, "reports/public/verify.html", context, status=413)
    form = VerifyForm(request.POST, request.FILES)
    context["form"] = form
    if upload_was_cut(request):
        form.add_error(None, too_large % {"limit": limit_mb})
        return render(request, "reports/public/verify.html", context, status=413)
    if not form.is_valid():
        return render(request, "reports/public/verify.html", context, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > settings.REMPART_ATTESTATION_MAX_BYTES:
        form.add_error("file", too_large % {"limit": limit_mb})
        return render(request, "reports/public/verify.html", context, status=413)
    data = upload.read()
    document = document_from_bytes(data)
    if document is None:
        context["no_attachment"] = _(
            "This PDF carries no rempart attestation: only the report PDFs the center "
            "generated since attestations exist embed one."
        )
        return render(request, "reports/public/verify.html", context, status=400)
    result = verify(document, center_keyring())
    registered = None
    serial = result.payload.get("serial") if result.valid else None
    if isinstance(serial, str):
        registered = Attestation.objects.filter(serial=serial).values_list("serial", flat=True)
        registered = registered.first()
    context.update(
        result=result, verdict=verdict(result), facts=_facts(result.payload), registered=registered
    )
    if not result.valid:
        status = 422
    return render(request, "reports/public/verify.html", context, status=status)
