"""Streaming reads of feed documents shaped ``{header…, "items": [ {…}, {…} ]}``.

KEV (``vulnerabilities[]``) and NVD API pages (``vulnerabilities[].cve``) put a few scalars
(version, counts) beside one long array. Both are read with ijson's C backend: a first pass
collects the top-level scalars (it stops as soon as it has them), a second pass yields the
array's items one by one, so memory holds one item at a time whatever the file size.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from typing import IO, Any

import ijson


class FeedFormatError(ValueError):
    """A feed file that is not the expected format; the message says what is wrong."""


def _seekable(stream: IO[bytes]) -> IO[bytes]:
    try:
        if stream.seekable():
            return stream
    except (AttributeError, OSError):
        pass
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    shutil.copyfileobj(stream, spool)
    spool.seek(0)
    return spool


def read_header(stream: IO[bytes], keys: frozenset[str]) -> dict[str, object]:
    """The top-level scalar values named in ``keys`` (a missing key is simply absent)."""
    found: dict[str, object] = {}
    try:
        for prefix, event, value in ijson.parse(stream, use_float=True):
            if prefix in keys and event in ("string", "number", "boolean", "null"):
                found[prefix] = value
                if len(found) == len(keys):
                    break
    except ijson.JSONError as exc:
        raise FeedFormatError(f"not valid JSON: {exc}") from None
    return found


def read_document(
    stream: IO[bytes], items: str, keys: frozenset[str]
) -> tuple[dict[str, object], Iterator[Any]]:
    """The header scalars, then an iterator over the items at prefix ``items``.

    The iterator raises :class:`FeedFormatError` when the JSON is broken or truncated.
    """
    source = _seekable(stream)
    start = source.tell()
    header = read_header(source, keys)
    source.seek(start)

    def walk() -> Iterator[Any]:
        try:
            yield from ijson.items(source, items, use_float=True)
        except ijson.JSONError as exc:
            raise FeedFormatError(f"not valid JSON: {exc}") from None

    return header, walk()
