"""The questionnaire shipped in the package: complete, bilingual, mapped, and checked against the
engine catalog (knowledge must not import the engine, so this test does it)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from rempart.diagnostic.maturity import score
from rempart.diagnostic.model import (
    DONT_KNOW,
    EvidenceFinding,
    EvidenceRule,
    Questionnaire,
    Text,
)
from rempart.diagnostic.plan import build_plan
from rempart.engine.catalog import CATALOG
from rempart.knowledge.questionnaire import available_versions, load_questionnaire

THEMES = [
    "context", "governance", "accounts", "mfa", "updates", "backup", "workstations", "network",
    "email", "web", "awareness", "incident", "data",
]  # fmt: skip
CONTEXT = {
    "ctx.headcount": {"1-9", "10-49", "50-249"},
    "ctx.workstations": {"1-5", "6-20", "21-100", "100+"},
    "ctx.servers": {"none", "cloud", "onsite"},
    "ctx.industrial": {"no", "yes"},
    "ctx.sensitive": {"no", "yes"},
    "ctx.website": {"none", "showcase", "shop"},
    "ctx.remote": {"no", "yes"},
}
REQUIRED = """backup.exists backup.offline backup.restore_tested accounts.admin_rights
accounts.shared_passwords accounts.password_manager accounts.leavers mfa.email mfa.remote mfa.admin
updates.workstations updates.servers updates.unsupported workstations.antivirus
workstations.disk_encryption workstations.usb network.wifi_guest network.firewall
network.remote_exposed network.industrial_segmented email.dmarc_spf email.phishing_reporting
web.hosting_updates web.https web.suppliers_contracts governance.inventory governance.referent
governance.policy awareness.training awareness.phishing_exercise awareness.payment_fraud
incident.plan incident.contacts incident.insurance data.register data.breach_procedure""".split()
PLAIN_SPACE_BEFORE_PUNCTUATION = re.compile(r" [:;?!](?=\s|$)| »|« ")


@pytest.fixture(scope="module")
def q() -> Questionnaire:
    return load_questionnaire()


def _texts(q: Questionnaire) -> Iterator[tuple[str, Text]]:
    for theme in q.themes:
        yield f"theme {theme.id}", theme.title
        yield f"theme {theme.id}", theme.description
    for question in q.questions:
        yield question.id, question.text
        yield question.id, question.why
        for choice in question.choices:
            yield f"{question.id}/{choice.id}", choice.label
        if question.action:
            yield f"{question.id} action", question.action.title
            yield f"{question.id} action", question.action.what_to_do
    for flag in q.red_flags:
        yield f"red flag {flag.id}", flag.title
        yield f"red flag {flag.id}", flag.why
    for rule in q.contradictions:
        yield f"contradiction {rule.id}", rule.message
    for measure in q.measures.values():
        yield f"measure {measure.id}", measure.title


def _best(q: Questionnaire) -> dict[str, str]:
    """Context: a 10–49 business with everything; every scored answer at its best."""
    answers = {"ctx.headcount": "10-49", "ctx.workstations": "21-100", "ctx.servers": "onsite",
               "ctx.industrial": "yes", "ctx.sensitive": "yes", "ctx.website": "shop",
               "ctx.remote": "yes"}  # fmt: skip
    for question in q.questions:
        if question.kind == "scored":
            answers[question.id] = max(
                (c for c in question.choices if c.value is not None), key=lambda c: c.value or 0
            ).id
    return answers


def test_the_current_version_is_the_last_available(q: Questionnaire) -> None:
    assert available_versions()[-1] == q.version
    assert load_questionnaire(q.version) is q


def test_themes_and_size_follow_the_issue(q: Questionnaire) -> None:
    assert [theme.id for theme in q.themes] == THEMES
    scored = [question for question in q.questions if question.kind == "scored"]
    assert 30 <= len(scored) <= 40
    assert sorted(set(REQUIRED) - {question.id for question in scored}) == []


def test_context_questions_have_the_fixed_ids_and_choices(q: Questionnaire) -> None:
    contexts = {question.id: question for question in q.questions if question.kind == "context"}
    assert {key: {c.id for c in question.choices} for key, question in contexts.items()} == CONTEXT
    assert all(question.theme == "context" for question in contexts.values())


def test_every_text_is_in_both_languages_translated_and_well_typeset(q: Questionnaire) -> None:
    for where, text in _texts(q):
        assert text.fr.strip() and text.en.strip(), where
        found = PLAIN_SPACE_BEFORE_PUNCTUATION.search(text.fr)
        assert found is None, f"{where}: plain space in {text.fr[max(0, found.start() - 20) :]!r}"
    for question in q.questions:
        assert question.text.fr != question.text.en, question.id


def test_every_cyber_essentials_control_and_nis2_point_is_evidenced(q: Questionnaire) -> None:
    evidenced = {measure for question in q.questions for measure in question.measures}
    for framework, expected in (("uk-ce", 5), ("nis2-21", 10)):
        ids = {m.id for m in q.measures.values() if m.framework == framework}
        assert len(ids) == expected, framework
        assert sorted(ids - evidenced) == [], framework
    assert len([m for m in q.measures.values() if m.framework == "fr-hygiene"]) == 42


def _rules(q: Questionnaire) -> Iterator[tuple[str, EvidenceRule]]:
    for flag in q.red_flags:
        if flag.evidence:
            yield f"red flag {flag.id}", flag.evidence
    for rule in q.contradictions:
        yield f"contradiction {rule.id}", rule.evidence


def test_every_check_id_of_the_rules_exists_in_the_engine_catalog(q: Questionnaire) -> None:
    for where, rule in _rules(q):
        for check in rule.checks:
            if check.endswith("*"):
                assert any(known.startswith(check[:-1]) for known in CATALOG), (where, check)
            else:
                assert check in CATALOG, (where, check)


def test_best_answers_score_five_and_leave_an_empty_plan(q: Questionnaire) -> None:
    answers = _best(q)
    maturity = score(q, answers)
    assert (maturity.index, maturity.red_flags) == (5.0, ())
    assert maturity.complete
    assert build_plan(q, answers, maturity, [], "fr") == []


def test_the_fatal_gaps_are_red_flags_capping_a_high_average(q: Questionnaire) -> None:
    best = _best(q)
    for question_id in ("backup.exists", "backup.offline", "accounts.admin_rights"):
        question = q.question(question_id)
        assert question is not None
        worst = min(
            (c for c in question.choices if c.value is not None), key=lambda c: c.value or 0
        )
        maturity = score(q, {**best, question_id: worst.id})
        assert maturity.raw is not None and maturity.raw >= 4.0, question_id
        assert maturity.index is not None and maturity.index <= 2.5, question_id
        assert [hit.by_answer for hit in maturity.red_flags] == [question_id]


def test_i_dont_know_lowers_the_shipped_index(q: Questionnaire) -> None:
    best = _best(q)
    unsure = score(q, {**best, "backup.restore_tested": DONT_KNOW})
    assert unsure.index is not None and unsure.index < 5.0
    assert unsure.unknown == 1


@pytest.mark.parametrize(
    ("check_id", "question"),
    [
        ("net.exposed.rdp", "mfa.remote"),
        ("net.exposed.rdp", "network.remote_exposed"),
        ("mail.dmarc.missing", "email.dmarc_spf"),
    ],
)
def test_evidence_contradicts_the_best_answer(
    q: Questionnaire, check_id: str, question: str
) -> None:
    seen = EvidenceFinding(key="f1", check_id=check_id, title=check_id, severity="high")
    maturity = score(q, _best(q), [seen])
    assert question in [hit.rule.question for hit in maturity.contradictions]
    assert maturity.index is not None and maturity.index < 5.0


def test_rdp_smb_and_known_exploited_evidence_raise_red_flags(q: Questionnaire) -> None:
    for finding in (
        EvidenceFinding(key="r", check_id="net.exposed.rdp", title="rdp", severity="high"),
        EvidenceFinding(key="s", check_id="net.exposed.smb", title="smb", severity="high"),
        EvidenceFinding(
            key="k",
            check_id="net.service.known_exploited",
            title="kev",
            severity="critical",
            known_exploited=True,
        ),
    ):
        maturity = score(q, _best(q), [finding])
        assert any(finding.key in hit.by_findings for hit in maturity.red_flags), finding.check_id
