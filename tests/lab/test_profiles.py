"""The lab's profiles are deterministic and cover every check id both ways."""

import pytest

from rempart.engine.catalog import CATALOG
from rempart.lab.profiles import FORCEABLE, MIN_COVERAGE_SIZE, generate
from rempart.lab.truth import expectation, ground_truth


def test_the_same_seed_gives_the_same_lab_and_another_seed_another():
    assert generate(40, 3) == generate(40, 3)
    assert generate(40, 3) != generate(40, 4)


@pytest.mark.parametrize("size", [MIN_COVERAGE_SIZE, 31, 57, 200])
@pytest.mark.parametrize("seed", [1, 2, 99])
def test_every_check_id_fails_somewhere_and_passes_somewhere(size, seed):
    expectations = [expectation(b) for b in generate(size, seed)]
    for check in CATALOG:
        assert any(check in e.fail for e in expectations), f"{check} never fails"
        assert any(check in e.passes for e in expectations), f"{check} never passes"


def test_every_catalog_id_has_a_lab_setting():
    assert set(FORCEABLE) == set(CATALOG)


def test_businesses_have_readable_unique_names_and_addresses():
    lab = generate(200, 1)
    assert len({b.domain for b in lab}) == 200
    assert len({b.address for b in lab}) == 200
    assert lab[0].domain == "boulangerie-1.lab"
    assert all(b.address.startswith("127.20.") for b in lab)


def test_ground_truth_lists_fail_and_pass_per_business():
    doc = ground_truth(generate(30, 1))
    first = doc["businesses"][0]
    assert set(first) >= {"domain", "name", "address", "fail", "pass"}
    assert not set(first["fail"]) & set(first["pass"])
