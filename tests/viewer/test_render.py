"""Offscreen renders compared with reference pictures; a broken renderer must fail."""

from __future__ import annotations

import numpy as np
import pytest

from tests.viewer.images import assert_matches_reference, colour_fraction, similar
from vkls.viewer.colours import CONFLICT_COLOUR, NETWORK_STYLES

SIZE = (640, 400)


@pytest.fixture(scope="module")
def renders(test_street):
    from vkls.viewer.render import render_image

    street, scene, conflicts = test_street
    return {view: render_image(street, scene, conflicts, view=view, chainage=10.0 if view == "section" else None,
                               size=SIZE) for view in ("iso", "top", "section")}


@pytest.mark.parametrize("view", ["iso", "top", "section"])
def test_render_matches_reference(renders, view):
    image = renders[view]
    assert image.shape == (SIZE[1], SIZE[0], 3) and image.dtype == np.uint8
    assert_matches_reference(image, f"render-{view}")


@pytest.mark.parametrize("view", ["iso", "top"])
def test_render_shows_networks_and_conflicts(renders, view):
    image = renders[view]
    assert image.std() > 20, "a nearly uniform picture: nothing was drawn"
    assert colour_fraction(image, NETWORK_STYLES["warmte"].colour, 60) > 1e-3, "no heat teal"
    assert colour_fraction(image, NETWORK_STYLES["rioolVrijverval"].colour, 60) > 1e-3, "no sewer purple"
    assert colour_fraction(image, CONFLICT_COLOUR, 60) > 1e-3, "no conflict red"


def test_a_broken_renderer_fails_the_comparison(renders, test_street, monkeypatch):
    """A blank picture, or one without the cable and pipe layers, is not similar to the reference."""
    from tests.viewer.images import REFERENCE, load_png
    from vkls.viewer import meshes, render

    reference = load_png(REFERENCE / "render-iso.png")
    assert similar(renders["iso"], reference)
    assert not similar(np.full_like(reference, 255), reference)

    original = meshes.scene_layers

    def without_networks(*args, **kwargs):
        return [layer for layer in original(*args, **kwargs) if layer.group != "networks"]

    monkeypatch.setattr(render, "scene_layers", without_networks)
    street, scene, conflicts = test_street
    broken = render.render_image(street, scene, conflicts, view="iso", size=SIZE)
    assert not similar(broken, reference)
    assert colour_fraction(broken, NETWORK_STYLES["rioolVrijverval"].colour, 60) < \
        0.5 * colour_fraction(reference, NETWORK_STYLES["rioolVrijverval"].colour, 60)


def test_conflicts_only_draws_fewer_objects(test_street):
    from vkls.viewer.meshes import scene_layers

    street, scene, conflicts = test_street
    everything = {layer.key: layer for layer in scene_layers(street, scene, conflicts)}
    only = {layer.key: layer for layer in scene_layers(street, scene, conflicts, conflicts_only=True)}
    assert "network:datatransport" in everything and "network:datatransport" not in only
    assert only["network:gasLageDruk"].mesh.n_cells == everything["network:gasLageDruk"].mesh.n_cells


def test_bad_view_or_chainage_is_input_error(test_street):
    from vkls.errors import InputError
    from vkls.viewer.render import render_image

    street, scene, conflicts = test_street
    with pytest.raises(InputError, match="unknown view"):
        render_image(street, scene, conflicts, view="side", size=SIZE)
    with pytest.raises(InputError, match="outside the route"):
        render_image(street, scene, conflicts, view="section", chainage=99.0, size=SIZE)
