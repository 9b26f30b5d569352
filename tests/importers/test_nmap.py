"""nmap XML: real reports (DefectDojo's samples, and nmap 7.93 run against the rempart lab).

The small inline documents in this file (down host, open|filtered, errors) are written by hand
following nmap's XML output (nmap.dtd, xmloutputversion 1.05); every other expectation comes
from reading the real samples.
"""

from __future__ import annotations

import io
import json
import tracemalloc
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rempart.engine.catalog import CATALOG
from rempart.engine.checks.services import EXPOSURE_PORTS
from rempart.engine.model import Observation, Severity, Status
from rempart.importers import (
    ReportError,
    ReportInfo,
    detect,
    known_formats,
    read_path,
    read_report,
)
from rempart.importers.formats import nmap

DATA = Path(__file__).resolve().parent.parent / "data"
REAL = DATA / "reports" / "nmap"
LAB = DATA / "reports-lab" / "nmap"
EXPOSURE = frozenset(EXPOSURE_PORTS)


def read(path: Path) -> tuple[ReportInfo, list[Observation]]:
    info, items = read_path(path, format="nmap-xml")
    assert all(isinstance(i, Observation) for i in items)
    return info, [i for i in items if isinstance(i, Observation)]


def read_bytes(data: bytes) -> tuple[ReportInfo, list[Observation]]:
    info = ReportInfo(name="inline.xml")
    items = list(read_report(io.BytesIO(data), info, format="nmap-xml"))
    return info, [i for i in items if isinstance(i, Observation)]


def by(items: list[Observation], check: str, status: Status | None = None) -> list[Observation]:
    return [o for o in items if o.check == check and (status is None or o.status is status)]


# -- DefectDojo's samples ---------------------------------------------------------------------


def test_issue4406_services_versions_and_vulners() -> None:
    info, items = read(REAL / "issue4406.xml")
    assert info.tool_version == "7.91"
    assert info.scanned_at == datetime(2021, 4, 29, 9, 26, 36, tzinfo=UTC)
    assert info.targets == {"ip-10-250-195-71.eu-west-1.compute.internal"}  # the PTR name
    assert all(o.source == "nmap" for o in items)
    assert all(o.target == "ip-10-250-195-71.eu-west-1.compute.internal" for o in items)

    # MySQL 5.7.32 on 30367-30373: found by -sV, not by port number.
    databases = by(items, "net.exposed.database", Status.FAIL)
    assert [o.location for o in databases] == [f"10.250.195.71:{p}" for p in range(30367, 30374)]
    assert all(o.severity is Severity.HIGH for o in databases)
    assert "30367/tcp open mysql MySQL 5.7.32" in databases[0].evidence

    versions = by(items, "net.service.version", Status.FAIL)
    assert len(versions) == 9  # OpenSSH, rpcbind and the seven MySQL
    ssh = next(o for o in versions if o.location == "10.250.195.71:22")
    assert ssh.evidence == "OpenSSH 7.4 (nmap ssh, cpe:/a:openbsd:openssh:7.4)"
    assert ssh.severity is CATALOG["net.service.version"].severity
    assert ssh.rule == "22/tcp"

    (vulners,) = by(items, "nmap.vulners")
    assert vulners.status is Status.FAIL
    assert vulners.location == "10.250.195.71:22"
    assert vulners.severity is Severity.MEDIUM  # highest CVSS listed: 5.8
    assert vulners.references == (
        "CVE-2019-6111",
        "CVE-2018-15919",
        "CVE-2018-15473",
        "CVE-2017-15906",
        "CVE-2020-14145",
        "CVE-2019-6110",
        "CVE-2019-6109",
        "CVE-2018-20685",
    )
    assert "42 entries for cpe:/a:openbsd:openssh:7.4" in vulners.evidence
    assert "highest CVSS 5.8" in vulners.evidence

    # 25 open ports: 7 MySQL (exposed), OpenSSH and rpcbind (versions), 16 others.
    assert len(by(items, "nmap.open-port", Status.INFO)) == 16
    assert by(items, "nmap.open-port")[0].location == "10.250.195.71:179"

    # -p 1-65535: every risky port was scanned; all but the database ones are closed.
    passes = {o.check for o in items if o.status is Status.PASS}
    assert passes == EXPOSURE - {"net.exposed.database"}
    rdp = by(items, "net.exposed.rdp")[0]
    assert (rdp.location, rdp.evidence) == ("10.250.195.71", "nmap: 3389/tcp closed")
    assert info.notes == {
        "nmap script rpcinfo not imported": 1,
        "nmap script fingerprint-strings not imported": 5,
    }


def test_one_open_port_and_the_passes_a_top_1000_scan_allows() -> None:
    info, items = read(REAL / "nmap_1port.xml")
    assert info.tool_version == "6.40"
    (postgres,) = [o for o in items if o.status is Status.FAIL]
    assert postgres.check == "net.exposed.database"
    assert postgres.location == "127.0.0.1:5432"
    assert postgres.target == "localhost.localdomain"
    assert postgres.evidence == "nmap: 5432/tcp open postgresql"
    assert postgres.rule == "5432/tcp"
    # nmap's default 1000 ports include 21, 23, 139, 445, 3389 and 5900, not 5986 nor 27017:
    # no pass can be claimed for WinRM and the databases.
    passes = {o.check for o in items if o.status is Status.PASS}
    assert passes == {
        "net.exposed.smb",
        "net.exposed.rdp",
        "net.exposed.telnet",
        "net.exposed.ftp",
        "net.exposed.vnc",
    }
    assert all(o.location == "127.0.0.1" for o in items if o.status is Status.PASS)
    smb = by(items, "net.exposed.smb")[0]
    assert smb.evidence == "nmap: 445/tcp closed, 139/tcp closed"


def test_zero_open_ports_gives_no_failure() -> None:
    _, items = read(REAL / "nmap_0port.xml")
    assert [o for o in items if o.status is not Status.PASS] == []
    assert len(items) == 5


def test_a_user_given_host_name_is_preferred_to_the_ptr_name() -> None:
    info, items = read(REAL / "nmap_multiple_port.xml")
    assert info.targets == {"joaquinlp.me"}  # not mocha2005.mochahost.com (PTR)
    failures = {(o.check, o.location) for o in items if o.status is Status.FAIL}
    assert failures == {
        ("net.exposed.ftp", "198.38.82.159:21"),
        ("net.exposed.database", "198.38.82.159:3306"),
    }
    open_ports = by(items, "nmap.open-port", Status.INFO)
    assert len(open_ports) == 11
    assert {o.rule for o in open_ports} >= {"25/tcp", "80/tcp", "443/tcp", "2525/tcp"}
    assert all(o.severity is Severity.INFO for o in open_ports)


# -- the rempart lab (nmap 7.93, tests/data/reports-lab/README.md) ------------------------------


def lab_truth() -> dict[str, dict[str, set[str]]]:
    data = json.loads((LAB / "ground-truth-excerpt.json").read_text())
    return {
        b["address"]: {"fail": set(b["fail"]), "pass": set(b["pass"])} for b in data["businesses"]
    }


def test_lab_scan_of_every_risky_port_matches_the_ground_truth() -> None:
    truth = lab_truth()
    info, items = read(LAB / "lab-risky-ports-tls.xml")
    assert info.tool_version == "7.93"
    assert info.targets == set(truth)  # no reverse DNS in the lab: addresses
    for ip, expected in truth.items():
        mine = [o for o in items if o.target == ip]
        failed = {o.check for o in mine if o.status is Status.FAIL and o.check in EXPOSURE}
        passed = {o.check for o in mine if o.status is Status.PASS and o.check in EXPOSURE}
        assert failed == expected["fail"] & EXPOSURE, ip
        assert passed == expected["pass"] & EXPOSURE, ip  # every port scanned: all decided
        for check in ("net.smb.v1", "net.ftp.anonymous"):
            statuses = {o.status for o in mine if o.check == check}
            if check in expected["fail"]:
                assert statuses == {Status.FAIL}, (ip, check)
            else:
                assert Status.FAIL not in statuses, (ip, check)
        # TLS of the website (443): each protocol the lab breaks, and only those.
        web_tls = {
            o.check
            for o in mine
            if o.location == f"{ip}:443" and o.status is Status.FAIL and o.check.startswith("tls.")
        }
        wanted = {
            c
            for c in expected["fail"]
            if c.startswith("tls.protocol.") or c in ("tls.cipher.weak", "tls.compression")
        }
        assert web_tls == wanted - {"tls.protocol.no_tls13"}, ip
        # STARTTLS on 25 is the engine's mail check, not tls.protocol.*
        for mail in by(mine, "mail.starttls.legacy_tls"):
            assert mail.location == f"{ip}:25"
            failing = "mail.starttls.legacy_tls" in expected["fail"]
            assert (mail.status is Status.FAIL) == failing, ip
        assert not [o for o in mine if o.check.startswith("tls.protocol") and ":25" in o.location]
    # ssl-enum-ciphers got a STARTTLS handshake on port 25 from 6 of the 12 mail servers.
    mails = by(items, "mail.starttls.legacy_tls")
    assert sorted(o.target for o in mails) == [f"127.20.0.{n}" for n in (1, 4, 5, 6, 7, 9)]
    assert [o.location for o in mails if o.status is Status.FAIL] == ["127.20.0.5:25"]


def test_lab_smb_and_ftp_scripts() -> None:
    _, items = read(LAB / "lab-risky-ports-tls.xml")
    (smbv1,) = by(items, "net.smb.v1", Status.FAIL)
    assert smbv1.location == "127.20.0.8:445"
    assert smbv1.evidence == (
        "nmap smb-protocols: dialects NT LM 0.12 (SMBv1) [dangerous, but default], "
        "202, 210, 300, 302"
    )
    assert "CVE-2017-0144" in smbv1.references
    assert smbv1.severity is Severity.CRITICAL
    assert sorted(o.location for o in by(items, "net.smb.v1", Status.PASS)) == [
        "127.20.0.1:445",
        "127.20.0.6:445",
        "127.20.0.9:445",
    ]
    (anonymous,) = by(items, "net.ftp.anonymous")
    assert (anonymous.status, anonymous.location) == (Status.FAIL, "127.20.0.10:21")
    assert anonymous.evidence.startswith(
        "nmap ftp-anon: Anonymous FTP login allowed (FTP code 230)"
    )
    # "vsftpd 2.0.8 or later" is nmap's inference, not a disclosed version.
    assert not [o for o in by(items, "net.service.version") if o.location == "127.20.0.10:21"]
    apache = [o for o in by(items, "net.service.version") if o.location == "127.20.0.2:443"]
    assert [o.evidence for o in apache] == [
        "Apache httpd 2.4.41 (nmap http, cpe:/a:apache:http_server:2.4.41)"
    ]
    weak = [o for o in by(items, "tls.cipher.weak", Status.FAIL) if o.location == "127.20.0.12:443"]
    assert weak[0].evidence == (
        "nmap ssl-enum-ciphers: weak suites TLS_RSA_WITH_3DES_EDE_CBC_SHA, "
        "TLS_RSA_WITH_RC4_128_SHA, TLS_RSA_WITH_NULL_SHA, TLS_RSA_EXPORT_WITH_RC4_40_MD5"
    )


def test_lab_scan_of_some_ports_never_claims_an_unscanned_pass() -> None:
    truth = lab_truth()
    _, items = read(LAB / "lab-brief-ports.xml")
    for ip, expected in truth.items():
        mine = [o for o in items if o.target == ip]
        failed = {o.check for o in mine if o.status is Status.FAIL and o.check in EXPOSURE}
        passed = {o.check for o in mine if o.status is Status.PASS and o.check in EXPOSURE}
        assert failed <= expected["fail"], ip
        assert passed <= expected["pass"], ip
        # 1521, 5984, 9200, 11211 and 5986 were not scanned: no pass for those checks.
        assert not passed & {"net.exposed.database", "net.exposed.winrm"}, ip
    # The lab's SMB (.1 .6 .8 .9), telnet (.5), FTP (.10) and MySQL (.11) are all found.
    found = {(o.target, o.check) for o in items if o.status is Status.FAIL}
    assert {
        ("127.20.0.1", "net.exposed.smb"),
        ("127.20.0.5", "net.exposed.telnet"),
        ("127.20.0.8", "net.smb.v1"),
        ("127.20.0.10", "net.ftp.anonymous"),
        ("127.20.0.11", "net.exposed.database"),
    } <= found


# -- hand-written edge cases -----------------------------------------------------------------

HEAD = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<nmaprun scanner="nmap" args="nmap -sU -p 23,445 h" start="1700000000" version="7.94"
 xmloutputversion="1.05">
<scaninfo type="udp" protocol="udp" numservices="1" services="161"/>
<scaninfo type="syn" protocol="tcp" numservices="3" services="23,139,445"/>
"""


def test_a_down_host_is_a_note_and_open_filtered_blocks_a_pass() -> None:
    body = b"""<host><status state="down" reason="no-response"/>
<address addr="192.0.2.9" addrtype="ipv4"/></host>
<host><status state="up" reason="echo-reply"/>
<address addr="2001:db8::5" addrtype="ipv6"/>
<hostnames><hostname name="ptr.example" type="PTR"/></hostnames>
<ports>
<port protocol="tcp" portid="23"><state state="filtered" reason="no-response"/></port>
<port protocol="tcp" portid="445"><state state="open|filtered" reason="no-response"/></port>
<port protocol="tcp" portid="139"><state state="closed" reason="reset"/></port>
<port protocol="udp" portid="161"><state state="open" reason="udp-response"/>
<service name="snmp" product="net-snmp" version="5.9" method="probed" conf="10"/></port>
</ports></host>
</nmaprun>
"""
    info, items = read_bytes(HEAD + body)
    assert info.notes == {
        "host down": 1,
        "port open|filtered: nmap could not tell whether it is open": 1,
    }
    assert info.targets == {"ptr.example"}
    assert info.scanned_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert {(o.check, o.status, o.location) for o in items} == {
        ("net.service.version", Status.FAIL, "[2001:db8::5]:161"),
        ("net.exposed.telnet", Status.PASS, "2001:db8::5"),
        # no net.exposed.smb pass: 445 is open|filtered
    }


def test_parsing_twice_gives_the_same_observations() -> None:
    first = read(REAL / "issue4406.xml")[1]
    assert first == read(REAL / "issue4406.xml")[1]


@pytest.mark.parametrize(
    "path", [*sorted(REAL.glob("*.xml")), *sorted(LAB.glob("*.xml"))], ids=lambda p: p.name
)
def test_detection(path: Path) -> None:
    head = path.read_bytes()[:65536]
    assert nmap.SPEC.sniff(head)
    assert detect(head, path.name).name == "nmap-xml"


def test_other_xml_is_not_taken_for_nmap() -> None:
    assert not nmap.SPEC.sniff(b'<?xml version="1.0"?><OWASPZAPReport version="2.9.0">')
    assert not nmap.SPEC.sniff(b"<!-- <nmaprun> --><report>")


def test_a_truncated_report_is_an_error_with_a_line_number() -> None:
    data = (REAL / "issue4406.xml").read_bytes()
    with pytest.raises(ReportError) as caught:
        read_bytes(data[: len(data) // 2])
    assert caught.value.where.startswith("line ")
    assert "malformed or truncated" in caught.value.reason


def test_entities_are_refused() -> None:
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE nmaprun [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<nmaprun version="7.94"><host><status state="up"/><address addr="&c;" addrtype="ipv4"/>
</host></nmaprun>"""
    with pytest.raises(ReportError, match="refuses them"):
        read_bytes(bomb)
    external = b"""<?xml version="1.0"?>
<!DOCTYPE nmaprun [<!ENTITY x SYSTEM "file:///etc/passwd">]><nmaprun>&x;</nmaprun>"""
    with pytest.raises(ReportError, match="refuses them"):
        read_bytes(external)


def test_a_wrong_root_or_a_host_without_address_is_an_error() -> None:
    with pytest.raises(ReportError, match=r"<OWASPZAPReport>, not nmap's <nmaprun>"):
        read_bytes(b'<?xml version="1.0"?><OWASPZAPReport version="2.9.0"/>')
    with pytest.raises(ReportError) as caught:
        read_bytes(HEAD + b'<host><status state="up"/><ports/></host></nmaprun>')
    assert caught.value.where == "host #1"


def test_memory_stays_flat_on_thousands_of_hosts() -> None:
    hosts = 5000
    port = (
        b'<port protocol="tcp" portid="%d"><state state="open" reason="syn-ack"/>'
        b'<service name="http" product="nginx" version="1.18.0" method="probed" conf="10">'
        b"<cpe>cpe:/a:igor_sysoev:nginx:1.18.0</cpe></service></port>\n"
    )
    chunks = [HEAD]
    for n in range(hosts):
        ports = b"".join(port % p for p in (21, 80, 443, 445, 3389, 8080, 8443, 9000))
        chunks.append(
            b'<host><status state="up"/><address addr="10.%d.%d.%d" addrtype="ipv4"/>'
            % (n >> 16, (n >> 8) & 255, n & 255)
            + b"<ports>"
            + ports
            + b"</ports></host>\n"
        )
    chunks.append(b"</nmaprun>\n")
    data = b"".join(chunks)
    assert len(data) > 8_000_000
    info = ReportInfo(name="big.xml")
    known_formats()  # import every parser before measuring
    tracemalloc.start()
    try:
        count = Counter(o.check for o in read_report(io.BytesIO(data), info, format="nmap-xml"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count["net.exposed.rdp"] == hosts
    assert count["net.service.version"] == hosts * 8
    assert len(info.targets) == hosts
    # About 1.5 MB here, most of it the 5,000 target names kept in info.targets.
    assert peak < 4_000_000, f"peak {peak:,} bytes while streaming {len(data):,} bytes"
