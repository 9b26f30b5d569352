"""Small helpers shared by the account views (request side only; domain logic is in services)."""

from __future__ import annotations

import math
from typing import cast
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext

from rempart.web.orgs.models import User


def current_user(request: HttpRequest) -> User:
    """The logged-in user (views call this after ``login_required``)."""
    return cast(User, request.user)


def safe_next(request: HttpRequest, default: str = "") -> str:
    """The ``next`` parameter if it points to this site, else ``default`` (no open redirect)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else default


def home_url() -> str:
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def with_next(url_name: str, next_url: str) -> str:
    url = reverse(url_name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: per field when the form has that field,
    at the top otherwise (a service may check something the form does not ask)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def throttled_message() -> str:
    minutes = max(1, math.ceil(int(settings.LOGIN_FAILURE_WINDOW) / 60))
    return ngettext(
        "Too many failed attempts: log-in is paused for this account. "
        "Try again in %(minutes)d minute.",
        "Too many failed attempts: log-in is paused for this account. "
        "Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
