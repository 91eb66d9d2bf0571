import numpy as np
import pytest
import shapely

from vkls.geometry.alignment import Alignment
from vkls.model import Route


def make(xy, side="right"):
    return Alignment.from_route(Route(xy=np.asarray(xy, dtype=float), ground_level=1.5, street_side=side))


def test_origin_is_subtracted_and_chainage_accumulates():
    alignment = make([[155000.0, 463000.0], [155003.0, 463004.0], [155003.0, 463010.0]])
    assert alignment.origin.tolist() == [155000.0, 463000.0]
    assert alignment.chainage.tolist() == [0.0, 5.0, 11.0]
    assert alignment.length == 11.0


def test_stations_include_vertices_and_respect_step():
    alignment = make([[0, 0], [2.5, 0], [2.5, 10]])
    stations = alignment.stations(1.0)
    assert {0.0, 2.5, 12.5} <= set(np.round(stations, 12))
    assert np.diff(stations).max() <= 1.0 + 1e-12
    assert np.all(np.diff(stations) > 0)


@pytest.mark.parametrize("side, expected_y", [("right", -2.0), ("left", 2.0)])
def test_offset_goes_to_the_street_side(side, expected_y):
    alignment = make([[0, 0], [10, 0]], side=side)
    xy = alignment.place(np.array([4.0]), np.array([2.0]))
    assert xy[0].tolist() == pytest.approx([4.0, expected_y])


@pytest.mark.parametrize("side, corner", [("left", [8.5, 1.5]), ("right", [11.5, -1.5])])
def test_offset_polyline_is_parallel_to_each_leg_around_a_bend(side, corner):
    # A right-angle bend: every offset point lies exactly `offset` from the line of its own
    # leg, and the corner point (miter) from both legs' lines; a per-leg normal without
    # the miter would put the corner only 1.5 / sqrt(2) from one of them.
    alignment = make([[0, 0], [10, 0], [10, 10]], side=side)
    stations = alignment.stations(0.5)
    xy = alignment.place(stations, np.full(len(stations), 1.5))
    first_leg, second_leg = stations <= 10.0, stations >= 10.0
    assert np.abs(xy[first_leg, 1]) == pytest.approx(np.full(first_leg.sum(), 1.5), abs=1e-12)
    assert np.abs(xy[second_leg, 0] - 10.0) == pytest.approx(np.full(second_leg.sum(), 1.5), abs=1e-12)
    assert xy[np.isclose(stations, 10.0)][0].tolist() == pytest.approx(corner)


def test_offset_curve_follows_a_smooth_curve_at_the_offset_distance():
    theta = np.linspace(0, np.pi / 2, 91)
    alignment = make(np.column_stack([30 * np.cos(theta), 30 * np.sin(theta)]), side="right")
    stations = alignment.stations(0.25)
    xy = alignment.place(stations, np.full(len(stations), 2.0))
    route = shapely.LineString(alignment.xy)
    distance = shapely.distance(shapely.points(xy), route)
    # On the outside of a polyline curve the miter vertices stand off by 2 / cos(half turn):
    # with 1-degree turns that is at most 2 * (1 / cos(0.5 deg) - 1) = 7.6e-5 m.
    assert distance.min() >= 2.0 - 1e-9
    assert distance.max() <= 2.0 * (1 / np.cos(np.radians(0.5))) + 1e-9


def test_frame_tangent_is_unit_length_on_a_curve():
    theta = np.linspace(0, np.pi / 2, 20)
    alignment = make(np.column_stack([30 * np.cos(theta), 30 * np.sin(theta)]))
    _, tangent, direction = alignment.frame(alignment.stations(1.0))
    assert np.hypot(*tangent.T) == pytest.approx(np.ones(len(tangent)))
    assert np.all(np.hypot(*direction.T) >= 1.0 - 1e-12)
