"""The portal's forms: they parse and validate input; the services do the work.

Validation rules that belong to the domain (what a valid asset name is, how long a risk may
be accepted) live in the services and are only called from here, so the API gives the same
answers.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from rempart.engine.catalog import FAMILIES
from rempart.importers import known_formats
from rempart.web.assets.models import Asset, AssetKind, Schedule
from rempart.web.assets.services import MAX_NAME, check_asset_name
from rempart.web.findings.models import FindingStatus, Severity
from rempart.web.imports.models import Import
from rempart.web.orgs.models import Organisation
from rempart.web.orgs.siren import normalise_departement
from rempart.web.portal.queries import NO_GRADE, FindingFilters

ISO_DATE = "%Y-%m-%d"  # what <input type="date"> sends and expects, whatever the language
REASON_MAX = 2000


class AssetAddForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of asset"), choices=AssetKind.choices)
    # No max_length here: check_asset_name says "too long" in its own words, as the API does.
    name = forms.CharField(
        label=_("Name"),
        help_text=_("A domain (example.fr), a website (https://example.fr/) or a host name."),
        widget=forms.TextInput(attrs={"maxlength": MAX_NAME, "autocomplete": "off"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind, name = data.get("kind"), data.get("name")
        if kind and name:
            try:
                data["name"] = check_asset_name(kind, name)
            except ValidationError as exc:
                self.add_error("name", exc)
        return data


class ScheduleForm(forms.Form):
    schedule = forms.ChoiceField(label=_("Automatic scan"), choices=Schedule.choices)


class _DistinctIds(forms.Form):
    """Several of these forms share a page and field names: their element ids must differ."""

    id_prefix = "id"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class AcceptRiskForm(_DistinctIds):
    id_prefix = "accept"
    reason = forms.CharField(
        label=_("Why is this risk accepted?"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    until = forms.DateField(
        label=_("Accepted until"),
        help_text=_("At most one year from today; the finding opens again on that date."),
        input_formats=[ISO_DATE],
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
    )


class FalsePositiveForm(_DistinctIds):
    id_prefix = "false_positive"
    reason = forms.CharField(
        label=_("Why is this a false positive?"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RevertForm(_DistinctIds):
    id_prefix = "revert"
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


FAMILY_LABELS = {
    "dns": _("Domain name (DNS)"),
    "mail": _("E-mail"),
    "tls": _("Encryption (HTTPS, TLS)"),
    "web": _("Website"),
    "net": _("Exposed services"),
}
STATUS_FILTERS = [
    ("active", _("To fix (open or reopened)")),
    ("all", _("All")),
    *FindingStatus.choices,
]
SORT_CHOICES = [
    ("priority", _("Priority")),
    ("due", _("Due date")),
    ("recent", _("Last seen")),
]


class FindingFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_FILTERS, required=False)
    severity = forms.ChoiceField(
        label=_("Severity"), choices=[("", _("Any")), *Severity.choices], required=False
    )
    asset = forms.ModelChoiceField(
        label=_("Asset"), queryset=Asset.objects.none(), required=False, empty_label=_("Any")
    )
    family = forms.ChoiceField(
        label=_("Kind of check"),
        choices=[("", _("Any")), *((f, FAMILY_LABELS.get(f, f)) for f in FAMILIES)],
        required=False,
    )
    known_exploited = forms.BooleanField(label=_("Known exploited only"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    q = forms.CharField(label=_("Search check or location"), max_length=200, required=False)
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORT_CHOICES, required=False)

    def __init__(self, organisation: Organisation, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        assets = Asset.objects.filter(organisation=organisation).only("pk", "name")
        self.fields["asset"].queryset = assets  # type: ignore[attr-defined]

    def filters(self) -> FindingFilters:
        """The valid part of the query; a wrong value is reported on its field and ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return FindingFilters(
            status=data.get("status") or "active",
            severity=data.get("severity") or "",
            asset=data.get("asset"),
            family=data.get("family") or "",
            known_exploited=bool(data.get("known_exploited")),
            overdue=bool(data.get("overdue")),
            text=(data.get("q") or "").strip(),
            sort=data.get("sort") or "priority",
        )


GRADE_CHOICES = [
    ("", _("Any")),
    *((letter, letter) for letter in "ABCDE"),
    (NO_GRADE, _("Not graded yet")),
]


class CenterFilterForm(forms.Form):
    departement = forms.CharField(label=_("Département"), max_length=3, required=False)
    grade = forms.ChoiceField(label=_("Grade"), choices=GRADE_CHOICES, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_departement(self) -> str:
        text = self.cleaned_data.get("departement") or ""
        if not text:
            return ""
        try:
            return normalise_departement(text)
        except ValueError:
            raise ValidationError(
                _("Enter a département number such as 35, 2A or 974."), code="invalid"
            ) from None

    def values(self) -> tuple[str, str]:
        """(département, grade) of the valid part of the query."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return data.get("departement") or "", data.get("grade") or ""


SCOPE_MAX = 200  # Import.scope
SCOPES_LISTED = 50


class ImportUploadForm(forms.Form):
    """A report to import. The checks of the file itself (size, format, content) are the
    service's (``do_upload``) and the import job's, so the API answers the same."""

    file = forms.FileField(
        label=_("Report file"),
        help_text=_("The file exactly as the tool wrote it (XML, JSON, CSV…)."),
        allow_empty_file=True,  # a valid Nuclei report ("nothing found"); the job judges
    )
    format = forms.ChoiceField(
        label=_("Format"),
        required=False,
        help_text=_("Leave “Detect automatically” unless the file is not recognised."),
    )
    scope = forms.CharField(
        label=_("What the report covers"),
        max_length=SCOPE_MAX,
        required=False,
        help_text=_(
            "In your own words, for example “office network” or “web shop”. Reports of the "
            "same tool and the same scope replace each other: a problem that a newer report "
            "no longer lists is marked as fixed. Leave it empty if you import only one kind "
            "of report from this tool."
        ),
        widget=forms.TextInput(attrs={"list": "import-scopes", "autocomplete": "off"}),
    )

    def __init__(self, organisation: Organisation, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "import_%s")
        super().__init__(*args, **kwargs)
        field = self.fields["format"]
        field.choices = [
            ("", _("Detect automatically")),
            *((name, spec.label) for name, spec in known_formats().items()),
        ]
        self.scopes = list(
            Import.objects.filter(organisation=organisation)
            .exclude(scope="")
            .order_by("scope")
            .values_list("scope", flat=True)
            .distinct()[:SCOPES_LISTED]
        )

    def refuse(self, message: str) -> None:
        """Report a refused file on the file field (the only error it then shows)."""
        self.is_valid()
        self.errors.pop("file", None)
        self.add_error("file", message)
