"""The shipped questionnaire through the platform: the lab's weaknesses contradict the
answers that claim otherwise (whatever the rule ids of the data are)."""

from __future__ import annotations

from rempart.knowledge.questionnaire import load_questionnaire
from rempart.web.diagnostic import services
from tests.web.portal.factories import save_finding

LAB_WEAKNESSES = {
    "net.exposed.rdp": "high",
    "net.smb.v1": "critical",
    "mail.dmarc.missing": "medium",
}


def _rules_hit_by(check_id: str):
    q = load_questionnaire()
    for rule in q.contradictions:
        if any(
            check_id == c or (c.endswith("*") and check_id.startswith(c[:-1]))
            for c in rule.evidence.checks
        ):
            yield rule


def test_lab_findings_contradict_the_answers_that_claim_otherwise(world):
    rules = {r.id: r for check in LAB_WEAKNESSES for r in _rules_hit_by(check)}
    assert rules, "the shipped rules should check at least one lab weakness"
    for check_id, severity in LAB_WEAKNESSES.items():
        save_finding(world.org_a, world.asset_a, check_id=check_id, severity=severity)
    claims = {r.question: sorted(r.claims)[0] for r in rules.values()}
    draft = services.start_or_resume(world.org_a, world.alice)
    assert services.save_answers(draft, world.alice, claims) == []

    maturity = services.submit(draft, world.alice)

    assert {hit.rule.question for hit in maturity.contradictions} == set(claims)
    rows = services.plan_for(world.org_a, "fr")
    flagged = {r.action.question for r in rows if r.action.contradiction}
    assert flagged == set(claims)
