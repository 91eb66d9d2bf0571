"""Broad and narrow phase over a scene: every primitive pair close enough for a rule to flag.

The broad phase enlarges each primitive's bounding box by its margin (half the largest
distance any rule could require for it) and returns the overlapping pairs of different
groups; it never misses a pair within the required distance (see
:func:`vkls.geometry.kernels.candidate_pairs`). The narrow phase computes the exact
surface distance and witness points of each candidate pair, and keeps the pairs whose
surface distance is within the reach of some rule for their two kinds, plus their position
uncertainty (the box test lets through pairs that are near only diagonally, and pairs of
kinds that the enlarged margins of the rarer kinds bring together; no rule can flag those).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Pairs farther apart than their limit (the rules' reach for their two kinds plus both position
#: uncertainties, surface to surface, metres) cannot be flagged by any rule and are dropped; this
#: slack keeps pairs at exactly that distance.
NEAR_SLACK = 1e-9


@dataclass(frozen=True)
class Contacts:
    """Exact geometry of every candidate pair.

    Attributes
    ----------
    pairs : (p, 2) int64
        Primitive indices ``i < j`` in the numbering [capsules | boxes | cylinders].
    distance : (p,) float64, metres
        Surface-to-surface distance (negative: overlap).
    witness_i, witness_j : (p, 3) float64, metres (local)
        Closest points: on the axis of a capsule, on the surface of a box or cylinder.
    abs_cos : (p,) float64
        |cos| of the angle between the two directions (1: parallel).
    radius_i, radius_j : (p,) float64, metres
        Radii belonging to the witnesses (capsule radius; 0 for boxes and cylinders).
    lateral_horizontal, lateral_vertical : (p,) float64, metres
        Horizontal and vertical length of the witness-to-witness vector without its part
        along the first capsule: two parallel chains offset along the route (segment k against
        segment k + 2) are thus still seen side by side or stacked (see
        :func:`vkls.geometry.kernels.near_contacts`).
    """

    pairs: np.ndarray
    distance: np.ndarray
    witness_i: np.ndarray
    witness_j: np.ndarray
    abs_cos: np.ndarray
    radius_i: np.ndarray
    radius_j: np.ndarray
    lateral_horizontal: np.ndarray
    lateral_vertical: np.ndarray


def find_contacts(scene, margin: np.ndarray, reach: np.ndarray, spread: np.ndarray,
                  seconds: dict | None = None) -> Contacts:
    """Broad phase + narrow phase over a scene.

    Parameters
    ----------
    scene : vkls.geometry.scene.Scene
    margin : (n + m + c,) float64, metres
        Per primitive, in the numbering [capsules | boxes | cylinders]: how far its box is enlarged.
    reach : (K, K) float64, metres
        Keep only the pairs within ``reach[kind_i, kind_j] + spread_i + spread_j`` (NaN: drop the pair).
    spread : (n + m + c,) float64, metres
        Per primitive: its position uncertainty.
    seconds : dict, optional
        Receives the time of the ``broad`` and ``narrow`` phases (seconds, added to what is there).
    """
    import time

    import numba

    from vkls.geometry import kernels

    clock = time.perf_counter()
    arrays = (scene.cap_a, scene.cap_b, scene.cap_r, scene.box_c, scene.box_h, scene.box_axes,
              scene.cyl_xy, scene.cyl_z, scene.cyl_r)
    margin = np.ascontiguousarray(margin, dtype=np.float64)
    lo, hi = kernels.primitive_aabbs(*arrays, margin)
    owner = scene.primitive_object
    group = np.ascontiguousarray(scene.object_group[owner])
    kind = np.ascontiguousarray(scene.object_kind[owner])
    reach = np.ascontiguousarray(reach, dtype=np.float64)
    spread = np.ascontiguousarray(spread, dtype=np.float64)
    cells = None
    if len(lo) >= 2:
        from vkls.geometry.plane_grid import plane_cells, plane_contacts

        cells = plane_cells(lo, hi)
    broad = time.perf_counter()
    if cells is not None:
        found = plane_contacts(cells, lo, hi, margin, owner, group, kind, spread, reach, NEAR_SLACK, arrays,
                               numba.get_num_threads())
    else:  # the plane grid does not suit: candidate pairs, then their geometry
        pairs = kernels.candidate_pairs(lo, hi, group)
        broad = time.perf_counter()
        distance, witness_i, witness_j, abs_cos = kernels.pair_geometry(pairs, *arrays)
        found = kernels.near_contacts(pairs, distance, witness_i, witness_j, abs_cos, kind, reach, spread,
                                      scene.cap_a, scene.cap_b, NEAR_SLACK)
    pairs, distance, witness_i, witness_j, abs_cos, horizontal, vertical = found
    radius = np.concatenate([scene.cap_r, np.zeros(scene.n_boxes + scene.n_cylinders)])
    if seconds is not None:
        seconds["broad"] = seconds.get("broad", 0.0) + broad - clock
        seconds["narrow"] = seconds.get("narrow", 0.0) + time.perf_counter() - broad
    return Contacts(pairs=pairs, distance=distance, witness_i=witness_i, witness_j=witness_j, abs_cos=abs_cos,
                    radius_i=radius[pairs[:, 0]], radius_j=radius[pairs[:, 1]], lateral_horizontal=horizontal,
                    lateral_vertical=vertical)
