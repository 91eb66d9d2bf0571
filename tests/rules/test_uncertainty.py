"""Position uncertainty: certain vs possible conflicts (KLIC accuracy classes)."""

import pytest

from tests.conftest import network
from vkls.pipeline import check


def water_gas(street_file, gap, accuracy):
    acc = f"\naccuracy_xy = {accuracy}\naccuracy_depth = {accuracy}\n"
    body = (network("G", "gasLageDruk", offset=1.0, depth=0.8, diameter=0.1).rstrip() + acc
            + network("W", "water", offset=round(1.1 + gap, 9), depth=0.8, diameter=0.1).rstrip() + acc)
    return [c for c in check(street_file(body)).conflicts if c.rule == "clearance"]


@pytest.mark.parametrize("gap, accuracy, expected", [
    (0.10, 0.0, "certain"),     # 0.10 < 0.30 wherever they are
    (0.10, 0.05, "certain"),    # even 0.05 + 0.05 apart more: 0.20 < 0.30
    (0.25, 0.05, "possible"),   # violated as drawn, but 0.35 apart is possible
    (0.35, 0.05, "possible"),   # fine as drawn, but 0.25 apart is possible
    (0.45, 0.05, None),         # fine wherever they are
])
def test_certain_and_possible(street_file, gap, accuracy, expected):
    found = water_gas(street_file, gap, accuracy)
    if expected is None:
        assert found == []
    else:
        (conflict,) = found
        assert conflict.certainty == expected
        assert conflict.severity == ("practitioner" if expected == "certain" else "possible")


def test_broad_phase_margin_includes_the_uncertainty(street_file):
    # 0.55 apart with 0.15 m accuracy each: the pair must reach the narrow phase (0.30 + 0.30 > 0.55)
    found = water_gas(street_file, 0.55, 0.15)
    assert [c.certainty for c in found] == ["possible"]
