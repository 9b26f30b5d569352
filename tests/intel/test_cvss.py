"""CVSS vectors to base scores: values published by FIRST's calculators and NVD."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.intel.cvss import rank, score, version_of


@pytest.mark.parametrize(
    ("vector", "expected"),
    [
        # CVSS 3.1: network, no privileges, full impact (e.g. CVE-2021-3711): 9.8 critical
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", (9.8, "critical")),
        # CVSS 3.1, scope changed (Log4Shell, CVE-2021-44228): 10.0
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", (10.0, "critical")),
        # CVSS 3.1, high complexity (regreSSHion, CVE-2024-6387): 8.1
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", (8.1, "high")),
        # the classic reflected XSS: 6.1 medium
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", (6.1, "medium")),
        # CVSS 3.0 (Jinja2 sandbox escape, CVE-2019-10906): 8.6
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:N", (8.6, "high")),
        # CVSS 2.0 has no prefix: 7.5 is "high", and 10.0 is still "high" (no critical in v2)
        ("AV:N/AC:L/Au:N/C:P/I:P/A:P", (7.5, "high")),
        ("AV:N/AC:L/Au:N/C:C/I:C/A:C", (10.0, "high")),
        ("AV:N/AC:M/Au:N/C:N/I:P/A:N", (4.3, "medium")),
        # CVSS 4.0
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", (9.3, "critical")),
        ("CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", (8.5, "high")),
        # no impact: 0.0 is information, not a problem
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", (0.0, "info")),
    ],
)
def test_known_vectors_give_their_published_scores(
    vector: str, expected: tuple[float, str]
) -> None:
    assert score(vector) == expected


@pytest.mark.parametrize(
    "vector",
    [
        "",
        "   ",
        "garbage",
        "CVSS:3.1/AV:N",  # incomplete
        "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",  # bad value
        "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",  # v2 never carries a prefix
        "CVSS:5.0/AV:N",  # unknown version
        "CVSS:4.0/AV:N/AC:L",
    ],
)
def test_an_invalid_vector_gives_none_not_an_exception(vector: str) -> None:
    assert score(vector) is None


def test_newer_cvss_versions_are_preferred() -> None:
    vectors = ["AV:N/AC:L/Au:N/C:P/I:P/A:P", "CVSS:4.0/AV:N/AC:L", "CVSS:3.1/AV:N", "CVSS:3.0/X"]
    assert [version_of(v) for v in vectors] == ["2.0", "4.0", "3.1", "3.0"]
    assert sorted(vectors, key=rank, reverse=True) == [
        vectors[1],
        vectors[2],
        vectors[3],
        vectors[0],
    ]


_METRIC = st.sampled_from(
    [
        "AV",
        "AC",
        "PR",
        "UI",
        "S",
        "C",
        "I",
        "A",
        "AT",
        "VC",
        "VI",
        "VA",
        "SC",
        "SI",
        "SA",
        "Au",
        "E",
    ]
)
_VALUE = st.sampled_from(["N", "L", "H", "P", "R", "U", "C", "A", "X", "M", "Z", ""])
_VECTOR = st.builds(
    lambda head, parts: head + "/".join(f"{m}:{v}" for m, v in parts),
    st.sampled_from(["", "CVSS:2.0/", "CVSS:3.0/", "CVSS:3.1/", "CVSS:4.0/", "CVSS:/"]),
    st.lists(st.tuples(_METRIC, _VALUE), max_size=14),
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=80), _VECTOR))
def test_score_never_raises_on_hostile_text(vector: str) -> None:
    result = score(vector)
    assert result is None or (0.0 <= result[0] <= 10.0 and result[1] in _RATINGS)


_RATINGS = {"critical", "high", "medium", "low", "info"}
