"""OSV records as files: the compact form shipped and stored, osv.dev's all.zip archives.

The compact form is a subset of the OSV schema itself (so :class:`rempart.intel.osv.OsvIndex`
reads full and compact records alike): what matching and display need, nothing else.
"""

from __future__ import annotations

import gzip
import json
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from rempart.intel.streaming import FeedFormatError

MAX_REFERENCES = 5
MAX_SUMMARY = 200
MAX_RECORD_BYTES = 4 * 1024 * 1024  # one OSV record in an all.zip; real ones are < 1 MB
_REFERENCE_ORDER = {"ADVISORY": 0, "FIX": 1, "REPORT": 2, "WEB": 3, "ARTICLE": 4, "PACKAGE": 5}


def summary_of(record: Mapping[str, Any]) -> str:
    """``summary``, else the first sentence of ``details`` (clipped to 200 characters)."""
    text = str(record.get("summary") or "").strip()
    if not text:
        details = str(record.get("details") or "").strip()
        text = " ".join(details.split("\n\n", 1)[0].split())
        found = re.match(r"(.+?[.!?])(\s|$)", text)
        if found and len(found.group(1)) >= 20:
            text = found.group(1)
    text = " ".join(text.split())
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1] + "…"


def compact_record(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The fields matching and display need, in OSV's own shape (so one parser reads both).

    None for a withdrawn record. Drops ``details`` (a summary is kept), ``GIT`` ranges,
    ``credits``, ``database_specific`` except GHSA's severity, and all but the first few
    references (advisories and fixes first).
    """
    if record.get("withdrawn"):
        return None
    if not isinstance(record.get("id"), str):
        raise FeedFormatError("an OSV record needs an id")
    out: dict[str, Any] = {"id": record["id"]}
    for key in ("modified", "published"):
        if record.get(key):
            out[key] = str(record[key])
    for key in ("aliases", "upstream"):
        ids = [str(a) for a in list_field(record.get(key)) if a]
        if ids:
            out[key] = ids
    summary = summary_of(record)
    if summary:
        out["summary"] = summary
    if record.get("severity"):
        out["severity"] = severity_list(record["severity"])
    special = record.get("database_specific")
    if isinstance(special, Mapping) and isinstance(special.get("severity"), str):
        out["database_specific"] = {"severity": special["severity"]}
    entries = list_field(record.get("affected"))
    affected = [_compact_affected(a) for a in entries if isinstance(a, dict)]
    out["affected"] = [a for a in affected if a]
    references = [
        r for r in list_field(record.get("references")) if isinstance(r, Mapping) and r.get("url")
    ]
    references.sort(key=lambda r: _REFERENCE_ORDER.get(str(r.get("type")), 9))
    kept = [{"type": str(r.get("type", "WEB")), "url": str(r["url"])} for r in references]
    if kept:
        out["references"] = kept[:MAX_REFERENCES]
    return out


def list_field(value: object) -> list[Any]:
    """A list field of a feed record, or [] when it is missing or not a list."""
    return value if isinstance(value, list) else []


def severity_list(items: object) -> list[dict[str, str]]:
    if not isinstance(items, list):
        return []
    return [
        {"type": str(s.get("type", "")), "score": str(s["score"])}
        for s in items
        if isinstance(s, Mapping) and s.get("score")
    ]


def _compact_affected(entry: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    package = entry.get("package")
    if isinstance(package, Mapping):
        names = ("ecosystem", "name", "purl")
        out["package"] = {k: str(package[k]) for k in names if package.get(k)}
    ranges = []
    for one in list_field(entry.get("ranges")):
        if isinstance(one, Mapping) and one.get("type") in ("ECOSYSTEM", "SEMVER"):
            events = [
                {str(k): str(v) for k, v in e.items()}
                for e in list_field(one.get("events"))
                if isinstance(e, Mapping)
            ]
            ranges.append({"type": one["type"], "events": events})
    if ranges:
        out["ranges"] = ranges
    versions = [str(v) for v in list_field(entry.get("versions"))]
    if versions:
        out["versions"] = versions
    if entry.get("severity"):
        out["severity"] = severity_list(entry["severity"])
    return out


def read_jsonl_gz(path: Path) -> Iterator[dict[str, Any]]:
    """Records of a compact ``.jsonl.gz`` file (one small OSV record per line)."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise FeedFormatError(f"{path.name} line {number}: {exc}") from None
            if not isinstance(record, dict):
                raise FeedFormatError(f"{path.name} line {number}: not an object")
            yield record


def read_zip(path: Path) -> Iterator[dict[str, Any]]:
    """Records of an OSV ``all.zip`` (one JSON file per record, as osv.dev publishes them).

    Each member is one record, a few kilobytes: reading one whole is fine. A member larger
    than :data:`MAX_RECORD_BYTES` uncompressed is refused (a zip bomb, not an advisory).
    """
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise FeedFormatError(f"not a zip archive: {exc}") from None
    with archive:
        for info in archive.infolist():
            if info.is_dir() or not info.filename.endswith(".json"):
                continue
            if info.file_size > MAX_RECORD_BYTES:
                raise FeedFormatError(f"{info.filename}: {info.file_size} bytes is not a record")
            try:
                record = json.loads(archive.read(info))
            except (ValueError, zipfile.BadZipFile) as exc:
                raise FeedFormatError(f"{info.filename}: {exc}") from None
            if not isinstance(record, dict):
                raise FeedFormatError(f"{info.filename}: not an object")
            yield record


def write_jsonl_gz(records: Iterable[Mapping[str, Any]], path: Path) -> int:
    """Write compact records, one per line; returns how many were written (withdrawn skipped).

    The gzip header carries no timestamp, so the same records give the same bytes.
    """
    count = 0
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as packed:
        for record in records:
            compact = compact_record(record)
            if compact is None:
                continue
            line = json.dumps(compact, separators=(",", ":"), ensure_ascii=False) + "\n"
            packed.write(line.encode("utf-8"))
            count += 1
    return count
