"""A report of a business that answered the diagnostic: maturity, plan, answers by theme.

Needs the questionnaire of the knowledge catalog (``knowledge/diagnostic``) and the diagnostic
app's services; the answers are given through those services, as the portal gives them.
"""

from __future__ import annotations

import pytest

from rempart.web.diagnostic import services as diagnostic
from rempart.web.reports.services import pdf_file
from tests.web.reports.conftest import generate, pdf_pages_text, render_pages

pytestmark = pytest.mark.django_db


def _answer_everything(org, user, *, skip_one: bool = False) -> None:
    """The worst scored answer to every other question, the best to the rest."""
    questionnaire = diagnostic.current_questionnaire()
    draft = diagnostic.start_or_resume(org, user)
    answers = {}
    scored = [q for q in questionnaire.questions if q.kind == "scored"]
    for n, question in enumerate(scored):
        valued = sorted((c for c in question.choices if c.value is not None), key=lambda c: c.value)
        answers[question.id] = (valued[0] if n % 2 else valued[-1]).id
    if skip_one:
        answers.pop(scored[0].id)
    assert diagnostic.save_answers(draft, user, answers) == []
    diagnostic.submit(draft, user)


def test_a_full_diagnostic_fills_the_summary_the_charts_and_the_answers(business):
    _answer_everything(business.org_a, business.alice)
    report = generate(business.org_a, business.alice)
    data = pdf_file(report).read_bytes()
    render_pages(data, "diagnostic-fr")
    pages = [" ".join(p.replace("\u00a0", " ").split()) for p in pdf_pages_text(data)]
    first, everything = pages[0], " ".join(pages)
    assert "/ 5" in first and "Niveau :" in first
    assert "Le questionnaire de diagnostic n'a pas encore été rempli" not in first
    assert "Signaux d'alerte" in first  # the answers above include red flags
    assert pages[1].startswith("Graphiques")  # the summary still fits on page 1
    assert "Maturité par thème (0 à 5)" in pages[1] and "Indice du thème" in pages[1]
    assert "Réponses au diagnostic par thème" in everything
    questionnaire = diagnostic.current_questionnaire()
    assert questionnaire.themes[1].title.fr in everything  # the first scored theme
    payload = report.attestation.payload
    assert payload["maturity"]["index"] is not None
    assert payload["checked"]["diagnostic"]["version"] == questionnaire.version


def test_a_partial_diagnostic_says_so(business):
    _answer_everything(business.org_a, business.alice, skip_one=True)
    report = generate(business.org_a, business.alice)
    first = " ".join(
        pdf_pages_text(pdf_file(report).read_bytes())[0].replace("\u00a0", " ").split()
    )
    assert "Le diagnostic est partiel" in first
    assert report.attestation.payload["checked"]["diagnostic"]["complete"] is False
