"""The registry: format detection on every sample, empty and unknown files, the size limit,
encodings, and progress reporting of ``rempart.importers``."""

from __future__ import annotations

import fnmatch
import importlib
import io
import itertools
import re
import time
from pathlib import Path
from typing import BinaryIO, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.importers import _MODULES as MODULES
from rempart.importers import ReportError, ReportInfo, detect, known_formats, read_report
from rempart.importers.base import HEAD_BYTES, CountingReader

DATA = Path(__file__).resolve().parent.parent / "data"
REAL = DATA / "reports"
EMPTY = "(empty)"  # detection must say the file is empty
UNKNOWN = "(unknown)"  # no format rempart reads: detection lists the known ones
EITHER_NUCLEI = frozenset({"nuclei-json", "nuclei-jsonl"})  # one object on one line is both

# DefectDojo's samples (tests/data/reports/README.md says what each file is).
EXPECTED: dict[str, str | frozenset[str]] = {
    "cyclonedx/issue_8022.json": "cyclonedx-json",
    "cyclonedx/jake2.json": "cyclonedx-json",
    "cyclonedx/log4j.json": "cyclonedx-json",
    "cyclonedx/nested-component-log4j.json": "cyclonedx-json",
    "cyclonedx/valid-vulnerability-1.4.json": "cyclonedx-json",
    "generic/generic_empty.json": "generic-json",  # detected; reading it is the parser's error
    "generic/generic_report1.json": "generic-json",
    "generic/generic_report3.json": "generic-json",
    "generic/generic_report_kev_cvssv4.json": "generic-json",
    "generic/generic_report1.csv": "generic-csv",
    "generic/generic_report3.csv": "generic-csv",
    "nmap/issue4406.xml": "nmap-xml",
    "nmap/nmap_0port.xml": "nmap-xml",
    "nmap/nmap_1port.xml": "nmap-xml",
    "nmap/nmap_multiple_port.xml": "nmap-xml",
    "nuclei/empty.jsonl": EMPTY,
    "nuclei/issue_9201.json": EITHER_NUCLEI,
    "nuclei/many_findings.json": "nuclei-jsonl",  # JSON lines despite its name
    "nuclei/multiple_v3.json": "nuclei-json",
    "openvas/many_vuln.xml": "openvas-xml",
    "openvas/no_vuln.xml": "openvas-xml",
    "openvas/one_vuln.xml": "openvas-xml",
    "openvas/many_vuln.csv": "openvas-csv",
    "openvas/no_vuln.csv": "openvas-csv",
    "openvas/one_vuln.csv": "openvas-csv",
    "openvas/report_using_CVE.csv": "openvas-csv",
    "openvas/report_using_openVAS.csv": "openvas-csv",
    "osv_scanner/no_findings.json": EMPTY,
    "osv_scanner/some_findings.json": UNKNOWN,
    "osv_scanner/multi_cwe_fabricated.json": UNKNOWN,
    "sarif/appendix_k.sarif": "sarif",
    "sarif/bash-report.sarif": "sarif",
    "sarif/dependency_check.sarif": "sarif",
    "sarif/gitleaks_7.5.0.sarif": "sarif",
    "sarif/no_runs.sarif": "sarif",
    "sarif/suppression_test.sarif": "sarif",
    "sslyze/one_target_many_vuln_new.json": "sslyze-json",
    "sslyze/one_target_one_vuln_new.json": "sslyze-json",
    "sslyze/one_target_zero_vuln_new.json": "sslyze-json",
    "tenable/nessus_v_unknown.xml": "nessus-xml",
    "tenable/nessus_was_no_vuln.xml": "nessus-xml",
    "tenable/nessus_was_one_vuln.xml": "nessus-xml",
    "tenable/nessus_many_vuln2-all.csv": UNKNOWN,  # Nessus CSV: not a format rempart reads
    "tenable/tenable_many_vuln.csv": UNKNOWN,
    "testssl/defectdojo_many_vuln.csv": "testssl-csv",
    "testssl/defectdojo_no_vuln.csv": "testssl-csv",
    "testssl/demo.csv": "testssl-csv",
    "testssl/failed_target.csv": "testssl-csv",
    "trivy/all_statuses.json": "trivy-json",
    "trivy/legacy_many_vulns.json": "trivy-json",
    "trivy/misconfigurations_and_secrets.json": "trivy-json",
    "trivy/scheme_2_many_vulns.json": "trivy-json",
    "trivy/scheme_2_no_vuln.json": "trivy-json",
    "wazuh/v4-7_many_findings.json": UNKNOWN,  # Wazuh: not a format rempart reads
    "wazuh/v4-7_no_findings.json": UNKNOWN,
    "wazuh/v4-7_one_finding.json": UNKNOWN,
    "wazuh/v4-8_many_findings.json": UNKNOWN,
    "zap/0_zap_sample.xml": "zap-xml",
    "zap/empty_2.9.0.xml": "zap-xml",
    "zap/juicy2.xml": "zap-xml",
    "zap/zap_2.16.1_with_req_resp.xml": "zap-xml",
}
# Lab output and hand-made samples: by tool folder and file suffix.
BY_FOLDER: dict[tuple[str, str], str | frozenset[str]] = {
    ("cyclonedx", ".json"): "cyclonedx-json",
    ("generic", ".csv"): "generic-csv",
    ("generic", ".json"): "generic-json",
    ("inventory", ".csv"): "inventory-csv",
    ("inventory", ".json"): "inventory-json",
    ("nessus", ".nessus"): "nessus-xml",
    ("nessus", ".xml"): "nessus-xml",
    ("nmap", ".xml"): "nmap-xml",
    ("nuclei", ".json"): EITHER_NUCLEI,
    ("nuclei", ".jsonl"): "nuclei-jsonl",
    ("openvas", ".csv"): "openvas-csv",
    ("openvas", ".xml"): "openvas-xml",
    ("sarif", ".json"): "sarif",
    ("sarif", ".sarif"): "sarif",
    ("spdx", ".json"): "spdx-json",
    ("sslyze", ".json"): "sslyze-json",
    ("testssl", ".csv"): "testssl-csv",
    ("testssl", ".json"): "testssl-json",
    ("trivy", ".json"): "trivy-json",
    ("zap", ".json"): "zap-json",
    ("zap", ".xml"): "zap-xml",
}
NOT_REPORTS = ("*.md", "LICENSE*", "ground-truth*", "*.txt", "*.pem")  # files beside the samples


def sample_paths() -> list[Path]:
    return sorted(
        p
        for root in ("reports", "reports-lab", "reports-handmade")
        for p in (DATA / root).rglob("*")
        if p.is_file() and not any(fnmatch.fnmatch(p.name, pat) for pat in NOT_REPORTS)
    )


def expected_format(path: Path) -> str | frozenset[str] | None:
    if path.is_relative_to(REAL):
        return EXPECTED.get(path.relative_to(REAL).as_posix())
    folder = path.relative_to(DATA).parts[1]
    return BY_FOLDER.get((folder, path.suffix.lower()))


def head_of(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(HEAD_BYTES)


def known_labels() -> list[str]:
    return [spec.label for spec in known_formats().values()]


# -- the registry ------------------------------------------------------------------------


def test_the_registry_lists_each_format_once_with_its_tool_and_label() -> None:
    modules = [importlib.import_module(f"rempart.importers.formats.{m}") for m in MODULES]
    specs = [spec for mod in modules for spec in getattr(mod, "SPECS", None) or (mod.SPEC,)]
    assert len({s.name for s in specs}) == len(specs), "two modules declare the same name"
    assert [s.name for s in specs] == list(known_formats())
    assert all(s.name and s.tool and s.label for s in specs)
    assert set(known_formats()) >= {
        "nmap-xml", "openvas-xml", "openvas-csv", "zap-xml", "zap-json", "nessus-xml", "sarif",
        "cyclonedx-json", "spdx-json", "trivy-json", "sslyze-json", "testssl-json", "testssl-csv",
        "nuclei-jsonl", "nuclei-json", "generic-json", "generic-csv", "inventory-csv",
    }  # fmt: skip


@pytest.mark.parametrize("path", sample_paths(), ids=lambda p: p.relative_to(DATA).as_posix())
def test_every_sample_is_detected_as_its_format(path: Path) -> None:
    expected = expected_format(path)
    assert expected is not None, f"{path}: add it to EXPECTED or BY_FOLDER"
    if expected in (EMPTY, UNKNOWN):
        with pytest.raises(ReportError) as caught:
            detect(head_of(path), path.name)
        assert path.name in str(caught.value)
        assert ("empty" if expected == EMPTY else "not recognised") in str(caught.value)
        return
    found = detect(head_of(path), path.name).name
    assert found in (expected if isinstance(expected, frozenset) else {expected})


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(st.binary(max_size=2048))
def test_detection_of_any_bytes_is_a_format_or_a_report_error(head: bytes) -> None:
    try:
        assert detect(head, "random.bin").name in known_formats()
    except ReportError as exc:
        assert "random.bin" in str(exc)


# -- empty and unknown files -------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b" \n\t\r\n"], ids=["zero-bytes", "whitespace"])
def test_an_empty_file_is_a_report_error_saying_so(content: bytes) -> None:
    with pytest.raises(ReportError, match="empty") as caught:
        list(read_report(io.BytesIO(content), ReportInfo(name="scan.json")))
    assert "scan.json" in str(caught.value)
    with pytest.raises(ReportError, match="empty"):
        list(read_report(io.BytesIO(content), ReportInfo(name="t.json"), format="trivy-json"))


def test_an_empty_nuclei_jsonl_file_is_an_empty_report() -> None:
    # nuclei writes nothing at all when no template matched
    info = ReportInfo(name="nuclei.jsonl")
    assert list(read_report(io.BytesIO(b""), info, format="nuclei-jsonl")) == []
    assert info.format == "nuclei-jsonl"


@pytest.mark.parametrize(
    "content",
    [
        b'{"hello": "world", "items": [1, 2, 3]}',
        b"[1, 2, 3]\n",
        b'<?xml version="1.0" encoding="UTF-8"?>\n<inventaire><poste nom="pc-01"/></inventaire>\n',
        b"colonne1,colonne2,colonne3\n1,2,3\n",
        b"Nmap scan report for 192.0.2.1\nPORT   STATE SERVICE\n22/tcp open  ssh\n",
        (REAL / "wazuh" / "v4-7_one_finding.json").read_bytes(),
    ],
    ids=["json-object", "json-array", "xml", "csv", "nmap-text-output", "wazuh"],
)
def test_an_unknown_report_is_a_report_error_listing_the_known_formats(content: bytes) -> None:
    with pytest.raises(ReportError) as caught:
        list(read_report(io.BytesIO(content), ReportInfo(name="mystery.out")))
    message = str(caught.value)
    assert message.startswith("mystery.out")
    assert all(label in message for label in known_labels()), message


def test_an_unknown_format_name_is_a_report_error() -> None:
    with pytest.raises(ReportError, match="unknown format 'qualys'"):
        list(read_report(io.BytesIO(b"{}"), ReportInfo(name="x.json"), format="qualys"))


# -- the size limit ----------------------------------------------------------------------


class EndlessStream(io.RawIOBase):
    """A stream claiming 2 GB: ``prefix`` then ``filler`` forever, made as it is read."""

    claimed = 2 * 1024**3

    def __init__(self, prefix: bytes = b"", filler: bytes = b"\0") -> None:
        self._pending = prefix
        self._filler = filler * max(1, 65536 // len(filler))
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if not self._pending:
            self._pending = self._filler
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        self.served += n
        assert self.served < self.claimed
        return n


LIMIT = 4 * 1024**2
SLACK = 2 * 1024**2  # read-ahead of the buffers between the stream and the parser


def test_the_counting_reader_cuts_an_endless_stream_of_zeros_at_the_limit() -> None:
    stream = EndlessStream()
    reader = CountingReader(cast(BinaryIO, stream), limit=LIMIT, name="zeros.bin")
    with pytest.raises(ReportError, match="larger than the limit") as caught:
        while reader.read(65536):
            pass
    assert caught.value.where == f"byte {LIMIT + 65536:,}"  # the first read past the limit
    assert str(caught.value).startswith("zeros.bin: byte ")
    assert stream.served <= LIMIT + 65536


# (format, what the file starts with, what it goes on with forever): padding each parser
# must stream through without keeping it, until the limit stops it.
ENDLESS_REPORTS = [
    ("nmap-xml", b'<?xml version="1.0"?>\n<nmaprun scanner="nmap" version="7.94">\n',
     b"<!-- padding -->\n"),
    ("nuclei-jsonl", b"", b"\n"),
    ("trivy-json", b'{"SchemaVersion": 2, "ArtifactName": "x", "Results": [', b" "),
    ("cyclonedx-json", b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [',
     b" "),
    ("testssl-csv", b'"id","fqdn/ip","port","severity","finding","cve","cwe"\n',
     b'"TLS1","www.example.com/192.0.2.10","443","OK","not offered","",""\n'),
]  # fmt: skip


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("fmt", "prefix", "filler"), ENDLESS_REPORTS, ids=[case[0] for case in ENDLESS_REPORTS]
)
def test_a_2gb_report_is_cut_at_the_limit_naming_the_byte(
    fmt: str, prefix: bytes, filler: bytes
) -> None:
    stream = EndlessStream(prefix, filler)
    info = ReportInfo(name="huge.report")
    started = time.monotonic()
    with pytest.raises(ReportError, match="larger than the limit of 4,194,304 bytes") as caught:
        for _ in read_report(cast(BinaryIO, stream), info, format=fmt, limit=LIMIT):
            pass
    assert re.fullmatch(r"byte [\d,]+", caught.value.where), caught.value.where
    assert int(caught.value.where[5:].replace(",", "")) > LIMIT
    assert str(caught.value).startswith("huge.report: byte ")
    assert stream.served <= LIMIT + SLACK
    assert time.monotonic() - started < 30


# -- encodings ---------------------------------------------------------------------------

TRIVY = REAL / "trivy" / "scheme_2_many_vulns.json"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"], ids=["utf-16-le-bom", "utf-16-be"])
@pytest.mark.parametrize("fmt", [None, "trivy-json"], ids=["detected", "chosen"])
def test_a_utf16_json_report_is_a_report_error_naming_the_encoding(
    encoding: str, fmt: str | None
) -> None:
    # Windows PowerShell 5.1 writes `trivy ... > out.json` as UTF-16 LE with a BOM
    data = TRIVY.read_text(encoding="utf-8").encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    with pytest.raises(ReportError) as caught:
        list(read_report(io.BytesIO(data), ReportInfo(name="out.json"), format=fmt))
    assert re.search(r"UTF-16", str(caught.value)), str(caught.value)
    assert str(caught.value).startswith("out.json")


def test_a_utf8_json_report_with_a_byte_order_mark_reads_like_one_without() -> None:
    # `Out-File -Encoding utf8` in Windows PowerShell 5.1 adds a UTF-8 BOM
    plain = list(read_report(io.BytesIO(TRIVY.read_bytes()), ReportInfo(name="a.json")))
    with_bom = b"\xef\xbb\xbf" + TRIVY.read_bytes()
    assert list(read_report(io.BytesIO(with_bom), ReportInfo(name="b.json"))) == plain
    assert len(plain) > 0


# -- progress ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sample", ["tenable/nessus_v_unknown.xml", "trivy/legacy_many_vulns.json", "nmap/issue4406.xml"]
)
def test_progress_is_reported_with_increasing_byte_counts(sample: str) -> None:
    path = REAL / sample
    counts: list[int] = []
    with path.open("rb") as fh:
        for _ in read_report(fh, ReportInfo(name=path.name), on_progress=counts.append):
            pass
    assert counts, "no progress was reported"
    assert all(a < b for a, b in itertools.pairwise(counts)), counts
    assert counts[-1] == path.stat().st_size
    if path.stat().st_size > 512 * 1024:
        assert len(counts) >= 3, counts  # a large file reports more than once


def test_the_counting_reader_reports_each_read_and_counts_bytes() -> None:
    counts: list[int] = []
    reader = CountingReader(io.BytesIO(b"x" * 10_000), on_progress=counts.append)
    chunks = [reader.read(4096) for _ in range(4)]
    assert [len(c) for c in chunks] == [4096, 4096, 1808, 0]
    assert counts == [4096, 8192, 10_000]
    assert reader.count == 10_000
