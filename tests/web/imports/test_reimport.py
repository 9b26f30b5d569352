"""Reimport rules on reports whose content the test controls.

The nmap reports here are written by hand following nmap's XML output DTD (nmap.dtd,
https://nmap.org/book/nmap-dtd.html): only the elements the importer reads.
"""

from __future__ import annotations

from django.utils import timezone

from rempart.web.findings.models import Finding, FindingStatus
from rempart.web.findings.services import do_accept_risk
from rempart.web.imports.models import ImportStatus
from tests.web.imports.conftest import import_bytes, state


def nmap_xml(ports: dict[int, str], *, start: int, host: str = "boulangerie-alice.lab") -> bytes:
    rows = "".join(
        f'<port protocol="tcp" portid="{p}"><state state="open" reason="syn-ack"/>'
        f'<service name="{name}" method="table" conf="3"/></port>'
        for p, name in ports.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<nmaprun scanner="nmap" args="nmap -sV" start="{start}" version="7.93" '
        'xmloutputversion="1.05">'
        f'<host starttime="{start}" endtime="{start + 5}"><status state="up" reason="user-set"/>'
        '<address addr="127.20.0.9" addrtype="ipv4"/>'
        f'<hostnames><hostname name="{host}" type="user"/></hostnames>'
        f"<ports>{rows}</ports></host>"
        f'<runstats><finished time="{start + 10}" exit="success"/>'
        '<hosts up="1" down="0" total="1"/></runstats></nmaprun>'
    ).encode()


RDP_AND_SMB = {3389: "ms-wbt-server", 445: "microsoft-ds"}
DAY = 86400
T0 = 1_764_000_000  # 2025-11-24


def _by_check(org) -> dict[str, Finding]:
    return {f.check_id: f for f in Finding.objects.filter(organisation=org)}


def test_the_same_report_twice_changes_nothing(world):
    data = nmap_xml(RDP_AND_SMB, start=T0)
    first = import_bytes(world.org_a, data, "office.xml", world.alice)
    assert first.status == ImportStatus.DONE, first.error
    assert first.counts["opened"] == 2
    before = state(world.org_a)
    again = import_bytes(world.org_a, data, "office-copy.xml", world.alice)
    assert again.status == ImportStatus.DONE
    assert (again.counts["opened"], again.counts["reopened"], again.counts["fixed"]) == (0, 0, 0)
    assert again.counts["seen"] == 2
    assert state(world.org_a) == before


def test_a_newer_report_closes_what_it_no_longer_lists_and_reopens_what_returns(world):
    import_bytes(world.org_a, nmap_xml(RDP_AND_SMB, start=T0), "monday.xml")
    later = import_bytes(world.org_a, nmap_xml({445: "microsoft-ds"}, start=T0 + DAY), "tue.xml")
    assert (later.counts["fixed"], later.counts["seen"]) == (1, 1)
    found = _by_check(world.org_a)
    assert found["net.exposed.rdp"].status == FindingStatus.FIXED
    assert found["net.exposed.smb"].status == FindingStatus.OPEN
    back = import_bytes(world.org_a, nmap_xml(RDP_AND_SMB, start=T0 + 2 * DAY), "wed.xml")
    assert back.counts["reopened"] == 1
    rdp = _by_check(world.org_a)["net.exposed.rdp"]
    assert rdp.status == FindingStatus.REOPENED and rdp.times_reopened == 1
    kinds = list(rdp.events.values_list("kind", flat=True))
    assert kinds == ["opened", "fixed", "reopened"]


def test_another_scope_does_not_close_findings_of_the_first(world):
    import_bytes(world.org_a, nmap_xml(RDP_AND_SMB, start=T0), "office.xml", scope="office")
    other = import_bytes(
        world.org_a,
        nmap_xml({21: "ftp"}, start=T0 + DAY, host="boulangerie-alice.lab"),
        "shop.xml",
        scope="shop",
    )
    assert other.counts["fixed"] == 0
    statuses = {f.check_id: f.status for f in Finding.objects.filter(organisation=world.org_a)}
    assert statuses == {
        "net.exposed.rdp": "open",
        "net.exposed.smb": "open",
        "net.exposed.ftp": "open",
    }


def test_a_finding_another_scope_still_reports_stays_open(world):
    data = nmap_xml(RDP_AND_SMB, start=T0)
    import_bytes(world.org_a, data, "a.xml", scope="office")
    import_bytes(world.org_a, data, "b.xml", scope="provider-audit")
    import_bytes(world.org_a, nmap_xml({}, start=T0 + DAY), "a2.xml", scope="office")
    assert set(_by_check(world.org_a)) == {"net.exposed.rdp", "net.exposed.smb"}
    assert {f.status for f in Finding.objects.filter(organisation=world.org_a)} == {"open"}
    scopes = {f.scopes for f in Finding.objects.filter(organisation=world.org_a)}
    assert scopes == {" nmap:provider-audit "}


def test_a_persons_decision_is_never_overturned_by_an_import(world):
    import_bytes(world.org_a, nmap_xml(RDP_AND_SMB, start=T0), "a.xml")
    rdp = _by_check(world.org_a)["net.exposed.rdp"]
    do_accept_risk(
        rdp,
        world.alice,
        "Needed by the accountant until March",
        timezone.localdate().replace(year=timezone.localdate().year + 1, month=1, day=1),
    )
    import_bytes(world.org_a, nmap_xml({445: "microsoft-ds"}, start=T0 + DAY), "b.xml")
    import_bytes(world.org_a, nmap_xml(RDP_AND_SMB, start=T0 + 2 * DAY), "c.xml")
    assert _by_check(world.org_a)["net.exposed.rdp"].status == FindingStatus.ACCEPTED


def test_findings_land_on_the_declared_asset_and_stay_in_their_organisation(world):
    import_bytes(world.org_a, nmap_xml(RDP_AND_SMB, start=T0), "a.xml")
    import_bytes(world.org_b, nmap_xml(RDP_AND_SMB, start=T0), "a.xml")
    a = Finding.objects.filter(organisation=world.org_a)
    assert {f.asset_id for f in a} == {world.asset_a.pk}
    assert Finding.objects.filter(organisation=world.org_b, asset__isnull=True).count() == 2
    assert Finding.objects.count() == 4


def test_a_scope_is_the_same_whatever_its_case_or_spacing(world):
    import_bytes(world.org_a, nmap_xml(RDP_AND_SMB, start=T0), "a.xml", scope="Office Network")
    later = nmap_xml({445: "microsoft-ds"}, start=T0 + DAY)
    report = import_bytes(world.org_a, later, "b.xml", scope="office  network")
    assert report.counts["fixed"] == 1
    assert _by_check(world.org_a)["net.exposed.rdp"].status == FindingStatus.FIXED
