"""Greenbone/OpenVAS: real XML reports and CSV exports (DefectDojo's samples).

``GMP_RESPONSE`` below is written by hand following the GMP ``get_reports`` response schema
(Greenbone Management Protocol 22.4: ``<get_reports_response>`` → ``<report>`` → ``<report>``
→ ``<results>`` → ``<result>``), to cover what the samples lack: the response wrapper, Log
results of mapped NVTs (HSTS, SMBv1), nested ``<detection><result>``, overrides and a False
Positive. Every other expectation comes from reading the real samples.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rempart.engine.model import Observation, Severity, Status
from rempart.importers import ReportError, ReportInfo, detect, read_path, read_report
from rempart.importers.formats import openvas

REAL = Path(__file__).resolve().parent.parent / "data" / "reports" / "openvas"
PREFIX = "1.3.6.1.4.1.25623.1.0."


def read(path: Path, fmt: str) -> tuple[ReportInfo, list[Observation]]:
    info, items = read_path(path, format=fmt)
    assert all(isinstance(i, Observation) for i in items)
    return info, [i for i in items if isinstance(i, Observation)]


def read_bytes(data: bytes, fmt: str = "openvas-xml") -> tuple[ReportInfo, list[Observation]]:
    info = ReportInfo(name="inline")
    items = list(read_report(io.BytesIO(data), info, format=fmt))
    return info, [i for i in items if isinstance(i, Observation)]


def one(items: list[Observation], check: str) -> Observation:
    (found,) = [o for o in items if o.check == check]
    return found


# -- XML -------------------------------------------------------------------------------------


def test_many_vuln_xml() -> None:
    info, items = read(REAL / "many_vuln.xml", "openvas-xml")
    assert info.tool_version == "GMP 9.0"
    assert info.scanned_at == datetime(2023, 9, 26, 10, 50, 34, tzinfo=UTC)
    assert info.targets == {"b6b9f466d63"}  # DefectDojo anonymised the host name
    assert len(items) == 44  # 44 results, each one finding
    assert all(o.status is Status.FAIL and o.source == "openvas" for o in items)
    assert Counter(o.severity for o in items) == {
        Severity.CRITICAL: 8,  # CVSS 9.0 and above
        Severity.HIGH: 15,
        Severity.MEDIUM: 21,
    }
    # Catalog NVTs become the engine's checks, at the engine's locations.
    mapped = {(o.check, o.location, o.rule) for o in items if not o.check.startswith("openvas.")}
    assert mapped == {
        ("net.ftp.anonymous", "192.168.1.1001:21", PREFIX + "900600"),
        ("tls.protocol.sslv3", "b6b9f466d63:5432", PREFIX + "111012"),
        ("tls.protocol.tls10", "b6b9f466d63:5432", PREFIX + "117274"),
        ("tls.cipher.weak", "b6b9f466d63:5432", PREFIX + "103440"),
        ("tls.vuln.ccs_injection", "b6b9f466d63:5432", PREFIX + "105042"),
        ("tls.cert.expired", "b6b9f466d63:5432", PREFIX + "103955"),
        ("tls.cert.weak_signature", "b6b9f466d63:5432", PREFIX + "105880"),
    }
    sslv3 = one(items, "tls.protocol.sslv3")
    assert sslv3.severity is Severity.HIGH  # the catalog's, not OpenVAS' Medium 5.9
    assert sslv3.references == ("CVE-2016-0800", "CVE-2014-3566")
    assert sslv3.title == "SSL/TLS: Deprecated SSLv2 and SSLv3 Protocol Detection"
    assert sslv3.evidence.startswith(
        "OpenVAS Medium (severity 5.9, QoD 98%): In addition to TLSv1.0+ the service is also "
        "providing the deprecated SSLv3 protocol"
    )
    ftp = one(items, "net.ftp.anonymous")
    assert ftp.references == ("CVE-1999-0497",)
    assert "anonymous:anonymous@example.com" in ftp.evidence

    samba = one(items, "openvas." + PREFIX + "108011")
    assert samba.location == "192.168.1.1001:445"
    assert samba.severity is Severity.MEDIUM
    assert samba.title == "Samba MS-RPC Remote Shell Command Execution Vulnerability - Active Check"
    assert samba.references[:1] == ("CVE-2007-2447",)
    assert samba.fix.startswith("Updates are available.")
    general = one(items, "openvas." + PREFIX + "103674")
    assert general.location == "192.168.1.1001"  # general/tcp: the host itself
    # Two results with an empty threat: their CVSS (4.0) decides.
    unrated = [o for o in items if o.evidence.startswith("OpenVAS unrated")]
    assert sorted(o.rule for o in unrated) == [PREFIX + "105880", PREFIX + "106223"]
    assert one(items, "openvas." + PREFIX + "106223").severity is Severity.MEDIUM


def test_one_vuln_xml() -> None:
    info, items = read(REAL / "one_vuln.xml", "openvas-xml")
    assert info.scanned_at == datetime(2023, 9, 28, 14, 48, 2, tzinfo=UTC)
    (firefox,) = items
    assert firefox.check == "openvas.1.3.6.1.4.1.25623.1.0.832260"
    assert firefox.rule == "1.3.6.1.4.1.25623.1.0.832260"
    assert (firefox.status, firefox.severity) == (Status.FAIL, Severity.CRITICAL)  # 10.0
    assert firefox.location == "10.0.101.2"
    assert firefox.target == "10.0.101.2"  # <hostname/> is empty
    assert firefox.title == "Mozilla Firefox Security Update (mfsa_2023-32_2023-36) - Windows"
    assert firefox.references[:2] == ("CVE-2023-4573", "CVE-2023-4574")
    assert len([r for r in firefox.references if r.startswith("CVE-")]) == 12
    assert (
        firefox.references[-1] == "https://www.mozilla.org/en-US/security/advisories/mfsa2023-34/"
    )
    assert firefox.fix == (
        "Upgrade to version 117 or later, Please see the references for more information."
    )
    assert "Installed version: 116.0.3 Fixed version: 117" in firefox.evidence


def test_no_vuln_xml_is_an_empty_report() -> None:
    info, items = read(REAL / "no_vuln.xml", "openvas-xml")
    assert items == []
    assert info.tool_version == "GMP 9.0"
    assert info.notes == {}


GMP_RESPONSE = b"""<?xml version="1.0" encoding="UTF-8"?>
<get_reports_response status="200" status_text="OK">
<report id="r1" format_id="a994b278-1f62-11e1-96ac-406186ea4fc5" extension="xml">
<name>2024-05-02T08:00:00Z</name>
<report id="r1">
<gmp><version>22.4</version></gmp>
<scan_start>2024-05-02T08:00:00Z</scan_start>
<results start="1" max="100">
<result id="a1"><name>SSL/TLS: HTTP Strict Transport Security (HSTS) Missing</name>
  <host>192.0.2.10<asset asset_id="x"/><hostname>www.example.org</hostname></host>
  <port>443/tcp</port>
  <nvt oid="1.3.6.1.4.1.25623.1.0.105879"><type>nvt</type>
    <name>SSL/TLS: HTTP Strict Transport Security (HSTS) Missing</name>
    <tags>summary=The remote web server is not enforcing HSTS.|solution=Set the header.</tags>
  </nvt>
  <threat>Log</threat><severity>0.0</severity><qod><value>80</value></qod>
  <description>The remote web server is not enforcing HSTS.</description>
  <detection><result id="d1"><details><detail><name>product</name>
    <value>cpe:/a:nginx:nginx</value></detail></details></result></detection>
</result>
<result id="a2"><name>SMBv1 Enabled - Active Check</name>
  <host>192.0.2.10<hostname>www.example.org</hostname></host>
  <port>445/tcp</port>
  <nvt oid="1.3.6.1.4.1.25623.1.0.140151"><name>SMBv1 Enabled - Active Check</name></nvt>
  <threat>Log</threat><severity>0.0</severity>
  <description>SMBv1 is enabled for the SMB Server</description>
</result>
<result id="a3"><name>SSL/TLS: Deprecated SSLv2 and SSLv3 Protocol Detection</name>
  <host>192.0.2.10<hostname>www.example.org</hostname></host>
  <port>8443/tcp</port>
  <nvt oid="1.3.6.1.4.1.25623.1.0.111012"><name>SSL/TLS: Deprecated SSLv2 and SSLv3 Protocol
    Detection</name><refs><ref type="cve" id="CVE-2014-3566"/></refs></nvt>
  <threat>Medium</threat><severity>5.9</severity><original_threat>High</original_threat>
  <description>In addition to TLSv1.0+ the service is also providing the deprecated SSLv2
    and SSLv3 protocols and supports one or more ciphers.</description>
  <overrides><override id="o1"><nvt oid="1.3.6.1.4.1.25623.1.0.999999"><name>x</name></nvt>
    <new_threat>Medium</new_threat></override></overrides>
</result>
<result id="a4"><name>Services</name>
  <host>192.0.2.11</host><port>general/tcp</port>
  <nvt oid="1.3.6.1.4.1.25623.1.0.10330"><name>Services</name></nvt>
  <threat>Log</threat><severity>0.0</severity><description>A web server runs here.</description>
</result>
<result id="a5"><name>Some check</name>
  <host>192.0.2.11</host><port>22/tcp</port>
  <nvt oid="1.3.6.1.4.1.25623.1.0.1"><name>Some check</name></nvt>
  <threat>False Positive</threat><severity>-1.0</severity>
</result>
<result id="a6"><name>Unrated check</name>
  <host>192.0.2.11</host><port>161/udp</port>
  <nvt oid="1.3.6.1.4.1.25623.1.0.2"><name>Unrated check</name></nvt>
  <threat></threat>
</result>
</results>
<host><ip>192.0.2.10</ip><detail><name>hostname</name><value>www.example.org</value></detail>
</host>
</report></report></get_reports_response>
"""


def test_gmp_response_wrapper_log_results_and_overrides() -> None:
    info, items = read_bytes(GMP_RESPONSE)
    assert info.tool_version == "GMP 22.4"
    assert info.scanned_at == datetime(2024, 5, 2, 8, 0, tzinfo=UTC)
    assert info.targets == {"www.example.org", "192.0.2.11"}
    assert info.notes == {"Greenbone result marked False Positive (not a finding)": 1}
    found = {(o.check, o.status, o.severity, o.location) for o in items}
    assert found == {
        ("web.hsts.missing", Status.FAIL, Severity.MEDIUM, "https://www.example.org/"),
        ("net.smb.v1", Status.FAIL, Severity.CRITICAL, "192.0.2.10:445"),
        ("tls.protocol.sslv2", Status.FAIL, Severity.CRITICAL, "www.example.org:8443"),
        ("tls.protocol.sslv3", Status.FAIL, Severity.HIGH, "www.example.org:8443"),
        ("openvas.1.3.6.1.4.1.25623.1.0.10330", Status.FAIL, Severity.INFO, "192.0.2.11"),
        ("openvas.1.3.6.1.4.1.25623.1.0.2", Status.FAIL, Severity.INFO, "192.0.2.11:161"),
    }
    assert one(items, "net.smb.v1").references == (
        "CVE-2017-0144",
        "CVE-2017-0145",
        "CVE-2017-0143",
        "MS17-010",
    )
    assert one(items, "web.hsts.missing").fix == "Set the header."
    sslv2 = one(items, "tls.protocol.sslv2")
    assert sslv2.title == "SSL/TLS: Deprecated SSLv2 and SSLv3 Protocol Detection"
    assert sslv2.evidence.startswith("OpenVAS Medium (severity 5.9, overridden from High): ")
    assert sslv2.references == ("CVE-2014-3566",)
    assert one(items, "openvas.1.3.6.1.4.1.25623.1.0.2").evidence == (
        "(no severity given: recorded as info) OpenVAS unrated"
    )


# -- CSV -------------------------------------------------------------------------------------


def test_many_vuln_csv() -> None:
    info, items = read(REAL / "many_vuln.csv", "openvas-csv")
    assert info.targets == {"LOGSRV"}
    assert info.scanned_at == datetime(2021, 5, 26, 20, 50, 18, tzinfo=UTC)
    found = {(o.check, o.severity, o.location) for o in items}
    assert found == {
        ("openvas." + PREFIX + "80091", Severity.LOW, "192.168.118.212"),
        ("openvas." + PREFIX + "106223", Severity.MEDIUM, "192.168.118.212:9200"),
        ("tls.protocol.tls11", Severity.MEDIUM, "LOGSRV:9200"),
        ("openvas." + PREFIX + "103240", Severity.CRITICAL, "192.168.118.212:9200"),
    }
    assert one(items, "tls.protocol.tls11").references == ("CVE-2011-3389", "CVE-2015-0204")
    timestamps = one(items, "openvas." + PREFIX + "80091")
    assert timestamps.title == "TCP timestamps"
    assert timestamps.fix.startswith("To disable TCP timestamps on linux add the line")


def test_one_vuln_csv() -> None:
    _, items = read(REAL / "one_vuln.csv", "openvas-csv")
    (ssh,) = items
    assert ssh.check == "openvas." + PREFIX + "105611"
    assert (ssh.status, ssh.severity, ssh.location) == (Status.FAIL, Severity.MEDIUM, "10.0.0.8:22")
    assert ssh.title == "SSH Weak Encryption Algorithms Supported"
    assert "aes128-cbc" in ssh.evidence
    assert ssh.fix == "Disable the weak encryption algorithms."


def test_cve_scanner_csv_locates_the_product_port() -> None:
    info, items = read(REAL / "report_using_CVE.csv", "openvas-csv")
    assert len(items) == 43
    assert info.targets == {"45.33.32.156"}
    assert Counter(o.severity for o in items) == {
        Severity.CRITICAL: 8,
        Severity.HIGH: 13,
        Severity.MEDIUM: 22,
    }
    first = one(items, "openvas.cve-2021-26690")
    assert first.rule == "CVE-2021-26690"
    assert first.location == "45.33.32.156:80"  # "The product was found at: 80/tcp."
    assert first.references == ("CVE-2021-26690",)
    assert first.severity is Severity.HIGH  # CVSS 7.5
    assert one(items, "openvas.cve-2021-26691").severity is Severity.CRITICAL  # 9.8


def test_log_results_are_findings_at_severity_info() -> None:
    _, items = read(REAL / "report_using_openVAS.csv", "openvas-csv")
    assert len(items) == 13
    assert Counter(o.status for o in items) == {Status.FAIL: 13}
    (timestamps,) = [o for o in items if o.severity is not Severity.INFO]
    assert (timestamps.rule, timestamps.severity) == (PREFIX + "80091", Severity.LOW)
    headers = one(items, "openvas." + PREFIX + "112081")
    assert headers.location == "45.33.32.156:80"
    assert headers.severity is Severity.INFO


def test_no_vuln_csv_is_an_empty_report() -> None:
    _, items = read(REAL / "no_vuln.csv", "openvas-csv")
    assert items == []


# -- detection and errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("many_vuln.xml", "openvas-xml"),
        ("one_vuln.xml", "openvas-xml"),
        ("no_vuln.xml", "openvas-xml"),
        ("many_vuln.csv", "openvas-csv"),
        ("one_vuln.csv", "openvas-csv"),
        ("no_vuln.csv", "openvas-csv"),
        ("report_using_CVE.csv", "openvas-csv"),
        ("report_using_openVAS.csv", "openvas-csv"),
    ],
)
def test_detection(name: str, fmt: str) -> None:
    head = (REAL / name).read_bytes()[:65536]
    assert detect(head, name).name == fmt
    spec = next(s for s in openvas.SPECS if s.name == fmt)
    assert spec.sniff(head)


def test_detection_of_the_gmp_response_and_not_of_other_reports() -> None:
    assert detect(GMP_RESPONSE).name == "openvas-xml"
    assert not openvas.sniff_xml(b'<?xml version="1.0"?><report><item/></report>')
    assert not openvas.sniff_csv(b"Plugin ID,CVE,CVSS,Risk,Host,Protocol,Port\n")


def test_parsing_twice_gives_the_same_observations() -> None:
    path = REAL / "many_vuln.xml"
    assert read(path, "openvas-xml")[1] == read(path, "openvas-xml")[1]


def test_a_truncated_report_is_an_error_with_a_line_number() -> None:
    data = (REAL / "many_vuln.xml").read_bytes()
    with pytest.raises(ReportError) as caught:
        read_bytes(data[: len(data) * 2 // 3])
    assert caught.value.where.startswith("line ")


def test_entities_are_refused() -> None:
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE report [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<report id="x" format_id="y"><results><result><host>&b;</host></result></results></report>"""
    with pytest.raises(ReportError, match="refuses them"):
        read_bytes(bomb)


def test_structural_errors() -> None:
    with pytest.raises(ReportError, match=r"<NessusClientData_v2>, not a Greenbone <report>"):
        read_bytes(b"<NessusClientData_v2/>")
    no_host = b"""<report id="x" format_id="y"><report><gmp><version>9.0</version></gmp>
<results><result id="1"><port>22/tcp</port><nvt oid="1.2"/></result></results>
</report></report>"""
    with pytest.raises(ReportError) as caught:
        read_bytes(no_host)
    assert caught.value.where == "result 1"
    with pytest.raises(ReportError, match="missing columns: NVT OID, Severity"):
        read_bytes(b"IP,Hostname,Port,Port Protocol,CVSS\n1.2.3.4,,22,tcp,5.0\n", "openvas-csv")
    header = (REAL / "no_vuln.csv").read_bytes()
    with pytest.raises(ReportError) as caught:
        read_bytes(header + b",,22,tcp,5.0,Medium\n", "openvas-csv")
    assert caught.value.where == "line 2"
