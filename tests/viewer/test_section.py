"""The 2D cross-section: what is in it, envelopes, output formats, and a reference picture."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest

from tests.conftest import network
from tests.viewer.images import assert_matches_reference, colour_fraction, load_png
from vkls.viewer.colours import CONFLICT_COLOUR


def test_items_at_a_chainage(test_street):
    from vkls.viewer.section import section_items

    street, scene, _ = test_street
    items = section_items(street, scene, 15.0)
    mains = {i.object_id: i for i in items if i.role == "main"}
    assert set(mains) == {n.id for n in street.networks}
    for net in street.networks:
        placement = scene.placements[net.id]
        area = mains[net.id].geometry.area
        assert area == pytest.approx(net.count * math.pi * placement.radius ** 2, rel=0.01)
        assert mains[net.id].axis[1] == pytest.approx(-placement.axis_depth)
    connections = [i.object_id for i in items if "connection" in i.role]
    assert connections == ["W1/hc@15.0"]
    assert any(i.kind == "rack" and i.cut for i in items) and any(i.kind == "rack" and not i.cut for i in items)
    roots = [i for i in items if i.role == "root zone"]
    assert len(roots) == 1 and roots[0].geometry.bounds[1] < -1.0
    assert not [i for i in section_items(street, scene, 25.0) if i.role == "root zone"]


def test_envelope_is_the_clearance_to_the_nearest_neighbour(street_file):
    from vkls.geometry.scene import build_scene
    from vkls.io.street_toml import read_street
    from vkls.rules.loader import load_norms
    from vkls.viewer.section import envelopes, required_clearance, section_items

    norms = load_norms()
    path = street_file(network("W", "water", offset=1.0, depth=1.0, diameter=0.1)
                       + network("G", "gasLageDruk", offset=1.4, depth=1.0, diameter=0.1)
                       + network("T", "datatransport", offset=3.0, depth=0.6, diameter=0.05))
    street = read_street(path, norms)
    scene = build_scene(street, norms)
    rings = {e.item.object_id: e for e in envelopes(section_items(street, scene, 5.0), scene, norms)}
    assert rings["W"].neighbour.object_id == "G" and rings["G"].neighbour.object_id == "W"
    assert rings["W"].required == pytest.approx(required_clearance(norms, "water", "gasLageDruk", stacked=False))
    assert rings["W"].gap == pytest.approx(0.3, abs=1e-3)
    assert rings["T"].neighbour.object_id == "G"


def test_svg_is_valid_and_labelled(test_street):
    from vkls.viewer.section import draw_section

    street, scene, conflicts = test_street
    svg = draw_section(street, scene, conflicts, 15.0, fmt="svg")
    root = ElementTree.fromstring(svg)
    assert root.tag.endswith("svg")
    text = svg.decode()
    for label in ("G1 G-LD", "W1 W", "R1 RI", "C-test0002", "offset from facade", "Detail"):
        assert label in text, label
    assert draw_section(street, scene, conflicts, 15.0, fmt="svg") == svg, "SVG output is not reproducible"


def test_png_matches_reference(test_street):
    from vkls.viewer.section import draw_section

    street, scene, conflicts = test_street
    image = load_png(draw_section(street, scene, conflicts, 15.0, fmt="png", dpi=50))
    assert image.std() > 20
    assert colour_fraction(image, CONFLICT_COLOUR, 60) > 1e-4
    assert_matches_reference(image, "section-15")


def test_section_without_rack_or_conflicts(street_file):
    from vkls.geometry.scene import build_scene
    from vkls.io.street_toml import read_street
    from vkls.rules.loader import load_norms
    from vkls.viewer.section import draw_section

    norms = load_norms()
    street = read_street(street_file(network("W", "water", offset=1.0)), norms)
    scene = build_scene(street, norms)
    svg = draw_section(street, scene, [], 0.0, fmt="svg").decode()
    assert "No conflicts at this chainage" in svg and "Detail" not in svg


def test_bad_chainage_and_format(test_street):
    from vkls.errors import InputError
    from vkls.viewer.section import draw_section

    street, scene, conflicts = test_street
    with pytest.raises(InputError, match="outside the route"):
        draw_section(street, scene, conflicts, -1.0)
    with pytest.raises(InputError, match="unknown picture format"):
        draw_section(street, scene, conflicts, 1.0, fmt="gif")


def test_conflicts_at_a_chainage(test_street):
    from vkls.viewer.section import conflicts_at

    _, _, conflicts = test_street
    assert [c.id for c in conflicts_at(conflicts, 15.2)] == ["C-test0001", "C-test0002"]
    assert [c.id for c in conflicts_at(conflicts, 12.0)] == ["C-test0001", "C-test0003"]
    assert np.all([c.chainage_start <= 29.5 for c in conflicts])


@pytest.mark.parametrize("width", [4.0, 6.0, 9.0, 13.0])
def test_a_narrow_figure_keeps_the_detail_legend_and_list_inside(test_street, width):
    from vkls.viewer.section import section_figure

    street, scene, conflicts = test_street
    figure = section_figure(street, scene, conflicts, 15.0, width=width)
    assert figure.get_figwidth() == width
    for ax in figure.axes:
        x0, y0, w, h = ax.get_position().bounds
        assert w > 0 and h > 0 and x0 >= 0 and y0 >= -1e-9 and x0 + w <= 1 + 1e-9 and y0 + h <= 1 + 1e-9
    text = figure.texts[0].get_text()
    assert max(len(line) for line in text.splitlines()) <= max(20, int((width - 0.4) * 12))
