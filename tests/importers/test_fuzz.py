"""Fuzzing of every report parser with mutated real samples.

For each format of the registry, hypothesis mutates that format's samples (tests/data/reports,
reports-lab, reports-handmade; a sample belongs to the format ``detect`` gives it): structural
changes first (a JSON value swapped for another type, a key or element dropped or duplicated,
an XML element or attribute removed or given an odd value, a CSV cell or column changed), then
byte-level damage (flips, truncation, chunks deleted or duplicated, junk inserted, deep
nesting, huge numbers, UTF-16/latin-1 re-encodings, XML entity declarations, random bytes).
The property: consuming ``read_report(..., format=name)`` either yields well-typed items or
raises ``ReportError`` naming the file, never anything else, within a deadline.

CI runs ``REMPART_FUZZ_EXAMPLES`` (default 300) examples per format, derandomized, so a run is
reproducible; run more locally with e.g. ``REMPART_FUZZ_EXAMPLES=5000``. A failing input is
saved under ``$TMPDIR/rempart-fuzz/`` and its path printed with the falsifying example.

Inputs that crash or exhaust the interpreter itself (ijson's C backend on integers over 4,300
digits, and its memory, quadratic in the nesting depth) cannot be fuzzed in-process: the last
test runs them in a child process with a memory limit.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from hypothesis.strategies import DrawFn

from rempart.engine.model import Observation, Severity, Status
from rempart.importers import (
    FormatSpec,
    ReportError,
    ReportInfo,
    detect,
    known_formats,
    read_report,
)
from rempart.importers.base import HEAD_BYTES, MAX_EVIDENCE, MAX_TITLE
from rempart.intel.model import Component

DATA = Path(__file__).resolve().parent.parent / "data"
EXAMPLES = int(os.environ.get("REMPART_FUZZ_EXAMPLES", "300"))
DEADLINE = timedelta(seconds=3)  # per example; a real sample parses in well under 1 s
SLIM_ABOVE = 48 * 1024  # larger samples are fuzzed mostly through a slimmed copy (speed)


# -- samples -----------------------------------------------------------------------------


def sample_files() -> list[Path]:
    found: list[Path] = []
    for root in ("reports", "reports-lab", "reports-handmade"):
        base = DATA / root
        if base.is_dir():
            found += sorted(
                p
                for p in base.rglob("*")
                if p.is_file() and p.suffix.lower() != ".md" and not p.name.startswith("LICENSE")
            )
    return found


def detected_format(path: Path) -> str | None:
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    try:
        spec: FormatSpec = detect(head, path.name)
    except ReportError:
        return None
    return str(spec.name)


@dataclass(frozen=True)
class Seed:
    name: str
    kind: str  # json, jsonl, xml, csv, other
    full: bytes
    slim: bytes


def kind_of(data: bytes) -> str:
    text = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] == b"<":
        return "xml"
    if text[:1] in (b"{", b"["):
        try:
            json.loads(data)
        except ValueError:
            return "jsonl"
        return "json"
    return "csv" if b"," in data[:4096] else "other"


def slim_json(value: Any) -> Any:
    """Same structure, lists cut to 3 items and strings to 300 chars (a fast fuzz seed)."""
    if isinstance(value, dict):
        return {k: slim_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [slim_json(v) for v in value[:3]]
    if isinstance(value, str):
        return value[:300]
    return value


def slim_xml(data: bytes) -> bytes:
    root = ET.fromstring(data)  # a trusted test sample, not fuzzed input
    for parent in root.iter():
        seen: dict[str, int] = {}
        for child in list(parent):
            seen[child.tag] = seen.get(child.tag, 0) + 1
            if seen[child.tag] > 3:
                parent.remove(child)
        if parent.text and len(parent.text) > 300:
            parent.text = parent.text[:300]
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def slim(data: bytes, kind: str) -> bytes:
    if len(data) <= SLIM_ABOVE:
        return data
    slimmed = _slimmed(data, kind)
    return slimmed if len(slimmed) < len(data) else data


def _slimmed(data: bytes, kind: str) -> bytes:
    if kind == "json":
        return json.dumps(slim_json(json.loads(data)), indent=1).encode()
    if kind == "xml":
        return slim_xml(data)
    if kind == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))[:30]
        out = io.StringIO()
        csv.writer(out, quoting=csv.QUOTE_ALL).writerows(rows)
        return out.getvalue().encode()
    return b"\n".join(data.splitlines()[:30]) + b"\n"


SAMPLES = sample_files()
FORMATS = sorted(known_formats())
SEEDS: dict[str | None, list[Seed]] = {}
for _path in SAMPLES:
    _data = _path.read_bytes()
    _kind = kind_of(_data)
    _seed = Seed(str(_path.relative_to(DATA)), _kind, _data, slim(_data, _kind))
    SEEDS.setdefault(detected_format(_path), []).append(_seed)
ALL_SEEDS = [s for seeds in SEEDS.values() for s in seeds if s.full.strip()]


# -- the property ------------------------------------------------------------------------


# common.md: "<tool>.<rule>" lower-case slugs and catalog ids; vuln.<ID> upper-case (RHSA-2024:1234)
CHECK_ID = re.compile(r"vuln\.[A-Z0-9._:-]+|[a-z0-9_-]+\.[a-z0-9._-]+")


def check_item(item: object) -> None:
    """An item is well formed whatever the input: typed fields, common.md's id and sizes."""
    assert isinstance(item, Observation | Component), type(item)
    if isinstance(item, Observation):
        assert isinstance(item.status, Status) and isinstance(item.severity, Severity)
        assert isinstance(item.check, str) and CHECK_ID.fullmatch(item.check), item.check
        assert len(item.check) <= 120, item.check
        assert isinstance(item.location, str) and isinstance(item.evidence, str)
        assert len(item.evidence) <= MAX_EVIDENCE and len(item.title) <= MAX_TITLE, item.check
        assert all(isinstance(r, str) for r in item.references), item.references
    else:
        assert isinstance(item.name, str) and isinstance(item.version, str), item


def consume(fmt: str, data: bytes, name: str) -> int | ReportError:
    """Items read, or the ReportError raised; any other exception propagates."""
    info = ReportInfo(name=name)
    try:
        items = list(read_report(io.BytesIO(data), info, format=fmt))
    except ReportError as exc:
        assert name in str(exc), f"the error does not name the file: {exc}"
        return exc
    for item in items:
        check_item(item)
    return len(items)


def save_failure(fmt: str, data: bytes) -> Path:
    folder = Path(tempfile.gettempdir()) / "rempart-fuzz"
    folder.mkdir(exist_ok=True)
    path = folder / f"{fmt}-{hashlib.sha256(data).hexdigest()[:16]}.bin"
    path.write_bytes(data)
    return path


# -- mutations ---------------------------------------------------------------------------

WEIRD = [
    "", " ", "0", "-1", "65536", "99999999999999999999", "-99999999999", "1e999999", "NaN",
    "inf", "-0", "null", "None", "true", "[]", "{}", "x" * 3000, "\x00", "é", "😀", "\u202e",
    "CVE-", "CVE-2021-", "cpe:/", "cpe:2.3:a", "pkg:", "pkg:npm/", "pkg:maven/@", "::",
    "[::1]:", "http://", "https://[", "https://[::1", "://", "%", "%zz", "../", "<b>",
    "2021-13-45T25:61:61Z", "9999-12-31T23:59:59Z", "0000-00-00", "1970-01-01T00:00:00",
    "CVSS:3.1/AV:Z", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "AV:N/AC:L/Au:N/C:P/I:P/A:X",
    "CVSS:4.0/AV:N", "CRITICAL", "unknown", "10.5", "-5", "open", "closed", "general/tcp",
    "443/tcp", "abc/tcp", "/", "a:b:c:d", "ssl", "not_affected", "fixed", "kev",
]  # fmt: skip
WEIRD_JSON: list[Any] = [
    None, True, False, 0, -1, 2**63, 2**64 + 1, 1e308, -0.0, 0.5, [], {}, [None], {"": None},
    [[[[]]]], {"a": {"b": {"c": []}}}, *WEIRD,
]  # fmt: skip
TOKENS = [
    b'"', b"<", b">", b"&", b"\x00", b"\xff\xfe", b"{", b"}", b"[", b"]", b",", b":", b"\n",
    b"\r\n", b"<!--", b"]]>", b"&amp;", b"&#0;", b"&#xD800;", b"\xc3\x28", b"\xed\xa0\x80",
    b"NaN", b"Infinity", b"-", b"\\u0000", b"\\ud800", b"\t",
]  # fmt: skip
# at most 2,000 digits: a duplicated chunk must not reach the 4,300 that crash ijson (see below)
HUGE = [
    b"9" * 400, b"1e999999", b"-1e-999999", b"1" + b"0" * 2000, b"1E+99999999999",
    b"0." + b"0" * 500 + b"1", b"-0", b"18446744073709551616",
]  # fmt: skip
ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252", "utf-8-sig"]
MAX_NESTING = 3000  # deeper inputs are the child-process test's (ijson's memory is quadratic)

Draw = DrawFn


def pick(draw: Draw, n: int) -> int:
    return int(draw(st.integers(0, max(n - 1, 0))))


def json_slots(doc: Any) -> list[tuple[Any, Any]]:
    """Every (container, key-or-index) of a JSON document, iteratively (no recursion)."""
    slots: list[tuple[Any, Any]] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        keys = list(node) if isinstance(node, dict) else range(len(node))
        for key in keys:
            slots.append((node, key))
            if isinstance(node[key], dict | list):
                stack.append(node[key])
    return slots


def mutate_json_doc(draw: Draw, doc: Any) -> Any:
    slots = json_slots(doc)
    if not slots:
        return draw(st.sampled_from(WEIRD_JSON))
    for _ in range(draw(st.integers(1, 4))):
        node, key = slots[pick(draw, len(slots))]
        if key not in (node if isinstance(node, dict) else range(len(node))):
            continue  # an earlier deletion removed it
        op = draw(st.sampled_from(["type", "type", "drop", "dup", "rename", "text"]))
        if op == "type":
            node[key] = draw(st.sampled_from(WEIRD_JSON))
        elif op == "text":
            node[key] = draw(st.text(max_size=40))
        elif op == "drop":
            del node[key]
        elif op == "dup" and isinstance(node, list):
            node.insert(key, json.loads(json.dumps(node[key])))
        elif op == "rename" and isinstance(node, dict):
            node[draw(st.sampled_from([key.upper(), key + "_", key.replace("-", "_"), ""]))] = (
                node.pop(key)
            )
    return doc


def mutate_structure(draw: Draw, kind: str, data: bytes) -> bytes:
    if kind == "json":
        doc = mutate_json_doc(draw, json.loads(data))
        return json.dumps(doc, ensure_ascii=draw(st.booleans())).encode()
    if kind == "jsonl":
        lines = data.splitlines()
        i = pick(draw, len(lines))
        try:
            lines[i] = json.dumps(mutate_json_doc(draw, json.loads(lines[i]))).encode()
        except ValueError:
            pass  # a blank or broken line stays as it is
        return b"\n".join(lines) + b"\n"
    if kind == "xml":
        return mutate_xml(draw, data)
    if kind == "csv":
        return mutate_csv(draw, data)
    return data


def mutate_xml(draw: Draw, data: bytes) -> bytes:
    root = ET.fromstring(data)  # the seed is a trusted sample (or its slimmed copy)
    elements = list(root.iter())
    parents = {child: parent for parent in elements for child in parent}
    for _ in range(draw(st.integers(1, 4))):
        elem = elements[pick(draw, len(elements))]
        op = draw(st.sampled_from(["drop", "attr", "attr", "text", "dup", "retag", "noattr"]))
        if op == "drop" and elem in parents and elem in list(parents[elem]):
            parents[elem].remove(elem)
        elif op == "attr" and elem.attrib:
            elem.set(draw(st.sampled_from(sorted(elem.attrib))), draw(st.sampled_from(WEIRD)))
        elif op == "noattr" and elem.attrib:
            del elem.attrib[draw(st.sampled_from(sorted(elem.attrib)))]
        elif op == "text":
            elem.text = draw(st.sampled_from(WEIRD))
        elif op == "dup" and elem in parents:
            parents[elem].append(copy.deepcopy(elem))
        elif op == "retag":
            elem.tag = elements[pick(draw, len(elements))].tag
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def mutate_csv(draw: Draw, data: bytes) -> bytes:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig", "replace"), newline="")))
    if not rows:
        return data
    for _ in range(draw(st.integers(1, 4))):
        row = rows[pick(draw, len(rows))]
        op = draw(st.sampled_from(["cell", "cell", "dropcell", "addcell", "dupheader", "header"]))
        if op == "cell" and row:
            row[pick(draw, len(row))] = draw(st.sampled_from(WEIRD))
        elif op == "dropcell" and row:
            del row[pick(draw, len(row))]
        elif op == "addcell":
            row.append(draw(st.sampled_from(WEIRD)))
        elif op == "dupheader":
            rows.insert(1 + pick(draw, len(rows)), list(rows[0]))
        elif op == "header" and rows[0]:
            rows[0][pick(draw, len(rows[0]))] = draw(st.sampled_from(["", "name", "Host", "x"]))
    out = io.StringIO()
    csv.writer(out, quoting=draw(st.sampled_from([csv.QUOTE_ALL, csv.QUOTE_MINIMAL]))).writerows(
        rows
    )
    return out.getvalue().encode()


def xml_prolog_end(data: bytes) -> int:
    """Where a DOCTYPE may go: after the XML declaration, if any."""
    match = re.match(rb"\s*<\?xml[^>]*\?>", data)
    return match.end() if match else 0


def with_doctype(data: bytes, doctype: bytes, reference: bytes) -> bytes:
    """The document with its DOCTYPE replaced and ``reference`` inside its root element."""
    data = re.sub(rb"<!DOCTYPE[^>\[]*(\[.*?\])?\s*>", b"", data, count=1, flags=re.S)
    at = xml_prolog_end(data)
    data = data[:at] + doctype + data[at:]
    root = re.compile(rb"<[A-Za-z_][^>]*?(?<!/)>").search(data, at + len(doctype))
    return data if root is None else data[: root.end()] + reference + data[root.end() :]


BOMB = (
    b'<!DOCTYPE r [<!ENTITY l0 "lol">'
    + b"".join(b'<!ENTITY l%d "%s">' % (i, b"&l%d;" % (i - 1) * 10) for i in range(1, 10))
    + b"]>"
)
XML_ATTACKS = [
    (BOMB, b"&l9;"),
    (b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>', b"&x;"),
    (b'<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>', b""),
    (b'<!DOCTYPE r [<!ENTITY x "internal">]>', b"&x;"),
]


def mutate_bytes(draw: Draw, data: bytes) -> bytes:
    n = len(data)
    op = draw(
        st.sampled_from(
            [
                "flip",
                "truncate",
                "delete",
                "duplicate",
                "insert",
                "insert",
                "nest",
                "huge",
                "encode",
                "entity",
                "random",
            ]
        )
    )
    at = pick(draw, n + 1)
    if op == "flip" and n:
        out = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            out[pick(draw, n)] ^= draw(st.integers(1, 255))
        return bytes(out)
    if op == "truncate":
        return data[:at]
    if op in ("delete", "duplicate"):
        size = draw(st.integers(1, max(1, min(4096, n // 4 + 1))))
        chunk = data[at : at + size]
        return data[:at] + data[at + size :] if op == "delete" else data[:at] + chunk + data[at:]
    if op == "insert":
        junk = draw(st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=32)))
        return data[:at] + junk + data[at:]
    if op == "nest":
        unit = draw(st.sampled_from([b"[", b'{"a":', b"<a>", b'{"results":[']))
        return data[:at] + unit * draw(st.integers(1, MAX_NESTING)) + data[at:]
    if op == "huge":
        numbers = list(re.finditer(rb"-?\d+(\.\d+)?", data[:200_000]))
        if numbers:
            m = numbers[pick(draw, len(numbers))]
            return data[: m.start()] + draw(st.sampled_from(HUGE)) + data[m.end() :]
        return data
    if op == "encode":
        text = data.decode("utf-8", "replace")
        text = text[: at // 2] + draw(st.sampled_from(["é", "ü", "—", "€", "ß"])) + text[at // 2 :]
        return text.encode(draw(st.sampled_from(ENCODINGS)), "replace")
    if op == "entity":
        doctype, reference = draw(st.sampled_from(XML_ATTACKS))
        return with_doctype(data, doctype, reference)
    return bytes(draw(st.binary(min_size=0, max_size=4096)))


@st.composite
def fuzz_inputs(draw: Draw, seeds: list[Seed]) -> tuple[str, bytes]:
    seed: Seed = draw(st.sampled_from(seeds))
    use_full = seed.slim is not seed.full and draw(st.integers(0, 9)) == 0
    data = seed.full if use_full else seed.slim
    ops: list[str] = []
    if seed.kind != "other" and draw(st.booleans()):
        data = mutate_structure(draw, seed.kind, data)
        ops.append("structure")
    for _ in range(draw(st.integers(0 if ops else 1, 2))):
        data = mutate_bytes(draw, data)
        ops.append("bytes")
    note(f"seed={seed.name} full={use_full} ops={ops}")
    return seed.name, data


# -- tests -------------------------------------------------------------------------------


@pytest.mark.timeout(240)
@pytest.mark.parametrize("fmt", FORMATS)
def test_mutated_samples_give_items_or_a_report_error(fmt: str) -> None:
    seeds = SEEDS.get(fmt) or ALL_SEEDS  # a format without samples: everyone else's

    @settings(
        max_examples=EXAMPLES,
        deadline=DEADLINE,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.filter_too_much,
        ],
    )
    @given(fuzz_inputs(seeds))
    def run(case: tuple[str, bytes]) -> None:
        seed_name, data = case
        try:
            consume(fmt, data, f"fuzzed-{Path(seed_name).name}")
        except AssertionError:
            raise
        except BaseException:
            note(f"input saved to {save_failure(fmt, data)} ({len(data)} bytes)")
            raise

    run()


def test_every_format_has_a_sample_to_fuzz() -> None:
    missing = [fmt for fmt in FORMATS if not SEEDS.get(fmt)]
    assert not missing, f"formats without any sample detected as theirs: {missing}"


@pytest.mark.timeout(240)
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_wrong_format_gives_a_report_error_or_items(fmt: str) -> None:
    """The user picks the wrong format: every other sample, read as ``fmt``."""
    failures = []
    for seed in (s for s in ALL_SEEDS if s not in SEEDS.get(fmt, [])):
        try:
            consume(fmt, seed.full, Path(seed.name).name)
        except Exception as exc:
            failures.append(f"{seed.name}: {type(exc).__name__}: {str(exc)[:200]}")
    assert not failures, "\n".join(failures)


def xml_formats() -> list[tuple[str, Seed]]:
    return [
        (fmt, seeds[0])
        for fmt in FORMATS
        if (seeds := [s for s in SEEDS.get(fmt, []) if s.kind == "xml"])
    ]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("fmt", "seed"), xml_formats(), ids=lambda v: getattr(v, "name", v))
@pytest.mark.parametrize(("doctype", "reference"), XML_ATTACKS, ids=["bomb", "xxe", "pe", "int"])
def test_xml_entity_declarations_are_refused(
    fmt: str, seed: Seed, doctype: bytes, reference: bytes
) -> None:
    data = with_doctype(seed.full, doctype, reference)
    started = time.monotonic()
    outcome = consume(fmt, data, "entities.xml")
    assert time.monotonic() - started < 5
    assert isinstance(outcome, ReportError), f"{seed.name} with entities was accepted"
    assert re.search(r"DTD|entit", str(outcome)), str(outcome)


@pytest.mark.parametrize(("fmt", "seed"), xml_formats(), ids=lambda v: getattr(v, "name", v))
def test_an_unknown_xml_encoding_is_a_report_error(fmt: str, seed: Seed) -> None:
    # expat raises LookupError (not ParseError) for an encoding Python does not know
    data = b'<?xml version="1.0" encoding="x-unknown"?>' + seed.full[xml_prolog_end(seed.full) :]
    outcome = consume(fmt, data, "encoding.xml")
    assert isinstance(outcome, ReportError), outcome


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("fmt", "seed"), xml_formats(), ids=lambda v: getattr(v, "name", v))
def test_an_external_dtd_is_never_fetched(fmt: str, seed: Seed) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        url = f"http://127.0.0.1:{server.getsockname()[1]}/evil.dtd".encode()
        data = with_doctype(seed.full, b'<!DOCTYPE r SYSTEM "' + url + b'">', b"")
        consume(fmt, data, "external-dtd.xml")  # may be read or refused, never fetched
        server.setblocking(False)
        with pytest.raises(BlockingIOError):
            server.accept()


# Run in a child process: today these inputs kill the interpreter (segfault, out of memory).
_CHILD = """
import io, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))
from rempart.importers import ReportError, ReportInfo, read_report
data = sys.stdin.buffer.read()
for fmt in sys.argv[1:]:
    print(fmt, end=" ", flush=True)
    try:
        list(read_report(io.BytesIO(data), ReportInfo(name="x.json"), format=fmt))
        print("items", flush=True)
    except ReportError:
        print("ReportError", flush=True)
"""


def json_formats() -> list[str]:
    return [f for f in FORMATS if any(s.kind in ("json", "jsonl") for s in SEEDS.get(f, []))]


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "document",
    [
        b'{"a": ' + b"9" * 5000 + b"}\n",  # ijson 3.6 yajl2_c: SystemError, then a segfault
        b'{"a": ' + b"[" * 60_000,  # ijson keeps each prefix of the path: O(depth^2), ~9 GB
    ],
    ids=["5000-digit-integer", "60000-deep-nesting"],
)
def test_json_inputs_that_kill_the_interpreter_are_report_errors(document: bytes) -> None:
    started = time.monotonic()
    child = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_CHILD), *json_formats()],
        input=document,
        capture_output=True,
        timeout=110,
        check=False,
    )
    report = child.stdout.decode(errors="replace").strip()
    assert child.returncode == 0, (
        f"exit {child.returncode} after {time.monotonic() - started:.1f} s; per format:\n"
        f"{report}\n{child.stderr.decode(errors='replace')[-1500:]}"
    )
    assert len(report.splitlines()) == len(json_formats()), report
