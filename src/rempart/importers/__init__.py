"""Read third-party scanner reports into the engine's observation type (no Django here).

One module per format under ``rempart.importers.formats``; this module holds the registry,
content-based format detection and the one entry point, ``read_report``, which streams a
report, yields observations and components, and turns every low-level parse failure into a
``ReportError`` that names the file and where it broke.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import BinaryIO

import defusedxml
import ijson

from rempart.importers.base import (
    HEAD_BYTES,
    CountingReader,
    FormatSpec,
    Item,
    ReportError,
    ReportInfo,
)

__all__ = [
    "FormatSpec",
    "Item",
    "ReportError",
    "ReportInfo",
    "detect",
    "known_formats",
    "read_path",
    "read_report",
]

# Detection tries the formats in this order: the specific ones first, the generic format last.
_MODULES = (
    "nmap",
    "openvas",
    "zap",
    "nessus",
    "sarif",
    "cyclonedx",
    "spdx",
    "trivy",
    "sslyze",
    "testssl",
    "nuclei",
    "generic",
    "inventory",
)


@cache
def known_formats() -> dict[str, FormatSpec]:
    """Every format rempart reads, by name, in detection order."""
    found: dict[str, FormatSpec] = {}
    for module in _MODULES:
        mod = importlib.import_module(f"rempart.importers.formats.{module}")
        specs = mod.SPECS if hasattr(mod, "SPECS") else (mod.SPEC,)
        for spec in specs:
            found[spec.name] = spec
    return found


def detect(head: bytes, name: str = "") -> FormatSpec:
    """The format of a report from its first bytes; ReportError when none matches."""
    if not head.strip():
        raise ReportError("the file is empty", file=name)
    for spec in known_formats().values():
        try:
            if spec.sniff(head):
                return spec
        except Exception:  # noqa: BLE001, S112 - a sniffer that trips on odd bytes says "not mine"
            continue
    known = ", ".join(s.label for s in known_formats().values())
    raise ReportError(
        f"the format was not recognised (rempart reads: {known}); choose the format explicitly "
        "if the file is one of them",
        file=name,
    )


def read_report(
    stream: BinaryIO,
    info: ReportInfo,
    *,
    format: str | None = None,
    limit: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Iterator[Item]:
    """Stream the report's observations and components; fill ``info`` as it goes.

    Raises ``ReportError`` (never anything else for bad input) naming ``info.name`` and where
    the input broke. ``limit`` caps the bytes read.
    """
    head = stream.read(HEAD_BYTES)
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            raise ReportError(
                f"the file is encoded in {encoding} (Windows PowerShell writes redirected output "
                "so); save it as UTF-8 and import it again",
                where="byte 0",
                file=info.name,
            )
    if format:
        spec = known_formats().get(format)
        if spec is None:
            raise ReportError(f"unknown format {format!r}", file=info.name)
        if not head.strip() and spec.name not in _EMPTY_OK:
            raise ReportError("the file is empty", file=info.name)
    else:
        if not head.strip():
            raise ReportError("the file is empty", file=info.name)
        spec = detect(head, info.name)
    info.format = spec.name
    info.tool = info.tool or spec.tool
    counter = CountingReader(
        _Rejoined(head, stream), limit=limit, on_progress=on_progress, name=info.name
    )
    reader = io.BufferedReader(counter, buffer_size=256 * 1024)
    try:
        yield from spec.parse(reader, info)
    except ReportError as exc:
        exc.file = exc.file or info.name
        exc.where = exc.where or f"around byte {counter.count:,}"
        raise
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise ReportError(
            f"the XML is malformed or truncated ({_first_line(exc)})",
            where=f"line {line}, column {column}",
            file=info.name,
        ) from None
    except defusedxml.DefusedXmlException as exc:
        raise ReportError(
            "the XML declares a DTD, entities or external references; rempart refuses them "
            f"for safety ({type(exc).__name__})",
            where=f"around byte {counter.count:,}",
            file=info.name,
        ) from None
    except (ijson.JSONError, json.JSONDecodeError) as exc:
        raise ReportError(
            f"the JSON is malformed or truncated ({_first_line(exc)})",
            where=f"around byte {counter.count:,}",
            file=info.name,
        ) from None
    except UnicodeDecodeError:
        raise ReportError(
            "the text is not UTF-8; save the report as UTF-8 and import it again",
            where=f"around byte {counter.count:,}",
            file=info.name,
        ) from None
    except csv.Error as exc:
        raise ReportError(
            f"the CSV is malformed ({_first_line(exc)})",
            where=f"around byte {counter.count:,}",
            file=info.name,
        ) from None
    except RecursionError:
        raise ReportError(
            "the document nests too deeply to be a report",
            where=f"around byte {counter.count:,}",
            file=info.name,
        ) from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
        # Parsable input whose structure is not the format's: say where, never a traceback.
        raise ReportError(
            f"unexpected content for {spec.label} ({type(exc).__name__}: {_first_line(exc)})",
            where=f"around byte {counter.count:,}",
            file=info.name,
        ) from None


def read_path(
    path: str | Path,
    *,
    format: str | None = None,
    limit: int | None = None,
) -> tuple[ReportInfo, list[Item]]:
    """Read a whole report file (tests and the CLI); the platform streams instead."""
    path = Path(path)
    info = ReportInfo(name=path.name)
    with path.open("rb") as stream:
        items = list(read_report(stream, info, format=format, limit=limit))
    return info, items


# UTF-32 first: its little-endian mark starts with UTF-16's.
_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)

# Formats where an empty file is a valid "nothing found" report (nuclei writes nothing).
_EMPTY_OK = frozenset({"nuclei-jsonl"})


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


class _Rejoined(io.RawIOBase):
    """The head already read for detection, then the rest of the stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size < 0:
                out = bytes(self._head) + self._rest.read()
                self._head = memoryview(b"")
                return out
            out = bytes(self._head[:size])
            self._head = self._head[size:]
            return out
        return self._rest.read(size)
