"""A batch of scans run in-process against the lab: proof re-checked, findings = ground truth.

The Celery worker only wraps ``run_batch`` (tests/web/jobs run it in real worker processes);
here the same code runs in the test process so that its outcome can be compared in detail.
"""

from __future__ import annotations

import pytest
from django.test import override_settings

from rempart.lab.control import publish_txt, remove_txt
from rempart.web.assets.models import Asset, AssetKind
from rempart.web.assets.services import do_verify_asset
from rempart.web.engine_bridge import PASSIVE_CHECKS
from rempart.web.findings.models import ACTIVE_STATUSES, Finding
from rempart.web.orgs.models import AuditAction, AuditEvent
from rempart.web.scans.execution import run_batch
from rempart.web.scans.models import Scan, ScanMode, ScanStatus

pytestmark = [pytest.mark.lab, pytest.mark.django_db(transaction=True)]


def _asset(world, domain: str) -> Asset:
    return Asset.objects.create(organisation=world.org_a, kind=AssetKind.DOMAIN, name=domain)


def _scan(asset: Asset) -> Scan:
    mode = ScanMode.ACTIVE if asset.is_verified else ScanMode.PASSIVE
    return Scan.objects.create(
        organisation=asset.organisation, asset=asset, trigger="api", mode=mode
    )


def _business(lab, index: int) -> dict:
    return lab.truth["businesses"][index]


def test_a_verified_business_gets_every_check_and_its_findings_match_the_truth(lab_settings, world):
    truth = _business(lab_settings, 0)
    asset = _asset(world, truth["domain"])
    publish_txt(asset.txt_name, asset.txt_value)
    try:
        assert do_verify_asset(asset, world.alice)
        scan = _scan(asset)
        assert run_batch([str(scan.pk)], "test-worker") == 1
    finally:
        remove_txt(asset.txt_name)
    scan.refresh_from_db()
    assert scan.status == ScanStatus.DONE, scan.reason
    assert scan.mode == ScanMode.ACTIVE and scan.grade in "ABCDE"
    seen = set(
        Finding.objects.filter(asset=asset, status__in=ACTIVE_STATUSES).values_list(
            "check_id", flat=True
        )
    )
    assert seen == set(truth["fail"])
    assert AuditEvent.objects.filter(action=AuditAction.ASSET_VERIFIED).count() == 1


def test_proof_is_checked_again_before_an_active_scan(lab_settings, world):
    truth = _business(lab_settings, 1)
    asset = _asset(world, truth["domain"])
    publish_txt(asset.txt_name, asset.txt_value)
    assert do_verify_asset(asset, world.alice)
    remove_txt(asset.txt_name)  # the owner took the record down after verification
    scan = _scan(asset)
    run_batch([str(scan.pk)], "test-worker")
    scan.refresh_from_db()
    asset.refresh_from_db()
    assert not asset.is_verified
    assert scan.mode == ScanMode.PASSIVE
    assert "Proof of control was not found" in scan.reason
    checks = set(Finding.objects.filter(asset=asset).values_list("check_id", flat=True))
    assert checks <= PASSIVE_CHECKS
    assert AuditEvent.objects.filter(action=AuditAction.ASSET_VERIFICATION_LOST).exists()


def test_an_unverified_asset_gets_passive_checks_only(lab_settings, world):
    truth = _business(lab_settings, 2)
    asset = _asset(world, truth["domain"])
    scan = _scan(asset)
    run_batch([str(scan.pk)], "test-worker")
    scan.refresh_from_db()
    assert scan.mode == ScanMode.PASSIVE and scan.is_finished
    observed = {o["check"] for o in scan.observations}
    assert observed and observed <= PASSIVE_CHECKS
    expected = set(truth["fail"]) & PASSIVE_CHECKS
    found = set(Finding.objects.filter(asset=asset).values_list("check_id", flat=True))
    assert found == expected
    assert all(Finding.objects.filter(asset=asset).values_list("passive", flat=True))


def test_a_scan_delivered_twice_runs_once(lab_settings, world):
    asset = _asset(world, _business(lab_settings, 3)["domain"])
    scan = _scan(asset)
    assert run_batch([str(scan.pk)], "worker-1") == 1
    findings = Finding.objects.count()
    assert run_batch([str(scan.pk)], "worker-2") == 0
    scan.refresh_from_db()
    assert scan.attempts == 1 and Finding.objects.count() == findings


def test_a_host_that_stops_answering_ends_partial_with_the_reason(lab_settings, world):
    # hang.faults.lab accepts connections and never says a word (src/rempart/lab/faults.py).
    lab_settings_timeout = 1.0
    asset = Asset.objects.create(
        organisation=world.org_a, kind=AssetKind.DOMAIN, name="hang.faults.lab"
    )
    publish_txt(asset.txt_name, asset.txt_value)
    try:
        assert do_verify_asset(asset, world.alice)
        scan = _scan(asset)
        with override_settings(REMPART_SCAN_TIMEOUT=lab_settings_timeout):
            run_batch([str(scan.pk)], "test-worker")
    finally:
        remove_txt(asset.txt_name)
    scan.refresh_from_db()
    assert scan.status == ScanStatus.PARTIAL, (scan.status, scan.reason)
    assert "no answer within the timeout" in scan.reason, scan.reason
    assert scan.counts["errors"] > 0
