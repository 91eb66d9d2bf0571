import numpy as np
import pytest

from tests.conftest import base_street, network
from vkls.pipeline import check


def arc(radius, length, spacing):
    s = np.arange(0, length + 1e-9, spacing)
    t = s / radius
    points = np.column_stack([155000 + radius * np.sin(t), 463000 + radius * (1 - np.cos(t))])
    return "[" + ", ".join(f"[{x:.6f}, {y:.6f}]" for x, y in points) + "]"


@pytest.mark.parametrize("radius, spacing", [(20.0, 1.0), (20.0, 2.5), (40.0, 1.0)])
def test_radius_of_a_sampled_arc_is_recovered(street_file, radius, spacing):
    # MV cable d 0.08: 12 x 0.08 = 0.96 m fits any of these arcs; heat d 0.2: 100 x 0.2 = 20 m
    body = network("H", "warmte", offset=0.0, depth=0.8, diameter=0.2)
    path = street_file(body, base=base_street(coordinates=arc(radius, 20.0, spacing)))
    found = [c for c in check(path).conflicts if c.rule == "bend-radius"]
    if radius * (1 - 1e-6) < 20.0:
        assert found, "a 20 m heat bend on a tighter arc must be reported"
        # the allowed radius equals the arc radius to within the chord approximation
        assert found[0].actual == pytest.approx(radius, rel=0.01)
        assert found[0].required == pytest.approx(20.0)
    else:
        assert found == []


def test_sharp_corner_allows_a_small_radius(street_file):
    # a 90 degree corner with 1 m legs on both sides (stations every 1 m, straight before and after):
    # the room reaches to the chain ends 10 m away, so R = 10 / tan(45) = 10 m
    body = network("M", "middenspanning", offset=0.0, depth=0.9, diameter=0.08)
    path = street_file(body, base=base_street(coordinates="[[0, 0], [10, 0], [10, 10]]"))
    (corner,) = [c for c in check(path).conflicts if c.rule == "bend-radius"] or [None]
    assert corner is None  # 10 m >= 0.96 m
    path = street_file(network("H", "warmte", offset=0.0, depth=0.8, diameter=0.2),
                       base=base_street(coordinates="[[0, 0], [10, 0], [10, 10]]"), name="heat.toml")
    (corner,) = [c for c in check(path).conflicts if c.rule == "bend-radius"]
    assert corner.actual == pytest.approx(10.0)
    assert corner.chainage == pytest.approx(10.0)
