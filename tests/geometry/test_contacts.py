"""Contacts: the numba filter and separation split against the plain numpy reference; the small
chain kernels against hand-checked cases."""

import numpy as np
import pytest

from vkls.geometry import kernels


def segmented_cumsum(values, counts):
    """Reference: running sums that restart at every chain, each summed left to right on its own."""
    values, counts = np.asarray(values, dtype=np.float64), np.asarray(counts)
    if counts.sum() != len(values) or (counts < 0).any():
        raise ValueError("segmented_cumsum: counts must be >= 0 and add up to len(values)")
    out, k = np.empty_like(values), 0
    for count in counts:
        total = 0.0
        for _ in range(count):
            total += values[k]
            out[k] = total
            k += 1
    return out


def lateral_separation(scene, pairs: np.ndarray, witness_i: np.ndarray, witness_j: np.ndarray):
    """Reference in plain numpy: horizontal and vertical length of the witness vector without its
    part along capsule i.

    Two parallel chains offset along the route (segment k against segment k + 2) are thus
    still seen side by side or stacked, whatever their offset along the route.

    Returns
    -------
    horizontal, vertical : (p,) float64, metres
    """
    delta = witness_j - witness_i
    if scene.n_capsules:
        first = np.minimum(pairs[:, 0], scene.n_capsules - 1)
        direction = scene.cap_b[first] - scene.cap_a[first]
        length = np.linalg.norm(direction, axis=1)
        unit = np.divide(direction, length[:, None], out=np.zeros_like(direction), where=length[:, None] > 0)
        unit[pairs[:, 0] >= scene.n_capsules] = 0.0
        delta = delta - np.einsum("ij,ij->i", delta, unit)[:, None] * unit
    return np.hypot(delta[:, 0], delta[:, 1]), np.abs(delta[:, 2])


class _Capsules:
    def __init__(self, cap_a, cap_b):
        self.cap_a, self.cap_b, self.n_capsules = cap_a, cap_b, len(cap_a)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_near_contacts_equals_the_numpy_reference(seed):
    rng = np.random.default_rng(seed)
    n, boxes = 400, 30
    cap_a = rng.uniform(0, 20, (n, 3))
    cap_b = cap_a + rng.normal(0, 2, (n, 3))
    cap_b[:5] = cap_a[:5]  # zero-length capsules
    cap_r = rng.uniform(0.01, 0.2, n)
    margin = rng.uniform(0.0, 0.6, n + boxes)
    lo, hi = kernels.capsule_aabbs(cap_a, cap_b, cap_r, margin[:n])
    pairs = kernels.candidate_pairs(lo, hi, np.arange(n))
    distance, wi, wj, cos = kernels.capsule_capsule_geometry(pairs, cap_a, cap_b, cap_r)
    pairs = np.vstack([pairs, [[n - 1, n + 3], [2, n + 7]]])  # rows whose second primitive is not a capsule
    distance, cos = np.append(distance, [0.1, 5.0]), np.append(cos, [0.0, 0.0])
    wi, wj = np.vstack([wi, cap_a[[n - 1, 2]]]), np.vstack([wj, cap_a[[n - 1, 2]] + 0.05])
    kept = kernels.near_contacts(pairs, distance, wi, wj, cos, np.zeros(n + boxes, np.int64), np.zeros((1, 1)),
                                 margin, cap_a, cap_b, 1e-9)
    near = distance <= margin[pairs[:, 0]] + margin[pairs[:, 1]] + 1e-9
    assert 0 < near.sum() < len(near)
    horizontal, vertical = lateral_separation(_Capsules(cap_a, cap_b), pairs[near], wi[near], wj[near])
    np.testing.assert_array_equal(kept[0], pairs[near])
    np.testing.assert_array_equal(kept[1], distance[near])
    np.testing.assert_array_equal(kept[2], wi[near])
    np.testing.assert_array_equal(kept[3], wj[near])
    np.testing.assert_allclose(kept[5], horizontal, atol=1e-12)
    np.testing.assert_allclose(kept[6], vertical, atol=1e-12)


def test_segmented_cumsum_restarts_every_chain_and_sums_each_on_its_own():
    values = np.array([1.0, 2.0, 3.0, 0.1, 0.2, 5.0])
    np.testing.assert_array_equal(segmented_cumsum(values, np.array([3, 0, 2, 1])),
                                  [1.0, 3.0, 6.0, 0.1, 0.1 + 0.2, 5.0])
    alone = segmented_cumsum(values[3:5], np.array([2]))
    np.testing.assert_array_equal(alone, segmented_cumsum(values, np.array([3, 2, 1]))[3:5])
    with pytest.raises(ValueError):
        segmented_cumsum(values, np.array([2, 2]))


def test_run_starts_joins_hits_within_the_gap_and_splits_pairs():
    new_pair = np.array([True, False, False, False, True, False])
    start = np.array([0.0, 0.9, 5.0, 5.5, 0.0, 10.0])
    end = np.array([1.0, 2.0, 5.2, 6.0, 1.0, 11.0])
    # pair 1: [0, 2] then a jump past 2 + 1.5 -> new run at 5.0; pair 2: two runs far apart
    np.testing.assert_array_equal(kernels.run_starts(new_pair, start, end, 1.5), [0, 2, 4, 5])
    np.testing.assert_array_equal(kernels.run_starts(new_pair, start, end, 3.0), [0, 4, 5])


def test_near_contacts_keeps_the_pairs_within_the_reach_of_their_kinds():
    """The limit per pair of kinds: a NaN limit drops the pair, the spread widens the limit."""
    cap_a = np.array([[0.0, 0, 0], [0, 0.3, 0], [0, 0.6, 0], [0, 5, 0]])
    cap_b = cap_a + [4.0, 0, 0]
    pairs = np.array([[0, 1], [0, 2], [1, 2], [0, 3]])
    distance = np.array([0.3, 0.6, 0.3, 5.0])
    wi, wj = cap_a[pairs[:, 0]], cap_a[pairs[:, 1]]
    kind = np.array([0, 1, 1, 0])
    limit = np.array([[0.5, 0.35], [0.35, np.nan]])
    spread = np.array([0.0, 0.0, 0.3, 0.0])
    kept = kernels.near_contacts(pairs, distance, wi, wj, np.ones(4), kind, limit, spread, cap_a, cap_b, 1e-9)
    # (0, 1): 0.3 <= 0.35; (0, 2): 0.6 <= 0.35 + 0.3; (1, 2): kinds 1-1 never; (0, 3): 5 > 0.5
    np.testing.assert_array_equal(kept[0], [[0, 1], [0, 2]])
    np.testing.assert_array_equal(kept[1], [0.3, 0.6])


def test_chain_segments_equal_the_numpy_construction_bit_for_bit():
    rng = np.random.default_rng(3)
    counts = rng.integers(2, 9, 200)
    line_start = np.concatenate([[0], np.cumsum(counts)])
    xyz = np.column_stack([rng.uniform(90000, 95000, (line_start[-1], 2)), rng.uniform(0.3, 2.0, line_start[-1])])
    origin = np.array([90000.0, 460000.0])
    cap_a, cap_b, chainage, line_of = kernels.chain_segments(xyz, line_start, origin, extra=3)
    points = np.column_stack([xyz[:, :2] - origin, -xyz[:, 2]])
    ends = np.ones(len(points), dtype=bool)
    ends[line_start[:-1]] = False
    ref_b, ref_a = points[ends], points[np.flatnonzero(ends) - 1]
    ref_end = segmented_cumsum(np.sqrt(((ref_b - ref_a) ** 2).sum(axis=1)), counts - 1)
    ref_start = np.concatenate([[0.0], ref_end[:-1]])
    ref_start[np.cumsum(counts - 1) - (counts - 1)] = 0.0
    n = len(ref_a)
    np.testing.assert_array_equal(cap_a[:n], ref_a)
    np.testing.assert_array_equal(cap_b[:n], ref_b)
    np.testing.assert_array_equal(chainage[:n], np.column_stack([ref_start, ref_end]))
    np.testing.assert_array_equal(line_of, np.repeat(np.arange(len(counts)), counts - 1))
    assert (cap_a[n:] == 0).all() and (chainage[n:] == 0).all() and len(cap_a) == n + 3
    with pytest.raises(ValueError):
        kernels.chain_segments(xyz, np.array([0, 1, line_start[-1]]), origin)


def test_line_extents_equal_the_numpy_reduction():
    rng = np.random.default_rng(4)
    counts = rng.integers(1, 7, 300)
    line_start = np.concatenate([[0], np.cumsum(counts)])
    xyz = rng.uniform(-50, 50, (line_start[-1], 3))
    diameter = rng.uniform(0.01, 1.0, 300)
    lo = np.minimum.reduceat(xyz[:, :2], line_start[:-1], axis=0) - diameter[:, None] / 2
    hi = np.maximum.reduceat(xyz[:, :2], line_start[:-1], axis=0) + diameter[:, None] / 2
    np.testing.assert_array_equal(kernels.line_extents(xyz, line_start, diameter), np.hstack([lo, hi]))
    with pytest.raises(ValueError):
        kernels.line_extents(xyz, np.array([0, 0, line_start[-1]]), diameter[:2])


def test_gather_lines_takes_whole_lines_in_the_order_given():
    xyz = np.arange(24, dtype=float).reshape(8, 3)
    line_start = np.array([0, 2, 5, 8])
    out, start = kernels.gather_lines(xyz, line_start, np.array([2, 0]))
    np.testing.assert_array_equal(start, [0, 3, 5])
    np.testing.assert_array_equal(out, np.vstack([xyz[5:8], xyz[0:2]]))
    empty, start = kernels.gather_lines(xyz, line_start, np.zeros(0, np.int64))
    assert empty.shape == (0, 3) and start.tolist() == [0]
    with pytest.raises(ValueError):
        kernels.gather_lines(xyz, line_start, np.array([3]))


def test_near_contacts_refuses_inputs_that_do_not_fit():
    cap_a = np.zeros((3, 3))
    cap_b = cap_a + [1.0, 0, 0]
    pairs, distance = np.array([[0, 1], [1, 2]]), np.array([0.1, 0.2])
    wi = np.zeros((2, 3))
    good = dict(kind=np.zeros(3, np.int64), limit=np.ones((1, 1)), spread=np.zeros(3))
    kernels.near_contacts(pairs, distance, wi, wi, np.ones(2), **good, cap_a=cap_a, cap_b=cap_b)
    for bad in (dict(kind=np.array([0, 1, 0])), dict(spread=np.zeros(2)), dict(limit=np.ones((1, 2))),
                dict(kind=np.zeros(2, np.int64), spread=np.zeros(2))):
        with pytest.raises(ValueError):
            kernels.near_contacts(pairs, distance, wi, wi, np.ones(2), **{**good, **bad}, cap_a=cap_a, cap_b=cap_b)


def test_pair_columns_are_the_objects_kinds_and_radii_of_both_sides():
    rng = np.random.default_rng(3)
    n_capsules, n_primitives, n_objects = 50, 70, 12
    pairs = np.sort(rng.integers(0, n_primitives, (200, 2)), axis=1)
    owner = rng.integers(0, n_objects, n_primitives)
    object_kind = rng.integers(0, 9, n_objects)
    cap_r = rng.uniform(0.01, 0.3, n_capsules)
    objects, kinds, radius = kernels.pair_columns(pairs, owner, object_kind, cap_r)
    np.testing.assert_array_equal(objects, owner[pairs])
    np.testing.assert_array_equal(kinds, object_kind[owner[pairs]])
    padded = np.concatenate([cap_r, np.zeros(n_primitives - n_capsules)])
    np.testing.assert_array_equal(radius, padded[pairs])
    with pytest.raises(ValueError, match="pairs"):
        kernels.pair_columns(np.array([[0, n_primitives]]), owner, object_kind, cap_r)
    with pytest.raises(ValueError, match="owner"):
        kernels.pair_columns(pairs, np.full(n_primitives, n_objects), object_kind, cap_r)


def test_find_contacts_refuses_margins_spreads_and_reach_that_do_not_fit():
    from vkls.geometry.contacts import find_contacts
    from vkls.pipeline import check

    scene = check("samples/narrow-vkls.toml").scene
    objects = len(scene.objects)
    margin, spread, reach = np.full(objects, 0.5), np.zeros(objects), np.zeros((20, 20))
    assert len(find_contacts(scene, margin, reach, spread)) > 0
    with pytest.raises(ValueError, match="margin: contains NaN"):
        find_contacts(scene, np.full(objects, np.nan), reach, spread)
    with pytest.raises(ValueError, match="margin: must be >= 0"):
        find_contacts(scene, np.where(np.arange(objects) == objects - 1, -0.1, 0.5), reach, spread)
    with pytest.raises(ValueError, match="spread"):
        find_contacts(scene, margin, reach, np.zeros(objects + 1))
    with pytest.raises(ValueError, match="kind codes"):
        find_contacts(scene, margin, np.zeros((1, 1)), spread)
    with pytest.raises(ValueError, match=r"regime limit: expected shape \(3, 20, 20\)"):
        find_contacts(scene, margin, reach, spread, regime_reach=np.zeros((2, 20, 20)), side_by_side_cos=0.9)
    with pytest.raises(ValueError, match="paired: expected one flag per object"):
        find_contacts(scene, margin, reach, spread, paired=np.ones(objects - 1, dtype=bool))
    for cos in (None, 1.5, np.nan):  # the regimes need the rules' side-by-side angle
        with pytest.raises(ValueError, match="side_by_side_cos"):
            find_contacts(scene, margin, reach, spread, regime_reach=np.zeros((3, 20, 20)), side_by_side_cos=cos)


def test_find_contacts_gives_the_same_rows_with_the_plane_grid_and_without(small_city, monkeypatch):
    """Both paths of find_contacts (the plane grid, and candidate pairs then their geometry) keep the
    same pairs: within the reach of their regime, between paired objects only."""
    from dataclasses import fields

    import vkls.geometry.plane_grid
    from vkls.geometry.contacts import find_contacts
    from vkls.pipeline import (
        broad_phase_margins,
        paired_objects,
        position_spread,
        rule_reach,
        rule_regime_reach,
    )
    from vkls.rules import default_rules
    from vkls.rules.clearance import side_by_side_cos

    scene, norms = small_city
    rules = default_rules()
    reach, spread = rule_reach(norms, rules), position_spread(scene)
    paired = paired_objects(scene, norms, rules)
    assert not paired.all()

    def contacts():
        return find_contacts(scene, broad_phase_margins(scene, reach, spread), reach, spread, None,
                             rule_regime_reach(norms, rules), side_by_side_cos(norms), paired)

    grid = contacts()
    monkeypatch.setattr(vkls.geometry.plane_grid, "primitive_cells", lambda primitives, owner, margin: None)
    candidates = contacts()
    assert len(grid) > 100 and paired[grid.objects].all()
    for field in fields(grid):
        np.testing.assert_array_equal(getattr(grid, field.name), getattr(candidates, field.name), err_msg=field.name)
