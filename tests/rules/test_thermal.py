import pytest

from tests.conftest import network
from vkls.pipeline import check


def findings(path, rule):
    return [c for c in check(path).conflicts if c.rule == rule]


@pytest.mark.parametrize("gap, expected", [(0.99, 1), (1.01, 0)])
def test_heat_beside_water_needs_one_metre(street_file, gap, expected):
    # heat (d 0.2) and water (d 0.1) at one depth, side by side
    body = (network("H", "warmte", offset=1.0, depth=0.8, diameter=0.2)
            + network("W", "water", offset=round(1.0 + 0.1 + 0.05 + gap, 9), depth=0.85, diameter=0.1))
    found = findings(street_file(body), "thermal")
    assert len(found) == expected
    if found:
        assert found[0].required == 1.0 and found[0].regime == "parallel"
        assert found[0].actual == pytest.approx(gap)
        assert "25 C" in found[0].explanation


@pytest.mark.parametrize("water_depth, required", [(1.30, 0.50), (0.30, 1.00)])
def test_water_below_heat_needs_less_than_water_above(street_file, water_depth, required):
    # water 0.40 m below heat (crossing value 0.5) or 0.40 m above it (the stricter `above` value 1.0)
    heat_top, heat_d, water_d = 0.70, 0.20, 0.10
    body = (network("H", "warmte", offset=1.0, depth=heat_top, diameter=heat_d)
            + network("W", "water", offset=1.0, depth=water_depth, diameter=water_d))
    (conflict,) = findings(street_file(body), "thermal")
    assert conflict.regime == "stacked"
    assert conflict.required == required
    gap = 0.40 if water_depth > heat_top else heat_top - (water_depth + water_d)
    assert conflict.actual == pytest.approx(gap)
    water_is_a = conflict.objects[0] == "W"
    assert conflict.a_above_b == ((1 if water_depth < heat_top else -1) * (1 if water_is_a else -1))


def test_thermal_finding_replaces_the_clearance_finding_for_the_same_pair(street_file):
    body = (network("H", "warmte", offset=1.0, depth=0.8, diameter=0.2)
            + network("W", "water", offset=1.2, depth=0.8, diameter=0.1))  # they overlap
    result = check(street_file(body))
    rules = [c.rule for c in result.conflicts if set(c.objects) == {"H", "W"}]
    assert "thermal" in rules and "clearance" not in rules
