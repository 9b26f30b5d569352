"""What a view may show or change, decided through ``rempart.web.orgs.access`` only.

Acting on an object needs ``can_act``; a read-only member who tries gets the same 404 as an
outsider, so a page of actions never reveals more than the reading pages do.
"""

from __future__ import annotations

from typing import cast

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from rempart.web.assets.models import Asset
from rempart.web.findings.models import Finding
from rempart.web.orgs.access import can_act, get_organisation_for_user, get_scoped
from rempart.web.orgs.models import Organisation, User
from rempart.web.scans.models import Scan

PAGE_SIZE = 50


def user_of(request: HttpRequest) -> User:
    """The logged-in user (views calling this are behind ``login_required``)."""
    return cast(User, request.user)


def organisation_for(request: HttpRequest, org_id: object, *, act: bool = False) -> Organisation:
    user = user_of(request)
    organisation = get_organisation_for_user(user, org_id)
    if act and not can_act(user, organisation):
        raise Http404
    return organisation


def asset_for(request: HttpRequest, asset_id: object, *, act: bool = False) -> Asset:
    user = user_of(request)
    asset = get_scoped(Asset.objects.select_related("organisation"), user, asset_id)
    if act and not can_act(user, asset.organisation):
        raise Http404
    return asset


def finding_for(request: HttpRequest, finding_id: object, *, act: bool = False) -> Finding:
    user = user_of(request)
    queryset = Finding.objects.select_related("organisation", "asset", "triaged_by")
    finding = get_scoped(queryset, user, finding_id)
    if act and not can_act(user, finding.organisation):
        raise Http404
    return finding


def scan_for(request: HttpRequest, scan_id: object, *, light: bool = False) -> Scan:
    """The scan; ``light`` leaves its observations in the database (progress polling)."""
    queryset = Scan.objects.select_related("organisation", "asset")
    if light:
        queryset = queryset.defer("observations")
    return get_scoped(queryset, user_of(request), scan_id)


def require_center_staff(request: HttpRequest) -> User:
    """Analysts and admins; anyone else gets the 404 of a page that does not exist."""
    user = user_of(request)
    if not user.sees_all_organisations:
        raise Http404
    return user


def page_of(request: HttpRequest, rows: QuerySet, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(rows, per_page).get_page(request.GET.get("page"))
