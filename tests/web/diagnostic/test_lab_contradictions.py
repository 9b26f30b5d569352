"""Answers checked against reality, for real: a lab business is scanned by the platform (the
same batch code the workers run), its manager then answers the diagnostic the comfortable
way, and the contradictions of issue 5 come out of the lab's own weaknesses — remote access
said to need MFA while remote desktop is open, servers said to be patched while a
known-exploited version is exposed, mail said to be protected while DMARC is missing. The
evidence wins: the answer scores what the rule trusts, and the plan says why.
"""

from __future__ import annotations

import pytest

from rempart.knowledge.questionnaire import load_questionnaire
from rempart.lab.control import publish_txt, remove_txt
from rempart.web.assets.models import Asset, AssetKind
from rempart.web.assets.services import do_verify_asset
from rempart.web.diagnostic import services
from rempart.web.findings.models import ACTIVE_STATUSES, Finding
from rempart.web.scans.execution import run_batch
from rempart.web.scans.models import Scan, ScanMode, ScanStatus

pytestmark = [pytest.mark.lab, pytest.mark.django_db(transaction=True)]

# (ground-truth check of the lab, contradiction rule, the comfortable answer)
CASES = [
    ("net.exposed.rdp", "remote-mfa-vs-exposed", {"ctx.remote": "yes", "mfa.remote": "yes"}),
    (
        "net.service.known_exploited",
        "servers-updated-vs-known-exploited",
        {"ctx.servers": "onsite", "updates.servers": "monthly"},
    ),
    ("mail.dmarc.missing", "mail-protected-vs-missing", {"email.dmarc_spf": "yes"}),
]


def _scanned(lab, world, check: str) -> Asset:
    """The first lab business whose ground truth has ``check``, scanned actively."""
    truth = next((b for b in lab.truth["businesses"] if check in b["fail"]), None)
    if truth is None:
        pytest.fail(f"no business of the lab has {check} in its ground truth")
    asset = Asset.objects.create(
        organisation=world.org_a, kind=AssetKind.DOMAIN, name=truth["domain"]
    )
    publish_txt(asset.txt_name, asset.txt_value)
    try:
        assert do_verify_asset(asset, world.alice)
        scan = Scan.objects.create(
            organisation=world.org_a, asset=asset, trigger="api", mode=ScanMode.ACTIVE
        )
        assert run_batch([str(scan.pk)], "test-worker") == 1
    finally:
        remove_txt(asset.txt_name)
    scan.refresh_from_db()
    assert scan.status == ScanStatus.DONE, scan.reason
    return asset


@pytest.mark.parametrize(("check", "rule", "claims"), CASES, ids=[c[1] for c in CASES])
def test_a_comfortable_answer_is_contradicted_by_what_the_lab_exposes(
    lab_settings, world, check, rule, claims
):
    asset = _scanned(lab_settings, world, check)
    evidence = Finding.objects.filter(asset=asset, status__in=ACTIVE_STATUSES, check_id=check)
    assert evidence.exists(), f"the scan did not see {check}"

    draft = services.start_or_resume(world.org_a, world.alice)
    assert services.save_answers(draft, world.alice, claims) == []
    maturity = services.submit(draft, world.alice)

    hits = {hit.rule.id: hit for hit in maturity.contradictions}
    assert rule in hits, sorted(hits)
    hit = hits[rule]
    # The findings behind it are the scan's own (one per kind of problem).
    assert set(hit.findings) <= {str(pk) for pk in Finding.objects.values_list("pk", flat=True)}
    assert hit.findings
    question = load_questionnaire().question(hit.rule.question)
    assert question is not None
    # The evidence wins: the claim would score 3; the theme scores the trusted value.
    claimed = question.choice(claims[hit.rule.question])
    assert claimed is not None and claimed.value is not None
    assert hit.rule.trusted_value < claimed.value
    theme = next(t for t in maturity.themes if t.theme == question.theme)
    assert theme.raw is not None and theme.raw < 5.0
    rows = services.plan_for(world.org_a, "fr")
    item = next(r for r in rows if r.action.key == f"q:{hit.rule.question}")
    assert item.action.contradiction == hit.rule.message.fr
