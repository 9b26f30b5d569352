"""FIRST EPSS scores (https://www.first.org/epss/data_stats): parser and compact in-memory table.

The daily file ``epss_scores-YYYY-MM-DD.csv.gz`` starts with a comment line
``#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z``, then the header
``cve,epss,percentile`` and one row per CVE (about 300,000): ``CVE-2021-44228,0.94358,0.99986``.
``epss`` is the probability of exploitation activity in the next 30 days, ``percentile`` the
share of CVEs scored lower. Older files have no comment line; extra columns are ignored.

No EPSS data ships with rempart (FIRST publishes it daily; a snapshot would be stale within
days): ``CveInfo.epss`` stays None until ``feeds update`` has fetched a file.

The table is three sorted arrays (CVE key, EPSS, percentile): 24 bytes a CVE, about 7 MB for
the whole file, where a dict of floats would take several times that in every worker.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from array import array
from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TextIO, cast

from rempart.intel.streaming import FeedFormatError

_CVE = re.compile(r"^CVE-(\d{4})-(\d{4,9})$")
_GZIP_MAGIC = b"\x1f\x8b"


def _key(cve: str) -> int | None:
    found = _CVE.match(cve.strip().upper())
    return int(found.group(1)) * 10**10 + int(found.group(2)) if found else None


@dataclass(frozen=True, slots=True)
class EpssTable:
    model_version: str
    score_date: str
    keys: array[int]
    scores: array[float]
    percentiles: array[float]

    def __len__(self) -> int:
        return len(self.keys)

    def get(self, cve: str) -> tuple[float, float] | None:
        """(EPSS probability, percentile) of ``cve``, or None when the file has no score."""
        key = _key(cve)
        if key is None:
            return None
        at = bisect_left(self.keys, key)
        if at == len(self.keys) or self.keys[at] != key:
            return None
        return self.scores[at], self.percentiles[at]


def parse_epss(stream: IO[bytes]) -> EpssTable:
    """Read an EPSS CSV (gzip-compressed or not); raise FeedFormatError when it is not one."""
    head = stream.read(2)
    joined = io.BufferedReader(_Prefixed(head, stream))
    raw = cast("IO[bytes]", gzip.GzipFile(fileobj=joined) if head == _GZIP_MAGIC else joined)
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    try:
        return _parse_lines(text)
    except (OSError, EOFError, UnicodeDecodeError) as exc:  # gzip damaged or truncated
        raise FeedFormatError(f"unreadable EPSS file: {exc}") from None


def _parse_lines(text: TextIO) -> EpssTable:
    first = text.readline()
    model = score_date = ""
    comment = first.startswith("#")
    if comment:
        fields = dict(part.split(":", 1) for part in first[1:].strip().split(",") if ":" in part)
        model = fields.get("model_version", "").strip()
        score_date = fields.get("score_date", "").strip()
        first = text.readline()
    header = [h.strip().lower() for h in next(csv.reader([first]), [])]
    if "cve" not in header or "epss" not in header:
        raise FeedFormatError(f"not an EPSS file: header {first.strip()[:80]!r}")
    at_cve, at_epss = header.index("cve"), header.index("epss")
    at_pct = header.index("percentile") if "percentile" in header else None
    rows: list[tuple[int, float, float]] = []
    for number, row in enumerate(csv.reader(text), start=3 if comment else 2):
        if not row:
            continue
        key = _key(row[at_cve]) if len(row) > at_cve else None
        try:
            score = float(row[at_epss])
            pct = float(row[at_pct]) if at_pct is not None else float("nan")
        except (ValueError, IndexError):
            raise FeedFormatError(f"line {number}: bad row {','.join(row)[:80]!r}") from None
        if key is None or not 0.0 <= score <= 1.0:
            raise FeedFormatError(f"line {number}: bad row {','.join(row)[:80]!r}")
        rows.append((key, score, pct))
    rows.sort()
    return EpssTable(
        model_version=model,
        score_date=score_date,
        keys=array("q", (r[0] for r in rows)),
        scores=array("d", (r[1] for r in rows)),
        percentiles=array("d", (r[2] for r in rows)),
    )


class _Prefixed(io.RawIOBase):
    """A stream with the bytes already read (the gzip magic test) put back in front."""

    def __init__(self, prefix: bytes, rest: IO[bytes]) -> None:
        self._prefix = prefix
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def load_epss(path: Path) -> EpssTable:
    with path.open("rb") as stream:
        return parse_epss(stream)
