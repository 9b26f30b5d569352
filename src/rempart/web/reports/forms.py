"""Forms of the report pages: the language of a new report, and a file to verify."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from rempart.web.reports.models import ReportLanguage


class ReportRequestForm(forms.Form):
    lang = forms.ChoiceField(
        label=_("Language of the report"),
        choices=ReportLanguage.choices,
        initial=ReportLanguage.FR,
    )


class VerifyForm(forms.Form):
    file = forms.FileField(
        label=_("Attestation file"),
        help_text=_("The report's PDF, or the attestation's JSON file."),
    )
