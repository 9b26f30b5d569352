"""The XML reader of the report formats gives ElementTree's own events, element for element,
and refuses what defusedxml refuses."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from defusedxml import ElementTree as Defused
from defusedxml import EntitiesForbidden, ExternalReferenceForbidden

from rempart.importers import xmlsafe
from rempart.importers.xmlsafe import MAX_PROLOG, iterparse

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLES = sorted(p for p in DATA.rglob("*.xml") if p.stat().st_size < 5_000_000)


def _shape(events):
    return [
        (event, elem.tag, dict(elem.attrib), (elem.text or "").strip() if event == "end" else "")
        for event, elem in events
    ]


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_every_real_xml_sample_gives_the_events_defusedxml_gives(path):
    with path.open("rb") as ours, path.open("rb") as theirs:
        assert _shape(iterparse(ours)) == _shape(Defused.iterparse(theirs, events=("start", "end")))


def test_samples_were_found():
    assert len(SAMPLES) >= 10


def test_namespaces_are_written_the_elementtree_way():
    doc = b'<a xmlns="urn:x" xmlns:y="urn:y"><y:b y:c="1">t</y:b></a>'
    shape = _shape(iterparse(io.BytesIO(doc)))
    assert shape[1][1:3] == ("{urn:y}b", {"{urn:y}c": "1"})


def _laughs(levels: int) -> bytes:
    entities = b'<!ENTITY l0 "lol">' + b"".join(
        b'<!ENTITY l%d "%s">' % (i, b"&l%d;" % (i - 1) * 10) for i in range(1, levels)
    )
    return b"<!DOCTYPE r [" + entities + b"]><r>&l%d;</r>" % (levels - 1)


@pytest.mark.parametrize(
    ("doc", "refusal"),
    [
        (_laughs(10), EntitiesForbidden),
        (b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', EntitiesForbidden),
        (
            b'<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]><r/>',
            EntitiesForbidden,
        ),
        (b'<!DOCTYPE r [<!ENTITY n SYSTEM "x" NDATA gif>]><r/>', EntitiesForbidden),
    ],
    ids=["billion-laughs", "external-entity", "parameter-entity", "unparsed-entity"],
)
def test_entity_declarations_are_refused_as_defusedxml_refuses_them(doc, refusal):
    with pytest.raises(refusal):
        list(Defused.iterparse(io.BytesIO(doc)))  # the reference behaviour
    with pytest.raises(refusal):
        list(iterparse(io.BytesIO(doc)))


def test_an_entity_declared_after_a_long_prolog_is_still_seen():
    # The declaration sits beyond the first chunk the checker reads.
    padding = b"<!-- " + b"x" * (2 * xmlsafe.CHUNK) + b" -->"
    doc = padding + b'<!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>'
    with pytest.raises(EntitiesForbidden):
        list(iterparse(io.BytesIO(doc)))


def test_an_entity_reference_without_declaration_is_malformed_xml():
    with pytest.raises(ET.ParseError, match="undefined entity"):
        list(iterparse(io.BytesIO(b"<r><a>&secret;</a></r>")))


def test_an_external_dtd_is_never_fetched_nor_followed():
    # As defusedxml: expat does not load an external DTD subset; nothing it could declare
    # is known, so the document is read as it is.
    doc = b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/r.dtd"><r/>'
    assert _shape(iterparse(io.BytesIO(doc))) == [("start", "r", {}, ""), ("end", "r", {}, "")]


def test_the_external_reference_handler_refuses():
    with pytest.raises(ExternalReferenceForbidden):
        xmlsafe._refuse_external("ctx", None, "http://127.0.0.1:9/x", None)


def test_a_prolog_beyond_the_limit_is_refused():
    doc = b"<!-- " + b"x" * (MAX_PROLOG + xmlsafe.CHUNK) + b" --><r/>"
    with pytest.raises(ET.ParseError, match="prolog"):
        list(iterparse(io.BytesIO(doc)))


@pytest.mark.parametrize(
    ("doc", "line"),
    [(b"<r>\n  <a>text</a>\n  <b", 3), (b"<?xml version='1.0'?>\n<!DOCTYPE r [\n<!ELEMENT", 3)],
    ids=["in-the-body", "in-the-prolog"],
)
def test_a_truncated_document_says_where(doc, line):
    with pytest.raises(ET.ParseError) as caught:
        list(iterparse(io.BytesIO(doc)))
    assert caught.value.position[0] == line


def test_an_empty_document_is_malformed():
    with pytest.raises(ET.ParseError):
        list(iterparse(io.BytesIO(b"")))


def test_a_document_split_across_many_reads_is_read_whole():
    doc = b"<r>" + b"".join(b'<i n="%d">%d</i>' % (k, k) for k in range(30_000)) + b"</r>"
    ends = [e for e, el in iterparse(io.BytesIO(doc)) if e == "end" and el.tag == "i"]
    assert len(ends) == 30_000
