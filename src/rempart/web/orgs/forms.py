"""Forms of the account pages. Field names are the service arguments, so that a
``ValidationError`` raised by a service lands next to its field (``form.add_error(None, exc)``).

Domain checks are the services' ``check_*`` functions, called here too so that every wrong
field is reported at once, not one round trip at a time.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from rempart.web.orgs import services
from rempart.web.orgs.models import HeadcountBand, Role

MAX_PASSWORD = 256  # bounds the hashing work an anonymous visitor can ask for


def _password_field(label: Any, *, new: bool) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=MAX_PASSWORD,
        strip=False,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "new-password" if new else "current-password"}
        ),
        help_text=password_validation.password_validators_help_text_html() if new else "",
    )


class NewPasswordMixin(forms.Form):
    password = _password_field(_("Password"), new=True)
    password2 = _password_field(_("Password again"), new=True)

    def check_passwords(self, email: str, full_name: str) -> None:
        password = self.cleaned_data.get("password")
        if not password:
            return
        if password != self.cleaned_data.get("password2"):
            self.add_error(
                "password2",
                ValidationError(_("The two passwords differ."), code="password_mismatch"),
            )
            return
        try:
            services.check_password(password, email, full_name)
        except ValidationError as exc:
            self.add_error("password", exc)


class SignupForm(NewPasswordMixin):
    name = forms.CharField(label=_("Company name"), max_length=services.MAX_COMPANY_NAME)
    siren = forms.CharField(
        label=_("SIREN number"),
        max_length=20,
        help_text=_("The 9 digits on your Kbis extract; spaces are allowed."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    naf = forms.CharField(
        label=_("NAF (APE) code"), max_length=10, help_text=_("For example 62.01Z.")
    )
    headcount = forms.ChoiceField(label=_("Headcount"), choices=HeadcountBand.choices)
    departement = forms.CharField(
        label=_("Département"), max_length=5, help_text=_("For example 35, 2A or 974.")
    )
    full_name = forms.CharField(
        label=_("Your name"),
        max_length=services.MAX_PERSON_NAME,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=services.MAX_EMAIL,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    field_order = ("name", "siren", "naf", "headcount", "departement", "full_name", "email")

    def clean_siren(self) -> str:
        return services.check_siren(self.cleaned_data["siren"])

    def clean_naf(self) -> str:
        return services.check_naf(self.cleaned_data["naf"])

    def clean_departement(self) -> str:
        return services.check_departement(self.cleaned_data["departement"])

    def clean_email(self) -> str:
        return services.check_new_email(self.cleaned_data["email"])

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        self.check_passwords(
            self.cleaned_data.get("email", ""), self.cleaned_data.get("full_name", "")
        )
        return cleaned


class InvitedSignupForm(NewPasswordMixin):
    """An invited person without an account: the e-mail address is the invitation's."""

    full_name = forms.CharField(
        label=_("Your name"),
        max_length=services.MAX_PERSON_NAME,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    field_order = ("full_name",)

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        self.check_passwords(self.email, self.cleaned_data.get("full_name", ""))
        return cleaned


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=services.MAX_EMAIL,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = _password_field(_("Password"), new=False)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Six-digit code"),
        max_length=12,
        help_text=_("The code shown by your authenticator app."),
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": r"[0-9 ]*",
                "autofocus": True,
            }
        ),
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=services.MAX_EMAIL)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
