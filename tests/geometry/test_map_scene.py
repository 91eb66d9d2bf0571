"""Existing networks with their own courses (as from KLIC): the map scene and its check."""

import numpy as np
import pytest

from vkls.geometry.scene import build_map_scene
from vkls.model import NetworkKind, NetworkMap, Tree, Utility
from vkls.pipeline import check_street
from vkls.rules.loader import load_norms

NORMS = load_norms()
X0, Y0 = 155000.0, 463000.0


def utility(id, kind, points, diameter=0.1, group="", **kw):
    return Utility(id=id, kind=kind, owner="test", diameter=diameter, points=np.asarray(points, dtype=float),
                   group=group or id, **kw)


def test_crossing_of_two_existing_networks_is_found_at_its_place():
    # water along x at axis depth 1.05; LV cable along y at axis depth 0.925: gap 1.05-0.925-0.05-0.025
    water = utility("W", NetworkKind.WATER, [[X0, Y0, 1.05], [X0 + 20, Y0, 1.05]])
    cable = utility("L", NetworkKind.LAAGSPANNING, [[X0 + 7, Y0 - 5, 0.925], [X0 + 7, Y0 + 5, 0.925]], diameter=0.05)
    result = check_street(NetworkMap("m", "test", (water, cable)), NORMS)
    (conflict,) = [c for c in result.conflicts if c.rule == "clearance"]
    assert conflict.regime == "crossing"
    assert conflict.actual == pytest.approx(0.05)
    assert (conflict.x, conflict.y) == pytest.approx((X0 + 7, Y0))
    assert conflict.z == pytest.approx(-(1.05 + 0.925) / 2)
    a = conflict.objects[0]
    assert conflict.chainage == pytest.approx(7.0 if a == "W" else 5.0)


def test_a_cable_in_its_own_duct_is_not_a_conflict():
    duct = utility("D", NetworkKind.DATATRANSPORT, [[X0, Y0, 0.7], [X0 + 10, Y0, 0.7]], diameter=0.11, group="D")
    cable = utility("C", NetworkKind.DATATRANSPORT, [[X0, Y0, 0.7], [X0 + 10, Y0, 0.7]], diameter=0.03, group="D")
    result = check_street(NetworkMap("m", "test", (duct, cable)), NORMS)
    assert result.conflicts == []


def test_map_scene_is_local_and_z_is_minus_depth():
    water = utility("W", NetworkKind.WATER, [[X0 + 3.5, Y0 + 2.5, 1.0], [X0 + 10, Y0 + 2.5, 1.2]])
    tree = Tree("B", 0.0, 0.0, "2", 0.3, 3.0, xy=(X0 + 6.0, Y0 + 4.0))
    scene = build_map_scene(NetworkMap("m", "test", (water,), (tree,)), NORMS)
    assert scene.origin.tolist() == [X0 + 3, Y0 + 2]
    assert scene.cap_a[0].tolist() == pytest.approx([0.5, 0.5, -1.0])
    assert scene.to_world(scene.cap_b[:1])[0].tolist() == pytest.approx([X0 + 10, Y0 + 2.5, -1.2])
    result = check_street(NetworkMap("m", "test", (water,), (tree,)), NORMS)
    rules = {c.rule for c in result.conflicts}
    assert {"tree-distance", "root-zone"} <= rules and "order" not in rules and "access" not in rules
