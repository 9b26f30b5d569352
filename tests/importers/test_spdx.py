"""SPDX 2.2/2.3 JSON import.

No real SPDX document is in tests/data/reports (DefectDojo has no SPDX parser). The samples in
tests/data/reports-handmade/spdx/ were written by us following the SPDX 2.3 and 2.2 JSON schemas
(spdx-schema.json of the SPDX specification): one in the shape syft writes (image root package,
deb/pypi/maven packages, cpe23Type and cpe22Type references, NOASSERTION values, a file), one
with the packages written before the document name.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from rempart.importers import ReportError, ReportInfo, detect, read_report
from rempart.intel.model import Component

HANDMADE = Path("tests/data/reports-handmade/spdx")


def read(path: Path | bytes) -> tuple[ReportInfo, list[Component]]:
    data = path.read_bytes() if isinstance(path, Path) else path
    info = ReportInfo(name=path.name if isinstance(path, Path) else "sbom.spdx.json")
    items = list(read_report(io.BytesIO(data), info, format="spdx-json"))
    assert all(isinstance(i, Component) for i in items)
    return info, [i for i in items if isinstance(i, Component)]


@pytest.mark.parametrize("file", ["syft-style-2.3.spdx.json", "packages-before-name-2.2.spdx.json"])
def test_sniff(file: str) -> None:
    assert detect((HANDMADE / file).read_bytes()).name == "spdx-json"


def test_packages_become_components() -> None:
    info, components = read(HANDMADE / "syft-style-2.3.spdx.json")
    assert [c.name for c in components] == [
        "registry.example.org/compta/webapp",
        "openssl",
        "Django",
        "log4j-core",
        "left-pad",
    ]
    openssl, django, log4j, left_pad = components[1:]
    assert openssl.version == "3.0.11-1~deb12u2"
    assert openssl.purl == "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
    assert openssl.ecosystem == "Debian"
    assert openssl.vendor == "Debian OpenSSL Team"  # "Person: … (email)"
    assert openssl.ref == "SPDXRef-Package-deb-openssl-7c1e"
    assert django.cpe == "cpe:2.3:a:djangoproject:django:4.2.7:*:*:*:*:*:*:*"
    assert (django.vendor, django.ecosystem) == ("Django Software Foundation", "PyPI")
    assert log4j.cpe == "cpe:/a:apache:log4j:2.14.1"  # cpe22Type when no cpe23Type
    assert log4j.vendor == "The Apache Software Foundation"  # originator: supplier NOASSERTION
    assert (left_pad.version, left_pad.purl) == ("", "")  # NOASSERTION, invalid purl dropped
    assert {c.target for c in components} == {"registry.example.org/compta/webapp:1.4.2"}
    assert {c.source for c in components} == {"spdx"}
    assert info.tool_version == "syft-1.4.1"
    assert (
        info.scanned_at is not None and info.scanned_at.isoformat() == "2025-02-11T09:30:12+00:00"
    )
    assert info.notes == {
        "SPDX purl references that do not parse (ignored)": 1,
        "SPDX file entries (only packages are imported)": 1,
    }


def test_packages_before_the_document_name() -> None:
    info, (lodash,) = read(HANDMADE / "packages-before-name-2.2.spdx.json")
    assert (lodash.name, lodash.version, lodash.ecosystem) == ("lodash", "4.17.20", "npm")
    assert lodash.target == "site-vitrine" and lodash.vendor == "John-David Dalton"
    assert info.targets == {"site-vitrine"}


def test_document_without_packages() -> None:
    info, components = read(b'{"spdxVersion": "SPDX-2.3", "name": "empty", "packages": []}')
    assert components == [] and info.targets == {"empty"}


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b'{"spdxVersion": "SPDX-2.3", "name": "d", "packages": {"a": 1}}', "packages"),
        (b'{"spdxVersion": "SPDX-2.3", "name": "d", "packages": ["openssl"]}', "package #1"),
        (
            b'{"spdxVersion": "SPDX-2.3", "name": "d", "packages": [{"versionInfo": "1"}]}',
            "package #1",
        ),
        (b'{"spdxVersion": "SPDX-3.0", "packages": []}', "spdxVersion"),
        (
            b'{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": []}',
            "@context",
        ),
        (b'{"name": "not spdx", "packages": []}', "top level"),
        (b'["SPDX-2.3"]', "top level"),
    ],
)
def test_wrong_structure_is_a_report_error(data: bytes, where: str) -> None:
    with pytest.raises(ReportError) as caught:
        read(data)
    assert caught.value.where == where


def test_truncated_document() -> None:
    with pytest.raises(ReportError):
        read((HANDMADE / "syft-style-2.3.spdx.json").read_bytes()[:1500])


def test_parse_twice_gives_the_same_output() -> None:
    path = HANDMADE / "syft-style-2.3.spdx.json"
    assert read(path) == read(path)
