"""Nessus ``.nessus`` (NessusClientData_v2): real reports (DefectDojo's samples).

``MAPPED`` below is written by hand following the NessusClientData_v2 layout (``Report`` →
``ReportHost`` → ``HostProperties`` + ``ReportItem``), with plugin ids, names and outputs as
Tenable's plugins write them, to cover the plugins that map to catalog checks, which the real
samples lack. Every other expectation comes from reading the real samples.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rempart.engine.model import Observation, Severity, Status
from rempart.importers import ReportError, ReportInfo, detect, read_path, read_report
from rempart.importers.formats import nessus

REAL = Path(__file__).resolve().parent.parent / "data" / "reports" / "tenable"


def read(path: Path) -> tuple[ReportInfo, list[Observation]]:
    info, items = read_path(path, format="nessus-xml")
    assert all(isinstance(i, Observation) for i in items)
    return info, [i for i in items if isinstance(i, Observation)]


def read_bytes(data: bytes) -> tuple[ReportInfo, list[Observation]]:
    info = ReportInfo(name="inline.nessus")
    items = list(read_report(io.BytesIO(data), info, format="nessus-xml"))
    return info, [i for i in items if isinstance(i, Observation)]


def test_internal_network_scan() -> None:
    info, items = read(REAL / "nessus_v_unknown.xml")
    assert info.tool_version == "5.2.1"  # from plugin 19506's output
    assert info.scanned_at == datetime(2013, 7, 1, 11, 33, 11, tzinfo=UTC)
    assert info.targets == {f"qa3app0{n}" for n in (1, 2, 3, 4, 5, 6, 9)}
    assert len(items) == 296  # one per ReportItem
    assert Counter((o.status, o.severity) for o in items) == {
        (Status.FAIL, Severity.INFO): 245,
        (Status.FAIL, Severity.LOW): 7,
        (Status.FAIL, Severity.MEDIUM): 23,
        (Status.FAIL, Severity.HIGH): 21,  # open RDP and SMB ports seen by the SYN scanner
    }
    host = [o for o in items if o.target == "qa3app09"]
    exposed = sorted((o.check, o.location) for o in host if o.check.startswith("net."))
    assert exposed == [
        ("net.exposed.rdp", "10.31.112.29:3389"),
        ("net.exposed.smb", "10.31.112.29:139"),
        ("net.exposed.smb", "10.31.112.29:445"),
    ]
    rdp = next(o for o in host if o.check == "net.exposed.rdp")
    assert rdp.rule == "11219"
    assert (
        rdp.evidence == "Nessus None (severity 0) on 3389/tcp: Port 3389/tcp was found to be open"
    )
    mitm = next(o for o in host if o.check == "nessus.18405")
    assert (mitm.status, mitm.severity, mitm.location) == (
        Status.FAIL,
        Severity.MEDIUM,
        "10.31.112.29:3389",
    )
    assert mitm.references[0] == "CVE-2005-1794"
    assert mitm.title.startswith("Microsoft Windows Remote Desktop Protocol Server Man-in-the-")
    assert mitm.evidence.startswith("Nessus Medium (severity 2, CVSS v2 5.1) on 3389/tcp: ")
    signing = next(o for o in host if o.check == "nessus.57608")
    assert (signing.location, signing.title) == ("10.31.112.29:445", "SMB Signing Disabled")
    # Open ports that are not risky are findings at severity info; general items sit at the address.
    http_port = next(o for o in host if o.check == "nessus.11219" and o.location.endswith(":80"))
    assert http_port.status is Status.FAIL
    scan_info = next(o for o in host if o.check == "nessus.19506")
    assert (scan_info.location, scan_info.fix) == ("10.31.112.29", "")  # solution "n/a"


def test_web_application_scan() -> None:
    info, items = read(REAL / "nessus_was_one_vuln.xml")
    assert info.targets == {"google.com"}
    assert info.scanned_at == datetime(2021, 3, 12, 12, 34, 30, 120310, tzinfo=UTC)
    (xss,) = items
    assert xss.check == "nessus.98104"
    assert (xss.status, xss.severity) == (Status.FAIL, Severity.HIGH)
    assert xss.location == "http://google.com/"  # the application's origin
    assert xss.title == "Cross-Site Scripting (XSS)"
    assert xss.references == (
        "CWE-79",
        "http://projects.webappsec.org/w/page/13246920/Cross%20Site%20Scripting",
        "https://www.owasp.org/index.php/XSS_%28Cross_Site_Scripting%29_Prevention_Cheat_Sheet",
    )
    assert xss.evidence.startswith("Nessus high (severity 3, CVSS v3 7.1) on 80/tcp: ")
    assert "http://google.com/search.jsp" in xss.evidence


def test_empty_web_application_scan() -> None:
    info, items = read(REAL / "nessus_was_no_vuln.xml")
    assert items == []
    assert info.targets == {"google.com"}


MAPPED = b"""<?xml version="1.0" ?>
<NessusClientData_v2><Policy><policyName>Basic</policyName></Policy>
<Report name="lab" xmlns:cm="http://www.nessus.org/cm">
<ReportHost name="198.51.100.7"><HostProperties>
<tag name="HOST_END_TIMESTAMP">1714640000</tag>
<tag name="host-ip">198.51.100.7</tag><tag name="host-fqdn">files.example.org</tag>
<tag name="HOST_START_TIMESTAMP">1714636800</tag>
</HostProperties>
<ReportItem port="443" svc_name="www" protocol="tcp" severity="3" pluginID="20007"
 pluginName="SSL Version 2 and 3 Protocol Detection" pluginFamily="Service detection">
<plugin_output>
- SSLv2 is enabled and the server supports at least one cipher.
- SSLv3 is enabled and the server supports at least one cipher.
</plugin_output><cve>CVE-2014-3566</cve><risk_factor>High</risk_factor></ReportItem>
<ReportItem port="443" svc_name="www" protocol="tcp" severity="2" pluginID="51192"
 pluginName="SSL Certificate Cannot Be Trusted" pluginFamily="General">
<plugin_output>The following certificate was at the top of the certificate chain.</plugin_output>
<solution>Purchase or generate a proper SSL certificate for this service.</solution>
</ReportItem>
<ReportItem port="443" svc_name="www" protocol="tcp" severity="2" pluginID="57582"
 pluginName="SSL Self-Signed Certificate" pluginFamily="General">
<plugin_output>The following certificate was found at the top of the chain : CN=files
</plugin_output>
</ReportItem>
<ReportItem port="445" svc_name="cifs" protocol="tcp" severity="0" pluginID="96982"
 pluginName="Server Message Block (SMB) Protocol Version 1 Enabled (uncredentialed check)"
 pluginFamily="Windows"><synopsis>The remote Windows host supports the SMBv1 protocol.</synopsis>
</ReportItem>
<ReportItem port="21" svc_name="ftp" protocol="tcp" severity="2" pluginID="10079"
 pluginName="Anonymous FTP Enabled" pluginFamily="FTP"><cve>CVE-1999-0497</cve>
<cvss3_base_score>5.3</cvss3_base_score></ReportItem>
<ReportItem port="8443" svc_name="www" protocol="tcp" severity="4" pluginID="73412"
 pluginName="OpenSSL Heartbeat Information Disclosure (Heartbleed)" pluginFamily="Misc.">
<cve>CVE-2014-0160</cve></ReportItem>
<ReportItem port="0" svc_name="general" protocol="tcp" severity="4" pluginID="171860"
 pluginName="Unsupported Windows OS" pluginFamily="Windows"><risk_factor>Critical</risk_factor>
</ReportItem>
<ReportItem port="0" svc_name="general" protocol="tcp" severity="1" pluginID="21156"
 pluginName="Windows Compliance Checks" pluginFamily="Policy Compliance">
<cm:compliance-check-name>1.1.1 Enforce password history</cm:compliance-check-name>
<cm:compliance-result>FAILED</cm:compliance-result></ReportItem>
</ReportHost></Report></NessusClientData_v2>
"""


def test_plugins_that_map_to_catalog_checks() -> None:
    info, items = read_bytes(MAPPED)
    assert info.targets == {"files.example.org"}
    assert info.scanned_at == datetime(2024, 5, 2, 8, 0, tzinfo=UTC)
    assert info.notes == {"Nessus compliance (audit) result not imported": 1}
    found = {(o.check, o.status, o.severity, o.location, o.rule) for o in items}
    assert found == {
        ("tls.protocol.sslv2", Status.FAIL, Severity.CRITICAL, "files.example.org:443", "20007"),
        ("tls.protocol.sslv3", Status.FAIL, Severity.HIGH, "files.example.org:443", "20007"),
        # two plugins, one problem on one port: one finding
        ("tls.cert.untrusted", Status.FAIL, Severity.HIGH, "files.example.org:443", "51192+57582"),
        ("net.smb.v1", Status.FAIL, Severity.CRITICAL, "198.51.100.7:445", "96982"),
        ("net.ftp.anonymous", Status.FAIL, Severity.HIGH, "198.51.100.7:21", "10079"),
        ("tls.vuln.heartbleed", Status.FAIL, Severity.CRITICAL, "files.example.org:8443", "73412"),
        ("nessus.171860", Status.FAIL, Severity.CRITICAL, "198.51.100.7", "171860"),
    }
    untrusted = next(o for o in items if o.check == "tls.cert.untrusted")
    assert untrusted.title == "SSL Certificate Cannot Be Trusted / SSL Self-Signed Certificate"
    assert untrusted.fix == "Purchase or generate a proper SSL certificate for this service."
    assert "CN=files" in untrusted.evidence
    smb = next(o for o in items if o.check == "net.smb.v1")
    assert "CVE-2017-0144" in smb.references
    assert smb.evidence == (
        "Nessus None (severity 0) on 445/tcp: The remote Windows host supports the SMBv1 protocol."
    )
    ftp = next(o for o in items if o.check == "net.ftp.anonymous")
    assert ftp.references == ("CVE-1999-0497",)
    assert ftp.evidence == "Nessus None (severity 2, CVSS v3 5.3) on 21/tcp"


def test_parsing_twice_gives_the_same_observations() -> None:
    path = REAL / "nessus_v_unknown.xml"
    assert read(path)[1] == read(path)[1]


@pytest.mark.parametrize("path", sorted(REAL.glob("*.xml")), ids=lambda p: p.name)
def test_detection(path: Path) -> None:
    head = path.read_bytes()[:65536]
    assert nessus.SPEC.sniff(head)
    assert detect(head, path.name).name == "nessus-xml"


def test_errors() -> None:
    data = (REAL / "nessus_v_unknown.xml").read_bytes()
    with pytest.raises(ReportError) as caught:
        read_bytes(data[: len(data) // 3])
    assert caught.value.where.startswith("line ")
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE NessusClientData_v2 [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>
<NessusClientData_v2><Report><ReportHost name="&b;"/></Report></NessusClientData_v2>"""
    with pytest.raises(ReportError, match="refuses them"):
        read_bytes(bomb)
    with pytest.raises(ReportError, match="the old v1 format is not supported"):
        read_bytes(b"<NessusClientData><Report/></NessusClientData>")
    with pytest.raises(ReportError) as caught:
        read_bytes(b"<NessusClientData_v2><Report><ReportHost/></Report></NessusClientData_v2>")
    assert caught.value.where == "host #1"
