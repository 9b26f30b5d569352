"""rempart's plain software inventory (CSV and JSON), documented in docs/importers-inventory.md.

The samples in tests/data/reports-handmade/inventory/ were written by us following that
documentation: a French spreadsheet export (UTF-8 with BOM, ";" separator, accented headers,
a quoted cell holding the separator, a row without a name, an invalid CPE, blank rows) and a
JSON inventory with mixed English and French keys.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from rempart.importers import ReportError, ReportInfo, detect, read_report
from rempart.intel.model import Component

HANDMADE = Path("tests/data/reports-handmade/inventory")


def read(path: Path | bytes, fmt: str) -> tuple[ReportInfo, list[Component]]:
    data = path.read_bytes() if isinstance(path, Path) else path
    info = ReportInfo(name=path.name if isinstance(path, Path) else "inventaire.csv")
    items = list(read_report(io.BytesIO(data), info, format=fmt))
    assert all(isinstance(i, Component) for i in items)
    return info, [i for i in items if isinstance(i, Component)]


def test_sniff() -> None:
    assert detect((HANDMADE / "inventaire-fr.csv").read_bytes()).name == "inventory-csv"
    assert detect((HANDMADE / "inventory.json").read_bytes()).name == "inventory-json"
    assert detect(b"name,version,vendor\nnginx,1.24.0,F5\n").name == "inventory-csv"


def test_french_spreadsheet_export() -> None:
    info, components = read(HANDMADE / "inventaire-fr.csv", "inventory-csv")
    assert [(c.name, c.version, c.vendor, c.target) for c in components] == [
        ("Windows Server", "2016", "Microsoft", "srv-compta"),
        ("FileZilla Server", "0.9.60", "FileZilla Project", "srv-compta"),
        ("Sage 100 ; Comptabilité", "9.00", "Sage", "srv-compta"),
        ("Django", "3.2.12", "Django Software Foundation", "site-vitrine"),
        ("7-Zip", "19.00", "Igor Pavlov", "poste-01"),
    ]
    windows, _, _, django, seven_zip = components
    assert windows.cpe == "cpe:2.3:o:microsoft:windows_server_2016:-:*:*:*:*:*:*:*"
    assert (django.purl, django.ecosystem) == ("pkg:pypi/django@3.2.12", "PyPI")
    assert seven_zip.cpe == ""  # "pas-un-cpe" dropped, the row kept
    assert {c.source for c in components} == {"inventory"}
    assert info.targets == {"srv-compta", "site-vitrine", "poste-01"}
    assert info.notes == {
        "inventory rows without a software name (skipped)": 1,
        "inventory CPEs that are not CPE 2.3 or 2.2 names (dropped, row kept)": 1,
    }


def test_english_comma_separated_without_host() -> None:
    data = b"Name,Version,Vendor,Ecosystem\r\nnginx,1.24.0,F5,\r\nrequests,2.31.0,,PyPI\r\n"
    _, components = read(data, "inventory-csv")
    assert [(c.name, c.version, c.vendor, c.ecosystem) for c in components] == [
        ("nginx", "1.24.0", "F5", ""),
        ("requests", "2.31.0", "", "PyPI"),
    ]
    assert {c.target for c in components} == {"inventaire.csv"}  # the file when no host


def test_tab_separated() -> None:
    _, (one,) = read(b"logiciel\tversion\tfabricant\nVeeam Backup\t12.1\tVeeam\n", "inventory-csv")
    assert (one.name, one.version, one.vendor) == ("Veeam Backup", "12.1", "Veeam")


def test_header_only_is_an_empty_inventory() -> None:
    info, components = read(b"nom;version\n", "inventory-csv")
    assert components == [] and info.notes == {}


def test_header_without_version_is_refused() -> None:
    with pytest.raises(ReportError) as caught:
        read(b"nom;editeur\nSage;Sage\n", "inventory-csv")
    assert caught.value.where == "line 1"
    assert "version" in caught.value.reason


def test_json_inventory() -> None:
    info, components = read(HANDMADE / "inventory.json", "inventory-json")
    assert [(c.name, c.version, c.target) for c in components] == [
        ("WordPress", "6.1.1", "www.example.org"),
        ("Contact Form 7", "5.7.2", "www.example.org"),  # the document target, given after
        ("jquery", "1.12.4", "www.example.org"),
        ("OpenSSH", "8.4p1", "bastion.example.org"),
    ]
    assert components[1].vendor == "Takayuki Miyoshi"  # "éditeur"
    assert components[2].ecosystem == "npm"
    assert components[3].cpe == "cpe:2.3:a:openbsd:openssh:8.4:p1:*:*:*:*:*:*"
    assert info.targets == {"www.example.org", "bastion.example.org"}


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b'{"inventory": {"name": "x"}}', "inventory"),
        (b'{"inventory": ["nginx 1.24"]}', "entry #1"),
        (b'{"software": []}', "top level"),
        (b'[{"name": "x"}]', "top level"),
    ],
)
def test_wrong_json_structure_is_a_report_error(data: bytes, where: str) -> None:
    with pytest.raises(ReportError) as caught:
        read(data, "inventory-json")
    assert caught.value.where == where


def test_not_utf8_is_a_report_error() -> None:
    with pytest.raises(ReportError) as caught:
        read("nom;version;éditeur\nSage;9;Sage\n".encode("cp1252"), "inventory-csv")
    assert "UTF-8" in str(caught.value)


def test_parse_twice_gives_the_same_output() -> None:
    path = HANDMADE / "inventaire-fr.csv"
    assert read(path, "inventory-csv") == read(path, "inventory-csv")
