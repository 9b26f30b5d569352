"""Streaming XML for the report parsers: ElementTree's C parser, defusedxml's refusals.

``defusedxml.ElementTree.iterparse`` is safe but slow: to hook expat's entity handlers it
replaces ElementTree's C parser with the pure-Python one. On the 5,000-host nmap report of
the benchmark (18 MB, 364,322 elements) it spends 0.77 s of CPU where ElementTree's C parser
spends 0.35 s. A hand-made expat front end with the same refusals was measured at 0.89 s: its
Python callbacks cost what the C tree builder saves.

What the refusals need is only in the document's prolog: in XML, entities can be declared in
the internal DTD subset and nowhere else, and the DTD ends before the first element. So:

1. the prolog (everything before the first element's start tag) is read by a bare expat
   parser with defusedxml's handlers: any entity declaration, internal (the "billion
   laughs") or external, and any external reference stop the parse with defusedxml's own
   exceptions (``EntitiesForbidden``, ``ExternalReferenceForbidden``), which
   ``rempart.importers`` turns into one sentence;
2. the whole document (the prolog's bytes are kept and given again) is then parsed by
   ElementTree's C ``XMLPullParser``. With no entity declared, any entity reference left in
   the document is undefined and expat stops on it (``ParseError``); an external DTD subset
   is never loaded by expat (nor by defusedxml).

A prolog longer than ``MAX_PROLOG`` bytes is refused: reports do not carry DTDs that size.
"""

from __future__ import annotations

import pyexpat
from collections.abc import Callable, Iterator
from typing import BinaryIO, NoReturn, cast
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from defusedxml import EntitiesForbidden, ExternalReferenceForbidden

CHUNK = 64 * 1024
MAX_PROLOG = 1 << 20


class _RootReached(Exception):
    """The prolog checker met the first element: the prolog is over."""


def iterparse(stream: BinaryIO) -> Iterator[tuple[str, Element]]:
    """("start" | "end", element) for every element of the XML document in ``stream``, as
    ``xml.etree.ElementTree.iterparse(stream, events=("start", "end"))`` gives them."""
    head = _checked_prolog(stream)
    parser: XMLPullParser[Element] = XMLPullParser(events=("start", "end"))
    # Only start and end events are asked for: each is (event name, element).
    events = cast("Callable[[], Iterator[tuple[str, Element]]]", parser.read_events)
    chunk = head
    while chunk:
        parser.feed(chunk)
        yield from events()
        chunk = stream.read(CHUNK)
    parser.close()
    yield from events()


def _checked_prolog(stream: BinaryIO) -> bytes:
    """The bytes read from ``stream`` up to and a little beyond the start of the document's
    first element, once a defused expat parser has read its prolog without objection."""
    checker = pyexpat.ParserCreate()
    checker.EntityDeclHandler = _refuse_entity
    checker.UnparsedEntityDeclHandler = _refuse_unparsed_entity
    checker.ExternalEntityRefHandler = _refuse_external
    checker.StartElementHandler = _root_reached
    read: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(CHUNK)
        read.append(chunk)
        size += len(chunk)
        try:
            checker.Parse(chunk, not chunk)
        except _RootReached:
            return b"".join(read)
        except pyexpat.ExpatError as exc:
            raise _parse_error(exc) from None
        if not chunk:
            return b"".join(read)  # no element at all: the full parse says what is wrong
        if size > MAX_PROLOG:
            raise ParseError(f"the prolog (before the first element) exceeds {MAX_PROLOG} bytes")


def _root_reached(_tag: str, _attributes: dict[str, str]) -> NoReturn:
    raise _RootReached


def _parse_error(exc: pyexpat.ExpatError) -> ParseError:
    error = ParseError(f"{pyexpat.ErrorString(exc.code)}: line {exc.lineno}, column {exc.offset}")
    error.code = exc.code
    error.position = (exc.lineno, exc.offset)
    return error


def _refuse_entity(
    name: str,
    _is_parameter: bool,
    value: str | None,
    base: str | None,
    system_id: str | None,
    public_id: str | None,
    notation: str | None,
) -> NoReturn:
    raise EntitiesForbidden(name, value, base, system_id, public_id, notation)


def _refuse_unparsed_entity(
    name: str, base: str | None, system_id: str, public_id: str | None, notation: str
) -> NoReturn:
    raise EntitiesForbidden(name, None, base, system_id, public_id, notation)


def _refuse_external(
    context: str, base: str | None, system_id: str | None, public_id: str | None
) -> NoReturn:
    raise ExternalReferenceForbidden(context, base, system_id, public_id)
