"""rempart's plain software inventory: CSV (``inventory-csv``) or JSON (``inventory-json``).

The format for a business or its IT provider who has no SBOM tool: one row per installed
software, documented in ``docs/importers-inventory.md``. Columns (header names are matched
without case, accents, spaces or underscores; French names accepted):

=============  ===============================================  ==========
field          header names                                     required
=============  ===============================================  ==========
name           name, nom, software, logiciel, product, produit  yes
version        version                                          yes (may be empty)
vendor         vendor, publisher, editeur/éditeur, fabricant    no
purl           purl, package url                                no
cpe            cpe                                              no
ecosystem      ecosystem, écosystème                            no
target         host, target, hôte, cible, machine, poste        no
=============  ===============================================  ==========

CSV: UTF-8 (a BOM is fine), separated by ``,``, ``;`` (French spreadsheets) or tabs, told
from the header line. JSON: ``{"target": "…", "inventory": [{"name": …, "version": …}]}``
with the same field names; the optional top-level ``target`` applies to rows without one.

Each row is a component (``source`` "inventory"); the target is the row's host, else the
document's target, else the file name. A row without a name is skipped and counted; an
invalid purl or CPE is dropped (the row is kept) and counted.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from typing import BinaryIO

from rempart.importers.base import FormatSpec, Item, ReportError, ReportInfo
from rempart.importers.formats._common import (
    ecosystem_of,
    parse_purl,
    skip_bom,
    strip_bom,
    text,
    walk_json,
)
from rempart.intel.model import Component

TOOL = "inventory"

_ALIASES = {
    "name": ("name", "nom", "software", "logiciel", "product", "produit"),
    "version": ("version",),
    "vendor": ("vendor", "publisher", "editeur", "fabricant", "manufacturer"),
    "purl": ("purl", "packageurl"),
    "cpe": ("cpe",),
    "ecosystem": ("ecosystem", "ecosysteme"),
    "target": ("host", "target", "hote", "cible", "machine", "poste"),
}
_FIELD_OF = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}
_DELIMITERS = (";", ",", "\t")
_CPE = re.compile(r"^cpe:(2\.3:[aho*-]:|/[aho]:)", re.IGNORECASE)
_JSON_INVENTORY = re.compile(rb'"inventory"\s*:\s*\[')


def _key(header: str) -> str:
    """``Éditeur `` → ``editeur``; ``Package URL`` → ``packageurl``."""
    plain = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode()
    return re.sub(r"[\s_\-]+", "", plain.strip().lower())


def _delimiter(line: str) -> str:
    return max(_DELIMITERS, key=line.count)


def _header_fields(line: str) -> list[str]:
    cells = next(csv.reader([line], delimiter=_delimiter(line)), [])
    return [_FIELD_OF.get(_key(c), "") for c in cells]


def _sniff_csv(head: bytes) -> bool:
    try:
        first = strip_bom(head).decode("utf-8").splitlines()[0]
    except (UnicodeDecodeError, IndexError):
        return False
    fields = _header_fields(first)
    return "name" in fields and "version" in fields


def _parse_csv(stream: BinaryIO, info: ReportInfo) -> Iterator[Item]:
    reader = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    header = reader.readline()
    if not header.strip():
        return  # an empty inventory
    fields = _header_fields(header.rstrip("\r\n"))
    if "name" not in fields or "version" not in fields:
        raise ReportError(
            "the header needs a name (nom) and a version column; found: " + header.strip()[:200],
            where="line 1",
        )
    rows = csv.reader(reader, delimiter=_delimiter(header))
    for cells in rows:
        if not any(c.strip() for c in cells):
            continue  # blank lines at the end of a spreadsheet export
        row: dict[str, str] = {}
        for field, cell in zip(fields, cells, strict=False):
            if field and cell.strip() and field not in row:
                row[field] = cell.strip()
        found = _component(row, "", info)
        if found is not None:
            yield found


def _sniff_json(head: bytes) -> bool:
    head = strip_bom(head).lstrip()
    return head.startswith(b"{") and _JSON_INVENTORY.search(head) is not None


def _parse_json(stream: BinaryIO, info: ReportInfo) -> Iterator[Item]:
    skip_bom(stream)
    default = ""
    waiting: list[dict[str, str]] = []
    seen = False
    rows = 0
    walk = walk_json(stream, build={"target", "inventory.item"}, mark={"", "inventory"})
    for prefix, event, value in walk:
        if prefix == "":
            if event not in ("start_map", "end_map"):
                raise ReportError("an inventory is a JSON object", where="top level")
        elif prefix == "target":
            default = text(value)
        elif prefix == "inventory":
            seen = True
            if event not in ("start_array", "end_array"):
                raise ReportError("'inventory' must be a list", where="inventory")
        else:
            rows += 1
            if not isinstance(value, dict):
                raise ReportError(
                    "an inventory entry must be a JSON object", where=f"entry #{rows}"
                )
            row: dict[str, str] = {}
            for key, cell in value.items():
                field = _FIELD_OF.get(_key(str(key)), "")
                if field and text(cell) and field not in row:
                    row[field] = text(cell)
            waiting.append(row)
    if not seen:
        raise ReportError("no 'inventory' list: this is not a rempart inventory", where="top level")
    for row in waiting:  # kept until the end: "target" may follow the list
        found = _component(row, default, info)
        if found is not None:
            yield found


def _component(row: dict[str, str], default: str, info: ReportInfo) -> Component | None:
    name = row.get("name", "")
    if not name:
        info.note("inventory rows without a software name (skipped)")
        return None
    purl = row.get("purl", "")
    if purl and parse_purl(purl) is None:
        info.note("inventory purls that do not parse (dropped, row kept)")
        purl = ""
    cpe = row.get("cpe", "")
    if cpe and not _CPE.match(cpe):
        info.note("inventory CPEs that are not CPE 2.3 or 2.2 names (dropped, row kept)")
        cpe = ""
    target = row.get("target") or default or info.name
    info.targets.add(target)
    return Component(
        name=name,
        version=row.get("version", ""),
        purl=purl,
        cpe=cpe,
        vendor=row.get("vendor", ""),
        ecosystem=row.get("ecosystem") or ecosystem_of(purl),
        target=target,
        source=TOOL,
    )


SPECS = (
    FormatSpec(
        name="inventory-csv",
        tool=TOOL,
        label="rempart software inventory (CSV: name, version…)",
        sniff=_sniff_csv,
        parse=_parse_csv,
        extensions=(".csv",),
    ),
    FormatSpec(
        name="inventory-json",
        tool=TOOL,
        label='rempart software inventory (JSON: {"inventory": [...]})',
        sniff=_sniff_json,
        parse=_parse_json,
        extensions=(".json",),
    ),
)
