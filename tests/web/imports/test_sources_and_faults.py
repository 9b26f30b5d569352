"""One finding for one problem whatever tool saw it; bad reports fail cleanly and write nothing."""

from __future__ import annotations

from django.utils import timezone

from rempart.web.findings.models import Finding, FindingStatus
from rempart.web.findings.services import do_fold_observations
from rempart.web.imports.models import Component, ImportStatus
from rempart.web.scans.models import Scan, ScanStatus
from tests.web.imports.conftest import import_bytes, state
from tests.web.imports.test_reimport import DAY, RDP_AND_SMB, T0, nmap_xml


def _engine_scan(world, observations):
    scan = Scan.objects.create(
        organisation=world.org_a,
        asset=world.asset_a,
        trigger="api",
        mode="active",
        status=ScanStatus.DONE,
        finished_at=timezone.now(),
    )
    do_fold_observations(scan, observations, passive=False)
    return scan


RDP_SEEN_BY_ENGINE = {
    "check": "net.exposed.rdp",
    "status": "fail",
    "severity": "high",
    "location": "127.20.0.9:3389",
    "evidence": "RDP port 3389/tcp accepts connections",
}


def test_the_same_problem_seen_by_rempart_and_nmap_is_one_finding_with_two_sources(world):
    _engine_scan(world, [RDP_SEEN_BY_ENGINE])
    report = import_bytes(world.org_a, nmap_xml(RDP_AND_SMB, start=T0), "office.xml")
    assert report.counts["opened"] == 1  # SMB only: RDP was already known
    rdp = Finding.objects.get(organisation=world.org_a, check_id="net.exposed.rdp")
    assert rdp.sources == ["rempart", "nmap"]
    assert Finding.objects.filter(organisation=world.org_a).count() == 2


def test_an_import_never_closes_what_rempart_itself_still_sees(world):
    _engine_scan(world, [RDP_SEEN_BY_ENGINE])
    import_bytes(world.org_a, nmap_xml(RDP_AND_SMB, start=T0), "a.xml")
    import_bytes(world.org_a, nmap_xml({445: "microsoft-ds"}, start=T0 + DAY), "b.xml")
    rdp = Finding.objects.get(organisation=world.org_a, check_id="net.exposed.rdp")
    assert rdp.status == FindingStatus.OPEN


def test_a_truncated_report_fails_with_the_file_and_the_line_and_writes_nothing(world):
    import_bytes(world.org_a, nmap_xml(RDP_AND_SMB, start=T0), "good.xml")
    before = state(world.org_a)
    data = nmap_xml({p: "x" for p in range(1, 300)}, start=T0 + DAY)
    broken = import_bytes(world.org_a, data[: len(data) * 2 // 3], "cut.xml")
    assert broken.status == ImportStatus.FAILED
    assert broken.error.startswith("cut.xml: line ")
    assert "Traceback" not in broken.error
    assert state(world.org_a) == before


def test_hostile_xml_is_refused_before_any_expansion(world):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE nmaprun [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b'<nmaprun scanner="nmap"><host><address addr="&c;" addrtype="ipv4"/></host></nmaprun>'
    )
    report = import_bytes(world.org_a, bomb, "bomb.xml", format="nmap-xml")
    assert report.status == ImportStatus.FAILED
    assert "bomb.xml" in report.error and "refuses" in report.error
    external = (
        b'<?xml version="1.0"?><!DOCTYPE nmaprun [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<nmaprun scanner="nmap"><host><address addr="&x;" addrtype="ipv4"/></host></nmaprun>'
    )
    report = import_bytes(world.org_a, external, "xxe.xml", format="nmap-xml")
    assert report.status == ImportStatus.FAILED
    assert "root:" not in report.error
    assert not Finding.objects.filter(organisation=world.org_a).exists()


def test_a_file_of_another_format_fails_with_a_sentence(world):
    report = import_bytes(world.org_a, b"this is not a report\n" * 10, "notes.txt")
    assert report.status == ImportStatus.FAILED
    assert report.error.startswith("notes.txt: the format was not recognised")
    report = import_bytes(world.org_a, b'{"hello": "world"}', "x.json", format="nmap-xml")
    assert report.status == ImportStatus.FAILED
    assert report.error.startswith("x.json")


def test_the_file_is_kept_with_its_checksum(world, settings):
    import hashlib

    data = nmap_xml(RDP_AND_SMB, start=T0)
    report = import_bytes(world.org_a, data, "office.xml")
    assert report.sha256 == hashlib.sha256(data).hexdigest()
    assert report.size == len(data)
    assert (settings.IMPORTS_DIR / report.stored_as).read_bytes() == data
    assert report.progress == 100
    assert report.tool == "nmap" and report.format == "nmap-xml"
    assert report.scanned_at is not None and report.scanned_at.timestamp() == T0


def test_components_of_a_report_replace_those_of_its_previous_report(world):
    inventory_v1 = b"name,version,ecosystem\ndjango,3.2.0,PyPI\nrequests,2.0.0,PyPI\n"
    inventory_v2 = b"name,version,ecosystem\ndjango,4.2.20,PyPI\n"
    first = import_bytes(world.org_a, inventory_v1, "parc.csv", format="inventory-csv")
    assert first.status == ImportStatus.DONE, first.error
    assert Component.objects.filter(organisation=world.org_a).count() == 2
    assert first.counts["vulnerable_components"] >= 2
    vulns = Finding.objects.filter(organisation=world.org_a, check_id__startswith="vuln.")
    assert vulns.filter(location__icontains="django").exists()
    assert all(f.fix for f in vulns), [(f.check_id, f.fix) for f in vulns]
    second = import_bytes(world.org_a, inventory_v2, "parc.csv", format="inventory-csv")
    assert second.status == ImportStatus.DONE, second.error
    names = set(Component.objects.filter(organisation=world.org_a).values_list("name", "version"))
    assert names == {("django", "4.2.20")}
    assert second.counts["fixed"] >= 2  # the old versions' vulnerabilities are gone
