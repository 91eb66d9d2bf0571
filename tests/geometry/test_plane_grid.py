"""The plane grid broad phase against brute force, and when it hands over to the hierarchical grid."""

import numba
import numpy as np
import pytest

from tests.geometry.test_kernels import brute_overlaps, random_capsules
from vkls.geometry import kernels as K
from vkls.geometry.plane_grid import (
    _block_shift,
    _cell_number,
    _cell_position,
    plane_cells,
    plane_contacts,
    plane_pairs,
    primitive_cells,
)


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


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("side", ["lo", "hi"])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_a_box_not_finite_in_any_bound_is_refused(bad, side, axis):
    rng = np.random.default_rng(6)
    lo = rng.uniform(0, 100, (300, 3))
    hi = lo + rng.uniform(0, 2, (300, 3))
    (lo if side == "lo" else hi)[123, axis] = bad
    with pytest.raises(ValueError, match="finite"):
        plane_cells(lo, hi)


def random_lines(rng, n_lines=160, extent=40.0):
    """Chains of 1-8 segments (each line one object), plus rack boxes and root-zone cylinders, with
    kinds, groups, spreads and margins that cover ``reach`` (as the pipeline makes them)."""
    starts, ends, owner = [], [], []
    for line in range(n_lines):
        count = int(rng.integers(1, 9))
        points = np.cumsum(np.vstack([rng.uniform(0, extent, 3) * [1, 1, 0.05],
                                      rng.normal(0, 1.2, (count, 3)) * [1, 1, 0.1]]), axis=0)
        starts.append(points[:-1])
        ends.append(points[1:])
        owner += [line] * count
    cap_a, cap_b = np.vstack(starts), np.vstack(ends)
    cap_b[::17] = cap_a[::17]  # some zero-length segments
    n = len(cap_a)
    cap_r = rng.uniform(0.01, 0.2, n)
    boxes, cylinders = 12, 8
    box_c = rng.uniform(0, extent, (boxes, 3)) * [1, 1, 0.05]
    box_h = rng.uniform(0.05, 1.0, (boxes, 3))
    angle = rng.uniform(0, np.pi, boxes)
    box_axes = np.zeros((boxes, 3, 3))
    box_axes[:, 0, :2] = np.c_[np.cos(angle), np.sin(angle)]
    box_axes[:, 1, :2] = np.c_[-np.sin(angle), np.cos(angle)]
    box_axes[:, 2, 2] = 1.0
    cyl_xy = rng.uniform(0, extent, (cylinders, 2))
    cyl_z = np.c_[np.full(cylinders, -1.5), np.zeros(cylinders)]
    cyl_r = rng.uniform(0.5, 3.0, cylinders)
    n_objects = n_lines + boxes + cylinders
    owner = np.concatenate([owner, n_lines + np.arange(boxes + cylinders)]).astype(np.int64)
    object_kind = rng.integers(0, 4, n_objects)
    object_group = rng.integers(0, n_objects // 3, n_objects)
    object_spread = np.where(rng.random(n_objects) < 0.3, rng.uniform(0, 0.3, n_objects), 0.0)
    reach = rng.uniform(0.0, 0.8, (4, 4))
    reach = np.maximum(reach, reach.T)
    reach[1, 2] = reach[2, 1] = np.nan  # no rule judges these two kinds
    from vkls.pipeline import kind_margins

    counts = np.bincount(object_kind[owner], minlength=4).astype(float)
    object_margin = kind_margins(np.nan_to_num(reach), counts)[object_kind] + object_spread
    primitives = (cap_a, cap_b, cap_r, box_c, box_h, box_axes, cyl_xy, cyl_z, cyl_r)
    return primitives, owner, object_group, object_kind, object_margin, object_spread, reach


def test_plane_pairs_of_lines_equal_brute_force():
    rng = np.random.default_rng(9)
    primitives, owner, group, _, margin, _, _ = random_lines(rng, n_lines=300)
    lo, hi = K.primitive_aabbs(*primitives, margin[owner])
    got = plane_pairs(lo, hi, group[owner], 2)
    assert got is not None and (got[:, 0] < got[:, 1]).all()
    np.testing.assert_array_equal(sorted_pairs(got), brute_overlaps(lo, hi, group[owner]))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_plane_contacts_equal_candidate_pairs_then_geometry_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    primitives, owner, group, kind, margin, spread, reach = random_lines(rng)
    lo, hi = K.primitive_aabbs(*primitives, margin[owner])
    cells = primitive_cells(primitives, owner, margin)
    assert cells is not None
    got = plane_contacts(cells, owner, group, kind, margin, spread, reach, 1e-9, primitives,
                         numba.get_num_threads())
    pairs = K.candidate_pairs(lo, hi, group[owner])
    expected = K.near_contacts(pairs, *K.pair_geometry(pairs, *primitives), kind[owner], reach, spread[owner],
                               primitives[0], primitives[1], 1e-9)
    kind = kind[owner]
    assert 50 < len(expected[0]) < len(pairs)
    assert {(kind[i], kind[j]) for i, j in expected[0]}.isdisjoint({(1, 2), (2, 1)})
    assert (expected[0] >= len(primitives[0])).any()  # pairs with a box or a cylinder are among them
    for got_column, expected_column in zip(got, expected):
        np.testing.assert_array_equal(got_column, expected_column)


def random_regime_reach(rng, reach):
    """(3, K, K) reach per regime, at most ``reach``, symmetric, NaN in places (a regime no rule judges)."""
    share = rng.uniform(0.0, 1.0, (3,) + reach.shape)
    regime_reach = reach[None] * np.maximum(share, np.transpose(share, (0, 2, 1)))
    regime_reach[1, 0, 3] = regime_reach[1, 3, 0] = np.nan
    return regime_reach


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_plane_contacts_with_a_reach_per_regime_equal_the_reference_bit_for_bit(seed):
    from vkls.geometry.regimes import NOT_APPLICABLE, contact_regimes

    rng = np.random.default_rng(seed)
    primitives, owner, group, kind, margin, spread, reach = random_lines(rng)
    regime_reach, side_cos = random_regime_reach(rng, reach), np.cos(np.radians(30.0))
    paired = rng.random(len(kind)) < 0.9
    lo, hi = K.primitive_aabbs(*primitives, margin[owner])
    cells = primitive_cells(primitives, owner, margin)
    got = plane_contacts(cells, owner, group, kind, margin, spread, reach, 1e-9, primitives,
                         numba.get_num_threads(), regime_reach, side_cos, paired)
    pairs = K.candidate_pairs(lo, hi, group[owner])
    pairs = pairs[paired[owner[pairs[:, 0]]] & paired[owner[pairs[:, 1]]]]  # only pairs of paired objects
    everything = K.near_contacts(pairs, *K.pair_geometry(pairs, *primitives), kind[owner], reach, spread[owner],
                                 primitives[0], primitives[1], 1e-9)
    expected = K.near_contacts(pairs, *K.pair_geometry(pairs, *primitives), kind[owner], reach, spread[owner],
                               primitives[0], primitives[1], 1e-9, regime_reach, side_cos)
    for got_column, expected_column in zip(got, expected):
        np.testing.assert_array_equal(got_column, expected_column)
    # the reference in numpy: a capsule pair stays where it is within the reach of its regime
    found_pairs, distance, _, _, abs_cos, horizontal, vertical = everything
    regime = contact_regimes(abs_cos, horizontal, vertical, found_pairs[:, 1] < len(primitives[0]), side_cos)
    ki, kj = kind[owner][found_pairs[:, 0]], kind[owner][found_pairs[:, 1]]
    limit = regime_reach[np.minimum(regime, 2), ki, kj] + spread[owner][found_pairs[:, 0]] \
        + spread[owner][found_pairs[:, 1]] + 1e-9
    keep = (regime == NOT_APPLICABLE) | (distance <= limit)
    assert 0 < (~keep).sum() and len(set(regime[keep].tolist())) == 4  # some dropped; every regime kept
    np.testing.assert_array_equal(got[0], found_pairs[keep])


@pytest.mark.parametrize("parts", [2, 3])
def test_the_grid_filled_in_parts_is_the_grid_filled_at_once(parts):
    from vkls.geometry import plane_grid

    rng = np.random.default_rng(8)
    primitives, owner, _, _, margin, _, _ = random_lines(rng, n_lines=300)
    lo, hi = K.primitive_aabbs(*primitives, margin[owner])
    start, members, inv_edge, cx0, cy0, nby, shift = plane_cells(lo, hi)
    n_cells = len(start) - 1
    bounds = [k * len(lo) // parts for k in range(parts + 1)]
    ranges = np.empty((len(lo), 4), dtype=np.int32)
    assert plane_grid._cell_ranges(lo, hi, 0, len(lo), inv_edge, 3, -2, ranges, np.empty(4))  # any reference cell
    in_parts = plane_grid._fill(ranges, cx0 - 3, cy0 + 2, nby, shift, n_cells, len(members), bounds)
    np.testing.assert_array_equal(in_parts[0], start)
    np.testing.assert_array_equal(in_parts[1], members)
    assert len(lo) < plane_grid._PARALLEL_FILL_FROM  # so plane_cells filled it in one part


def test_plane_contacts_are_the_same_with_one_thread_or_two():
    rng = np.random.default_rng(7)
    primitives, owner, group, kind, margin, spread, reach = random_lines(rng, n_lines=400)
    cells = primitive_cells(primitives, owner, margin)
    one, two = (plane_contacts(cells, owner, group, kind, margin, spread, reach, 1e-9, primitives, threads)
                for threads in (1, 2))
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("nx, ny", [(1, 1), (1, 40), (40, 1), (17, 33), (300, 5)])
def test_cells_are_numbered_block_by_block_one_to_one(nx, ny):
    shift = _block_shift(nx, ny)
    nby = (ny + (1 << shift) - 1) >> shift
    numbers = {_cell_number(x, y, nby, shift): (x, y) for x in range(nx) for y in range(ny)}
    assert len(numbers) == nx * ny
    assert max(numbers) < ((nx + (1 << shift) - 1) >> shift) * nby << (2 * shift)
    assert all(_cell_position(c, nby, shift) == xy for c, xy in numbers.items())


def test_chunks_that_run_out_of_room_are_scanned_again(monkeypatch):
    from vkls.geometry import plane_grid

    rng = np.random.default_rng(11)
    primitives, owner, group, kind, margin, spread, reach = random_lines(rng, n_lines=300)
    cells = primitive_cells(primitives, owner, margin)
    roomy = plane_contacts(cells, owner, group, kind, margin, spread, reach, 1e-9, primitives, 2)
    monkeypatch.setattr(plane_grid, "_CONTACTS_PER_ENTRY_GUESS", 0.0)  # 64 rows per chunk at first
    assert len(roomy[0]) > 64 * plane_grid._CHUNKS_PER_THREAD * 2
    tight = plane_contacts(cells, owner, group, kind, margin, spread, reach, 1e-9, primitives, 2)
    for a, b in zip(roomy, tight):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("parts", [1, 2, 3])
def test_contacts_are_sorted_also_where_one_primitive_has_many(parts):
    import vkls.geometry.plane_grid as plane_grid

    rng = np.random.default_rng(2)
    n = 500
    first = np.concatenate([rng.integers(0, n - 1, 300), np.full(120, 17)])  # 120 contacts of primitive 17
    second = first + 1 + rng.integers(0, n - 1 - first)
    pairs = np.unique(np.c_[first, second], axis=0)
    shuffled = rng.permutation(len(pairs))
    pairs_out = np.ascontiguousarray(pairs[shuffled])
    values_out = np.ascontiguousarray(rng.random((len(pairs), 10)))
    values_out[:, 0] = np.arange(len(pairs))  # which row went where
    rows = np.arange(len(pairs))
    got = plane_grid._sorted_contacts(rows, pairs_out, values_out, n, parts)
    np.testing.assert_array_equal(got[0], pairs)
    np.testing.assert_array_equal(got[0], pairs_out[got[1].astype(np.int64)])
    np.testing.assert_array_equal(got[2], values_out[got[1].astype(np.int64), 1:4])


@pytest.fixture
def grid_in_two_parts(monkeypatch):
    """Measure, count and fill the grid in two parts from 64 boxes on (a city's 65,536 is beyond the
    test scenes), with two numba threads where the machine has them."""
    from vkls.geometry import plane_grid

    monkeypatch.setattr(plane_grid, "_PARALLEL_FILL_FROM", 64)
    previous = numba.get_num_threads()
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    yield
    numba.set_num_threads(previous)


def two_places(rng, n=600):
    """Boxes whose second half lies elsewhere: the extent of each part must count."""
    lo = rng.uniform(0, 100, (n, 3))
    lo[n // 2:, :2] += [300.0, -200.0]
    return lo, lo + rng.uniform(0, 3, (n, 3))


def test_the_grid_measured_in_two_parts_covers_both(grid_in_two_parts):
    rng = np.random.default_rng(21)
    lo, hi = two_places(rng)
    group = rng.integers(0, 50, len(lo))
    got = plane_pairs(lo, hi, group, numba.get_num_threads())
    assert got is not None
    np.testing.assert_array_equal(sorted_pairs(got), brute_overlaps(lo, hi, group))


@pytest.mark.parametrize("row", [0, 299, 300, 599])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_box_not_finite_in_either_part_is_refused(grid_in_two_parts, row, bad):
    lo, hi = two_places(np.random.default_rng(22))
    hi[row, 1] = bad
    with pytest.raises(ValueError, match="finite"):
        plane_cells(lo, hi)


@pytest.mark.parametrize("in_two_parts", [False, True])
def test_primitive_cells_are_the_cells_of_the_primitive_boxes(in_two_parts, request):
    """Cells taken from the segments (no capsule box stored) are those of the boxes primitive_aabbs makes."""
    if in_two_parts:
        request.getfixturevalue("grid_in_two_parts")
    rng = np.random.default_rng(23)
    primitives, owner, _, _, margin, _, _ = random_lines(rng, n_lines=300)
    lo, hi = K.primitive_aabbs(*primitives, margin[owner])
    got, expected = primitive_cells(primitives, owner, margin), plane_cells(lo, hi)
    assert got is not None and len(got[1]) > len(lo) and len(got) == len(expected) + 2
    for a, b in zip(got, expected + (lo[len(primitives[2]):], hi[len(primitives[2]):])):  # and the other boxes
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name, row", [("cap_a", 0), ("cap_b", 5), ("cap_r", 7), ("cap_a", -1), ("box_c", 3),
                                       ("cyl_xy", 2)])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_primitive_cells_refuse_a_value_that_is_not_finite_and_name_its_array(grid_in_two_parts, name, row, bad):
    rng = np.random.default_rng(24)
    primitives, owner, _, _, margin, _, _ = random_lines(rng, n_lines=300)
    primitives = [np.array(x) for x in primitives]
    index = ["cap_a", "cap_b", "cap_r", "box_c", "box_h", "box_axes", "cyl_xy", "cyl_z", "cyl_r"].index(name)
    primitives[index].reshape(len(primitives[index]), -1)[row, 0] = bad
    with pytest.raises(ValueError, match=f"{name}: contains NaN"):
        primitive_cells(tuple(primitives), owner, margin)


def test_primitive_cells_refuse_an_owner_per_primitive_that_does_not_fit():
    primitives, owner, _, _, margin, _, _ = random_lines(np.random.default_rng(25), n_lines=30)
    with pytest.raises(ValueError, match="owner: expected one object per primitive"):
        primitive_cells(primitives, owner[:-1], margin)


def test_the_scan_room_is_kept_per_thread_up_to_a_size(monkeypatch):
    import threading

    from vkls.geometry import plane_grid

    first = plane_grid._room(7, 1000, 10, np.float64)
    again = plane_grid._room(7, 400, 10, np.float64)  # fewer rows: the same memory
    assert again.shape == (400, 10) and np.shares_memory(first, again)
    assert not np.shares_memory(first, plane_grid._room(7, 2000, 10, np.float64))  # more: made larger
    assert plane_grid._room(7, 10, 2, np.int64).dtype == np.int64  # another shape: its own
    elsewhere = []
    thread = threading.Thread(target=lambda: elsewhere.append(plane_grid._room(7, 400, 2, np.int64)))
    thread.start()
    thread.join()
    assert not np.shares_memory(elsewhere[0], plane_grid._room(7, 400, 2, np.int64))  # each thread its own
    monkeypatch.setattr(plane_grid, "_ROOM_KEPT_BYTES", 1000)
    big = plane_grid._room(8, 1000, 10, np.float64)
    assert not np.shares_memory(big, plane_grid._room(8, 1000, 10, np.float64))  # too large to keep
