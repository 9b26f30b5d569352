"""``feeds.update`` against a local HTTP server on 127.0.0.1 (never the internet), then
``Intel.load`` on the folder it wrote.

The KEV documents are the real shipped catalog, minus or plus one entry; the OSV, NVD and EPSS
files are the hand-written samples of tests/intel/data (see its README).
"""

from __future__ import annotations

import copy
import gzip
import json
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from rempart.intel import feeds
from rempart.intel.feeds import FeedUpdate, update
from rempart.intel.model import Component
from rempart.intel.store import Intel

from .conftest import DATA, Route, Server, sample_records

KEV = json.loads(resources.files("rempart.engine.data").joinpath("kev.json").read_bytes())
NEW_ENTRY = {
    "cveID": "CVE-2030-12345",
    "vendorProject": "Example",
    "product": "Widget",
    "vulnerabilityName": "Example Widget Remote Code Execution",
    "dateAdded": "2030-01-02",
    "shortDescription": "Synthetic entry for the update test.",
    "requiredAction": "Apply updates.",
    "dueDate": "2030-01-23",
    "knownRansomwareCampaignUse": "Known",
    "notes": "",
    "cwes": [],
}


def kev_document(version: str, *, extra: bool) -> bytes:
    document = copy.deepcopy(KEV)
    document["catalogVersion"] = version
    if extra:
        document["vulnerabilities"].insert(0, NEW_ENTRY)
    document["count"] = len(document["vulnerabilities"])
    return json.dumps(document).encode()


def only(results: list[FeedUpdate], name: str) -> FeedUpdate:
    (found,) = [r for r in results if r.name == name]
    return found


def test_a_new_kev_entry_is_reported_and_loaded(tmp_path: Path, http_server: Server) -> None:
    url = http_server.serve("/kev.json", kev_document("2030.01.02", extra=True))
    (result,) = update(tmp_path, ["kev"], urls={"kev": url})
    assert result == FeedUpdate("kev", "2025.08.25", "2030.01.02", added_kev=("CVE-2030-12345",))
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["kev"]["version"] == "2030.01.02"
    assert manifest["kev"]["count"] == 1405
    assert len(manifest["kev"]["sha256"]) == 64
    intel = Intel.load(tmp_path)
    assert intel.cve("CVE-2030-12345").kev and intel.cve("CVE-2030-12345").ransomware
    assert intel.versions()["kev"].startswith("2030.01.02 (updated ")
    # The same catalog again adds nothing.
    (again,) = update(tmp_path, ["kev"], urls={"kev": url})
    assert (again.before, again.after, again.added_kev, again.error) == (
        "2030.01.02",
        "2030.01.02",
        (),
        "",
    )


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b'{"catalogVersion": "2030.02.01", "count": 1, "vulnerabilities": [{"cveID"', 200, "JSON"),
        (b"<html>maintenance</html>", 200, "JSON"),
        (b"not found", 404, "HTTP 404"),
    ],
)
def test_a_broken_kev_download_keeps_the_previous_catalog(
    tmp_path: Path, http_server: Server, body: bytes, status: int, reason: str
) -> None:
    good = http_server.serve("/good.json", kev_document("2030.01.02", extra=True))
    update(tmp_path, ["kev"], urls={"kev": good})
    before = (tmp_path / "kev.json").read_bytes()
    bad = http_server.serve("/bad.json", body, status)
    (result,) = update(tmp_path, ["kev"], urls={"kev": bad}, nvd_delay=0)
    assert result.error.startswith("kev: ") and reason in result.error
    assert result.error.endswith("the previous data is kept")
    assert (result.before, result.after, result.added_kev) == ("2030.01.02", "2030.01.02", ())
    assert (tmp_path / "kev.json").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".part-")] == []
    assert Intel.load(tmp_path).cve("CVE-2030-12345").kev


def test_a_download_above_its_size_limit_is_refused(tmp_path: Path, http_server: Server) -> None:
    url = http_server.serve("/kev.json", kev_document("2030.01.02", extra=False))
    (result,) = update(tmp_path, ["kev"], urls={"kev": url}, limits={"kev": 1000})
    assert "above 1,000" in result.error
    assert not (tmp_path / "kev.json").exists()
    assert Intel.load(tmp_path).versions()["kev"] == "2025.08.25 (snapshot)"


def test_osv_ecosystems_are_fetched_compacted_and_overlaid(
    tmp_path: Path, http_server: Server
) -> None:
    for ecosystem in ("npm", "Maven"):
        archive = tmp_path / f"{ecosystem}.zip"
        with zipfile.ZipFile(archive, "w") as packed:
            for record in sample_records():
                if record["affected"][0]["package"]["ecosystem"] == ecosystem:
                    packed.writestr(f"{record['id']}.json", json.dumps(record))
        http_server.serve(f"/{ecosystem}/all.zip", archive.read_bytes())
    feeds_dir = tmp_path / "feeds"
    results = update(
        feeds_dir,
        ["osv"],
        urls={"osv": http_server.url("/{ecosystem}/all.zip")},
        ecosystems=("npm", "Maven", "Go"),
    )
    assert [(r.name, r.after, "HTTP 404" in r.error) for r in results] == [
        ("osv:npm", "2024-01-01", False),
        ("osv:Maven", "2024-01-01", False),
        ("osv:Go", "", True),  # not served here
    ]
    manifest = json.loads((feeds_dir / "manifest.json").read_text())
    assert manifest["osv:npm"]["records"] == 2 and manifest["osv:npm"]["file"] == "osv-npm.jsonl.gz"
    intel = Intel.load(feeds_dir)
    log4j = Component("log4j-core", "2.14.1", purl="pkg:maven/org.apache.logging.log4j/log4j-core")
    (match,) = intel.match([log4j])
    assert (match.advisory, match.fixed) == ("GHSA-jfh8-c2jp-5v3q", ("2.15.0",))
    assert intel.cve("CVE-2021-44228").kev
    assert intel.cve("CVE-2021-44228").cvss == 10.0  # from the OSV record's vector
    assert intel.match([Component("jinja2", "2.10", purl="pkg:pypi/jinja2")])  # snapshot kept


def test_an_osv_feed_replaces_the_snapshots_records_of_its_ecosystem(
    tmp_path: Path, http_server: Server
) -> None:
    archive = tmp_path / "PyPI.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        record = json.loads((DATA / "osv/pypi-ghsa-jinja2.json").read_text())
        packed.writestr("GHSA-462w-v97r-4m45.json", json.dumps(record))
    http_server.serve("/PyPI/all.zip", archive.read_bytes())
    feeds_dir = tmp_path / "feeds"
    (result,) = update(
        feeds_dir,
        ["osv"],
        urls={"osv": http_server.url("/{ecosystem}/all.zip")},
        ecosystems=["PyPI"],
    )
    assert (result.before, result.after, result.error) == ("2024-10-10", "2024-01-01", "")
    found = Intel.load(feeds_dir).match([Component("django", "3.2.5", purl="pkg:pypi/django")])
    assert found == []  # the feed's PyPI records (one jinja2 advisory) replaced the snapshot's


def nvd_route(page: dict[str, Any], size: int) -> Route:
    def route(query: dict[str, list[str]]) -> tuple[int, bytes]:
        start = int(query.get("startIndex", ["0"])[0])
        items = page["vulnerabilities"][start : start + size]
        body = {**page, "startIndex": start, "resultsPerPage": len(items), "vulnerabilities": items}
        return 200, json.dumps(body).encode()

    return route


def test_nvd_pages_then_an_increment(tmp_path: Path, http_server: Server) -> None:
    page = json.loads((DATA / "nvd/cves-page.json").read_text())
    http_server.routes["/full"] = nvd_route(page, size=2)
    (first,) = update(
        tmp_path, ["nvd"], urls={"nvd": http_server.url("/full")}, nvd_delay=0, nvd_api_key="k"
    )
    assert first.error == "" and first.after.endswith("Z")
    starts = [q["startIndex"] for path, q, _ in http_server.requests if path == "/full"]
    assert starts == [["0"], ["2"]]  # two pages of two, the last holding the rejected CVE
    headers = [h for path, _, h in http_server.requests if path == "/full"]
    assert all(h.get("apiKey") == "k" for h in headers)
    intel = Intel.load(tmp_path)
    assert intel.cve("CVE-2024-6387").cvss == 8.1
    assert intel.cve("CVE-2024-6387").epss is None  # no EPSS feed yet
    component = Component("gateway_firmware", "10.0.17763.1", vendor="acme")
    assert [m.advisory for m in intel.match([component])] == ["CVE-1999-99998"]
    assert json.loads((tmp_path / "manifest.json").read_text())["nvd"]["cves"] == 3

    increment = json.loads((DATA / "nvd/cves-increment.json").read_text())
    http_server.routes["/inc"] = nvd_route(increment, size=2000)
    (second,) = update(tmp_path, ["nvd"], urls={"nvd": http_server.url("/inc")}, nvd_delay=0)
    assert second.error == "" and second.before == first.after
    (asked,) = [q for path, q, _ in http_server.requests if path == "/inc"]
    assert asked["lastModStartDate"][0].startswith(first.after[:16])
    assert asked["resultsPerPage"] == ["2000"]
    intel = Intel.load(tmp_path)
    assert intel.match([component]) == []  # CVE-1999-99998 was rejected since
    assert intel.cve("CVE-2024-6387").cvss == 8.1
    assert intel.cve("CVE-2021-3711").cvss == 9.8  # untouched by the increment, kept
    lines = gzip.decompress((tmp_path / "nvd.jsonl.gz").read_bytes()).splitlines()
    assert sorted(json.loads(x)["id"] for x in lines) == ["CVE-2021-3711", "CVE-2024-6387"]


def test_epss_is_fetched_and_scores_cves(tmp_path: Path, http_server: Server) -> None:
    raw = (DATA / "epss/epss_scores-2025-08-25.csv").read_bytes()
    url = http_server.serve("/epss.csv.gz", gzip.compress(raw))
    (result,) = update(tmp_path, ["epss"], urls={"epss": url})
    assert (result.before, result.after, result.error) == ("", "2025-08-25", "")
    info = Intel.load(tmp_path).cve("CVE-2017-0144")
    assert (info.kev, info.epss, info.percentile) == (True, 0.94433, 0.99977)


def test_a_damaged_feed_file_falls_back_to_the_snapshot(
    tmp_path: Path, http_server: Server
) -> None:
    update(
        tmp_path, ["kev"], urls={"kev": http_server.serve("/k", kev_document("2030.1", extra=True))}
    )
    (tmp_path / "kev.json").write_text("{damaged")
    intel = Intel.load(tmp_path)
    assert intel.versions()["kev"] == "2025.08.25 (snapshot)"
    assert len(intel.problems) == 1 and intel.problems[0].startswith("kev: ")
    (tmp_path / "manifest.json").write_text("[not a manifest")
    assert "snapshot is used" in Intel.load(tmp_path).problems[0]


def test_files_from_disk_for_air_gapped_centers(tmp_path: Path) -> None:
    source = tmp_path / "offline copy" / "epss.csv"  # a space: percent-encoded in the URI
    source.parent.mkdir()
    source.write_bytes((DATA / "epss/epss_scores-2025-08-25.csv").read_bytes())
    (result,) = update(tmp_path / "feeds", ["epss"], urls={"epss": source.as_uri()})
    assert (result.after, result.error) == ("2025-08-25", "")


def test_an_unknown_feed_name_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown feed"):
        update(tmp_path, ["kev", "exploitdb"])


def test_the_default_sources_are_the_official_urls() -> None:
    assert feeds.DEFAULT_URLS["kev"].startswith("https://www.cisa.gov/")
    assert feeds.DEFAULT_URLS["osv"].endswith("/{ecosystem}/all.zip")
    assert feeds.DEFAULT_URLS["nvd"] == "https://services.nvd.nist.gov/rest/json/cves/2.0"
    assert feeds.DEFAULT_URLS["epss"].startswith("https://epss.empiricalsecurity.com/")


def test_a_busy_server_is_asked_again(tmp_path: Path, http_server: Server) -> None:
    answers = [(503, b"busy"), (200, (DATA / "epss/epss_scores-2025-08-25.csv").read_bytes())]
    http_server.routes["/epss"] = lambda query: answers.pop(0)
    (result,) = update(tmp_path, ["epss"], urls={"epss": http_server.url("/epss")}, nvd_delay=0)
    assert (result.after, result.error) == ("2025-08-25", "")
    assert len(http_server.requests) == 2


def test_a_damaged_osv_archive_keeps_the_previous_records(
    tmp_path: Path, http_server: Server
) -> None:
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as packed:
        packed.writestr("a.json", (DATA / "osv/npm-lodash.json").read_text())
    http_server.serve("/npm/all.zip", good.read_bytes())
    template = http_server.url("/{ecosystem}/all.zip")
    feeds_dir = tmp_path / "feeds"
    update(feeds_dir, ["osv"], urls={"osv": template}, ecosystems=["npm"])
    http_server.serve("/npm/all.zip", good.read_bytes()[:40])  # truncated download
    (result,) = update(feeds_dir, ["osv"], urls={"osv": template}, ecosystems=["npm"])
    assert "not a zip archive" in result.error and result.after == "2024-01-01"
    lodash = Component("lodash", "4.17.20", purl="pkg:npm/lodash")
    assert [m.advisory for m in Intel.load(feeds_dir).match([lodash])] == ["GHSA-35jh-r3h4-6jhm"]


def test_a_damaged_nvd_file_leaves_only_the_curated_rules(tmp_path: Path) -> None:
    good = '{"id":"CVE-2030-0001","cpe":[["acme","widget","*","","","","2.0"]]}'
    (tmp_path / "nvd.jsonl.gz").write_bytes(gzip.compress(f"{good}\n{{broken\n".encode()))
    (tmp_path / "manifest.json").write_text(json.dumps({"nvd": {"file": "nvd.jsonl.gz"}}))
    intel = Intel.load(tmp_path)
    assert intel.problems[0].startswith("nvd: nvd.jsonl.gz line 2")
    assert (intel.counts()["nvd"], intel.counts()["nvd_rules"]) == (0, 16)
    assert intel.match([Component("widget", "1.0", vendor="acme")]) == []
