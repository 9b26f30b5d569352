"""The user's own account: roles, two-factor status, API token."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from rempart.web.orgs import services
from rempart.web.orgs.models import User
from rempart.web.orgs.throttle import client_ip
from rempart.web.orgs.views.common import current_user


def _profile_context(user: User) -> dict[str, Any]:
    return {
        "memberships": services.memberships_of(user),
        "token_created": services.api_token_created(user),
    }


@login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "orgs/profile.html", _profile_context(current_user(request)))


@never_cache  # the new token is shown once: no cache, no back-button copy
@login_required
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    key = services.do_create_token(user, client_ip(request))
    context = {**_profile_context(user), "new_token": key}
    return render(request, "orgs/profile.html", context)
