"""The viewer window, driven offscreen: toggles, section slider, picking."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def viewer(test_street):
    from vkls.viewer.interactive import build_viewer

    street, scene, conflicts = test_street
    window = build_viewer(street, scene, conflicts, off_screen=True, size=(800, 500))
    yield window
    window.plotter.close()


def _display_point(viewer, point):
    from vtkmodules.vtkRenderingCore import vtkCoordinate

    coordinate = vtkCoordinate()
    coordinate.SetCoordinateSystemToWorld()
    coordinate.SetValue(*[float(v) for v in point])
    return coordinate.GetComputedDoubleDisplayValue(viewer.plotter.renderers[0])


def test_layer_toggles(viewer):
    assert viewer.groups() == ["networks", "rack", "trees", "ground", "conflicts"]
    viewer.set_group_visible("networks", False)
    assert not any(a.GetVisibility() for layer in viewer.drawn.layers if layer.group == "networks"
                   for a in viewer.drawn.actors[layer.key])
    assert not viewer.drawn.label_actors["networks"].GetVisibility()
    viewer.set_group_visible("networks", True)
    assert all(a.GetVisibility() for layer in viewer.drawn.layers if layer.group == "networks"
               for a in viewer.drawn.actors[layer.key])


def test_section_slider_clips_and_caps(viewer, test_street):
    _, scene, _ = test_street
    near = viewer.drawn.clip_planes[0]
    viewer.move_section(10.0)
    point, tangent, _ = scene.alignment.frame(np.array([10.0]))
    assert np.allclose(near.GetNormal()[:2], tangent[0]) and np.allclose(near.GetOrigin()[:2], point[0])
    assert "section-caps" in viewer.plotter.actors and "section-frame" in viewer.plotter.actors
    image_cut = viewer.plotter.screenshot(None, return_img=True)
    viewer.move_section(0.0)
    assert near.GetNormal() == pytest.approx((0.0, 0.0, 1.0)) and "section-caps" not in viewer.plotter.actors
    image_whole = viewer.plotter.screenshot(None, return_img=True)
    assert np.abs(image_cut.astype(int) - image_whole.astype(int)).mean() > 0.5


def test_picking_a_pipe_and_a_conflict(viewer, test_street):
    _, scene, conflicts = test_street
    viewer.move_section(0.0)
    viewer.plotter.render()
    sewer = [o.id for o in scene.objects].index("R1")
    rows = np.flatnonzero(scene.cap_object == sewer)
    middle = (scene.cap_a[rows[len(rows) // 2]] + scene.cap_b[rows[len(rows) // 2]]) / 2
    text = viewer.pick(*_display_point(viewer, middle))
    assert text.startswith("gravity sewer R1") and "main, id R1" in text
    ball = viewer.drawn.layers[[layer.key for layer in viewer.drawn.layers].index("conflicts")].extra["marks"].points[1]
    text = viewer.pick(*_display_point(viewer, ball))
    assert text.startswith("Conflict C-test0002") and conflicts[1].explanation in text
    assert viewer.pick(2, 2) == ""
    assert viewer.info.startswith("Conflict C-test0002"), "a click on nothing keeps the last text"


def test_describe_object_lists_its_conflicts(test_street):
    from vkls.viewer.interactive import describe_object

    _, scene, conflicts = test_street
    gas = scene.objects[[o.id for o in scene.objects].index("G1")]
    text = describe_object(gas, conflicts)
    assert "2 conflict(s)" in text and "C-test0001 clearance with M1" in text
