"""The demo businesses fill in the diagnostic, so the maturity index, the action plan and the
reports of the demo show real content.

Each business answers like a real manager would: its context answers follow its organisation
(headcount band, one website, a server for some), and its scored answers follow a maturity
"temper" drawn from the demo's seed: careful businesses mostly give the best answer, careless
ones the worst, everyone says "I don't know" now and then. Two kinds of answer are set on
purpose, because they are what the diagnostic is for:

- a business whose scan sees remote desktop or file sharing open says its remote access needs
  MFA and its firewall is fine (the plan then shows the contradiction and trusts the scan);
- the last business answers only the context questions and leaves its diagnostic as a draft,
  and the one before it never starts: their pages and reports say what is missing.

Everything goes through the platform's services (``rempart.web.diagnostic.services``), as a
manager's answers in the portal would.
"""

from __future__ import annotations

import random
from typing import Any

from rempart.diagnostic.model import DONT_KNOW, NOT_APPLICABLE, Question, Questionnaire

CONTEXT_BY_HEADCOUNT = {
    "1-9": {"ctx.headcount": "1-9", "ctx.workstations": "1-5"},
    "10-49": {"ctx.headcount": "10-49", "ctx.workstations": "6-20"},
    "50-249": {"ctx.headcount": "50-249", "ctx.workstations": "21-100"},
    "250+": {"ctx.headcount": "50-249", "ctx.workstations": "100+"},
}
# What a business whose scan sees exposed remote access claims anyway.
OPTIMISTIC_CLAIMS = {
    "mfa.remote": "yes",
    "network.firewall": "managed",
    "network.remote_exposed": "no",
}
EXPOSED_CHECKS = ("net.exposed.rdp", "net.exposed.smb", "net.exposed.vnc", "net.exposed.telnet")


def fill_diagnostics(organisations: list[Any], seed: int) -> dict[str, int]:
    """Answer (and submit) the diagnostic of every organisation; returns what was done."""
    from rempart.knowledge.questionnaire import load_questionnaire
    from rempart.web.diagnostic.services import save_answers, start_or_resume, submit
    from rempart.web.findings.models import ACTIVE_STATUSES, Finding
    from rempart.web.orgs.models import Membership, Role

    questionnaire = load_questionnaire()
    done = {"submitted": 0, "draft": 0, "not_started": 0}
    last = len(organisations) - 1
    for position, org in enumerate(organisations):
        if position == last - 1:
            done["not_started"] += 1
            continue
        owner = (
            Membership.objects.filter(organisation=org, role=Role.OWNER)
            .select_related("user")
            .first()
        )
        actor = owner.user if owner else None
        exposed = Finding.objects.filter(
            organisation=org, status__in=ACTIVE_STATUSES, check_id__in=EXPOSED_CHECKS
        ).exists()
        rng = random.Random(f"{seed}:{org.siren}")
        answers = _answers(questionnaire, org, rng, exposed, context_only=position == last)
        assessment = start_or_resume(org, actor)
        errors = save_answers(assessment, actor, answers)
        if errors:
            raise ValueError(f"demo answers refused for {org.name}: {errors[:3]}")
        if position == last:
            done["draft"] += 1
            continue
        submit(assessment, actor)
        done["submitted"] += 1
    return done


def _answers(
    questionnaire: Questionnaire, org: Any, rng: random.Random, exposed: bool, context_only: bool
) -> dict[str, str]:
    answers = dict(CONTEXT_BY_HEADCOUNT.get(org.headcount, CONTEXT_BY_HEADCOUNT["10-49"]))
    answers.update(
        {
            "ctx.servers": rng.choice(("none", "cloud", "onsite")),
            "ctx.industrial": "yes" if rng.random() < 0.15 else "no",
            "ctx.sensitive": "yes" if rng.random() < 0.3 else "no",
            "ctx.website": rng.choice(("showcase", "showcase", "shop")),
            "ctx.remote": "yes" if exposed or rng.random() < 0.5 else "no",
        }
    )
    for question in questionnaire.questions:
        if question.kind == "context" and question.id not in answers and question.choices:
            answers[question.id] = question.choices[0].id
    answers = {
        qid: choice
        for qid, choice in answers.items()
        if (q := questionnaire.question(qid)) is not None and q.choice(choice) is not None
    }
    if context_only:
        return answers
    temper = rng.choice((0.25, 0.45, 0.6, 0.75, 0.9))
    from rempart.diagnostic.maturity import applicable_questions

    for question in applicable_questions(questionnaire, answers):
        if question.kind != "scored":
            continue
        claim = OPTIMISTIC_CLAIMS.get(question.id) if exposed else None
        if claim is not None and question.choice(claim) is not None:
            answers[question.id] = claim
        else:
            answers[question.id] = _pick(question, rng, temper)
    return answers


def _pick(question: Question, rng: random.Random, temper: float) -> str:
    scored = sorted(
        (c for c in question.choices if c.value is not None), key=lambda c: -(c.value or 0)
    )
    roll = rng.random()
    if roll < 0.06:
        return DONT_KNOW
    if roll < temper or len(scored) == 1:
        return scored[0].id
    others = [c.id for c in scored[1:]]
    if question.choice(NOT_APPLICABLE) is not None and rng.random() < 0.05:
        return NOT_APPLICABLE
    return rng.choice(others)
