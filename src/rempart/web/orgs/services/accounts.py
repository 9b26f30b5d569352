"""Accounts: field checks, sign-up, log-in and API tokens (services, style rule 9).

Every function takes model objects and primitives (never a request or a form) so that the
portal, the API and the tasks share them. Validation errors are ``ValidationError``s keyed by
the argument name, which the portal shows next to the field and the API returns as a 400.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from rempart.web.orgs.audit import audit
from rempart.web.orgs.models import (
    AuditAction,
    HeadcountBand,
    Membership,
    Organisation,
    Role,
    User,
)
from rempart.web.orgs.siren import normalise_departement, normalise_naf, normalise_siren
from rempart.web.orgs.throttle import LoginRefused, is_throttled

MAX_COMPANY_NAME = 200  # Organisation.name
MAX_PERSON_NAME = 150  # AbstractUser.first_name
MAX_EMAIL = 254  # RFC 5321 path limit, Django's EmailField default


# --- checks (shared by the forms, the API and the do_* functions below) -------------------


def check_text(text: str, max_length: int) -> str:
    value = (text or "").strip()
    if not value:
        raise ValidationError(_("This field is required."), code="required")
    if len(value) > max_length:
        raise ValidationError(
            _("This text is too long (at most %(max)d characters).") % {"max": max_length},
            code="max_length",
        )
    return value


def check_siren(text: str) -> str:
    try:
        siren = normalise_siren(text or "")
    except ValueError as exc:
        if str(exc) == "key":
            raise ValidationError(
                _(
                    "This SIREN number is not valid: its check digit does not match. "
                    "Copy it again from your Kbis extract or an invoice."
                ),
                code="key",
            ) from None
        raise ValidationError(
            _("A SIREN number has exactly 9 digits (spaces are allowed)."), code="length"
        ) from None
    if Organisation.objects.filter(siren=siren).exists():
        raise ValidationError(
            _(
                "A business with this SIREN number is already registered. "
                "Ask its owner to invite you."
            ),
            code="duplicate",
        )
    return siren


def check_naf(text: str) -> str:
    try:
        return normalise_naf(text or "")
    except ValueError:
        raise ValidationError(
            _("Enter the NAF (APE) code as it appears on your Kbis extract, like 62.01Z."),
            code="invalid",
        ) from None


def check_departement(text: str) -> str:
    try:
        return normalise_departement(text or "")
    except ValueError:
        raise ValidationError(
            _("Enter the number of a French département, like 35, 2A or 974."), code="invalid"
        ) from None


def check_headcount(value: str) -> str:
    if value not in HeadcountBand.values:
        raise ValidationError(_("Choose a headcount band from the list."), code="invalid_choice")
    return value


def check_role(value: str) -> str:
    if value not in Role.values:
        raise ValidationError(_("Choose a role from the list."), code="invalid_choice")
    return value


def check_email(text: str) -> str:
    email = BaseUserManager.normalize_email(check_text(text, MAX_EMAIL))
    validate_email(email)
    return email


def check_new_email(text: str) -> str:
    email = check_email(text)
    # Log-in is case-insensitive (EmailUserManager), so uniqueness must be too.
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            _("An account already uses this e-mail address. Log in instead."), code="duplicate"
        )
    return email


def check_password(password: str, email: str, full_name: str) -> str:
    """Django's validators (length 12, common, numeric, similar to the e-mail or name)."""
    password_validation.validate_password(password, User(email=email, first_name=full_name))
    return password


def collect_error(
    errors: dict[str, list[ValidationError]], field: str, check: Callable[[], str]
) -> str:
    try:
        return check()
    except ValidationError as exc:
        errors[field] = exc.error_list
        return ""


# --- sign-up and log-in --------------------------------------------------------------------


def do_signup(
    *,
    name: str,
    siren: str,
    naf: str,
    headcount: str,
    departement: str,
    full_name: str,
    email: str,
    password: str,
    ip: str | None = None,
) -> tuple[Organisation, User]:
    """Register a business and its owner in one transaction; audit SIGNUP."""
    errors: dict[str, list[ValidationError]] = {}
    clean = {
        "name": collect_error(errors, "name", lambda: check_text(name, MAX_COMPANY_NAME)),
        "siren": collect_error(errors, "siren", lambda: check_siren(siren)),
        "naf": collect_error(errors, "naf", lambda: check_naf(naf)),
        "headcount": collect_error(errors, "headcount", lambda: check_headcount(headcount)),
        "departement": collect_error(errors, "departement", lambda: check_departement(departement)),
    }
    person = collect_error(errors, "full_name", lambda: check_text(full_name, MAX_PERSON_NAME))
    address = collect_error(errors, "email", lambda: check_new_email(email))
    collect_error(errors, "password", lambda: check_password(password, address or email, person))
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(**clean)
            user = create_user(address, person, password)
            Membership.objects.create(user=user, organisation=organisation, role=Role.OWNER)
    except IntegrityError:
        # Two sign-ups raced past the checks: the unique constraints decided.
        raise ValidationError(
            _("This business or this e-mail address was registered a moment ago."),
            code="duplicate",
        ) from None
    audit(AuditAction.SIGNUP, actor=user, organisation=organisation, obj=organisation, ip=ip)
    return organisation, user


def create_user(email: str, full_name: str, password: str) -> User:
    # The username is an internal id only: people log in with their e-mail (USERNAME_FIELD),
    # which may be longer than AbstractUser.username allows.
    return User.objects.create_user(
        username=uuid.uuid4().hex, email=email, password=password, first_name=full_name
    )


def check_login(email: str, password: str, ip: str | None) -> User:
    """The user for these credentials, or LoginRefused (same answer for unknown e-mail and
    wrong password). The throttle is checked first, so a right password does not help."""
    if is_throttled(email, ip):
        audit(AuditAction.LOGIN_THROTTLED, ip=ip, email=email)
        raise LoginRefused(throttled=True)
    user = authenticate(None, username=email, password=password)
    if not isinstance(user, User):
        audit(AuditAction.LOGIN_FAILED, ip=ip, email=email)
        raise LoginRefused(throttled=False)
    audit(AuditAction.LOGIN, actor=user, ip=ip)
    return user


# --- API token ----------------------------------------------------------------------------


def do_create_token(user: User, ip: str | None = None) -> str:
    """A new API token for the user, replacing any previous one; shown once by the caller."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        token = Token.objects.create(user=user)
    # Not obj=token: a Token's primary key is the secret itself.
    audit(AuditAction.TOKEN_CREATED, actor=user, ip=ip)
    return str(token.key)


def api_token_created(user: User) -> datetime | None:
    """When the user's API token was created, or None (the key itself is never shown again)."""
    token = Token.objects.filter(user=user).only("created").first()
    return token.created if token else None
