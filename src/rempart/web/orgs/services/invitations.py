"""Invitations: e-mail a single-use link, accept it (services, style rule 9).

The link carries a random token; the database keeps only its sha256, so a copy of the database
does not let anyone in. An invitation is bound to the invited address.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from smtplib import SMTPException

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rempart.web.orgs.audit import audit
from rempart.web.orgs.models import AuditAction, Invitation, Membership, Organisation, User
from rempart.web.orgs.services.accounts import (
    MAX_PERSON_NAME,
    check_email,
    check_new_email,
    check_password,
    check_role,
    check_text,
    collect_error,
    create_user,
)


class InvitationError(Exception):
    """The invitation link cannot be used; ``reason`` is "unknown", "expired" or "used"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_days() -> int:
    return int(getattr(settings, "REMPART_INVITATION_DAYS", 7))


def do_invite(
    organisation: Organisation, email: str, role: str, actor: User | None, ip: str | None = None
) -> Invitation:
    """Create an invitation and e-mail its link; only the link's sha256 is stored."""
    errors: dict[str, list[ValidationError]] = {}
    address = collect_error(errors, "email", lambda: check_email(email))
    role = collect_error(errors, "role", lambda: check_role(role))
    members = Membership.objects.filter(organisation=organisation, user__email__iexact=address)
    if address and members.exists():
        message = _("This person is already a member of the organisation.")
        errors["email"] = [ValidationError(message, code="member")]
    if errors:
        raise ValidationError(errors)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        # One live link per person: a new invitation retires the pending one.
        Invitation.objects.filter(
            organisation=organisation, email__iexact=address, accepted_at=None, expires_at__gt=now
        ).update(expires_at=now)
        invitation = Invitation.objects.create(
            organisation=organisation,
            email=address,
            role=role,
            token_hash=_token_hash(token),
            invited_by=actor if actor and actor.is_authenticated else None,
            expires_at=now + timedelta(days=invitation_days()),
        )
    try:
        _send_invitation(invitation, token)
    except (OSError, SMTPException):
        invitation.delete()  # a link nobody received must not stay valid
        raise ValidationError(
            _("The invitation e-mail could not be sent. Try again later."), code="mail"
        ) from None
    audit(
        AuditAction.INVITATION_SENT,
        actor=actor,
        organisation=organisation,
        obj=invitation,
        ip=ip,
        email=address,
        role=role,
    )
    return invitation


def _send_invitation(invitation: Invitation, token: str) -> None:
    link = settings.SITE_URL.rstrip("/") + reverse("orgs:invitation", kwargs={"token": token})
    context = {"invitation": invitation, "link": link, "days": invitation_days()}
    subject = _("Invitation to join %(name)s on rempart") % {"name": invitation.organisation.name}
    body = render_to_string("orgs/invitation_email.txt", context)
    send_mail(subject, body, None, [invitation.email])


def pending_invitations(organisation: Organisation) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        organisation=organisation, accepted_at=None, expires_at__gt=timezone.now()
    ).order_by("-created_at")


def access_invitation(token: str) -> Invitation:
    """The invitation behind a link, or InvitationError saying why it cannot be used."""
    invitation = (
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(token_hash=_token_hash(token))
        .first()
    )
    if invitation is None:
        raise InvitationError("unknown")
    if invitation.accepted_at is not None:
        raise InvitationError("used")
    if invitation.expires_at <= timezone.now():
        raise InvitationError("expired")
    return invitation


def invited_person_has_account(invitation: Invitation) -> bool:
    return User.objects.filter(email__iexact=invitation.email).exists()


def do_accept_invitation(invitation: Invitation, user: User, ip: str | None = None) -> Membership:
    """Join the organisation with the invited role. The invitation is bound to its e-mail
    address: a forwarded or leaked link does not let another account in."""
    if user.email.casefold() != invitation.email.casefold():
        raise ValidationError(
            _("This invitation was sent to another e-mail address."), code="wrong_user"
        )
    with transaction.atomic():
        # Claim first with a conditional UPDATE: a link is used once, even by two tabs at once.
        claimed = Invitation.objects.filter(
            pk=invitation.pk, accepted_at=None, expires_at__gt=timezone.now()
        ).update(accepted_at=timezone.now())
        if not claimed:
            raise InvitationError("used")
        # Already a member (e.g. an owner re-invited): keep the current role, never demote.
        membership, _created = Membership.objects.get_or_create(
            user=user, organisation=invitation.organisation, defaults={"role": invitation.role}
        )
        audit(
            AuditAction.INVITATION_ACCEPTED,
            actor=user,
            organisation=invitation.organisation,
            obj=membership,
            ip=ip,
            email=user.email,
            role=membership.role,
        )
    return membership


def do_signup_invited(
    invitation: Invitation, full_name: str, password: str, ip: str | None = None
) -> User:
    """Create the invited person's account (with the invited address) and accept."""
    errors: dict[str, list[ValidationError]] = {}
    person = collect_error(errors, "full_name", lambda: check_text(full_name, MAX_PERSON_NAME))
    collect_error(errors, "email", lambda: check_new_email(invitation.email))
    collect_error(errors, "password", lambda: check_password(password, invitation.email, person))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        user = create_user(invitation.email, person, password)
        do_accept_invitation(invitation, user, ip)
    return user
