"""What every report parser shares: the format spec, report facts, errors, a counting reader.

A parser module defines ``SPEC = FormatSpec(...)`` with two functions:

- ``sniff(head: bytes) -> bool``: True when the first bytes of a file (up to ``HEAD_BYTES``)
  look like this format. Cheap and strict: detection tries every format in registry order.
- ``parse(stream: BinaryIO, info: ReportInfo) -> Iterator[Observation | Component]``: read the
  report *as a stream* (never ``stream.read()`` of the whole file) and yield one engine
  ``Observation`` per problem the tool reports (status ``fail``), per check it says passed
  (``pass``), or per item it lists for information (``info``), and one ``Component`` per
  software component an SBOM or inventory lists. Fill ``info`` as facts are met (tool version,
  scan date, targets). An item the parser cannot turn into an observation is never dropped
  silently: ``info.note(...)`` counts it with the reason.

Errors: raise ``ReportError`` with a ``where`` ("line 12", "element <host> #3", "result 40")
whenever the input does not follow the format. ``rempart.importers.read_report`` turns the
low-level exceptions of the XML, JSON and CSV readers into ``ReportError`` with the byte offset.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO, Protocol

from rempart.engine.model import Observation
from rempart.intel.model import Component

HEAD_BYTES = 64 * 1024
MAX_EVIDENCE = 2000
MAX_TITLE = 300

Item = Observation | Component

_CVE = re.compile(r"\bCVE-\d{4}-\d{4,}\b", re.IGNORECASE)


class ReportError(ValueError):
    """The report cannot be read. ``str()`` names the file, where it broke and why."""

    def __init__(self, reason: str, *, where: str = "", file: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.where = where
        self.file = file

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.where) if p]
        return ": ".join([*parts, self.reason])


@dataclass
class ReportInfo:
    """Facts about one report, filled by its parser while it streams."""

    name: str  # the file name, for messages
    format: str = ""
    tool: str = ""
    tool_version: str = ""
    scanned_at: datetime | None = None
    targets: set[str] = field(default_factory=set)
    notes: dict[str, int] = field(default_factory=dict)  # reason -> items not imported

    def note(self, reason: str, count: int = 1) -> None:
        """Count items the report holds that do not become observations, with why."""
        self.notes[reason] = self.notes.get(reason, 0) + count


@dataclass(frozen=True)
class FormatSpec:
    name: str  # stable id: "nmap-xml", "nuclei-jsonl"…
    tool: str  # the source recorded on findings: "nmap", "nuclei"…
    label: str  # for people: "nmap XML (-oX)"
    sniff: Callable[[bytes], bool]
    parse: Callable[[BinaryIO, ReportInfo], Iterator[Item]]
    extensions: tuple[str, ...] = ()


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class CountingReader(io.RawIOBase):
    """A read-only stream that counts bytes (progress, error offsets) and enforces a limit."""

    def __init__(
        self,
        raw: Readable,
        *,
        limit: int | None = None,
        on_progress: Callable[[int], None] | None = None,
        name: str = "",
    ) -> None:
        self._raw = raw
        self.count = 0
        self._limit = limit
        self._on_progress = on_progress
        self._name = name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._advance(n)
        return n

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._advance(len(data))
        return data

    def _advance(self, n: int) -> None:
        self.count += n
        if self._limit is not None and self.count > self._limit:
            raise ReportError(
                f"the file is larger than the limit of {self._limit:,} bytes",
                where=f"byte {self.count:,}",
                file=self._name,
            )
        if self._on_progress is not None and n:
            self._on_progress(self.count)


# -- small helpers shared by parsers -------------------------------------------------------


def cves_in(*texts: str) -> list[str]:
    """CVE ids found in free text, upper-cased, in first-seen order, without duplicates."""
    seen: dict[str, None] = {}
    for text in texts:
        for found in _CVE.findall(text or ""):
            seen[found.upper()] = None
    return list(seen)


_NOT_IN_ADVISORY = re.compile(r"[^A-Z0-9._:-]")


def vuln_check(ident: str) -> str:
    """``vuln.<ID>`` for a vulnerability id (CVE, GHSA, PYSEC…): upper-case, characters
    other than ``[A-Z0-9._:-]`` as ``-``, at most 120 characters in all. A hostile report
    cannot make a check id of markup or of thousands of characters."""
    return f"vuln.{_NOT_IN_ADVISORY.sub('-', ident.strip().upper())}"[:120]


def clip(text: object, limit: int = MAX_EVIDENCE) -> str:
    """A string cut to ``limit`` characters (evidence must stay readable)."""
    value = "" if text is None else str(text)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def severity_word(value: object) -> str:
    """A tool's severity word or number mapped onto rempart's five levels ("" when unknown).

    Numbers are CVSS-like base scores (0–10); words cover the vocabularies of the supported
    tools (nuclei "unknown", ZAP "Informational", OpenVAS "Log", Trivy "UNKNOWN"…).
    """
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_score(float(value))
    word = str(value).strip().lower()
    try:
        return _from_score(float(word))
    except ValueError:
        pass
    return _WORDS.get(word, "")


def _from_score(score: float) -> str:
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    if score > 0.0:
        return "low"
    return "info"


_WORDS = {
    "critical": "critical",
    "crit": "critical",
    "urgent": "critical",
    "high": "high",
    "important": "high",
    "error": "high",
    "medium": "medium",
    "moderate": "medium",
    "warning": "medium",
    "warn": "medium",
    "low": "low",
    "note": "low",
    "minor": "low",
    "info": "info",
    "informational": "info",
    "information": "info",
    "log": "info",
    "none": "info",
    "unknown": "info",
    "negligible": "info",
    "ok": "info",
}
