"""The plane grid broad phase against brute force, and when it hands over to the hierarchical grid."""

import numba
import numpy as np
import pytest

from tests.geometry.test_kernels import brute_overlaps, random_capsules
from vkls.geometry import kernels as K
from vkls.geometry.plane_grid import plane_pairs


def sorted_pairs(pairs):
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_plane_grid_equals_brute_force_and_the_hierarchical_grid(seed):
    rng = np.random.default_rng(seed)
    a, b, r, group = random_capsules(rng, 1500, long_fraction=0.01)
    lo, hi = K.capsule_aabbs(a, b, r, rng.uniform(0, 0.5, len(r)))
    got = plane_pairs(lo, hi, group, numba.get_num_threads())
    assert got is not None
    assert (got[:, 0] < got[:, 1]).all()
    expected = brute_overlaps(lo, hi, group)
    np.testing.assert_array_equal(sorted_pairs(got), expected)
    np.testing.assert_array_equal(K._candidate_pairs_grid(lo, hi, group, numba.get_num_threads()), expected)


def test_boxes_on_cell_borders_and_touching_are_reported_once():
    # edges on multiples of the cell edge (a power of two), negative coordinates, closed overlap
    lo = np.array([[-8.0, -8, 0], [0.0, -8, 0], [-8.0, 0, 0], [0.0, 0, 0], [-4.0, -4, 0]])
    hi = lo + [8.0, 8.0, 1.0]
    group = np.arange(5)
    got = plane_pairs(lo, hi, group, 2)
    np.testing.assert_array_equal(sorted_pairs(got), brute_overlaps(lo, hi, group))
    assert len(got) == 10


def test_a_huge_box_hands_over_to_the_hierarchical_grid():
    rng = np.random.default_rng(5)
    lo = rng.uniform(0, 100, (400, 3))
    hi = lo + rng.uniform(0, 1, (400, 3))
    lo[0], hi[0] = -1000.0, 1000.0
    group = rng.integers(0, 3, 400)
    assert plane_pairs(lo, hi, group, 2) is None
    np.testing.assert_array_equal(K.candidate_pairs(lo, hi, group), brute_overlaps(lo, hi, group))


def test_bad_boxes_are_refused():
    with pytest.raises(ValueError):
        plane_pairs(np.zeros((3, 3)), np.array([[1.0, 1, 1], [np.inf, 1, 1], [1, 1, 1]]), np.arange(3), 1)
    with pytest.raises(ValueError):
        plane_pairs(np.ones((2, 3)), np.zeros((2, 3)), np.arange(2), 1)
