"""Account tests speak English: the French catalog is filled later, and English msgids are the
stable text to assert on (the French run of the same pages is covered by tests/web/test_i18n)."""

from __future__ import annotations

import pyotp
import pytest
from django.utils import timezone, translation

from rempart.web.orgs.models import User


@pytest.fixture(autouse=True)
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def enrol_totp(user: User) -> pyotp.TOTP:
    """Give the user a confirmed TOTP secret directly (the enrolment page has its own tests)."""
    user.totp_secret = pyotp.random_base32()
    user.totp_confirmed_at = timezone.now()
    user.save(update_fields=["totp_secret", "totp_confirmed_at"])
    return pyotp.TOTP(user.totp_secret)


def page_text(response) -> str:
    return response.content.decode()
