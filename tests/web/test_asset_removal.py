"""Removing an asset stops watching it; its scans, findings and history stay (design.md §6)."""

from __future__ import annotations

from django.utils import timezone

from rempart.web.assets.models import Asset
from rempart.web.assets.services import do_add_asset, do_remove_asset
from rempart.web.findings.models import Finding
from rempart.web.findings.services import do_fold_observations
from rempart.web.scans.models import Scan, ScanStatus


def test_a_removed_asset_keeps_its_history_and_can_be_declared_again(world):
    scan = Scan.objects.create(
        organisation=world.org_a,
        asset=world.asset_a,
        trigger="api",
        mode="passive",
        status=ScanStatus.DONE,
        finished_at=timezone.now(),
    )
    do_fold_observations(
        scan,
        [{"check": "mail.spf.missing", "status": "fail", "severity": "high", "location": "x"}],
        passive=True,
    )
    do_remove_asset(world.asset_a, world.alice)

    assert not Asset.objects.filter(pk=world.asset_a.pk).exists()
    assert Asset.all_objects.get(pk=world.asset_a.pk).removed_at is not None
    assert Scan.objects.filter(pk=scan.pk).exists()
    finding = Finding.objects.get(organisation=world.org_a)
    assert finding.asset.name == world.asset_a.name  # still readable from the finding
    again = do_add_asset(world.org_a, "domain", world.asset_a.name, world.alice)
    assert again.pk != world.asset_a.pk and not again.is_verified
