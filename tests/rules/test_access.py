import pytest

from tests.conftest import base_street, network
from vkls.pipeline import check


def findings(path):
    return [c for c in check(path).conflicts if c.rule == "access"]


def test_cable_above_a_water_main_must_be_exposed(street_file):
    # Dunea: cables 0.4 m above the water main. Trench over the main: 2.0 +- (0.055 + 0.3)
    body = (network("W", "water", offset=2.0, depth=1.0, diameter=0.11)
            + network("L", "laagspanning", offset=2.2, depth=0.55, diameter=0.05))
    found = findings(street_file(body))
    assert [c.objects for c in found] == [("W", "L")]
    # L's circle (r 0.025, centre 2.2) lies inside the trench edge at 2.355 by 0.155 + 0.025
    assert found[0].actual == pytest.approx(-(2.355 - 2.2) - 0.025)
    assert "to dig down to drinking water W" in found[0].explanation


def test_networks_outside_the_working_room_are_not_exposed(street_file):
    body = (network("W", "water", offset=2.0, depth=1.0, diameter=0.11)
            + network("L", "laagspanning", offset=2.4, depth=0.55, diameter=0.05))
    assert findings(street_file(body)) == []


def test_tree_and_reservation_in_the_trench_room_beside_a_rack(street_file):
    body = network("T", "datatransport", diameter=0.05)
    extra = ('[rack]\noffset = 0.3\nwidth = 0.7\n[[rack.levels]]\ndepth = 0.4\nnetworks = ["T"]\n'
             '[[trees]]\nid = "B1"\nchainage = 10.0\noffset = 1.2\nsize_class = "3"\ntrunk_diameter = 0.3\n'
             'crown_radius = 2.0\n'
             '[[reservations]]\nid = "RES1"\npurpose = "warmte"\noffset = 1.4\nwidth = 0.8\ndepth_top = 0.5\n'
             'depth_bottom = 1.2\n')
    found = findings(street_file(body, extra, base=base_street("vkls")))
    blocked = sorted(c.objects[0] for c in found if c.objects[1] is None)
    assert blocked == ["B1", "RES1"]
    tree = [c for c in found if c.objects[0] == "B1"][0]
    assert tree.chainage == 10.0 and "trench room beside the VKLS rack" in tree.explanation
