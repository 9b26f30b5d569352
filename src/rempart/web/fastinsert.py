"""Many rows in one prepared statement: the hot path of imports, written by hand for speed.

Why not ``bulk_create``/``bulk_update``: measured on this machine (2 cores, SQLite, one
transaction), 100,000 findings took 3.8 s to build as model instances, 15.6 s to insert with
``bulk_create`` (SQLite's 999-parameter bound makes it ~28 rows per INSERT, each statement
compiled anew), and their opened events and sightings another 16 s — about 3,000 findings per
second, against the 20,000 the import must reach. ``executemany`` on one prepared INSERT with
plain tuples does the same 300,000 rows in about 2 s (see bench/README.md, "Imports").

Values are converted the way Django would (``get_db_prep_save``) so both SQLite and PostgreSQL
get what their columns expect; conversions of hashable values (datetimes, dates) are cached
since an import writes the same few of them on every row.
"""

from __future__ import annotations

import itertools
import secrets
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import orjson
from django.db import connection, models
from django.db.models.fields import NOT_PROVIDED

BATCH = 5000
_SENTINEL = object()
_counter = itertools.count()
# Read once: an enum member read through its class runs enum's descriptor (≈ 0.6 µs an id).
_UNKNOWN_SAFETY = uuid.SafeUUID.unknown


def ordered_uuid() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 version 7: 48-bit Unix milliseconds, a 12-bit counter,
    62 random bits). Rows inserted in one import get neighbouring keys, so the primary-key
    index and the events' ``finding_id`` index grow at their end instead of at random places:
    measured here, 100,000 findings and their events went from 3.5–4.1 s + 2.3–2.8 s with
    random (version 4) ids to 3.0–3.2 s + 1.3–1.5 s."""
    millis = time.time_ns() // 1_000_000
    sequence = next(_counter) & 0xFFF
    tail = secrets.randbits(62)
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | sequence << 64 | 0b10 << 62 | tail
    # The value is valid by construction: skip UUID.__init__'s parsing and checks (4 µs of
    # the 9 µs per id; 0.75 s → 0.3 s for 88,000 new findings). UUID keeps ``int`` and
    # ``is_safe`` in slots, which is all its methods read.
    made = object.__new__(uuid.UUID)
    object.__setattr__(made, "int", value)
    object.__setattr__(made, "is_safe", _UNKNOWN_SAFETY)
    return made


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    internal = field.get_internal_type()
    if internal in ("UUIDField",) or (
        field.is_relation and field.target_field.get_internal_type() == "UUIDField"  # type: ignore[union-attr]
    ):

        def as_uuid(v: Any) -> Any:
            if v is None or isinstance(v, uuid.UUID):
                return v
            return uuid.UUID(str(v))

        if connection.vendor == "sqlite":  # Django keeps UUIDs there as 32 hex characters
            if field.is_relation:
                # A foreign key repeats a few values (the organisation, its assets, the
                # report): converted once each.
                known: dict[Any, str | None] = {}

                def as_hex(v: Any) -> str | None:
                    if v.__class__ is str and len(v) == 32:
                        return v  # a key already made text (an import's new findings)
                    found = known.get(v, _SENTINEL)
                    if found is _SENTINEL:
                        found = known[v] = None if v is None else as_uuid(v).hex
                    return found  # type: ignore[return-value]

                return as_hex

            def as_text(v: Any) -> str | None:
                if v.__class__ is str and len(v) == 32:
                    return v  # already the 32 hex characters
                return None if v is None else as_uuid(v).hex

            return as_text
        return as_uuid
    if internal == "JSONField":
        encoder = getattr(field, "encoder", None)
        if connection.vendor == "sqlite" and encoder is None:
            # SQLite keeps JSON as text: orjson writes the same JSON as Django's json.dumps
            # path about 5x faster (263,000 values of a 100,000-finding import: 1.4 s → 0.3 s).
            return lambda v: None if v is None else orjson.dumps(v).decode()
        adapt = connection.ops.adapt_json_value
        return lambda v: None if v is None else adapt(v, encoder)
    if internal in ("DateTimeField", "DateField"):
        cache: dict[Any, Any] = {}

        def convert(v: Any) -> Any:
            if v is None:
                return None
            found = cache.get(v, _SENTINEL)
            if found is _SENTINEL:
                found = cache[v] = field.get_db_prep_save(v, connection)
            return found

        return convert
    return None


def _default(field: models.Field[Any, Any]) -> Any:
    if field.default is NOT_PROVIDED:
        return None
    return field.default() if callable(field.default) else field.default


def insert_rows(model: type[models.Model], rows: Iterable[dict[str, Any]]) -> int:
    """INSERT every row (a dict of attribute names: ``organisation_id``, not ``organisation``);
    a missing attribute takes the field's default. Returns the number of rows."""
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
    names = [f.attname for f in fields]
    callables = {f.attname for f in fields if callable(f.default)}
    statics = {f.attname: _default(f) for f in fields if f.attname not in callables}
    defaults = {f.attname: f for f in fields if f.attname in callables}
    converters = [_converter(f) for f in fields]
    quote = connection.ops.quote_name
    # Names come from the model's metadata, never from input; values are parameters.
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    template = [(n, statics.get(n, _SENTINEL)) for n in names]
    late = [(i, defaults[n]) for i, n in enumerate(names) if n in defaults]
    conversions = [(i, c) for i, c in enumerate(converters) if c is not None]

    def prepared() -> Iterator[list[Any]]:
        for row in rows:
            values = [row.get(n, d) for n, d in template]
            for i, field in late:
                if values[i] is _SENTINEL:
                    values[i] = _default(field)
            for i, convert in conversions:
                values[i] = convert(values[i])
            yield values

    return _execute_batches(sql, prepared())


class Inserter:
    """One prepared INSERT for rows given as tuples in the order of ``attnames``, which must
    name every column of the model but an auto-increment key: no dict per row, no defaults
    to fill (the hot path of a first import: 88,000 findings, about 1 s less than
    ``insert_rows``).

    ``convert`` (pure Python, no query) and ``execute`` are apart so an import can convert
    its rows in the process that parses the report while this one writes (see
    ``rempart.web.imports.fold``)."""

    def __init__(self, model: type[models.Model], attnames: Sequence[str]) -> None:
        fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
        if sorted(f.attname for f in fields) != sorted(attnames):
            raise ValueError(
                f"{model.__name__}: insert_tuples needs every column, in a known order"
            )
        by_name = {f.attname: f for f in fields}
        ordered = [by_name[n] for n in attnames]
        self._conversions = [
            (i, c) for i, f in enumerate(ordered) if (c := _converter(f)) is not None
        ]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in ordered)
        marks = ", ".join(["%s"] * len(ordered))
        # Names come from the model's metadata, never from input; values are parameters.
        self.sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608

    def convert(self, row: Sequence[Any]) -> list[Any]:
        values = list(row)
        for i, convert in self._conversions:
            values[i] = convert(values[i])
        return values

    def execute(self, converted: Iterable[list[Any]]) -> int:
        """INSERT rows already converted by ``convert``."""
        return _execute_batches(self.sql, iter(converted))

    def insert(self, rows: Iterable[Sequence[Any]]) -> int:
        return self.execute(map(self.convert, rows))


def insert_tuples(
    model: type[models.Model], attnames: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """INSERT rows given as tuples in the order of ``attnames`` (see ``Inserter``)."""
    return Inserter(model, attnames).insert(rows)


def _field(model: type[models.Model], attname: str) -> models.Field[Any, Any]:
    """The field of an attribute name (``check_id`` is a field of its own, not a key)."""
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return field
    return model._meta.get_field(attname)  # type: ignore[return-value]


def update_rows(
    model: type[models.Model], attnames: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """``UPDATE … SET a=%s, b=%s WHERE pk=%s`` for each row ``(*values, pk)``."""
    fields = [_field(model, n) for n in attnames]
    converters = [_converter(f) for f in fields]
    pk_convert = _converter(model._meta.pk)  # type: ignore[arg-type]
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    # Names come from the model's metadata, never from input; values are parameters.
    key = quote(model._meta.pk.column)  # type: ignore[union-attr]
    sql = f"UPDATE {quote(model._meta.db_table)} SET {sets} WHERE {key} = %s"  # noqa: S608

    def prepared() -> Iterator[list[Any]]:
        for row in rows:
            *values, pk = row
            converted = [
                c(v) if c is not None else v for c, v in zip(converters, values, strict=True)
            ]
            converted.append(pk_convert(pk) if pk_convert is not None else pk)
            yield converted

    return _execute_batches(sql, prepared())


def _execute_batches(sql: str, rows: Iterator[list[Any]]) -> int:
    """``executemany`` by batches of ``BATCH`` rows (bounded memory); the number of rows."""
    total = 0
    with connection.cursor() as cursor:
        while batch := list(itertools.islice(rows, BATCH)):
            cursor.executemany(sql, batch)
            total += len(batch)
    return total
