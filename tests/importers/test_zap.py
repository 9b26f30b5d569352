"""OWASP ZAP: real XML reports (DefectDojo's samples) and a JSON report written by hand.

``tests/data/reports-handmade/zap/0_zap_sample.json`` is written by hand following ZAP's
"Traditional JSON Report" layout and mirrors the real ``0_zap_sample.xml`` (its README says
so). ``HEADERS_XML`` and the small JSON documents below are also hand-written, following the
Traditional XML/JSON report layouts, to cover the header alerts that map to catalog checks,
which the real samples lack. Every other expectation comes from reading the real samples.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rempart.engine.model import Observation, Severity, Status
from rempart.importers import ReportError, ReportInfo, detect, read_path, read_report
from rempart.importers.formats import zap

DATA = Path(__file__).resolve().parent.parent / "data"
REAL = DATA / "reports" / "zap"
HANDMADE = DATA / "reports-handmade" / "zap"


def read(path: Path, fmt: str = "zap-xml") -> tuple[ReportInfo, list[Observation]]:
    info, items = read_path(path, format=fmt)
    assert all(isinstance(i, Observation) for i in items)
    return info, [i for i in items if isinstance(i, Observation)]


def read_bytes(data: bytes, fmt: str = "zap-xml") -> tuple[ReportInfo, list[Observation]]:
    info = ReportInfo(name="inline")
    items = list(read_report(io.BytesIO(data), info, format=fmt))
    return info, [i for i in items if isinstance(i, Observation)]


def one(items: list[Observation], check: str) -> Observation:
    (found,) = [o for o in items if o.check == check]
    return found


def test_zap_sample_xml() -> None:
    info, items = read(REAL / "0_zap_sample.xml")
    assert info.tool_version == "2.9.0"
    assert info.scanned_at == datetime(2020, 5, 12, 20, 57, 30, tzinfo=UTC)
    assert info.targets == {"mainsite.com"}
    assert {(o.check, o.status, o.severity) for o in items} == {
        ("web.cookie.insecure", Status.FAIL, Severity.MEDIUM),  # catalog severity, ZAP says Low
        ("zap.10054", Status.FAIL, Severity.LOW),  # SameSite: not the catalog's definition
        ("zap.10055", Status.FAIL, Severity.MEDIUM),
        ("zap.10096", Status.FAIL, Severity.LOW),
    }
    assert {o.location for o in items} == {"https://mainsite.com/"}
    assert all(o.target == "mainsite.com" and o.source == "zap" for o in items)
    cookie = one(items, "web.cookie.insecure")
    assert cookie.rule == "10011"
    assert cookie.title == "Cookie Without Secure Flag"  # <name>, not the edited <alert>
    assert cookie.references == (
        "CWE-614",
        "http://www.owasp.org/index.php/Testing_for_cookies_attributes_(OWASP-SM-002)",
    )
    assert cookie.evidence == (
        "ZAP 10011 Cookie Without Secure Flag (risk Low, confidence Medium): 3 instances: "
        "GET https://mainsite.com/dashboard [opvc] Set-Cookie: opvc; "
        "GET https://mainsite.com/dashboard [dmid] Set-Cookie: dmid; "
        "GET https://mainsite.com [sitevisitscookie] Set-Cookie: sitevisitscookie"
    )
    assert cookie.fix.startswith("Whenever a cookie contains sensitive information")
    csp = one(items, "zap.10055")
    assert csp.references == (
        "CWE-16",
        "http://www.w3.org/TR/CSP2/",
        "http://www.w3.org/TR/CSP/",
        "http://caniuse.com/#search=content+security+policy",
    )
    assert csp.title == "CSP Scanner: Wildcard Directive"


def test_the_handmade_json_gives_the_same_findings_as_the_xml() -> None:
    xml_info, from_xml = read(REAL / "0_zap_sample.xml")
    json_info, from_json = read(HANDMADE / "0_zap_sample.json", "zap-json")
    assert sorted(from_json, key=repr) == sorted(from_xml, key=repr)
    assert json_info.targets == xml_info.targets
    assert json_info.scanned_at == xml_info.scanned_at
    assert json_info.tool_version == "2.10.0"


def test_a_json_report_with_a_byte_order_mark_reads_like_one_without() -> None:
    data = (HANDMADE / "0_zap_sample.json").read_bytes()
    with_bom = b"\xef\xbb\xbf" + data
    assert detect(with_bom).name == "zap-json"
    assert read_bytes(with_bom, "zap-json")[1] == read_bytes(data, "zap-json")[1]


def test_empty_report_has_a_target_and_no_finding() -> None:
    info, items = read(REAL / "empty_2.9.0.xml")
    assert items == []
    assert info.targets == {"isaac.nl"}


def test_juice_shop_report() -> None:
    info, items = read(REAL / "juicy2.xml")
    assert info.tool_version == "2.10.0"
    assert Counter((o.status, o.severity) for o in items) == {
        (Status.FAIL, Severity.LOW): 2,
        (Status.FAIL, Severity.MEDIUM): 2,
        (Status.FAIL, Severity.INFO): 2,  # 10027 and 10096: risk Informational
    }
    cache = one(items, "zap.10015")
    assert cache.title == "Incomplete or No Cache-control Header Set"
    assert cache.location == "https://juice-shop.herokuapp.com/"
    # ZAP counted 78 instances and listed 20; ten are shown.
    assert cache.evidence.startswith("ZAP 10015 (risk Low, confidence Medium): 78 instances: GET ")
    assert cache.evidence.endswith("; and 68 more")
    assert cache.references == (
        "CWE-525",
        "https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html"
        "#web-content-caching",
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Cache-Control",
    )
    assert one(items, "zap.10098").title == "Cross-Domain Misconfiguration"


def test_zap_2_16_report_with_requests_and_responses() -> None:
    info, items = read(REAL / "zap_2.16.1_with_req_resp.xml")
    assert info.tool_version == "2.16.1"
    assert info.scanned_at == datetime(2025, 6, 22, 4, 4, 14, tzinfo=UTC)
    assert sorted(o.check for o in items) == ["zap.10015", "zap.10024", "zap.10029", "zap.10111"]
    assert all(o.status is Status.FAIL and o.severity is Severity.INFO for o in items)
    auth = one(items, "zap.10111")
    assert auth.evidence == (
        "ZAP 10111 (risk Informational, confidence Low): 1 instance: "
        "POST https://example-domain.com/cpapi/api/account/verifypasswordless "
        "[user_identifier] passwordless_code"
    )
    # cweid -1: no CWE; the reference URL only
    assert auth.references == (
        "https://www.zaproxy.org/docs/desktop/addons/authentication-helper/auth-req-id/",
    )


HEADERS_XML = b"""<?xml version="1.0"?>
<OWASPZAPReport programName="ZAP" version="2.15.0" generated="Mon, 6 May 2024 10:00:00">
<site name="http://shop.example:8080" host="shop.example" port="8080" ssl="false"><alerts>
<alertitem><pluginid>10035</pluginid><alertRef>10035-1</alertRef>
 <name>Strict-Transport-Security Header Not Set</name><riskcode>1</riskcode>
 <confidence>3</confidence><instances><instance><uri>http://shop.example:8080/</uri>
 <method>GET</method></instance></instances><count>1</count><cweid>319</cweid></alertitem>
<alertitem><pluginid>10035</pluginid><alertRef>10035-3</alertRef>
 <name>Strict-Transport-Security Multiple Header Entries (Non-compliant with Spec)</name>
 <riskcode>1</riskcode><confidence>3</confidence><count>1</count></alertitem>
<alertitem><pluginid>10038</pluginid><alertRef>10038-1</alertRef>
 <name>Content Security Policy (CSP) Header Not Set</name><riskcode>2</riskcode>
 <confidence>3</confidence><count>4</count></alertitem>
<alertitem><pluginid>10020</pluginid><alertRef>10020-1</alertRef>
 <name>Missing Anti-clickjacking Header</name><riskcode>2</riskcode><confidence>2</confidence>
 <count>2</count></alertitem>
<alertitem><pluginid>10021</pluginid><alertRef>10021</alertRef>
 <name>X-Content-Type-Options Header Missing</name><riskcode>1</riskcode>
 <confidence>2</confidence><count>9</count></alertitem>
<alertitem><pluginid>10036</pluginid><alertRef>10036</alertRef>
 <name>Server Leaks Version Information via "Server" HTTP Response Header Field</name>
 <riskcode>1</riskcode><confidence>3</confidence><instances><instance>
 <uri>http://shop.example:8080/</uri><method>GET</method><evidence>nginx/1.18.0</evidence>
 </instance></instances><count>1</count></alertitem>
<alertitem><pluginid>10037</pluginid><alertRef>10037</alertRef>
 <name>Server Leaks Information via "X-Powered-By" HTTP Response Header Field(s)</name>
 <riskcode>1</riskcode><confidence>2</confidence><instances><instance>
 <uri>http://shop.example:8080/</uri><method>GET</method>
 <evidence>X-Powered-By: PHP/8.1.2</evidence>
 </instance></instances><count>1</count></alertitem>
<alertitem><pluginid>10010</pluginid><alertRef>10010</alertRef>
 <name>Cookie No HttpOnly Flag</name><riskcode>1</riskcode><confidence>2</confidence>
 <instances><instance><uri>http://shop.example:8080/</uri><method>GET</method>
 <param>PHPSESSID</param><evidence>Set-Cookie: PHPSESSID</evidence></instance></instances>
 <count>1</count><cweid>1004</cweid></alertitem>
<alertitem><pluginid>10011</pluginid><alertRef>10011</alertRef>
 <name>Cookie Without Secure Flag</name><riskcode>1</riskcode><confidence>2</confidence>
 <count>1</count><cweid>614</cweid></alertitem>
<alertitem><pluginid>40012</pluginid><alertRef>40012</alertRef>
 <name>Cross Site Scripting (Reflected)</name><riskcode>3</riskcode><confidence>0</confidence>
 <count>1</count></alertitem>
</alerts></site>
<site name="https://legacy.example" host="legacy.example" port="443" ssl="true"><alerts>
<alertitem><pluginid>10020</pluginid><alert>X-Frame-Options Header Not Set</alert>
 <riskcode>2</riskcode><confidence>2</confidence></alertitem>
<alertitem><pluginid>10020</pluginid><name>Multiple X-Frame-Options Header Entries</name>
 <riskcode>2</riskcode><confidence>2</confidence></alertitem>
<alertitem><pluginid>10037</pluginid><name>Server Leaks Information via "X-Powered-By"</name>
 <riskcode>1</riskcode><confidence>2</confidence><instances><instance><uri>https://legacy.example/</uri>
 <evidence>X-Powered-By: Express</evidence></instance></instances></alertitem>
</alerts></site>
</OWASPZAPReport>
"""


def test_header_alerts_become_catalog_checks() -> None:
    info, items = read_bytes(HEADERS_XML)
    assert info.targets == {"shop.example", "legacy.example"}
    assert info.notes == {"ZAP alert marked False Positive (not imported)": 1}
    found = {(o.check, o.location, o.rule, o.severity) for o in items}
    assert found == {
        ("web.hsts.missing", "http://shop.example:8080/", "10035-1", Severity.MEDIUM),
        ("zap.10035-3", "http://shop.example:8080/", "10035-3", Severity.LOW),
        ("web.csp.missing", "http://shop.example:8080/", "10038-1", Severity.LOW),
        ("web.frame.missing", "http://shop.example:8080/", "10020-1", Severity.LOW),
        ("web.xcto.missing", "http://shop.example:8080/", "10021", Severity.LOW),
        ("web.server_version", "http://shop.example:8080/", "10036+10037", Severity.LOW),
        ("web.cookie.insecure", "http://shop.example:8080/", "10010+10011", Severity.MEDIUM),
        # before alertRef (ZAP < 2.10) the name tells the missing header from the others
        ("web.frame.missing", "https://legacy.example/", "10020", Severity.LOW),
        ("zap.10020", "https://legacy.example/", "10020", Severity.MEDIUM),
        # X-Powered-By without a version is not a disclosed version
        ("zap.10037", "https://legacy.example/", "10037", Severity.LOW),
    }
    cookies = next(o for o in items if o.check == "web.cookie.insecure")
    assert cookies.references == ("CWE-1004", "CWE-614")
    assert cookies.title == "Cookie No HttpOnly Flag / Cookie Without Secure Flag"
    assert cookies.evidence == (
        "ZAP 10010 Cookie No HttpOnly Flag (risk Low, confidence Medium): 1 instance: "
        "GET http://shop.example:8080/ [PHPSESSID] Set-Cookie: PHPSESSID; "
        "ZAP 10011 Cookie Without Secure Flag (risk Low, confidence Medium): 1 instance"
    )
    version = next(o for o in items if o.check == "web.server_version")
    assert "nginx/1.18.0" in version.evidence
    assert "X-Powered-By: PHP/8.1.2" in version.evidence


def test_json_keys_in_any_order_and_instances_capped() -> None:
    instances = [{"uri": f"https://a.example/p{n}", "method": "GET"} for n in range(25)]
    document = {
        "@programName": "ZAP",
        "site": [
            {
                "alerts": [
                    {
                        "pluginid": "10202",
                        "alertRef": "10202",
                        "name": "Absence of Anti-CSRF Tokens",
                        "riskcode": "1",
                        "confidence": "1",
                        "instances": instances,
                        "count": "25",
                        "cweid": "352",
                        "extra": {"nested": [1, 2]},
                    }
                ],
                "@name": "https://a.example",
                "@host": "a.example",
                "@port": "443",
                "@ssl": "true",
            }
        ],
        "@version": "2.14.0",
        "@generated": "Thu, 1 Feb 2024 09:30:00",
    }
    info, items = read_bytes(json.dumps(document).encode(), "zap-json")
    assert info.tool_version == "2.14.0"
    (csrf,) = items
    assert (csrf.check, csrf.location, csrf.severity) == (
        "zap.10202",
        "https://a.example/",
        Severity.LOW,
    )
    assert csrf.references == ("CWE-352",)
    assert csrf.evidence.count("GET https://a.example/p") == 10
    assert csrf.evidence.endswith("GET https://a.example/p9; and 15 more")


def test_parsing_twice_gives_the_same_observations() -> None:
    assert read(REAL / "juicy2.xml")[1] == read(REAL / "juicy2.xml")[1]


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        *((p, "zap-xml") for p in sorted(REAL.glob("*.xml"))),
        (HANDMADE / "0_zap_sample.json", "zap-json"),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_detection(path: Path, fmt: str) -> None:
    head = path.read_bytes()[:65536]
    assert detect(head, path.name).name == fmt
    assert next(s for s in zap.SPECS if s.name == fmt).sniff(head)


def test_errors() -> None:
    data = (REAL / "juicy2.xml").read_bytes()
    with pytest.raises(ReportError) as caught:
        read_bytes(data[: len(data) // 2])
    assert caught.value.where.startswith("line ")
    document = (HANDMADE / "0_zap_sample.json").read_bytes()
    with pytest.raises(ReportError, match="JSON is malformed or truncated"):
        read_bytes(document[: len(document) // 2], "zap-json")
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE OWASPZAPReport [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>
<OWASPZAPReport version="2.9.0"><site name="&b;"/></OWASPZAPReport>"""
    with pytest.raises(ReportError, match="refuses them"):
        read_bytes(bomb)
    with pytest.raises(ReportError, match=r"<nmaprun>, not ZAP's <OWASPZAPReport>"):
        read_bytes(b"<nmaprun/>")
    with pytest.raises(ReportError, match="no ZAP report keys"):
        read_bytes(b'{"runs": []}', "zap-json")
    with pytest.raises(ReportError, match="neither a name nor a host"):
        read_bytes(b'<OWASPZAPReport version="2.9.0"><site port="80"/></OWASPZAPReport>')
