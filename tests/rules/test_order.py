from tests.conftest import base_street, network
from vkls.pipeline import check


def findings(path):
    return [c for c in check(path).conflicts if c.rule == "order"]


def test_nen_strip_order_reports_the_swapped_neighbours(street_file):
    # water nearer the facade than gas: order is telecom, LV, gas, water, ...
    body = (network("T", "datatransport", offset=0.6, depth=0.6) + network("W", "water", offset=1.4, depth=1.0)
            + network("G", "gasLageDruk", offset=2.2, depth=0.7))
    (conflict,) = findings(street_file(body))
    assert conflict.objects == ("W", "G")
    assert conflict.actual == 1.4 and conflict.required == 2.2
    assert "order from the facade is datatransport, laagspanning, gasLageDruk, water" in conflict.explanation


def test_municipality_can_change_the_order(street_file, tmp_path):
    body = network("W", "water", offset=1.4, depth=1.0) + network("G", "gasLageDruk", offset=2.2, depth=0.7)
    mine = tmp_path / "city.toml"
    mine.write_text('[placement.sidewalk_order]\nvalue = ["water", "gasLageDruk"]\nstatus = "local"\n'
                    'source = "Gemeente Y profile"\n')
    assert [c for c in check(street_file(body), [str(mine)]).conflicts if c.rule == "order"] == []


def test_rack_level_order_and_exclusions(street_file):
    body = (network("W", "water", diameter=0.06) + network("T", "datatransport", diameter=0.04)
            + network("G", "gasHogeDruk", diameter=0.06))
    extra = ('[rack]\noffset = 0.3\nbottom_depth = 1.6\n'
             '[[rack.levels]]\ndepth = 0.4\nnetworks = ["W"]\n'
             '[[rack.levels]]\ndepth = 0.7\nnetworks = ["T"]\n'
             '[[rack.levels]]\ndepth = 1.0\nnetworks = ["G"]\n')
    found = findings(street_file(body, extra, base=base_street("vkls")))
    level = [c for c in found if c.objects == ("W", "T")]
    assert level and "VKLS order top to bottom" in level[0].explanation
    excluded = [c for c in found if c.objects == ("G", None)]
    assert excluded and "may not share a VKLS rack" in excluded[0].explanation
