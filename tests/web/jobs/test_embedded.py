"""The embedded default through its real processes: `rempart serve` against the running lab.

`rempart serve` starts a Celery worker on the filesystem broker and the portal, on a SQLite
file in a fresh data folder; this test process opens the same file and the same broker
folder. Lab businesses prove control of their domains through the lab DNS, a campaign is
requested through the services, every message is delivered twice (once more while the scans
run), and the outcome is compared with the lab's ground truth.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from rempart.web.engine_bridge import PASSIVE_CHECKS
from rempart.web.env import database_from_url
from rempart.web.findings.models import ACTIVE_STATUSES, EventKind, Finding, FindingEvent
from rempart.web.findings.services import completed_checks
from rempart.web.imports.models import Import, ImportStatus
from rempart.web.imports.services import do_upload
from rempart.web.imports.tasks import run_import_task
from rempart.web.scans.models import UNFINISHED, Scan, ScanMode, ScanStatus
from rempart.web.scans.services import do_request_campaign
from rempart.web.scans.tasks import run_scans
from tests.web.jobs.conftest import (
    LabAsset,
    Service,
    child_env,
    free_port,
    lab_asset,
    platform_settings,
    rempart_cmd,
    shared_database,
    wait_until,
    withdraw_proofs,
)

pytestmark = pytest.mark.lab

BUSINESSES = 6  # verified lab businesses in the campaign, beside the unverified and faulty ones
CAMPAIGN_TIMEOUT = 180
ACTIVE_FAMILIES = ("tls.", "web.", "net.")


@dataclass
class Embedded:
    serve: Service
    verified: list[LabAsset]
    unverified: LabAsset
    faulty: list[LabAsset]
    scan_ids: list[str]
    seconds: float
    data: Path

    def scan_of(self, item: LabAsset) -> Scan:
        return Scan.objects.get(asset=item.asset)


def _embedded_settings(data: Path) -> dict:
    options = {  # the folders the worker's settings compute from REMPART_DATA_DIR
        "data_folder_in": str(data / "broker" / "queue"),
        "data_folder_out": str(data / "broker" / "queue"),
        "processed_folder": str(data / "broker" / "processed"),
        "store_processed": False,
        "polling_interval": 0.05,
    }
    return {"CELERY_BROKER_URL": "filesystem://", "CELERY_BROKER_TRANSPORT_OPTIONS": options}


def _build(lab) -> tuple[list[LabAsset], LabAsset, list[LabAsset]]:
    businesses = lab.truth["businesses"]
    verified = [
        lab_asset(i, b["domain"], verify=True, truth=b)
        for i, b in enumerate(businesses[:BUSINESSES])
    ]
    unverified = businesses[BUSINESSES]
    passive = lab_asset(BUSINESSES, unverified["domain"], verify=False, truth=unverified)
    # dead: every port refused; hang: accepts and never answers (docs/lab.md, lab/faults.py).
    faulty = [
        lab_asset(BUSINESSES + 1 + i, f"{name}.faults.lab", verify=True)
        for i, name in enumerate(("dead", "hang"))
    ]
    return verified, passive, faulty


@pytest.fixture(scope="module")
def embedded(lab, django_db_blocker, tmp_path_factory):
    root = tmp_path_factory.mktemp("embedded")
    data = root / "data"
    cmd = rempart_cmd("serve", "--port", str(free_port()), "--workers", "2", "--web-workers", "1")
    serve = Service("serve", cmd, child_env(data, lab.directory), root / "serve.log")
    try:
        serve.wait_for_line(r"rempart serve ready", timeout=90)
        with (
            shared_database(django_db_blocker, database_from_url("", data)),
            platform_settings(lab.ca_file, **_embedded_settings(data)),
        ):
            verified, passive, faulty = _build(lab)
            everything = [*verified, passive, *faulty]
            began = time.monotonic()
            campaign = do_request_campaign([a.asset for a in everything], None, "embedded")
            ids = [str(s.pk) for s in Scan.objects.filter(campaign=campaign)]
            run_scans.delay(ids)  # the same work delivered again while it runs
            wait_until(
                lambda: not Scan.objects.filter(pk__in=ids, status__in=UNFINISHED).exists(),
                CAMPAIGN_TIMEOUT,
                f"the campaign of {len(ids)} scans to finish",
                (serve,),
            )
            seconds = time.monotonic() - began
            print(f"\nembedded worker: campaign of {len(ids)} scans finished in {seconds:.1f} s")
            yield Embedded(serve, verified, passive, faulty, ids, seconds, data)
            withdraw_proofs(everything)
    finally:
        serve.stop(timeout=30)


def test_every_scan_of_the_campaign_finished_exactly_once(embedded):
    scans = Scan.objects.filter(pk__in=embedded.scan_ids)
    assert scans.count() == BUSINESSES + 1 + 2
    for scan in scans:
        assert scan.status in (ScanStatus.DONE, ScanStatus.PARTIAL), (scan.asset, scan.reason)
        # Delivered twice, claimed once: the second delivery found the scan taken.
        assert scan.attempts == 1 and scan.finished_at and scan.progress_done == scan.progress_total


def test_findings_of_verified_businesses_match_the_ground_truth(embedded):
    compared = 0
    for item in embedded.verified:
        scan = embedded.scan_of(item)
        assert scan.mode == ScanMode.ACTIVE, scan.reason
        # A check that ended in error proves nothing either way; judge the rest.
        decided = completed_checks(scan.observations)
        judged = (set(item.truth["fail"]) | set(item.truth["pass"])) & decided
        found = set(
            Finding.objects.filter(asset=item.asset, status__in=ACTIVE_STATUSES).values_list(
                "check_id", flat=True
            )
        )
        assert found & judged == set(item.truth["fail"]) & judged, item.asset.name
        compared += len(judged)
    # Most of the truth was really compared (errors under load must stay the exception).
    expected = sum(len(i.truth["fail"]) + len(i.truth["pass"]) for i in embedded.verified)
    assert compared >= 0.9 * expected


def test_a_late_duplicate_delivery_creates_no_finding_and_no_event(embedded):
    findings, events = Finding.objects.count(), FindingEvent.objects.count()
    before = {s.pk: (s.attempts, s.finished_at, s.claim) for s in Scan.objects.all()}
    sent = run_scans.delay(embedded.scan_ids)
    done = re.compile(rf"Task rempart\.scans\.run\[{sent.id}\] succeeded in [\d.e-]+s: (\d+)")
    wait_until(
        lambda: done.search(embedded.serve.text()), 60, "the duplicate's end", (embedded.serve,)
    )
    assert done.search(embedded.serve.text()).group(1) == "0"  # no scan completed again
    assert (Finding.objects.count(), FindingEvent.objects.count()) == (findings, events)
    assert {s.pk: (s.attempts, s.finished_at, s.claim) for s in Scan.objects.all()} == before
    opened = FindingEvent.objects.filter(kind=EventKind.OPENED, scan_id__in=embedded.scan_ids)
    assert opened.count() == Finding.objects.count()  # each finding was opened once


def test_an_unverified_asset_gets_a_passive_scan_only(embedded):
    item = embedded.unverified
    scan = embedded.scan_of(item)
    assert scan.mode == ScanMode.PASSIVE and not item.asset.is_verified
    observed = {o["check"] for o in scan.observations}
    assert observed and observed <= PASSIVE_CHECKS
    findings = Finding.objects.filter(asset=item.asset)
    assert not [f.check_id for f in findings if f.check_id.startswith(ACTIVE_FAMILIES)]
    assert set(findings.values_list("check_id", flat=True)) == set(item.truth["fail"]) & (
        PASSIVE_CHECKS & completed_checks(scan.observations)
    )
    assert all(findings.values_list("passive", flat=True))


def test_a_dead_or_silent_target_ends_partial_with_the_reason(embedded):
    for item in embedded.faulty:
        scan = embedded.scan_of(item)
        assert scan.mode == ScanMode.ACTIVE
        assert scan.status == ScanStatus.PARTIAL, (item.asset.name, scan.status)
        assert re.search(r"refused|no answer|no SMTP greeting", scan.reason), scan.reason
        errors = [o for o in scan.observations if o["status"] == "error"]
        assert errors and all(o["reason"] for o in errors)


LAB_NMAP = (
    Path(__file__).resolve().parents[2] / "data" / "reports-lab" / "nmap" / "lab-brief-ports.xml"
)


def test_an_uploaded_report_is_imported_by_the_worker_once(embedded, settings):
    settings.IMPORTS_DIR = embedded.data / "imports"  # where the worker looks for uploads
    organisation = embedded.verified[0].asset.organisation
    before = Finding.objects.filter(organisation=organisation).count()
    report = do_upload(organisation, [LAB_NMAP.read_bytes()], "lab.xml", None, scope="lab")
    run_import_task.delay(str(report.pk))  # delivered twice: claimed once
    wait_until(
        lambda: Import.objects.get(pk=report.pk).status == ImportStatus.DONE,
        60,
        "the import's end",
        (embedded.serve,),
    )
    report.refresh_from_db()
    assert report.attempts == 1 and report.progress == 100 and report.tool == "nmap"
    assert report.counts["opened"] + report.counts["seen"] == report.counts["findings"] > 0
    after = Finding.objects.filter(organisation=organisation).count()
    assert after - before == report.counts["opened"]
