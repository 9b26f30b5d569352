"""Small helpers shared by the JSON report parsers (CycloneDX, Nuclei, SARIF, SPDX, Trivy,
inventory): a streaming JSON walk that keeps only what the caller asks for, byte order marks,
package URLs and their OSV ecosystems, check ids, timestamps and JSON scalars as text.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from typing import BinaryIO

import ijson
from packageurl import PackageURL

from rempart.engine.model import Severity
from rempart.importers.base import ReportError, severity_word
from rempart.intel.ecosystems import ecosystem_for

_OPEN = frozenset({"start_map", "start_array"})
_CLOSE = frozenset({"end_map", "end_array"})
_UTF8_BOM = b"\xef\xbb\xbf"


def walk_json(
    stream: BinaryIO, build: Collection[str], mark: Collection[str] = ()
) -> Iterator[tuple[str, str, object]]:
    """One streaming pass over a JSON document, keeping only what the caller asks for.

    Yields ``(prefix, "value", value)`` for each whole value found at a prefix in ``build``
    (ijson prefixes: ``"runs.item.results.item"``), and ``(prefix, event, value)`` for the raw
    ijson events at a prefix in ``mark`` (``start_map``, ``end_array``, ``string``…), so a
    caller can see where a container opens and closes, or that a value has the wrong type.
    Everything else is skipped without being kept: memory is one built value at a time.
    """
    builder: ijson.ObjectBuilder | None = None
    depth = 0
    built_at = ""
    # A small read size bounds what the C parser produces before each check below.
    for prefix, event, value in ijson.parse(_Guarded(stream), buf_size=4096, use_float=True):
        if len(prefix) > _MAX_PREFIX:
            raise ReportError("the document nests too deeply to be a report")
        if builder is not None:
            builder.event(event, value)
            if event in _OPEN:
                depth += 1
            elif event in _CLOSE:
                depth -= 1
                if depth == 0:
                    yield built_at, "value", builder.value
                    builder = None
            continue
        if event == "map_key":
            continue
        if prefix in build:
            if event in _OPEN:
                builder = ijson.ObjectBuilder()
                builder.event(event, value)
                depth = 1
                built_at = prefix
            else:
                yield prefix, "value", value
        elif prefix in mark:
            yield prefix, event, value


class _Guarded:
    """A stream that refuses what crashes ijson's C parser before the parser sees it.

    ijson 3.x (yajl2_c) aborts the interpreter on an integer longer than Python's
    4,300-digit limit; no report has a number of even 100 digits, so a run of 4,000 digits
    is refused. Deep nesting is caught by ``walk_json`` from the prefix length.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._tail = b""  # the digits ending the previous chunk

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        window = self._tail + data
        if _LONG_NUMBER.search(window):
            raise ReportError("a number has thousands of digits: this is not a report")
        run = len(window) - len(window.rstrip(b"0123456789"))
        self._tail = window[-run:] if run else b""
        return data


_MAX_PREFIX = 4096  # characters of an ijson path: about 800 levels of nesting
_LONG_NUMBER = re.compile(rb"[0-9]{4000}")


def skip_bom(stream: BinaryIO) -> None:
    """Drop a UTF-8 byte order mark (Windows tools write one); refuse UTF-16 and UTF-32.

    Windows PowerShell 5.1 writes ``tool > out.json`` as UTF-16: say so rather than let the
    JSON reader call the file malformed. JSON text starts with an ASCII character, so a NUL
    among the first bytes means UTF-16/32 even without a byte order mark.
    """
    peek = getattr(stream, "peek", None)
    if peek is None:
        return
    start = bytes(peek(4))[:4]
    if start[:3] == _UTF8_BOM:
        stream.read(3)
    elif start[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in start[:2]:
        raise ReportError(
            "the file is UTF-16 or UTF-32 encoded (Windows PowerShell writes that with '>'); "
            "save it as UTF-8 and import it again",
            where="byte 0",
        )


def strip_bom(head: bytes) -> bytes:
    return head[3:] if head.startswith(_UTF8_BOM) else head


def parse_purl(text: str) -> PackageURL | None:
    try:
        return PackageURL.from_string(text.strip())
    except ValueError:
        return None


def purl_location(text: str) -> str:
    """A package URL without qualifiers and subpath (the finding location), "" if invalid."""
    purl = parse_purl(text) if text else None
    if purl is None:
        return ""
    try:
        return str(
            PackageURL(
                type=purl.type, namespace=purl.namespace, name=purl.name, version=purl.version
            ).to_string()
        )
    except ValueError:
        return ""


def ecosystem_of(purl_text: str) -> str:
    """The OSV ecosystem of a package URL ("PyPI", "Debian"…), "" when none fits (the
    mapping is intel's, which matches components against those ecosystems)."""
    purl = parse_purl(purl_text) if purl_text else None
    if purl is None:
        return ""
    return ecosystem_for(purl.type, purl.namespace or "")


_NOT_IN_ID = re.compile(r"[^a-z0-9._-]")


def check_id(tool: str, rule: str) -> str:
    """``<tool>.<rule>`` lower-cased, other characters than ``[a-z0-9._-]`` as ``-``, ≤120."""
    return _NOT_IN_ID.sub("-", f"{tool}.{rule}".lower())[:120]


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 timestamp (any fraction digits, ``Z``); naive times are taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def text(value: object) -> str:
    """A JSON scalar as text ("" for null, objects and lists)."""
    if isinstance(value, str):
        return value.strip()
    if value is None:  # an absent key: the next most common case, answered first
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _NUMBER):
        return str(value)
    return ""


# A tuple, not ``int | float``: that union is built anew at each call, and text() runs
# several times per line of a nuclei report.
_NUMBER = (int, float)


def first_sentence(value: str) -> str:
    """The first line, cut after its first sentence (a title from a description)."""
    line = value.strip().split("\n", 1)[0].strip()
    end = line.find(". ")
    return line[: end + 1] if end > 0 else line


def as_dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def severity_of(word: str, *, default: Severity = Severity.INFO) -> Severity:
    mapped = severity_word(word)
    return Severity(mapped) if mapped else default
