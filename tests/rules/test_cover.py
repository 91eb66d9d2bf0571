import pytest

from tests.conftest import base_street, network
from vkls.pipeline import check


def findings(path, rule="cover-depth"):
    return [c for c in check(path).conflicts if c.rule == rule]


@pytest.mark.parametrize("depth, expected, required", [(0.59, 1, 0.60), (0.60, 0, None), (1.01, 1, 1.00),
                                                       (1.00, 0, None)])
def test_telecom_cover_between_060_and_100(street_file, depth, expected, required):
    found = findings(street_file(network("T", "datatransport", offset=1.0, depth=depth, diameter=0.05)))
    assert len(found) == expected
    if found:
        (conflict,) = found
        assert conflict.required == required
        assert conflict.actual == pytest.approx(depth)
        assert conflict.objects == ("T", None)
        assert (conflict.chainage_start, conflict.chainage_end) == pytest.approx((0.0, 20.0))
        assert ("at least" if depth < 0.6 else "at most") in conflict.explanation


def test_rack_networks_use_the_rack_minimum(street_file):
    extra = '[rack]\noffset = 0.3\n[[rack.levels]]\ndepth = 0.32\nnetworks = ["T"]\n'
    path = street_file(network("T", "datatransport", diameter=0.05), extra, base=base_street("vkls"))
    assert findings(path) == []  # 0.32 >= cover.rack_min 0.30, although < 0.60 in soil
    extra = extra.replace("depth = 0.32", "depth = 0.28")
    path = street_file(network("T", "datatransport", diameter=0.05), extra, base=base_street("vkls"), name="b.toml")
    (conflict,) = findings(path)
    assert conflict.required == 0.30 and "cover.rack_min" not in conflict.explanation
    assert "protection plate" in conflict.source


@pytest.mark.parametrize("depth, diameter, expected", [(1.2, 0.3, 0), (1.0, 0.3, 1), (2.8, 0.3, 1)])
def test_sewer_invert(street_file, depth, diameter, expected):
    # invert = cover + outer diameter: 1.5 (ok), 1.3 (< 1.5), 3.1 (> 3.0)
    found = findings(street_file(network("R", "rioolVrijverval", depth=depth, diameter=diameter)), "sewer-invert")
    assert len(found) == expected
    if found:
        assert found[0].actual == pytest.approx(depth + diameter)
