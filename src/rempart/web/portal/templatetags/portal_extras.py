"""Template filters of the portal: plain-language titles from the knowledge catalog."""

from __future__ import annotations

from django import template

from rempart.web.findings.models import Severity
from rempart.web.portal import guidance
from rempart.web.portal.charts import problems_found

register = template.Library()


@register.filter
def plain_title(check_id: str, fallback: str = "") -> str:
    """``{{ finding.check_id|plain_title:finding.title }}`` in the request's language."""
    return guidance.plain_title(check_id, fallback)


@register.filter
def who_can_fix(check_id: str) -> str:
    return guidance.who_can_fix(check_id)


@register.filter
def problems(counts: dict[str, int] | None) -> int:
    return problems_found(counts or {})


@register.filter
def severity_label(value: str) -> str:
    """The translated name of a severity value ("high" → "Élevée"/"High")."""
    try:
        return str(Severity(value).label)
    except ValueError:
        return value
