import pytest

from tests.conftest import network
from vkls.pipeline import check

RESERVATION = ('[[reservations]]\nid = "HEAT"\npurpose = "warmte"\noffset = 2.0\nwidth = 1.0\n'
               'depth_top = 0.6\ndepth_bottom = 1.4\nchainage_start = 5.0\nchainage_end = 15.0\n')


def findings(path):
    return [c for c in check(path).conflicts if c.rule == "reservation"]


def test_main_inside_a_reserved_corridor(street_file):
    found = findings(street_file(network("W", "water", offset=2.5, depth=1.0, diameter=0.1), RESERVATION))
    (conflict,) = found
    assert set(conflict.objects) == {"W", "HEAT"}
    assert conflict.chainage_start == pytest.approx(5.0, abs=1e-6)
    assert conflict.chainage_end == pytest.approx(15.0, abs=1e-6)
    assert "kept free for a future network" in conflict.explanation


@pytest.mark.parametrize("offset, depth", [(1.9, 1.0), (2.5, 0.4), (3.06, 1.0)])
def test_mains_outside_the_corridor_are_not_reported(street_file, offset, depth):
    assert findings(street_file(network("W", "water", offset=offset, depth=depth, diameter=0.1), RESERVATION)) == []


def test_crossing_house_connections_are_allowed(street_file):
    body = network("W", "water", offset=3.5, depth=1.0, diameter=0.1)
    extra = RESERVATION + '[[connections]]\nnetworks = ["W"]\nspacing = 4.0\nstart = 6.0\n'
    assert findings(street_file(body, extra)) == []
