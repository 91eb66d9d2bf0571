"""Mesh builders: point and cell counts, one merged mesh per kind, bounds that match the scene."""

from __future__ import annotations

import numpy as np
import pytest

from vkls.viewer.meshes import (
    box_mesh,
    centre_lines,
    conflict_marks,
    group_label,
    scene_layers,
    tube_mesh,
    tube_sides,
    vertical_cylinder_mesh,
)


def test_tube_mesh_counts_and_shape():
    a = np.array([[0.0, 0, 0], [1.0, 0, 0], [5.0, 5, 5]])
    b = np.array([[1.0, 0, 0], [2.0, 0, 0], [5.0, 5, 6]])
    mesh = tube_mesh(a, b, np.array([0.1, 0.1, 0.2]), owner=np.array([7, 7, 8]), sides=8)
    assert mesh.n_points == 3 * 2 * 8
    # 3 x 8 quads; caps: the chain 0-1 has two ends, the lone segment two: 4 caps
    assert mesh.n_cells == 3 * 8 + 4
    assert set(np.unique(mesh.cell_data["object"])) == {7, 8}
    normals = mesh.point_data["Normals"]
    np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0)
    # every point lies at its radius from its segment's axis
    radial = mesh.points[:16] - np.array([0.5, 0, 0])
    np.testing.assert_allclose(np.hypot(radial[:, 1], radial[:, 2]), 0.1, atol=1e-12)
    xmin, xmax, ymin, ymax, zmin, zmax = mesh.bounds
    assert (xmin, xmax) == pytest.approx((0.0, 5.2), abs=1e-9)
    assert (zmin, zmax) == pytest.approx((-0.1, 6.0), abs=1e-9)


def test_tube_bends_are_closed():
    """A joined end that turns is extended by one radius, a straight joint is not."""
    a = np.array([[0.0, 0, 0], [1.0, 0, 0]])
    b = np.array([[1.0, 0, 0], [1.0, 1, 0]])
    mesh = tube_mesh(a, b, 0.1, owner=np.array([1, 1]), sides=6)
    assert mesh.bounds[1] == pytest.approx(1.1)
    assert mesh.bounds[2] == pytest.approx(-0.1)
    straight = tube_mesh(np.array([[0.0, 0, 0], [1.0, 0, 0]]), np.array([[1.0, 0, 0], [2.0, 0, 0]]), 0.1,
                         owner=np.array([1, 1]), sides=6)
    assert straight.bounds[1] == pytest.approx(2.0)


def test_box_and_cylinder_meshes():
    axes = np.tile(np.eye(3), (2, 1, 1))
    boxes = box_mesh(np.array([[0.0, 0, 0], [10.0, 0, 0]]), np.array([[1.0, 2, 3], [0.5, 0.5, 0.5]]), axes,
                     owner=np.array([4, 5]))
    assert boxes.n_points == 16 and boxes.n_cells == 12
    assert boxes.bounds == pytest.approx((-1, 10.5, -2, 2, -3, 3))
    assert list(np.unique(boxes.cell_data["object"])) == [4, 5]
    cylinders = vertical_cylinder_mesh(np.array([[1.0, 2.0]]), np.array([[-1.5, 0.0]]), np.array([2.0]), sides=40)
    assert cylinders.n_points == 80 and cylinders.n_cells == 42
    assert cylinders.bounds == pytest.approx((-1, 3, 0, 4, -1.5, 0), abs=1e-9)
    lines = centre_lines(np.zeros((3, 3)), np.ones((3, 3)))
    assert lines.n_points == 6 and lines.n_lines == 3


def test_one_merged_layer_per_kind_with_scene_bounds(test_street):
    street, scene, conflicts = test_street
    layers = scene_layers(street, scene, conflicts)
    keys = [layer.key for layer in layers]
    assert len(keys) == len(set(keys))
    kinds_in_scene = {obj.kind for obj in scene.objects if obj.network}
    assert {k.split(":", 1)[1] for k in keys if k.startswith("network:")} == kinds_in_scene
    real = scene.cap_r > 0
    for layer in layers:
        if not layer.key.startswith("network:"):
            continue
        kind = layer.key.split(":", 1)[1]
        rows = np.flatnonzero(real & np.array([scene.objects[o].kind == kind for o in scene.cap_object]))
        sides = tube_sides(scene.n_capsules)
        assert layer.mesh.n_points == 2 * sides * len(rows)
        ends = np.vstack([scene.cap_a[rows], scene.cap_b[rows]])
        r = scene.cap_r[rows].max()
        lo, hi = ends.min(axis=0), ends.max(axis=0)
        bounds = np.array(layer.mesh.bounds).reshape(3, 2)
        assert np.all(bounds[:, 0] >= lo - 2 * r - 1e-9) and np.all(bounds[:, 0] <= lo + 1e-9)
        assert np.all(bounds[:, 1] <= hi + 2 * r + 1e-9) and np.all(bounds[:, 1] >= hi - 1e-9)
        assert set(np.unique(layer.mesh.cell_data["object"])) <= set(np.unique(scene.cap_object[rows]))
    rack = next(layer for layer in layers if layer.key == "rack")
    assert rack.mesh.n_cells == 6 * int(np.sum([scene.objects[o].kind == "rack" for o in scene.box_object]))
    roots = next(layer for layer in layers if layer.key == "rootzones")
    assert roots.opacity < 0.5
    assert all(layer.opacity < 1 for layer in layers if layer.group == "ground")
    marks = next(layer for layer in layers if layer.key == "conflicts").extra["marks"]
    assert len(marks.points) == len(conflicts)


def test_conflict_labels_group_by_chainage(test_street):
    street, scene, conflicts = test_street
    marks = conflict_marks(scene, conflicts, group_chainage=1.0)
    assert len(marks.labels) == 3
    marks = conflict_marks(scene, conflicts, group_chainage=10.0)
    assert len(marks.labels) == 1 and marks.labels[0].count("\n") == 2


def test_group_label_names_a_shared_object_once():
    from types import SimpleNamespace as C

    label = group_label([C(objects=("R1/hc@10.0", "G1")), C(objects=("H1", "R1/hc@10.0")),
                         C(objects=("R1/hc@10.0", "W1"))])
    assert label == "R1/hc@10.0 ~ G1, H1, W1"
    many = group_label([C(objects=(f"A{i}", f"B{i}")) for i in range(5)], max_lines=3)
    assert many.splitlines()[-1] == "+2 more"


def test_every_network_kind_has_a_distinct_code_and_pattern():
    from vkls.model import NetworkKind
    from vkls.viewer.colours import NETWORK_STYLES, style_of

    codes = [style_of(k.value).code for k in NetworkKind]
    assert len(set(codes)) == len(codes)
    patterns = [(NETWORK_STYLES[k.value].hatch, NETWORK_STYLES[k.value].banded) for k in NetworkKind]
    reds = [NETWORK_STYLES[k] for k in ("laagspanning", "middenspanning", "openbareVerlichting")]
    assert len({(s.hatch, s.banded) for s in reds}) == 3, "the three reds need three patterns"
    assert len(set(patterns)) >= 7
    assert style_of("something new").code == "SOME"
