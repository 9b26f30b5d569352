"""SPDX 2.2 and 2.3 JSON documents: one component per package.

A package gives ``name``, ``versionInfo``, ``supplier`` (``Organization: X``, ``Person: Y
(email)`` or ``NOASSERTION``) and ``externalRefs``: a ``purl`` reference (category
``PACKAGE-MANAGER`` in 2.2, ``PACKAGE_MANAGER`` in 2.3) and CPE references (``cpe23Type``,
else ``cpe22Type``, category ``SECURITY``). The component's vendor is the supplier, else the
originator; its reference is the package's ``SPDXID``; its target is the document's ``name``.

SPDX carries no vulnerabilities (those come as CycloneDX VEX or from matching), so this
format yields components only. Files, snippets and relationships are not imported.
SPDX 3 (JSON-LD) is a different model and is refused with a clear message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from rempart.importers.base import FormatSpec, Item, ReportError, ReportInfo
from rempart.importers.formats._common import (
    as_dict,
    as_list,
    ecosystem_of,
    parse_purl,
    parse_time,
    skip_bom,
    strip_bom,
    text,
    walk_json,
)
from rempart.intel.model import Component

TOOL = "spdx"
_NO_VALUE = frozenset({"", "NOASSERTION", "NONE"})
_PARTY = re.compile(r"^\s*(?:Organization|Person|Tool)\s*:\s*(.*?)\s*(?:\([^)]*\))?\s*$")


def _sniff(head: bytes) -> bool:
    head = strip_bom(head).lstrip()
    return head.startswith(b"{") and b'"spdxVersion"' in head and b'"SPDX-2.' in head


def _parse(stream: BinaryIO, info: ReportInfo) -> Iterator[Item]:
    skip_bom(stream)
    version = ""
    target = ""
    waiting: list[tuple[int, dict[str, object]]] = []
    packages = 0
    files = 0
    walk = walk_json(
        stream,
        build={"spdxVersion", "name", "creationInfo", "packages.item", "@context"},
        mark={"", "packages", "files.item"},
    )
    for prefix, event, value in walk:
        if prefix == "":
            if event not in ("start_map", "end_map"):
                raise ReportError("an SPDX document is a JSON object", where="top level")
        elif prefix == "@context":
            raise ReportError(
                "this is an SPDX 3 (JSON-LD) document; rempart reads SPDX 2.2 and 2.3 JSON",
                where="@context",
            )
        elif prefix == "spdxVersion":
            version = text(value)
            if not version.startswith("SPDX-2."):
                raise ReportError(
                    f"spdxVersion {version!r}: rempart reads SPDX 2.2 and 2.3", where=prefix
                )
        elif prefix == "name":
            target = text(value)
            if target:
                info.targets.add(target)
                for number, raw in waiting:
                    yield from _component(raw, number, target, info)
                waiting.clear()
        elif prefix == "creationInfo":
            _creation(as_dict(value), info)
        elif prefix == "packages":
            if event not in ("start_array", "end_array"):
                raise ReportError("'packages' must be a list", where="packages")
        elif prefix == "files.item":
            files += event == "start_map"
        elif prefix == "packages.item":
            packages += 1
            if not isinstance(value, dict):
                raise ReportError("a package must be a JSON object", where=f"package #{packages}")
            if target:
                yield from _component(value, packages, target, info)
            else:  # the document name usually comes first; keep the package until it is known
                waiting.append((packages, value))
    if not version:
        raise ReportError("no spdxVersion: this is not an SPDX JSON document", where="top level")
    if waiting:
        info.targets.add(info.name)
        for number, raw in waiting:
            yield from _component(raw, number, info.name, info)
    if files:
        info.note("SPDX file entries (only packages are imported)", files)


def _creation(creation: dict[str, object], info: ReportInfo) -> None:
    info.scanned_at = parse_time(creation.get("created")) or info.scanned_at
    for creator in as_list(creation.get("creators")):
        entry = text(creator)
        if entry.startswith("Tool:"):
            info.tool_version = entry.removeprefix("Tool:").strip()
            break


def _party(value: object) -> str:
    """``Organization: Acme (a@b.c)`` → ``Acme``; NOASSERTION → ""."""
    raw = text(value)
    if raw.upper() in _NO_VALUE:
        return ""
    found = _PARTY.match(raw)
    return found.group(1) if found else raw


def _component(
    raw: dict[str, object], number: int, target: str, info: ReportInfo
) -> Iterator[Component]:
    name = text(raw.get("name"))
    if not name:
        raise ReportError("a package has no name", where=f"package #{number}")
    purl = cpe23 = cpe22 = ""
    for ref in as_list(raw.get("externalRefs")):
        entry = as_dict(ref)
        kind = text(entry.get("referenceType")).lower()
        locator = text(entry.get("referenceLocator"))
        if kind == "purl" and not purl:
            if parse_purl(locator) is None:
                info.note("SPDX purl references that do not parse (ignored)")
            else:
                purl = locator
        elif kind == "cpe23type" and not cpe23:
            cpe23 = locator
        elif kind == "cpe22type" and not cpe22:
            cpe22 = locator
    version = text(raw.get("versionInfo"))
    yield Component(
        name=name,
        version="" if version.upper() in _NO_VALUE else version,
        purl=purl,
        cpe=cpe23 or cpe22,
        vendor=_party(raw.get("supplier")) or _party(raw.get("originator")),
        ecosystem=ecosystem_of(purl),
        target=target,
        ref=text(raw.get("SPDXID")),
        source=TOOL,
    )


SPEC = FormatSpec(
    name="spdx-json",
    tool=TOOL,
    label="SPDX 2.2/2.3 JSON",
    sniff=_sniff,
    parse=_parse,
    extensions=(".spdx.json", ".json"),
)
