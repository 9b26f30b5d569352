"""Feeds are third-party data: malformed records give FeedFormatError or are skipped, never
another exception (fuzzed with hypothesis from the hand-written samples' shapes)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.intel.cpe_match import NvdIndex
from rempart.intel.model import Component
from rempart.intel.nvd import parse_cve
from rempart.intel.osv import OsvIndex
from rempart.intel.osv_records import compact_record
from rempart.intel.streaming import FeedFormatError

from .conftest import DATA, sample_records

_JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_NVD = json.loads((DATA / "nvd/cves-page.json").read_text())["vulnerabilities"]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found


def _mutated(document: Any, data: st.DataObject) -> Any:
    """The document with one node (anywhere) replaced by junk."""
    copied = copy.deepcopy(document)
    path = data.draw(st.sampled_from(_paths(copied)[1:]))
    node = copied
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = data.draw(_JUNK)
    return copied


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_a_mutated_osv_record_never_breaks_the_index(data: st.DataObject) -> None:
    record = _mutated(data.draw(st.sampled_from(sample_records())), data)
    index = OsvIndex()
    try:
        compact_record(record)
        index.add(record)
    except FeedFormatError:
        return
    for purl in ("pkg:npm/lodash@4.17.20", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"):
        index.match(Component("", "", purl=purl))
    index.cve_vectors()


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_mutated_nvd_item_never_breaks_the_index(data: st.DataObject) -> None:
    item = _mutated(data.draw(st.sampled_from(_NVD)), data)
    try:
        cve = parse_cve(item)
    except FeedFormatError:
        return
    index = NvdIndex()
    if cve is not None:
        index.add(cve)
        NvdIndex().add(type(cve).from_json(json.loads(cve.to_json())))
    index.match(Component("OpenSSH", "8.9p1", vendor="openbsd"))
    index.match(Component("openssl", "1.1.1k", vendor="openssl"))


def test_the_samples_themselves_load(tmp_path: Path) -> None:
    index = OsvIndex()
    for record in sample_records():
        index.add(record)
    assert len(index) == 7
