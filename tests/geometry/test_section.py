import pytest

from tests.conftest import base_street, network
from vkls.errors import InputError
from vkls.geometry.section import place_networks, rack_parts
from vkls.io.street_toml import read_street
from vkls.rules.loader import load_norms

NORMS = load_norms()


def test_nen7171_default_strips_follow_the_norms_order(street_file):
    body = "".join(network(i, k) for i, k in [("W", "water"), ("T", "datatransport"), ("L", "laagspanning"),
                                                ("G", "gasLageDruk")])
    placements = place_networks(read_street(street_file(body), NORMS), NORMS)
    # free strip 0.30, telecom 0.60, LV 0.50, gas 0.50, water 0.60 (norms/placement.toml)
    assert placements["T"].axis_offsets == pytest.approx((0.60,))
    assert placements["L"].axis_offsets == pytest.approx((1.15,))
    assert placements["G"].axis_offsets == pytest.approx((1.65,))
    assert placements["W"].axis_offsets == pytest.approx((2.20,))
    assert placements["W"].cover == pytest.approx(1.00)  # default cover depth of water
    assert placements["W"].axis_depth == pytest.approx(1.00 + 0.055)


def test_given_offset_and_depth_win_and_bundles_lie_side_by_side(street_file):
    placements = place_networks(read_street(street_file(network("T", "datatransport", offset=1.0, depth=0.4,
                                                                diameter=0.05, count=3)), NORMS), NORMS)
    assert placements["T"].axis_offsets == pytest.approx((0.95, 1.0, 1.05))
    assert placements["T"].cover == pytest.approx(0.4)


def test_sewer_goes_to_the_middle_of_the_carriageway(street_file):
    placements = place_networks(read_street(street_file(network("R", "rioolVrijverval")), NORMS), NORMS)
    assert placements["R"].axis_offsets == pytest.approx((4.0 + 3.0,))


def test_sewer_without_a_carriageway_needs_an_offset(street_file):
    path = street_file(network("R", "rioolVrijverval"), base=base_street(zones=(("sidewalk", 4.0, "paving"),)))
    with pytest.raises(InputError, match=r"networks\[0\]\.offset: needs an offset"):
        place_networks(read_street(path, NORMS), NORMS)


def test_rack_levels_rest_on_beams(street_file):
    body = network("T", "datatransport", diameter=0.05) + network("W", "water", diameter=0.11)
    extra = """
    [rack]
    offset = 0.3
    width = 0.7
    bottom_depth = 1.4
    [[rack.levels]]
    depth = 0.4
    networks = ["T"]
    [[rack.levels]]
    depth = 0.9
    networks = ["W"]
    """
    street = read_street(street_file(body, extra, base=base_street("vkls")), NORMS)
    placements = place_networks(street, NORMS)
    assert placements["T"].cover == pytest.approx(0.4)
    assert placements["W"].cover == pytest.approx(0.9)
    # staggered between the uprights (0.3 + 0.06 + 0.01 .. 1.0 - 0.06 - 0.01): the top level
    # against the street side, the bottom level against the facade side
    assert placements["T"].axis_offsets == pytest.approx((0.93 - 0.025,))
    assert placements["W"].axis_offsets == pytest.approx((0.37 + 0.055,))
    beams = [p for p in rack_parts(street) if p.name == "beam"]
    assert [b.depth_min for b in beams] == pytest.approx([0.45, 1.01])  # underside of the networks
    assert {p.name for p in rack_parts(street)} == {"posts", "beam", "base plate", "protection plate"}


def test_rack_level_too_narrow_is_an_input_error(street_file):
    body = network("T", "datatransport", diameter=0.2, count=4)
    extra = """
    [rack]
    width = 0.7
    [[rack.levels]]
    depth = 0.4
    networks = ["T"]
    """
    path = street_file(body, extra, base=base_street("vkls"))
    with pytest.raises(InputError, match="rack.levels: rack level at depth 0.4 m holds 0.800 m"):
        place_networks(read_street(path, NORMS), NORMS)
